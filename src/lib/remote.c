/* remote.c - find symbols in a target and call functions inside it.
 *
 * A remote call borrows a stopped thread: its registers (general and
 * extended state) are saved, the stack pointer is moved below the red zone
 * and aligned as the ABI wants at a call, a return address of 0 is pushed,
 * and the thread runs until it returns there and faults with SIGSEGV at
 * address 0, which soswap catches as a signal-delivery-stop and never
 * delivers.  No code is written into the target.  The registers are then
 * put back exactly; a system call the thread was blocked in restarts as if
 * nothing happened, because orig_rax is -1 during the call (the kernel does
 * not restart the call into our function) and back to the call number
 * afterwards (it restarts the original call).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf-internal.h"
#include "ptrace.h"

#define XSTATE_MAX 16384
#define RED_ZONE 128
#define RTLD_DLOPEN_FLAG 0x80000000u	/* glibc's __RTLD_DLOPEN */
#define DLERROR_MAX 400

/* ------------------------------------------------------------------ */
/* Objects and symbols of the target                                   */
/* ------------------------------------------------------------------ */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int same_path(const struct soswap_mapping *a, const struct soswap_mapping *b)
{
	return a->path && b->path && !strcmp(a->path, b->path);
}

/* Is mapping i the first mapping of an object the loader mapped: file
 * offset 0, followed by an executable mapping of the same file before any
 * other file?  A plain mmap of the whole file (a debugger, soswap itself
 * reading it) has no executable part and is not taken for the object. */
static int is_head(const soswap_maps *m, size_t i)
{
	const struct soswap_mapping *h = soswap_maps_get(m, i);
	if (!h->path || h->offset != 0)
		return 0;
	for (size_t j = i, n = soswap_maps_count(m); j < n; j++) {
		const struct soswap_mapping *e = soswap_maps_get(m, j);
		if (!e->path)
			continue;	/* .bss and gaps between segments */
		if (!same_path(e, h))
			return 0;
		if (e->perms[2] == 'x')
			return 1;
	}
	return 0;
}

/* Open the file behind a mapping: map_files works for deleted files and
 * other mount namespaces; /proc/PID/root/PATH is the fallback when
 * map_files is not accessible. */
static int open_mapped(pid_t pid, const struct soswap_mapping *e, soswap_elf **elf,
		       soswap_err *err)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)e->start, (unsigned long long)e->end);
	if (soswap_elf_open(elf, p, NULL) == 0)
		return 0;
	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, e->path);
	return soswap_elf_open(elf, p, err);
}

/* Index of the head mapping of the object named by lib (a path, a file
 * name or a soname), or -1. */
static ssize_t match_object(pid_t pid, const soswap_maps *m, const char *lib)
{
	size_t n = soswap_maps_count(m);
	int has_slash = strchr(lib, '/') != NULL;
	struct stat want;
	int have_want = has_slash && stat(lib, &want) == 0;
	for (size_t i = 0; i < n; i++) {
		const struct soswap_mapping *e = soswap_maps_get(m, i);
		if (!is_head(m, i))
			continue;
		if (has_slash ? !strcmp(e->path, lib) : !strcmp(base_name(e->path), lib))
			return (ssize_t)i;
		/* The same file under another name (/lib -> /usr/lib). */
		if (have_want && e->dev == want.st_dev && e->ino == want.st_ino)
			return (ssize_t)i;
	}
	if (has_slash)
		return -1;
	for (size_t i = 0; i < n; i++) {
		soswap_elf *elf;
		if (!is_head(m, i) || open_mapped(pid, soswap_maps_get(m, i), &elf, NULL) < 0)
			continue;
		const char *so = soswap_elf_soname(elf);
		int hit = so && !strcmp(so, lib);
		soswap_elf_close(elf);
		if (hit)
			return (ssize_t)i;
	}
	return -1;
}

int soswap__remote_object(pid_t pid, const char *lib, soswap_elf **elf,
			  uint64_t *bias, soswap_err *err)
{
	soswap_maps *m = NULL;
	pid = soswap__live_tid(pid);
	int r = soswap_maps_read(&m, pid, err);
	if (r < 0)
		return r;
	ssize_t i = match_object(pid, m, lib);
	if (i < 0) {
		r = soswap__fail(err, -ENOENT, "pid %d: %s is not mapped", (int)pid, lib);
		goto out;
	}
	const struct soswap_mapping *head = soswap_maps_get(m, (size_t)i);
	if ((r = open_mapped(pid, head, elf, err)) < 0)
		goto out;
	*bias = head->start - soswap_elf_load_bias_vaddr(*elf);
out:
	soswap_maps_free(m);
	return r;
}

/* Value of the default (or only) definition of `name` in elf. */
static int lookup(soswap_elf *elf, const char *name, uint64_t *value, int *type,
		  soswap_err *err)
{
	const struct soswap_sym *syms;
	ssize_t n = soswap_elf_symbols(elf, &syms, err);
	if (n < 0)
		return (int)n;
	const struct soswap_sym *best = NULL;
	for (ssize_t i = 0; i < n; i++) {
		const struct soswap_sym *s = &syms[i];
		if (!s->defined || !s->name || strcmp(s->name, name))
			continue;
		if (!best || (!s->version || s->is_default))
			best = s;
		if (!s->version || s->is_default)
			break;
	}
	if (!best)
		return -ENOENT;
	*value = best->value;
	*type = best->type;
	return 0;
}

/* Addresses of several symbols of one object (absent ones: 0). */
static int remote_symbols(pid_t pid, const char *lib, const char *const *names,
			  uint64_t *addrs, size_t n, soswap_err *err)
{
	soswap_elf *elf;
	uint64_t bias;
	int r = soswap__remote_object(pid, lib, &elf, &bias, err);
	if (r < 0)
		return r;
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;
		int type = 0;
		addrs[i] = 0;
		r = lookup(elf, names[i], &v, &type, err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			break;
		if (type == STT_GNU_IFUNC) {
			r = soswap__fail(err, -ENOTSUP, "pid %d: %s in %s is an IFUNC resolver",
					 (int)pid, names[i], lib);
			break;
		}
		addrs[i] = v + bias;
		found++;
	}
	soswap_elf_close(elf);
	return r < 0 && r != -ENOENT ? r : found;
}

int soswap__remote_symbol(pid_t pid, const char *lib, const char *sym,
			  uint64_t *addr, soswap_err *err)
{
	int r = remote_symbols(pid, lib, &sym, addr, 1, err);
	if (r < 0)
		return r;
	if (r == 0)
		return soswap__fail(err, -ENOENT, "pid %d: %s does not define %s",
				    (int)pid, lib, sym);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Remote calls                                                        */
/* ------------------------------------------------------------------ */

/* Everything needed to put a borrowed thread back as it was. */
struct saved_state {
	struct user_regs_struct regs;
	unsigned char *xstate;
	struct iovec xiov;
	enum soswap_stop_kind kind;
	int sig;
	siginfo_t siginfo;
};

static int save_state(struct soswap_thread *th, struct saved_state *s, soswap_err *err)
{
	int r = soswap__trace_getregs(th, err);
	if (r < 0)
		return r;
	s->regs = th->regs;
	s->kind = th->kind;
	s->sig = th->sig;
	s->siginfo = th->siginfo;
	s->xstate = malloc(XSTATE_MAX);
	if (!s->xstate)
		return soswap__fail(err, -ENOMEM, "out of memory");
	s->xiov.iov_base = s->xstate;
	s->xiov.iov_len = XSTATE_MAX;
	/* SSE/AVX registers are caller-saved: the function called clobbers
	 * them, and the interrupted code expects them intact. */
	if (ptrace(PTRACE_GETREGSET, th->tid, (void *)NT_X86_XSTATE, &s->xiov) < 0) {
		s->xiov.iov_len = sizeof(struct user_fpregs_struct);
		if (ptrace(PTRACE_GETFPREGS, th->tid, 0, s->xstate) < 0)
			return soswap__fail_errno(err, -errno,
						  "thread %d: cannot read FPU registers",
						  (int)th->tid);
		s->xiov.iov_len = 0;	/* 0: restore with SETFPREGS */
	}
	return 0;
}

/* Put registers and the pending signal back; th is in some ptrace stop. */
static int restore_state(struct soswap_tracee *t, struct soswap_thread *th,
			 struct saved_state *s, soswap_err *err)
{
	int r = 0;
	th->regs = s->regs;
	if (ptrace(PTRACE_SETREGS, th->tid, 0, &s->regs) < 0)
		r = soswap__fail_errno(err, -errno, "thread %d: cannot restore registers",
				       (int)th->tid);
	if (s->xiov.iov_len ?
	    ptrace(PTRACE_SETREGSET, th->tid, (void *)NT_X86_XSTATE, &s->xiov) < 0 :
	    ptrace(PTRACE_SETFPREGS, th->tid, 0, s->xstate) < 0)
		if (r == 0)
			r = soswap__fail_errno(err, -errno,
					       "thread %d: cannot restore FPU registers",
					       (int)th->tid);
	th->in_syscall = (long)s->regs.orig_rax >= 0;
	if (s->kind == SOSWAP_STOP_SIGNAL && s->sig) {
		if (th->kind == SOSWAP_STOP_SIGNAL &&
		    ptrace(PTRACE_SETSIGINFO, th->tid, 0, &s->siginfo) == 0) {
			/* Delivered on resume exactly as it arrived. */
			th->sig = s->sig;
			th->siginfo = s->siginfo;
		} else {
			/* Only a signal-delivery-stop can inject: queue it again. */
			syscall(SYS_tgkill, (int)t->pid, (int)th->tid, s->sig);
			th->sig = 0;
		}
	} else {
		th->sig = 0;	/* our SIGSEGV at address 0 is dropped */
	}
	return r;
}

static int is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGTRAP || sig == SIGSYS;
}

/* One stop of the borrowed thread; returns 1 when it is ours to keep
 * (returned, crashed), 0 to keep running, -ESRCH when it died. */
static int call_stop(struct soswap_thread *th, int status, uint64_t ret_sp,
		     int *crash_sig)
{
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		th->gone = 1;
		th->stopped = 0;
		return -ESRCH;
	}
	if (!WIFSTOPPED(status))
		return 0;
	int sig = WSTOPSIG(status);
	if ((unsigned)status >> 16) {
		/* A leftover interrupt trap or a job-control stop: the call
		 * must finish, keep it running. */
		ptrace(PTRACE_CONT, th->tid, 0, 0);
		return 0;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GETSIGINFO, th->tid, 0, &si);
	if (is_fault(sig) && si.si_code > 0) {
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, th->tid, 0, &regs);
		th->stopped = 1;
		th->kind = SOSWAP_STOP_SIGNAL;
		th->sig = 0;
		th->regs = regs;
		*crash_sig = (sig == SIGSEGV && regs.rip == 0 && regs.rsp == ret_sp + 8) ?
			0 : sig;
		return 1;
	}
	/* An asynchronous signal: deliver it as if we were not here. */
	ptrace(PTRACE_CONT, th->tid, 0, (void *)(uintptr_t)sig);
	return 0;
}

/* Stop a thread that overran its time, wherever it is. */
static int stop_overrun(struct soswap_tracee *t, struct soswap_thread *th)
{
	uint64_t deadline = soswap__now_ns() + 2000000000u;
	unsigned spins = 0;
	ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	while (soswap__now_ns() < deadline) {
		int st;
		pid_t r = waitpid(th->tid, &st, __WALL | WNOHANG);
		if (r == 0) {
			soswap__trace_pump_except(t, th->tid);
			soswap__backoff(&spins);
			continue;
		}
		if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			if (r < 0 && errno == EINTR)
				continue;
			th->gone = 1;
			return -ESRCH;
		}
		if (!WIFSTOPPED(st))
			continue;
		if ((unsigned)st >> 16 == PTRACE_EVENT_STOP) {
			th->stopped = 1;
			th->kind = SOSWAP_STOP_EVENT;
			return 0;
		}
		if ((unsigned)st >> 16) {
			ptrace(PTRACE_CONT, th->tid, 0, 0);
			continue;
		}
		if (is_fault(WSTOPSIG(st))) {
			th->stopped = 1;
			th->kind = SOSWAP_STOP_SIGNAL;
			return 0;
		}
		/* Deliver it; the signal stop consumed the interrupt. */
		ptrace(PTRACE_CONT, th->tid, 0, (void *)(uintptr_t)WSTOPSIG(st));
		ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	}
	return -ETIMEDOUT;
}

/* ------------------------------------------------------------------ */
/* The return trampoline                                               */
/* ------------------------------------------------------------------ */

/* A called function returns into a few bytes of code soswap writes into
 * the unused tail of libc's last executable page (a private copy of that
 * page: other processes are unaffected).  The code records the return
 * value and a "returned" flag in a block on the thread's stack, then waits
 * in a sched_yield() loop for soswap to stop the thread and restore its
 * registers exactly through ptrace.  If soswap is gone (killed mid-call:
 * the kernel detached it), the loop ends after a second or two and the code
 * restores every register itself from the block and jumps back to where
 * the thread was, restarting an interrupted system call the way the kernel
 * would: the target keeps running instead of crashing on a return to
 * address 0.  The code is the same for every call (everything per call is
 * in the block), so a thread still in it from an earlier, abandoned call
 * is never disturbed by a later write.
 *
 * Block at B = original rsp - D (D fixed per machine: red zone + block):
 *   B+0 return value, B+8 flag, B+16.. r15 r14 r13 r12 rbp rbx r11 r10 r9
 *   r8 rax rcx rdx rsi rdi rip eflags rsp, B+160.. XSAVE image at the
 *   first 64-byte boundary.  The word above the return address holds B. */
enum {
	BLK_RET = 0, BLK_FLAG = 8, BLK_GPR = 16, BLK_RIP = 136, BLK_FLAGS = 144,
	BLK_RSP = 152, BLK_XS = 160,
};

/* The trampoline waits 2^32 TSC ticks (1-2 s) for soswap, yielding the
 * CPU, before restoring the thread itself. */
#define TRAMP_WAIT_LOG2 32
#define TRAMP_MAX 192

/* The trampoline for a block D bytes below the original rsp; its bytes
 * depend only on D and the FPU restore instruction (fixed per machine). */
static size_t tramp_code(unsigned char *c, uint32_t d, int xsave)
{
	static const unsigned char head[] = {
		0x48, 0x8b, 0x1c, 0x24,			/* mov rbx, [rsp] */
		0x48, 0x89, 0x03,			/* mov [rbx], rax */
		0x48, 0xc7, 0x43, 0x08, 1, 0, 0, 0,	/* mov qword [rbx+8], 1 */
		0x0f, 0x31,				/* rdtsc */
		0x48, 0xc1, 0xe2, 0x20,			/* shl rdx, 32 */
		0x48, 0x09, 0xd0,			/* or rax, rdx */
		0x49, 0x89, 0xc4,			/* mov r12, rax */
		0xb8, 0x18, 0, 0, 0,			/* 1: mov eax, SYS_sched_yield */
		0x0f, 0x05,				/* syscall */
		0x0f, 0x31,				/* rdtsc */
		0x48, 0xc1, 0xe2, 0x20,			/* shl rdx, 32 */
		0x48, 0x09, 0xd0,			/* or rax, rdx */
		0x4c, 0x29, 0xe0,			/* sub rax, r12 */
		0x48, 0xc1, 0xe8, TRAMP_WAIT_LOG2,	/* shr rax, TRAMP_WAIT_LOG2 */
		0x74, 0xe7,				/* jz 1b */
	};
	static const unsigned char loop[] = {
		0x48, 0x8d, 0x8b, 0xa0, 0, 0, 0,	/* lea rcx, [rbx+160] */
		0x48, 0x83, 0xc1, 0x3f,			/* add rcx, 63 */
		0x48, 0x83, 0xe1, 0xc0,			/* and rcx, -64 */
		0xb8, 0xff, 0xff, 0xff, 0xff,		/* mov eax, -1 */
		0xba, 0xff, 0xff, 0xff, 0xff,		/* mov edx, -1 */
		0x48, 0x0f, 0xae,			/* (f)xrstor64 [rcx] ... */
	};
	static const unsigned char tail[] = {
		0xff, 0xb3, 0x90, 0, 0, 0,		/* push qword [rbx+144] */
		0x9d,					/* popfq */
		0x4c, 0x8b, 0x7b, 0x10,			/* mov r15, [rbx+16] */
		0x4c, 0x8b, 0x73, 0x18,			/* mov r14, [rbx+24] */
		0x4c, 0x8b, 0x6b, 0x20,			/* mov r13, [rbx+32] */
		0x4c, 0x8b, 0x63, 0x28,			/* mov r12, [rbx+40] */
		0x48, 0x8b, 0x6b, 0x30,			/* mov rbp, [rbx+48] */
		0x4c, 0x8b, 0x5b, 0x40,			/* mov r11, [rbx+64] */
		0x4c, 0x8b, 0x53, 0x48,			/* mov r10, [rbx+72] */
		0x4c, 0x8b, 0x4b, 0x50,			/* mov r9, [rbx+80] */
		0x4c, 0x8b, 0x43, 0x58,			/* mov r8, [rbx+88] */
		0x48, 0x8b, 0x43, 0x60,			/* mov rax, [rbx+96] */
		0x48, 0x8b, 0x4b, 0x68,			/* mov rcx, [rbx+104] */
		0x48, 0x8b, 0x53, 0x70,			/* mov rdx, [rbx+112] */
		0x48, 0x8b, 0x73, 0x78,			/* mov rsi, [rbx+120] */
		0x48, 0x8b, 0xbb, 0x80, 0, 0, 0,	/* mov rdi, [rbx+128] */
		0x48, 0x8b, 0xa3, 0x98, 0, 0, 0,	/* mov rsp, [rbx+152] */
		0x48, 0x8b, 0x5b, 0x38,			/* mov rbx, [rbx+56] */
		0xff, 0xa4, 0x24,			/* jmp [rsp - D + 136] */
	};
	size_t n = 0;
	uint32_t disp = (uint32_t)(BLK_RIP - (int64_t)d);
	memcpy(c + n, head, sizeof(head));
	n += sizeof(head);
	memcpy(c + n, loop, sizeof(loop));
	n += sizeof(loop);
	c[n++] = xsave ? 0x29 : 0x09;		/* /5 xrstor64, /1 fxrstor64 */
	memcpy(c + n, tail, sizeof(tail));
	n += sizeof(tail);
	memcpy(c + n, &disp, 4);
	return n + 4;
}

/* Room for the trampoline: the tail of the last page of libc's executable
 * segment, past the end of the segment (file padding, never executed).
 * Returns its address, or 0 when there is none (then calls return to
 * address 0 and a SIGSEGV soswap catches, and a soswap killed mid-call
 * takes the thread down with it). */
static uint64_t find_tramp(struct soswap_tracee *t)
{
	if (t->tramp)
		return t->tramp == 1 ? 0 : t->tramp;
	soswap_elf *elf;
	uint64_t bias, found = 0;
	t->tramp = 1;
	if (soswap__remote_object(t->pid, "libc.so.6", &elf, &bias, NULL) < 0)
		return 0;
	for (size_t i = 0; i < elf->phnum; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uint64_t end = ph->p_vaddr + (ph->p_memsz > ph->p_filesz ? ph->p_memsz :
					      ph->p_filesz);
		uint64_t start = (end + 63) & ~63ull, page_end = (end + 4095) & ~4095ull;
		if (end >= ph->p_vaddr && page_end > start && page_end - start >= TRAMP_MAX)
			found = bias + start;
	}
	soswap_elf_close(elf);
	/* Only bytes that are still padding (zeros) or an earlier copy of the
	 * trampoline are taken. */
	unsigned char cur[TRAMP_MAX];
	if (found && soswap__mem_read(t, found, cur, sizeof(cur), NULL) == 0) {
		int ok = 1;
		for (size_t i = 0; i < sizeof(cur) && ok; i++)
			ok = cur[i] == 0 || cur[0] == 0x48;
		if (ok)
			t->tramp = found;
	}
	return t->tramp == 1 ? 0 : t->tramp;
}

/* What the kernel does on return to user space after a system call was
 * interrupted with nothing to deliver: the trampoline must do the same
 * when it restores the thread itself. */
static void user_restart(struct user_regs_struct *r)
{
	if ((long)r->orig_rax < 0)
		return;
	switch ((long)r->rax) {
	case -512:	/* ERESTARTSYS */
	case -513:	/* ERESTARTNOINTR */
	case -514:	/* ERESTARTNOHAND */
		r->rax = r->orig_rax;
		r->rip -= 2;
		break;
	case -516:	/* ERESTART_RESTARTBLOCK */
		r->rax = SYS_restart_syscall;
		r->rip -= 2;
		break;
	}
}

/* Where a call's frame lives. */
struct call_frame {
	uint64_t sp;		/* rsp at the callee's entry (the return address) */
	uint64_t block;		/* trampoline block, or 0 */
	uint64_t tramp;		/* trampoline code, or 0: return to address 0 */
	size_t tramp_len;
	uint64_t data;		/* copy of the caller's data */
};

static void put64(unsigned char *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

/* Build the block the trampoline restores from. */
static int write_block(struct soswap_tracee *t, const struct saved_state *s,
		       struct call_frame *f, uint32_t d, soswap_err *err)
{
	unsigned char *b = calloc(1, d);
	if (!b)
		return soswap__fail(err, -ENOMEM, "out of memory");
	struct user_regs_struct r = s->regs;
	user_restart(&r);
	const unsigned long long gpr[] = { r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx,
					   r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx,
					   r.rdx, r.rsi, r.rdi };
	for (size_t i = 0; i < ARRAY_SIZE(gpr); i++)
		put64(b, BLK_GPR + 8 * i, gpr[i]);
	put64(b, BLK_RIP, r.rip);
	put64(b, BLK_FLAGS, r.eflags);
	put64(b, BLK_RSP, r.rsp);
	uint64_t xs = ((f->block + BLK_XS + 63) & ~63ull) - f->block;
	size_t xlen = s->xiov.iov_len ? s->xiov.iov_len : 512;
	memcpy(b + xs, s->xstate, xlen);
	int ret = soswap__mem_write(t, f->block, b, xs + xlen, err);
	free(b);
	return ret;
}

/* Lay out the stack for a call (below the red zone: block, data, then the
 * return address) and write it. */
static int build_frame(struct soswap_tracee *t, const struct saved_state *s,
		       const void *data, size_t len, struct call_frame *f, soswap_err *err)
{
	unsigned char code[TRAMP_MAX];
	int r;
	memset(f, 0, sizeof(*f));
	uint64_t top = s->regs.rsp - RED_ZONE;
	size_t xlen = s->xiov.iov_len ? s->xiov.iov_len : 512;
	uint32_t d = (uint32_t)(RED_ZONE + ((BLK_XS + 64 + xlen + 63) & ~63ull));
	f->tramp = find_tramp(t);
	if (f->tramp) {
		f->block = s->regs.rsp - d;
		top = f->block;
		f->tramp_len = tramp_code(code, d, s->xiov.iov_len != 0);
		if ((r = write_block(t, s, f, d, err)) < 0 ||
		    (r = soswap__mem_write(t, f->tramp, code, f->tramp_len, err)) < 0)
			return r;
	}
	if (len) {
		top = (top - len) & ~15ull;
		f->data = top;
		if ((r = soswap__mem_write(t, f->data, data, len, err)) < 0)
			return r;
	}
	/* At the callee's first instruction rsp+8 is 16-byte aligned; the word
	 * above the return address tells the trampoline where its block is. */
	uint64_t ra[2] = { f->tramp, f->block };
	f->sp = ((top - 8) & ~15ull) - 8;
	return soswap__mem_write(t, f->sp, ra, sizeof(ra), err);
}

/* Has the callee returned into the trampoline?  Then stop the thread (it
 * waits there) and read the return value from the block.  1 yes, 0 no,
 * negative errno. */
static int tramp_returned(struct soswap_tracee *t, struct soswap_thread *th,
			  const struct call_frame *f, uint64_t *ret)
{
	uint64_t blk[2];
	if (!f->tramp || soswap__mem_read(t, f->block, blk, sizeof(blk), NULL) < 0 ||
	    blk[1] != 1)
		return 0;
	*ret = blk[0];
	int r = stop_overrun(t, th);
	return r < 0 ? r : 1;
}

int soswap__remote_call_data(struct soswap_tracee *t, struct soswap_thread *th,
			     uint64_t fn, const uint64_t *args, int nargs,
			     const void *data, size_t len, int data_arg,
			     uint64_t *ret, int timeout_ms, soswap_err *err)
{
	struct saved_state s = { 0 };
	struct call_frame f;
	int r, crash_sig = 0, self_restored = 0;
	uint64_t crash_rip = 0, value = 0;

	if (th->gone || !th->stopped)
		return soswap__fail(err, -EINVAL, "pid %d: thread %d is not stopped",
				    (int)t->pid, (int)th->tid);
	if (nargs < 0 || nargs > 6 || data_arg >= nargs || len > 65536)
		return soswap__fail(err, -EINVAL, "remote call: bad arguments");
	if ((r = save_state(th, &s, err)) < 0 ||
	    (r = build_frame(t, &s, data, len, &f, err)) < 0)
		goto out;

	struct user_regs_struct regs = s.regs;
	unsigned long long *argregs[6] = { &regs.rdi, &regs.rsi, &regs.rdx,
					   &regs.rcx, &regs.r8, &regs.r9 };
	for (int i = 0; i < nargs; i++)
		*argregs[i] = i == data_arg ? f.data : args[i];
	regs.rip = fn;
	regs.rsp = f.sp;
	regs.rax = 0;
	regs.orig_rax = (unsigned long long)-1;	/* no syscall restart into fn */
	regs.eflags &= ~0x500ull;		/* DF and TF clear, per the ABI */
	if (ptrace(PTRACE_SETREGS, th->tid, 0, &regs) < 0) {
		r = soswap__fail_errno(err, -errno, "thread %d: cannot set registers",
				       (int)th->tid);
		goto out;
	}

	/* Run it.  From a signal-delivery-stop CONT with 0 holds the signal
	 * back: restore_state re-injects it afterwards. */
	if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0) {
		r = soswap__fail_errno(err, -errno, "thread %d: cannot run call",
				       (int)th->tid);
		goto restore;
	}
	th->stopped = 0;
	uint64_t deadline = soswap__now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000u;
	unsigned spins = 0;
	for (;;) {
		int st;
		pid_t w = waitpid(th->tid, &st, __WALL | WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			th->gone = 1;
			r = -ESRCH;
		} else if (w == 0) {
			if ((r = tramp_returned(t, th, &f, &value)) != 0)
				break;
			soswap__trace_pump_except(t, th->tid);
			if (soswap__now_ns() >= deadline) {
				r = stop_overrun(t, th);
				if (r == 0)
					r = -ETIMEDOUT;
				break;
			}
			soswap__backoff(&spins);
			continue;
		} else {
			spins = 0;
			r = call_stop(th, st, f.sp, &crash_sig);
			if (r == 0)
				continue;
			value = th->regs.rax;
		}
		break;
	}
	if (r == -ESRCH) {
		r = soswap__fail(err, -ESRCH, "pid %d: thread %d exited during a remote call",
				 (int)t->pid, (int)th->tid);
		goto out;
	}
	if (r == -ETIMEDOUT && !th->stopped) {
		r = soswap__fail(err, -ETIMEDOUT, "pid %d: thread %d did not stop after a "
				 "remote call overran", (int)t->pid, (int)th->tid);
		goto out;
	}
	crash_rip = th->regs.rip;
	if (r == 1 && f.tramp && !crash_sig) {
		/* Caught in the trampoline, or already past it (it restored the
		 * thread itself while soswap was slow to look): then the thread
		 * stays where it now is. */
		soswap__trace_getregs(th, NULL);
		self_restored = th->regs.rip < f.tramp || th->regs.rip >= f.tramp + f.tramp_len;
	}
	if (r == 1 && !crash_sig && ret)
		*ret = value;
restore:
	{
		int rr = 0;
		if (self_restored) {
			th->sig = 0;
			if (s.kind == SOSWAP_STOP_SIGNAL && s.sig)
				syscall(SYS_tgkill, (int)t->pid, (int)th->tid, s.sig);
		} else {
			rr = restore_state(t, th, &s, err);
		}
		if (r == -ETIMEDOUT)
			r = soswap__fail(err, -ETIMEDOUT, "pid %d: remote call in thread %d "
					 "did not return within %d ms (abandoned; the target "
					 "may hold locks it took)", (int)t->pid, (int)th->tid,
					 timeout_ms);
		else if (r == 1 && crash_sig)
			r = soswap__fail(err, -EFAULT, "pid %d: remote call in thread %d "
					 "crashed with %s at 0x%llx (abandoned)", (int)t->pid,
					 (int)th->tid, strsignal(crash_sig),
					 (unsigned long long)crash_rip);
		else if (r >= 0)
			r = rr;
	}
	if (r == 1)
		r = 0;
out:
	free(s.xstate);
	return r;
}

int soswap__remote_call(struct soswap_tracee *t, struct soswap_thread *th,
			uint64_t fn, const uint64_t *args, int nargs,
			uint64_t *ret, int timeout_ms, soswap_err *err)
{
	return soswap__remote_call_data(t, th, fn, args, nargs, NULL, 0, -1, ret,
					timeout_ms, err);
}

/* ------------------------------------------------------------------ */
/* dlopen / dlclose in the target                                      */
/* ------------------------------------------------------------------ */

struct dl_funcs {
	uint64_t dlopen, dlclose, dlerror;
	int libc_mode;		/* dlopen is __libc_dlopen_mode */
};

/* glibc >= 2.34 exports dlopen from libc.so.6; older glibc has it in
 * libdl.so.2 when the program links it, and otherwise only the internal
 * __libc_dlopen_mode (no dlerror); musl's loader is its libc. */
static int find_dl(pid_t pid, struct dl_funcs *f, soswap_err *err)
{
	static const char *const libs[] = { "libc.so.6", "libdl.so.2",
					    "ld-musl-x86_64.so.1" };
	static const char *const names[] = { "dlopen", "dlclose", "dlerror" };
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < ARRAY_SIZE(libs); i++) {
		uint64_t a[3];
		if (remote_symbols(pid, libs[i], names, a, 3, NULL) > 0 && a[0] && a[1]) {
			f->dlopen = a[0];
			f->dlclose = a[1];
			f->dlerror = a[2];
			return 0;
		}
	}
	static const char *const priv[] = { "__libc_dlopen_mode", "__libc_dlclose" };
	uint64_t a[2];
	int r = remote_symbols(pid, "libc.so.6", priv, a, 2, err);
	if (r > 0 && a[0] && a[1]) {
		f->dlopen = a[0];
		f->dlclose = a[1];
		f->libc_mode = 1;
		return 0;
	}
	return soswap__fail(err, -ENOENT, "pid %d: no dlopen in the target (no "
			    "libc.so.6 with dlopen or __libc_dlopen_mode mapped: "
			    "statically linked?)", (int)pid);
}

/* The target's dlerror() text, or "" when there is none. */
static void remote_dlerror(struct soswap_tracee *t, struct soswap_thread *th,
			   const struct dl_funcs *f, char *buf, size_t size, int timeout_ms)
{
	uint64_t p = 0;
	buf[0] = '\0';
	if (!f->dlerror ||
	    soswap__remote_call(t, th, f->dlerror, NULL, 0, &p, timeout_ms, NULL) < 0 ||
	    !p || soswap__mem_read_string(t, p, buf, size, NULL) < 0)
		buf[0] = '\0';
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = soswap__now_ns();
	return now >= deadline ? 1 : (int)((deadline - now) / 1000000u) + 1;
}

/* dlopen(path, flags) or dlclose(arg) in a safely hijacked thread; the
 * thread is restored and, if it was running before, resumed.  *dlerr gets
 * the target's dlerror() text when the call failed. */
static int dl_call(struct soswap_tracee *t, int close, uint64_t arg, const char *path,
		   int flags, uint64_t *ret, char *dlerr, size_t dlerr_size,
		   int timeout_ms, soswap_err *err)
{
	uint64_t deadline = soswap__now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000u;
	struct dl_funcs f;
	size_t idx;
	int was_stopped;
	int r = find_dl(t->pid, &f, err);
	if (r < 0)
		return r;
	uint64_t fn = close ? f.dlclose : f.dlopen;
	uint64_t args[2] = { arg, (uint32_t)flags | (f.libc_mode && !close ? RTLD_DLOPEN_FLAG : 0) };
	if ((r = soswap__hijack_pick_ex(t, &idx, &was_stopped, timeout_ms, err)) < 0)
		return r;
	struct soswap_thread *th = &t->threads[idx];
	r = soswap__remote_call_data(t, th, fn, args, close ? 1 : 2, path,
				     path ? strlen(path) + 1 : 0, path ? 0 : -1, ret,
				     remaining_ms(deadline), err);
	dlerr[0] = '\0';
	if (r == 0 && (close ? *ret != 0 : *ret == 0))
		remote_dlerror(t, th, &f, dlerr, dlerr_size, remaining_ms(deadline));
	if (!was_stopped && !th->gone)
		soswap__trace_resume_one(t, th, NULL);
	/* The set of modules changed (or may have): the unwinder re-reads. */
	t->dwfl_stale = 1;
	if (r == 0 && !dlerr[0])
		snprintf(dlerr, dlerr_size, "no dlerror() message");
	return r;
}

int soswap__remote_dlopen(struct soswap_tracee *t, const char *path, int flags,
			  uint64_t *handle, int timeout_ms, soswap_err *err)
{
	char dlerr[DLERROR_MAX];
	uint64_t ret = 0;
	int r = dl_call(t, 0, 0, path, flags, &ret, dlerr, sizeof(dlerr), timeout_ms, err);
	if (r < 0)
		return r;
	if (ret == 0)
		return soswap__fail(err, -ENOEXEC, "pid %d: dlopen(%s) failed: %s",
				    (int)t->pid, path, dlerr);
	*handle = ret;
	return 0;
}

int soswap__remote_dlclose(struct soswap_tracee *t, uint64_t handle,
			   int timeout_ms, soswap_err *err)
{
	char dlerr[DLERROR_MAX];
	uint64_t ret = 0;
	int r = dl_call(t, 1, handle, NULL, 0, &ret, dlerr, sizeof(dlerr), timeout_ms, err);
	if (r < 0)
		return r;
	if ((int)ret != 0)
		return soswap__fail(err, -EINVAL, "pid %d: dlclose(0x%llx) failed: %s",
				    (int)t->pid, (unsigned long long)handle, dlerr);
	return 0;
}
