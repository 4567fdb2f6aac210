/* fsutil.c - atomic symlink replacement, temporary names, directory fsync. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
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

int soswap__symlink_tmp(int dirfd, const char *dirpath, const char *target,
			char *tmp, soswap_err *err)
{
	int rc = -EEXIST;
	/* A clash with another writer's temporary name is retried a few times. */
	for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
		if (soswap__tmpname(tmp, 64, "lnk") < 0)
			return soswap__fail(err, -ENAMETOOLONG, "%s: temporary name too long", dirpath);
		rc = symlinkat(target, dirfd, tmp) < 0 ? -errno : 0;
	}
	if (rc < 0)
		return soswap__fail_errno(err, rc, "%s/%s: cannot create symlink", dirpath, tmp);
	return 0;
}

int soswap__symlink_replace(int dirfd, const char *dirpath, const char *target,
			    const char *name, soswap_err *err)
{
	char tmp[64];
	int rc = soswap__symlink_tmp(dirfd, dirpath, target, tmp, err);
	if (rc < 0)
		return rc;
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

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int soswap__copy_tmp(int dirfd, const char *dirpath, int srcfd, mode_t mode,
		     char *tmp, void (*between)(void), soswap_err *err)
{
	int fd = -1;
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		if (soswap__tmpname(tmp, 64, "tmp") < 0)
			return soswap__fail(err, -ENAMETOOLONG, "%s: temporary name too long", dirpath);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		tmp[0] = '\0';
		return soswap__fail_errno(err, -errno, "%s: cannot create a temporary file", dirpath);
	}
	if (between)
		between();
	char buf[65536];
	int rc = 0;
	if (lseek(srcfd, 0, SEEK_SET) < 0)
		rc = -errno;
	while (rc == 0) {
		ssize_t n = read(srcfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		rc = write_all(fd, buf, (size_t)n);
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (rc == 0 && fchmod(fd, mode) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		return soswap__fail_errno(err, rc, "%s/%s: cannot write", dirpath, tmp);
	return 0;
}

int soswap__same_content(int fd1, int fd2)
{
	struct stat a, b;
	if (fstat(fd1, &a) < 0 || fstat(fd2, &b) < 0 || a.st_size != b.st_size)
		return 0;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 1;
	char x[65536], y[65536];
	for (off_t off = 0; off < a.st_size;) {
		ssize_t n = pread(fd1, x, sizeof(x), off);
		if (n <= 0 || pread(fd2, y, (size_t)n, off) != n || memcmp(x, y, (size_t)n))
			return 0;
		off += n;
	}
	return 1;
}

int soswap__mkdirs(const char *path, soswap_err *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return soswap__fail(err, -ENAMETOOLONG, "%s: path too long", path);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return soswap__fail_errno(err, -errno, "%s: cannot create directory", buf);
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return soswap__fail(err, -ENOTDIR, "%s: not a directory", path);
	return 0;
}

int soswap__remove_stale_tmp(int dirfd)
{
	int dupfd = dup(dirfd), removed = 0;
	DIR *d = dupfd < 0 ? NULL : fdopendir(dupfd);
	if (!d) {
		if (dupfd >= 0)
			close(dupfd);
		return 0;
	}
	struct dirent *de;
	size_t plen = strlen(SOSWAP__TMP_PREFIX);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, SOSWAP__TMP_PREFIX, plen))
			continue;
		char *end;
		errno = 0;
		long pid = strtol(de->d_name + plen, &end, 10);
		if (errno || end == de->d_name + plen || *end != '-' || pid <= 0 || pid > INT_MAX)
			continue;
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
