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
	const char *strtab;	/* points into map, strsz bytes */
	uint64_t strsz;
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

#endif
