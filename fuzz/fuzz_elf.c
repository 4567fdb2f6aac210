/* fuzz_elf.c - libFuzzer target for the ELF readers: open the bytes as an
 * ELF object and touch every table a subcommand may read; then read them
 * again the resolver's way (headers only, with pread, from a file) and
 * require that whenever both readers accept the bytes they agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf-internal.h"

static int streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The resolver's reader on the same bytes, given as a file. */
static void headers_only(const uint8_t *data, size_t size, soswap_elf *full)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz_elf", 0);
		if (fd < 0)
			return;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return;
	soswap_elf *h;
	soswap_err err;
	/* The caller's first read: none, part or all of the headers. */
	size_t headlen = size ? data[size - 1] * 16u : 0;
	if (headlen > size)
		headlen = size;
	if (soswap__elf_open_headers(&h, fd, path, NULL, headlen ? data : NULL, headlen, NULL,
				     NULL, &err) < 0)
		return;
	for (size_t i = 0; i < soswap_elf_needed_count(h); i++)
		(void)soswap_elf_needed(h, i)[0];
	if (full) {
		int same = streq(soswap_elf_soname(h), soswap_elf_soname(full)) &&
			   streq(soswap_elf_rpath(h), soswap_elf_rpath(full)) &&
			   streq(soswap_elf_runpath(h), soswap_elf_runpath(full)) &&
			   streq(soswap_elf_interp(h), soswap_elf_interp(full)) &&
			   streq(soswap_elf_build_id(h), soswap_elf_build_id(full)) &&
			   soswap_elf_kind(h) == soswap_elf_kind(full) &&
			   soswap_elf_flags_1(h) == soswap_elf_flags_1(full) &&
			   soswap_elf_needed_count(h) == soswap_elf_needed_count(full);
		for (size_t i = 0; same && i < soswap_elf_needed_count(h); i++)
			same = streq(soswap_elf_needed(h, i), soswap_elf_needed(full, i));
		const struct soswap_sym *sh, *sf;
		if (same)
			same = soswap_elf_symbols(h, &sh, &err) == soswap_elf_symbols(full, &sf, &err);
		if (!same) {
			fprintf(stderr, "fuzz_elf: the headers-only and the mapped reader disagree\n");
			__builtin_trap();
		}
	}
	soswap_elf_close(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	soswap_elf *elf;
	soswap_err err;
	if (soswap_elf_open_memory(&elf, data, size, "fuzz", &err) < 0) {
		headers_only(data, size, NULL);
		return 0;
	}
	const struct soswap_sym *syms;
	const struct soswap_verdef *defs;
	const struct soswap_verneed *needs;
	const struct soswap_reloc *rel;
	ssize_t n = soswap_elf_symbols(elf, &syms, &err);
	for (ssize_t i = 0; i < n; i++)
		(void)(syms[i].name[0] + (syms[i].version ? syms[i].version[0] : 0));
	n = soswap_elf_verdefs(elf, &defs, &err);
	for (ssize_t i = 0; i < n; i++)
		(void)defs[i].name[0];
	n = soswap_elf_verneeds(elf, &needs, &err);
	for (ssize_t i = 0; i < n; i++)
		(void)(needs[i].name[0] + needs[i].file[0]);
	(void)soswap_elf_relocs(elf, &rel, &err);
	for (size_t i = 0; i < soswap_elf_needed_count(elf); i++)
		(void)soswap_elf_needed(elf, i)[0];
	(void)soswap_elf_soname(elf);
	(void)soswap_elf_relro(elf);
	headers_only(data, size, elf);
	soswap_elf_close(elf);
	return 0;
}
