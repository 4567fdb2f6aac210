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

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "internal.h"

struct soswap_thread {
	pid_t tid;
	int stopped;		/* in a ptrace stop we caused */
	int gone;		/* exited while traced */
	int in_syscall;		/* stopped inside an interrupted system call */
	struct user_regs_struct regs;	/* valid while stopped */
};

struct soswap_tracee {
	pid_t pid;
	struct soswap_thread *threads;
	size_t nthreads, cap;
	int memfd;		/* /proc/PID/mem opened O_RDWR, or -1 */
	int use_poke;		/* /proc/PID/mem writes refused: POKEDATA */
};

/* PTRACE_SEIZE every thread of pid (re-reading /proc/PID/task until no new
 * thread appears), with PTRACE_O_TRACECLONE so that threads created later
 * are traced too.  Threads keep running.  On failure nothing stays
 * attached. */
int soswap__trace_seize(struct soswap_tracee *t, pid_t pid, soswap_err *err);

/* PTRACE_INTERRUPT every thread, then wait for each stop (including threads
 * created meanwhile).  Registers are read into threads[i].regs.  Returns 0,
 * or -ESRCH if the whole process went away.  *first_ns/*last_ns (may be
 * NULL) receive CLOCK_MONOTONIC times of the first interrupt sent and the
 * last stop seen. */
int soswap__trace_stop_all(struct soswap_tracee *t, uint64_t *first_ns,
			   uint64_t *last_ns, soswap_err *err);

/* Stop / resume a single thread. */
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

/* Address of symbol `sym` as defined by the target's loaded object whose
 * path or soname matches `lib` (e.g. "libc.so.6"), found from the target's
 * mappings and the object's dynamic symbol table.  -ENOENT if absent. */
int soswap__remote_symbol(pid_t pid, const char *lib, const char *sym,
			  uint64_t *addr, soswap_err *err);

/* Call fn(args[0..nargs-1]) (at most 6 integer arguments) in thread th,
 * which must be stopped; the other threads are left as they are.  The
 * thread's registers and any interrupted system call are restored exactly
 * afterwards.  Gives up after timeout_ms (restoring the thread). */
int soswap__remote_call(struct soswap_tracee *t, struct soswap_thread *th,
			uint64_t fn, const uint64_t *args, int nargs,
			uint64_t *ret, int timeout_ms, soswap_err *err);

/* Choose a thread that is safe to hijack: unwound with libdwfl, none of
 * its frames in the allocator, the loader or a libc/ld.so lock routine
 * (see hijack.c for the list).  Stops only that thread; retries (letting
 * it run a little) or tries other threads until timeout_ms.  Returns the
 * stopped thread in *out. */
int soswap__hijack_pick(struct soswap_tracee *t, struct soswap_thread **out,
			int timeout_ms, soswap_err *err);

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

#endif
