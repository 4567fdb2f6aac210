/* resolve.c - resolve a dependency tree exactly as glibc 2.36's ld.so
 * would load it, without running anything.
 *
 * The order of a search for a name without '/' (elf/dl-load.c,
 * _dl_map_object):
 *   1. DT_RPATH of the loading object, then of the object that loaded it,
 *      up to the executable - skipped entirely when the loading object has
 *      DT_RUNPATH (and an object's DT_RPATH is ignored when it has both);
 *   2. LD_LIBRARY_PATH (ignored in secure mode);
 *   3. the loading object's own DT_RUNPATH (never inherited);
 *   4. /etc/ld.so.cache (not for preloads in secure mode; with DF_1_NODEFLIB
 *      on the loader, not for entries inside the system directories);
 *   5. the system directories (not with DF_1_NODEFLIB).
 * Every directory in 1-3 and 5 is tried under each active glibc-hwcaps
 * subdirectory, then each legacy hwcaps subdirectory, then as is.  A
 * candidate of another ELF class or machine is skipped silently; one that
 * is not a valid ELF file stops the load with an error.  Before searching,
 * an object already loaded under that name, its path or its soname is
 * reused; after finding a file, one already loaded with the same device
 * and inode is.  Objects are loaded breadth first (dl-deps.c).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dlopen-note.h"
#include "resolve-internal.h"

#define DEFAULT_INTERP "/lib64/ld-linux-x86-64.so.2"
#define DST_LIB "lib/x86_64-linux-gnu"	/* Debian's $LIB */
#define SECURE_NAME_LIMIT 255
#define MAX_OBJECTS 100000
#define MAX_TRIES 1000000

/* The loader's built-in directories (ld.so --help), with the trailing
 * slash the prefix comparisons need. */
static const char *const system_dirs[] = {
	"/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/",
};

struct dirlist {
	size_t *dirs;
	size_t n;
	int state;	/* 0 not decomposed yet, 1 has dirs, -1 none */
};

struct obj {
	struct soswap_dep pub;
	char **names;		/* l_libname: every name it was asked by */
	size_t nnames;
	char *path;		/* l_name */
	char *origin;		/* $ORIGIN, NULL when unknown; computed on use */
	int origin_done;
	char *search_dir, *detail;
	soswap_elf *elf;
	dev_t dev;
	ino_t ino;
	int has_id, faked, is_exec;
	int dlopened;		/* loaded by dlopen: no loader for RPATH */
	size_t loader;		/* l_loader (objs index) */
	char *prio, *feature;
	struct dirlist rpath, runpath;
	size_t *needed;
	size_t nneeded, capneeded;
};

struct soswap_deptree {
	soswap_resolver *r;
	size_t root_parsed;	/* resolver's parsed[] entry of the root */
	struct obj *objs;
	size_t nobjs, capobjs;
	size_t *order;		/* load order (indices into objs) */
	size_t norder, caporder;
	size_t interp;		/* index of the interpreter object */
	int interp_placed;
	char *interp_path;
	const char *secure;	/* reason, or NULL */
	char *secure_buf;
	struct dirlist llp;
	struct soswap_dep_try *tries;
	size_t ntries, captries;
	char **warnings;
	size_t nwarnings, capwarnings;
	size_t missing;
	/* Names objects answer to (their l_libname list, l_name, soname):
	 * open addressing, key -> objs index + 1. */
	struct { const char *key; size_t obj; } *names;
	size_t capnames, nnames;
};

/* Per-resolution state. */
struct rs {
	soswap_resolver *r;
	soswap_deptree *t;
	unsigned flags;
	int secure;
	size_t main;
	size_t requester;	/* object whose dependency is looked up */
	const char *looking_for;
	soswap_err *err;
};

/* An outcome of open_verify(). */
enum verdict { V_OK, V_SKIP, V_FATAL };

/* ------------------------------------------------------------------ */

const char *soswap_dep_source_name(enum soswap_dep_source s)
{
	static const char *const n[] = {
		"root", "direct", "rpath", "LD_LIBRARY_PATH", "runpath",
		"ld.so.cache", "system", "interpreter", "not found", "error",
	};
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *fmt(const char *f, ...) SOSWAP__PRINTF(1, 2);
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* ------------------------------------------------------------------ */
/* Resolver                                                            */

static void build_caps(soswap_resolver *r)
{
	size_t n = r->plat.nsubdirs + r->plat.nlegacy;
	r->caps = calloc(n ? n : 1, sizeof(*r->caps));
	if (!r->caps)
		return;
	for (size_t i = 0; i < r->plat.nsubdirs; i++)
		r->caps[r->ncaps++] = fmt("glibc-hwcaps/%s/", r->plat.subdirs[i]);
	for (size_t i = 0; i < r->plat.nlegacy; i++)
		r->caps[r->ncaps++] = strdup(r->plat.legacy[i]);
	for (size_t i = 0; i < r->ncaps; i++)
		if (!r->caps[i])
			r->ncaps = i;
}

int soswap_resolver_new(soswap_resolver **out, soswap_err *err)
{
	soswap_resolver *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return soswap__fail(err, -ENOMEM, "resolver: out of memory");
	r->rootfd = -1;
	r->uid = getuid();
	r->gid = getgid();
	const char *v = getenv("LD_LIBRARY_PATH");
	r->llp = xstrdup(v);
	v = getenv("LD_PRELOAD");
	r->preload = xstrdup(v);
	soswap__platform_detect(&r->plat);
	build_caps(r);
	if (!r->caps) {
		soswap_resolver_free(r);
		return soswap__fail(err, -ENOMEM, "resolver: out of memory");
	}
	*out = r;
	return 0;
}

void soswap_resolver_free(soswap_resolver *r)
{
	if (!r)
		return;
	free(r->root);
	if (r->rootfd >= 0)
		close(r->rootfd);
	free(r->llp);
	free(r->preload);
	free(r->preload_file);
	for (size_t i = 0; i < r->ncaps; i++)
		free(r->caps[i]);
	free(r->caps);
	soswap__ldcache_free(r->cache);
	free(r->cache_error);
	for (size_t i = 0; i < r->ncands; i++)
		free(r->cands[i].path);
	free(r->cands);
	free(r->htab);
	for (size_t i = 0; i < r->nparsed; i++) {
		soswap_elf_close(r->parsed[i].elf);
		free(r->parsed[i].error);
	}
	free(r->parsed);
	for (size_t i = 0; i < r->ndirs; i++) {
		free(r->dirs[i].name);
		free(r->dirs[i].status);
	}
	free(r->dirs);
	free(r);
}

int soswap_resolver_set_root(soswap_resolver *r, const char *dir, soswap_err *err)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return soswap__fail_errno(err, -errno, "%s", dir);
	int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int rc = soswap__fail_errno(err, -errno, "%s", dir);
		free(real);
		return rc;
	}
	if (r->rootfd >= 0)
		close(r->rootfd);
	free(r->root);
	r->rootfd = fd;
	r->root = strcmp(real, "/") == 0 ? strdup("") : real;
	if (r->root != real)
		free(real);
	/* Directory knowledge and the cache belong to the old root. */
	for (size_t i = 0; i < r->ndirs; i++) {
		free(r->dirs[i].name);
		free(r->dirs[i].status);
	}
	r->ndirs = 0;
	r->nsysdirs = 0;
	free(r->preload_file);
	r->preload_file = NULL;
	r->preload_file_read = 0;
	for (size_t i = 0; i < r->ncands; i++)
		free(r->cands[i].path);
	r->ncands = 0;
	if (r->htab)
		memset(r->htab, 0, r->hcap * sizeof(*r->htab));
	soswap__ldcache_free(r->cache);
	r->cache = NULL;
	r->cache_loaded = 0;
	return r->root ? 0 : soswap__fail(err, -ENOMEM, "out of memory");
}

int soswap_resolver_setenv(soswap_resolver *r, const char *name,
			   const char *value, soswap_err *err)
{
	char **slot;
	if (strcmp(name, "LD_LIBRARY_PATH") == 0)
		slot = &r->llp;
	else if (strcmp(name, "LD_PRELOAD") == 0)
		slot = &r->preload;
	else
		return soswap__fail(err, -EINVAL,
				    "%s: not a variable the loader searches by", name);
	char *v = xstrdup(value);
	if (value && !v)
		return soswap__fail(err, -ENOMEM, "out of memory");
	free(*slot);
	*slot = v;
	return 0;
}

void soswap_resolver_set_secure(soswap_resolver *r, enum soswap_secure_mode m)
{
	r->secure = m;
}

void soswap_resolver_set_user(soswap_resolver *r, uid_t uid, gid_t gid)
{
	r->uid = uid;
	r->gid = gid;
}

static const struct soswap__ldcache *get_cache(soswap_resolver *r)
{
	if (r->cache_loaded)
		return r->cache;
	r->cache_loaded = 1;
	soswap_err e = { 0 };
	int fd = soswap__rs_open(r, "/etc/ld.so.cache", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return NULL;	/* no cache: the loader goes on without one */
	if (soswap__ldcache_open_fd(&r->cache, fd, "/etc/ld.so.cache", &e) < 0) {
		free(r->cache_error);
		r->cache_error = strdup(e.msg);
	}
	close(fd);
	return r->cache;
}

static int reopen_in_root(const void *r, const char *path)
{
	return soswap__rs_open(r, path, O_RDONLY | O_NONBLOCK);
}

/* The parsed object for an open file, parsing it on first sight (HEAD:
 * its first HEADLEN bytes when already read, else NULL). */
static struct rs_parsed *parsed_for_fd(soswap_resolver *r, int fd, const char *path,
				       const struct stat *st, const void *head, size_t headlen)
{
	size_t slot = SOSWAP_DEP_NONE;
	for (size_t i = 0; i < r->nparsed; i++) {
		struct rs_parsed *q = &r->parsed[i];
		if (q->dead)
			slot = i;
		else if (q->ino == st->st_ino && q->dev == st->st_dev)
			return q;
	}
	if (slot == SOSWAP_DEP_NONE) {
		if (soswap__grow((void **)&r->parsed, &r->capparsed, r->nparsed + 1,
				 sizeof(*r->parsed)) < 0)
			return NULL;
		slot = r->nparsed++;
	}
	struct rs_parsed *p = &r->parsed[slot];
	memset(p, 0, sizeof(*p));
	p->dev = st->st_dev;
	p->ino = st->st_ino;
	soswap_err e = { 0 };
	if (soswap__elf_open_headers(&p->elf, fd, path, st, head, headlen, reopen_in_root, r,
				     &e) < 0) {
		p->elf = NULL;
		p->error = strdup(e.msg);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Tree bookkeeping                                                    */

static void add_try(struct rs *s, enum soswap_dep_source src, const char *path,
		    const char *outcome, int chosen)
{
	soswap_deptree *t = s->t;
	if (!(s->flags & SOSWAP_RESOLVE_TRACE) || t->ntries >= MAX_TRIES)
		return;
	if (soswap__grow((void **)&t->tries, &t->captries, t->ntries + 1,
			 sizeof(*t->tries)) < 0)
		return;
	struct soswap_dep_try *y = &t->tries[t->ntries];
	y->requester = s->requester;
	y->name = strdup(s->looking_for ? s->looking_for : "");
	y->source = src;
	y->path = xstrdup(path);
	y->outcome = strdup(outcome);
	y->chosen = chosen;
	if (y->name && y->outcome)
		t->ntries++;
}

static void add_warning(soswap_deptree *t, char *msg)
{
	if (!msg)
		return;
	if (soswap__grow((void **)&t->warnings, &t->capwarnings, t->nwarnings + 1,
			 sizeof(*t->warnings)) < 0) {
		free(msg);
		return;
	}
	t->warnings[t->nwarnings++] = msg;
}


/* Index KEY (owned by object OBJ) unless an earlier object has it: the
 * loader takes the first object in load order that answers to a name. */
static int index_name(soswap_deptree *t, const char *key, size_t obj)
{
	if ((t->nnames + 1) * 2 > t->capnames) {
		size_t ncap = t->capnames ? t->capnames * 2 : 64;
		__typeof__(t->names) n = calloc(ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < t->capnames; i++) {
			if (!t->names[i].key)
				continue;
			size_t k = soswap__hash_str(t->names[i].key) & (ncap - 1);
			while (n[k].key)
				k = (k + 1) & (ncap - 1);
			n[k] = t->names[i];
		}
		free(t->names);
		t->names = n;
		t->capnames = ncap;
	}
	size_t k = soswap__hash_str(key) & (t->capnames - 1);
	for (; t->names[k].key; k = (k + 1) & (t->capnames - 1))
		if (strcmp(t->names[k].key, key) == 0)
			return 0;
	t->names[k].key = key;
	t->names[k].obj = obj + 1;
	t->nnames++;
	return 0;
}

static size_t find_name(const soswap_deptree *t, const char *key)
{
	if (!t->capnames)
		return SOSWAP_DEP_NONE;
	for (size_t k = soswap__hash_str(key) & (t->capnames - 1); t->names[k].key;
	     k = (k + 1) & (t->capnames - 1))
		if (strcmp(t->names[k].key, key) == 0)
			return t->names[k].obj - 1;
	return SOSWAP_DEP_NONE;
}

static int add_name(struct obj *o, const char *name)
{
	for (size_t i = 0; i < o->nnames; i++)
		if (strcmp(o->names[i], name) == 0)
			return 0;
	char **n = realloc(o->names, (o->nnames + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->names = n;
	if (!(n[o->nnames] = strdup(name)))
		return -ENOMEM;
	o->nnames++;
	return 0;
}

/* A new object; returns its index or SOSWAP_DEP_NONE on ENOMEM. */
static size_t new_obj(soswap_deptree *t, const char *name, size_t loader)
{
	if (t->nobjs >= MAX_OBJECTS ||
	    soswap__grow((void **)&t->objs, &t->capobjs, t->nobjs + 1, sizeof(*t->objs)) < 0)
		return SOSWAP_DEP_NONE;
	struct obj *o = &t->objs[t->nobjs];
	memset(o, 0, sizeof(*o));
	if (add_name(o, name) < 0)
		return SOSWAP_DEP_NONE;
	o->loader = loader;
	o->pub.depth = loader == SOSWAP_DEP_NONE ? 0 : t->objs[loader].pub.depth + 1;
	/* Everything first reached through an optional object is optional. */
	o->pub.optional = loader != SOSWAP_DEP_NONE && t->objs[loader].pub.optional;
	return t->nobjs++;
}

static int push_order(soswap_deptree *t, size_t idx)
{
	if (soswap__grow((void **)&t->order, &t->caporder, t->norder + 1, sizeof(*t->order)) < 0)
		return -ENOMEM;
	t->order[t->norder++] = idx;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dynamic string tokens ($ORIGIN, $PLATFORM, $LIB)                    */

/* Length of the token REF at IN (just after '$'), braces included; 0 if
 * IN does not hold that token. */
static size_t is_dst(const char *in, const char *ref)
{
	int curly = in[0] == '{';
	if (curly)
		in++;
	size_t n = strlen(ref);
	if (strncmp(in, ref, n) != 0)
		return 0;
	char c = in[n];
	if (curly ? c != '}' :
	    ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	     (c >= '0' && c <= '9') || c == '_'))
		return 0;
	return curly ? n + 2 : n;
}

static size_t dst_count(const char *in)
{
	size_t cnt = 0;
	for (in = strchr(in, '$'); in; in = strchr(in, '$')) {
		in++;
		size_t len;
		if ((len = is_dst(in, "ORIGIN")) || (len = is_dst(in, "PLATFORM")) ||
		    (len = is_dst(in, "LIB")))
			cnt++;
		in += len;
	}
	return cnt;
}

/* Is PATH, normalised, inside a system directory?  (The only $ORIGIN
 * expansions a secure-mode executable may use.) */
static int trusted_path(const char *path)
{
	size_t len = strlen(path);
	char *np = malloc(len + 2), *w = np;
	if (!np)
		return 0;
	while (*path) {
		if (path[0] == '/') {
			if (path[1] == '.') {
				if (path[2] == '.' && (path[3] == '/' || path[3] == '\0')) {
					while (w > np && *--w != '/')
						;
					path += 3;
					continue;
				} else if (path[2] == '/' || path[2] == '\0') {
					path += 2;
					continue;
				}
			}
			if (w > np && w[-1] == '/') {
				path++;
				continue;
			}
		}
		*w++ = *path++;
	}
	if (w == np || w[-1] != '/')
		*w++ = '/';
	int ok = 0;
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs) && !ok; i++) {
		size_t n = strlen(system_dirs[i]);
		ok = (size_t)(w - np) >= n && memcmp(np, system_dirs[i], n) == 0;
	}
	free(np);
	return ok;
}

/* Expand the tokens of IN for object O; "" when a token has no value (the
 * loader then drops the element); NULL on ENOMEM. */
static const char *obj_origin(struct rs *s, struct obj *o);

static char *dst_expand(struct rs *s, struct obj *o, const char *in)
{
	size_t cnt = dst_count(in);
	if (cnt == 0)
		return strdup(in);
	obj_origin(s, o);
	size_t rl = o->origin ? strlen(o->origin) : 0;
	if (rl < strlen(DST_LIB))
		rl = strlen(DST_LIB);
	if (rl < strlen(s->r->plat.platform))
		rl = strlen(s->r->plat.platform);
	char *res = malloc(strlen(in) + cnt * rl + 1), *w = res;
	if (!res)
		return NULL;
	const char *start = in;
	int check_trusted = 0;
	while (*in) {
		if (*in != '$') {
			*w++ = *in++;
			continue;
		}
		in++;
		const char *repl = NULL;
		size_t len;
		int drop = 0;
		if ((len = is_dst(in, "ORIGIN"))) {
			/* Secure mode: only a leading $ORIGIN that is the whole
			 * element or followed by '/'. */
			if (s->secure && !(in == start + 1 && (in[len] == '\0' || in[len] == '/')))
				drop = 1;
			else
				repl = o->origin;
			check_trusted = s->secure && o->is_exec;
		} else if ((len = is_dst(in, "PLATFORM"))) {
			repl = s->r->plat.platform;
		} else if ((len = is_dst(in, "LIB"))) {
			repl = DST_LIB;
		}
		if (repl && !drop) {
			w = stpcpy(w, repl);
			in += len;
		} else if (len) {
			res[0] = '\0';
			return res;
		} else {
			*w++ = '$';
		}
	}
	*w = '\0';
	if (check_trusted && !trusted_path(res))
		res[0] = '\0';
	return res;
}

/* ------------------------------------------------------------------ */
/* Search paths                                                        */

static size_t dir_index(soswap_resolver *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->ndirs; i++)
		if (strlen(r->dirs[i].name) == len && memcmp(r->dirs[i].name, name, len) == 0)
			return i;
	if (soswap__grow((void **)&r->dirs, &r->capdirs, r->ndirs + 1, sizeof(*r->dirs)) < 0)
		return SOSWAP_DEP_NONE;
	struct rs_dir *d = &r->dirs[r->ndirs];
	d->name = strndup(name, len);
	d->status = calloc(r->ncaps + 1, 1);
	if (!d->name || !d->status) {
		free(d->name);
		free(d->status);
		return SOSWAP_DEP_NONE;
	}
	/* Relative directories are never marked missing: the cwd may change. */
	if (name[0] != '/')
		memset(d->status, 1, r->ncaps + 1);
	return r->ndirs++;
}

/* Split LIST at any of SEPS as the loader does (empty elements mean the
 * current directory; elements empty after expansion are dropped). */
static void decompose(struct rs *s, struct obj *o, const char *list,
		      const char *seps, struct dirlist *dl)
{
	dl->state = -1;
	if (!list || !*list)
		return;
	size_t max = 1;
	for (const char *c = list; *c; c++)
		max += strchr(seps, *c) != NULL;
	dl->dirs = calloc(max, sizeof(*dl->dirs));
	if (!dl->dirs)
		return;
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, seps);
		char *elem = strndup(p, n), *x = NULL;
		size_t len = 0;
		if (elem && *elem) {
			x = dst_expand(s, o, elem);
			if (!x || !*x) {
				free(x);
				free(elem);
				goto next;
			}
			len = strlen(x);
			while (len > 1 && x[len - 1] == '/')
				len--;
			char *y = realloc(x, len + 2);
			if (!y) {
				free(x);
				free(elem);
				goto next;
			}
			x = y;
			if (x[len - 1] != '/')
				x[len++] = '/';
			x[len] = '\0';
		}
		if (elem) {
			size_t d = dir_index(s->r, x ? x : "", len);
			int dup = 0;
			for (size_t k = 0; k < dl->n; k++)
				dup |= dl->dirs[k] == d;
			if (d != SOSWAP_DEP_NONE && !dup)
				dl->dirs[dl->n++] = d;
		}
		free(x);
		free(elem);
next:
		if (!p[n])
			break;
		p += n + 1;
	}
	if (dl->n)
		dl->state = 1;
}

static const struct dirlist *obj_rpath(struct rs *s, struct obj *o)
{
	if (!o->rpath.state) {
		/* An object with DT_RUNPATH has its DT_RPATH ignored. */
		const char *rp = o->elf && !soswap_elf_runpath(o->elf) ? soswap_elf_rpath(o->elf) : NULL;
		decompose(s, o, rp, ":", &o->rpath);
	}
	return &o->rpath;
}

static const struct dirlist *obj_runpath(struct rs *s, struct obj *o)
{
	if (!o->runpath.state)
		decompose(s, o, o->elf ? soswap_elf_runpath(o->elf) : NULL, ":", &o->runpath);
	return &o->runpath;
}

/* ------------------------------------------------------------------ */
/* Candidates                                                          */

/* The loader's checks on a candidate's ELF header (open_verify), given
 * the first N bytes of the file (N < 0: the read failed) and its size. */
static enum verdict check_header(const unsigned char *h, ssize_t n, uint64_t size,
				 const char **why)
{
	if (n < 0) {
		*why = strerror(errno);
		return V_FATAL;
	}
	if (n < (ssize_t)sizeof(Elf64_Ehdr)) {
		*why = "file too short";
		return V_FATAL;
	}
	if (memcmp(h, ELFMAG, SELFMAG) != 0) {
		*why = "invalid ELF header";
		return V_FATAL;
	}
	if (h[EI_CLASS] != ELFCLASS64) {
		*why = h[EI_CLASS] == ELFCLASS32 ? "wrong ELF class (ELFCLASS32)" : "wrong ELF class";
		return V_SKIP;
	}
	if (h[EI_DATA] != ELFDATA2LSB) {
		*why = "ELF file data encoding not little-endian";
		return V_FATAL;
	}
	if (h[EI_VERSION] != EV_CURRENT) {
		*why = "ELF file version ident does not match current one";
		return V_FATAL;
	}
	int osabi = h[EI_OSABI], abiv = h[EI_ABIVERSION];
	if (osabi != ELFOSABI_SYSV && osabi != ELFOSABI_GNU) {
		*why = "ELF file OS ABI invalid";
		return V_FATAL;
	}
	if (!(abiv == 0 || (osabi == ELFOSABI_GNU && abiv < 4))) {
		*why = "ELF file ABI version invalid";
		return V_FATAL;
	}
	for (int i = EI_PAD; i < EI_NIDENT; i++)
		if (h[i]) {
			*why = "nonzero padding in e_ident";
			return V_FATAL;
		}
	Elf64_Ehdr eh;
	memcpy(&eh, h, sizeof(eh));
	if (eh.e_version != EV_CURRENT) {
		*why = "ELF file version does not match current one";
		return V_FATAL;
	}
	if (eh.e_machine != EM_X86_64) {
		*why = "wrong machine";
		return V_SKIP;
	}
	if (eh.e_type != ET_DYN && eh.e_type != ET_EXEC) {
		*why = "only ET_DYN and ET_EXEC can be loaded";
		return V_FATAL;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
		*why = "ELF file's phentsize not the expected size";
		return V_FATAL;
	}
	uint64_t need = (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (!soswap__in_bounds(eh.e_phoff, need, size)) {
		*why = "cannot read file data";
		return V_FATAL;
	}
	return V_OK;
}

struct found {
	size_t parsed;		/* resolver's parsed-object index of the hit */
	char *path;
	enum soswap_dep_source src;
	const char *dir;	/* search dir name, for display */
	size_t rpath_owner;
	int other_class;
	char *fatal;		/* the loader's error for a refused candidate */
	int err;		/* errno of the last attempt (open_path's rule) */
};


/* Index candidate IDX in the hash table, growing it as needed. */
static int cand_insert(soswap_resolver *r, size_t idx)
{
	if ((idx + 1) * 2 > r->hcap) {
		size_t ncap = r->hcap ? r->hcap * 2 : 1024;
		size_t *h = calloc(ncap, sizeof(*h));
		if (!h)
			return -ENOMEM;
		for (size_t i = 0; i < idx; i++) {
			size_t k = r->cands[i].hash & (ncap - 1);
			while (h[k])
				k = (k + 1) & (ncap - 1);
			h[k] = i + 1;
		}
		free(r->htab);
		r->htab = h;
		r->hcap = ncap;
	}
	size_t k = r->cands[idx].hash & (r->hcap - 1);
	while (r->htab[k])
		k = (k + 1) & (r->hcap - 1);
	r->htab[k] = idx + 1;
	return 0;
}

/* The loader's verdict on the file at PATH (open_verify), learnt once per
 * resolver: the file system is taken as unchanging during a run.  NULL on
 * ENOMEM. */
static const struct rs_cand *verify(soswap_resolver *r, const char *path)
{
	uint64_t h = soswap__hash_str(path);
	if (r->hcap)
		for (size_t k = h & (r->hcap - 1); r->htab[k]; k = (k + 1) & (r->hcap - 1)) {
			struct rs_cand *c = &r->cands[r->htab[k] - 1];
			if (c->hash == h && strcmp(c->path, path) == 0)
				return c;
		}
	if (soswap__grow((void **)&r->cands, &r->capcands, r->ncands + 1, sizeof(*r->cands)) < 0)
		return NULL;
	struct rs_cand *c = &r->cands[r->ncands];
	memset(c, 0, sizeof(*c));
	c->hash = h;
	c->parsed = SOSWAP_DEP_NONE;
	if (!(c->path = strdup(path)))
		return NULL;
	int fd = soswap__rs_open(r, path, O_RDONLY | O_NONBLOCK);
	struct stat st;
	unsigned char head[4096];
	ssize_t n = -1;
	if (fd < 0) {
		c->verdict = V_SKIP;
		c->err = errno;
		c->why = errno == ENOENT ? "no such file" : strerror(errno);
	} else if (fstat(fd, &st) < 0) {
		c->verdict = V_FATAL;
		c->why = "cannot stat shared object";
	} else {
		c->mode = st.st_mode;
		if (S_ISDIR(st.st_mode)) {
			c->verdict = V_FATAL;
			c->why = "cannot read file data: Is a directory";
		} else {
			/* One read serves the header checks and, usually, all
			 * the program headers and notes. */
			n = pread(fd, head, sizeof(head), 0);
			c->verdict = check_header(head, n, (uint64_t)st.st_size, &c->why);
		}
		if (c->verdict == V_SKIP)
			c->err = ENOENT;
		if (c->verdict == V_OK) {
			struct rs_parsed *p = parsed_for_fd(r, fd, path, &st, head, (size_t)n);
			if (!p) {
				close(fd);
				free(c->path);
				return NULL;
			}
			c->parsed = (size_t)(p - r->parsed);
			p->pinned = 1;
		}
	}
	if (fd >= 0)
		close(fd);
	if (cand_insert(r, r->ncands) < 0) {
		free(c->path);
		return NULL;
	}
	r->ncands++;
	return c;
}

/* open_verify() as seen by one search: V_OK with f->parsed set, V_SKIP
 * (other class/machine, or open failed with f->err), or V_FATAL with
 * f->fatal. */
static enum verdict try_file(struct rs *s, const char *path, enum soswap_dep_source src,
			     struct found *f, int secure_preload)
{
	const struct rs_cand *c = verify(s->r, path);
	if (!c) {
		f->err = ENOMEM;
		return V_SKIP;
	}
	enum verdict v = c->verdict;
	const char *why = c->why;
	if (v == V_OK && secure_preload && s->secure && !(c->mode & S_ISUID)) {
		/* Secure mode preloads from search paths must be setuid. */
		v = V_SKIP;
		why = "not setuid (secure-mode preload)";
	}
	if (v != V_OK) {
		add_try(s, src, path, why, 0);
		f->err = c->err ? c->err : ENOENT;
		if (v == V_SKIP && why && strstr(why, "class"))
			f->other_class = 1;
		if (v == V_FATAL)
			f->fatal = fmt("%s: %s", path, why);
		return v;
	}
	f->parsed = c->parsed;
	return V_OK;
}

/* open_path(): try NAME in every directory of DL, under every capability
 * subdirectory.  Stops the list (as the loader does) when an existing
 * directory gave an error other than ENOENT/EACCES. */
static enum verdict search_list(struct rs *s, const char *name, const struct dirlist *dl,
				enum soswap_dep_source src, struct found *f, int secure_preload)
{
	soswap_resolver *r = s->r;
	if (dl->state != 1)
		return V_SKIP;
	for (size_t i = 0; i < dl->n; i++) {
		struct rs_dir *d = &r->dirs[dl->dirs[i]];
		int here_any = 0;
		for (size_t c = 0; c <= r->ncaps; c++) {
			const char *cap = c < r->ncaps ? r->caps[c] : "";
			if (d->status[c] < 0)
				continue;
			char p[PATH_MAX];
			if ((size_t)snprintf(p, sizeof(p), "%s%s%s", d->name, cap, name) >= sizeof(p))
				continue;	/* the loader could not name it either */
			enum verdict v = try_file(s, p, src, f, secure_preload);
			if (d->status[c] == 0) {
				if (v == V_OK) {
					d->status[c] = 1;
				} else {
					char *dir = fmt("%s%s", d->name, cap);
					struct stat st;
					if (!dir || soswap__rs_stat(r, dir[0] ? dir : ".", &st) != 0 ||
					    !S_ISDIR(st.st_mode)) {
						if (dir && errno)
							f->err = errno;
						d->status[c] = -1;
					} else {
						d->status[c] = 1;
					}
					free(dir);
				}
			}
			here_any |= d->status[c] > 0;
			if (v == V_OK) {
				f->path = strdup(p);
				f->src = src;
				f->dir = d->name;
				return f->path ? V_OK : V_SKIP;
			}
			if (v == V_FATAL)
				return V_FATAL;
		}
		if (here_any && f->err != ENOENT && f->err != EACCES && f->err != 0)
			return V_SKIP;
	}
	return V_SKIP;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* Make a loaded object findable by every name it answers to: what it
 * was asked by, its path (a program's is "" to the loader) and soname. */
static int index_obj(soswap_deptree *t, size_t idx)
{
	struct obj *o = &t->objs[idx];
	if (o->faked)
		return 0;
	for (size_t i = 0; i < o->nnames; i++)
		if (index_name(t, o->names[i], idx) < 0)
			return -ENOMEM;
	if (o->path && o->pub.source != SOSWAP_DEP_ROOT && index_name(t, o->path, idx) < 0)
		return -ENOMEM;
	const char *so = o->elf ? soswap_elf_soname(o->elf) : NULL;
	return so ? index_name(t, so, idx) : 0;
}

static int is_system_prefixed(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
		if (strncmp(path, system_dirs[i], strlen(system_dirs[i])) == 0)
			return 1;
	return 0;
}

/* The steps of a search for a name without '/'. */
static enum verdict search(struct rs *s, size_t loader, const char *name,
			   int secure_preload, struct found *f)
{
	soswap_deptree *t = s->t;
	enum verdict v = V_SKIP;
	struct obj *ld = loader != SOSWAP_DEP_NONE ? &t->objs[loader] : NULL;
	if (!ld || !(ld->elf && soswap_elf_runpath(ld->elf))) {
		int did_main = 0;
		for (size_t l = loader; l != SOSWAP_DEP_NONE;
		     l = t->objs[l].dlopened ? SOSWAP_DEP_NONE : t->objs[l].loader) {
			const struct dirlist *dl = obj_rpath(s, &t->objs[l]);
			if (dl->state != 1)
				continue;
			v = search_list(s, name, dl, SOSWAP_DEP_RPATH, f, secure_preload);
			if (v == V_OK)
				f->rpath_owner = l;
			if (v != V_SKIP)
				return v;
			did_main |= l == s->main;
		}
		if (!did_main && obj_rpath(s, &t->objs[s->main])->state == 1) {
			v = search_list(s, name, &t->objs[s->main].rpath, SOSWAP_DEP_RPATH, f,
					secure_preload);
			if (v == V_OK)
				f->rpath_owner = s->main;
			if (v != V_SKIP)
				return v;
		}
	}
	if ((v = search_list(s, name, &t->llp, SOSWAP_DEP_LD_LIBRARY_PATH, f,
			     secure_preload)) != V_SKIP)
		return v;
	if (ld && (v = search_list(s, name, obj_runpath(s, ld), SOSWAP_DEP_RUNPATH, f,
				   secure_preload)) != V_SKIP)
		return v;
	struct obj *flags_of = ld ? ld : &t->objs[s->main];
	int nodeflib = flags_of->elf && (soswap_elf_flags_1(flags_of->elf) & DF_1_NODEFLIB);
	if (!(secure_preload && s->secure)) {
		const struct soswap__ldcache *c = get_cache(s->r);
		const char *hit = soswap__ldcache_lookup(c, name, &s->r->plat, NULL);
		if (!hit) {
			add_try(s, SOSWAP_DEP_LDCACHE, NULL, c ? "no usable entry" : "no cache", 0);
		} else if (nodeflib && is_system_prefixed(hit)) {
			add_try(s, SOSWAP_DEP_LDCACHE, hit,
				"skipped: DF_1_NODEFLIB and in a system directory", 0);
		} else {
			v = try_file(s, hit, SOSWAP_DEP_LDCACHE, f, secure_preload);
			if (v == V_OK) {
				f->path = strdup(hit);
				f->src = SOSWAP_DEP_LDCACHE;
				f->dir = NULL;
			}
			if (v != V_SKIP)
				return v;
		}
	}
	if (nodeflib) {
		add_try(s, SOSWAP_DEP_SYSTEM, NULL, "skipped: DF_1_NODEFLIB", 0);
		return V_SKIP;
	}
	soswap_resolver *r = s->r;
	if (!r->nsysdirs) {
		for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++) {
			r->sysdirs[i] = dir_index(r, system_dirs[i], strlen(system_dirs[i]));
			if (r->sysdirs[i] == SOSWAP_DEP_NONE)
				return V_SKIP;
		}
		r->nsysdirs = ARRAY_SIZE(system_dirs);
	}
	struct dirlist dl = { .dirs = r->sysdirs, .n = r->nsysdirs, .state = 1 };
	return search_list(s, name, &dl, SOSWAP_DEP_SYSTEM, f, secure_preload);
}

static char *origin_of(const char *realname)
{
	char *abs;
	if (realname[0] == '/') {
		abs = strdup(realname);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		abs = fmt("%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", realname);
	}
	if (!abs)
		return NULL;
	char *sl = strrchr(abs, '/');
	if (sl == abs)
		sl[1] = '\0';
	else
		*sl = '\0';
	return abs;
}

/* l_origin: the directory of the file as the loader named it; for a
 * program started by exec, of the file after symlinks (the kernel's
 * /proc/self/exe), since the loader asks the kernel. */
static const char *obj_origin(struct rs *s, struct obj *o)
{
	if (o->origin_done)
		return o->origin;
	o->origin_done = 1;
	if (!o->path)
		return NULL;
	if (o->pub.source == SOSWAP_DEP_ROOT && o->elf && soswap_elf_interp(o->elf)) {
		char *real = soswap__rs_realpath(s->r, o->path);
		o->origin = real ? origin_of(real) : NULL;
		free(real);
	} else {
		o->origin = origin_of(o->path);
	}
	return o->origin;
}

static void fill_found(struct rs *s, size_t idx, struct found *f)
{
	struct rs_parsed *p = &s->r->parsed[f->parsed];
	struct obj *o = &s->t->objs[idx];
	o->path = f->path;
	f->path = NULL;
	o->pub.source = f->src;
	o->search_dir = f->dir ? strdup(f->dir) : NULL;
	if (f->src == SOSWAP_DEP_RPATH && f->rpath_owner != SOSWAP_DEP_NONE) {
		struct obj *ow = &s->t->objs[f->rpath_owner];
		o->pub.rpath_owner = ow->path ? ow->path : ow->names[0];
	}
	o->elf = p ? p->elf : NULL;
	if (p) {
		o->dev = p->dev;
		o->ino = p->ino;
		o->has_id = 1;
	}
	if (p && !p->elf) {
		o->pub.source = SOSWAP_DEP_ERROR;
		o->detail = strdup(p->error ? p->error : "unreadable");
		s->t->missing++;
		return;
	}
	/* What the loader refuses once it has mapped the file. */
	const char *why = NULL;
	if (soswap_elf_kind(o->elf) == SOSWAP_ELF_EXEC)
		why = "cannot dynamically load executable";
	else if (!soswap_elf_has_dynamic(o->elf))
		why = "object file has no dynamic section";
	else if (soswap_elf_flags_1(o->elf) & DF_1_PIE)
		why = "cannot dynamically load position-independent executable";
	if (why) {
		o->pub.source = SOSWAP_DEP_ERROR;
		o->detail = fmt("%s: %s", o->path, why);
		o->elf = NULL;
		s->t->missing++;
	}
}

/* _dl_map_object(): the object NAME denotes for LOADER, loading it (and
 * appending it to the load order) when new.  SOSWAP_DEP_NONE on ENOMEM. */
static size_t map_object(struct rs *s, size_t loader, const char *name, int secure_preload,
			 int *is_new)
{
	soswap_deptree *t = s->t;
	*is_new = 0;
	s->looking_for = name;
	size_t i = find_name(t, name);
	if (i != SOSWAP_DEP_NONE) {
		if (s->flags & SOSWAP_RESOLVE_TRACE) {
			char *m = fmt("already loaded: %s", t->objs[i].path ? t->objs[i].path : name);
			if (m)
				add_try(s, SOSWAP_DEP_ROOT, t->objs[i].path, m, 1);
			free(m);
		}
		if (i == t->interp && !t->interp_placed) {
			t->interp_placed = 1;
			push_order(t, i);
		}
		return i;
	}
	struct found f = { .parsed = SOSWAP_DEP_NONE, .rpath_owner = SOSWAP_DEP_NONE };
	enum verdict v;
	if (!strchr(name, '/')) {
		v = search(s, loader, name, secure_preload, &f);
	} else {
		char *real = loader != SOSWAP_DEP_NONE ? dst_expand(s, &t->objs[loader], name)
						       : strdup(name);
		v = V_SKIP;
		if (real) {
			v = try_file(s, real, SOSWAP_DEP_DIRECT, &f, 0);
			if (v == V_OK) {
				f.path = real;
				f.src = SOSWAP_DEP_DIRECT;
			} else {
				free(real);
			}
		}
	}
	if (v == V_OK) {
		struct rs_parsed *p = &s->r->parsed[f.parsed];
		for (size_t i = 0; i < t->nobjs; i++) {
			struct obj *o = &t->objs[i];
			if (o->has_id && !o->faked && o->dev == p->dev && o->ino == p->ino) {
				if (add_name(o, name) == 0)
					index_name(t, o->names[o->nnames - 1], i);
				add_try(s, f.src, f.path, "same file as an object already loaded", 1);
				free(f.path);
				return i;
			}
		}
		add_try(s, f.src, f.path, "found", 1);
		size_t idx = new_obj(t, name, loader);
		if (idx == SOSWAP_DEP_NONE) {
			free(f.path);
			return idx;
		}
		fill_found(s, idx, &f);
		index_obj(t, idx);
		*is_new = 1;
		push_order(t, idx);
		return idx;
	}
	/* Not found (the loader in trace mode fakes an entry), or refused. */
	size_t idx = new_obj(t, name, loader);
	if (idx == SOSWAP_DEP_NONE) {
		free(f.fatal);
		return idx;
	}
	struct obj *o = &t->objs[idx];
	o->faked = 1;
	if (v == V_FATAL) {
		o->pub.source = SOSWAP_DEP_ERROR;
		o->detail = f.fatal;
	} else {
		o->pub.source = SOSWAP_DEP_NOT_FOUND;
		if (f.other_class)
			o->detail = strdup("only candidates of another ELF class");
	}
	t->missing++;
	*is_new = 1;
	push_order(t, idx);
	return idx;
}

static int add_needed(struct obj *o, size_t dep)
{
	if (soswap__grow((void **)&o->needed, &o->capneeded, o->nneeded + 1, sizeof(*o->needed)) < 0)
		return -ENOMEM;
	o->needed[o->nneeded++] = dep;
	return 0;
}

/* ------------------------------------------------------------------ */
/* .note.dlopen                                                        */

/* Optional dependencies an object declares; each is looked up as a
 * dlopen() from that object would (its RPATH chain and RUNPATH), the first
 * soname found of each entry wins. */
static int load_dlopen_notes(struct rs *s, size_t cur)
{
	soswap_deptree *t = s->t;
	struct soswap__dlopen_dep *deps;
	soswap_err e = { 0 };
	ssize_t n = soswap__dlopen_notes(t->objs[cur].elf, &deps, &e);
	if (n < 0) {
		if (n == -ENOMEM)
			return -ENOMEM;
		add_warning(t, strdup(e.msg));
		return 0;
	}
	for (ssize_t i = 0; i < n; i++) {
		for (size_t k = 0; k < deps[i].nsonames; k++) {
			int is_new;
			size_t missing = t->missing;
			size_t dep = map_object(s, cur, deps[i].sonames[k], 0, &is_new);
			if (dep == SOSWAP_DEP_NONE) {
				soswap__dlopen_notes_free(deps, (size_t)n);
				return -ENOMEM;
			}
			struct obj *o = &t->objs[dep];
			if (is_new) {
				o->pub.optional = 1;
				o->dlopened = 1;
				o->prio = xstrdup(deps[i].priority);
				o->feature = xstrdup(deps[i].feature);
				t->missing = missing;	/* optional: not an error */
			}
			add_needed(&t->objs[cur], dep);
			if (!o->faked)
				break;
		}
	}
	soswap__dlopen_notes_free(deps, (size_t)n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The breadth-first walk                                              */

static int load_deps(struct rs *s, size_t first)
{
	soswap_deptree *t = s->t;
	for (size_t q = first; q < t->norder; q++) {
		size_t cur = t->order[q];
		struct obj *o = &t->objs[cur];
		if (o->faked || !o->elf || cur == t->interp)
			continue;
		s->requester = cur;
		size_t n = soswap_elf_needed_count(o->elf);
		for (size_t k = 0; k < n; k++) {
			const char *raw = soswap_elf_needed(o->elf, k);
			char *name;
			if (dst_count(raw)) {
				if (s->secure) {
					/* The loader stops: DSTs are refused in
					 * DT_NEEDED of secure programs. */
					size_t idx = new_obj(t, raw, cur);
					if (idx == SOSWAP_DEP_NONE)
						return -ENOMEM;
					t->objs[idx].faked = 1;
					t->objs[idx].pub.source = SOSWAP_DEP_ERROR;
					t->objs[idx].detail = fmt("%s: DST not allowed in SUID/SGID programs", raw);
					t->missing++;
					push_order(t, idx);
					add_needed(&t->objs[cur], idx);
					o = &t->objs[cur];
					continue;
				}
				name = dst_expand(s, o, raw);
				if (!name)
					return -ENOMEM;
				if (!*name) {
					/* Empty expansion: the entry is skipped. */
					free(name);
					add_needed(o, SOSWAP_DEP_NONE);
					continue;
				}
			} else {
				name = strdup(raw);
				if (!name)
					return -ENOMEM;
			}
			int is_new;
			size_t dep = map_object(s, cur, name, 0, &is_new);
			free(name);
			o = &t->objs[cur];	/* objs may have moved */
			if (dep == SOSWAP_DEP_NONE)
				return -ENOMEM;
			if (add_needed(o, dep) < 0)
				return -ENOMEM;
		}
		if (s->flags & SOSWAP_RESOLVE_DLOPEN) {
			int r = load_dlopen_notes(s, cur);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Secure mode                                                         */

/* Would exec of the file give AT_SECURE for the invoking user? */
static const char *secure_reason(struct rs *s, const char *path, const struct stat *st,
				 char **buf)
{
	soswap_resolver *r = s->r;
	if (r->secure == SOSWAP_SECURE_ON)
		return "forced (--secure)";
	if (r->secure == SOSWAP_SECURE_OFF)
		return NULL;
	int setid = ((st->st_mode & S_ISUID) && st->st_uid != r->uid) ||
		    ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != r->gid);
	/* root gets every capability anyway: file capabilities change
	 * nothing for it. */
	if (!setid && r->uid == 0)
		return NULL;
	int fd = soswap__rs_open(r, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	/* A nosuid mount ignores set-id bits and file capabilities. */
	struct statvfs vfs;
	const char *why = NULL;
	if (fstatvfs(fd, &vfs) == 0 && !(vfs.f_flag & ST_NOSUID)) {
		if ((st->st_mode & S_ISUID) && st->st_uid != r->uid)
			why = *buf = fmt("setuid to uid %u", (unsigned)st->st_uid);
		else if ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != r->gid)
			why = *buf = fmt("setgid to gid %u", (unsigned)st->st_gid);
		else if (r->uid != 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0)
			why = "file capabilities";
	}
	close(fd);
	return why;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */

static void preload_one(struct rs *s, const char *name, const char *where)
{
	soswap_deptree *t = s->t;
	size_t before = t->nobjs;
	int is_new;
	s->requester = s->main;
	size_t idx = map_object(s, s->main, name, 1, &is_new);
	if (idx == SOSWAP_DEP_NONE)
		return;
	struct obj *o = &t->objs[idx];
	if (!is_new || t->nobjs == before)
		return;
	if (o->faked) {
		/* Not traced by the loader: a warning, and the object is gone. */
		add_warning(t, fmt("object '%s' from %s cannot be preloaded (%s): ignored",
				   name, where, o->detail ? o->detail : "cannot open shared object file"));
		o->pub.preload = 1;
		t->missing--;	/* the loader goes on without it */
		return;
	}
	o->pub.preload = 1;
}

static void do_preloads(struct rs *s)
{
	soswap_resolver *r = s->r;
	if (r->preload) {
		const char *p = r->preload;
		while (*p) {
			size_t n = strcspn(p, " :");
			char *name = strndup(p, n);
			p += n;
			if (*p)
				p++;
			if (!name)
				return;
			/* Secure mode: no names with '/', none too long. */
			if (*name && !(s->secure && (n >= SECURE_NAME_LIMIT || strchr(name, '/'))))
				preload_one(s, name, "LD_PRELOAD");
			free(name);
		}
	}
	if (s->flags & SOSWAP_RESOLVE_NO_PRELOAD_FILE)
		return;
	/* Read once per resolver: the file system does not change during a
	 * run. */
	if (!r->preload_file_read) {
		r->preload_file_read = 1;
		int fd = soswap__rs_open(r, "/etc/ld.so.preload", O_RDONLY | O_NONBLOCK);
		if (fd >= 0) {
			char tmp[65536];
			ssize_t n = read(fd, tmp, sizeof(tmp) - 1);
			close(fd);
			if (n > 0)
				r->preload_file = strndup(tmp, (size_t)n);
		}
	}
	if (!r->preload_file)
		return;
	char *buf = strdup(r->preload_file);
	if (!buf)
		return;
	for (char *c = buf; (c = strchr(c, '#'));)
		while (*c && *c != '\n')
			*c++ = ' ';
	char *save = NULL;
	for (char *tok = strtok_r(buf, ": \t\n", &save); tok; tok = strtok_r(NULL, ": \t\n", &save))
		preload_one(s, tok, "/etc/ld.so.preload");
	free(buf);
}

static void free_obj(struct obj *o)
{
	for (size_t i = 0; i < o->nnames; i++)
		free(o->names[i]);
	free(o->names);
	free(o->path);
	free(o->origin);
	free(o->search_dir);
	free(o->detail);
	free(o->rpath.dirs);
	free(o->runpath.dirs);
	free(o->needed);
	free(o->prio);
	free(o->feature);
}

void soswap_deptree_free(soswap_deptree *t)
{
	if (!t)
		return;
	/* A root no search has used is not needed again: unmap it now, so
	 * resolving thousands of programs keeps memory flat. */
	if (t->r && t->root_parsed < t->r->nparsed) {
		struct rs_parsed *p = &t->r->parsed[t->root_parsed];
		if (!p->pinned && !p->dead) {
			soswap_elf_close(p->elf);
			free(p->error);
			memset(p, 0, sizeof(*p));
			p->dead = 1;
		}
	}
	for (size_t i = 0; i < t->nobjs; i++)
		free_obj(&t->objs[i]);
	free(t->objs);
	free(t->order);
	free(t->interp_path);
	free(t->secure_buf);
	free(t->llp.dirs);
	for (size_t i = 0; i < t->ntries; i++) {
		free((char *)t->tries[i].name);
		free((char *)t->tries[i].path);
		free((char *)t->tries[i].outcome);
	}
	free(t->tries);
	for (size_t i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	free(t->names);
	free(t);
}

/* The root object: opened, checked, with its $ORIGIN. */
static int open_root(struct rs *s, const char *path, struct stat *st, soswap_err *err)
{
	soswap_deptree *t = s->t;
	int fd = soswap__rs_open(s->r, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s", path);
	if (fstat(fd, st) < 0) {
		int rc = soswap__fail_errno(err, -errno, "%s", path);
		close(fd);
		return rc;
	}
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		return soswap__fail(err, -EISDIR, "%s: is a directory", path);
	}
	unsigned char head[4096];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	struct rs_parsed *p = parsed_for_fd(s->r, fd, path, st, n > 0 ? head : NULL,
					    n > 0 ? (size_t)n : 0);
	if (p)
		t->root_parsed = (size_t)(p - s->r->parsed);
	close(fd);
	if (!p)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", path);
	if (!p->elf)
		return soswap__fail(err, -ENOEXEC, "%s", p->error ? p->error : path);
	soswap_elf *e = p->elf;
	if (soswap_elf_class(e) != ELFCLASS64 || soswap_elf_machine(e) != EM_X86_64)
		return soswap__fail(err, -ENOEXEC, "%s: %s %s object: only x86-64 objects are resolved",
				    path, soswap_elf_class(e) == ELFCLASS64 ? "ELF64" : "ELF32",
				    soswap_elf_machine_name(soswap_elf_machine(e)));
	if (!soswap_elf_has_dynamic(e))
		return soswap__fail(err, -ENOEXEC, "%s: not a dynamic executable", path);
	size_t idx = new_obj(t, path, SOSWAP_DEP_NONE);
	if (idx == SOSWAP_DEP_NONE)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", path);
	struct obj *o = &t->objs[idx];
	o->elf = e;
	o->is_exec = 1;
	o->pub.source = SOSWAP_DEP_ROOT;
	o->path = strdup(path);
	/* A program's names are not matchable (its l_name is ""), only its
	 * soname; it has no file identity either. */
	free(o->names[0]);
	o->nnames = 0;
	s->main = idx;
	index_obj(t, idx);
	return push_order(t, idx) < 0 ? soswap__fail(err, -ENOMEM, "out of memory") : 0;
}

static void add_interp(struct rs *s)
{
	soswap_deptree *t = s->t;
	const char *ip = soswap_elf_interp(t->objs[s->main].elf);
	if (!ip)
		ip = DEFAULT_INTERP;
	t->interp_path = strdup(ip);
	size_t idx = new_obj(t, ip, SOSWAP_DEP_NONE);
	if (idx == SOSWAP_DEP_NONE)
		return;
	t->interp = idx;
	struct obj *o = &t->objs[idx];
	o->path = strdup(ip);
	o->pub.source = SOSWAP_DEP_INTERP;
	const struct rs_cand *c = verify(s->r, ip);
	if (c && c->verdict == V_OK) {
		o->elf = s->r->parsed[c->parsed].elf;
		if (o->elf && soswap_elf_soname(o->elf))
			add_name(o, soswap_elf_soname(o->elf));
	} else {
		/* exec fails: the kernel cannot start the interpreter. */
		o->detail = fmt("%s: %s", ip, c ? c->why : "out of memory");
		o->pub.source = SOSWAP_DEP_ERROR;
		t->missing++;
	}
	index_obj(t, idx);
}

/* Public indices are load-order positions; objs[] indices are internal. */
static size_t pos_of(const soswap_deptree *t, size_t obj)
{
	for (size_t i = 0; i < t->norder; i++)
		if (t->order[i] == obj)
			return i;
	return SOSWAP_DEP_NONE;
}

static void publish(soswap_deptree *t)
{
	for (size_t i = 0; i < t->nobjs; i++) {
		struct obj *o = &t->objs[i];
		o->pub.name = o->nnames ? o->names[0] : o->path;
		o->pub.path = o->faked ? NULL : o->path;
		o->pub.search_dir = o->search_dir;
		o->pub.detail = o->detail;
		o->pub.dlopen_priority = o->prio;
		o->pub.dlopen_feature = o->feature;
		o->pub.loader = o->loader == SOSWAP_DEP_NONE ? SOSWAP_DEP_NONE : pos_of(t, o->loader);
	}
	for (size_t i = 0; i < t->ntries; i++)
		t->tries[i].requester = pos_of(t, t->tries[i].requester);
}

int soswap_resolve(soswap_resolver *r, const char *path, unsigned flags,
		   soswap_deptree **out, soswap_err *err)
{
	*out = NULL;
	soswap_deptree *t = calloc(1, sizeof(*t));
	if (!t)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", path);
	t->interp = SOSWAP_DEP_NONE;
	t->r = r;
	t->root_parsed = SOSWAP_DEP_NONE;
	struct rs s = { .r = r, .t = t, .flags = flags, .err = err };
	struct stat st;
	int rc = open_root(&s, path, &st, err);
	if (rc < 0) {
		soswap_deptree_free(t);
		return rc;
	}
	t->secure = secure_reason(&s, path, &st, &t->secure_buf);
	s.secure = t->secure != NULL;
	add_interp(&s);
	/* LD_LIBRARY_PATH: removed from the environment in secure mode. */
	if (!s.secure)
		decompose(&s, &t->objs[s.main], r->llp, ":;", &t->llp);
	do_preloads(&s);
	rc = load_deps(&s, 0);
	if (rc < 0) {
		soswap_deptree_free(t);
		return soswap__fail(err, rc, "%s: out of memory", path);
	}
	if (t->interp != SOSWAP_DEP_NONE && !t->interp_placed)
		push_order(t, t->interp);
	if (r->cache_error)
		add_warning(t, fmt("%s: the loader ignores it", r->cache_error));
	publish(t);
	*out = t;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

size_t soswap_deptree_count(const soswap_deptree *t)
{
	return t->norder;
}

const struct soswap_dep *soswap_deptree_get(const soswap_deptree *t, size_t i)
{
	return i < t->norder ? &t->objs[t->order[i]].pub : NULL;
}

size_t soswap_deptree_needed_count(const soswap_deptree *t, size_t i)
{
	return i < t->norder ? t->objs[t->order[i]].nneeded : 0;
}

size_t soswap_deptree_needed(const soswap_deptree *t, size_t i, size_t k)
{
	if (i >= t->norder)
		return SOSWAP_DEP_NONE;
	const struct obj *o = &t->objs[t->order[i]];
	if (k >= o->nneeded || o->needed[k] == SOSWAP_DEP_NONE)
		return SOSWAP_DEP_NONE;
	return pos_of(t, o->needed[k]);
}

soswap_elf *soswap_deptree_elf(const soswap_deptree *t, size_t i)
{
	return i < t->norder ? t->objs[t->order[i]].elf : NULL;
}

size_t soswap_deptree_missing(const soswap_deptree *t)
{
	return t->missing;
}

const char *soswap_deptree_secure(const soswap_deptree *t)
{
	return t->secure;
}

const char *soswap_deptree_interp(const soswap_deptree *t)
{
	return t->interp_path;
}

size_t soswap_deptree_tries_count(const soswap_deptree *t)
{
	return t->ntries;
}

const struct soswap_dep_try *soswap_deptree_try(const soswap_deptree *t, size_t i)
{
	return i < t->ntries ? &t->tries[i] : NULL;
}

size_t soswap_deptree_warnings_count(const soswap_deptree *t)
{
	return t->nwarnings;
}

const char *soswap_deptree_warning(const soswap_deptree *t, size_t i)
{
	return i < t->nwarnings ? t->warnings[i] : NULL;
}
