/* elf.c - read ELF objects the way the dynamic loader sees them.
 *
 * The file is mapped privately and handed to libelf with elf_memory().  The
 * dynamic section is found through PT_DYNAMIC (as ld.so does, so stripped
 * section headers do not matter) and its tables (strings, symbols, versions,
 * relocations) through their DT_* addresses, translated to file offsets via
 * the PT_LOAD segments.  libelf's elf_getdata_rawchunk() converts byte order
 * and refuses ranges past the end of the file; every count and string offset
 * is checked here as well, because the input is untrusted.
 *
 * A dependency resolver needs only the headers, the dynamic section and a
 * few of its strings from each of hundreds of files: for it,
 * soswap__elf_open_headers() reads just those with pread(), which costs far
 * less than mapping (and unmapping) every file, and maps the file only if
 * symbols or relocations are asked for later.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dynload.h"
#include "elf-internal.h"

/* Sanity caps: far above anything real, low enough to stop a hostile file
 * from making us allocate gigabytes. */
#define MAX_PHNUM 65535
#define MAX_DYN_ENTRIES (1u << 20)
#define MAX_SYMBOLS (1u << 24)
#define MAX_VERSIONS (1u << 16)
#define MAX_RELOCS (1u << 26)

/* libelf is loaded on first use, like the other libraries soswap needs
 * only for some commands (dynload.h): `soswap who` reads no ELF file at
 * all, and loading libelf (with libz) was a tenth of its run time.  The
 * names below stand for the loaded functions. */
#define LIBELF_FUNCS(X) \
	X(elf_version) \
	X(elf_errmsg) \
	X(elf_memory) \
	X(elf_end) \
	X(elf_kind) \
	X(elf_getphdrnum) \
	X(elf_getshdrnum) \
	X(elf_nextscn) \
	X(elf_getdata_rawchunk) \
	X(gelf_fsize) \
	X(gelf_getehdr) \
	X(gelf_getphdr) \
	X(gelf_getshdr) \
	X(gelf_getdyn) \
	X(gelf_getsym) \
	X(gelf_getverdef) \
	X(gelf_getverdaux) \
	X(gelf_getverneed) \
	X(gelf_getvernaux) \
	X(gelf_getrela) \
	X(gelf_getrel)

static struct {
#define X(f) __typeof__(f) *f;
	LIBELF_FUNCS(X)
#undef X
} libelf;
static const struct soswap__dynsym libelf_syms[] = {
#define X(f) { #f, (void **)&libelf.f },
	LIBELF_FUNCS(X)
#undef X
};
static struct soswap__dynlib libelf_lib = SOSWAP__DYNLIB(SOSWAP_LIBELF_SONAME, "libelf1",
							 libelf_syms);

#define elf_version (libelf.elf_version)
#define elf_errmsg (libelf.elf_errmsg)
#define elf_memory (libelf.elf_memory)
#define elf_end (libelf.elf_end)
#define elf_kind (libelf.elf_kind)
#define elf_getphdrnum (libelf.elf_getphdrnum)
#define elf_getshdrnum (libelf.elf_getshdrnum)
#define elf_nextscn (libelf.elf_nextscn)
#define elf_getdata_rawchunk (libelf.elf_getdata_rawchunk)
#define gelf_fsize (libelf.gelf_fsize)
#define gelf_getehdr (libelf.gelf_getehdr)
#define gelf_getphdr (libelf.gelf_getphdr)
#define gelf_getshdr (libelf.gelf_getshdr)
#define gelf_getdyn (libelf.gelf_getdyn)
#define gelf_getsym (libelf.gelf_getsym)
#define gelf_getverdef (libelf.gelf_getverdef)
#define gelf_getverdaux (libelf.gelf_getverdaux)
#define gelf_getverneed (libelf.gelf_getverneed)
#define gelf_getvernaux (libelf.gelf_getvernaux)
#define gelf_getrela (libelf.gelf_getrela)
#define gelf_getrel (libelf.gelf_getrel)

/* Load libelf once; every way of mapping an object calls this first.
 * (elf_version() only records the version: calling it again is free.) */
static int libelf_ready(soswap_err *err)
{
	int r = soswap__dynload(&libelf_lib, "libelf", err);
	if (r == 0 && elf_version(EV_CURRENT) == EV_NONE)
		return soswap__fail(err, -ENOSYS, "libelf: %s", elf_errmsg(-1));
	return r;
}

static int bad(soswap_elf *elf, soswap_err *err, const char *why)
{
	return soswap__fail(err, -ENOEXEC, "%s: corrupt ELF file (%s)",
			    elf->path, why);
}

int soswap_elf_vaddr_to_offset(const soswap_elf *elf, uint64_t vaddr,
			       uint64_t len, uint64_t *off)
{
	for (size_t i = 0; i < elf->phnum; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (vaddr < ph->p_vaddr)
			continue;
		uint64_t rel = vaddr - ph->p_vaddr;
		if (!soswap__in_bounds(rel, len, ph->p_filesz))
			continue;
		if (ph->p_offset > UINT64_MAX - rel)
			continue;
		uint64_t o = ph->p_offset + rel;
		if (!soswap__in_bounds(o, len, elf->size))
			continue;
		*off = o;
		return 0;
	}
	return -EFAULT;
}

/* A string from the dynamic string table, or NULL when `off` is out of the
 * table or the string is not terminated inside it. */
const char *soswap__elf_str(const soswap_elf *elf, uint64_t off)
{
	if (!elf->strtab || off >= elf->strsz)
		return NULL;
	const char *s = elf->strtab + off;
	if (!memchr(s, '\0', elf->strsz - off))
		return NULL;
	return s;
}

/* Where the bytes of an object being opened come from: its mapping when
 * it has one, else (headers only) the first bytes the caller read already
 * and pread() on fd. */
struct src {
	int fd;
	const unsigned char *head;
	size_t headlen;
	/* the last window of the dynamic string table read (headers only) */
	const char *win;
	uint64_t winoff, winlen;
};

/* Copy LEN bytes at file offset OFF to DST: 0, or -1 when they are not
 * all in the file. */
static int fetch(const soswap_elf *elf, const struct src *s, uint64_t off, void *dst,
		 size_t len)
{
	if (!soswap__in_bounds(off, len, elf->size))
		return -1;
	if (elf->map) {
		memcpy(dst, elf->map + off, len);
		return 0;
	}
	if (s->head && soswap__in_bounds(off, len, s->headlen)) {
		memcpy(dst, s->head + off, len);
		return 0;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(s->fd, (char *)dst + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* A buffer of LEN bytes owned by ELF (freed with it); NULL on ENOMEM. */
static char *owned_buf(soswap_elf *elf, size_t len)
{
	char **o = realloc(elf->owned, (elf->nowned + 1) * sizeof(*o));
	if (!o)
		return NULL;
	elf->owned = o;
	return (o[elf->nowned] = malloc(len ? len : 1)) ? o[elf->nowned++] : NULL;
}

/* Headers only: read [OFF, OFF + LEN) of the string table as the window
 * later lookups are served from. */
static int read_str_window(soswap_elf *elf, struct src *s, uint64_t off, uint64_t len)
{
	char *b = owned_buf(elf, len);
	if (!b)
		return -ENOMEM;
	if (fetch(elf, s, elf->stroff + off, b, len) < 0)
		return -EIO;
	s->win = b;
	s->winoff = off;
	s->winlen = len;
	return 0;
}

/* The string at OFF in the dynamic string table, or NULL when it is
 * outside the table or not terminated inside it.  Headers only: read from
 * the file, in windows that grow until the string ends. */
static const char *dyn_str(soswap_elf *elf, struct src *s, uint64_t off)
{
	if (elf->strtab || off >= elf->strsz)
		return soswap__elf_str(elf, off);
	if (s->win && off >= s->winoff && off - s->winoff < s->winlen) {
		const char *p = s->win + (off - s->winoff);
		if (memchr(p, '\0', s->winlen - (off - s->winoff)))
			return p;
	}
	for (uint64_t want = 256;; want *= 8) {
		uint64_t len = want < elf->strsz - off ? want : elf->strsz - off;
		if (read_str_window(elf, s, off, len) < 0)
			return NULL;
		if (memchr(s->win, '\0', len))
			return s->win;
		if (len == elf->strsz - off)
			return NULL;
	}
}

/* Fetch `count` entries of libelf type `type` at virtual address `vaddr`. */
static Elf_Data *chunk_at_vaddr(soswap_elf *elf, uint64_t vaddr, uint64_t count,
				Elf_Type type)
{
	size_t entsz = gelf_fsize(elf->e, type, 1, EV_CURRENT);
	if (entsz == 0 || count > UINT64_MAX / entsz)
		return NULL;
	uint64_t off;
	if (soswap_elf_vaddr_to_offset(elf, vaddr, count * entsz, &off) < 0)
		return NULL;
	return elf_getdata_rawchunk(elf->e, (int64_t)off, count * entsz, type);
}

/* libelf reports a header table past the end of the file as "no table";
 * the loader would refuse such a file, and so do we. */
static int check_header_tables(soswap_elf *elf, soswap_err *err)
{
	const GElf_Ehdr *h = &elf->ehdr;
	int cls = h->e_ident[EI_CLASS];
	size_t phent = cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t shent = cls == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (h->e_phnum && h->e_phnum != PN_XNUM) {
		if (h->e_phentsize != phent)
			return bad(elf, err, "bad program header entry size");
		if (!soswap__in_bounds(h->e_phoff, (uint64_t)h->e_phnum * phent,
				       elf->size))
			return bad(elf, err, "program headers past end of file");
	}
	if (h->e_shoff && h->e_shnum) {
		if (h->e_shentsize != shent)
			return bad(elf, err, "bad section header entry size");
		if (!soswap__in_bounds(h->e_shoff, (uint64_t)h->e_shnum * shent,
				       elf->size))
			return bad(elf, err, "section headers past end of file");
	}
	return 0;
}

static int read_phdrs(soswap_elf *elf, const struct src *s, soswap_err *err)
{
	/* Headers only: never PN_XNUM; an e_phoff of 0 means no table (the
	 * ELF specification, and libelf for the mapped reader). */
	size_t phnum = elf->ehdr.e_phoff ? elf->ehdr.e_phnum : 0;
	if (elf->e && elf_getphdrnum(elf->e, &phnum) != 0)
		return bad(elf, err, "unreadable program header count");
	if (phnum > MAX_PHNUM)
		return bad(elf, err, "too many program headers");
	if (phnum == 0)
		return 0;
	elf->phdrs = calloc(phnum, sizeof(*elf->phdrs));
	if (!elf->phdrs)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", elf->path);
	if (!elf->e) {
		/* 64-bit, host byte order: GElf_Phdr is Elf64_Phdr. */
		if (fetch(elf, s, elf->ehdr.e_phoff, elf->phdrs, phnum * sizeof(Elf64_Phdr)) < 0)
			return bad(elf, err, "program header past end of file");
	} else {
		for (size_t i = 0; i < phnum; i++)
			if (!gelf_getphdr(elf->e, (int)i, &elf->phdrs[i]))
				return bad(elf, err, "program header past end of file");
	}
	elf->phnum = phnum;
	return 0;
}

static int read_interp(soswap_elf *elf, const struct src *s, soswap_err *err)
{
	for (size_t i = 0; i < elf->phnum; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];
		if (ph->p_type != PT_INTERP)
			continue;
		if (!soswap__in_bounds(ph->p_offset, ph->p_filesz, elf->size) ||
		    ph->p_filesz == 0 || ph->p_filesz > 4096)
			return bad(elf, err, "PT_INTERP out of range");
		char buf[4096];
		if (fetch(elf, s, ph->p_offset, buf, ph->p_filesz) < 0)
			return bad(elf, err, "PT_INTERP out of range");
		size_t n = strnlen(buf, ph->p_filesz);
		if (n == ph->p_filesz)
			return bad(elf, err, "PT_INTERP not terminated");
		elf->interp = strndup(buf, n);
		if (!elf->interp)
			return -ENOMEM;
		return 0;
	}
	return 0;
}

const unsigned char *soswap__elf_note_segment(soswap_elf *elf, size_t i, size_t *len)
{
	if (i >= elf->phnum || elf->phdrs[i].p_type != PT_NOTE)
		return NULL;
	if (elf->notes) {
		*len = elf->notes[i].len;
		return elf->notes[i].buf;
	}
	const GElf_Phdr *ph = &elf->phdrs[i];
	if (!elf->e || ph->p_filesz == 0 ||
	    !soswap__in_bounds(ph->p_offset, ph->p_filesz, elf->size))
		return NULL;
	Elf_Data *d = elf_getdata_rawchunk(elf->e, (int64_t)ph->p_offset, ph->p_filesz,
					   ph->p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
	if (!d)
		return NULL;
	*len = d->d_size;
	return d->d_buf;
}

int soswap__elf_note_next(const unsigned char *buf, size_t len, size_t align, size_t *off,
			  struct soswap__note *n)
{
	size_t o = *off;
	Elf64_Nhdr h;	/* the same three words in both classes */
	if (!buf || o > len || len - o < sizeof(h))
		return 0;
	memcpy(&h, buf + o, sizeof(h));
	size_t name = o + sizeof(h);
	if (h.n_namesz > len - name)
		return 0;
	size_t desc = (name + h.n_namesz + align - 1) & ~(align - 1);
	if (desc > len || h.n_descsz > len - desc)
		return 0;
	n->type = h.n_type;
	n->namesz = h.n_namesz;
	n->descsz = h.n_descsz;
	n->name = (const char *)buf + name;
	n->desc = buf + desc;
	*off = (desc + h.n_descsz + align - 1) & ~(align - 1);
	return 1;
}

static void read_build_id(soswap_elf *elf)
{
	for (size_t i = 0; i < elf->phnum && !elf->build_id; i++) {
		size_t len = 0, off = 0;
		const unsigned char *b = soswap__elf_note_segment(elf, i, &len);
		struct soswap__note n;
		while (soswap__elf_note_next(b, len, elf->phdrs[i].p_align == 8 ? 8 : 4, &off, &n)) {
			if (n.type != NT_GNU_BUILD_ID || n.namesz != 4 ||
			    memcmp(n.name, "GNU", 4) != 0 || n.descsz == 0 || n.descsz > 64)
				continue;
			elf->build_id = malloc(n.descsz * 2 + 1);
			if (!elf->build_id)
				return;
			for (size_t k = 0; k < n.descsz; k++) {
				elf->build_id[2 * k] = "0123456789abcdef"[n.desc[k] >> 4];
				elf->build_id[2 * k + 1] = "0123456789abcdef"[n.desc[k] & 15];
			}
			elf->build_id[2 * n.descsz] = '\0';
			break;
		}
	}
}

/* Headers only: read the PT_NOTE segments (the build ID, .note.dlopen)
 * that are of a plausible size; the others are left unread. */
static int read_notes(soswap_elf *elf, const struct src *s)
{
	elf->notes = calloc(elf->phnum ? elf->phnum : 1, sizeof(*elf->notes));
	if (!elf->notes)
		return -ENOMEM;
	uint64_t total = 0;
	for (size_t i = 0; i < elf->phnum; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];
		if (ph->p_type != PT_NOTE || ph->p_filesz == 0 || ph->p_filesz > (1u << 16) ||
		    (total += ph->p_filesz) > (1u << 20))
			continue;
		unsigned char *b = (unsigned char *)owned_buf(elf, ph->p_filesz);
		if (!b)
			return -ENOMEM;
		if (fetch(elf, s, ph->p_offset, b, ph->p_filesz) == 0) {
			elf->notes[i].buf = b;
			elf->notes[i].len = ph->p_filesz;
		}
	}
	return 0;
}

/* The entries of the dynamic section (n of them), copied out in host
 * order; NULL with *n = 0 when there are none. */
static int dyn_entries(soswap_elf *elf, const struct src *s, const GElf_Phdr *dyn,
		       GElf_Dyn **out, uint64_t *n, soswap_err *err)
{
	size_t entsz = elf->e ? gelf_fsize(elf->e, ELF_T_DYN, 1, EV_CURRENT) : sizeof(Elf64_Dyn);
	*out = NULL;
	if (!soswap__in_bounds(dyn->p_offset, dyn->p_filesz, elf->size))
		return bad(elf, err, "PT_DYNAMIC past end of file");
	*n = dyn->p_filesz / entsz;
	if (*n > MAX_DYN_ENTRIES)
		return bad(elf, err, "dynamic section too large");
	if (*n == 0)
		return 0;
	GElf_Dyn *v = malloc(*n * sizeof(*v));
	if (!v)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", elf->path);
	*out = v;
	if (!elf->e)	/* 64-bit, host byte order: GElf_Dyn is Elf64_Dyn */
		return fetch(elf, s, dyn->p_offset, v, *n * sizeof(*v)) < 0
			       ? bad(elf, err, "unreadable dynamic section") : 0;
	Elf_Data *d = elf_getdata_rawchunk(elf->e, (int64_t)dyn->p_offset, *n * entsz, ELF_T_DYN);
	if (!d)
		return bad(elf, err, "unreadable dynamic section");
	for (uint64_t i = 0; i < *n; i++)
		if (!gelf_getdyn(d, (int)i, &v[i]))
			return bad(elf, err, "unreadable dynamic entry");
	return 0;
}

static int read_dynamic(soswap_elf *elf, struct src *src, soswap_err *err)
{
	const GElf_Phdr *dyn = NULL;
	for (size_t i = 0; i < elf->phnum; i++) {
		if (elf->phdrs[i].p_type == PT_DYNAMIC)
			dyn = &elf->phdrs[i];
		if (elf->phdrs[i].p_type == PT_GNU_RELRO)
			elf->has_relro = 1;
	}
	if (!dyn)
		return 0;
	GElf_Dyn *dv = NULL;
	uint64_t n = 0;
	int r = dyn_entries(elf, src, dyn, &dv, &n, err);
	if (r < 0 || n == 0) {
		free(dv);
		return r;
	}
	r = 0;
	elf->has_dynamic = 1;
	elf->dynamic_vaddr = dyn->p_vaddr;

	uint64_t strtab = 0, strsz = 0, soname = 0, rpath = 0, runpath = 0;
	int has_soname = 0, has_rpath = 0, has_runpath = 0, has_strtab = 0;
	size_t nneeded = 0;
	uint64_t lo = UINT64_MAX, hi = 0;	/* span of the strings wanted */
	for (uint64_t i = 0; i < n && dv[i].d_tag != DT_NULL; i++) {
		uint64_t v = dv[i].d_un.d_val;
		switch (dv[i].d_tag) {
		case DT_NEEDED: nneeded++; break;
		case DT_STRTAB: strtab = v; has_strtab = 1; break;
		case DT_STRSZ: strsz = v; break;
		case DT_SONAME: soname = v; has_soname = 1; break;
		case DT_RPATH: rpath = v; has_rpath = 1; break;
		case DT_RUNPATH: runpath = v; has_runpath = 1; break;
		case DT_FLAGS: elf->flags = v; break;
		case DT_FLAGS_1: elf->flags_1 = v; break;
		case DT_TEXTREL: elf->textrel = 1; break;
		case DT_BIND_NOW: elf->bind_now = 1; break;
		case DT_SYMTAB: elf->dt_symtab = v; elf->has_symtab = 1; break;
		case DT_SYMENT: elf->dt_syment = v; break;
		case DT_HASH: elf->dt_hash = v; elf->has_hash = 1; break;
		case DT_GNU_HASH: elf->dt_gnu_hash = v; elf->has_gnu_hash = 1; break;
		case DT_VERSYM: elf->dt_versym = v; elf->has_versym = 1; break;
		case DT_VERDEF: elf->dt_verdef = v; elf->has_verdef = 1; break;
		case DT_VERDEFNUM: elf->dt_verdefnum = v; break;
		case DT_VERNEED: elf->dt_verneed = v; elf->has_verneed = 1; break;
		case DT_VERNEEDNUM: elf->dt_verneednum = v; break;
		case DT_RELA: elf->dt_rela = v; elf->has_rela = 1; break;
		case DT_RELASZ: elf->dt_relasz = v; break;
		case DT_REL: elf->dt_rel = v; elf->has_rel = 1; break;
		case DT_RELSZ: elf->dt_relsz = v; break;
		case DT_JMPREL: elf->dt_jmprel = v; elf->has_jmprel = 1; break;
		case DT_PLTRELSZ: elf->dt_pltrelsz = v; break;
		case DT_PLTREL: elf->dt_pltrel = v; break;
		case DT_INIT: elf->dt_init = v; break;
		case DT_INIT_ARRAY: elf->dt_init_array = v; break;
		case DT_INIT_ARRAYSZ: elf->dt_init_arraysz = v; break;
		default: continue;
		}
		if (dv[i].d_tag == DT_NEEDED || dv[i].d_tag == DT_SONAME ||
		    dv[i].d_tag == DT_RPATH || dv[i].d_tag == DT_RUNPATH) {
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	if (elf->flags & DF_TEXTREL)
		elf->textrel = 1;
	if ((elf->flags & DF_BIND_NOW) || (elf->flags_1 & DF_1_NOW))
		elf->bind_now = 1;

	if (has_strtab) {
		if (strsz == 0 ||
		    soswap_elf_vaddr_to_offset(elf, strtab, strsz, &elf->stroff) < 0) {
			r = bad(elf, err, "DT_STRTAB outside the file");
			goto out;
		}
		elf->strsz = strsz;
		if (elf->map)
			elf->strtab = (const char *)elf->map + elf->stroff;
		else if (lo < strsz && hi - lo < (1u << 16)) {
			/* Headers only: the wanted strings usually sit
			 * together; one read covers them. */
			uint64_t end = hi + 256 < strsz ? hi + 256 : strsz;
			if ((r = read_str_window(elf, src, lo, end - lo)) == -ENOMEM)
				goto out;
			r = 0;
		}
	} else if (nneeded || has_soname || has_rpath || has_runpath) {
		r = bad(elf, err, "dynamic strings without DT_STRTAB");
		goto out;
	}

#define DYNSTR(dst, has, off, what)                                                  \
	do {                                                                         \
		if ((has) && !((dst) = dyn_str(elf, src, off))) {                    \
			r = bad(elf, err, what " string offset out of range");       \
			goto out;                                                    \
		}                                                                    \
	} while (0)
	DYNSTR(elf->soname, has_soname, soname, "DT_SONAME");
	DYNSTR(elf->rpath, has_rpath, rpath, "DT_RPATH");
	DYNSTR(elf->runpath, has_runpath, runpath, "DT_RUNPATH");

	if (nneeded) {
		elf->needed = calloc(nneeded, sizeof(*elf->needed));
		if (!elf->needed) {
			r = -ENOMEM;
			goto out;
		}
		for (uint64_t i = 0; i < n && dv[i].d_tag != DT_NULL; i++)
			if (dv[i].d_tag == DT_NEEDED)
				DYNSTR(elf->needed[elf->nneeded++], 1, dv[i].d_un.d_val, "DT_NEEDED");
	}
#undef DYNSTR
out:
	free(dv);
	return r;
}

static int read_headers(soswap_elf *elf, struct src *src, soswap_err *err);

static int open_mapped(soswap_elf *elf, soswap_err *err)
{
	int r = libelf_ready(err);
	if (r < 0)
		return r;
	if (elf->size < EI_NIDENT || memcmp(elf->map, ELFMAG, SELFMAG) != 0)
		return soswap__fail(err, -ENOEXEC,
				    "%s: not an ELF file (bad magic)", elf->path);
	if (elf->map[EI_CLASS] != ELFCLASS32 && elf->map[EI_CLASS] != ELFCLASS64)
		return bad(elf, err, "unknown ELF class");
	if (elf->map[EI_DATA] != ELFDATA2LSB && elf->map[EI_DATA] != ELFDATA2MSB)
		return bad(elf, err, "unknown byte order");
	elf->e = elf_memory((char *)elf->map, elf->size);
	if (!elf->e || elf_kind(elf->e) != ELF_K_ELF)
		return bad(elf, err, "unreadable ELF header");
	if (!gelf_getehdr(elf->e, &elf->ehdr))
		return bad(elf, err, "truncated ELF header");
	struct src src = { .fd = -1 };
	return read_headers(elf, &src, err);
}

/* Everything past the ELF header, for both ways of opening. */
static int read_headers(soswap_elf *elf, struct src *src, soswap_err *err)
{
	int r;
	if ((r = check_header_tables(elf, err)) < 0)
		return r;
	if ((r = read_phdrs(elf, src, err)) < 0 || (r = read_interp(elf, src, err)) < 0 ||
	    (elf->headers_only && (r = read_notes(elf, src)) < 0) ||
	    (r = read_dynamic(elf, src, err)) < 0)
		return r;
	read_build_id(elf);

	switch (elf->ehdr.e_type) {
	case ET_REL: elf->kind = SOSWAP_ELF_REL; break;
	case ET_EXEC: elf->kind = SOSWAP_ELF_EXEC; break;
	case ET_CORE: elf->kind = SOSWAP_ELF_CORE; break;
	case ET_DYN:
		/* DF_1_PIE is what newer linkers write; older PIEs are told
		 * apart from runnable libraries (libc.so.6 has PT_INTERP too)
		 * by their lack of a SONAME. */
		elf->kind = ((elf->flags_1 & DF_1_PIE) ||
			     (elf->interp && !elf->soname))
				    ? SOSWAP_ELF_PIE : SOSWAP_ELF_DYN;
		break;
	default: elf->kind = SOSWAP_ELF_OTHER; break;
	}
	return 0;
}

static soswap_elf *elf_new(const char *name)
{
	soswap_elf *elf = calloc(1, sizeof(*elf));
	if (!elf)
		return NULL;
	elf->path = strdup(name ? name : "(memory)");
	if (!elf->path) {
		free(elf);
		return NULL;
	}
	return elf;
}

int soswap_elf_open(soswap_elf **out, const char *path, soswap_err *err)
{
	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s", path);
	int r = soswap__elf_open_fd(out, fd, path, NULL, err);
	close(fd);
	return r;
}

/* A new object for the regular file open on fd, described by ST (its
 * fstat(), taken here when ST is NULL); NULL with *rc set otherwise. */
static soswap_elf *elf_for_file(int fd, const char *path, const struct stat *st,
				int *rc, soswap_err *err)
{
	struct stat own;
	if (!st) {
		if (fstat(fd, &own) < 0) {
			*rc = soswap__fail_errno(err, -errno, "%s", path);
			return NULL;
		}
		st = &own;
	}
	if (S_ISDIR(st->st_mode))
		*rc = soswap__fail(err, -EISDIR, "%s: is a directory", path);
	else if (!S_ISREG(st->st_mode))
		*rc = soswap__fail(err, -EINVAL, "%s: not a regular file", path);
	else if (st->st_size == 0)
		*rc = soswap__fail(err, -ENOEXEC, "%s: not an ELF file (empty)", path);
	else {
		soswap_elf *elf = elf_new(path);
		if (!elf) {
			*rc = soswap__fail(err, -ENOMEM, "%s: out of memory", path);
			return NULL;
		}
		elf->size = (size_t)st->st_size;
		elf->dev = st->st_dev;
		elf->ino = st->st_ino;
		return elf;
	}
	return NULL;
}

/* Map the whole file open on fd into ELF. */
static int map_file(soswap_elf *elf, int fd, soswap_err *err)
{
	/* Private writable mapping: libelf may convert byte order in place;
	 * copy-on-write keeps the file itself untouched. */
	void *m = mmap(NULL, elf->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return soswap__fail_errno(err, -errno, "%s: mmap", elf->path);
	elf->map = m;
	elf->mapped = 1;
	return 0;
}

int soswap__elf_open_fd(soswap_elf **out, int fd, const char *path,
			const struct stat *known, soswap_err *err)
{
	int r = 0;
	*out = NULL;
	soswap_elf *elf = elf_for_file(fd, path, known, &r, err);
	if (!elf)
		return r;
	if ((r = map_file(elf, fd, err)) < 0 || (r = open_mapped(elf, err)) < 0) {
		soswap_elf_close(elf);
		return r;
	}
	*out = elf;
	return 0;
}

int soswap__elf_open_headers(soswap_elf **out, int fd, const char *path,
			     const struct stat *st, const void *head, size_t headlen,
			     int (*reopen)(const void *ctx, const char *path),
			     const void *reopen_ctx, soswap_err *err)
{
	int r = 0;
	*out = NULL;
	soswap_elf *elf = elf_for_file(fd, path, st, &r, err);
	if (!elf)
		return r;
	struct src src = { .fd = fd, .head = head, .headlen = head ? headlen : 0 };
	Elf64_Ehdr eh;
	/* Only 64-bit objects in the host's byte order are read raw; the
	 * others (and anything that is not ELF, for its message) go through
	 * libelf on a mapping. */
	if (fetch(elf, &src, 0, &eh, sizeof(eh)) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB
									     : ELFDATA2MSB) ||
	    eh.e_phnum == PN_XNUM) {
		if ((r = map_file(elf, fd, err)) < 0 || (r = open_mapped(elf, err)) < 0)
			goto fail;
		*out = elf;
		return 0;
	}
	/* Read raw: libelf is loaded only if the image is needed later. */
	memcpy(&elf->ehdr, &eh, sizeof(eh));	/* GElf_Ehdr is Elf64_Ehdr */
	elf->headers_only = 1;
	elf->reopen = reopen;
	elf->reopen_ctx = reopen_ctx;
	if ((r = read_headers(elf, &src, err)) < 0)
		goto fail;
	*out = elf;
	return 0;
fail:
	soswap_elf_close(elf);
	return r;
}

/* Headers only: map the file now that more than the headers is needed,
 * provided it is still the file that was read. */
static int load_image(soswap_elf *elf, soswap_err *err)
{
	if (elf->e)
		return 0;
	int r = libelf_ready(err);
	if (r < 0)
		return r;
	int fd = elf->reopen ? elf->reopen(elf->reopen_ctx, elf->path)
			     : open(elf->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s: reopening", elf->path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		r = soswap__fail_errno(err, -errno, "%s", elf->path);
	else if (st.st_dev != elf->dev || st.st_ino != elf->ino || (size_t)st.st_size != elf->size)
		r = soswap__fail(err, -ESTALE, "%s: the file changed since it was read", elf->path);
	else
		r = map_file(elf, fd, err);
	close(fd);
	if (r < 0)
		return r;
	elf->e = elf_memory((char *)elf->map, elf->size);
	if (!elf->e || elf_kind(elf->e) != ELF_K_ELF)
		return bad(elf, err, "unreadable ELF header");
	if (elf->strsz)
		elf->strtab = (const char *)elf->map + elf->stroff;
	return 0;
}

int soswap_elf_open_memory(soswap_elf **out, const void *buf, size_t len,
			   const char *name, soswap_err *err)
{
	*out = NULL;
	soswap_elf *elf = elf_new(name);
	if (!elf)
		return soswap__fail(err, -ENOMEM, "out of memory");
	if (len == 0) {
		int r = soswap__fail(err, -ENOEXEC, "%s: not an ELF file (empty)",
				     elf->path);
		soswap_elf_close(elf);
		return r;
	}
	elf->map = malloc(len);
	if (!elf->map) {
		soswap_elf_close(elf);
		return soswap__fail(err, -ENOMEM, "out of memory");
	}
	memcpy(elf->map, buf, len);
	elf->size = len;
	int r = open_mapped(elf, err);
	if (r < 0) {
		soswap_elf_close(elf);
		return r;
	}
	*out = elf;
	return 0;
}

void soswap_elf_close(soswap_elf *elf)
{
	if (!elf)
		return;
	if (elf->e)
		elf_end(elf->e);
	if (elf->map) {
		if (elf->mapped)
			munmap(elf->map, elf->size);
		else
			free(elf->map);
	}
	free(elf->phdrs);
	free(elf->interp);
	free(elf->needed);
	free(elf->build_id);
	free(elf->syms);
	free(elf->verdefs);
	free(elf->verneeds);
	free(elf->relocs);
	for (size_t i = 0; i < elf->nowned; i++)
		free(elf->owned[i]);
	free(elf->owned);
	free(elf->notes);
	free(elf->path);
	free(elf);
}

/* ---- symbols and versions ------------------------------------------- */

/* Number of .dynsym entries: from the section header when one describes
 * DT_SYMTAB, else from DT_HASH's nchain, else by walking DT_GNU_HASH. */
static int64_t dynsym_count(soswap_elf *elf)
{
	size_t shnum = 0;
	if (elf_getshdrnum(elf->e, &shnum) == 0) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;
		while ((scn = elf_nextscn(elf->e, scn))) {
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
				continue;
			if (sh.sh_addr == elf->dt_symtab && sh.sh_entsize)
				return (int64_t)(sh.sh_size / sh.sh_entsize);
		}
	}
	if (elf->has_hash) {
		Elf_Data *d = chunk_at_vaddr(elf, elf->dt_hash, 2, ELF_T_WORD);
		if (d)
			return ((uint32_t *)d->d_buf)[1];
	}
	if (elf->has_gnu_hash) {
		Elf_Data *h = chunk_at_vaddr(elf, elf->dt_gnu_hash, 4, ELF_T_WORD);
		if (!h)
			return -1;
		uint32_t *w = h->d_buf;
		uint32_t nbuckets = w[0], symoffset = w[1], bloom = w[2];
		uint64_t wordsz = elf->ehdr.e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
		if (nbuckets == 0 || nbuckets > MAX_SYMBOLS || bloom > MAX_SYMBOLS)
			return nbuckets == 0 ? (int64_t)symoffset : -1;
		uint64_t bucket_va = elf->dt_gnu_hash + 16 + bloom * wordsz;
		Elf_Data *b = chunk_at_vaddr(elf, bucket_va, nbuckets, ELF_T_WORD);
		if (!b)
			return -1;
		uint32_t maxsym = 0;
		for (uint32_t i = 0; i < nbuckets; i++)
			if (((uint32_t *)b->d_buf)[i] > maxsym)
				maxsym = ((uint32_t *)b->d_buf)[i];
		if (maxsym < symoffset)
			return symoffset;
		if (maxsym > MAX_SYMBOLS)
			return -1;
		uint64_t chain_va = bucket_va + 4ull * nbuckets;
		/* Follow the chain of the last bucket to its end marker. */
		for (uint32_t idx = maxsym; idx <= MAX_SYMBOLS; idx++) {
			Elf_Data *c = chunk_at_vaddr(
				elf, chain_va + 4ull * (idx - symoffset), 1,
				ELF_T_WORD);
			if (!c)
				return -1;
			if (*(uint32_t *)c->d_buf & 1)
				return (int64_t)idx + 1;
		}
		return -1;
	}
	return 0;
}

static int load_verdefs(soswap_elf *elf, soswap_err *err)
{
	if (!elf->has_verdef || elf->dt_verdefnum == 0)
		return 0;
	if (elf->dt_verdefnum > MAX_VERSIONS)
		return bad(elf, err, "too many version definitions");
	/* The verdef chain is walked by offsets; fetch a generous bounded
	 * window starting at DT_VERDEF and let gelf_getverdef check each. */
	uint64_t off;
	if (soswap_elf_vaddr_to_offset(elf, elf->dt_verdef, 1, &off) < 0)
		return bad(elf, err, "DT_VERDEF outside the file");
	uint64_t avail = elf->size - off;
	Elf_Data *d = elf_getdata_rawchunk(elf->e, (int64_t)off, avail,
					   ELF_T_VDEF);
	if (!d)
		return bad(elf, err, "unreadable version definitions");
	elf->verdefs = calloc(elf->dt_verdefnum, sizeof(*elf->verdefs));
	if (!elf->verdefs)
		return -ENOMEM;
	size_t pos = 0;
	for (uint64_t i = 0; i < elf->dt_verdefnum; i++) {
		GElf_Verdef vd;
		if (!gelf_getverdef(d, (int)pos, &vd))
			return bad(elf, err, "version definition out of range");
		GElf_Verdaux va;
		if (vd.vd_cnt == 0 || pos + vd.vd_aux > d->d_size ||
		    !gelf_getverdaux(d, (int)(pos + vd.vd_aux), &va))
			return bad(elf, err, "version definition aux out of range");
		struct soswap_verdef *v = &elf->verdefs[elf->nverdefs++];
		v->name = soswap__elf_str(elf, va.vda_name);
		if (!v->name)
			return bad(elf, err, "version name out of range");
		v->index = vd.vd_ndx;
		v->flags = vd.vd_flags;
		if (vd.vd_cnt > 1 && va.vda_next) {
			GElf_Verdaux pa;
			size_t p2 = pos + vd.vd_aux + va.vda_next;
			if (p2 < d->d_size && gelf_getverdaux(d, (int)p2, &pa))
				v->parent = soswap__elf_str(elf, pa.vda_name);
		}
		if (vd.vd_next == 0)
			break;
		if (pos + vd.vd_next > d->d_size || pos + vd.vd_next > INT32_MAX)
			return bad(elf, err, "version definition chain out of range");
		pos += vd.vd_next;
	}
	return 0;
}

static int load_verneeds(soswap_elf *elf, soswap_err *err)
{
	if (!elf->has_verneed || elf->dt_verneednum == 0)
		return 0;
	if (elf->dt_verneednum > MAX_VERSIONS)
		return bad(elf, err, "too many version requirements");
	uint64_t off;
	if (soswap_elf_vaddr_to_offset(elf, elf->dt_verneed, 1, &off) < 0)
		return bad(elf, err, "DT_VERNEED outside the file");
	Elf_Data *d = elf_getdata_rawchunk(elf->e, (int64_t)off,
					   elf->size - off, ELF_T_VNEED);
	if (!d)
		return bad(elf, err, "unreadable version requirements");
	size_t cap = 0, pos = 0;
	for (uint64_t i = 0; i < elf->dt_verneednum; i++) {
		GElf_Verneed vn;
		if (!gelf_getverneed(d, (int)pos, &vn))
			return bad(elf, err, "version requirement out of range");
		const char *file = soswap__elf_str(elf, vn.vn_file);
		if (!file)
			return bad(elf, err, "version file name out of range");
		size_t apos = pos + vn.vn_aux;
		for (unsigned k = 0; k < vn.vn_cnt; k++) {
			GElf_Vernaux va;
			if (apos > INT32_MAX || !gelf_getvernaux(d, (int)apos, &va))
				return bad(elf, err, "version requirement aux out of range");
			if (elf->nverneeds >= MAX_VERSIONS)
				return bad(elf, err, "too many version requirements");
			if (soswap__grow((void **)&elf->verneeds, &cap,
					 elf->nverneeds + 1,
					 sizeof(*elf->verneeds)) < 0)
				return -ENOMEM;
			struct soswap_verneed *v = &elf->verneeds[elf->nverneeds++];
			v->file = file;
			v->name = soswap__elf_str(elf, va.vna_name);
			if (!v->name)
				return bad(elf, err, "version name out of range");
			v->index = va.vna_other;
			v->flags = va.vna_flags;
			if (va.vna_next == 0)
				break;
			apos += va.vna_next;
		}
		if (vn.vn_next == 0)
			break;
		if (pos + vn.vn_next > d->d_size || pos + vn.vn_next > INT32_MAX)
			return bad(elf, err, "version requirement chain out of range");
		pos += vn.vn_next;
	}
	return 0;
}

static int load_symbols(soswap_elf *elf, soswap_err *err)
{
	if (elf->syms_loaded)
		return elf->syms_status;
	elf->syms_loaded = 1;
	int r = 0;
	if ((r = load_image(elf, err)) < 0 || (r = load_verdefs(elf, err)) < 0 ||
	    (r = load_verneeds(elf, err)) < 0)
		goto out;
	if (!elf->has_symtab)
		goto out;
	int64_t n = dynsym_count(elf);
	if (n < 0 || n > MAX_SYMBOLS) {
		r = bad(elf, err, "cannot size the dynamic symbol table");
		goto out;
	}
	if (n <= 1)
		goto out;
	Elf_Data *sd = chunk_at_vaddr(elf, elf->dt_symtab, (uint64_t)n, ELF_T_SYM);
	if (!sd) {
		r = bad(elf, err, "dynamic symbol table outside the file");
		goto out;
	}
	Elf_Data *vd = NULL;
	if (elf->has_versym) {
		vd = chunk_at_vaddr(elf, elf->dt_versym, (uint64_t)n, ELF_T_HALF);
		if (!vd) {
			r = bad(elf, err, "symbol version table outside the file");
			goto out;
		}
	}
	elf->syms = calloc((size_t)n - 1, sizeof(*elf->syms));
	if (!elf->syms) {
		r = -ENOMEM;
		goto out;
	}
	for (int64_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(sd, (int)i, &s)) {
			r = bad(elf, err, "unreadable symbol");
			goto out;
		}
		struct soswap_sym *o = &elf->syms[i - 1];
		o->name = soswap__elf_str(elf, s.st_name);
		if (!o->name) {
			r = bad(elf, err, "symbol name offset out of range");
			goto out;
		}
		o->type = GELF_ST_TYPE(s.st_info);
		o->bind = GELF_ST_BIND(s.st_info);
		o->visibility = GELF_ST_VISIBILITY(s.st_other);
		o->shndx = s.st_shndx;
		o->defined = s.st_shndx != SHN_UNDEF;
		o->value = s.st_value;
		o->size = s.st_size;
		if (vd) {
			uint16_t ver = ((uint16_t *)vd->d_buf)[i];
			uint16_t idx = ver & 0x7fff;
			if (idx > 1) {
				if (o->defined) {
					for (size_t k = 0; k < elf->nverdefs; k++)
						if (elf->verdefs[k].index == idx) {
							o->version = elf->verdefs[k].name;
							break;
						}
					o->is_default = !(ver & 0x8000);
				} else {
					for (size_t k = 0; k < elf->nverneeds; k++)
						if (elf->verneeds[k].index == idx) {
							o->version = elf->verneeds[k].name;
							o->version_file = elf->verneeds[k].file;
							break;
						}
				}
			}
		}
		elf->nsyms++;
	}
out:
	elf->syms_status = r;
	if (r < 0 && err)
		elf->syms_err = *err;
	return r;
}

/* Parse the symbol and version tables once; a failure is remembered and
 * reported again, with its message, on every later call. */
static int symbols_ready(soswap_elf *elf, soswap_err *err)
{
	int r = load_symbols(elf, err);
	if (r < 0 && err && elf->syms_err.code)
		*err = elf->syms_err;
	return r;
}

ssize_t soswap_elf_symbols(soswap_elf *elf, const struct soswap_sym **syms,
			   soswap_err *err)
{
	int r = symbols_ready(elf, err);
	if (r < 0)
		return r;
	*syms = elf->syms;
	return (ssize_t)elf->nsyms;
}

ssize_t soswap_elf_verdefs(soswap_elf *elf, const struct soswap_verdef **defs,
			   soswap_err *err)
{
	int r = symbols_ready(elf, err);
	if (r < 0)
		return r;
	*defs = elf->verdefs;
	return (ssize_t)elf->nverdefs;
}

ssize_t soswap_elf_verneeds(soswap_elf *elf,
			    const struct soswap_verneed **needs,
			    soswap_err *err)
{
	int r = symbols_ready(elf, err);
	if (r < 0)
		return r;
	*needs = elf->verneeds;
	return (ssize_t)elf->nverneeds;
}

/* ---- relocations ------------------------------------------------------ */

static int add_relocs(soswap_elf *elf, uint64_t vaddr, uint64_t size, int rela,
		      size_t *cap, soswap_err *err)
{
	if (size == 0)
		return 0;
	Elf_Type t = rela ? ELF_T_RELA : ELF_T_REL;
	size_t entsz = gelf_fsize(elf->e, t, 1, EV_CURRENT);
	uint64_t n = size / entsz;
	if (n > MAX_RELOCS)
		return bad(elf, err, "too many relocations");
	Elf_Data *d = chunk_at_vaddr(elf, vaddr, n, t);
	if (!d)
		return bad(elf, err, "relocation table outside the file");
	if (soswap__grow((void **)&elf->relocs, cap, elf->nrelocs + n,
			 sizeof(*elf->relocs)) < 0)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		struct soswap_reloc *o = &elf->relocs[elf->nrelocs];
		uint64_t info;
		if (rela) {
			GElf_Rela r;
			if (!gelf_getrela(d, (int)i, &r))
				return bad(elf, err, "unreadable relocation");
			o->offset = r.r_offset;
			o->addend = r.r_addend;
			info = r.r_info;
		} else {
			GElf_Rel r;
			if (!gelf_getrel(d, (int)i, &r))
				return bad(elf, err, "unreadable relocation");
			o->offset = r.r_offset;
			o->addend = 0;
			info = r.r_info;
		}
		if (elf->ehdr.e_ident[EI_CLASS] == ELFCLASS64) {
			o->type = GELF_R_TYPE(info);
			o->sym = GELF_R_SYM(info);
		} else {
			o->type = ELF32_R_TYPE(info);
			o->sym = ELF32_R_SYM(info);
		}
		elf->nrelocs++;
	}
	return 0;
}

ssize_t soswap_elf_relocs(soswap_elf *elf, const struct soswap_reloc **relocs,
			  soswap_err *err)
{
	if (!elf->relocs_loaded) {
		size_t cap = 0;
		int r = 0;
		elf->relocs_loaded = 1;
		if ((r = load_image(elf, err)) < 0) {
			elf->relocs_status = r;
			return r;
		}
		if (elf->has_rela)
			r = add_relocs(elf, elf->dt_rela, elf->dt_relasz, 1, &cap, err);
		if (r == 0 && elf->has_rel)
			r = add_relocs(elf, elf->dt_rel, elf->dt_relsz, 0, &cap, err);
		if (r == 0 && elf->has_jmprel)
			r = add_relocs(elf, elf->dt_jmprel, elf->dt_pltrelsz,
				       elf->dt_pltrel != DT_REL, &cap, err);
		elf->relocs_status = r;
	}
	if (elf->relocs_status < 0)
		return soswap__fail(err, elf->relocs_status,
				    "%s: corrupt relocation tables", elf->path);
	*relocs = elf->relocs;
	return (ssize_t)elf->nrelocs;
}

/* ---- accessors -------------------------------------------------------- */

const char *soswap_elf_path(const soswap_elf *elf) { return elf->path; }
int soswap_elf_class(const soswap_elf *elf) { return elf->ehdr.e_ident[EI_CLASS]; }
int soswap_elf_machine(const soswap_elf *elf) { return elf->ehdr.e_machine; }
int soswap_elf_data(const soswap_elf *elf) { return elf->ehdr.e_ident[EI_DATA]; }
int soswap_elf_osabi(const soswap_elf *elf) { return elf->ehdr.e_ident[EI_OSABI]; }
enum soswap_elf_kind soswap_elf_kind(const soswap_elf *elf) { return elf->kind; }
dev_t soswap_elf_dev(const soswap_elf *elf) { return elf->dev; }
ino_t soswap_elf_ino(const soswap_elf *elf) { return elf->ino; }
const char *soswap_elf_interp(const soswap_elf *elf) { return elf->interp; }
const char *soswap_elf_soname(const soswap_elf *elf) { return elf->soname; }
const char *soswap_elf_rpath(const soswap_elf *elf) { return elf->rpath; }
const char *soswap_elf_runpath(const soswap_elf *elf) { return elf->runpath; }
size_t soswap_elf_needed_count(const soswap_elf *elf) { return elf->nneeded; }
const char *soswap_elf_needed(const soswap_elf *elf, size_t i)
{
	return i < elf->nneeded ? elf->needed[i] : NULL;
}
uint64_t soswap_elf_flags(const soswap_elf *elf) { return elf->flags; }
uint64_t soswap_elf_flags_1(const soswap_elf *elf) { return elf->flags_1; }
int soswap_elf_has_dynamic(const soswap_elf *elf) { return elf->has_dynamic; }
int soswap_elf_textrel(const soswap_elf *elf) { return elf->textrel; }
const char *soswap_elf_build_id(const soswap_elf *elf) { return elf->build_id; }

enum soswap_relro soswap_elf_relro(const soswap_elf *elf)
{
	if (!elf->has_relro)
		return SOSWAP_RELRO_NONE;
	return elf->bind_now ? SOSWAP_RELRO_FULL : SOSWAP_RELRO_PARTIAL;
}

uint64_t soswap_elf_load_bias_vaddr(const soswap_elf *elf)
{
	uint64_t lo = UINT64_MAX;
	for (size_t i = 0; i < elf->phnum; i++)
		if (elf->phdrs[i].p_type == PT_LOAD && elf->phdrs[i].p_vaddr < lo)
			lo = elf->phdrs[i].p_vaddr;
	return lo == UINT64_MAX ? 0 : lo & ~(uint64_t)0xfff;
}

const unsigned char *soswap_elf_bytes(const soswap_elf *elf, size_t *size)
{
	if (size)
		*size = elf->size;
	return elf->map;
}

/* ---- names ------------------------------------------------------------ */

static const char *numeric(unsigned v)
{
	static __thread char buf[24];
	snprintf(buf, sizeof(buf), "%u", v);
	return buf;
}

const char *soswap_elf_machine_name(int m)
{
	switch (m) {
	case EM_X86_64: return "x86-64";
	case EM_386: return "i386";
	case EM_AARCH64: return "aarch64";
	case EM_ARM: return "arm";
	case EM_RISCV: return "riscv";
	case EM_PPC64: return "ppc64";
	case EM_PPC: return "ppc";
	case EM_S390: return "s390";
	case EM_MIPS: return "mips";
	case EM_SPARCV9: return "sparcv9";
	case EM_LOONGARCH: return "loongarch";
	case EM_NONE: return "none";
	default: return numeric((unsigned)m);
	}
}

const char *soswap_elf_kind_name(enum soswap_elf_kind k)
{
	switch (k) {
	case SOSWAP_ELF_REL: return "REL";
	case SOSWAP_ELF_EXEC: return "EXEC";
	case SOSWAP_ELF_DYN: return "DYN";
	case SOSWAP_ELF_PIE: return "PIE";
	case SOSWAP_ELF_CORE: return "CORE";
	default: return "OTHER";
	}
}

const char *soswap_sym_type_name(unsigned t)
{
	switch (t) {
	case STT_NOTYPE: return "NOTYPE";
	case STT_OBJECT: return "OBJECT";
	case STT_FUNC: return "FUNC";
	case STT_SECTION: return "SECTION";
	case STT_FILE: return "FILE";
	case STT_COMMON: return "COMMON";
	case STT_TLS: return "TLS";
	case STT_GNU_IFUNC: return "IFUNC";
	default: return numeric(t);
	}
}

const char *soswap_sym_bind_name(unsigned b)
{
	switch (b) {
	case STB_LOCAL: return "LOCAL";
	case STB_GLOBAL: return "GLOBAL";
	case STB_WEAK: return "WEAK";
	case STB_GNU_UNIQUE: return "UNIQUE";
	default: return numeric(b);
	}
}

const char *soswap_sym_visibility_name(unsigned v)
{
	switch (v) {
	case STV_DEFAULT: return "DEFAULT";
	case STV_INTERNAL: return "INTERNAL";
	case STV_HIDDEN: return "HIDDEN";
	case STV_PROTECTED: return "PROTECTED";
	default: return numeric(v);
	}
}
