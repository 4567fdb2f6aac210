/* rollback.c - point a soname back at the version install replaced.
 *
 * Symlink layout: the most recent recorded previous real name that is not
 * what the soname points at now becomes the link target again (temporary
 * symlink + rename).  When the most recent record already is the current
 * target, an install was killed before it switched the link, or a rollback
 * after it did: the record is dropped and nothing else changes.  The real
 * name rolled back from is moved into the state directory, so that the
 * next `ldconfig` (run by any package upgrade) does not point the soname
 * at it again; programs still mapping it keep their inode.
 *
 * File layout: the saved copy is written to a temporary file in DIR and
 * renamed over the soname.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"

/* Move DIR/name into statedir/retired-NAME: rename, or copy and unlink when
 * the state directory is on another file system. */
static int retire(int dirfd, const char *dir, const char *name,
		  const char *statedir, char *where, size_t size, soswap_err *err)
{
	int rc = soswap__mkdirs(statedir, err);
	if (rc < 0)
		return rc;
	int sfd = open(statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return soswap__fail_errno(err, -errno, "%s", statedir);
	char dst[SOSWAP_NAME_MAX + 16];
	snprintf(dst, sizeof(dst), "retired-%s", name);
	if (renameat(dirfd, name, sfd, dst) < 0) {
		if (errno != EXDEV) {
			rc = soswap__fail_errno(err, -errno, "%s/%s: cannot move", dir, name);
			goto out;
		}
		char tmp[64] = "";
		int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			rc = soswap__fail_errno(err, -errno, "%s/%s", dir, name);
			goto out;
		}
		rc = soswap__copy_tmp(sfd, statedir, fd, 0644, tmp, NULL, err);
		close(fd);
		if (rc == 0 && renameat(sfd, tmp, sfd, dst) < 0)
			rc = soswap__fail_errno(err, -errno, "%s/%s", statedir, dst);
		if (rc < 0) {
			if (tmp[0])
				unlinkat(sfd, tmp, 0);
			goto out;
		}
		if (unlinkat(dirfd, name, 0) < 0) {
			rc = soswap__fail_errno(err, -errno, "%s/%s", dir, name);
			goto out;
		}
	}
	rc = soswap__fsync_dir(dirfd, dir, err);
	if (snprintf(where, size, "%s/%s", statedir, dst) >= (int)size)
		where[0] = '\0';
out:
	close(sfd);
	return rc;
}

static int rollback_symlink(struct soswap_rollback_info *out, int dirfd,
			    struct soswap__state *st, const char *statedir,
			    soswap_err *err)
{
	char cur[PATH_MAX] = "";
	ssize_t n = readlinkat(dirfd, out->soname, cur, sizeof(cur) - 1);
	if (n >= 0)
		cur[n] = '\0';
	else if (errno != ENOENT && errno != EINVAL)
		return soswap__fail_errno(err, -errno, "%s/%s", out->dir, out->soname);
	else if (errno == EINVAL)
		return soswap__fail(err, -EEXIST, "%s/%s: is a regular file now, not the "
				    "symlink soswap recorded", out->dir, out->soname);
	const char *to = st->prev[st->nprev - 1];
	snprintf(out->from, sizeof(out->from), "%s", cur);
	snprintf(out->to, sizeof(out->to), "%s", to);
	if (!strcmp(cur, to)) {
		out->fixed_state = 1;
		st->nprev--;
		snprintf(st->current, sizeof(st->current), "%s", to);
		return soswap__state_write(st, statedir, out->soname, err);
	}
	/* The target must still be a library carrying this soname. */
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", out->dir, to);
	soswap_elf *elf;
	int rc = soswap_elf_open(&elf, path, err);
	if (rc < 0)
		return rc;
	const char *so = soswap_elf_soname(elf);
	if (!so || strcmp(so, out->soname))
		rc = soswap__fail(err, -EINVAL, "%s: SONAME is %s, not %s; not rolling back to it",
				  path, so ? so : "(none)", out->soname);
	soswap_elf_close(elf);
	if (rc < 0)
		return rc;
	rc = soswap__symlink_replace(dirfd, out->dir, to, out->soname, err);
	if (rc == 0)
		rc = soswap__fsync_dir(dirfd, out->dir, err);
	if (rc < 0)
		return rc;
	st->nprev--;
	snprintf(st->current, sizeof(st->current), "%s", to);
	rc = soswap__state_write(st, statedir, out->soname, err);
	/* Only a plain real name in DIR that no other record needs is moved. */
	struct stat lst;
	if (rc == 0 && cur[0] && !strchr(cur, '/') && soswap_name_is_library(cur) &&
	    fstatat(dirfd, cur, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(lst.st_mode)) {
		int needed = 0;
		for (size_t i = 0; i < st->nprev; i++)
			needed |= !strcmp(st->prev[i], cur);
		if (!needed)
			rc = retire(dirfd, out->dir, cur, statedir, out->retired,
				    sizeof(out->retired), err);
	}
	return rc;
}

static int rollback_file(struct soswap_rollback_info *out, int dirfd,
			 struct soswap__state *st, const char *statedir,
			 soswap_err *err)
{
	const char *saved = st->prev[st->nprev - 1];
	char path[PATH_MAX * 2], tmp[64] = "";
	snprintf(path, sizeof(path), "%s/%s", statedir, saved);
	snprintf(out->from, sizeof(out->from), "%s", out->soname);
	snprintf(out->to, sizeof(out->to), "%s", saved);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s: saved copy", path);
	int rc = soswap__copy_tmp(dirfd, out->dir, fd, 0644, tmp, NULL, err);
	close(fd);
	if (rc == 0 && renameat(dirfd, tmp, dirfd, out->soname) < 0)
		rc = soswap__fail_errno(err, -errno, "%s/%s", out->dir, out->soname);
	if (rc < 0) {
		if (tmp[0])
			unlinkat(dirfd, tmp, 0);
		return rc;
	}
	rc = soswap__fsync_dir(dirfd, out->dir, err);
	if (rc < 0)
		return rc;
	st->nprev--;
	st->current[0] = '\0';
	rc = soswap__state_write(st, statedir, out->soname, err);
	if (rc == 0)
		unlink(path);
	return rc;
}

int soswap_rollback(struct soswap_rollback_info *out, const char *soname,
		    const char *dir, soswap_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!dir)
		dir = "/usr/local/lib";
	if (!soswap_name_is_library(soname) || strlen(soname) >= sizeof(out->soname))
		return soswap__fail(err, -EINVAL, "%s: not a soname (libNAME.so.MAJOR)", soname);
	snprintf(out->soname, sizeof(out->soname), "%s", soname);
	if (!realpath(dir, out->dir))
		return soswap__fail_errno(err, -errno, "%s", dir);
	int dirfd = open(out->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return soswap__fail_errno(err, -errno, "%s", dir);
	if (flock(dirfd, LOCK_EX) < 0) {	/* one soswap run at a time */
		int rc = soswap__fail_errno(err, -errno, "%s: cannot lock", dir);
		close(dirfd);
		return rc;
	}
	char statedir[PATH_MAX];
	struct soswap__state *st = malloc(sizeof(*st));
	int rc = st ? 0 : soswap__fail(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = soswap__state_dir(statedir, sizeof(statedir), out->dir, err);
	if (rc == 0)
		rc = soswap__state_read(st, statedir, soname, err);
	if (rc == 0 && !st->nprev)
		rc = soswap__fail(err, -ENOENT, "%s/%s: no previous version recorded in %s",
				  out->dir, soname, statedir);
	if (rc == 0 && access(out->dir, W_OK) < 0)
		rc = soswap__fail_errno(err, -errno, "%s: directory not writable", out->dir);
	if (rc == 0) {
		out->layout_file = st->layout_file;
		rc = st->layout_file ? rollback_file(out, dirfd, st, statedir, err)
				     : rollback_symlink(out, dirfd, st, statedir, err);
	}
	free(st);
	close(dirfd);
	return rc;
}
