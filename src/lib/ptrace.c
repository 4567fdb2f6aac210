/* ptrace.c - attach to every thread of a target, stop and resume them.
 *
 * PTRACE_SEIZE semantics are used throughout: attaching does not stop a
 * thread, PTRACE_INTERRUPT produces a PTRACE_EVENT_STOP with SIGTRAP, a
 * job-control stop shows as PTRACE_EVENT_STOP with the stop signal, and any
 * other stop without an event is a signal-delivery-stop whose signal must be
 * passed on when the thread is resumed, never dropped.
 *
 * Waiting is done per thread (waitpid(tid, __WALL | WNOHANG)), never with
 * waitpid(-1), so that a caller's own children are never reaped here, and
 * with a bounded deadline, so that a thread stuck in an uninterruptible
 * sleep cannot hang soswap while the rest of the target is stopped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procscan.h"
#include "ptrace.h"

#define DEFAULT_STOP_TIMEOUT_MS 5000
#define MAX_THREADS 65536
#define MAX_SCAN_ROUNDS 1000

uint64_t soswap__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int timeout_ms(const struct soswap_tracee *t)
{
	return t->stop_timeout_ms > 0 ? t->stop_timeout_ms : DEFAULT_STOP_TIMEOUT_MS;
}

/* Scheduling state letter of a thread from /proc/PID/task/TID/stat, or 0
 * when the thread no longer exists.  The comm field may contain ')' and
 * spaces, so the state is the first field after the LAST ')'. */
char soswap__thread_state(pid_t pid, pid_t tid)
{
	struct soswap__pstat st;
	return soswap__proc_stat(pid, tid, &st) == 0 ? st.state : 0;
}

static int thread_dead(pid_t pid, pid_t tid)
{
	char s = soswap__thread_state(pid, tid);
	return s == 0 || s == 'Z' || s == 'X' || s == 'x';
}

pid_t soswap__live_tid(pid_t pid)
{
	if (!thread_dead(pid, pid))
		return pid;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	pid_t found = pid;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid > 0 && !thread_dead(pid, tid)) {
			found = tid;
			break;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* Every tid listed in /proc/PID/task (capped), in a malloc'd array. */
static int read_tids(pid_t pid, pid_t **out, size_t *n, soswap_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d) {
		int e = errno;
		if (e == ENOENT)
			return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
		return soswap__fail_errno(err, -e, "pid %d: cannot list threads", (int)pid);
	}
	pid_t *tids = NULL;
	size_t cnt = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0 || v > INT32_MAX)
			continue;
		if (cnt >= MAX_THREADS) {
			r = soswap__fail(err, -E2BIG, "pid %d: more than %d threads",
					 (int)pid, MAX_THREADS);
			break;
		}
		if (soswap__grow((void **)&tids, &cap, cnt + 1, sizeof(*tids)) < 0) {
			r = soswap__fail(err, -ENOMEM, "pid %d: out of memory", (int)pid);
			break;
		}
		tids[cnt++] = (pid_t)v;
	}
	closedir(d);
	if (r < 0) {
		free(tids);
		return r;
	}
	if (cnt == 0) {
		free(tids);
		return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
	}
	*out = tids;
	*n = cnt;
	return 0;
}

static struct soswap_thread *find_thread(struct soswap_tracee *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return &t->threads[i];
	return NULL;
}

static size_t live_count(const struct soswap_tracee *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nthreads; i++)
		n += !t->threads[i].gone;
	return n;
}

static void mark_gone(struct soswap_thread *th)
{
	th->gone = 1;
	th->stopped = 0;
	th->interrupted = 0;
	th->kind = SOSWAP_STOP_NONE;
	th->sig = 0;
}

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Restart a thread from the stop it is in, passing `sig` where the kernel
 * honours it (signal-delivery-stop).  A thread killed meanwhile (SIGKILL
 * wakes traced threads) gives ESRCH: it is reaped by the next wait. */
static void restart(struct soswap_thread *th, int req, int sig)
{
	ptrace(req, th->tid, 0, (void *)(uintptr_t)sig);
	th->stopped = 0;
	th->kind = SOSWAP_STOP_NONE;
	th->sig = 0;
}

/* Act on one wait status of thread th.  A stop is kept (th->stopped) only
 * when we asked for it (th->interrupted); any other stop is a stray one and
 * the thread is restarted at once, with its signal if it had one.  Any
 * ptrace-stop consumes a pending PTRACE_INTERRUPT trap (the kernel clears
 * JOBCTL_TRAP_STOP in every ptrace_stop), so `interrupted` is cleared. */
static void on_status(struct soswap_thread *th, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		mark_gone(th);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	int sig = WSTOPSIG(status);
	int event = (unsigned)status >> 16;
	int want = th->interrupted;
	th->interrupted = 0;

	if (event == PTRACE_EVENT_STOP) {
		enum soswap_stop_kind kind = is_stop_signal(sig) ?
			SOSWAP_STOP_GROUP : SOSWAP_STOP_EVENT;
		if (want) {
			th->stopped = 1;
			th->kind = kind;
			th->sig = 0;
			return;
		}
		restart(th, kind == SOSWAP_STOP_GROUP ? PTRACE_LISTEN : PTRACE_CONT, 0);
		return;
	}
	if (event) {
		/* No event options are set; continue whatever this is. */
		restart(th, PTRACE_CONT, 0);
		return;
	}
	/* Signal-delivery-stop: the signal is re-injected on resume. */
	if (want) {
		th->stopped = 1;
		th->kind = SOSWAP_STOP_SIGNAL;
		th->sig = sig;
		if (ptrace(PTRACE_GETSIGINFO, th->tid, 0, &th->siginfo) < 0)
			memset(&th->siginfo, 0, sizeof(th->siginfo));
		return;
	}
	restart(th, PTRACE_CONT, sig);
}

/* Collect every pending wait status of thread th without blocking.
 * Returns 1 if anything was collected. */
static int poll_thread(struct soswap_thread *th)
{
	int got = 0;
	while (!th->gone) {
		int status;
		pid_t r = waitpid(th->tid, &status, __WALL | WNOHANG);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* ECHILD: no longer our tracee (reaped or detached). */
			mark_gone(th);
			return 1;
		}
		got = 1;
		on_status(th, status);
		if (th->stopped)
			break;
	}
	return got;
}

int soswap__trace_pump_except(struct soswap_tracee *t, pid_t skip)
{
	for (size_t i = 0; i < t->nthreads; i++) {
		struct soswap_thread *th = &t->threads[i];
		if (!th->gone && !th->stopped && th->tid != skip)
			poll_thread(th);
	}
	return live_count(t) ? 0 : -ESRCH;
}

int soswap__trace_pump(struct soswap_tracee *t)
{
	return soswap__trace_pump_except(t, 0);
}

/* Back off between polls: yield first (stops arrive within microseconds
 * on an idle machine), then sleep with growing intervals up to 1 ms. */
void soswap__backoff(unsigned *spins)
{
	unsigned s = (*spins)++;
	if (s < 64) {
		sched_yield();
		return;
	}
	unsigned us = 10u << ((s - 64) / 16 < 7 ? (s - 64) / 16 : 7);
	struct timespec ts = { 0, (long)(us > 1000 ? 1000 : us) * 1000 };
	nanosleep(&ts, NULL);
}

/* Wait until every interrupted thread has stopped or gone. */
static int wait_interrupted(struct soswap_tracee *t, soswap_err *err)
{
	uint64_t start = soswap__now_ns();
	uint64_t deadline = start + (uint64_t)timeout_ms(t) * 1000000u;
	uint64_t next_check = start + 20000000u;
	unsigned spins = 0;

	for (;;) {
		size_t pending = 0;
		int progress = 0;
		pid_t late = 0;
		for (size_t i = 0; i < t->nthreads; i++) {
			struct soswap_thread *th = &t->threads[i];
			if (th->gone || th->stopped || !th->interrupted)
				continue;
			progress |= poll_thread(th);
			if (!th->gone && !th->stopped) {
				pending++;
				late = th->tid;
			}
		}
		if (!pending)
			return 0;
		if (progress) {
			spins = 0;
			continue;
		}
		uint64_t now = soswap__now_ns();
		if (now >= next_check) {
			/* A zombie thread group leader (it called pthread_exit)
			 * never stops and is reaped only with the whole group. */
			for (size_t i = 0; i < t->nthreads; i++) {
				struct soswap_thread *th = &t->threads[i];
				if (!th->gone && !th->stopped && th->interrupted &&
				    thread_dead(t->pid, th->tid))
					mark_gone(th);
			}
			next_check = now + 20000000u;
			continue;
		}
		if (now >= deadline) {
			/* Forget the request: a late stop is then treated as
			 * stray and the thread restarted by the next wait. */
			for (size_t i = 0; i < t->nthreads; i++)
				if (!t->threads[i].stopped)
					t->threads[i].interrupted = 0;
			return soswap__fail(err, -ETIMEDOUT,
					    "pid %d: thread %d did not stop within %d ms "
					    "(state %c)", (int)t->pid, (int)late,
					    timeout_ms(t),
					    soswap__thread_state(t->pid, late) ?: '?');
		}
		soswap__backoff(&spins);
	}
}

static int interrupt(struct soswap_tracee *t, struct soswap_thread *th)
{
	(void)t;
	if (ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) < 0) {
		/* ESRCH: exiting or gone; the wait below reaps it. */
		if (errno != ESRCH)
			return -errno;
	}
	th->interrupted = 1;
	return 0;
}

/* TracerPid of a thread, 0 when untraced, -1 when unknown. */
static int tracer_pid(pid_t pid, pid_t tid)
{
	char path[64], line[256];
	int tracer = -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	if (f)
		fclose(f);
	return tracer;
}

/* Forget threads that exited (a target that keeps creating threads would
 * otherwise grow the list without bound). */
static void compact(struct soswap_tracee *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->nthreads; i++)
		if (!t->threads[i].gone)
			t->threads[k++] = t->threads[i];
	t->nthreads = k;
}

/* Seize the threads of /proc/PID/task not yet known (interrupting them when
 * `stop` is set).  Returns the number of threads added. */
static int seize_new(struct soswap_tracee *t, int stop, soswap_err *err)
{
	pid_t *tids = NULL;
	size_t n = 0;
	int r = read_tids(t->pid, &tids, &n, err);
	if (r < 0)
		return r;
	int added = 0;
	for (size_t i = 0; i < n; i++) {
		if (find_thread(t, tids[i]))
			continue;
		if (soswap__grow((void **)&t->threads, &t->cap, t->nthreads + 1,
				 sizeof(*t->threads)) < 0) {
			r = soswap__fail(err, -ENOMEM, "pid %d: out of memory", (int)t->pid);
			break;
		}
		if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0) {
			int e = errno;
			/* Exited since listed, or a zombie leader. */
			if (e == ESRCH || (e == EPERM && thread_dead(t->pid, tids[i])))
				continue;
			int tracer = tracer_pid(t->pid, tids[i]);
			if (e == EPERM && tracer > 0)
				r = soswap__fail(err, -EPERM, "pid %d: thread %d is already "
						 "traced by pid %d", (int)t->pid, (int)tids[i],
						 tracer);
			else if (e == EPERM)
				r = soswap__fail(err, -EPERM,
						 "pid %d: cannot trace thread %d: operation "
						 "not permitted (ptrace restricted by "
						 "kernel.yama.ptrace_scope, a security module, "
						 "or missing privileges)", (int)t->pid, (int)tids[i]);
			else
				r = soswap__fail_errno(err, -e, "pid %d: cannot trace thread %d",
						       (int)t->pid, (int)tids[i]);
			break;
		}
		struct soswap_thread *th = &t->threads[t->nthreads++];
		memset(th, 0, sizeof(*th));
		th->tid = tids[i];
		added++;
		if (stop && (r = interrupt(t, th)) < 0) {
			r = soswap__fail_errno(err, r, "pid %d: cannot interrupt thread %d",
					       (int)t->pid, (int)th->tid);
			break;
		}
	}
	free(tids);
	return r < 0 ? r : added;
}

int soswap__trace_seize(struct soswap_tracee *t, pid_t pid, soswap_err *err)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->memfd = -1;
	if (pid <= 0)
		return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);

	int r = 0;
	for (int round = 0; round < MAX_SCAN_ROUNDS; round++) {
		r = seize_new(t, 0, err);
		if (r <= 0)
			break;
	}
	if (r == 0 && live_count(t) == 0)
		r = soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
	if (r > 0)
		r = soswap__fail(err, -EAGAIN, "pid %d: threads keep appearing", (int)pid);
	if (r < 0) {
		soswap__trace_detach(t);
		t->pid = pid;
		return r;
	}
	return 0;
}

/* A thread interrupted by us while blocked in one of these system calls
 * sees EINTR, which the kernel does not convert into a restart (signal(7),
 * "Interruption of system calls ... by stop signals").  They have no side
 * effect when they fail with EINTR, so soswap rewinds the thread onto its
 * `syscall` instruction, exactly as the kernel does for a restartable
 * call: the program never sees the spurious EINTR.  The cost is that a
 * timeout argument starts again from its full value. */
static int eintr_restartable(long nr)
{
	switch (nr) {
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
	case SYS_rt_sigtimedwait:
	case SYS_semop:
	case SYS_semtimedop:
	case SYS_recvfrom:
	case SYS_recvmsg:
		return 1;
	}
	return 0;
}

static void fixup_eintr(struct soswap_tracee *t, struct soswap_thread *th)
{
	struct user_regs_struct *r = &th->regs;
	th->in_syscall = (long)r->orig_rax >= 0;
	if (th->kind != SOSWAP_STOP_EVENT || !th->in_syscall ||
	    (long)r->rax != -EINTR || !eintr_restartable((long)r->orig_rax) ||
	    r->rip < 2)
		return;
	unsigned char insn[2];
	if (soswap__mem_read(t, r->rip - 2, insn, 2, NULL) < 0 ||
	    insn[0] != 0x0f || insn[1] != 0x05)
		return;
	struct user_regs_struct fixed = *r;
	fixed.rip -= 2;
	fixed.rax = fixed.orig_rax;
	if (ptrace(PTRACE_SETREGS, th->tid, 0, &fixed) == 0)
		*r = fixed;
}

static int read_stopped_regs(struct soswap_tracee *t, soswap_err *err)
{
	for (size_t i = 0; i < t->nthreads; i++) {
		struct soswap_thread *th = &t->threads[i];
		if (!th->stopped)
			continue;
		int r = soswap__trace_getregs(th, err);
		if (r == -ESRCH) {
			/* SIGKILLed while stopped: reaped by a later wait. */
			th->stopped = 0;
			continue;
		}
		if (r < 0)
			return r;
		fixup_eintr(t, th);
	}
	return 0;
}

int soswap__trace_stop_all(struct soswap_tracee *t, uint64_t *first_ns,
			   uint64_t *last_ns, soswap_err *err)
{
	int r = 0;
	/* Restart stray stops first, so that every signal-delivery-stop seen
	 * below follows our interrupt (and consumed it). */
	soswap__trace_pump(t);
	compact(t);
	uint64_t first = soswap__now_ns();
	for (int round = 0; round < MAX_SCAN_ROUNDS; round++) {
		for (size_t i = 0; i < t->nthreads; i++) {
			struct soswap_thread *th = &t->threads[i];
			if (th->gone || th->stopped || th->interrupted)
				continue;
			if ((r = interrupt(t, th)) < 0) {
				r = soswap__fail_errno(err, r, "pid %d: cannot interrupt thread %d",
						       (int)t->pid, (int)th->tid);
				goto fail;
			}
		}
		if ((r = wait_interrupted(t, err)) < 0)
			goto fail;
		/* Threads created before their creator stopped. */
		r = seize_new(t, 1, err);
		if (r == -ESRCH)
			break;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
	}
	uint64_t last = soswap__now_ns();
	if (live_count(t) == 0) {
		r = soswap__fail(err, -ESRCH, "pid %d: process exited", (int)t->pid);
		goto fail;
	}
	if ((r = read_stopped_regs(t, err)) < 0)
		goto fail;
	if (first_ns)
		*first_ns = first;
	if (last_ns)
		*last_ns = last;
	return 0;
fail:
	soswap__trace_resume_all(t, NULL);
	return r;
}

int soswap__trace_stop_one(struct soswap_tracee *t, struct soswap_thread *th,
			   soswap_err *err)
{
	if (th->gone)
		return soswap__fail(err, -ESRCH, "pid %d: thread %d exited",
				    (int)t->pid, (int)th->tid);
	if (th->stopped)
		return 0;
	poll_thread(th);
	int r = interrupt(t, th);
	if (r < 0)
		return soswap__fail_errno(err, r, "pid %d: cannot interrupt thread %d",
					  (int)t->pid, (int)th->tid);
	if ((r = wait_interrupted(t, err)) < 0)
		return r;
	if (!th->stopped)
		return soswap__fail(err, -ESRCH, "pid %d: thread %d exited",
				    (int)t->pid, (int)th->tid);
	r = soswap__trace_getregs(th, err);
	if (r < 0) {
		soswap__trace_resume_one(t, th, NULL);
		return r;
	}
	fixup_eintr(t, th);
	return 0;
}

int soswap__trace_resume_one(struct soswap_tracee *t, struct soswap_thread *th,
			     soswap_err *err)
{
	(void)t;
	(void)err;
	if (!th->stopped || th->gone)
		return 0;
	switch (th->kind) {
	case SOSWAP_STOP_GROUP:
		/* Stay in the job-control stop the target is in. */
		restart(th, PTRACE_LISTEN, 0);
		break;
	case SOSWAP_STOP_SIGNAL:
		restart(th, PTRACE_CONT, th->sig);
		break;
	default:
		restart(th, PTRACE_CONT, 0);
		break;
	}
	return 0;
}

int soswap__trace_resume_all(struct soswap_tracee *t, soswap_err *err)
{
	for (size_t i = 0; i < t->nthreads; i++)
		soswap__trace_resume_one(t, &t->threads[i], err);
	return live_count(t) ? 0 : soswap__fail(err, -ESRCH, "pid %d: process exited",
						  (int)t->pid);
}

void soswap__trace_detach(struct soswap_tracee *t)
{
	if (!t)
		return;
	if (t->threads) {
		/* PTRACE_DETACH needs a stopped thread: stop the running ones
		 * (bounded wait), then detach each with its pending signal. */
		soswap__trace_pump(t);
		for (size_t i = 0; i < t->nthreads; i++) {
			struct soswap_thread *th = &t->threads[i];
			if (!th->gone && !th->stopped && !th->interrupted)
				interrupt(t, th);
		}
		wait_interrupted(t, NULL);
		for (size_t i = 0; i < t->nthreads; i++) {
			struct soswap_thread *th = &t->threads[i];
			if (!th->stopped)
				continue;
			if (th->kind == SOSWAP_STOP_EVENT &&
			    ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs) == 0)
				fixup_eintr(t, th);
			ptrace(PTRACE_DETACH, th->tid, 0,
			       (void *)(uintptr_t)(th->kind == SOSWAP_STOP_SIGNAL ? th->sig : 0));
			th->stopped = 0;
		}
	}
	soswap__hijack_free(t);
	if (t->memfd >= 0)
		close(t->memfd);
	free(t->threads);
	memset(t, 0, sizeof(*t));
	t->memfd = -1;
}

int soswap__trace_getregs(struct soswap_thread *th, soswap_err *err)
{
	if (ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs) < 0)
		return soswap__fail_errno(err, -errno, "thread %d: cannot read registers",
					  (int)th->tid);
	th->in_syscall = (long)th->regs.orig_rax >= 0;
	return 0;
}

int soswap__trace_setregs(struct soswap_thread *th, soswap_err *err)
{
	if (ptrace(PTRACE_SETREGS, th->tid, 0, &th->regs) < 0)
		return soswap__fail_errno(err, -errno, "thread %d: cannot write registers",
					  (int)th->tid);
	return 0;
}
