/* procscan.c - which processes map a library (soswap_who) and which run
 * deleted, replaced or rewritten libraries (soswap_stale).
 *
 * Speed comes from doing little per process: one read of /proc/PID/maps,
 * no stat of map_files unless the maps numbers leave a doubt, and one stat
 * per distinct path for the whole scan (the path cache).  Process details
 * (comm, cmdline, owner, start time) are read only for processes that end
 * up in the result. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "live-internal.h"
#include "procscan.h"

#define PROC_MAX 4000000	/* pids accepted from /proc or the caller */

/* ---- per-path stat cache ------------------------------------------------ */

struct pcache_ent {
	char *path;
	int err;		/* 0 or -errno of stat */
	struct stat st;
	int elf;		/* -1 unknown, 0 no, 1 ELF shared object */
};

struct pcache {
	struct pcache_ent *v;	/* open addressing, cap a power of two */
	size_t n, cap;
};

static int pcache_grow(struct pcache *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 1024;
	struct pcache_ent *nv = calloc(ncap, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->v[i].path)
			continue;
		size_t j = soswap__hash_str(c->v[i].path) & (ncap - 1);
		while (nv[j].path)
			j = (j + 1) & (ncap - 1);
		nv[j] = c->v[i];
	}
	free(c->v);
	c->v = nv;
	c->cap = ncap;
	return 0;
}

/* The cached stat of `path`; NULL only when out of memory. */
static struct pcache_ent *pcache_get(struct pcache *c, const char *path)
{
	if ((c->n + 1) * 2 > c->cap && pcache_grow(c) < 0)
		return NULL;
	size_t j = soswap__hash_str(path) & (c->cap - 1);
	while (c->v[j].path) {
		if (!strcmp(c->v[j].path, path))
			return &c->v[j];
		j = (j + 1) & (c->cap - 1);
	}
	struct pcache_ent *e = &c->v[j];
	if (!(e->path = strdup(path)))
		return NULL;
	c->n++;
	e->elf = -1;
	e->err = stat(path, &e->st) < 0 ? -errno : 0;
	return e;
}

static void pcache_free(struct pcache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->v[i].path);
	free(c->v);
}

/* ---- the scan handle ---------------------------------------------------- */

struct hit {
	struct soswap_proc_map p;
	size_t group;
};

struct soswap_scan {
	struct soswap_lib_group *groups;
	size_t ngroups, gcap;
	struct hit *hits;
	size_t nhits, hcap;
	struct soswap_proc_map *procs;	/* hits, sorted, as handed out */
	char **strs;			/* every string the handle owns */
	size_t nstrs, scap;
	size_t scanned, denied;
	/* Scanning threads share the handle, the path cache and the result
	 * lists: every change to them is made under this lock. */
	pthread_mutex_t lock;
};

/* Keep a copy of s in the handle; NULL only when out of memory. */
static const char *own(soswap_scan *s, const char *str)
{
	if (!str)
		return NULL;
	char *d = strdup(str);
	if (!d)
		return NULL;
	pthread_mutex_lock(&s->lock);
	int rc = soswap__grow((void **)&s->strs, &s->scap, s->nstrs + 1, sizeof(*s->strs));
	if (!rc)
		s->strs[s->nstrs++] = d;
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		free(d);
		return NULL;
	}
	return d;
}

/* ---- process details, read only for processes in the result ------------ */

struct proc_info {
	pid_t pid;
	int loaded;
	uid_t uid;
	const char *comm, *cmdline;	/* owned by the scan */
	int64_t start_ns;
	int root;		/* paths in our view: 1 yes, 0 no (other mount
				   namespace), -1 unknown, -2 not checked */
	int maps_fd;		/* /proc/PID/maps while open, else -1 */
	int exe_known;
	dev_t exe_dev;
	ino_t exe_ino;
};

struct scan_ctx {
	soswap_scan *s;
	struct pcache cache;
	int64_t boot_ns;	/* CLOCK_REALTIME of boot */
	pid_t *journaled;	/* pids with a live-swap journal, sorted */
	size_t njournaled;
	long hz;
	dev_t mntns_dev;	/* our mount namespace (0: unknown) */
	ino_t mntns_ino;
	unsigned flags;		/* SOSWAP_SCAN_* */
	int fast;		/* PROCMAP_QUERY works */
};

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* Command name and start time (clock ticks since boot) from /proc/PID/stat. */
static void proc_stat(struct scan_ctx *c, struct proc_info *pi)
{
	struct soswap__pstat st;
	pi->start_ns = -1;
	if (soswap__proc_stat(pi->pid, 0, &st) < 0)
		return;
	pi->comm = own(c->s, st.comm);
	if (st.start_ticks < (uint64_t)INT64_MAX / 1000000000)
		pi->start_ns = c->boot_ns + (int64_t)(st.start_ticks * 1000000000ull /
						      (unsigned long long)c->hz);
}

/* argv joined by spaces ("" when unreadable, e.g. a kernel thread). */
static const char *proc_cmdline(soswap_scan *s, pid_t pid)
{
	char path[64], *buf;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (soswap__read_proc_file(path, 65536, &buf, &len) < 0)
		return own(s, "");
	while (len && buf[len - 1] == '\0')
		buf[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	const char *r = own(s, buf);
	free(buf);
	return r;
}

static void proc_load(struct scan_ctx *c, struct proc_info *pi)
{
	char path[64];
	struct stat st;
	if (pi->loaded)
		return;
	pi->loaded = 1;
	snprintf(path, sizeof(path), "/proc/%d", (int)pi->pid);
	/* the owner of /proc/PID and of its files: fstat of the open maps
	 * file spares a path lookup */
	if ((pi->maps_fd >= 0 && fstat(pi->maps_fd, &st) == 0) || stat(path, &st) == 0)
		pi->uid = st.st_uid;
	else
		pi->uid = (uid_t)-1;
	if (c->flags & SOSWAP_SCAN_BRIEF) {
		/* the name alone: /proc/PID/comm is far cheaper to produce
		 * than stat, and cmdline reads the target's memory */
		char *buf;
		size_t len;
		pi->start_ns = -1;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pi->pid);
		if (soswap__read_proc_file(path, 256, &buf, &len) == 0) {
			buf[strcspn(buf, "\n")] = '\0';
			pi->comm = own(c->s, buf);
			free(buf);
		}
		pi->cmdline = own(c->s, "");
	} else {
		proc_stat(c, pi);
		pi->cmdline = proc_cmdline(c->s, pi->pid);
	}
	if (!pi->comm)
		pi->comm = own(c->s, "");
}

/* Whether the paths in the process's maps name files in our view of the
 * file system.  The kernel prints them relative to the reader's root, so
 * they do for a chrooted process too; only a process in another mount
 * namespace (a container) prints paths of its own mount tree, which are
 * then looked up through /proc/PID/root. */
static int proc_root(struct scan_ctx *c, struct proc_info *pi)
{
	if (pi->root == -2) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pi->pid);
		if (!c->mntns_ino || stat(path, &st) < 0)
			pi->root = c->mntns_ino ? -1 : 1;
		else
			pi->root = st.st_dev == c->mntns_dev && st.st_ino == c->mntns_ino;
	}
	return pi->root;
}

/* stat() of the file a path of this process names now: 0, or -errno
 * (-EACCES when its root cannot be entered). */
static int path_stat(struct scan_ctx *c, struct proc_info *pi, const char *path,
		     struct stat *st)
{
	int root = proc_root(c, pi);
	if (root == 1) {
		pthread_mutex_lock(&c->s->lock);
		struct pcache_ent *e = pcache_get(&c->cache, path);
		int rc = e ? e->err : -ENOMEM;
		if (e && !e->err)
			*st = e->st;
		pthread_mutex_unlock(&c->s->lock);
		return rc;
	}
	if (root < 0)
		return -EACCES;
	char buf[PATH_MAX + 64];
	if ((size_t)snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)pi->pid,
			     path) >= sizeof(buf))
		return -ENAMETOOLONG;
	return stat(buf, st) < 0 ? -errno : 0;
}

/* ---- the files one process maps ---------------------------------------- */

struct mfile {
	uint64_t start, end;	/* its first mapping seen, for map_files */
	uint64_t offset;	/* file offset of that mapping */
	const char *path;
	dev_t dev;		/* from maps until resolved */
	ino_t ino;
	int deleted;
	int exec;		/* some mapping of it is executable */
	int ident_from_maps;
	uint64_t base;
	int have_base0;
};

struct mfiles {
	struct mfile *v;
	size_t n, cap;
	char **names;		/* paths copied from PROCMAP_QUERY answers */
	size_t nnames, ncap;
};

static void mfiles_reset(struct mfiles *f)
{
	for (size_t i = 0; i < f->nnames; i++)
		free(f->names[i]);
	f->nnames = 0;
	f->n = 0;
}

static void mfiles_free(struct mfiles *f)
{
	mfiles_reset(f);
	free(f->names);
	free(f->v);
}

/* Account mapping v to its file (same path, device and inode); a path that
 * does not outlive v is copied when copy_path. */
static int mfiles_add(struct mfiles *f, const struct soswap_mapping *v, int copy_path)
{
	if (!v->path || v->path[0] != '/' || (!v->ino && !v->dev))
		return 0;
	struct mfile *e = NULL;
	for (size_t k = f->n; k-- > 0;) {
		struct mfile *x = &f->v[k];
		if (x->ino == v->ino && x->dev == v->dev &&
		    x->deleted == v->deleted && !strcmp(x->path, v->path)) {
			e = x;
			break;
		}
	}
	if (!e) {
		const char *path = v->path;
		if (copy_path) {
			char *d;
			if (soswap__grow((void **)&f->names, &f->ncap, f->nnames + 1,
					 sizeof(*f->names)) || !(d = strdup(path)))
				return -ENOMEM;
			f->names[f->nnames++] = d;
			path = d;
		}
		if (soswap__grow((void **)&f->v, &f->cap, f->n + 1, sizeof(*f->v)))
			return -ENOMEM;
		e = &f->v[f->n++];
		memset(e, 0, sizeof(*e));
		e->start = v->start;
		e->end = v->end;
		e->offset = v->offset;
		e->path = path;
		e->dev = v->dev;
		e->ino = v->ino;
		e->deleted = v->deleted;
		e->ident_from_maps = 1;
		e->base = v->start;
	}
	if (v->perms[2] == 'x')
		e->exec = 1;
	if (v->offset == 0 && (!e->have_base0 || v->start < e->base)) {
		e->base = v->start;
		e->have_base0 = 1;
	} else if (!e->have_base0 && v->start < e->base) {
		e->base = v->start;
	}
	return 0;
}

/* Collapse the mappings of a process (maps text) into distinct files. */
static int collect_files(const soswap_maps *m, struct mfiles *f)
{
	mfiles_reset(f);
	for (size_t i = 0; i < soswap_maps_count(m); i++) {
		int rc = mfiles_add(f, soswap_maps_get(m, i), 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_cb(void *arg, const struct soswap_mapping *m)
{
	return mfiles_add(arg, m, 1);
}

/* Load bases through PROCMAP_QUERY, which showed executable mappings
 * only: the mapping of file offset 0 sits at the executable segment's
 * address minus its file offset in the usual layout (checked: same file,
 * offset 0; else the executable mapping's start stays). */
static void exec_files_bases(int fd, struct mfiles *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct mfile *e = &f->v[i];
		struct soswap_mapping m;
		if (e->offset > e->start || e->have_base0)
			continue;
		if (soswap__vma_file_at(fd, e->start - e->offset, NULL, 0, &m) == 0 &&
		    m.ino == e->ino && m.dev == e->dev && m.offset == 0 &&
		    m.start <= e->base) {
			e->base = m.start;
			e->have_base0 = 1;
		}
	}
}

/* The executable files of a process through PROCMAP_QUERY. */
static int collect_exec_files(int fd, struct mfiles *f)
{
	mfiles_reset(f);
	int rc = soswap__vma_exec_each(fd, 1, add_cb, f);
	if (rc < 0)
		return rc;
	exec_files_bases(fd, f);
	return 0;
}

/* Replace the maps numbers of f by stat() of map_files when allowed. */
static void resolve_ident(pid_t pid, struct mfile *f)
{
	char p[64];
	struct stat st;
	if (!f->ident_from_maps)
		return;
	snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, f->start, f->end);
	if (stat(p, &st) == 0) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->ident_from_maps = 0;
	}
}

/* Same file?  Numbers printed in maps carry the right inode but may show
 * another device than stat() (btrfs subvolumes, overlayfs), so only the
 * inode is compared for them. */
static int same_file(const struct mfile *f, dev_t dev, ino_t ino)
{
	return f->ino == ino && (f->ident_from_maps || f->dev == dev);
}

static int add_hit(struct scan_ctx *c, struct proc_info *pi,
		   const struct mfile *f, size_t group)
{
	soswap_scan *s = c->s;
	proc_load(c, pi);
	struct hit h = { .group = group };
	h.p.pid = pi->pid;
	h.p.uid = pi->uid;
	h.p.comm = pi->comm;
	h.p.cmdline = pi->cmdline;
	h.p.path = own(s, f->path);
	h.p.base = f->base;
	h.p.dev = f->dev;
	h.p.ino = f->ino;
	h.p.deleted = f->deleted;
	h.p.ident_from_maps = f->ident_from_maps;
	h.p.start_ns = pi->start_ns;
	if (!h.p.path || !h.p.comm || !h.p.cmdline)
		return -ENOMEM;
	char now[4096];
	if (soswap__journal_pid_listed(c->journaled, c->njournaled, pi->pid) &&
	    soswap__journal_swapped_off(pi->pid, f->path, now, sizeof(now))) {
		h.p.flags |= SOSWAP_PROC_SWAPPED;
		if (!(h.p.swapped_to = own(s, now)))
			return -ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	int rc = soswap__grow((void **)&s->hits, &s->hcap, s->nhits + 1, sizeof(*s->hits));
	if (!rc)
		s->hits[s->nhits++] = h;
	pthread_mutex_unlock(&s->lock);
	return rc ? -ENOMEM : 0;
}

/* ---- who ---------------------------------------------------------------- */

struct who_arg {
	const struct stat *targets;
	const size_t *group;	/* group of each target */
	size_t n;
};

static int who_proc(struct scan_ctx *c, struct proc_info *pi, struct mfiles *fs,
		    const struct who_arg *w)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct mfile *f = &fs->v[i];
		if (!f->exec)
			continue;	/* its code is not mapped: not a user */
		/* Cheap candidate test first: the inode printed in maps (it
		 * is the file's own; only the device number may differ). */
		int cand = 0, exact = 0;
		struct stat cur;
		for (size_t k = 0; k < w->n; k++) {
			cand |= f->ino == w->targets[k].st_ino;
			exact |= f->ino == w->targets[k].st_ino && f->dev == w->targets[k].st_dev;
		}
		if (!cand)
			continue;
		/* Device numbers name one mounted file system each, whether
		 * block (major > 0) or anonymous (btrfs subvolumes, overlayfs,
		 * tmpfs): maps numbers equal to a target's stat() numbers prove
		 * the identity.  Only when they differ (btrfs and overlayfs
		 * print another device in maps than stat() gives) does
		 * map_files tell. */
		if (!exact)
			resolve_ident(pi->pid, f);
		for (size_t k = 0; k < w->n; k++) {
			const struct stat *t = &w->targets[k];
			int match;
			if (!f->ident_from_maps)
				match = f->dev == t->st_dev && f->ino == t->st_ino;
			else if (f->dev == t->st_dev && f->ino == t->st_ino)
				match = 1;
			else	/* maps shows another device number: trust the
				   path if it names the target and the inode
				   printed agrees */
				match = f->ino == t->st_ino && !f->deleted &&
					path_stat(c, pi, f->path, &cur) == 0 &&
					cur.st_dev == t->st_dev && cur.st_ino == t->st_ino;
			if (match) {
				int rc = add_hit(c, pi, f, w->group[k]);
				if (rc < 0)
					return rc;
			}
		}
	}
	return 0;
}

/* ---- stale -------------------------------------------------------------- */

struct stale_arg {
	const char *filter;		/* as given, no trailing '/' */
	char *filter_real;		/* realpath, or NULL */
	int filter_dir;
	int filter_stat_ok;
	struct stat filter_st;
};

static int name_is_so(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	for (const char *p = strstr(b, ".so"); p; p = strstr(p + 1, ".so"))
		if (p[3] == '\0' || p[3] == '.')
			return 1;
	return 0;
}

/* Shared memory, memfd and device mappings are never libraries. */
static int never_library(const char *path)
{
	static const char *const prefixes[] = {
		"/memfd:", "/SYSV", "/dev/", "/anon_hugepage", "/proc/", "/sys/",
	};
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static int elf_is_dso(const char *path)
{
	soswap_elf *elf;
	if (soswap_elf_open(&elf, path, NULL) < 0)
		return 0;
	enum soswap_elf_kind k = soswap_elf_kind(elf);
	soswap_elf_close(elf);
	return k == SOSWAP_ELF_DYN || k == SOSWAP_ELF_PIE;
}

/* A library: mapped executable, named *.so* or an ELF shared object that
 * is not the program itself.  JIT code and libffi trampolines live in
 * executable temp files too, but those are neither. */
static int is_library(struct scan_ctx *c, struct proc_info *pi, struct mfile *f)
{
	if (!f->exec || never_library(f->path))
		return 0;
	if (name_is_so(f->path))
		return 1;
	resolve_ident(pi->pid, f);
	if (!pi->exe_known) {
		char p[64];
		struct stat st;
		snprintf(p, sizeof(p), "/proc/%d/exe", (int)pi->pid);
		pi->exe_known = stat(p, &st) == 0 ? 1 : -1;
		pi->exe_dev = st.st_dev;
		pi->exe_ino = st.st_ino;
	}
	if (pi->exe_known != 1 || same_file(f, pi->exe_dev, pi->exe_ino))
		return 0;
	if (f->deleted || proc_root(c, pi) != 1) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			 (int)pi->pid, f->start, f->end);
		return elf_is_dso(p);
	}
	pthread_mutex_lock(&c->s->lock);
	struct pcache_ent *e = pcache_get(&c->cache, f->path);
	if (e && e->elf < 0)
		e->elf = elf_is_dso(f->path);
	int r = e ? e->elf : 0;
	pthread_mutex_unlock(&c->s->lock);
	return r;
}

static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || (n == 1 && dir[0] == '/'));
}

static int filter_match(const struct stale_arg *a, const struct mfile *f,
			const struct stat *cur)
{
	if (!a->filter)
		return 1;
	if (a->filter_dir)
		return under_dir(f->path, a->filter) ||
		       (a->filter_real && under_dir(f->path, a->filter_real));
	if (!strcmp(f->path, a->filter) || (a->filter_real && !strcmp(f->path, a->filter_real)))
		return 1;
	if (!a->filter_stat_ok)
		return 0;
	return same_file(f, a->filter_st.st_dev, a->filter_st.st_ino) ||
	       (cur && cur->st_dev == a->filter_st.st_dev && cur->st_ino == a->filter_st.st_ino);
}

static int stale_group(soswap_scan *s, const struct mfile *f,
		       enum soswap_stale_kind kind, const char *newer, size_t *out)
{
	const char *path = own(s, f->path), *nw = newer ? own(s, newer) : NULL;
	if (!path || (newer && !nw))
		return -ENOMEM;
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	size_t i;
	for (i = 0; i < s->ngroups; i++) {
		struct soswap_lib_group *g = &s->groups[i];
		if (g->kind == kind && g->ino == f->ino && g->dev == f->dev &&
		    !strcmp(g->path, f->path))
			break;
	}
	if (i == s->ngroups) {
		if (soswap__grow((void **)&s->groups, &s->gcap, s->ngroups + 1,
				 sizeof(*s->groups))) {
			rc = -ENOMEM;
		} else {
			struct soswap_lib_group *g = &s->groups[s->ngroups++];
			memset(g, 0, sizeof(*g));
			g->path = path;
			g->newer = nw;
			g->dev = f->dev;
			g->ino = f->ino;
			g->kind = kind;
			g->unsafe = kind == SOSWAP_STALE_REWRITTEN ||
				    kind == SOSWAP_STALE_CHANGED;
		}
	}
	pthread_mutex_unlock(&s->lock);
	*out = i;
	return rc;
}

/* What happened to the file f maps, SOSWAP_STALE_NONE if nothing. */
static enum soswap_stale_kind stale_kind(struct scan_ctx *c, struct proc_info *pi,
					 struct mfile *f, const struct stat *cur,
					 int cur_rc)
{
	if (f->deleted)
		return cur_rc == 0 ? SOSWAP_STALE_REPLACED : SOSWAP_STALE_DELETED;
	if (cur_rc < 0)		/* cannot see the path now: say nothing */
		return SOSWAP_STALE_NONE;
	if (!same_file(f, cur->st_dev, cur->st_ino)) {
		/* The maps numbers disagree: make sure with map_files. */
		resolve_ident(pi->pid, f);
		if (!same_file(f, cur->st_dev, cur->st_ino))
			return SOSWAP_STALE_REPLACED;
	}
	/* Same inode.  Changed after the process started?  The start time
	 * is truncated to a clock tick, so allow one tick to avoid flagging
	 * a file written just before the process started. */
	int64_t mt = ts_ns(&cur->st_mtim), ct = ts_ns(&cur->st_ctim);
	if (mt < c->boot_ns && ct < c->boot_ns)
		return SOSWAP_STALE_NONE;
	proc_load(c, pi);
	if (pi->start_ns < 0)
		return SOSWAP_STALE_NONE;
	int64_t after = pi->start_ns + 1000000000 / c->hz;
	if (mt >= after)
		return SOSWAP_STALE_REWRITTEN;
	if (ct >= after && (c->flags & SOSWAP_SCAN_CTIME))
		return SOSWAP_STALE_CHANGED;
	return SOSWAP_STALE_NONE;
}

static int stale_proc(struct scan_ctx *c, struct proc_info *pi, struct mfiles *fs,
		      const struct stale_arg *a)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct mfile *f = &fs->v[i];
		if (!f->exec || never_library(f->path))
			continue;
		struct stat cur;
		int cur_rc = path_stat(c, pi, f->path, &cur);
		if (cur_rc == -ENOMEM)
			return cur_rc;
		if (!filter_match(a, f, cur_rc == 0 ? &cur : NULL) || !is_library(c, pi, f))
			continue;
		enum soswap_stale_kind kind = stale_kind(c, pi, f, &cur, cur_rc);
		if (kind == SOSWAP_STALE_NONE)
			continue;
		/* Live-swapped off this file: it runs the new version. */
		if (soswap__journal_pid_listed(c->journaled, c->njournaled, pi->pid) &&
		    soswap__journal_swapped_off(pi->pid, f->path, NULL, 0))
			continue;
		if (f->deleted)
			resolve_ident(pi->pid, f);
		size_t g;
		int rc = stale_group(c->s, f, kind, kind == SOSWAP_STALE_REPLACED ? f->path : NULL, &g);
		if (rc < 0 || (rc = add_hit(c, pi, f, g)) < 0)
			return rc;
	}
	return 0;
}

/* ---- the scan loop ------------------------------------------------------ */

static int list_pids(pid_t **out, size_t *n, soswap_err *err)
{
	DIR *d = opendir("/proc");
	if (!d)
		return soswap__fail_errno(err, -errno, "/proc");
	size_t cap = 0;
	struct dirent *de;
	*out = NULL;
	*n = 0;
	while ((de = readdir(d))) {
		char *end;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		unsigned long v = strtoul(de->d_name, &end, 10);
		if (*end || v > INT_MAX || *n >= PROC_MAX)
			continue;
		if (soswap__grow((void **)out, &cap, *n + 1, sizeof(**out))) {
			closedir(d);
			return soswap__fail(err, -ENOMEM, "/proc: out of memory");
		}
		(*out)[(*n)++] = (pid_t)v;
	}
	closedir(d);
	return 0;
}

typedef int (*proc_fn)(struct scan_ctx *c, struct proc_info *pi,
		       struct mfiles *fs, const void *arg);

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->p.pid != y->p.pid)
		return x->p.pid < y->p.pid ? -1 : 1;
	return strcmp(x->p.path, y->p.path);
}

/* Sort hits by group then pid and fill each group's range. */
static int finish(soswap_scan *s)
{
	if (s->nhits > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(s->hits, s->nhits, sizeof(*s->hits), cmp_hit);
	s->procs = calloc(s->nhits ? s->nhits : 1, sizeof(*s->procs));
	if (!s->procs)
		return -ENOMEM;
	for (size_t i = 0; i < s->nhits; i++) {
		struct soswap_lib_group *g = &s->groups[s->hits[i].group];
		if (!g->count)
			g->first = i;
		g->count++;
		s->procs[i] = s->hits[i].p;
	}
	return 0;
}

/* What a scan looks for.  fast() looks at a process through PROCMAP_QUERY
 * on its open maps fd (returning -ENOTTY when the kernel cannot);
 * full() gets every file a process maps, from the maps text. */
struct scan_mode {
	int (*fast)(struct scan_ctx *c, struct proc_info *pi, int fd,
		    struct mfiles *fs, const void *arg);
	proc_fn full;
	const void *arg;
	unsigned flags_ignored;	/* SOSWAP_SCAN_* that do not apply */
};

/* Look at one process: 0, or a negative errno that ends the scan. */
static int scan_one(struct scan_ctx *c, pid_t pid, const struct scan_mode *mode,
		    struct mfiles *fs)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			__atomic_fetch_add(&c->s->denied, 1, __ATOMIC_RELAXED);
		return 0;	/* gone or unreadable */
	}
	__atomic_fetch_add(&c->s->scanned, 1, __ATOMIC_RELAXED);
	struct proc_info pi = { .pid = pid, .root = -2, .maps_fd = fd };
	if (__atomic_load_n(&c->fast, __ATOMIC_RELAXED)) {
		int rc = mode->fast(c, &pi, fd, fs, mode->arg);
		if (rc != -ENOTTY) {
			close(fd);
			/* other errors: no address space (a kernel thread),
			 * or the process exited meanwhile */
			return rc == -ENOMEM ? rc : 0;
		}
		/* older kernel: text from now on */
		__atomic_store_n(&c->fast, 0, __ATOMIC_RELAXED);
	}
	soswap_maps *m;
	int rc = soswap__maps_read_fd(&m, fd, path, NULL);
	if (rc < 0) {
		close(fd);
		return 0;	/* exited meanwhile */
	}
	rc = collect_files(m, fs);
	if (!rc)
		rc = mode->full(c, &pi, fs, mode->arg);
	soswap_maps_free(m);
	close(fd);
	return rc;
}

#define SCAN_THREADS_MAX 4

/* Shared by the scanning threads: each takes the next pid in turn. */
struct scan_work {
	struct scan_ctx *c;
	const struct scan_mode *mode;
	const struct soswap_scan_opts *opts;
	const pid_t *list;
	size_t n;
	size_t next;		/* atomic */
	pid_t self;
	int rc;			/* first error (atomic) */
};

static void *scan_worker(void *arg)
{
	struct scan_work *w = arg;
	struct mfiles fs = { 0 };
	for (;;) {
		size_t i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
		if (i >= w->n || __atomic_load_n(&w->rc, __ATOMIC_RELAXED))
			break;
		if (w->opts && w->opts->progress && i % 32 == 0) {
			pthread_mutex_lock(&w->c->s->lock);
			w->opts->progress(w->opts->progress_arg, i, w->n);
			pthread_mutex_unlock(&w->c->s->lock);
		}
		if (w->list[i] == w->self || w->list[i] <= 0)
			continue;	/* the scanner is no user */
		int rc = scan_one(w->c, w->list[i], w->mode, &fs);
		if (rc < 0) {
			int none = 0;	/* keep the first error */
			__atomic_compare_exchange_n(&w->rc, &none, rc, 0,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
			break;
		}
	}
	mfiles_free(&fs);
	return NULL;
}

static int scan_run(soswap_scan *s, const struct soswap_scan_opts *opts,
		    const struct scan_mode *mode, soswap_err *err)
{
	struct scan_ctx c = { .s = s, .flags = (opts ? opts->flags : 0) & ~mode->flags_ignored };
	struct timespec rt, bt;
	struct stat ns;
	pid_t *pids = NULL;
	size_t npids = 0;
	int rc = 0;

	c.fast = !(c.flags & SOSWAP_SCAN_TEXT_ONLY);
	c.hz = sysconf(_SC_CLK_TCK);
	if (c.hz <= 0)
		c.hz = 100;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	c.boot_ns = ts_ns(&rt) - ts_ns(&bt);
	if (stat("/proc/self/ns/mnt", &ns) == 0) {
		c.mntns_dev = ns.st_dev;
		c.mntns_ino = ns.st_ino;
	}
	if (soswap__journal_pids(&c.journaled, &c.njournaled) < 0)
		return soswap__fail(err, -ENOMEM, "process scan: out of memory");
	if (opts && opts->pids) {
		npids = opts->npids;
	} else {
		if ((rc = list_pids(&pids, &npids, err)) < 0) {
			free(c.journaled);
			return rc;
		}
	}
	struct scan_work wk = {
		.c = &c, .mode = mode, .opts = opts,
		.list = pids ? pids : opts->pids, .n = npids, .self = getpid(),
	};
	/* Each process costs a few system calls and no waiting: spread
	 * them over the CPUs. */
	/* Starting a thread costs about as much as looking at a few dozen
	 * processes (measured: 65 processes, 2 CPUs, no gain). */
	long ncpu = npids < 256 ? 1 : sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = ncpu < 1 ? 1 : ncpu > SCAN_THREADS_MAX ? SCAN_THREADS_MAX : (size_t)ncpu;
	pthread_t th[SCAN_THREADS_MAX];
	size_t started = 0;
	for (; started + 1 < nthreads; started++)
		if (pthread_create(&th[started], NULL, scan_worker, &wk))
			break;
	scan_worker(&wk);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	rc = __atomic_load_n(&wk.rc, __ATOMIC_RELAXED);
	if (opts && opts->progress)
		opts->progress(opts->progress_arg, npids, npids);
	free(pids);
	free(c.journaled);
	pcache_free(&c.cache);
	if (rc == 0)
		rc = finish(s);
	if (rc < 0)
		return soswap__fail(err, rc, "process scan: %s", strerror(-rc));
	return 0;
}

static int who_fn(struct scan_ctx *c, struct proc_info *pi, struct mfiles *fs,
		  const void *arg)
{
	return who_proc(c, pi, fs, arg);
}

struct who_match {
	struct soswap_mapping *v;
	size_t n, cap;
	const struct who_arg *w;
};

static int who_match_cb(void *arg, const struct soswap_mapping *m)
{
	struct who_match *wm = arg;
	for (size_t k = 0; k < wm->w->n; k++) {
		if (m->ino != wm->w->targets[k].st_ino)
			continue;
		if (soswap__grow((void **)&wm->v, &wm->cap, wm->n + 1, sizeof(*wm->v)))
			return -ENOMEM;
		wm->v[wm->n++] = *m;
		break;
	}
	return 0;
}

/* Executable mappings by number first; paths and bases only for those
 * with a target's inode. */
static int who_fast(struct scan_ctx *c, struct proc_info *pi, int fd,
		    struct mfiles *fs, const void *arg)
{
	struct who_match wm = { .w = arg };
	char name[PATH_MAX + 64];
	int rc = soswap__vma_exec_each(fd, 0, who_match_cb, &wm);
	mfiles_reset(fs);
	for (size_t i = 0; rc == 0 && i < wm.n; i++) {
		struct soswap_mapping m;
		rc = soswap__vma_file_at(fd, wm.v[i].start, name, sizeof(name), &m);
		if (rc == 0 && m.start == wm.v[i].start)
			rc = mfiles_add(fs, &m, 1);
	}
	free(wm.v);
	if (rc < 0)
		return rc;
	if (!fs->n)
		return 0;
	exec_files_bases(fd, fs);
	return who_proc(c, pi, fs, arg);
}

static int stale_fn(struct scan_ctx *c, struct proc_info *pi, struct mfiles *fs,
		    const void *arg)
{
	return stale_proc(c, pi, fs, arg);
}

struct stale_quick {
	struct scan_ctx *c;
	struct proc_info *pi;
};

/* Worth a closer look when an executable file mapping is deleted, its
 * path names another inode, or the file changed since boot. */
static int stale_quick_cb(void *arg, const struct soswap_mapping *m)
{
	struct stale_quick *q = arg;
	struct stat cur;
	if (!m->path || m->path[0] != '/' || never_library(m->path))
		return 0;
	if (m->deleted)
		return 1;
	int rc = path_stat(q->c, q->pi, m->path, &cur);
	if (rc == -ENOMEM)
		return 1;
	if (rc < 0)
		return 0;	/* a closer look could not tell either */
	return cur.st_ino != m->ino || ts_ns(&cur.st_mtim) >= q->c->boot_ns ||
	       ts_ns(&cur.st_ctim) >= q->c->boot_ns;
}

static int stale_fast(struct scan_ctx *c, struct proc_info *pi, int fd,
		      struct mfiles *fs, const void *arg)
{
	struct stale_quick q = { c, pi };
	int rc = soswap__vma_exec_each(fd, 1, stale_quick_cb, &q);
	if (rc <= 0)
		return rc;
	if ((rc = collect_exec_files(fd, fs)) < 0)
		return rc;
	return stale_proc(c, pi, fs, arg);
}

static soswap_scan *scan_new(void)
{
	soswap_scan *s = calloc(1, sizeof(*s));
	if (s && pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		return NULL;
	}
	return s;
}

int soswap_who(soswap_scan **out, const char *const *files, size_t nfiles,
	       const struct soswap_scan_opts *opts, soswap_err *err)
{
	*out = NULL;
	if (!nfiles)
		return soswap__fail(err, -EINVAL, "who: no file given");
	soswap_scan *s = scan_new();
	/* Each file, then the copies live swaps staged of it (processes
	 * moved onto this version by `soswap live` map the copy). */
	struct stat *t = calloc(2 * nfiles, sizeof(*t));
	size_t *group = calloc(2 * nfiles, sizeof(*group));
	size_t nt = 0;
	int rc = 0;
	if (!s || !t || !group ||
	    soswap__grow((void **)&s->groups, &s->gcap, nfiles, sizeof(*s->groups))) {
		rc = soswap__fail(err, -ENOMEM, "who: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (stat(files[i], &t[nt]) < 0) {
			rc = soswap__fail_errno(err, -errno, "%s", files[i]);
			goto out;
		}
		if (!S_ISREG(t[nt].st_mode)) {
			rc = soswap__fail(err, -EINVAL, "%s: not a regular file", files[i]);
			goto out;
		}
		struct soswap_lib_group *g = &s->groups[s->ngroups++];
		memset(g, 0, sizeof(*g));
		g->path = own(s, files[i]);
		g->dev = t[nt].st_dev;
		g->ino = t[nt].st_ino;
		if (!g->path) {
			rc = soswap__fail(err, -ENOMEM, "who: out of memory");
			goto out;
		}
		group[nt++] = i;
	}
	for (size_t i = 0; i < nfiles; i++) {
		char staged[PATH_MAX];
		if (soswap__live_staged_copy(files[i], staged, sizeof(staged)) == 0 &&
		    stat(staged, &t[nt]) == 0 && S_ISREG(t[nt].st_mode) &&
		    (t[nt].st_dev != t[i].st_dev || t[nt].st_ino != t[i].st_ino))
			group[nt++] = i;
	}
	struct who_arg w = { t, group, nt };
	struct scan_mode mode = { who_fast, who_fn, &w, 0 };
	rc = scan_run(s, opts, &mode, err);
out:
	free(t);
	free(group);
	if (rc < 0) {
		soswap_scan_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int cmp_group_path(const void *a, const void *b)
{
	const struct soswap_lib_group *x = a, *y = b;
	int r = strcmp(x->path, y->path);
	return r ? r : (int)x->kind - (int)y->kind;
}

int soswap_stale(soswap_scan **out, const char *filter,
		 const struct soswap_scan_opts *opts, soswap_err *err)
{
	struct stale_arg a = { 0 };
	char *given = NULL;
	*out = NULL;
	soswap_scan *s = scan_new();
	if (!s)
		return soswap__fail(err, -ENOMEM, "stale: out of memory");
	if (filter) {
		size_t n = strlen(filter);
		if (!(given = strdup(filter))) {
			free(s);
			return soswap__fail(err, -ENOMEM, "stale: out of memory");
		}
		while (n > 1 && given[n - 1] == '/')
			given[--n] = '\0';
		a.filter = given;
		a.filter_real = realpath(given, NULL);
		a.filter_stat_ok = stat(given, &a.filter_st) == 0;
		a.filter_dir = a.filter_stat_ok ? S_ISDIR(a.filter_st.st_mode) :
			       filter[strlen(filter) - 1] == '/';
	}
	struct scan_mode mode = { stale_fast, stale_fn, &a, SOSWAP_SCAN_BRIEF };
	int rc = scan_run(s, opts, &mode, err);
	free(given);
	free(a.filter_real);
	if (rc < 0) {
		soswap_scan_free(s);
		return rc;
	}
	/* Present groups by path (each carries its own range of procs). */
	if (s->ngroups > 1)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), cmp_group_path);
	*out = s;
	return 0;
}

size_t soswap_scan_groups(const soswap_scan *s)
{
	return s ? s->ngroups : 0;
}

const struct soswap_lib_group *soswap_scan_group(const soswap_scan *s, size_t i)
{
	return s && i < s->ngroups ? &s->groups[i] : NULL;
}

size_t soswap_scan_count(const soswap_scan *s)
{
	return s ? s->nhits : 0;
}

const struct soswap_proc_map *soswap_scan_get(const soswap_scan *s, size_t i)
{
	return s && i < s->nhits ? &s->procs[i] : NULL;
}

size_t soswap_scan_scanned(const soswap_scan *s)
{
	return s ? s->scanned : 0;
}

size_t soswap_scan_denied(const soswap_scan *s)
{
	return s ? s->denied : 0;
}

const char *soswap_stale_kind_name(enum soswap_stale_kind kind)
{
	switch (kind) {
	case SOSWAP_STALE_NONE: return "current";
	case SOSWAP_STALE_DELETED: return "deleted";
	case SOSWAP_STALE_REPLACED: return "replaced";
	case SOSWAP_STALE_REWRITTEN: return "rewritten";
	case SOSWAP_STALE_CHANGED: return "changed";
	}
	return "unknown";
}

void soswap_scan_free(soswap_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->groups);
	free(s->hits);
	free(s->procs);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
