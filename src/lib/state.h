/* state.h - install/rollback records (not installed); see state.c. */
#ifndef SOSWAP_STATE_H
#define SOSWAP_STATE_H

#include "internal.h"

struct soswap__state {
	int exists;
	int layout_file;
	char current[SOSWAP_NAME_MAX];
	char prev[SOSWAP_STATE_MAX_PREVIOUS][SOSWAP_NAME_MAX];	/* oldest first */
	size_t nprev;
};

/* $SOSWAP_STATE_DIR or /var/lib/soswap. */
const char *soswap__state_root(void);
/* The state directory of the library directory `realdir` (a real path). */
int soswap__state_dir(char *buf, size_t size, const char *realdir, soswap_err *err);
/* Parse a state record (untrusted: only its first 64 KiB count, names must
 * be plain file names, at most SOSWAP_STATE_MAX_PREVIOUS kept).  `name`
 * is used in messages. */
int soswap__state_parse(struct soswap__state *st, const char *data, size_t size,
			const char *name, soswap_err *err);
/* Read STATEDIR/SONAME.state; a missing file gives an empty record
 * (exists = 0) and 0. */
int soswap__state_read(struct soswap__state *st, const char *statedir,
		       const char *soname, soswap_err *err);
/* Write it atomically (temporary file, fsync, rename, fsync dir),
 * creating STATEDIR as needed. */
int soswap__state_write(const struct soswap__state *st, const char *statedir,
			const char *soname, soswap_err *err);
/* Append a previous version, dropping the oldest past the cap. */
void soswap__state_push(struct soswap__state *st, const char *name);

#endif
