/* soswap.h - public API of libsoswap.
 *
 * libsoswap inspects ELF shared objects, resolves dependency trees like the
 * glibc loader, installs new library versions atomically, finds processes
 * that map a library and swaps a library inside a running process.
 *
 * Conventions (every function below follows them):
 *  - Functions return 0 (or a non-negative count) on success and a negative
 *    errno value on failure (-ENOENT, -ENOEXEC, -EPERM, ...).
 *  - On failure, a human-readable one-line message naming the file or pid
 *    and the reason is written into the caller's soswap_err (which may be
 *    NULL when the caller does not want it).
 *  - Handles are opaque; constructors fill an out-pointer; destructors
 *    accept NULL.
 *  - Strings returned by accessors are owned by the handle and live as long
 *    as it does.
 *  - Nothing in the library calls exit() or writes to stdout/stderr.
 */
#ifndef SOSWAP_H
#define SOSWAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOSWAP_VERSION_MAJOR 0
#define SOSWAP_VERSION_MINOR 1
#define SOSWAP_VERSION_PATCH 0

/* Version string of the library actually linked, e.g. "0.1.0". */
const char *soswap_version(void);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

#define SOSWAP_ERR_MSG_MAX 512

/* Filled by a failing call.  `code` repeats the negative errno returned;
 * `msg` is one line without a trailing newline, e.g.
 * "/tmp/x.so: not an ELF file (bad magic)". */
typedef struct soswap_err {
	int code;
	char msg[SOSWAP_ERR_MSG_MAX];
} soswap_err;

/* Reset an error record to "no error". */
void soswap_err_clear(soswap_err *err);

/* ------------------------------------------------------------------ */
/* ELF objects (src/lib/elf.c)                                         */
/* ------------------------------------------------------------------ */

typedef struct soswap_elf soswap_elf;

enum soswap_elf_kind {
	SOSWAP_ELF_REL = 1,	/* ET_REL */
	SOSWAP_ELF_EXEC,	/* ET_EXEC */
	SOSWAP_ELF_DYN,		/* ET_DYN that is not a PIE: a library */
	SOSWAP_ELF_PIE,		/* ET_DYN with DF_1_PIE, or PT_INTERP and no SONAME */
	SOSWAP_ELF_CORE,
	SOSWAP_ELF_OTHER,
};

enum soswap_relro {
	SOSWAP_RELRO_NONE = 0,
	SOSWAP_RELRO_PARTIAL,	/* PT_GNU_RELRO without BIND_NOW */
	SOSWAP_RELRO_FULL,	/* PT_GNU_RELRO with BIND_NOW */
};

/* One dynamic symbol (from .dynsym).  `version` is NULL for unversioned
 * symbols; for defined symbols `is_default` tells "name@@ver" (1) from
 * "name@ver" (0).  For undefined symbols `version` is the version required
 * (from verneed) and `version_file` the library that must provide it. */
struct soswap_sym {
	const char *name;
	const char *version;
	const char *version_file;
	int is_default;
	int defined;		/* st_shndx != SHN_UNDEF */
	unsigned char type;	/* STT_* */
	unsigned char bind;	/* STB_* */
	unsigned char visibility; /* STV_* */
	uint16_t shndx;
	uint64_t value;
	uint64_t size;
};

/* A version definition (verdef) or requirement (verneed entry). */
struct soswap_verdef {
	const char *name;
	uint16_t index;
	uint16_t flags;		/* VER_FLG_BASE, VER_FLG_WEAK */
	const char *parent;	/* first predecessor (vda_next), or NULL */
};

struct soswap_verneed {
	const char *file;	/* vn_file: the library */
	const char *name;	/* vna_name: the version */
	uint16_t index;
	uint16_t flags;
};

/* Open and parse an ELF file.  Only the headers and the dynamic section are
 * read eagerly; symbols and versions are parsed on first use.  The file is
 * mapped read-only; it is never written.
 *
 * Every offset, size and count is checked against the file size: a
 * truncated or hostile file gives -ENOEXEC with a message, never a crash.
 * Directories give -EISDIR, special files -EINVAL, a missing file -ENOENT.
 */
int soswap_elf_open(soswap_elf **out, const char *path, soswap_err *err);

/* Same, from a buffer (for fuzzing and for tests).  The buffer is copied. */
int soswap_elf_open_memory(soswap_elf **out, const void *buf, size_t len,
			   const char *name, soswap_err *err);

void soswap_elf_close(soswap_elf *elf);

const char *soswap_elf_path(const soswap_elf *elf);
int soswap_elf_class(const soswap_elf *elf);	/* ELFCLASS32 / ELFCLASS64 */
int soswap_elf_machine(const soswap_elf *elf);	/* EM_* */
int soswap_elf_data(const soswap_elf *elf);	/* ELFDATA2LSB / MSB */
int soswap_elf_osabi(const soswap_elf *elf);
enum soswap_elf_kind soswap_elf_kind(const soswap_elf *elf);
/* Identity of the opened file (0 for memory buffers). */
dev_t soswap_elf_dev(const soswap_elf *elf);
ino_t soswap_elf_ino(const soswap_elf *elf);

/* PT_INTERP, or NULL. */
const char *soswap_elf_interp(const soswap_elf *elf);
/* DT_SONAME, DT_RPATH, DT_RUNPATH, or NULL when absent. */
const char *soswap_elf_soname(const soswap_elf *elf);
const char *soswap_elf_rpath(const soswap_elf *elf);
const char *soswap_elf_runpath(const soswap_elf *elf);
/* DT_NEEDED entries, in order. */
size_t soswap_elf_needed_count(const soswap_elf *elf);
const char *soswap_elf_needed(const soswap_elf *elf, size_t i);
/* Raw DT_FLAGS / DT_FLAGS_1 (0 when absent). */
uint64_t soswap_elf_flags(const soswap_elf *elf);
uint64_t soswap_elf_flags_1(const soswap_elf *elf);
int soswap_elf_has_dynamic(const soswap_elf *elf);
/* DT_TEXTREL or DF_TEXTREL present. */
int soswap_elf_textrel(const soswap_elf *elf);
enum soswap_relro soswap_elf_relro(const soswap_elf *elf);
/* Lowest PT_LOAD p_vaddr rounded down to the page: the link-time base. */
uint64_t soswap_elf_load_bias_vaddr(const soswap_elf *elf);
/* GNU build-id note as lowercase hex, or NULL. */
const char *soswap_elf_build_id(const soswap_elf *elf);

/* All .dynsym entries except the null symbol 0, in table order.  Returns
 * the count (>= 0) or a negative errno when the symbol or version tables
 * are corrupt.  *syms stays owned by the handle. */
ssize_t soswap_elf_symbols(soswap_elf *elf, const struct soswap_sym **syms,
			   soswap_err *err);
ssize_t soswap_elf_verdefs(soswap_elf *elf, const struct soswap_verdef **defs,
			   soswap_err *err);
ssize_t soswap_elf_verneeds(soswap_elf *elf,
			    const struct soswap_verneed **needs,
			    soswap_err *err);

/* Translate a virtual address of the object into a file offset through its
 * PT_LOAD segments; returns 0 and fills *off, or -EFAULT when no segment
 * holds [vaddr, vaddr+len). */
int soswap_elf_vaddr_to_offset(const soswap_elf *elf, uint64_t vaddr,
			       uint64_t len, uint64_t *off);

/* One dynamic relocation (DT_RELA/DT_REL and DT_JMPREL together).  `sym`
 * is the .dynsym index: the symbol is syms[sym - 1] of
 * soswap_elf_symbols() when sym > 0. */
struct soswap_reloc {
	uint64_t offset;	/* r_offset: the link-time address patched */
	uint32_t type;		/* R_X86_64_* ... */
	uint32_t sym;
	int64_t addend;
};

ssize_t soswap_elf_relocs(soswap_elf *elf, const struct soswap_reloc **relocs,
			  soswap_err *err);

/* The mapped file contents (read-only) and their size. */
const unsigned char *soswap_elf_bytes(const soswap_elf *elf, size_t *size);

/* Names for ELF constants, for printing ("x86-64", "FUNC", "GLOBAL"...).
 * Unknown values give a numeric string in a static buffer. */
const char *soswap_elf_machine_name(int machine);
const char *soswap_elf_kind_name(enum soswap_elf_kind kind);
const char *soswap_sym_type_name(unsigned type);
const char *soswap_sym_bind_name(unsigned bind);
const char *soswap_sym_visibility_name(unsigned vis);

/* ------------------------------------------------------------------ */
/* Dependency resolution (src/lib/resolve.c, ldcache.c)                */
/* ------------------------------------------------------------------ */
/* (section owned by the deps work) */

/* A resolver holds the loader's configuration (root directory, the
 * LD_LIBRARY_PATH/LD_PRELOAD it sees, secure mode, the parsed
 * /etc/ld.so.cache, the CPU's glibc-hwcaps levels) and a cache of parsed
 * objects shared by every resolution it makes (each file is mapped and
 * parsed once, keyed by device and inode).  A deptree is the result of
 * resolving one object: every object the loader would load, in load
 * order, each with where it came from.
 *
 * The rules are glibc 2.36's (elf/dl-load.c, dl-cache.c, dl-deps.c,
 * rtld.c) on x86-64: see README "soswap deps".  Nothing is executed. */
typedef struct soswap_resolver soswap_resolver;
typedef struct soswap_deptree soswap_deptree;

/* Where an object was found. */
enum soswap_dep_source {
	SOSWAP_DEP_ROOT = 0,		/* the object being resolved */
	SOSWAP_DEP_DIRECT,		/* a name with '/' used as a path */
	SOSWAP_DEP_RPATH,		/* DT_RPATH of the loader or its loaders */
	SOSWAP_DEP_LD_LIBRARY_PATH,
	SOSWAP_DEP_RUNPATH,		/* the loader's own DT_RUNPATH */
	SOSWAP_DEP_LDCACHE,		/* /etc/ld.so.cache */
	SOSWAP_DEP_SYSTEM,		/* built-in system directories */
	SOSWAP_DEP_INTERP,		/* the program interpreter (ld.so) */
	SOSWAP_DEP_NOT_FOUND,
	SOSWAP_DEP_ERROR,		/* a candidate the loader refuses: corrupt ELF */
};

#define SOSWAP_DEP_NONE ((size_t)-1)

/* One object of a deptree. */
struct soswap_dep {
	const char *name;	/* name first asked for (DT_NEEDED after $ORIGIN
				   expansion, LD_PRELOAD entry, note soname);
				   the path given for the root */
	const char *path;	/* the file as the loader names it (not
				   symlink-resolved), NULL when not found; inside
				   the root directory when one is set */
	enum soswap_dep_source source;
	const char *search_dir;	/* the search directory it was found in
				   (RPATH/RUNPATH/LD_LIBRARY_PATH/system), or NULL */
	const char *rpath_owner;	/* for SOSWAP_DEP_RPATH: path of the object
				   whose DT_RPATH matched */
	size_t loader;		/* index of the object that loaded it first, or
				   SOSWAP_DEP_NONE for the root and the interpreter */
	unsigned depth;		/* 0 for the root, 1 for its DT_NEEDED... */
	int preload;		/* from LD_PRELOAD or /etc/ld.so.preload */
	int optional;		/* from a .note.dlopen (SOSWAP_RESOLVE_DLOPEN) */
	const char *dlopen_priority;	/* "required", "recommended", "suggested" */
	const char *dlopen_feature;	/* the note's "feature", or NULL */
	const char *detail;	/* why not found / the loader's error, or NULL */
};

/* One candidate the search tried (SOSWAP_RESOLVE_TRACE). */
struct soswap_dep_try {
	size_t requester;	/* object whose dependency was being looked up */
	const char *name;	/* the name being looked up */
	enum soswap_dep_source source;	/* which search step */
	const char *path;	/* the candidate, or NULL for a whole step */
	const char *outcome;	/* "found", "no such file", "wrong ELF class
				   (ELFCLASS32)", "already loaded", ... */
	int chosen;		/* this candidate was used */
};

enum soswap_secure_mode {
	SOSWAP_SECURE_AUTO = 0,	/* decide from the file as exec would: setuid/
				   setgid/file capabilities against the
				   invoking user's real uid/gid */
	SOSWAP_SECURE_ON,	/* force AT_SECURE (like ldd can't) */
	SOSWAP_SECURE_OFF,
};

/* Flags of soswap_resolve(). */
#define SOSWAP_RESOLVE_TRACE	0x1	/* record every candidate tried */
#define SOSWAP_RESOLVE_DLOPEN	0x2	/* also resolve .note.dlopen sonames */
#define SOSWAP_RESOLVE_NO_PRELOAD_FILE 0x4 /* ignore /etc/ld.so.preload */

/* Create a resolver for this machine.  LD_LIBRARY_PATH and LD_PRELOAD are
 * taken from the caller's environment; override them with
 * soswap_resolver_setenv().  Returns 0 or -ENOMEM. */
int soswap_resolver_new(soswap_resolver **out, soswap_err *err);
void soswap_resolver_free(soswap_resolver *r);

/* Resolve inside DIR as if it were / (a sysroot or unpacked container
 * image): the cache, default directories, preload file, interpreter and
 * every path are looked up inside it, symlinks included (openat2
 * RESOLVE_IN_ROOT).  -ENOTDIR/-ENOENT if DIR is not a directory. */
int soswap_resolver_set_root(soswap_resolver *r, const char *dir,
			     soswap_err *err);
/* Set (value non-NULL) or unset an environment variable the loader reads:
 * LD_LIBRARY_PATH or LD_PRELOAD (others give -EINVAL). */
int soswap_resolver_setenv(soswap_resolver *r, const char *name,
			   const char *value, soswap_err *err);
void soswap_resolver_set_secure(soswap_resolver *r, enum soswap_secure_mode m);
/* Invoking user for SOSWAP_SECURE_AUTO (default: getuid()/getgid()). */
void soswap_resolver_set_user(soswap_resolver *r, uid_t uid, gid_t gid);

/* Resolve the dependency tree of the ELF file PATH (an executable or a
 * shared object; for executables $ORIGIN is the directory of the file
 * after following symlinks, as a real exec has it).  Missing libraries are
 * not an error: they appear as SOSWAP_DEP_NOT_FOUND entries.  Returns 0,
 * or -ENOENT/-EACCES/-ENOEXEC ("not a dynamic executable", not x86-64 ELF,
 * corrupt) with a message.  The tree borrows parsed objects from R: free
 * it before R. */
int soswap_resolve(soswap_resolver *r, const char *path, unsigned flags,
		   soswap_deptree **out, soswap_err *err);
void soswap_deptree_free(soswap_deptree *t);

/* Objects in load order (the order ldd prints); index 0 is the root. */
size_t soswap_deptree_count(const soswap_deptree *t);
const struct soswap_dep *soswap_deptree_get(const soswap_deptree *t, size_t i);
/* Dependencies of object I in DT_NEEDED order (then .note.dlopen ones):
 * indices into the tree; SOSWAP_DEP_NONE when the entry was dropped (an
 * empty $ORIGIN expansion). */
size_t soswap_deptree_needed_count(const soswap_deptree *t, size_t i);
size_t soswap_deptree_needed(const soswap_deptree *t, size_t i, size_t k);
/* The parsed object behind entry I (NULL when not found); owned by the
 * resolver. */
soswap_elf *soswap_deptree_elf(const soswap_deptree *t, size_t i);
/* Number of missing or refused objects. */
size_t soswap_deptree_missing(const soswap_deptree *t);
/* Whether resolution ran in secure mode (AT_SECURE), and why
 * ("setuid root", "file capabilities", "forced"...; NULL when not). */
const char *soswap_deptree_secure(const soswap_deptree *t);
/* Interpreter path used (PT_INTERP, or the default loader for libraries). */
const char *soswap_deptree_interp(const soswap_deptree *t);
/* Candidates tried (only with SOSWAP_RESOLVE_TRACE). */
size_t soswap_deptree_tries_count(const soswap_deptree *t);
const struct soswap_dep_try *soswap_deptree_try(const soswap_deptree *t,
						size_t i);
/* Warnings the loader would print and go on (preload failures). */
size_t soswap_deptree_warnings_count(const soswap_deptree *t);
const char *soswap_deptree_warning(const soswap_deptree *t, size_t i);

/* Short name of a source: "root", "direct", "rpath", "LD_LIBRARY_PATH",
 * "runpath", "ld.so.cache", "system", "interpreter", "not found", "error". */
const char *soswap_dep_source_name(enum soswap_dep_source s);

/* ------------------------------------------------------------------ */
/* Naming, ABI diff and install (src/lib/naming.c, abidiff.c, install.c)*/
/* ------------------------------------------------------------------ */
/* (section owned by the install work; the diff API below is used by
 * install, live and upgrade) */

/* --- Library file names (src/lib/naming.c) ---
 *
 * A library has three names: the real name "libfoo.so.1.2.3" (the file),
 * the soname "libfoo.so.1" (DT_SONAME, a symlink to the real name, what
 * programs record in DT_NEEDED) and the link name "libfoo.so" (what the
 * linker's -lfoo finds). */

/* Whether NAME (a base name, no '/') is one ldconfig and soswap consider a
 * library: it starts with "lib" or "ld-" and contains ".so".  soswap's
 * temporary files never match. */
int soswap_name_is_library(const char *name);

/* ldconfig's ordering of library file names (the newest sorts last):
 * runs of digits compare numerically, a digit sorts after a non-digit,
 * other characters by byte value.  Returns <0, 0 or >0 like strcmp.
 * Digit runs of any length are compared without overflow. */
int soswap_name_cmp(const char *a, const char *b);

#define SOSWAP_NAME_MAX 256		/* NAME_MAX + 1 */
#define SOSWAP_NAME_MAX_PARTS 8

/* A parsed "STEM.so[.VERSION]" name. */
struct soswap_libname {
	char stem[SOSWAP_NAME_MAX];	/* "libfoo" */
	char version[SOSWAP_NAME_MAX];	/* "1.2.3"; "" for "libfoo.so" */
	unsigned nparts;		/* leading numeric components: 3 */
	unsigned long parts[SOSWAP_NAME_MAX_PARTS]; /* saturated at ULONG_MAX */
	int numeric;			/* version is only digits and dots */
};

/* Split a library base name at its first ".so" that ends the name or is
 * followed by '.'.  -EINVAL (with a message naming NAME) when NAME is not
 * of that form (no ".so", contains '/', empty stem or version component,
 * too long). */
int soswap_libname_parse(struct soswap_libname *out, const char *name,
			 soswap_err *err);

/* Whether the soname's version components are a prefix of the real name's
 * ("libfoo.so.1" carries the major of "libfoo.so.1.2.3"; "libfoo.so.2"
 * does not), with the same stem.  Both must have parsed. */
int soswap_libname_soname_matches(const struct soswap_libname *soname,
				  const struct soswap_libname *real);

/* --- soname links, the `ldconfig -n` job (src/lib/links.c) --- */

enum soswap_link_state {
	SOSWAP_LINK_OK = 0,	/* already points at the newest real name */
	SOSWAP_LINK_CREATE,	/* missing: will be / was created */
	SOSWAP_LINK_UPDATE,	/* points elsewhere (or dangles): replaced */
	SOSWAP_LINK_NOT_SYMLINK,/* a regular file has the soname's name: left alone */
	SOSWAP_LINK_SAME_FILE,	/* the newest real name is the soname itself */
	SOSWAP_LINK_FAILED,	/* apply failed; see error */
};

struct soswap_link_action {
	const char *dir;
	const char *soname;	/* the link's name */
	const char *target;	/* newest real name (relative, in dir) */
	const char *old_target;	/* previous readlink() value, or NULL */
	enum soswap_link_state state;
	size_t candidates;	/* files that carry this soname */
};

typedef struct soswap_links soswap_links;

/* Scan DIR like `ldconfig -n DIR`: every regular file or symlink named
 * lib*.so* / ld-*.so* that is an ELF ET_DYN object is grouped by its
 * SONAME (its own name when it has none); in each group the newest name
 * (soswap_name_cmp; a regular file beats a symlink named by the soname or
 * a link name) is the target of the soname link.  Only plans: nothing is
 * changed.  Unreadable or non-ELF candidates are skipped like ldconfig
 * does.  -ENOTDIR / -ENOENT / -EACCES for a bad DIR. */
int soswap_links_plan(soswap_links **out, const char *dir, soswap_err *err);
size_t soswap_links_count(const soswap_links *l);
const struct soswap_link_action *soswap_links_get(const soswap_links *l,
						  size_t i);
/* Carry out the plan: each link that needs it is created as a symlink
 * under a temporary name that does not match lib*.so*, then renamed over
 * the soname (atomic: a reader sees the old or the new link, never none),
 * and the directory is fsync'd.  Returns the number of links changed or
 * the first error (later links are still attempted). */
int soswap_links_apply(soswap_links *l, soswap_err *err);
void soswap_links_free(soswap_links *l);

enum soswap_abi_verdict {		/* values are abidiff's exit bits */
	SOSWAP_ABI_SAME = 0,
	SOSWAP_ABI_COMPATIBLE = 4,
	SOSWAP_ABI_INCOMPATIBLE = 12,
};

/* One difference found by soswap_abidiff_files(). */
struct soswap_abi_change {
	int incompatible;	/* breaks existing callers */
	const char *kind;	/* "symbol-removed", "symbol-added", "type-changed",
				   "size-changed", "version-removed", "soname-changed",
				   "signature-changed", "layout-changed", ... */
	const char *symbol;	/* name[@version], or NULL */
	const char *detail;	/* one human line */
};

typedef struct soswap_abidiff soswap_abidiff;

#define SOSWAP_ABIDIFF_NO_DWARF 0x1	/* compare symbol tables only */

/* Compare two builds of a library (src/lib/abidiff.c, abidiff-dwarf.c,
 * debuginfo.c).  Always compares the dynamic symbol tables:
 *   incompatible: exported name@version removed, symbol changed between
 *     function / data object / TLS object, exported object changed size,
 *     version definition removed, SONAME or class/machine changed;
 *   compatible: symbols or versions added.
 * When both carry DWARF (in the file or as separate debug info found by
 * build-id or .gnu_debuglink, the way gdb looks) and SOSWAP_ABIDIFF_NO_DWARF
 * is not set, also compares the signatures of exported functions (return
 * type, parameter count and types) and the layout (size, member offsets
 * and types, enumerators) of every type reachable from exported functions
 * and objects through pointers, typedefs, qualifiers and arrays; a changed
 * signature or layout is incompatible, an added member that keeps size and
 * offsets or an added enumerator is compatible.
 * Returns 0 and fills *out (free with soswap_abidiff_free), or a negative
 * errno: -ENOENT/-ENOEXEC/... when a file cannot be opened or parsed.
 * Unreadable or corrupt DWARF is not an error: the DWARF pass is skipped
 * (soswap_abidiff_used_dwarf() says 0).
 * Hazard: separate debug info is looked up through libdwfl, which also
 * asks debuginfod servers when DEBUGINFOD_URLS is set in the environment. */
int soswap_abidiff_files(soswap_abidiff **out, const char *old_path,
			 const char *new_path, unsigned flags, soswap_err *err);

/* Same with options.  opts may be NULL (all defaults). */
struct soswap_abidiff_opts {
	unsigned flags;		/* SOSWAP_ABIDIFF_* */
	const char *debug_dir;	/* global debug directory, default
				   /usr/lib/debug (holds .build-id/xx/yyyy.debug
				   and debuglink targets under the library's dir) */
};
int soswap_abidiff_files_opts(soswap_abidiff **out, const char *old_path,
			      const char *new_path,
			      const struct soswap_abidiff_opts *opts,
			      soswap_err *err);

/* SOSWAP_ABI_SAME when there is no change, SOSWAP_ABI_INCOMPATIBLE when any
 * change is incompatible, else SOSWAP_ABI_COMPATIBLE.  NULL gives SAME. */
enum soswap_abi_verdict soswap_abidiff_verdict(const soswap_abidiff *d);
/* Changes in a stable order: header, versions, symbols, then DWARF.
 * soswap_abidiff_change returns NULL when i is out of range. */
size_t soswap_abidiff_count(const soswap_abidiff *d);
const struct soswap_abi_change *soswap_abidiff_change(const soswap_abidiff *d,
						      size_t i);
/* Whether DWARF was compared (both sides had it). */
int soswap_abidiff_used_dwarf(const soswap_abidiff *d);
/* The file the DWARF of the old (which = 0) or new (1) library was read
 * from (the library itself or its separate debug file), or NULL when
 * DWARF was not compared. */
const char *soswap_abidiff_debug_file(const soswap_abidiff *d, int which);
void soswap_abidiff_free(soswap_abidiff *d);

/* --- install and rollback (src/lib/install.c) ---
 *
 * Layouts.  "symlink": DIR/SONAME is a symlink to a real name in DIR (the
 * ldconfig layout); install writes the real name and flips the link.
 * "file": DIR/SONAME is a regular file (Debian's libssl.so.3); install
 * replaces that file by rename and keeps the previous content in the state
 * directory, where neither the loader nor ldconfig looks.
 *
 * State.  The previous versions are recorded per directory and soname in
 * $SOSWAP_STATE_DIR (default /var/lib/soswap) under the directory's real
 * path, e.g. /var/lib/soswap/usr/local/lib/libfoo.so.1.state; rollback
 * uses them.  At most SOSWAP_STATE_MAX_PREVIOUS are kept.
 *
 * Crash safety.  Every step is either invisible to the loader (temporary
 * names start with ".soswap-", never matching lib*.so*) or a rename(2)
 * (atomic): killed at any point, the soname resolves to the complete old or
 * the complete new file.  For tests, SOSWAP_TEST_STOP_AT=N in the
 * environment makes install raise SIGKILL just before step N:
 *   1 create the temporary file in DIR (O_CREAT|O_EXCL)
 *   2 write NEW into it, fsync, fchmod 0644
 *   3 rename it to the real name (file layout: first copy the previous
 *     version into the state directory)
 *   4 fsync DIR
 *   5 record the previous version in the state file (tmp, fsync, rename)
 *   6 create the new soname symlink under a temporary name
 *   7 rename it over the soname (file layout: rename the temporary file
 *     over the soname)
 *   8 fsync DIR
 *   9 update the link name (--link-name), fsync DIR
 *  10 run ldconfig (new soname in a directory of the ld.so.cache set)
 */

#define SOSWAP_STATE_MAX_PREVIOUS 32

struct soswap_install_opts {
	const char *dir;	/* target directory; NULL means /usr/local/lib */
	const char *version;	/* "1.2.3": real name STEM.so.1.2.3; NULL: from
				   NEW's file name */
	int link_name;		/* also point STEM.so at the soname */
	int force;		/* go on despite an incompatible ABI, a downgrade
				   or a file owned by a Debian package */
	int dry_run;		/* check everything, change nothing */
};

struct soswap_install_info {
	const char *dir;	/* real path of DIR */
	const char *soname;
	const char *real_name;	/* installed name in DIR (file layout: SONAME) */
	const char *previous;	/* what SONAME pointed at, or NULL when new */
	const char *previous_path; /* the previous version's file, or NULL */
	dev_t previous_dev;	/* its identity (to find processes mapping it) */
	ino_t previous_ino;
	int layout_file;	/* SONAME is a regular file */
	int new_soname;		/* SONAME did not exist in DIR */
	int unchanged;		/* NEW was already installed: nothing done */
	int abi_checked;	/* compared with the previous version */
	enum soswap_abi_verdict abi;
	int downgrade;		/* NEW's version is older than the previous */
	const char *dpkg_owner;	/* package owning the replaced file, or NULL */
	const char *saved_copy;	/* file layout: where the previous content went */
	const char *link_name;	/* "libfoo.so" when updated, else NULL */
	int ldconfig;		/* ldconfig was (or, dry run, would be) run */
	int dry_run;
	size_t nsteps;		/* what was done (or would be), one line each */
	const char *const *steps;
};

typedef struct soswap_install soswap_install;

/* Install the shared library NEW into opts->dir (see above for layouts,
 * state and steps).  Refuses, with one line in *err and nothing changed:
 * DIR not a writable directory (-ENOTDIR, -EACCES, -EROFS); NEW not an
 * ELF shared library, or of another class/machine than the version it
 * replaces (-ENOEXEC); NEW without SONAME, or a SONAME that does not carry
 * the real name's major version, or no version in NEW's name and no
 * opts->version (-EINVAL); the real name existing with other content
 * (-EEXIST); the soname link or link name pointing outside DIR (-EXDEV);
 * and, unless opts->force: an incompatible ABI under the same soname, a
 * downgrade, a replaced file owned by a Debian package (-EPERM).
 * Returns 0 and a handle describing what was done (*out), or -errno.
 * Hazard: runs `dpkg -S` and possibly `ldconfig` as child processes. */
int soswap_install_run(soswap_install **out, const char *new_path,
		       const struct soswap_install_opts *opts, soswap_err *err);
const struct soswap_install_info *soswap_install_get(const soswap_install *h);
/* The ABI comparison with the previous version, or NULL. */
const soswap_abidiff *soswap_install_abidiff(const soswap_install *h);
void soswap_install_free(soswap_install *h);

struct soswap_rollback_info {
	char dir[4096];
	char soname[SOSWAP_NAME_MAX];
	char from[SOSWAP_NAME_MAX];	/* what SONAME pointed at */
	char to[SOSWAP_NAME_MAX];	/* what it points at now */
	char retired[4096];		/* where `from` was moved, or "" */
	int layout_file;
	int fixed_state;	/* SONAME already pointed at `to` (an interrupted
				   install or rollback): only the record changed */
};

/* Point SONAME in DIR (NULL: /usr/local/lib) back at the most recent
 * previous version recorded by soswap_install, atomically (temporary
 * symlink + rename; file layout: the saved copy is written to a temporary
 * file and renamed over SONAME).  The real name rolled back from is moved
 * into the state directory so that a later `ldconfig` does not point the
 * soname at it again.  -ENOENT when nothing is recorded. */
int soswap_rollback(struct soswap_rollback_info *out, const char *soname,
		    const char *dir, soswap_err *err);

/* ------------------------------------------------------------------ */
/* Process scan (src/lib/procscan.c)                                   */
/* ------------------------------------------------------------------ */
/* (section owned by the who/stale work; the maps API below is used by the
 * live swap too) */

/* One line of /proc/PID/maps.  dev/ino come from stat() of
 * /proc/PID/map_files/START-END when that is readable (the numbers printed
 * in maps differ from stat's on btrfs and overlayfs), else from the maps
 * line itself (ident_from_maps = 1). */
struct soswap_mapping {
	uint64_t start, end, offset;
	char perms[5];		/* "r-xp" */
	dev_t dev;
	ino_t ino;
	const char *path;	/* without the " (deleted)" suffix; NULL if anonymous */
	int deleted;		/* the maps line ended in " (deleted)" */
	int ident_from_maps;
};

typedef struct soswap_maps soswap_maps;

/* Read and parse /proc/PID/maps.  -ESRCH when the process is gone,
 * -EACCES/-EPERM when it cannot be inspected. */
int soswap_maps_read(soswap_maps **out, pid_t pid, soswap_err *err);
size_t soswap_maps_count(const soswap_maps *m);
const struct soswap_mapping *soswap_maps_get(const soswap_maps *m, size_t i);
void soswap_maps_free(soswap_maps *m);

/* Which processes map a library (soswap_who) and which run libraries that
 * were deleted or replaced on disk (soswap_stale).  Both scan /proc once:
 * /proc/PID/maps of every process, plus stat of /proc/PID/map_files only
 * for the mappings that matter and a per-path stat cache.  Files are
 * matched by device and inode, never by path text.
 *
 * The calling process itself is never reported.
 *
 * Hazards: the result is a snapshot; processes start and exit meanwhile
 * (those exiting during the scan are skipped without error).  Without
 * root, processes of other users cannot be read: they are counted in
 * soswap_scan_denied() and otherwise left out.  Paths are as the kernel
 * prints them for the caller (a chrooted process's paths include its
 * root directory); for a process in another mount namespace (container)
 * the current file behind a path is looked up through /proc/PID/root. */

enum soswap_stale_kind {
	SOSWAP_STALE_NONE = 0,	/* who: the mapped file is the one given */
	SOSWAP_STALE_DELETED,	/* unlinked, nothing at its path any more */
	SOSWAP_STALE_REPLACED,	/* its path now names another file (`newer`):
				   a rename over it, or unlink then create */
	SOSWAP_STALE_REWRITTEN,	/* same inode, content modified (mtime) after
				   the process started: `cp` over it.  Unsafe:
				   the process runs a mix of old and new pages */
	SOSWAP_STALE_CHANGED,	/* same inode, only its ctime is later than the
				   process start: rewritten with the old mtime
				   kept (cp -p), or merely chmod/chown'ed or
				   (un)linked, e.g. hard-linked into perf's
				   ~/.debug cache.  May be unsafe; cannot be
				   told apart, so only reported with
				   SOSWAP_SCAN_CTIME */
};

/* Process flags (soswap_proc_map.flags). */
enum {
	/* The live-swap journal says the process was moved off this file by
	 * `soswap live` (or `upgrade --live`) and runs the new version
	 * (swapped_to) although its maps still name the old file.  soswap_who
	 * reports such processes with this flag; soswap_stale leaves them
	 * out: they are not stale. */
	SOSWAP_PROC_SWAPPED = 1 << 0,
};

/* One process mapping one library file. */
struct soswap_proc_map {
	pid_t pid;
	uid_t uid;		/* owner of /proc/PID (the real user) */
	const char *comm;	/* /proc/PID/comm */
	const char *cmdline;	/* argv joined by spaces ("" when unreadable) */
	const char *path;	/* the mapping's path as the process sees it,
				   without " (deleted)" */
	uint64_t base;		/* start of the mapping of file offset 0 (the
				   load base), else of the lowest mapping */
	dev_t dev;		/* identity of the file mapped */
	ino_t ino;
	int deleted;		/* maps said " (deleted)" */
	int ident_from_maps;	/* dev/ino from the maps line (no map_files) */
	int64_t start_ns;	/* process start, ns since the epoch, or -1 */
	unsigned flags;		/* SOSWAP_PROC_* */
	const char *swapped_to;	/* SOSWAP_PROC_SWAPPED: the file it runs */
};

/* One library and the processes mapping it. */
struct soswap_lib_group {
	const char *path;	/* who: the file as given; stale: the path
				   the processes mapped it under */
	dev_t dev;		/* identity of the file mapped (for stale the
				   old one) */
	ino_t ino;
	enum soswap_stale_kind kind;
	int unsafe;		/* kind REWRITTEN or CHANGED */
	const char *newer;	/* stale: the path when it now names another
				   file (REPLACED), else NULL */
	size_t first, count;	/* its processes: soswap_scan_get(first..) */
};

typedef struct soswap_scan soswap_scan;

/* Options for a scan; a NULL pointer means all defaults. */
struct soswap_scan_opts {
	const pid_t *pids;	/* scan only these processes (NULL: all) */
	size_t npids;
	/* Called every few processes (done <= total) from the scanning
	 * thread; may be NULL. */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
	unsigned flags;		/* SOSWAP_SCAN_* */
};

/* soswap_scan_opts.flags */
enum {
	/* stale: also report SOSWAP_STALE_CHANGED (ctime-only) libraries. */
	SOSWAP_SCAN_CTIME = 1 << 0,
	/* Read the whole maps text of every process instead of first asking
	 * the kernel for executable file mappings only (PROCMAP_QUERY, Linux
	 * 6.11+; older kernels always get the text).  Same results, slower;
	 * for tests and comparisons. */
	SOSWAP_SCAN_TEXT_ONLY = 1 << 1,
	/* who: read of each process found only what a table shows (pid,
	 * owner, command name, path, base): cmdline is "" and start_ns -1,
	 * which spares reading /proc/PID/cmdline and /proc/PID/stat.  stale
	 * ignores it (it needs start times). */
	SOSWAP_SCAN_BRIEF = 1 << 2,
};

/* Find every process mapping the code of any of `files` (nfiles >= 1):
 * at least one executable mapping of the file, which every library loaded
 * by ld.so or dlopen has; a process that only mmaps the bytes read-only
 * (a tool reading the ELF file) is not a user.  Matched by st_dev/st_ino
 * of stat(file) (symlinks followed), so a soname link, a hard link or a
 * bind-mounted or chroot path finds the same processes.  Processes a
 * live swap moved onto a file's version count as its users too: they map
 * the copy soswap staged of it (same content, see soswap_live_swap).
 * One group per file, in the order given (processes by pid).
 * Returns 0, -ENOENT & co. when a file cannot be stat'ed (naming it),
 * -ENOMEM, or -EACCES when /proc cannot be read at all. */
int soswap_who(soswap_scan **out, const char *const *files, size_t nfiles,
	       const struct soswap_scan_opts *opts, soswap_err *err);

/* Find processes mapping libraries that were deleted, replaced or
 * rewritten after the process started.  "A library" is a mapped file whose
 * name matches *.so or *.so.*, or an executable mapping of an ELF ET_DYN
 * file that is not the process's main program; memfd, SysV and /dev/shm
 * segments, anonymous mappings and non-ELF temp files (JIT, libffi
 * trampolines) are never reported.  `filter` (NULL: none) keeps only
 * libraries whose path is that file (or whose current file is it) or lies
 * under that directory.  Groups are sorted by path. */
int soswap_stale(soswap_scan **out, const char *filter,
		 const struct soswap_scan_opts *opts, soswap_err *err);

size_t soswap_scan_groups(const soswap_scan *s);
const struct soswap_lib_group *soswap_scan_group(const soswap_scan *s, size_t i);
size_t soswap_scan_count(const soswap_scan *s);	/* process entries */
const struct soswap_proc_map *soswap_scan_get(const soswap_scan *s, size_t i);
/* Processes whose maps were read / could not be read for lack of
 * permission. */
size_t soswap_scan_scanned(const soswap_scan *s);
size_t soswap_scan_denied(const soswap_scan *s);
/* Name of a stale kind: "current", "deleted", "replaced", "rewritten",
 * "changed". */
const char *soswap_stale_kind_name(enum soswap_stale_kind kind);
void soswap_scan_free(soswap_scan *s);

/* ------------------------------------------------------------------ */
/* Live swap (src/lib/live*.c, ptrace.c, remote.c, journal.c)          */
/* ------------------------------------------------------------------ */
/* (section owned by the live-swap work) */

/* soswap_live_swap() replaces library OLD by NEW inside the running process
 * pid, without restarting it:
 *
 *  1. Preflight, target untouched: permission, kernel.yama.ptrace_scope,
 *     an existing tracer (TracerPid), seccomp (a warning), mount namespace
 *     (NEW is reached through /proc/PID/root); NEW must be an ELF shared
 *     object of the target's class and machine, define every OLD symbol
 *     any module of the target imports (else refused, listing them), and
 *     it and every directory on its path must be owned by root or the
 *     target's user and not writable by anyone else (a sticky root-owned
 *     directory such as /tmp is accepted: nobody else can replace an
 *     entry in it).  Every byte to write is computed here.
 *  2. Load: NEW is copied into the state directory under a name made of
 *     its content hash (dlopen() returns an already loaded object when the
 *     path or the file matches one, so NEW needs a file of its own) and
 *     dlopen()ed with RTLD_NOW | RTLD_LOCAL by a hijacked target thread
 *     while the others keep running.  NEW's constructors run then, before
 *     the switch.  When the target already holds that exact file (a swap
 *     back to an earlier version), it is reused and nothing is loaded.
 *  3. The pause: every thread is stopped; when a thread's program counter
 *     or a word of its stack points into the bytes about to be
 *     overwritten, the threads are resumed briefly and stopping is retried
 *     until the timeout.  Then every GOT slot (JUMP_SLOT, GLOB_DAT, lazy
 *     slots included) of every module that resolves to any loaded version
 *     of the library other than NEW is pointed at NEW's definition, and a
 *     jump to NEW's function is written at the entry of each exported
 *     function of the older versions (functions too small for the jump or
 *     with a branch into its bytes are skipped and reported); a version
 *     that becomes current again gets its entry bytes back, so every older
 *     version leads straight to the newest.  Threads then resume; a thread
 *     inside an old function finishes it on the old code.
 *  4. Every write is recorded (address, old bytes, new bytes) in a journal
 *     under the run directory ($SOSWAP_RUN_DIR, /run/soswap for root,
 *     else $XDG_RUNTIME_DIR/soswap) and fsynced before it is made, so
 *     soswap_live_rollback() can undo a swap, even one interrupted by the
 *     death of soswap.
 *
 * State: exported data objects that OLD and NEW define with the same size
 * and type keep OLD's instance (NEW's references are bound to it), so the
 * program's data and the pointers it took stay valid.  A changed object is
 * refused unless NEW exports soswap_migrate(); one copy-relocated into the
 * executable that changed size is always refused.  File-scope (static)
 * variables of OLD are NOT carried over: NEW starts with its own.
 *
 * Hazards: the target is stopped for the pause only (microseconds), but
 * NEW's constructors and the dlopen run inside it.  Old versions stay
 * mapped (each swap to a version not yet loaded maps one more copy).
 */

/* A hook NEW may export: called inside the target during the pause, with
 * every other thread stopped, just before the switch, with OLD's handle
 * (its struct link_map, usable with dlsym()).  A non-zero return aborts
 * the swap with nothing changed.  It must not block on locks nor allocate
 * (a stopped thread may hold the allocator's or the loader's lock), and
 * its time counts in the pause.  Use it to copy or convert state whose
 * layout changed (then objects that changed size are accepted). */
int soswap_migrate(void *old_handle);

#define SOSWAP_LIVE_DRY_RUN		0x1	/* plan and report, change nothing */
#define SOSWAP_LIVE_NO_ENTRY_JUMPS	0x2	/* rewrite GOT slots only */

struct soswap_live_opts {
	int timeout_ms;		/* for the load and the pause; 0 = 5000 */
	unsigned flags;		/* SOSWAP_LIVE_* */
};

typedef struct soswap_live_report soswap_live_report;

/* What a swap (or a rollback) did.  Times in nanoseconds, CLOCK_MONOTONIC. */
struct soswap_live_stats {
	unsigned modules_patched;	/* modules with a GOT slot rewritten */
	unsigned got_slots;		/* GOT slots rewritten */
	unsigned entry_jumps;		/* entry jumps written */
	unsigned entries_restored;	/* NEW's entries given their bytes back */
	unsigned functions_skipped;	/* functions left without an entry jump */
	unsigned data_shared;		/* NEW's references bound to OLD's objects */
	unsigned data_migrated;		/* changed objects (soswap_migrate) */
	unsigned writes;		/* writes made (spans merge several) */
	unsigned retries;		/* pauses retried: a thread was in the way */
	unsigned threads_stepped;	/* single-stepped out of the entry bytes */
	int reused;			/* NEW was already loaded in the target */
	int dry_run, rollback;
	int migrate_called;
	uint64_t stop_ns;	/* first interrupt -> last thread stopped */
	uint64_t patch_ns;	/* last thread stopped -> first resumed */
	uint64_t pause_ns;	/* first thread stopped -> last resumed */
	uint64_t total_ns;	/* the whole call */
	uint64_t load_ns;	/* the remote dlopen of NEW (0 when reused) */
};

/* Swap OLD for NEW in process pid.  OLD names the library as mapped in the
 * target: its path, SONAME or file name (a "(deleted)" mapping works).
 * NEW is the path of the new build.  opts may be NULL.  On success
 * *report (free with soswap_live_report_free) says what was done.
 * Errors: -ESRCH no such process (or it exited), -EPERM/-EACCES not
 * allowed, -EBUSY already traced, -ENOENT OLD not mapped or NEW missing
 * symbols, -ENOEXEC NEW of another class/machine, -EINVAL NEW unsafe or
 * refused (changed objects), -ETIMEDOUT a thread stayed in the way. */
int soswap_live_swap(pid_t pid, const char *old_lib, const char *new_path,
		     const struct soswap_live_opts *opts,
		     soswap_live_report **report, soswap_err *err);

/* Undo the last swap of pid that was not undone yet, from its journal
 * (also a swap interrupted half-way).  Each byte range is restored only
 * when it still holds what the swap wrote (or already the old bytes).
 * -ENOENT when there is nothing to roll back. */
int soswap_live_rollback(pid_t pid, const struct soswap_live_opts *opts,
			 soswap_live_report **report, soswap_err *err);

const struct soswap_live_stats *soswap_live_report_stats(const soswap_live_report *r);
/* OLD as found in the target (its l_name) and the path NEW was loaded
 * from inside the target. */
const char *soswap_live_report_old(const soswap_live_report *r);
const char *soswap_live_report_new(const soswap_live_report *r);
/* The journal file, or NULL for a dry run. */
const char *soswap_live_report_journal(const soswap_live_report *r);
/* ABI verdict of OLD -> NEW (enum soswap_abi_verdict), -1 if unknown. */
int soswap_live_report_abi(const soswap_live_report *r);
/* Modules whose GOT was rewritten, with the number of slots. */
size_t soswap_live_report_module_count(const soswap_live_report *r);
const char *soswap_live_report_module(const soswap_live_report *r, size_t i,
				      unsigned *slots);
/* Functions skipped (name[@version]) and why. */
size_t soswap_live_report_skipped_count(const soswap_live_report *r);
const char *soswap_live_report_skipped(const soswap_live_report *r, size_t i,
				       const char **reason);
/* Warnings (seccomp, static state not carried over, ...). */
size_t soswap_live_report_warning_count(const soswap_live_report *r);
const char *soswap_live_report_warning(const soswap_live_report *r, size_t i);
void soswap_live_report_free(soswap_live_report *r);

/* ------------------------------------------------------------------ */
/* Upgrade: install + live swap of every user (src/lib/upgrade.c)       */
/* ------------------------------------------------------------------ */

enum soswap_upgrade_state {
	SOSWAP_UPGRADE_SWAPPED = 1,	/* runs the new version (live swap) */
	SOSWAP_UPGRADE_FAILED,		/* the live swap failed: `reason` */
	SOSWAP_UPGRADE_NEEDS_RESTART,	/* not swapped (no --live, or it cannot be) */
	SOSWAP_UPGRADE_PLANNED,		/* dry run: would be swapped */
	SOSWAP_UPGRADE_EXITED,		/* went away meanwhile */
	SOSWAP_UPGRADE_ROLLED_BACK,	/* rollback: swapped back to the old version */
};

/* One process an upgrade dealt with. */
struct soswap_upgrade_proc {
	pid_t pid;
	int64_t start_ns;	/* process start (identity with pid), or -1 */
	const char *comm;
	const char *cmdline;	/* argv joined by spaces, "" when unknown */
	const char *old_path;	/* the library as the process mapped it */
	const char *new_path;	/* what it was (or would be) swapped to */
	enum soswap_upgrade_state state;
	const char *reason;	/* why FAILED / NEEDS_RESTART, else NULL */
	uint64_t pause_ns;	/* the live swap's pause */
};

struct soswap_upgrade_opts {
	/* install (see struct soswap_install_opts) */
	const char *dir;
	const char *version;
	int link_name;
	int force;
	int dry_run;		/* plan only: nothing installed or swapped */
	int live;		/* live-swap every process (else: report them) */
	int timeout_ms;		/* per live swap; 0 = its default */
	/* called before each swap (done < total) and once at the end */
	void (*progress)(void *arg, size_t done, size_t total, pid_t pid);
	void *progress_arg;
};

typedef struct soswap_upgrade soswap_upgrade;

/* Install NEW (soswap_install_run, with its ABI, downgrade and package
 * checks), find every process mapping the version it replaced (by device
 * and inode), and with opts->live swap each onto the installed file.  The
 * processes swapped are recorded for soswap_upgrade_rollback().  A process
 * that cannot be swapped does not make the call fail: it is listed as
 * FAILED with the reason (see soswap_upgrade_complete()).  Returns 0 or
 * the install's error. */
int soswap_upgrade_run(soswap_upgrade **out, const char *new_path,
		       const struct soswap_upgrade_opts *opts, soswap_err *err);

/* After a package manager replaced libraries on disk: every process that
 * maps a library whose path now names another file is swapped (opts->live)
 * onto that file; processes whose library was deleted or rewritten in
 * place are listed as NEEDS_RESTART.  `filter` as for soswap_stale().
 * Only opts->live, dry_run, timeout_ms and progress are used. */
int soswap_upgrade_stale(soswap_upgrade **out, const char *filter,
			 const struct soswap_upgrade_opts *opts, soswap_err *err);

/* Undo the last upgrade of SONAME in opts->dir: the soname link on disk
 * (soswap_rollback) and the live swap of every process it swapped that is
 * still running (same pid and start time). */
int soswap_upgrade_rollback(soswap_upgrade **out, const char *soname,
			    const struct soswap_upgrade_opts *opts, soswap_err *err);

/* The install done (run only), the rollback done (rollback only). */
const soswap_install *soswap_upgrade_install(const soswap_upgrade *u);
const struct soswap_rollback_info *soswap_upgrade_rollback_info(const soswap_upgrade *u);
size_t soswap_upgrade_count(const soswap_upgrade *u);
const struct soswap_upgrade_proc *soswap_upgrade_get(const soswap_upgrade *u, size_t i);
/* 1 when no process is left on the old version (none FAILED,
 * NEEDS_RESTART or PLANNED). */
int soswap_upgrade_complete(const soswap_upgrade *u);
const char *soswap_upgrade_state_name(enum soswap_upgrade_state s);
void soswap_upgrade_free(soswap_upgrade *u);

#ifdef __cplusplus
}
#endif

#endif /* SOSWAP_H */
