/* install.c - put a new library version in place without ever changing a
 * file a running program maps, and roll it back.
 *
 * `cp new.so libfoo.so.1.0` rewrites the mapped inode in place and crashes
 * every program using it.  Here the new version always goes to a new inode
 * (a temporary file created with O_CREAT|O_EXCL, then renamed), and what
 * programs look up (the soname) is switched with rename(2), which is
 * atomic: a program starting at any moment loads the complete old or the
 * complete new file, and running programs keep their old inode.  The steps
 * and the test hook SOSWAP_TEST_STOP_AT are listed in include/soswap.h.
 */
#include <elf.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "runprog.h"
#include "state.h"

#define DEFAULT_DIR "/usr/local/lib"
#define MAX_STEPS 16

enum {
	STEP_TMPFILE = 1, STEP_WRITE, STEP_RENAME, STEP_FSYNC_FILE, STEP_STATE,
	STEP_TMPLINK, STEP_FLIP, STEP_FSYNC_LINK, STEP_LINK_NAME, STEP_LDCONFIG,
};

struct soswap_install {
	struct soswap_install_info info;
	char dir[PATH_MAX];
	char soname[SOSWAP_NAME_MAX];
	char real[SOSWAP_NAME_MAX];
	char previous[PATH_MAX];
	char prev_path[PATH_MAX];
	char link_name[SOSWAP_NAME_MAX];
	char dpkg[256];
	char saved[PATH_MAX];
	char statedir[PATH_MAX];
	char *steps[MAX_STEPS];
	soswap_abidiff *diff;
};

/* What the checks find out, used by the steps. */
struct plan {
	const char *new_path;
	const struct soswap_install_opts *opts;
	int dirfd, newfd;
	struct stat dirst;
	struct soswap_libname soname, real;
	int have_previous;	/* prev_path is a complete library to compare */
	int real_exists;	/* DIR/real already holds NEW's bytes */
	int flip;		/* the soname must change */
	int do_link_name;	/* the link name must change */
};

/* Test hook: SOSWAP_TEST_STOP_AT=N kills this process just before step N,
 * as a power cut or `kill -9` would. */
static void test_stop(int step)
{
	const char *s = getenv("SOSWAP_TEST_STOP_AT");
	if (s && atoi(s) == step)
		raise(SIGKILL);
}

static void stop_before_write(void)
{
	test_stop(STEP_WRITE);
}

static void add_step(soswap_install *h, const char *fmt, ...)
	SOSWAP__PRINTF(2, 3);
static void add_step(soswap_install *h, const char *fmt, ...)
{
	if (h->info.nsteps >= MAX_STEPS)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) >= 0)
		h->steps[h->info.nsteps++] = s;
	va_end(ap);
}

/* Where the symlink DIR/name points: its value in *target.  -EXDEV (with a
 * message) when the link leads out of DIR; 1 when it is inside DIR but
 * dangles; 0 when it is inside DIR and resolves. */
static int link_inside(soswap_install *h, struct plan *p, const char *name,
		       char *target, size_t size, soswap_err *err)
{
	ssize_t n = readlinkat(p->dirfd, name, target, size - 1);
	if (n < 0)
		return soswap__fail_errno(err, -errno, "%s/%s", h->dir, name);
	target[n] = '\0';
	/* The directory the link's value names, resolved from DIR. */
	char full[PATH_MAX * 2], real[PATH_MAX];
	const char *slash = strrchr(target, '/');
	int inside = 1;
	if (slash) {
		int len = (int)(slash - target);
		if (target[0] == '/')
			snprintf(full, sizeof(full), "%.*s", len ? len : 1, target);
		else
			snprintf(full, sizeof(full), "%s/%.*s", h->dir, len, target);
		struct stat st;
		inside = realpath(full, real) && stat(real, &st) == 0 &&
			 st.st_dev == p->dirst.st_dev && st.st_ino == p->dirst.st_ino;
	}
	if (!inside)
		return soswap__fail(err, -EXDEV, "%s/%s: points outside %s (to %s); "
				    "soswap only manages links inside the directory",
				    h->dir, name, h->dir, target);
	struct stat st;
	return fstatat(p->dirfd, name, &st, 0) == 0 ? 0 : 1;
}

static int check_dir(soswap_install *h, struct plan *p, soswap_err *err)
{
	const char *dir = p->opts->dir ? p->opts->dir : DEFAULT_DIR;
	if (!realpath(dir, h->dir))
		return soswap__fail_errno(err, -errno, "%s", dir);
	if (stat(h->dir, &p->dirst) < 0)
		return soswap__fail_errno(err, -errno, "%s", dir);
	if (!S_ISDIR(p->dirst.st_mode))
		return soswap__fail(err, -ENOTDIR, "%s: not a directory", dir);
	if (access(h->dir, W_OK | X_OK) < 0)
		return soswap__fail_errno(err, -errno, "%s: directory not writable", dir);
	p->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0)
		return soswap__fail_errno(err, -errno, "%s", dir);
	/* Two soswap runs on one directory take turns: the checks must still
	 * hold when the steps run. */
	if (flock(p->dirfd, p->opts->dry_run ? LOCK_SH : LOCK_EX) < 0)
		return soswap__fail_errno(err, -errno, "%s: cannot lock", dir);
	h->info.dir = h->dir;
	return 0;
}

/* The class and machine NEW must have: those of the version it replaces,
 * else of the running program. */
static int check_arch(soswap_install *h, struct plan *p, soswap_elf *elf,
		      soswap_err *err)
{
	soswap_elf *ref = NULL;
	const char *what = "this system";
	if (p->have_previous && soswap_elf_open(&ref, h->prev_path, NULL) == 0)
		what = h->prev_path;
	else if (soswap_elf_open(&ref, "/proc/self/exe", NULL) < 0)
		return 0;
	int rc = 0;
	if (soswap_elf_class(ref) != soswap_elf_class(elf) ||
	    soswap_elf_machine(ref) != soswap_elf_machine(elf))
		rc = soswap__fail(err, -ENOEXEC, "%s: %s %s, but %s is %s %s", p->new_path,
				  soswap_elf_class(elf) == ELFCLASS64 ? "ELF64" : "ELF32",
				  soswap_elf_machine_name(soswap_elf_machine(elf)), what,
				  soswap_elf_class(ref) == ELFCLASS64 ? "ELF64" : "ELF32",
				  soswap_elf_machine_name(soswap_elf_machine(ref)));
	soswap_elf_close(ref);
	return rc;
}

/* NEW: a shared library with a SONAME that carries its real name's major. */
static int check_new(soswap_install *h, struct plan *p, soswap_elf **elfp,
		     soswap_err *err)
{
	int rc = soswap_elf_open(elfp, p->new_path, err);
	if (rc < 0)
		return rc;
	soswap_elf *elf = *elfp;
	if (soswap_elf_kind(elf) != SOSWAP_ELF_DYN)
		return soswap__fail(err, -ENOEXEC, "%s: not a shared library (%s)",
				    p->new_path, soswap_elf_kind_name(soswap_elf_kind(elf)));
	const char *so = soswap_elf_soname(elf);
	if (!so || !*so)
		return soswap__fail(err, -EINVAL, "%s: has no SONAME (link it with "
				    "-Wl,-soname,libNAME.so.MAJOR)", p->new_path);
	if (soswap_libname_parse(&p->soname, so, NULL) < 0 || !soswap_name_is_library(so))
		return soswap__fail(err, -EINVAL, "%s: SONAME %s is not a library name",
				    p->new_path, so);
	strcpy(h->soname, so);
	h->info.soname = h->soname;

	const char *base = strrchr(p->new_path, '/');
	base = base ? base + 1 : p->new_path;
	if (p->opts->version) {
		if (snprintf(h->real, sizeof(h->real), "%s.so.%s", p->soname.stem,
			     p->opts->version) >= (int)sizeof(h->real))
			return soswap__fail(err, -EINVAL, "--version %s: too long", p->opts->version);
		rc = soswap_libname_parse(&p->real, h->real, err);
		if (rc < 0)
			return rc;
	} else if (soswap_libname_parse(&p->real, base, NULL) < 0 ||
		   strcmp(p->real.stem, p->soname.stem) ||
		   strlen(p->real.version) <= strlen(p->soname.version)) {
		/* NEW is named e.g. "libfoo.so" or "libfoo.so.1" or "x.so". */
		if (!strcmp(base, so) || strcmp(p->real.stem, p->soname.stem)) {
			strcpy(h->real, so);	/* only right for the file layout */
			p->real = p->soname;
		} else {
			return soswap__fail(err, -EINVAL, "%s: the file name carries no version "
					    "beyond SONAME %s; give --version X.Y.Z", p->new_path, so);
		}
	} else {
		strcpy(h->real, base);
	}
	if (!soswap_libname_soname_matches(&p->soname, &p->real))
		return soswap__fail(err, -EINVAL, "%s: SONAME %s does not carry the major "
				    "version of real name %s", p->new_path, so, h->real);
	h->info.real_name = h->real;
	p->newfd = open(p->new_path, O_RDONLY | O_CLOEXEC);
	if (p->newfd < 0)
		return soswap__fail_errno(err, -errno, "%s", p->new_path);
	return 0;
}

/* What DIR/SONAME is now: nothing, a symlink inside DIR, or a file. */
static int check_soname(soswap_install *h, struct plan *p, soswap_err *err)
{
	struct stat lst, st;
	if (fstatat(p->dirfd, h->soname, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return soswap__fail_errno(err, -errno, "%s/%s", h->dir, h->soname);
		h->info.new_soname = 1;
		return 0;
	}
	if (S_ISREG(lst.st_mode)) {
		h->info.layout_file = 1;
		strcpy(h->previous, h->soname);
	} else if (S_ISLNK(lst.st_mode)) {
		int rc = link_inside(h, p, h->soname, h->previous, sizeof(h->previous), err);
		if (rc < 0)
			return rc;
		if (rc == 1) {	/* dangling: nothing to compare with */
			h->info.previous = h->previous;
			return 0;
		}
	} else {
		return soswap__fail(err, -EEXIST, "%s/%s: exists and is neither a symlink "
				    "nor a regular file", h->dir, h->soname);
	}
	h->info.previous = h->previous;
	if (fstatat(p->dirfd, h->soname, &st, 0) == 0 && S_ISREG(st.st_mode)) {
		if (snprintf(h->prev_path, sizeof(h->prev_path), "%s/%s", h->dir,
			     h->previous) >= (int)sizeof(h->prev_path))
			return soswap__fail(err, -ENAMETOOLONG, "%s/%s: path too long",
					    h->dir, h->soname);
		h->info.previous_path = h->prev_path;
		h->info.previous_dev = st.st_dev;
		h->info.previous_ino = st.st_ino;
		p->have_previous = 1;
	}
	return 0;
}

/* The real name: free, or already holding exactly NEW. */
static int check_real(soswap_install *h, struct plan *p, soswap_err *err)
{
	if (h->info.layout_file) {
		int fd = openat(p->dirfd, h->soname, O_RDONLY | O_CLOEXEC);
		p->real_exists = fd >= 0 && soswap__same_content(fd, p->newfd);
		if (fd >= 0)
			close(fd);
		strcpy(h->real, h->soname);
		p->flip = !p->real_exists;
		return 0;
	}
	if (!strcmp(h->real, h->soname))
		return soswap__fail(err, -EINVAL, "%s: named by its SONAME %s; give "
				    "--version X.Y.Z to choose the real name", p->new_path, h->soname);
	struct stat lst;
	if (fstatat(p->dirfd, h->real, &lst, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(lst.st_mode))
			return soswap__fail(err, -EEXIST, "%s/%s: exists and is not a regular file",
					    h->dir, h->real);
		int fd = openat(p->dirfd, h->real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		int same = fd >= 0 && soswap__same_content(fd, p->newfd);
		if (fd >= 0)
			close(fd);
		if (!same)
			return soswap__fail(err, -EEXIST, "%s/%s: already exists with different "
					    "content; choose another version", h->dir, h->real);
		p->real_exists = 1;
	} else if (errno != ENOENT) {
		return soswap__fail_errno(err, -errno, "%s/%s", h->dir, h->real);
	}
	p->flip = !h->info.previous || strcmp(h->previous, h->real);
	return 0;
}

/* ABI and version against the previous version. */
static int check_compat(soswap_install *h, struct plan *p, soswap_err *err)
{
	if (!p->have_previous || !p->flip)
		return 0;
	int rc = soswap_abidiff_files(&h->diff, h->prev_path, p->new_path, 0, err);
	if (rc < 0) {
		if (!p->opts->force)
			return rc;
	} else {
		h->info.abi_checked = 1;
		h->info.abi = soswap_abidiff_verdict(h->diff);
	}
	if (h->info.abi == SOSWAP_ABI_INCOMPATIBLE && !p->opts->force) {
		const struct soswap_abi_change *c = NULL;
		for (size_t i = 0; i < soswap_abidiff_count(h->diff); i++) {
			c = soswap_abidiff_change(h->diff, i);
			if (c->incompatible)
				break;
		}
		unsigned long major = p->soname.nparts ? p->soname.parts[0] : 0;
		return soswap__fail(err, -EPERM, "%s: incompatible ABI change from %s under the "
				    "same soname %s (%s%s%s); bump the major version (SONAME "
				    "%s.so.%lu) or use --force", p->new_path, h->previous, h->soname,
				    c ? c->kind : "?", c && c->symbol ? " " : "",
				    c && c->symbol ? c->symbol : "", p->soname.stem, major + 1);
	}
	if (!h->info.layout_file && soswap_name_cmp(h->real, h->previous) < 0) {
		h->info.downgrade = 1;
		if (!p->opts->force)
			return soswap__fail(err, -EPERM, "%s: %s is older than the installed %s "
					    "(a downgrade); use --force", p->new_path, h->real,
					    h->previous);
	}
	return 0;
}

static int check_link_name(soswap_install *h, struct plan *p, soswap_err *err)
{
	if (!p->opts->link_name)
		return 0;
	if (snprintf(h->link_name, sizeof(h->link_name), "%s.so",
		     p->soname.stem) >= (int)sizeof(h->link_name))
		return soswap__fail(err, -ENAMETOOLONG, "%s: name too long", p->soname.stem);
	if (!strcmp(h->link_name, h->soname))
		return soswap__fail(err, -EINVAL, "%s: the SONAME %s is the link name itself",
				    p->new_path, h->soname);
	struct stat lst;
	p->do_link_name = 1;
	if (fstatat(p->dirfd, h->link_name, &lst, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISLNK(lst.st_mode))
			return soswap__fail(err, -EEXIST, "%s/%s: link name exists and is not a "
					    "symlink", h->dir, h->link_name);
		char target[PATH_MAX];
		int rc = link_inside(h, p, h->link_name, target, sizeof(target), err);
		if (rc < 0)
			return rc;
		p->do_link_name = strcmp(target, h->soname) != 0;
	}
	h->info.link_name = h->link_name;
	return 0;
}

/* --- Debian package ownership ------------------------------------- */

struct dpkg_query {
	const char *paths[8];
	size_t n;
	char *owner;
	size_t size;
};

static void dpkg_line(void *arg, const char *line)
{
	struct dpkg_query *q = arg;
	if (!strncmp(line, "diversion by", 12) || q->owner[0])
		return;
	const char *sep = strstr(line, ": ");
	if (!sep)
		return;
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(sep + 2, q->paths[i]))
			snprintf(q->owner, q->size, "%.*s", (int)(sep - line), line);
}

/* dpkg records /lib/... while the real path is /usr/lib/... on merged-/usr
 * systems: ask for both spellings. */
static size_t add_dpkg_paths(char bufs[][PATH_MAX], size_t n, const char *dir,
			     const char *name)
{
	static const char *const merged[] = { "/usr/bin/", "/usr/sbin/", "/usr/lib/",
					      "/usr/lib32/", "/usr/lib64/", "/usr/libx32/" };
	snprintf(bufs[n++], PATH_MAX, "%s/%s", dir, name);
	for (size_t i = 0; i < ARRAY_SIZE(merged); i++)
		if (!strncmp(bufs[n - 1], merged[i], strlen(merged[i]))) {
			memmove(bufs[n], bufs[n - 1] + 4, strlen(bufs[n - 1] + 4) + 1);
			n++;
			break;
		}
	return n;
}

static int check_dpkg(soswap_install *h, struct plan *p, soswap_err *err)
{
	char paths[4][PATH_MAX];
	size_t n = 0;
	if (h->info.previous && p->flip)
		n = add_dpkg_paths(paths, n, h->dir, h->soname);
	if (p->do_link_name)
		n = add_dpkg_paths(paths, n, h->dir, h->link_name);
	if (!n)
		return 0;
	struct dpkg_query q = { .n = n, .owner = h->dpkg, .size = sizeof(h->dpkg) };
	const char *argv[8] = { "dpkg-query", "-S" };
	for (size_t i = 0; i < n; i++)
		argv[2 + i] = q.paths[i] = paths[i];
	int status;
	if (soswap__run(argv, dpkg_line, &q, &status) < 0 || !h->dpkg[0])
		return 0;	/* no dpkg on this system, or not owned */
	h->info.dpkg_owner = h->dpkg;
	if (!p->opts->force)
		return soswap__fail(err, -EPERM, "%s/%s belongs to Debian package %s; its next "
				    "upgrade would overwrite it; use --force to replace it anyway",
				    h->dir, h->info.previous && p->flip ? h->soname : h->link_name,
				    h->dpkg);
	return 0;
}

/* --- ldconfig ------------------------------------------------------- */

struct ldconf_scan {
	dev_t dev;
	ino_t ino;
	int found;
};

static void ldconf_line(void *arg, const char *line)
{
	struct ldconf_scan *s = arg;
	if (line[0] != '/' || s->found)
		return;
	char dir[PATH_MAX];
	const char *end = strstr(line, ": (");
	size_t len = end ? (size_t)(end - line) : strlen(line);
	if (!end && len && line[len - 1] == ':')
		len--;
	if (len >= sizeof(dir))
		return;
	memcpy(dir, line, len);
	dir[len] = '\0';
	struct stat st;
	if (stat(dir, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		s->found = 1;
}

/* Whether the loader finds DIR through ld.so.cache: `ldconfig -v -N -X`
 * lists the directories of the cache set without changing anything. */
static int dir_in_ldcache(const struct plan *p)
{
	struct ldconf_scan s = { p->dirst.st_dev, p->dirst.st_ino, 0 };
	const char *argv[] = { "ldconfig", "-v", "-N", "-X", NULL };
	const char *argv2[] = { "/sbin/ldconfig", "-v", "-N", "-X", NULL };
	int status;
	if (soswap__run(argv, ldconf_line, &s, &status) == -ENOENT)
		soswap__run(argv2, ldconf_line, &s, &status);
	return s.found;
}

static void run_ldconfig(soswap_install *h)
{
	const char *argv[] = { "ldconfig", NULL };
	const char *argv2[] = { "/sbin/ldconfig", NULL };
	int status = -1, rc = soswap__run(argv, NULL, NULL, &status);
	if (rc == -ENOENT)
		rc = soswap__run(argv2, NULL, NULL, &status);
	if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		add_step(h, "ran ldconfig: %s is now in ld.so.cache", h->soname);
	} else {
		h->info.ldconfig = -1;
		add_step(h, "ldconfig failed; run it by hand");
	}
}

/* --- the transaction ----------------------------------------------- */

/* Steps 1-4: write NEW to DIR/real through a temporary file. */
static int put_real_name(soswap_install *h, struct plan *p, int *created, soswap_err *err)
{
	char tmp[64] = "";
	test_stop(STEP_TMPFILE);
	int rc = soswap__copy_tmp(p->dirfd, h->dir, p->newfd, 0644, tmp, stop_before_write, err);
	if (rc < 0)
		goto fail;
	test_stop(STEP_RENAME);
	/* RENAME_NOREPLACE: a real name that appeared meanwhile is not clobbered. */
	if (renameat2(p->dirfd, tmp, p->dirfd, h->real, RENAME_NOREPLACE) < 0) {
		rc = soswap__fail_errno(err, -errno, "%s/%s", h->dir, h->real);
		goto fail;
	}
	*created = 1;
	test_stop(STEP_FSYNC_FILE);
	rc = soswap__fsync_dir(p->dirfd, h->dir, err);
	if (rc < 0)
		return rc;
	add_step(h, "wrote %s/%s", h->dir, h->real);
	return 0;
fail:
	if (tmp[0])
		unlinkat(p->dirfd, tmp, 0);
	return rc;
}

static int record_state(soswap_install *h, const char *prev, soswap_err *err)
{
	struct soswap__state st;
	test_stop(STEP_STATE);
	int rc = soswap__state_read(&st, h->statedir, h->soname, err);
	if (rc < 0)
		return rc;
	st.layout_file = h->info.layout_file;
	if (prev)
		soswap__state_push(&st, prev);
	snprintf(st.current, sizeof(st.current), "%s", h->real);
	return soswap__state_write(&st, h->statedir, h->soname, err);
}

static int flip_link(soswap_install *h, struct plan *p, soswap_err *err)
{
	char tmp[64];
	test_stop(STEP_TMPLINK);
	int rc = soswap__symlink_tmp(p->dirfd, h->dir, h->real, tmp, err);
	if (rc < 0)
		return rc;
	test_stop(STEP_FLIP);
	if (renameat(p->dirfd, tmp, p->dirfd, h->soname) < 0) {
		rc = soswap__fail_errno(err, -errno, "%s/%s", h->dir, h->soname);
		unlinkat(p->dirfd, tmp, 0);
		return rc;
	}
	test_stop(STEP_FSYNC_LINK);
	rc = soswap__fsync_dir(p->dirfd, h->dir, err);
	if (h->info.previous)
		add_step(h, "%s -> %s (was %s)", h->soname, h->real, h->previous);
	else
		add_step(h, "%s -> %s (new)", h->soname, h->real);
	return rc;
}

static int install_symlink_layout(soswap_install *h, struct plan *p, soswap_err *err)
{
	int created = 0, rc = 0;
	if (!p->real_exists)
		rc = put_real_name(h, p, &created, err);
	if (rc == 0 && p->flip)
		rc = record_state(h, h->info.previous && p->have_previous ? h->previous : NULL, err);
	if (rc == 0 && p->flip)
		rc = flip_link(h, p, err);
	if (rc < 0 && created && p->flip) {
		/* Not switched: take the new file away again so that a later
		 * ldconfig does not pick it up half-way through our work. */
		char target[PATH_MAX];
		ssize_t n = readlinkat(p->dirfd, h->soname, target, sizeof(target) - 1);
		if (n < 0 || (size_t)n != strlen(h->real) || memcmp(target, h->real, (size_t)n))
			unlinkat(p->dirfd, h->real, 0);
	}
	return rc;
}

/* File layout: save the current DIR/SONAME in the state directory, then
 * rename a temporary copy of NEW over it. */
static int install_file_layout(soswap_install *h, struct plan *p, soswap_err *err)
{
	char tmp[64] = "", stmp[64] = "", saved[SOSWAP_NAME_MAX];
	int sfd = -1, oldfd = -1, rc;
	test_stop(STEP_TMPFILE);
	rc = soswap__copy_tmp(p->dirfd, h->dir, p->newfd, 0644, tmp, stop_before_write, err);
	if (rc < 0)
		goto out;
	test_stop(STEP_RENAME);
	if ((rc = soswap__mkdirs(h->statedir, err)) < 0)
		goto out;
	sfd = open(h->statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	oldfd = openat(p->dirfd, h->soname, O_RDONLY | O_CLOEXEC);
	if (sfd < 0 || oldfd < 0) {
		rc = soswap__fail_errno(err, -errno, "%s", sfd < 0 ? h->statedir : h->prev_path);
		goto out;
	}
	/* The saved copy's name does not start with "lib": invisible to
	 * ldconfig even if someone lists the state directory as a library
	 * directory. */
	snprintf(saved, sizeof(saved), "saved-%lld-%ld-%.200s", (long long)time(NULL),
		 (long)getpid(), h->soname);
	if ((rc = soswap__copy_tmp(sfd, h->statedir, oldfd, 0644, stmp, NULL, err)) < 0)
		goto out;
	if (renameat(sfd, stmp, sfd, saved) < 0) {
		rc = soswap__fail_errno(err, -errno, "%s/%s", h->statedir, saved);
		goto out;
	}
	stmp[0] = '\0';
	test_stop(STEP_FSYNC_FILE);
	if ((rc = soswap__fsync_dir(sfd, h->statedir, err)) < 0)
		goto out;
	if (snprintf(h->saved, sizeof(h->saved), "%s/%s", h->statedir, saved) >=
	    (int)sizeof(h->saved))
		h->saved[0] = '\0';
	h->info.saved_copy = h->saved;
	add_step(h, "saved the previous %s as %s", h->soname, h->saved);
	if ((rc = record_state(h, saved, err)) < 0)
		goto out;
	test_stop(STEP_TMPLINK);
	test_stop(STEP_FLIP);
	if (renameat(p->dirfd, tmp, p->dirfd, h->soname) < 0) {
		rc = soswap__fail_errno(err, -errno, "%s/%s", h->dir, h->soname);
		goto out;
	}
	tmp[0] = '\0';
	test_stop(STEP_FSYNC_LINK);
	rc = soswap__fsync_dir(p->dirfd, h->dir, err);
	add_step(h, "replaced %s/%s (a regular file) by rename", h->dir, h->soname);
out:
	if (tmp[0])
		unlinkat(p->dirfd, tmp, 0);
	if (stmp[0] && sfd >= 0)
		unlinkat(sfd, stmp, 0);
	if (sfd >= 0)
		close(sfd);
	if (oldfd >= 0)
		close(oldfd);
	return rc;
}

static void plan_steps(soswap_install *h, struct plan *p)
{
	if (!p->flip) {
		add_step(h, "%s/%s already is this build: nothing to do", h->dir, h->real);
	} else if (h->info.layout_file) {
		add_step(h, "would save the previous %s in %s", h->soname, h->statedir);
		add_step(h, "would replace %s/%s (a regular file) by rename", h->dir, h->soname);
	} else {
		if (!p->real_exists)
			add_step(h, "would write %s/%s", h->dir, h->real);
		if (h->info.previous)
			add_step(h, "would point %s at %s (was %s)", h->soname, h->real, h->previous);
		else
			add_step(h, "would create %s -> %s", h->soname, h->real);
	}
	if (p->do_link_name)
		add_step(h, "would point %s at %s", h->link_name, h->soname);
	if (h->info.ldconfig)
		add_step(h, "would run ldconfig");
}

static int checks(soswap_install *h, struct plan *p, soswap_err *err)
{
	soswap_elf *elf = NULL;
	int rc = check_dir(h, p, err);
	if (rc == 0)
		rc = check_new(h, p, &elf, err);
	if (rc == 0)
		rc = check_soname(h, p, err);
	if (rc == 0)
		rc = check_arch(h, p, elf, err);
	soswap_elf_close(elf);
	if (rc == 0)
		rc = check_real(h, p, err);
	if (rc == 0)
		rc = check_link_name(h, p, err);
	if (rc == 0)
		rc = check_dpkg(h, p, err);
	if (rc == 0)
		rc = check_compat(h, p, err);
	if (rc == 0)
		rc = soswap__state_dir(h->statedir, sizeof(h->statedir), h->dir, err);
	if (rc == 0 && h->info.new_soname && p->flip)
		h->info.ldconfig = dir_in_ldcache(p);
	return rc;
}

int soswap_install_run(soswap_install **out, const char *new_path,
		       const struct soswap_install_opts *opts, soswap_err *err)
{
	*out = NULL;
	soswap_install *h = calloc(1, sizeof(*h));
	if (!h)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", new_path);
	struct plan p = { .new_path = new_path, .opts = opts, .dirfd = -1, .newfd = -1 };
	h->info.dry_run = opts->dry_run;
	h->info.steps = (const char *const *)h->steps;
	int rc = checks(h, &p, err);
	if (rc == 0 && !p.flip)
		h->info.unchanged = 1;
	if (rc == 0 && opts->dry_run)
		plan_steps(h, &p);
	else if (rc == 0) {
		/* Temporary files of an install killed earlier are garbage. */
		if (soswap__remove_stale_tmp(p.dirfd) > 0)
			add_step(h, "removed temporary files of an interrupted soswap run");
		if (p.flip)
			rc = h->info.layout_file ? install_file_layout(h, &p, err)
						 : install_symlink_layout(h, &p, err);
		else
			add_step(h, "%s/%s already is this build: nothing to do", h->dir, h->real);
		if (rc == 0 && p.do_link_name) {
			test_stop(STEP_LINK_NAME);
			rc = soswap__symlink_replace(p.dirfd, h->dir, h->soname, h->link_name, err);
			if (rc == 0)
				rc = soswap__fsync_dir(p.dirfd, h->dir, err);
			if (rc == 0)
				add_step(h, "%s -> %s", h->link_name, h->soname);
		}
		if (rc == 0 && h->info.ldconfig) {
			test_stop(STEP_LDCONFIG);
			run_ldconfig(h);
		}
	}
	if (p.dirfd >= 0)
		close(p.dirfd);
	if (p.newfd >= 0)
		close(p.newfd);
	if (rc < 0) {
		soswap_install_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

const struct soswap_install_info *soswap_install_get(const soswap_install *h)
{
	return h ? &h->info : NULL;
}

const soswap_abidiff *soswap_install_abidiff(const soswap_install *h)
{
	return h ? h->diff : NULL;
}

void soswap_install_free(soswap_install *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->info.nsteps; i++)
		free(h->steps[i]);
	soswap_abidiff_free(h->diff);
	free(h);
}
