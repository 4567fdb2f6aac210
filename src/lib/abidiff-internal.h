/* abidiff-internal.h - the ABI diff handle, shared by the symbol-table
 * comparison (abidiff.c), the DWARF comparison (abidiff-dwarf.c) and the
 * debug-info lookup (debuginfo.c). */
#ifndef SOSWAP_ABIDIFF_INTERNAL_H
#define SOSWAP_ABIDIFF_INTERNAL_H

#include <elfutils/libdwfl.h>

#include "internal.h"

/* Caps on what one comparison reports and walks: a hostile or huge pair of
 * files gives a truncated report, never unbounded memory or time. */
#define SOSWAP__ABIDIFF_MAX_CHANGES 100000
#define SOSWAP__ABIDIFF_MAX_DEPTH 64

struct soswap_abidiff {
	struct soswap_abi_change *changes;
	size_t n, cap;
	int truncated;		/* hit SOSWAP__ABIDIFF_MAX_CHANGES */
	int used_dwarf;
	char *debug_file[2];	/* where the DWARF of old/new came from */
};

/* Append a change; `kind` must be a string literal, `symbol` may be NULL
 * and is copied, the detail is formatted.  Returns 0 or -ENOMEM. */
int soswap__abidiff_add(struct soswap_abidiff *d, int incompatible,
			const char *kind, const char *symbol,
			const char *fmt, ...) SOSWAP__PRINTF(5, 6);

/* DWARF of one file, found in the file itself or as separate debug info
 * (build-id or .gnu_debuglink, like gdb) below `debug_dir` (NULL means
 * /usr/lib/debug).  debuginfo.c. */
struct soswap__debuginfo {
	Dwfl_Callbacks cb;	/* must outlive dwfl */
	char *path_buf;		/* debuginfo_path string for libdwfl */
	Dwfl *dwfl;
	Dwarf *dw;		/* NULL when the file has no DWARF anywhere */
	const char *debug_file;	/* file holding the DWARF (owned by dwfl) */
};

/* Returns 0 (with di->dw possibly NULL: no DWARF) or a negative errno. */
int soswap__debuginfo_open(struct soswap__debuginfo *di, const char *path,
			   const char *debug_dir, soswap_err *err);
void soswap__debuginfo_close(struct soswap__debuginfo *di);

/* An exported symbol present on both sides, of the same class (function,
 * data object, TLS object): what the DWARF pass looks at. */
struct soswap__abi_pair {
	const struct soswap_sym *old, *new;
};

/* Compare signatures of exported functions and layouts of the types they
 * reach, for each pair.  abidiff-dwarf.c.  Returns 0 or -ENOMEM. */
int soswap__abidiff_dwarf(struct soswap_abidiff *d,
			  const struct soswap__abi_pair *pairs, size_t npairs,
			  struct soswap__debuginfo *old_di,
			  struct soswap__debuginfo *new_di);

/* The exported-symbol filter both passes use: defined, not local, not
 * hidden, not a version-definition marker. */
int soswap__abi_exported(const struct soswap_sym *s);

/* "name@@VER", "name@VER" or "name" into buf; returns buf. */
const char *soswap__abi_sym_label(const struct soswap_sym *s, char *buf, size_t len);

#endif
