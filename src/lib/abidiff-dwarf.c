/* abidiff-dwarf.c - compare exported function signatures and the layout of
 * reachable types between the DWARF of two builds of a library. */
#include <errno.h>

#include "abidiff-internal.h"

int soswap__abidiff_dwarf(struct soswap_abidiff *d, soswap_elf *old_elf,
			  soswap_elf *new_elf, struct soswap__debuginfo *old_di,
			  struct soswap__debuginfo *new_di, soswap_err *err)
{
	(void)d; (void)old_elf; (void)new_elf; (void)old_di; (void)new_di; (void)err;
	return 0;
}
