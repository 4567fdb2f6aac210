/* pause.c - the pause of a live swap: stop every thread, make sure none
 * is inside (or will return into) the bytes being overwritten, write every
 * planned byte in as few system calls as possible, resume.
 *
 * Everything that can be prepared is prepared before the first thread is
 * stopped: the merged write spans, their buffer, the stack extents.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live-internal.h"
#include "ptrace.h"

#define MAX_SPAN (1u << 20)
#define MAX_STACK_SCAN (8u << 20)	/* per thread */
#define MAX_STACK_TOTAL (32u << 20)	/* all threads */

struct span {
	uint64_t lo, hi;
	size_t first, last;	/* writes [first, last] */
	size_t off;		/* of its bytes in the span buffer */
};

/* Code is stable while soswap plans (nothing else writes it): a span of
 * code may cover gaps, read before the pause.  Data may change until the
 * threads stop (lazy binding, variables next to the GOT): data writes are
 * merged only when exactly adjacent, so no byte outside them is written. */
static int is_code(const struct soswap__write *w)
{
	return w->kind == SOSWAP__W_JUMP || w->kind == SOSWAP__W_RESTORE ||
	       (w->kind == 0 && w->len != 8);	/* from a journal */
}

/* Writes are sorted by address.  Code neighbours merge into one span while
 * the pages stay contiguous (each page holds a write or touches one that
 * does, so the span never covers a hole between mappings). */
static int make_spans(const struct soswap__write *w, size_t nw, struct span **out,
		      size_t *nout, size_t *total)
{
	size_t cap = 0, n = 0;
	*out = NULL;
	*total = 0;
	for (size_t i = 0; i < nw; i++) {
		uint64_t lo = w[i].addr, hi = w[i].addr + w[i].len;
		struct span *prev = n ? &(*out)[n - 1] : NULL;
		int merge = prev && is_code(&w[i]) == is_code(&w[prev->last]) &&
			    lo >= prev->hi && hi - prev->lo <= MAX_SPAN &&
			    (is_code(&w[i]) ? (lo >> 12) <= ((prev->hi - 1) >> 12) + 1 :
					      lo == prev->hi);
		if (merge) {
			prev->hi = hi;
			prev->last = i;
			continue;
		}
		if (prev)
			*total += prev->hi - prev->lo;
		if (soswap__grow((void **)out, &cap, n + 1, sizeof(**out)) < 0)
			return -ENOMEM;
		(*out)[n++] = (struct span){ lo, hi, i, i, *total };
	}
	if (n)
		*total += (*out)[n - 1].hi - (*out)[n - 1].lo;
	*nout = n;
	return 0;
}

/* Before the pause: every span's final bytes (code gaps read now). */
static int fill_spans(struct soswap_tracee *t, const struct soswap__write *w,
		      const struct span *sp, size_t nsp, unsigned char *buf,
		      int back, soswap_err *err)
{
	for (size_t s = 0; s < nsp; s++) {
		size_t len = (size_t)(sp[s].hi - sp[s].lo), covered = 0;
		for (size_t i = sp[s].first; i <= sp[s].last; i++)
			covered += w[i].len;
		int r = covered == len ? 0 :
			soswap__mem_read(t, sp[s].lo, buf + sp[s].off, len, err);
		if (r < 0)
			return r;
		for (size_t i = sp[s].first; i <= sp[s].last; i++)
			memcpy(buf + sp[s].off + (w[i].addr - sp[s].lo),
			       back ? w[i].old : w[i].new, w[i].len);
	}
	return 0;
}

/* Fault injection for the tests: SOSWAP_FAULT=kill-mid-write makes soswap
 * die by SIGKILL after the first span is written, as a crash would. */
static int fault_kill_mid_write(void)
{
	const char *f = getenv("SOSWAP_FAULT");
	return f && !strcmp(f, "kill-mid-write");
}

/* In the pause: one write per span, nothing read. */
static int write_spans(struct soswap_tracee *t, const struct span *sp, size_t nsp,
		       const unsigned char *buf, soswap_err *err)
{
	int die = fault_kill_mid_write();
	for (size_t s = 0; s < nsp; s++) {
		int r = soswap__mem_write(t, sp[s].lo, buf + sp[s].off,
					  (size_t)(sp[s].hi - sp[s].lo), err);
		if (r < 0)
			return r;
		if (die)
			raise(SIGKILL);
	}
	return 0;
}

struct stack_ext {
	uint64_t lo, hi;
};

/* Room to read every thread's live stack at once. */
struct stack_buf {
	void *buf;
	uint64_t size;
	struct iovec *local, *remote;
	size_t *owner;
	size_t cap;
	unsigned stepped;	/* threads single-stepped out of busy bytes */
};

static int stack_buf_init(struct stack_buf *sb, size_t nthreads)
{
	sb->cap = nthreads < IOV_MAX ? nthreads : IOV_MAX;
	sb->size = MAX_STACK_TOTAL;
	sb->buf = malloc(sb->size);
	sb->local = calloc(sb->cap + 1, sizeof(*sb->local));
	sb->remote = calloc(sb->cap + 1, sizeof(*sb->remote));
	sb->owner = calloc(sb->cap + 1, sizeof(*sb->owner));
	return sb->buf && sb->local && sb->remote && sb->owner ? 0 : -ENOMEM;
}

static void stack_buf_free(struct stack_buf *sb)
{
	free(sb->buf);
	free(sb->local);
	free(sb->remote);
	free(sb->owner);
}

/* The live part of a stopped thread's stack: [sp, end of its mapping). */
static int live_stack(const struct soswap_thread *th, const struct stack_ext *st,
		      size_t nst, uint64_t *lo, uint64_t *len)
{
	uint64_t sp = th->regs.rsp & ~7ull;
	for (size_t i = 0; i < nst; i++) {
		if (sp < st[i].lo || sp >= st[i].hi)
			continue;
		*lo = sp;
		*len = st[i].hi - sp;
		if (*len > MAX_STACK_SCAN)
			*len = MAX_STACK_SCAN;
		return 1;
	}
	return 0;
}

/* A thread stopped with its PC inside busy bytes (a tiny hot function's
 * body lies there) is single-stepped out of them, at most MAX_STEPS
 * instructions, instead of waiting for a lucky stop: with many threads in
 * such a function, a moment when none is inside may never come.  Only a
 * thread in an interrupt stop (not one holding a signal) is stepped; the
 * SIGTRAP of the step is then discarded on resume.  0 when it left. */
#define MAX_STEPS 16
static int step_out(struct soswap_thread *th, const struct soswap__plan *p)
{
	if (th->kind != SOSWAP_STOP_EVENT || th->in_syscall)
		return -1;
	for (int i = 0; i < MAX_STEPS; i++) {
		int status;
		if (ptrace(PTRACE_SINGLESTEP, th->tid, 0, 0) < 0)
			return -1;
		if (waitpid(th->tid, &status, __WALL) != th->tid)
			return -1;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			th->gone = 1;
			th->stopped = 0;
			return 0;
		}
		/* now in a signal-delivery-stop: resume with no signal, unless
		 * another signal than the step's trap arrived */
		th->kind = SOSWAP_STOP_SIGNAL;
		th->sig = WIFSTOPPED(status) && WSTOPSIG(status) != SIGTRAP ?
			  WSTOPSIG(status) : 0;
		if (th->sig || ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs) < 0)
			return -1;
		if (!soswap__plan_busy(p, th->regs.rip))
			return 0;
	}
	return -1;
}

static int words_busy(const struct soswap__plan *p, const uint64_t *w, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++)
		if (soswap__plan_busy(p, w[k]))
			return 1;
	return 0;
}

/* Index of a stopped thread that is inside, or may return into, busy
 * bytes, or -1.  The stacks are scanned conservatively: any word that
 * points into the busy bytes counts (a false alarm only costs a retry).
 * All live stacks are read with one process_vm_readv where possible. */
static ssize_t find_busy_thread(struct soswap_tracee *t, const struct soswap__plan *p,
				const struct stack_ext *st, size_t nst,
				struct stack_buf *sb)
{
	size_t n = 0;
	uint64_t used = 0;
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct soswap_thread *th = &t->threads[i];
		uint64_t lo, len;
		if (th->gone)
			continue;
		if (soswap__plan_busy(p, th->regs.rip)) {
			if (step_out(&t->threads[i], p) < 0)
				return (ssize_t)i;
			sb->stepped++;
		}
		if (th->gone)
			continue;
		if (n >= sb->cap || !live_stack(th, st, nst, &lo, &len) ||
		    used + len > sb->size)
			continue;
		sb->remote[n] = (struct iovec){ (void *)(uintptr_t)lo, len };
		sb->local[n] = (struct iovec){ (char *)sb->buf + used, len };
		sb->owner[n++] = i;
		used += len;
	}
	ssize_t got = n ? process_vm_readv(t->pid, sb->local, n, sb->remote, n, 0) : 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t *w = sb->local[k].iov_base;
		uint64_t len = sb->local[k].iov_len;
		soswap_err e;
		if (got < (ssize_t)((char *)w - (char *)sb->buf + len) &&
		    soswap__mem_read(t, (uint64_t)(uintptr_t)sb->remote[k].iov_base, w,
				     len, &e) < 0)
			continue;	/* thread exiting: its stack is gone */
		if (words_busy(p, w, len / 8))
			return (ssize_t)sb->owner[k];
	}
	return -1;
}

static int stack_extents(pid_t pid, struct stack_ext **out, size_t *n,
			 soswap_err *err)
{
	soswap_maps *maps;
	int r = soswap_maps_read(&maps, pid, err);
	if (r < 0)
		return r;
	size_t cnt = soswap_maps_count(maps);
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	*n = 0;
	if (!*out) {
		soswap_maps_free(maps);
		return -ENOMEM;
	}
	/* Only writable anonymous (or [stack]) mappings can hold a stack. */
	for (size_t i = 0; i < cnt; i++) {
		const struct soswap_mapping *m = soswap_maps_get(maps, i);
		if (m->perms[1] != 'w' || (m->path && m->path[0] == '/'))
			continue;
		(*out)[(*n)++] = (struct stack_ext){ m->start, m->end };
	}
	soswap_maps_free(maps);
	return 0;
}

/* While threads are stopped, soswap must not be preempted by the ones
 * already resumed (on a machine with fewer cores than busy threads, the
 * last resumes would wait a time slice each): from the last stop to the
 * last resume, run at real-time priority when allowed. */
struct prio {
	int policy, ok;
	struct sched_param sp;
};

static void prio_raise(struct prio *p)
{
	struct sched_param rt = { .sched_priority = 1 };
	p->policy = sched_getscheduler(0);
	p->ok = p->policy >= 0 && sched_getparam(0, &p->sp) == 0 &&
		sched_setscheduler(0, SCHED_FIFO, &rt) == 0;
}

static void prio_restore(struct prio *p)
{
	if (p->ok)
		sched_setscheduler(0, p->policy, &p->sp);
	p->ok = 0;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000 };
	nanosleep(&ts, NULL);
}

int soswap__pause_write(struct soswap_tracee *t, const struct soswap__plan *p,
			int back, int timeout_ms,
			int (*in_pause)(struct soswap_tracee *, void *, soswap_err *),
			void *arg, struct soswap__pause_stats *ps, soswap_err *err)
{
	struct span *sp = NULL;
	struct stack_ext *st = NULL;
	size_t nsp = 0, nst = 0, total = 0;
	unsigned char *buf = NULL;
	struct stack_buf sb = { 0 };
	struct prio prio = { 0 };
	int r = make_spans(p->w, p->nw, &sp, &nsp, &total);
	memset(ps, 0, sizeof(*ps));
	if (r < 0 || !(buf = malloc(total ? total : 1))) {
		r = soswap__fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = fill_spans(t, p->w, sp, nsp, buf, back, err)) < 0)
		goto out;
	if (p->nbusy) {
		if ((r = stack_extents(t->pid, &st, &nst, err)) < 0)
			goto out;
		/* threads may still appear: room for twice as many */
		if (stack_buf_init(&sb, 2 * t->nthreads + 16) < 0) {
			r = soswap__fail(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	uint64_t deadline = soswap__now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		/* Stopping polls (yield, short sleeps): at real-time priority
		 * that would starve the very threads it waits for. */
		prio_restore(&prio);
		if ((r = soswap__trace_stop_all(t, &ps->first_ns, &ps->stopped_ns, err)) < 0)
			goto out;
		prio_raise(&prio);
		ssize_t busy = p->nbusy ? find_busy_thread(t, p, st, nst, &sb) : -1;
		if (busy < 0)
			break;
		pid_t tid = t->threads[busy].tid;
		if ((r = soswap__trace_resume_all(t, err)) < 0)
			goto out;
		ps->retries++;
		if (soswap__now_ns() > deadline) {
			r = soswap__fail(err, -ETIMEDOUT, "pid %d: thread %d stayed inside the "
					 "bytes to overwrite for %d ms; retry, or use "
					 "--no-entry-jumps", (int)t->pid, (int)tid, timeout_ms);
			goto out;
		}
		sleep_us(200 + 100 * (ps->retries % 20));
	}
	if (in_pause && (r = in_pause(t, arg, err)) < 0) {
		soswap_err e2;
		soswap__trace_resume_all(t, &e2);
		goto out;
	}
	ps->stepped = sb.stepped;
	ps->wrote = 1;
	r = write_spans(t, sp, nsp, buf, err);
	ps->writes = (unsigned)nsp;
	ps->resume_ns = soswap__now_ns();
	soswap_err e2;
	int r2 = soswap__trace_resume_all(t, r < 0 ? &e2 : err);
	ps->resumed_ns = soswap__now_ns();
	prio_restore(&prio);
	if (r == 0)
		r = r2;
out:
	prio_restore(&prio);
	free(sp);
	free(st);
	free(buf);
	stack_buf_free(&sb);
	return r;
}

int soswap__verify(struct soswap_tracee *t, const struct soswap__plan *p, int back,
		   soswap_err *err)
{
	unsigned char cur[16];
	for (size_t i = 0; i < p->nw; i++) {
		const struct soswap__write *w = &p->w[i];
		int r = soswap__mem_read(t, w->addr, cur, w->len, err);
		if (r < 0)
			return r;
		if (memcmp(cur, back ? w->old : w->new, w->len))
			return soswap__fail(err, -EIO, "pid %d: 0x%" PRIx64 " does not hold the "
					    "bytes written (changed meanwhile?)", (int)t->pid,
					    w->addr);
	}
	return 0;
}
