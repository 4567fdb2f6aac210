/* runprog.h - run helper programs (not installed). */
#ifndef SOSWAP_RUNPROG_H
#define SOSWAP_RUNPROG_H

#include "internal.h"

typedef void (*soswap__line_fn)(void *arg, const char *line);

/* Run argv (argv[0] looked up in PATH) with stdin and stderr on /dev/null,
 * calling fn for each line of its stdout (without the newline; lines are
 * cut at 4 KiB).  *status gets the wait status.  Returns 0, or -errno when
 * the program could not be started (-ENOENT: not installed). */
int soswap__run(const char *const argv[], soswap__line_fn fn, void *arg,
		int *status);

#endif
