/* elf-internal.h - the layout of soswap_elf, shared by the files that need
 * more than the public accessors (resolution caches, ABI diff, live swap). */
#ifndef SOSWAP_ELF_INTERNAL_H
#define SOSWAP_ELF_INTERNAL_H

#include <gelf.h>
#include <sys/stat.h>

#include "internal.h"

struct soswap_elf {
	char *path;
	unsigned char *map;	/* whole file, private mapping or malloc copy */
	size_t size;
	int mapped;
	dev_t dev;
	ino_t ino;
	Elf *e;
	GElf_Ehdr ehdr;
	GElf_Phdr *phdrs;
	size_t phnum;
	enum soswap_elf_kind kind;

	char *interp;
	char *build_id;
	const char *strtab;	/* points into map, strsz bytes; NULL until mapped */
	uint64_t strsz;
	uint64_t stroff;	/* file offset of the dynamic string table */

	/* Headers-only objects (soswap__elf_open_headers): no mapping until
	 * symbols or relocations are asked for; the file is then reopened
	 * by `reopen` (NULL: open(2)) and must still be the same inode. */
	int headers_only;
	int (*reopen)(const void *ctx, const char *path);
	const void *reopen_ctx;
	char **owned;		/* string windows read with pread */
	size_t nowned;
	struct elf_note_seg { unsigned char *buf; size_t len; } *notes;	/* per phdr */
	const char *soname, *rpath, *runpath;
	const char **needed;
	size_t nneeded;
	uint64_t flags, flags_1;
	int has_dynamic, textrel, bind_now, has_relro;
	uint64_t dynamic_vaddr;

	/* raw DT_* values, each with a has_ flag where 0 is a valid value */
	uint64_t dt_symtab, dt_syment, dt_hash, dt_gnu_hash, dt_versym;
	uint64_t dt_verdef, dt_verdefnum, dt_verneed, dt_verneednum;
	uint64_t dt_rela, dt_relasz, dt_rel, dt_relsz;
	uint64_t dt_jmprel, dt_pltrelsz, dt_pltrel;
	uint64_t dt_init, dt_init_array, dt_init_arraysz;
	int has_symtab, has_hash, has_gnu_hash, has_versym, has_verdef;
	int has_verneed, has_rela, has_rel, has_jmprel;

	/* lazily parsed */
	int syms_loaded, syms_status;
	soswap_err syms_err;
	struct soswap_sym *syms;
	size_t nsyms;
	struct soswap_verdef *verdefs;
	size_t nverdefs;
	struct soswap_verneed *verneeds;
	size_t nverneeds;
	int relocs_loaded, relocs_status;
	struct soswap_reloc *relocs;
	size_t nrelocs;
};

/* String at `off` in the dynamic string table, or NULL if out of range. */
const char *soswap__elf_str(const soswap_elf *elf, uint64_t off);

/* soswap_elf_open() on an already open descriptor (not closed; the
 * mapping outlives it); `path` names the file in messages.  `known` is
 * the descriptor's fstat() when the caller has it, else NULL. */
int soswap__elf_open_fd(soswap_elf **out, int fd, const char *path,
			const struct stat *known, soswap_err *err);

/* soswap_elf_open() for a dependency resolver: reads only the ELF and
 * program headers, PT_INTERP, the dynamic section with the strings it
 * names and the PT_NOTE segments, with pread() - a handful of small reads
 * instead of mapping the whole file.  `head` holds the file's first
 * `headlen` bytes when the caller has read them already (else NULL).
 * Symbols, versions and relocations are read on first use, by reopening
 * `path` with `reopen(ctx, path)` (NULL: open(2)) and checking that it is
 * still the same file; soswap_elf_bytes() gives NULL until then.  Objects
 * other than 64-bit little-endian are opened in full. */
int soswap__elf_open_headers(soswap_elf **out, int fd, const char *path,
			     const struct stat *st, const void *head, size_t headlen,
			     int (*reopen)(const void *ctx, const char *path),
			     const void *reopen_ctx, soswap_err *err);

/* Notes: the bytes of PT_NOTE program header `i` in host byte order
 * (NULL when unreadable) and a walk over them.  soswap__elf_note_next()
 * fills `n` with the note at *off, advances *off and returns 1, or returns
 * 0 at the end or at a note that does not fit. */
struct soswap__note {
	uint32_t type, namesz, descsz;
	const char *name;
	const unsigned char *desc;
};
const unsigned char *soswap__elf_note_segment(soswap_elf *elf, size_t i, size_t *len);
int soswap__elf_note_next(const unsigned char *buf, size_t len, size_t align, size_t *off,
			  struct soswap__note *n);

#endif
