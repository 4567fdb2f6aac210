/* live.c - soswap_live_swap() and soswap_live_rollback(): the
 * orchestration of a live swap (see include/soswap.h for the contract).
 *
 *   preflight (target untouched) -> plan with NEW not yet loaded (refuse
 *   early: missing symbols, changed objects) -> seize -> load NEW through
 *   a path of its own -> plan for real -> journal (fsync) -> pause: stop,
 *   check threads, write, resume -> verify -> commit -> detach.
 */
#include <dlfcn.h>
#include <elf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "live-internal.h"
#include "procscan.h"
#include "ptrace.h"

#define DEFAULT_TIMEOUT_MS 5000

struct soswap_live_report {
	struct soswap_live_stats st;
	char *old_name, *new_path, *journal;
	int abi;
	char **modules;
	unsigned *slots;
	size_t nmodules;
	struct soswap__skip *skipped;
	size_t nskipped;
	char **warnings;
	size_t nwarnings, capwarnings;
};

struct live {
	pid_t pid;
	const char *old_arg, *new_arg;
	int timeout_ms;
	unsigned flags;
	struct soswap__target_info ti;
	soswap_elf *new_elf;
	uint64_t new_hash;
	struct soswap__modules mods;
	unsigned char *family;
	size_t old_idx, new_idx;
	char target_path[PATH_MAX];	/* NEW's copy, as the target sees it */
	struct soswap_tracee t;
	int seized;
	uint64_t migrate_fn;
	struct soswap__plan plan;
	soswap_live_report *rep;
};

/* ---- report ------------------------------------------------------------- */

static int warn(soswap_live_report *r, const char *fmt, ...)
	SOSWAP__PRINTF(2, 3);
static int warn(soswap_live_report *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (soswap__grow((void **)&r->warnings, &r->capwarnings, r->nwarnings + 1,
			 sizeof(*r->warnings)) < 0)
		return -ENOMEM;
	if (!(r->warnings[r->nwarnings] = strdup(buf)))
		return -ENOMEM;
	r->nwarnings++;
	return 0;
}

/* Move the plan's findings into the report. */
static int report_plan(struct live *L)
{
	soswap_live_report *r = L->rep;
	struct soswap__plan *p = &L->plan;
	r->st.modules_patched = p->modules_patched;
	r->st.got_slots = p->got_slots;
	r->st.entry_jumps = p->entry_jumps;
	r->st.entries_restored = p->entries_restored;
	r->st.functions_skipped = (unsigned)p->nskipped;
	r->st.data_shared = p->data_shared;
	r->st.data_migrated = L->migrate_fn ? p->data_changed : 0;
	r->modules = calloc(p->modules_patched + 1, sizeof(*r->modules));
	r->slots = calloc(p->modules_patched + 1, sizeof(*r->slots));
	if (!r->modules || !r->slots)
		return -ENOMEM;
	for (size_t i = 0; i < L->mods.n && p->mod_slots; i++) {
		if (!p->mod_slots[i] || r->nmodules >= p->modules_patched)
			continue;
		const char *n = L->mods.m[i].name;
		if (!(r->modules[r->nmodules] = strdup(n[0] ? n : "(executable)")))
			return -ENOMEM;
		r->slots[r->nmodules++] = p->mod_slots[i];
	}
	r->skipped = p->skipped;
	r->nskipped = p->nskipped;
	p->skipped = NULL;
	p->nskipped = 0;
	return 0;
}

/* ---- finding OLD and NEW among the target's modules --------------------- */

static int module_is_lib(const struct soswap__module *m)
{
	return m->elf && m->name[0] && soswap_elf_kind(m->elf) == SOSWAP_ELF_DYN;
}

static ssize_t find_old(const struct soswap__modules *mods, const char *old)
{
	struct stat st;
	int by_file = strchr(old, '/') && stat(old, &st) == 0;
	for (size_t i = 0; i < mods->n; i++) {
		const struct soswap__module *m = &mods->m[i];
		if (!module_is_lib(m))
			continue;
		const char *base = strrchr(m->name, '/');
		const char *so = soswap_elf_soname(m->elf);
		/* The path in maps counts too: after a package upgrade renamed
		 * a new file over OLD's path, stat(old) names the new file and
		 * l_name may be a symlink's path, but maps still shows the
		 * file the target runs. */
		if (!strcmp(m->name, old) || (base && !strcmp(base + 1, old)) ||
		    (m->mapped && !strcmp(m->mapped, old)) ||
		    (so && !strcmp(so, old)) ||
		    (by_file && st.st_dev == soswap_elf_dev(m->elf) &&
		     st.st_ino == soswap_elf_ino(m->elf)))
			return (ssize_t)i;
	}
	return -1;
}

/* Every loaded version of OLD: the objects with OLD's SONAME. */
static int find_family(struct live *L)
{
	free(L->family);
	L->family = calloc(L->mods.n + 1, 1);
	if (!L->family)
		return -ENOMEM;
	const char *so = soswap_elf_soname(L->mods.m[L->old_idx].elf);
	for (size_t i = 0; i < L->mods.n; i++) {
		const char *s = module_is_lib(&L->mods.m[i]) ?
				soswap_elf_soname(L->mods.m[i].elf) : NULL;
		L->family[i] = i == L->old_idx || (so && s && !strcmp(so, s));
	}
	return 0;
}

static uint64_t content_hash(const soswap_elf *e)
{
	size_t n;
	const unsigned char *b = soswap_elf_bytes(e, &n);
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h ^ n;
}

/* A family member that is NEW's very file content: reuse it. */
static ssize_t find_loaded_new(struct live *L)
{
	size_t nn;
	soswap_elf_bytes(L->new_elf, &nn);
	for (size_t i = 0; i < L->mods.n; i++) {
		size_t n;
		if (!L->family[i])
			continue;
		soswap_elf_bytes(L->mods.m[i].elf, &n);
		if (n == nn && content_hash(L->mods.m[i].elf) == L->new_hash)
			return (ssize_t)i;
	}
	return -1;
}

/* When NEW is the module the user named (a swap back), OLD is the
 * version in use: the family member other than NEW that the other
 * modules' slots lead to.  The first other member is a good stand-in:
 * every member shares the data instances. */
static int pick_old(struct live *L)
{
	if (L->old_idx != L->new_idx)
		return 0;
	for (size_t i = 0; i < L->mods.n; i++)
		if (L->family[i] && i != L->new_idx) {
			L->old_idx = i;
			return 0;
		}
	return -EALREADY;
}

/* ---- loading NEW ---------------------------------------------------------- */

/* RUN_DIR/lib/HASH-NAME of a library file's content. */
static int staged_path(char *buf, size_t size, const char *dir, uint64_t hash,
		       const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	int n = snprintf(buf, size, "%s/lib/%016" PRIx64 "-%s", dir, hash, base);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Is there any staged copy named like `file` (HASH-NAME) in DIR/lib? */
static int staged_name_exists(const char *dir, const char *file)
{
	char ldir[PATH_MAX + 8];
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	snprintf(ldir, sizeof(ldir), "%s/lib", dir);
	DIR *d = opendir(ldir);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d)))
		found = strlen(de->d_name) > 17 && de->d_name[16] == '-' &&
			!strcmp(de->d_name + 17, base);
	closedir(d);
	return found;
}

int soswap__live_staged_copy(const char *path, char *buf, size_t size)
{
	char dir[PATH_MAX];
	soswap_elf *e;
	struct stat st;
	/* Hashing the whole file is what costs: only when a copy of that
	 * name was staged at all (usually none was). */
	if (soswap__run_dir_name(dir, sizeof(dir), NULL) < 0 || !staged_name_exists(dir, path) ||
	    soswap_elf_open(&e, path, NULL) < 0)
		return -ENOENT;
	int r = staged_path(buf, size, dir, content_hash(e), path);
	soswap_elf_close(e);
	if (r < 0)
		return r;
	return stat(buf, &st) == 0 ? 0 : -ENOENT;
}

/* Copy NEW to RUN_DIR/lib/HASH-NAME (inside the target's root) unless
 * already there; fills L->target_path. */
static int stage_new(struct live *L, soswap_err *err)
{
	char dir[PATH_MAX], host[PATH_MAX + 64], tmp[PATH_MAX + 128];
	int r = soswap__run_dir(dir, sizeof(dir), err);
	if (r < 0)
		return r;
	if (staged_path(L->target_path, sizeof(L->target_path), dir, L->new_hash,
			L->new_arg) < 0)
		return soswap__fail(err, -ENAMETOOLONG, "%s: path too long", dir);
	if (L->ti.other_mntns)
		snprintf(host, sizeof(host), "/proc/%d/root%s/lib", (int)L->pid, dir);
	else
		snprintf(host, sizeof(host), "%s/lib", dir);
	if ((r = soswap__mkdirs(host, err)) < 0)
		return soswap__fail(err, r, "pid %d: NEW cannot be made reachable in the "
				    "target's mount namespace: %s", (int)L->pid, err ? err->msg : "");
	size_t len;
	const unsigned char *bytes = soswap_elf_bytes(L->new_elf, &len);
	snprintf(tmp, sizeof(tmp), "%s/%s", host, strrchr(L->target_path, '/') + 1);
	struct stat st;
	if (stat(tmp, &st) == 0 && (size_t)st.st_size == len)
		return 0;
	char name[128], tpath[PATH_MAX + 256];
	if (soswap__tmpname(name, sizeof(name), "so") < 0)
		return soswap__fail(err, -ENAMETOOLONG, "%s: path too long", host);
	snprintf(tpath, sizeof(tpath), "%s/%s", host, name);
	int fd = open(tpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s", tpath);
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, bytes + done, len - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	r = done == len && fchmod(fd, 0644) == 0 && fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	if (r == 0 && rename(tpath, tmp) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tpath);
		return soswap__fail_errno(err, r ? r : -EIO, "%s: cannot copy NEW", tmp);
	}
	return 0;
}

static int read_modules(struct live *L, soswap_err *err)
{
	soswap__modules_free(&L->mods);
	return soswap__modules_read(&L->mods, L->pid, soswap__procmem_read,
				    &L->ti.memfd, err);
}

static ssize_t module_by_lm(const struct soswap__modules *m, uint64_t lm)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->m[i].lm == lm)
			return (ssize_t)i;
	return -1;
}

/* dlopen NEW's copy inside the target and find it in the link_map. */
static int load_new(struct live *L, soswap_err *err)
{
	uint64_t handle, old_lm = L->mods.m[L->old_idx].lm;
	int r = soswap__remote_dlopen(&L->t, L->target_path, RTLD_NOW | RTLD_LOCAL,
				      &handle, L->timeout_ms, err);
	if (r < 0)
		return r;
	if (handle == old_lm)
		return soswap__fail(err, -EEXIST, "pid %d: dlopen(%s) returned OLD itself",
				    (int)L->pid, L->target_path);
	if ((r = read_modules(L, err)) < 0)
		return r;
	ssize_t o = module_by_lm(&L->mods, old_lm), n = module_by_lm(&L->mods, handle);
	if (o < 0 || n < 0 || !L->mods.m[n].elf)
		return soswap__fail(err, -ESRCH, "pid %d: OLD or NEW vanished from the "
				    "link_map during the load", (int)L->pid);
	L->old_idx = (size_t)o;
	L->new_idx = (size_t)n;
	if ((r = find_family(L)) < 0)
		return soswap__fail(err, r, "out of memory");
	L->family[n] = 1;
	return 0;
}

static uint64_t find_migrate(struct live *L)
{
	const struct soswap_sym *syms;
	const struct soswap__module *m = &L->mods.m[L->new_idx];
	soswap_err e;
	ssize_t n = soswap_elf_symbols(m->elf, &syms, &e);
	for (ssize_t i = 0; i < n; i++)
		if (syms[i].defined && syms[i].type == STT_FUNC &&
		    !strcmp(syms[i].name, "soswap_migrate"))
			return m->l_addr + syms[i].value;
	return 0;
}

/* ---- planning ------------------------------------------------------------- */

static int check_plan(struct live *L, soswap_err *err)
{
	struct soswap__plan *p = &L->plan;
	if (p->nmissing) {
		char list[400] = "";
		size_t o = 0;
		for (size_t i = 0; i < p->nmissing && o < sizeof(list) - 8; i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
					      i ? ", " : "", p->missing[i]);
		if (o >= sizeof(list) - 8)
			strcpy(list + sizeof(list) - 8, ", ...");
		return soswap__fail(err, -ENOENT, "%s: lacks %zu symbol%s the target uses "
				    "from OLD: %s", L->new_arg, p->nmissing,
				    p->nmissing > 1 ? "s" : "", list);
	}
	if (p->refuse)
		return soswap__fail(err, -EINVAL, "%s: %s", L->new_arg, p->refuse);
	return 0;
}

static int build_plan(struct live *L, int virtual_new, soswap_err *err)
{
	struct soswap__plan_in in = {
		.mods = &L->mods, .rd = soswap__procmem_read, .rctx = &L->ti.memfd,
		.family = L->family, .new_idx = L->new_idx, .old_idx = L->old_idx,
		.no_entry_jumps = !!(L->flags & SOSWAP_LIVE_NO_ENTRY_JUMPS),
		.has_migrate = L->migrate_fn != 0, .new_virtual = virtual_new,
	};
	soswap__plan_free(&L->plan);
	int r = soswap__plan_build(&L->plan, &in, err);
	return r < 0 ? r : check_plan(L, err);
}

/* Plan against NEW as if it were loaded above every module, with the
 * target untouched: refuses before anything is loaded. */
static int preplan(struct live *L, soswap_err *err)
{
	struct soswap__modules saved = L->mods;
	struct soswap__module *m = calloc(saved.n + 1, sizeof(*m));
	if (!m)
		return soswap__fail(err, -ENOMEM, "out of memory");
	memcpy(m, saved.m, saved.n * sizeof(*m));
	uint64_t top = 0;
	for (size_t i = 0; i < saved.n; i++)
		if (m[i].hi > top)
			top = m[i].hi;
	struct soswap__module *nm = &m[saved.n];
	nm->name = (char *)L->new_arg;
	nm->elf = L->new_elf;
	nm->l_addr = ((top + (1u << 30)) & ~((uint64_t)(1u << 21) - 1));
	soswap__module_extent(nm);
	L->mods.m = m;
	L->mods.n = saved.n + 1;
	L->new_idx = saved.n;
	L->family[saved.n] = 1;
	L->migrate_fn = 0;
	const struct soswap_sym *syms;
	ssize_t ns = soswap_elf_symbols(L->new_elf, &syms, err);
	for (ssize_t i = 0; i < ns; i++)
		if (syms[i].defined && !strcmp(syms[i].name, "soswap_migrate"))
			L->migrate_fn = 1;
	int r = ns < 0 ? (int)ns : build_plan(L, 1, err);
	L->mods = saved;
	free(m);
	return r;
}

static void abi_verdict(struct live *L)
{
	soswap_abidiff *d = NULL;
	soswap_err e;
	const char *old = L->mods.m[L->old_idx].file;
	L->rep->abi = -1;
	if (old && soswap_abidiff_files(&d, old, L->new_arg, SOSWAP_ABIDIFF_NO_DWARF, &e) == 0)
		L->rep->abi = (int)soswap_abidiff_verdict(d);
	soswap_abidiff_free(d);
}

/* ---- the switch ----------------------------------------------------------- */

struct migrate_args {
	struct live *L;
	uint64_t old_lm;
};

/* soswap_migrate(old_handle) in the target, inside the pause. */
static int call_migrate(struct soswap_tracee *t, void *arg, soswap_err *err)
{
	struct migrate_args *a = arg;
	struct soswap_thread *th = NULL;
	for (size_t i = 0; i < t->nthreads && !th; i++)
		if (!t->threads[i].gone && t->threads[i].stopped)
			th = &t->threads[i];
	if (!th)
		return soswap__fail(err, -ESRCH, "pid %d: no thread left", (int)t->pid);
	uint64_t ret = 0;
	int r = soswap__remote_call(t, th, a->L->migrate_fn, &a->old_lm, 1, &ret,
				    a->L->timeout_ms, err);
	if (r < 0)
		return r;
	a->L->rep->st.migrate_called = 1;
	if ((int)ret != 0)
		return soswap__fail(err, -ECANCELED, "%s: soswap_migrate() returned %d: "
				    "swap aborted, nothing changed", a->L->new_arg, (int)ret);
	return 0;
}

static int do_switch(struct live *L, const char *journal, soswap_err *err)
{
	unsigned id;
	uint64_t start;
	struct soswap__pause_stats ps;
	struct migrate_args ma = { L, L->mods.m[L->old_idx].lm };
	int r = soswap__proc_start_time(L->pid, &start, err);
	/* OLD is recorded by its path in maps: what who and stale see. */
	const struct soswap__module *om = &L->mods.m[L->old_idx];
	if (r < 0 || (r = soswap__journal_begin(journal, L->pid, start,
						om->mapped ? om->mapped : om->name,
						L->target_path,
						L->plan.w, L->plan.nw, &id, err)) < 0)
		return r;
	/* Signals that reached seized threads while soswap planned hold them
	 * in ptrace stops: pass them on before pausing. */
	if ((r = soswap__trace_pump(&L->t)) < 0)
		return soswap__fail(err, r, "pid %d: no such process", (int)L->pid);
	r = soswap__pause_write(&L->t, &L->plan, 0, L->timeout_ms,
				L->migrate_fn ? call_migrate : NULL, &ma, &ps, err);
	L->rep->st.retries = ps.retries;
	L->rep->st.writes = ps.writes;
	L->rep->st.threads_stepped = ps.stepped;
	if (r < 0 && !ps.wrote) {
		/* nothing was written: the transaction is over */
		soswap_err e2;
		soswap__journal_mark(journal, "rollback", id, &e2);
	}
	if (r < 0)
		return r;
	L->rep->st.stop_ns = ps.stopped_ns - ps.first_ns;
	L->rep->st.patch_ns = ps.resume_ns - ps.stopped_ns;
	L->rep->st.pause_ns = ps.resumed_ns - ps.first_ns;
	if ((r = soswap__verify(&L->t, &L->plan, 0, err)) < 0)
		return r;
	return soswap__journal_mark(journal, "commit", id, err);
}

/* Fault injection for the tests (SOSWAP_FAULT=NAME). */
static int fault(const char *name)
{
	const char *f = getenv("SOSWAP_FAULT");
	return f && !strcmp(f, name);
}

/* ---- public --------------------------------------------------------------- */

static void live_free(struct live *L)
{
	if (L->seized)
		soswap__trace_detach(&L->t);
	soswap__plan_free(&L->plan);
	soswap__modules_free(&L->mods);
	soswap__target_info_free(&L->ti);
	soswap_elf_close(L->new_elf);
	free(L->family);
}

/* Free everything; hand the report over on success. */
static int finish(struct live *L, int r, uint64_t t0, soswap_live_report **report)
{
	live_free(L);
	if (r < 0) {
		soswap_live_report_free(L->rep);
		return r;
	}
	L->rep->st.total_ns = soswap__now_ns() - t0;
	*report = L->rep;
	return 0;
}

static int start(struct live *L, pid_t pid, const struct soswap_live_opts *opts,
		 soswap_live_report **report, soswap_err *err)
{
	memset(L, 0, sizeof(*L));
	L->ti.memfd = -1;
	L->pid = pid;
	L->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	L->flags = opts ? opts->flags : 0;
	*report = NULL;
	L->rep = calloc(1, sizeof(*L->rep));
	if (!L->rep)
		return soswap__fail(err, -ENOMEM, "out of memory");
	L->rep->abi = -1;
	return soswap__preflight_target(pid, &L->ti, err);
}

static int seize(struct live *L, soswap_err *err)
{
	int r = soswap__trace_seize(&L->t, L->pid, err);
	if (r == 0)
		L->seized = 1;
	return r;
}

static int swap(struct live *L, soswap_err *err)
{
	int r;
	char journal[PATH_MAX];
	uint64_t start;
	if ((r = soswap__preflight_new_path(L->new_arg, L->ti.uid, err)) < 0 ||
	    (r = soswap_elf_open(&L->new_elf, L->new_arg, err)) < 0 ||
	    (r = soswap__preflight_new_elf(L->new_elf, L->ti.exe, err)) < 0 ||
	    (r = read_modules(L, err)) < 0)
		return r;
	ssize_t o = find_old(&L->mods, L->old_arg);
	if (o < 0)
		return soswap__fail(err, -ENOENT, "%s: not mapped in pid %d", L->old_arg,
				    (int)L->pid);
	L->old_idx = (size_t)o;
	if ((r = find_family(L)) < 0)
		return soswap__fail(err, r, "out of memory");
	L->new_hash = content_hash(L->new_elf);
	if (L->ti.seccomp == 2)
		warn(L->rep, "the target runs under a seccomp filter: a system call the "
		     "load needs may be refused");
	if (L->mods.m[L->old_idx].deleted)
		warn(L->rep, "OLD is mapped from a deleted file");
	warn(L->rep, "file-scope (static) state of OLD is not carried over; NEW's "
	     "constructors ran at load time");
	ssize_t reuse = find_loaded_new(L);
	if (reuse >= 0) {
		L->new_idx = (size_t)reuse;
		L->rep->st.reused = 1;
		if (pick_old(L) < 0)
			return soswap__fail(err, -EALREADY, "pid %d: %s is already the only "
					    "loaded version", (int)L->pid, L->new_arg);
		L->migrate_fn = find_migrate(L);
		r = build_plan(L, 0, err);
	} else {
		r = preplan(L, err);
	}
	if (r < 0)
		return r;
	abi_verdict(L);
	if (!(L->rep->old_name = strdup(L->mods.m[L->old_idx].name)))
		return -ENOMEM;
	if (L->flags & SOSWAP_LIVE_DRY_RUN) {
		L->rep->st.dry_run = 1;
		L->rep->new_path = strdup(reuse >= 0 ? L->mods.m[L->new_idx].name : L->new_arg);
		return report_plan(L);
	}
	if ((r = soswap__proc_start_time(L->pid, &start, err)) < 0 ||
	    (r = soswap__journal_path(journal, sizeof(journal), L->pid, start, err)) < 0)
		return r;
	soswap__journal_prune();
	if ((r = seize(L, err)) < 0)
		return r;
	if (reuse < 0) {
		uint64_t t0 = soswap__now_ns();
		if ((r = stage_new(L, err)) < 0 || (r = load_new(L, err)) < 0)
			return r;
		L->rep->st.load_ns = soswap__now_ns() - t0;
		L->migrate_fn = find_migrate(L);
		if ((r = build_plan(L, 0, err)) < 0)
			return r;
	} else {
		snprintf(L->target_path, sizeof(L->target_path), "%s", L->mods.m[L->new_idx].name);
	}
	L->rep->new_path = strdup(L->target_path);
	L->rep->journal = strdup(journal);
	if (fault("kill-target"))
		kill(L->pid, SIGKILL);
	if (L->plan.nw && (r = do_switch(L, journal, err)) < 0)
		return r;
	return report_plan(L);
}

/* The process no longer exists or is a zombie (dead, not yet reaped). */
static int target_gone(pid_t pid)
{
	struct soswap__pstat st;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	if (soswap__proc_stat(pid, 0, &st) == -ESRCH)
		return 1;
	return st.state == 'Z' || st.state == 'X';
}

int soswap_live_swap(pid_t pid, const char *old_lib, const char *new_path,
		     const struct soswap_live_opts *opts,
		     soswap_live_report **report, soswap_err *err)
{
	struct live L;
	uint64_t t0 = soswap__now_ns();
	int r = start(&L, pid, opts, report, err);
	L.old_arg = old_lib;
	L.new_arg = new_path;
	if (r == 0)
		r = swap(&L, err);
	/* A target that dies mid-swap makes whatever soswap was doing fail
	 * (ESRCH, or EIO from /proc/PID/mem): say what really happened. */
	if (r < 0 && r != -ENOMEM && L.seized && target_gone(pid)) {
		r = -ESRCH;
		soswap__fail(err, r, "pid %d: the process exited during the swap",
			     (int)pid);
	}
	if (r == -ENOMEM)
		soswap__fail(err, r, "out of memory");
	return finish(&L, r, t0, report);
}

/* ---- rollback ------------------------------------------------------------- */

/* The writes of the last transaction not rolled back whose bytes still
 * hold what the swap wrote (an interrupted swap wrote only some). */
static int rollback_plan(struct live *L, struct soswap__jtxn *tx, soswap_err *err)
{
	struct soswap__plan *p = &L->plan;
	unsigned char cur[16];
	for (size_t i = 0; i < tx->nw; i++) {
		const struct soswap__write *w = &tx->w[i];
		int r = soswap__procmem_read(&L->ti.memfd, w->addr, cur, w->len, err);
		if (r < 0)
			return r;
		if (!memcmp(cur, w->old, w->len))
			continue;
		if (memcmp(cur, w->new, w->len))
			return soswap__fail(err, -ESTALE, "pid %d: 0x%" PRIx64 " changed since "
					    "the swap: not rolling back", (int)L->pid, w->addr);
		if (soswap__grow((void **)&p->w, &p->capw, p->nw + 1, sizeof(*p->w)) < 0)
			return soswap__fail(err, -ENOMEM, "out of memory");
		p->w[p->nw++] = *w;
		if (w->len != 8) {
			/* code: no thread may sit in the jump being replaced */
			if (soswap__plan_add_busy(p, w->addr, w->len) < 0)
				return soswap__fail(err, -ENOMEM, "out of memory");
			L->rep->st.entry_jumps++;
		} else {
			L->rep->st.got_slots++;
		}
	}
	return 0;
}

static int rollback(struct live *L, soswap_err *err)
{
	char journal[PATH_MAX];
	uint64_t start;
	struct soswap__journal j;
	struct soswap__pause_stats ps;
	int r;
	if ((r = soswap__proc_start_time(L->pid, &start, err)) < 0 ||
	    (r = soswap__journal_path(journal, sizeof(journal), L->pid, start, err)) < 0)
		return r;
	soswap_err e;
	if ((r = soswap__journal_load(&j, journal, &e)) < 0)
		return r == -ENOENT ? soswap__fail(err, r, "pid %d: no swap to roll back "
						   "(no journal %s)", (int)L->pid, journal)
				    : (err ? (*err = e, r) : r);
	struct soswap__jtxn *tx = NULL;
	for (size_t i = j.ntx; i-- > 0 && !tx;)
		if (j.tx[i].ready && !j.tx[i].rolled_back)
			tx = &j.tx[i];
	if (!tx) {
		soswap__journal_free(&j);
		return soswap__fail(err, -ENOENT, "pid %d: no swap left to roll back", (int)L->pid);
	}
	L->rep->st.rollback = 1;
	L->rep->old_name = soswap__strdup0(tx->new_desc);
	L->rep->new_path = soswap__strdup0(tx->old_desc);
	L->rep->journal = strdup(journal);
	r = rollback_plan(L, tx, err);
	unsigned id = tx->id;
	soswap__journal_free(&j);
	if (r < 0 || (L->flags & SOSWAP_LIVE_DRY_RUN)) {
		L->rep->st.dry_run = !!(L->flags & SOSWAP_LIVE_DRY_RUN);
		return r;
	}
	soswap__plan_sort(&L->plan);
	if (L->plan.nw) {
		if ((r = seize(L, err)) < 0 ||
		    (r = soswap__pause_write(&L->t, &L->plan, 1, L->timeout_ms, NULL, NULL,
					     &ps, err)) < 0 ||
		    (r = soswap__verify(&L->t, &L->plan, 1, err)) < 0)
			return r;
		L->rep->st.stop_ns = ps.stopped_ns - ps.first_ns;
		L->rep->st.patch_ns = ps.resume_ns - ps.stopped_ns;
		L->rep->st.pause_ns = ps.resumed_ns - ps.first_ns;
		L->rep->st.retries = ps.retries;
		L->rep->st.writes = ps.writes;
		L->rep->st.threads_stepped = ps.stepped;
	}
	return soswap__journal_mark(journal, "rollback", id, err);
}

int soswap_live_rollback(pid_t pid, const struct soswap_live_opts *opts,
			 soswap_live_report **report, soswap_err *err)
{
	struct live L;
	uint64_t t0 = soswap__now_ns();
	int r = start(&L, pid, opts, report, err);
	if (r == 0)
		r = rollback(&L, err);
	return finish(&L, r, t0, report);
}

/* ---- report accessors ----------------------------------------------------- */

const struct soswap_live_stats *soswap_live_report_stats(const soswap_live_report *r)
{
	return &r->st;
}

const char *soswap_live_report_old(const soswap_live_report *r) { return r->old_name; }
const char *soswap_live_report_new(const soswap_live_report *r) { return r->new_path; }
const char *soswap_live_report_journal(const soswap_live_report *r) { return r->journal; }
int soswap_live_report_abi(const soswap_live_report *r) { return r->abi; }
size_t soswap_live_report_module_count(const soswap_live_report *r) { return r->nmodules; }

const char *soswap_live_report_module(const soswap_live_report *r, size_t i,
				      unsigned *slots)
{
	if (i >= r->nmodules)
		return NULL;
	if (slots)
		*slots = r->slots[i];
	return r->modules[i];
}

size_t soswap_live_report_skipped_count(const soswap_live_report *r) { return r->nskipped; }

const char *soswap_live_report_skipped(const soswap_live_report *r, size_t i,
				       const char **reason)
{
	if (i >= r->nskipped)
		return NULL;
	if (reason)
		*reason = r->skipped[i].reason;
	return r->skipped[i].name;
}

size_t soswap_live_report_warning_count(const soswap_live_report *r) { return r->nwarnings; }

const char *soswap_live_report_warning(const soswap_live_report *r, size_t i)
{
	return i < r->nwarnings ? r->warnings[i] : NULL;
}

void soswap_live_report_free(soswap_live_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmodules; i++)
		free(r->modules[i]);
	for (size_t i = 0; i < r->nskipped; i++)
		free(r->skipped[i].name);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->modules);
	free(r->slots);
	free(r->skipped);
	free(r->warnings);
	free(r->old_name);
	free(r->new_path);
	free(r->journal);
	free(r);
}
