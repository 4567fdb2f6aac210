/* fsutil.h - crash-safe file system steps shared by links.c and install.c
 * (not installed). */
#ifndef SOSWAP_FSUTIL_H
#define SOSWAP_FSUTIL_H

#include <stddef.h>

#include "internal.h"

/* Prefix of every temporary name soswap creates in a library directory.
 * It starts with '.', so it never matches lib*.so*: ldconfig and the loader
 * ignore a temporary file a crash leaves behind. */
#define SOSWAP__TMP_PREFIX ".soswap-"

/* Fill buf with ".soswap-PID-RANDOM.TAG".  Returns 0 or -ENAMETOOLONG. */
int soswap__tmpname(char *buf, size_t size, const char *tag);

/* Make NAME (in the directory dirfd, shown as dirpath in messages) a symlink
 * to TARGET atomically: symlinkat() under a temporary name, then renameat()
 * over NAME.  A reader sees either the old entry or the new link.  The
 * directory is not fsync'd (callers batch that). */
int soswap__symlink_replace(int dirfd, const char *dirpath, const char *target,
			    const char *name, soswap_err *err);

/* fsync() a directory so that renames in it survive a power loss. */
int soswap__fsync_dir(int dirfd, const char *dirpath, soswap_err *err);

#endif
