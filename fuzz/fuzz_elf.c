/* fuzz_elf.c - libFuzzer target for the ELF reader: open the bytes as an
 * ELF object and touch every table a subcommand may read. */
#include <stddef.h>
#include <stdint.h>

#include "soswap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	soswap_elf *elf;
	soswap_err err;
	if (soswap_elf_open_memory(&elf, data, size, "fuzz", &err) < 0)
		return 0;
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
	soswap_elf_close(elf);
	return 0;
}
