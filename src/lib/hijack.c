/* hijack.c - choose a thread that is safe to borrow for a remote call.
 *
 * A thread interrupted while it holds a lock of the allocator, of the
 * loader or of another libc facility, and then made to call dlopen (which
 * allocates, takes the loader lock and runs constructors), waits forever
 * for its own lock.  So before a thread is borrowed, its stack is unwound
 * with libdwfl and every frame's function is checked: none may be in the
 * allocator, in the loader (any code of ld.so, the dl* entry points of
 * libc) or in a lock routine.  A thread blocked in a system call counts as
 * inside whatever its callers are.  A frame of libc whose function cannot
 * be named (no symbol table: libc6-dbg missing) is refused too, because
 * internal functions such as _int_malloc are only named there.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dw.h"
#include "ptrace.h"

#define MAX_FRAMES 256
#define RETRY_PAUSE_US 2000

/* Separate debug files are found by build-id only (libc6-dbg installs
 * them so): dwfl_standard_find_debuginfo may ask a debuginfod server over
 * the network, which must never happen while a target thread is stopped. */
static Dwfl_Callbacks proc_callbacks;	/* filled once libdw is loaded */

/* Load every module's symbol table and call frame information now, before
 * any thread is stopped, rather than during the first unwind. */
static int warm_module(Dwfl_Module *mod, void **user, const char *name,
		       Dwarf_Addr start, void *arg)
{
	(void)user;
	(void)name;
	(void)start;
	(void)arg;
	Dwarf_Addr bias;
	dwfl_module_getsymtab(mod);
	dwfl_module_eh_cfi(mod, &bias);
	return DWARF_CB_OK;
}

static int report_modules(Dwfl *dwfl, pid_t pid)
{
	int r = dwfl_linux_proc_report(dwfl, pid);
	if (dwfl_report_end(dwfl, NULL, NULL) != 0 && r == 0)
		r = -1;
	if (r == 0)
		dwfl_getmodules(dwfl, warm_module, NULL, 0);
	return r;
}

int soswap__hijack_prepare(struct soswap_tracee *t, soswap_err *err)
{
	Dwfl *dwfl = t->dwfl;
	pid_t pid = soswap__live_tid(t->pid);
	if (dwfl && !t->dwfl_stale)
		return 0;
	int r = soswap__libdw(err);
	if (r < 0)
		return r;
	proc_callbacks.find_elf = dwfl_linux_proc_find_elf;
	proc_callbacks.find_debuginfo = dwfl_build_id_find_debuginfo;
	if (dwfl) {
		dwfl_report_begin_add(dwfl);
		if (report_modules(dwfl, pid) != 0)
			return soswap__fail(err, -ESRCH, "pid %d: cannot re-read modules: %s",
					    (int)t->pid, dwfl_errmsg(-1));
		t->dwfl_stale = 0;
		return 0;
	}
	dwfl = dwfl_begin(&proc_callbacks);
	if (!dwfl)
		return soswap__fail(err, -ENOMEM, "pid %d: libdwfl: %s", (int)t->pid,
				    dwfl_errmsg(-1));
	r = report_modules(dwfl, pid);
	if (r != 0) {
		r = soswap__fail(err, r > 0 ? -r : -ESRCH, "pid %d: cannot read modules: %s",
				 (int)t->pid, r > 0 ? strerror(r) : dwfl_errmsg(-1));
		dwfl_end(dwfl);
		return r;
	}
	/* The threads are ptrace-attached by soswap: libdwfl must neither
	 * attach nor detach them, only read registers of stopped ones. */
	r = dwfl_linux_proc_attach(dwfl, pid, true);
	if (r != 0) {
		r = soswap__fail(err, r > 0 ? -r : -ESRCH, "pid %d: libdwfl attach: %s",
				 (int)t->pid, r > 0 ? strerror(r) : dwfl_errmsg(-1));
		dwfl_end(dwfl);
		return r;
	}
	t->dwfl = dwfl;
	t->dwfl_stale = 0;
	return 0;
}

void soswap__hijack_free(struct soswap_tracee *t)
{
	if (t && t->dwfl) {
		dwfl_end(t->dwfl);
		t->dwfl = NULL;
	}
}

/* The allocator's entry points, refused in any module: a program may
 * interpose another allocator (jemalloc, tcmalloc) with its own locks. */
static const char *const alloc_names[] = {
	"malloc", "free", "calloc", "realloc", "reallocarray", "memalign",
	"posix_memalign", "aligned_alloc", "valloc", "pvalloc", "cfree",
	"malloc_usable_size", "malloc_trim",
};

/* Function-name prefixes refused inside libc (and libpthread, libdl), with
 * the reason.  Only libc's own names are matched by prefix, so that a
 * program's malloc_loop() is not mistaken for the allocator. */
static const struct {
	const char *prefix;
	const char *why;
} deny[] = {
	{ "malloc", "the allocator" }, { "free", "the allocator" },
	{ "calloc", "the allocator" }, { "realloc", "the allocator" },
	{ "memalign", "the allocator" }, { "posix_memalign", "the allocator" },
	{ "aligned_alloc", "the allocator" }, { "valloc", "the allocator" },
	{ "pvalloc", "the allocator" }, { "_int_", "the allocator" },
	{ "__libc_malloc", "the allocator" }, { "__libc_free", "the allocator" },
	{ "__libc_calloc", "the allocator" }, { "__libc_realloc", "the allocator" },
	{ "__libc_memalign", "the allocator" }, { "__libc_valloc", "the allocator" },
	{ "__libc_pvalloc", "the allocator" }, { "__malloc", "the allocator" },
	{ "_mid_memalign", "the allocator" }, { "sysmalloc", "the allocator" },
	{ "systrim", "the allocator" }, { "tcache", "the allocator" },
	{ "arena_", "the allocator" }, { "__GI___libc_malloc", "the allocator" },
	{ "__GI___libc_free", "the allocator" }, { "__GI___libc_realloc", "the allocator" },
	{ "_dl_", "the loader" }, { "__dl", "the loader" }, { "dl_", "the loader" },
	{ "dlopen", "the loader" }, { "dlclose", "the loader" }, { "dlsym", "the loader" },
	{ "dlvsym", "the loader" }, { "dladdr", "the loader" }, { "dlerror", "the loader" },
	{ "dlinfo", "the loader" }, { "dlmopen", "the loader" },
	{ "__libc_dl", "the loader" }, { "_dlerror", "the loader" },
	{ "__lll_", "a lock routine" }, { "lll_", "a lock routine" },
	{ "pthread_mutex_lock", "a lock routine" },
	{ "pthread_mutex_timedlock", "a lock routine" },
	{ "pthread_mutex_clocklock", "a lock routine" },
	{ "__pthread_mutex_", "a lock routine" }, { "___pthread_mutex_", "a lock routine" },
	{ "pthread_cond_", "a lock routine" }, { "__pthread_cond_", "a lock routine" },
	{ "___pthread_cond_", "a lock routine" }, { "__condvar_", "a lock routine" },
	{ "pthread_rwlock_", "a lock routine" }, { "__pthread_rwlock_", "a lock routine" },
	{ "___pthread_rwlock_", "a lock routine" }, { "__futex_abstimed_wait", "a lock routine" },
	{ "__libc_lock", "a lock routine" }, { "__libc_rwlock", "a lock routine" },
	{ "_IO_lock", "a lock routine" }, { "_IO_flockfile", "a lock routine" },
	{ "_IO_funlockfile", "a lock routine" }, { "flockfile", "a lock routine" },
	{ "_L_lock", "a lock routine" }, { "_L_unlock", "a lock routine" },
	{ "__pthread_once", "a lock routine" }, { "pthread_once", "a lock routine" },
	{ "__libc_fork", "fork" }, { "_Fork", "fork" }, { "__run_fork_handlers", "fork" },
	{ "__run_exit_handlers", "exit" }, { "__cxa_atexit", "exit" },
	{ "__cxa_finalize", "exit" }, { "__new_exitfn", "exit" },
	{ "__tz", "a lock routine" }, { "tzset", "a lock routine" },
};

static int is_lib(const char *mod, const char *stem)
{
	const char *b = strrchr(mod, '/');
	b = b ? b + 1 : mod;
	return !strncmp(b, stem, strlen(stem));
}

static int is_loader(const char *mod)
{
	return is_lib(mod, "ld-linux") || is_lib(mod, "ld-musl") || is_lib(mod, "ld.so") ||
	       is_lib(mod, "ld64.so");
}

static int is_libc(const char *mod)
{
	return is_lib(mod, "libc.so") || is_lib(mod, "libc-") || is_lib(mod, "libpthread") ||
	       is_lib(mod, "libdl");
}

/* Functions a thread's unwind legitimately ends in. */
static int is_outermost(const char *sym)
{
	return sym && (!strcmp(sym, "start_thread") || !strcmp(sym, "__clone3") ||
		       !strcmp(sym, "clone3") || !strcmp(sym, "__clone") ||
		       !strcmp(sym, "clone") || !strcmp(sym, "_start") ||
		       !strcmp(sym, "__libc_start_call_main") ||
		       !strcmp(sym, "__libc_start_main") ||
		       !strncmp(sym, "__libc_start_main", 17));
}

struct walk {
	Dwfl *dwfl;
	int depth;
	int unsafe;
	int stale;		/* a PC outside every reported module */
	int complete;		/* last frame was an outermost function */
	char why[160];
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* A return address points after the call: look up the call. */
	Dwarf_Addr at = activation ? pc : pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(w->dwfl, at);
	const char *mname = mod ? dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL,
						   NULL, NULL) : NULL;
	const char *sym = mod ? dwfl_module_addrname(mod, at) : NULL;
	int depth = w->depth++;

	w->complete = is_outermost(sym);
	if (!mod || !mname) {
		w->stale = 1;
		w->unsafe = 1;
		snprintf(w->why, sizeof(w->why), "frame #%d at 0x%llx is in no known module",
			 depth, (unsigned long long)pc);
		return DWARF_CB_ABORT;
	}
	if (is_loader(mname)) {
		w->unsafe = 1;
		snprintf(w->why, sizeof(w->why), "frame #%d in the loader (%s)", depth,
			 sym ? sym : "?");
		return DWARF_CB_ABORT;
	}
	for (size_t i = 0; sym && i < ARRAY_SIZE(alloc_names); i++) {
		if (!strcmp(sym, alloc_names[i])) {
			w->unsafe = 1;
			snprintf(w->why, sizeof(w->why), "frame #%d in the allocator (%s)",
				 depth, sym);
			return DWARF_CB_ABORT;
		}
	}
	if (sym && is_libc(mname)) {
		for (size_t i = 0; i < ARRAY_SIZE(deny); i++) {
			if (!strncmp(sym, deny[i].prefix, strlen(deny[i].prefix))) {
				w->unsafe = 1;
				snprintf(w->why, sizeof(w->why), "frame #%d in %s (%s)", depth,
					 deny[i].why, sym);
				return DWARF_CB_ABORT;
			}
		}
	} else if (is_libc(mname)) {
		w->unsafe = 1;
		snprintf(w->why, sizeof(w->why), "frame #%d at an unnamed function of %s "
			 "(install libc debug symbols)", depth, mname);
		return DWARF_CB_ABORT;
	}
	if (w->depth >= MAX_FRAMES) {
		w->unsafe = 1;
		snprintf(w->why, sizeof(w->why), "more than %d frames", MAX_FRAMES);
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/* Is the stopped thread th safe to borrow?  1 yes, 0 no (reason in why),
 * negative errno when it cannot be unwound at all. */
static int check_thread(struct soswap_tracee *t, struct soswap_thread *th, char *why,
			size_t why_size)
{
	struct walk w = { .dwfl = t->dwfl };
	int r = dwfl_getthread_frames(t->dwfl, th->tid, frame_cb, &w);
	if (w.stale)
		t->dwfl_stale = 1;
	if (w.unsafe) {
		snprintf(why, why_size, "thread %d: %s", (int)th->tid, w.why);
		return 0;
	}
	/* An error at the end of a stack is how some unwinds end; an error
	 * before reaching the thread's entry function means frames we could
	 * not see, which may hold a lock. */
	if (r != 0 && !w.complete) {
		snprintf(why, why_size, "thread %d: stack not fully unwound after %d "
			 "frames (%s)", (int)th->tid, w.depth, dwfl_errmsg(-1));
		return 0;
	}
	return 1;
}

int soswap__hijack_pick_ex(struct soswap_tracee *t, size_t *idx, int *was_stopped,
			   int timeout_ms, soswap_err *err)
{
	uint64_t deadline = soswap__now_ns() +
		(uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000u;
	char why[256] = "no thread";
	int r = soswap__hijack_prepare(t, err);
	if (r < 0)
		return r;
	size_t start = 0;
	for (;;) {
		if (soswap__trace_pump(t) < 0)
			return soswap__fail(err, -ESRCH, "pid %d: process exited", (int)t->pid);
		for (size_t k = 0; k < t->nthreads; k++) {
			size_t i = (start + k) % t->nthreads;
			struct soswap_thread *th = &t->threads[i];
			if (th->gone)
				continue;
			int stopped_before = th->stopped;
			if (!stopped_before && soswap__trace_stop_one(t, th, NULL) < 0)
				continue;
			if (t->dwfl_stale && (r = soswap__hijack_prepare(t, err)) < 0) {
				if (!stopped_before)
					soswap__trace_resume_one(t, th, NULL);
				return r;
			}
			if (check_thread(t, th, why, sizeof(why)) == 1) {
				*idx = i;
				*was_stopped = stopped_before;
				return 0;
			}
			if (!stopped_before)
				soswap__trace_resume_one(t, th, NULL);
			if (soswap__now_ns() >= deadline)
				goto timeout;
		}
		start++;
		if (soswap__now_ns() >= deadline)
			goto timeout;
		/* Let the threads run on a little before looking again. */
		struct timespec ts = { 0, RETRY_PAUSE_US * 1000 };
		nanosleep(&ts, NULL);
	}
timeout:
	return soswap__fail(err, -ETIMEDOUT, "pid %d: no thread safe to hijack within "
			    "%d ms (last: %s)", (int)t->pid, timeout_ms, why);
}

int soswap__hijack_pick(struct soswap_tracee *t, struct soswap_thread **out,
			int timeout_ms, soswap_err *err)
{
	size_t idx;
	int was_stopped;
	int r = soswap__hijack_pick_ex(t, &idx, &was_stopped, timeout_ms, err);
	if (r == 0)
		*out = &t->threads[idx];
	return r;
}
