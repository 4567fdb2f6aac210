/* dlopen-note.h - the .note.dlopen ELF notes (owner "FDO", type
 * 0x407c0c0a): a JSON array of optional run-time dependencies, each
 * {"soname": [...], "feature": ..., "description": ..., "priority": ...}.
 * Internal to resolve.c. */
#ifndef SOSWAP_DLOPEN_NOTE_H
#define SOSWAP_DLOPEN_NOTE_H

#include "internal.h"

#define SOSWAP__NT_FDO_DLOPEN 0x407c0c0a

struct soswap__dlopen_dep {
	char **sonames;		/* alternatives, in order of preference */
	size_t nsonames;
	char *feature, *description, *priority;
};

/* Every entry of every dlopen note of ELF.  Returns the count (0 when the
 * object has none) or -ENOEXEC/-ENOMEM; a malformed note payload is an
 * error naming the file. */
ssize_t soswap__dlopen_notes(soswap_elf *elf, struct soswap__dlopen_dep **out,
			     soswap_err *err);
void soswap__dlopen_notes_free(struct soswap__dlopen_dep *d, size_t n);

#endif
