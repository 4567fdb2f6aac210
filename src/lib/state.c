/* state.c - the record of previous library versions that install keeps
 * and rollback uses: one small text file per directory and soname,
 *
 *   soswap-state 1
 *   layout symlink            (or "file")
 *   current libfoo.so.1.2.0   (what install put in place)
 *   previous libfoo.so.1.0.0  (oldest first; file layout: saved copies)
 *   previous libfoo.so.1.1.0
 *
 * stored under $SOSWAP_STATE_DIR (default /var/lib/soswap) + the real path
 * of the library directory.  The file is untrusted input when read back:
 * lines and names are length-checked, names must be plain file names, and
 * the number of entries is capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"

#define STATE_MAX_BYTES 65536

const char *soswap__state_root(void)
{
	const char *s = getenv("SOSWAP_STATE_DIR");
	return s && *s ? s : "/var/lib/soswap";
}

int soswap__state_dir(char *buf, size_t size, const char *realdir, soswap_err *err)
{
	const char *root = soswap__state_root();
	int n = snprintf(buf, size, "%s%s%s", root, realdir[0] == '/' ? "" : "/", realdir);
	if (n < 0 || (size_t)n >= size)
		return soswap__fail(err, -ENAMETOOLONG, "%s: state path too long", realdir);
	/* "/" maps to the root itself. */
	size_t len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	return 0;
}

static int plain_name(const char *s)
{
	return *s && strlen(s) < SOSWAP_NAME_MAX && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

int soswap__state_parse(struct soswap__state *st, const char *data, size_t size,
			const char *name, soswap_err *err)
{
	memset(st, 0, sizeof(*st));
	if (size > STATE_MAX_BYTES)
		size = STATE_MAX_BYTES;
	char *buf = malloc(size + 1);
	if (!buf)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	memcpy(buf, data, size);
	buf[size] = '\0';	/* a NUL inside ends the record early: harmless */
	int rc = 0, line = 0;
	for (char *p = buf, *nl; *p && rc == 0; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line++;
		char *val = strchr(p, ' ');
		if (val)
			*val++ = '\0';
		if (line == 1) {
			if (strcmp(p, "soswap-state") || !val || strcmp(val, "1"))
				rc = soswap__fail(err, -EINVAL, "%s: not a soswap state file", name);
			continue;
		}
		if (!val)
			continue;
		if (!strcmp(p, "layout")) {
			st->layout_file = !strcmp(val, "file");
		} else if (!strcmp(p, "current") && plain_name(val)) {
			strcpy(st->current, val);
		} else if (!strcmp(p, "previous") && plain_name(val)) {
			soswap__state_push(st, val);
		} else if (!strcmp(p, "previous") || !strcmp(p, "current")) {
			rc = soswap__fail(err, -EINVAL, "%s:%d: bad file name", name, line);
		}
	}
	free(buf);
	if (rc == 0 && line == 0)
		rc = soswap__fail(err, -EINVAL, "%s: not a soswap state file", name);
	if (rc == 0)
		st->exists = 1;
	return rc;
}

int soswap__state_read(struct soswap__state *st, const char *statedir,
		       const char *soname, soswap_err *err)
{
	memset(st, 0, sizeof(*st));
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s.state", statedir, soname) >= (int)sizeof(path))
		return soswap__fail(err, -ENAMETOOLONG, "%s: state path too long", statedir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing recorded yet */
		return soswap__fail_errno(err, -errno, "%s", path);
	}
	char *buf = malloc(STATE_MAX_BYTES);
	if (!buf) {
		close(fd);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", path);
	}
	ssize_t len = 0, n;
	while (len < STATE_MAX_BYTES &&
	       (n = read(fd, buf + len, (size_t)(STATE_MAX_BYTES - len))) > 0)
		len += n;
	close(fd);
	int rc = soswap__state_parse(st, buf, (size_t)len, path, err);
	free(buf);
	return rc;
}

int soswap__state_write(const struct soswap__state *st, const char *statedir,
			const char *soname, soswap_err *err)
{
	int rc = soswap__mkdirs(statedir, err);
	if (rc < 0)
		return rc;
	int dirfd = open(statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return soswap__fail_errno(err, -errno, "%s", statedir);
	char name[SOSWAP_NAME_MAX + 8], tmp[64];
	snprintf(name, sizeof(name), "%s.state", soname);
	int fd = -1;
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		soswap__tmpname(tmp, sizeof(tmp), "state");
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		rc = soswap__fail_errno(err, -errno, "%s: cannot create state file", statedir);
		close(dirfd);
		return rc;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", statedir);
	}
	fprintf(f, "soswap-state 1\nlayout %s\n", st->layout_file ? "file" : "symlink");
	if (st->current[0])
		fprintf(f, "current %s\n", st->current);
	for (size_t i = 0; i < st->nprev; i++)
		fprintf(f, "previous %s\n", st->prev[i]);
	rc = fflush(f) || ferror(f) || fsync(fileno(f)) ? -errno : 0;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return soswap__fail_errno(err, rc ? rc : -EIO, "%s/%s: cannot write", statedir, name);
	}
	rc = soswap__fsync_dir(dirfd, statedir, err);
	close(dirfd);
	return rc;
}

void soswap__state_push(struct soswap__state *st, const char *name)
{
	/* Recording the same name twice in a row adds nothing. */
	if (st->nprev && !strcmp(st->prev[st->nprev - 1], name))
		return;
	if (st->nprev == SOSWAP_STATE_MAX_PREVIOUS) {
		memmove(st->prev[0], st->prev[1], sizeof(st->prev[0]) * (st->nprev - 1));
		st->nprev--;
	}
	snprintf(st->prev[st->nprev++], SOSWAP_NAME_MAX, "%s", name);
}
