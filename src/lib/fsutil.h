/* fsutil.h - crash-safe file system steps shared by links.c and install.c
 * (not installed). */
#ifndef SOSWAP_FSUTIL_H
#define SOSWAP_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

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

/* Create a symlink to TARGET under a fresh temporary name in dirfd; the
 * name is written to tmp (size >= 64).  The caller renames or removes it. */
int soswap__symlink_tmp(int dirfd, const char *dirpath, const char *target,
			char *tmp, soswap_err *err);

/* Copy everything readable from srcfd into a new temporary file in dirfd
 * (O_CREAT|O_EXCL, never an existing file), fsync it and fchmod it to
 * mode.  The temporary name is written to tmp (size >= 64) as soon as the
 * file exists, so the caller can remove it on failure.  `between`, when
 * not NULL, is called after the file is created and before it is written
 * (a test hook). */
int soswap__copy_tmp(int dirfd, const char *dirpath, int srcfd, mode_t mode,
		     char *tmp, void (*between)(void), soswap_err *err);

/* Whether two open files have the same size and bytes. */
int soswap__same_content(int fd1, int fd2);

/* mkdir -p with mode 0755.  Returns 0 or -errno with a message. */
int soswap__mkdirs(const char *path, soswap_err *err);

/* Remove temporary files and symlinks ".soswap-PID-..." in dirfd that a
 * killed soswap process PID left behind (PID no longer exists).  Returns
 * the number removed. */
int soswap__remove_stale_tmp(int dirfd);

/* fsync() a directory so that renames in it survive a power loss. */
int soswap__fsync_dir(int dirfd, const char *dirpath, soswap_err *err);

#endif
