/* fsutil.c - atomic symlink replacement, temporary names, directory fsync. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "fsutil.h"

int soswap__tmpname(char *buf, size_t size, const char *tag)
{
	unsigned int r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned int)getpid() * 2654435761u ^ (unsigned int)(uintptr_t)buf;
	int n = snprintf(buf, size, SOSWAP__TMP_PREFIX "%ld-%08x.%s",
			 (long)getpid(), r, tag);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int soswap__symlink_replace(int dirfd, const char *dirpath, const char *target,
			    const char *name, soswap_err *err)
{
	char tmp[64];
	int rc = -EEXIST;
	/* A clash with another writer's temporary name is retried a few times. */
	for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
		if (soswap__tmpname(tmp, sizeof(tmp), "lnk") < 0)
			return soswap__fail(err, -ENAMETOOLONG, "%s: temporary name too long", dirpath);
		rc = symlinkat(target, dirfd, tmp) < 0 ? -errno : 0;
	}
	if (rc < 0)
		return soswap__fail_errno(err, rc, "%s/%s: cannot create symlink", dirpath, tmp);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		rc = -errno;
		unlinkat(dirfd, tmp, 0);
		return soswap__fail_errno(err, rc, "%s/%s: cannot replace", dirpath, name);
	}
	return 0;
}

int soswap__fsync_dir(int dirfd, const char *dirpath, soswap_err *err)
{
	if (fsync(dirfd) < 0 && errno != EINVAL && errno != EROFS)
		return soswap__fail_errno(err, -errno, "%s: fsync", dirpath);
	return 0;
}
