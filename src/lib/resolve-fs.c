/* resolve-fs.c - open and stat files the way a process whose root is the
 * resolver's root directory would: with a root set, every path (absolute
 * symlinks and ".." included) is resolved inside it by openat2's
 * RESOLVE_IN_ROOT, so a container image's /lib -> usr/lib links work and
 * nothing escapes it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "resolve-internal.h"

int soswap__rs_open(const soswap_resolver *r, const char *path, int flags)
{
	flags |= O_CLOEXEC | O_NOCTTY;
	if (r->rootfd < 0)
		return open(path, flags);
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, r->rootfd, path, &how, sizeof(how));
}

int soswap__rs_stat(const soswap_resolver *r, const char *path, struct stat *st)
{
	if (r->rootfd < 0)
		return stat(path, st);
	int fd = soswap__rs_open(r, path, O_PATH);
	if (fd < 0)
		return -1;
	int rc = fstat(fd, st);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

char *soswap__rs_realpath(const soswap_resolver *r, const char *path)
{
	if (r->rootfd < 0)
		return realpath(path, NULL);
	int fd = soswap__rs_open(r, path, O_PATH);
	if (fd < 0)
		return NULL;
	char link[64], buf[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return NULL;
	}
	buf[n] = '\0';
	size_t rl = strlen(r->root);
	/* The host path starts with the root's canonical path. */
	if (strncmp(buf, r->root, rl) == 0 && (buf[rl] == '/' || buf[rl] == '\0'))
		return strdup(buf[rl] ? buf + rl : "/");
	return strdup(buf);
}
