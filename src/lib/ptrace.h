/* ptrace.h - internal API to attach to, stop and drive a target's threads,
 * read and write its memory, and call functions inside it.
 *
 * Implemented in ptrace.c (threads), mem.c (memory), remote.c (remote
 * calls, remote dlopen, symbol lookup in the target) and hijack.c (choosing
 * a thread that is safe to hijack, with libdwfl unwinding).  Used by the
 * live swap (live.c, patch.c).  x86-64 only for now.
 */
#ifndef SOSWAP_PTRACE_H
#define SOSWAP_PTRACE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "internal.h"

/* How a stopped thread is stopped (decides how it is resumed). */
enum soswap_stop_kind {
	SOSWAP_STOP_NONE = 0,
	SOSWAP_STOP_EVENT,	/* PTRACE_EVENT_STOP from our PTRACE_INTERRUPT */
	SOSWAP_STOP_SIGNAL,	/* signal-delivery-stop: `sig` is re-injected */
	SOSWAP_STOP_GROUP,	/* job-control group-stop: resumed with LISTEN */
};

struct soswap_thread {
	pid_t tid;
	int stopped;		/* in a ptrace stop we caused */
	int gone;		/* exited while traced */
	int in_syscall;		/* stopped inside an interrupted system call */
	struct user_regs_struct regs;	/* valid while stopped */
	/* Internal bookkeeping (ptrace.c / remote.c). */
	enum soswap_stop_kind kind;
	int sig;		/* signal delivered on resume (0: none) */
	siginfo_t siginfo;	/* its siginfo, restored before re-injection */
	int interrupted;	/* PTRACE_INTERRUPT sent, stop not consumed */
};

/* The thread list is an array: soswap__trace_seize and
 * soswap__trace_stop_all add threads and drop those that exited, which
 * invalidates pointers and indexes into it (identify threads by tid across
 * those calls).  The other calls never change the list.
 *
 * Threads created while the process is traced are NOT auto-attached
 * (no PTRACE_O_TRACECLONE: an auto-attached thread and its parent would
 * sit in ptrace stops until soswap next waits for them, stalling a server
 * that spawns threads while soswap prepares a swap).  Instead
 * soswap__trace_stop_all re-reads /proc/PID/task once everything known is
 * stopped and seizes and stops newcomers until no new thread appears:
 * only running threads create threads, so the set is then complete. */
struct soswap_tracee {
	pid_t pid;
	struct soswap_thread *threads;
	size_t nthreads, cap;
	int memfd;		/* /proc/PID/mem opened O_RDWR, or -1 */
	int use_poke;		/* /proc/PID/mem writes refused: POKEDATA */
	int stop_timeout_ms;	/* bound on waiting for stops (default 5000) */
	void *dwfl;		/* hijack.c: libdwfl session, or NULL */
	uint64_t tramp;		/* remote.c: return trampoline, 0 unknown, 1 none */
	int dwfl_stale;		/* modules changed since it was reported */
};

/* PTRACE_SEIZE every thread of pid (re-reading /proc/PID/task until no new
 * thread appears), with PTRACE_O_TRACECLONE so that threads created later
 * are traced too.  Threads keep running.  On failure nothing stays
 * attached. */
int soswap__trace_seize(struct soswap_tracee *t, pid_t pid, soswap_err *err);

/* PTRACE_INTERRUPT every thread, then wait for each stop (including threads
 * created meanwhile).  Registers are read into threads[i].regs.  Returns 0,
 * or -ESRCH if the whole process went away.  *first_ns and *last_ns (may be
 * NULL) receive CLOCK_MONOTONIC times of the first interrupt sent and the
 * last stop seen. */
int soswap__trace_stop_all(struct soswap_tracee *t, uint64_t *first_ns,
			   uint64_t *last_ns, soswap_err *err);

/* Collect pending wait statuses of the running threads without blocking:
 * stray stops are restarted and signal-delivery-stops are passed on (a
 * signal sent to a traced thread holds it in a ptrace stop until its tracer
 * waits).  Call it now and then when holding a tracee for long between the
 * other calls.  Returns 0, or -ESRCH when every thread is gone. */
int soswap__trace_pump(struct soswap_tracee *t);
/* Same, leaving thread `skip` alone (a thread running a remote call). */
int soswap__trace_pump_except(struct soswap_tracee *t, pid_t skip);

/* Stop / resume a single thread.  stop_one reads its registers. */
int soswap__trace_stop_one(struct soswap_tracee *t, struct soswap_thread *th,
			   soswap_err *err);
int soswap__trace_resume_one(struct soswap_tracee *t, struct soswap_thread *th,
			     soswap_err *err);

/* Resume every stopped thread (registers are written back only where a
 * caller changed them through soswap__trace_setregs). */
int soswap__trace_resume_all(struct soswap_tracee *t, soswap_err *err);

/* Detach from every thread (resuming them) and free the thread list. */
void soswap__trace_detach(struct soswap_tracee *t);

int soswap__trace_getregs(struct soswap_thread *th, soswap_err *err);
int soswap__trace_setregs(struct soswap_thread *th, soswap_err *err);

/* Target memory.  Writes go through /proc/PID/mem (which writes read-only
 * pages too) and fall back to PTRACE_POKEDATA; the threads must be
 * stopped for POKEDATA.  Partial transfers are errors. */
int soswap__mem_read(struct soswap_tracee *t, uint64_t addr, void *buf,
		     size_t len, soswap_err *err);
int soswap__mem_write(struct soswap_tracee *t, uint64_t addr, const void *buf,
		      size_t len, soswap_err *err);

/* Several writes in order; stops at the first failure (the earlier ones
 * stay written: journal them first). */
struct soswap_mem_write {
	uint64_t addr;
	const void *buf;
	size_t len;
};
int soswap__mem_write_batch(struct soswap_tracee *t,
			    const struct soswap_mem_write *w, size_t n,
			    soswap_err *err);

/* NUL-terminated string at addr, truncated to size-1 bytes. */
int soswap__mem_read_string(struct soswap_tracee *t, uint64_t addr, char *buf,
			    size_t size, soswap_err *err);

/* Address of symbol `sym` as defined by the target's loaded object whose
 * path or soname matches `lib` (e.g. "libc.so.6"), found from the target's
 * mappings and the object's dynamic symbol table.  -ENOENT if absent. */
int soswap__remote_symbol(pid_t pid, const char *lib, const char *sym,
			  uint64_t *addr, soswap_err *err);

/* The object of the target matching `lib` as above, opened through
 * /proc/PID/map_files (or /proc/PID/root/PATH), so that deleted files and
 * files in another mount namespace work; *bias is its load bias.  Close
 * *elf with soswap_elf_close. */
int soswap__remote_object(pid_t pid, const char *lib, soswap_elf **elf,
			  uint64_t *bias, soswap_err *err);

/* Call fn(args[0..nargs-1]) (at most 6 integer arguments) in thread th,
 * which must be stopped; the other threads are left as they are.  The
 * thread's registers (general and XSAVE state) and any interrupted system
 * call are restored exactly afterwards, and the thread is left stopped.
 * fn returns into a trampoline written into the padding after libc's
 * code (see remote.c): if soswap dies during the call, the thread restores
 * itself a second or two after fn returns, instead of crashing.
 * Returns 0, -ETIMEDOUT after timeout_ms (the call is abandoned: the
 * thread is put back, but whatever fn had locked stays locked), -EFAULT
 * when fn crashed (abandoned likewise; the fault is not delivered), or
 * -ESRCH when the thread or process exited.  A signal that arrives for th
 * during the call is delivered at once; one that th was stopped with is
 * delivered when th is resumed. */
int soswap__remote_call(struct soswap_tracee *t, struct soswap_thread *th,
			uint64_t fn, const uint64_t *args, int nargs,
			uint64_t *ret, int timeout_ms, soswap_err *err);

/* Same, first copying `len` bytes of `data` onto the thread's stack below
 * its red zone; args[data_arg] is replaced by their address (data_arg -1:
 * none).  The stack is only borrowed for the call. */
int soswap__remote_call_data(struct soswap_tracee *t, struct soswap_thread *th,
			     uint64_t fn, const uint64_t *args, int nargs,
			     const void *data, size_t len, int data_arg,
			     uint64_t *ret, int timeout_ms, soswap_err *err);

/* Choose a thread that is safe to hijack: unwound with libdwfl, none of
 * its frames in the allocator, the loader or a libc/ld.so lock routine
 * (see hijack.c for the list).  Stops only that thread; retries (letting
 * it run a little) or tries other threads until timeout_ms.  Returns the
 * stopped thread in *out. */
int soswap__hijack_pick(struct soswap_tracee *t, struct soswap_thread **out,
			int timeout_ms, soswap_err *err);
/* Same, giving the index of the thread and whether it was already stopped
 * by the caller before (then it was only checked, not stopped). */
int soswap__hijack_pick_ex(struct soswap_tracee *t, size_t *idx, int *was_stopped,
			   int timeout_ms, soswap_err *err);

/* Set up (or refresh, after the target loaded objects) the libdwfl session
 * soswap__hijack_pick uses; slow (reads every module), so do it before
 * stopping anything.  hijack_pick calls it itself when needed.  _free is
 * called by soswap__trace_detach. */
int soswap__hijack_prepare(struct soswap_tracee *t, soswap_err *err);
void soswap__hijack_free(struct soswap_tracee *t);

/* dlopen(path, flags) inside the target, through a safely hijacked thread,
 * while the other threads keep running.  Uses dlopen from libc.so.6
 * (glibc >= 2.34) or __libc_dlopen_mode on older glibc.  The path string
 * is placed in target memory by the call itself.  On failure the message
 * includes the target's dlerror() text.  *handle is the link_map pointer
 * returned. */
int soswap__remote_dlopen(struct soswap_tracee *t, const char *path, int flags,
			  uint64_t *handle, int timeout_ms, soswap_err *err);

/* dlclose(handle) inside the target, same rules. */
int soswap__remote_dlclose(struct soswap_tracee *t, uint64_t handle,
			   int timeout_ms, soswap_err *err);

uint64_t soswap__now_ns(void);

/* State letter of /proc/PID/task/TID/stat ('R', 'S', 'D', 'Z', 't'...), or
 * 0 when the thread does not exist. */
char soswap__thread_state(pid_t pid, pid_t tid);

/* pid itself, or when the thread group leader is a zombie (it called
 * pthread_exit: its /proc/PID/maps and mem are empty) a live thread of it,
 * whose /proc/TID files show the process's memory. */
pid_t soswap__live_tid(pid_t pid);

/* Polling back-off: sched_yield first, then sleeps growing to 1 ms. */
void soswap__backoff(unsigned *spins);

#endif
