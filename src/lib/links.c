/* links.c - soname links for a directory, the job of `ldconfig -n DIR`.
 *
 * The rules follow ldconfig's search_dir(): candidates are regular files
 * and symlinks named lib*.so* or ld-*.so* that are ELF ET_DYN objects; a
 * symlink whose own name is the soname of what it points to, or a link
 * name ("libfoo.so" for soname "libfoo.so.1"), is only a link and never a
 * link target; among the candidates of one soname a regular file beats such
 * a link and otherwise the name that sorts last in ldconfig's order wins.
 * Unlike ldconfig, each link is replaced atomically (temporary symlink,
 * then rename) and dangling symlinks that are nobody's soname are left
 * alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "internal.h"

/* Far more library files than any directory holds. */
#define MAX_CANDIDATES 100000

struct group {
	struct soswap_link_action act;
	char *soname, *target, *old_target;
	int is_link;
};

struct soswap_links {
	char *dir;
	int dirfd;
	struct group *g;
	size_t n, cap;
};

static int is_prelink_tmp(const char *name)
{
	size_t len = strlen(name);
	return (len >= 10 && !strcmp(name + len - 10, ".#prelink#")) ||
	       (len >= 17 && !memcmp(name + len - 17, ".#prelink#.", 11));
}

/* Whether a symlink named `name` pointing at an object of soname `soname`
 * is only a link (ldconfig: its name is the soname, or a link name that
 * prefixes the soname). */
static int only_a_link(const char *name, const char *soname)
{
	if (!strcmp(name, soname))
		return 1;
	size_t len = strlen(name);
	return len >= 3 && !strcmp(name + len - 3, ".so") && !strncmp(name, soname, len);
}

static struct group *find_group(soswap_links *l, const char *soname)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->g[i].soname, soname))
			return &l->g[i];
	return NULL;
}

/* Read one directory entry; returns 0 (also when the entry is skipped) or
 * -ENOMEM. */
static int consider(soswap_links *l, const char *name)
{
	struct stat lst, st;
	if (!soswap_name_is_library(name) || is_prelink_tmp(name))
		return 0;
	if (fstatat(l->dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	int is_link = S_ISLNK(lst.st_mode);
	if (fstatat(l->dirfd, name, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return 0;	/* dangling, a directory, a device... */

	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", l->dir, name) >= (int)sizeof(path))
		return 0;
	soswap_elf *elf;
	if (soswap_elf_open(&elf, path, NULL) < 0)
		return 0;	/* not ELF (a linker script such as libc.so) */
	enum soswap_elf_kind kind = soswap_elf_kind(elf);
	const char *so = soswap_elf_soname(elf);
	char soname[SOSWAP_NAME_MAX];
	snprintf(soname, sizeof(soname), "%s", so && *so ? so : name);
	soswap_elf_close(elf);
	if (kind != SOSWAP_ELF_DYN && kind != SOSWAP_ELF_PIE)
		return 0;
	if (is_link && !only_a_link(name, soname))
		is_link = 0;	/* e.g. libfoo.so.1.2 -> libfoo.so.1.2.3: a candidate */
	if (is_link)
		snprintf(soname, sizeof(soname), "%s", name);

	struct group *g = find_group(l, soname);
	if (g) {
		if ((!is_link && g->is_link) ||
		    (is_link == g->is_link && soswap_name_cmp(g->target, name) < 0)) {
			char *t = strdup(name);
			if (!t)
				return -ENOMEM;
			free(g->target);
			g->target = t;
			g->is_link = is_link;
		}
		if (!is_link)
			g->act.candidates++;
		return 0;
	}
	if (l->n >= MAX_CANDIDATES)
		return 0;
	if (soswap__grow((void **)&l->g, &l->cap, l->n + 1, sizeof(*l->g)) < 0)
		return -ENOMEM;
	g = &l->g[l->n];
	memset(g, 0, sizeof(*g));
	g->soname = strdup(soname);
	g->target = strdup(name);
	if (!g->soname || !g->target) {
		free(g->soname);
		free(g->target);
		return -ENOMEM;
	}
	g->is_link = is_link;
	g->act.candidates = !is_link;
	l->n++;
	return 0;
}

/* Decide what the soname link of a group needs (ldconfig's create_links). */
static void judge(soswap_links *l, struct group *g)
{
	struct stat so, lib, lso;
	g->act.state = SOSWAP_LINK_CREATE;
	if (fstatat(l->dirfd, g->soname, &lso, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(lso.st_mode)) {
			char buf[PATH_MAX];
			ssize_t n = readlinkat(l->dirfd, g->soname, buf, sizeof(buf) - 1);
			if (n >= 0) {
				buf[n] = '\0';
				g->old_target = strdup(buf);
			}
		}
		g->act.state = SOSWAP_LINK_UPDATE;
		if (fstatat(l->dirfd, g->soname, &so, 0) == 0 &&
		    fstatat(l->dirfd, g->target, &lib, 0) == 0 &&
		    so.st_dev == lib.st_dev && so.st_ino == lib.st_ino)
			g->act.state = strcmp(g->soname, g->target) ? SOSWAP_LINK_OK
								    : SOSWAP_LINK_SAME_FILE;
		else if (!S_ISLNK(lso.st_mode))
			g->act.state = SOSWAP_LINK_NOT_SYMLINK;
	}
	g->act.dir = l->dir;
	g->act.soname = g->soname;
	g->act.target = g->target;
	g->act.old_target = g->old_target;
}

static int by_soname(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	return strcmp(x->soname, y->soname);
}

int soswap_links_plan(soswap_links **out, const char *dir, soswap_err *err)
{
	*out = NULL;
	soswap_links *l = calloc(1, sizeof(*l));
	if (!l || !(l->dir = strdup(dir))) {
		free(l);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", dir);
	}
	l->dirfd = -1;
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0) {
		int rc = -errno;
		soswap_links_free(l);
		return soswap__fail_errno(err, rc, "%s", dir);
	}
	int dupfd = dup(l->dirfd);
	DIR *d = dupfd < 0 ? NULL : fdopendir(dupfd);
	if (!d) {
		int rc = -errno;
		if (dupfd >= 0)
			close(dupfd);
		soswap_links_free(l);
		return soswap__fail_errno(err, rc, "%s: cannot read directory", dir);
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)))
		rc = consider(l, de->d_name);
	closedir(d);
	if (rc < 0) {
		soswap_links_free(l);
		return soswap__fail(err, rc, "%s: out of memory", dir);
	}
	/* Groups that hold only links (a link name, a soname link whose real
	 * file is gone from this directory) need nothing. */
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->g[i].is_link) {
			free(l->g[i].soname);
			free(l->g[i].target);
			continue;
		}
		l->g[k++] = l->g[i];
	}
	l->n = k;
	if (l->n)
		qsort(l->g, l->n, sizeof(*l->g), by_soname);
	for (size_t i = 0; i < l->n; i++)
		judge(l, &l->g[i]);
	*out = l;
	return 0;
}

size_t soswap_links_count(const soswap_links *l)
{
	return l ? l->n : 0;
}

const struct soswap_link_action *soswap_links_get(const soswap_links *l, size_t i)
{
	return l && i < l->n ? &l->g[i].act : NULL;
}

int soswap_links_apply(soswap_links *l, soswap_err *err)
{
	int changed = 0, first = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct group *g = &l->g[i];
		if (g->act.state != SOSWAP_LINK_CREATE && g->act.state != SOSWAP_LINK_UPDATE)
			continue;
		soswap_err e;
		int rc = soswap__symlink_replace(l->dirfd, l->dir, g->target, g->soname, &e);
		if (rc < 0) {
			g->act.state = SOSWAP_LINK_FAILED;
			if (!first) {
				first = rc;
				if (err)
					*err = e;
			}
			continue;
		}
		changed++;
	}
	if (changed) {
		int rc = soswap__fsync_dir(l->dirfd, l->dir, first ? NULL : err);
		if (rc < 0 && !first)
			first = rc;
	}
	return first ? first : changed;
}

void soswap_links_free(soswap_links *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->g[i].soname);
		free(l->g[i].target);
		free(l->g[i].old_target);
	}
	free(l->g);
	if (l->dirfd >= 0)
		close(l->dirfd);
	free(l->dir);
	free(l);
}
