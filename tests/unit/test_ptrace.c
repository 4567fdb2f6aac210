/* test_ptrace.c - the ptrace core on real processes: seize, stop and resume
 * every thread, memory access, remote calls, remote dlopen and the choice
 * of a thread safe to hijack.  Targets are built from tests/fixtures/ptrace
 * with the real compiler and run as children of this test. */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ptrace.h"

static char dir[] = "/tmp/soswap-ptrace-XXXXXX";
static char target_exe[256], inject_so[256];

struct target {
	pid_t pid;
	int in_w, out_r;
};

static int run(const char *cmd)
{
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static int build_fixtures(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	const char *cc = getenv("CC") ? getenv("CC") : "cc";
	const char *src = getenv("SOSWAP_SRC") ? getenv("SOSWAP_SRC") : ".";
	char cmd[2048];
	snprintf(target_exe, sizeof(target_exe), "%s/target", dir);
	snprintf(inject_so, sizeof(inject_so), "%s/libinject.so", dir);
	snprintf(cmd, sizeof(cmd), "%s -O1 -g -pthread -rdynamic -o %s "
		 "%s/tests/fixtures/ptrace/target.c", cc, target_exe, src);
	if (run(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s -O1 -g -shared -fPIC -o %s "
		 "%s/tests/fixtures/ptrace/libinject.c", cc, inject_so, src);
	return run(cmd) == 0 ? 0 : -1;
}

static int remove_fixtures(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return run(cmd) == 0 ? 0 : -1;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void spawn(struct target *tg, const char *mode, int n)
{
	static int seq;
	char ready[300], fd_in[16], fd_out[16], num[16];
	int in[2], out[2];
	snprintf(ready, sizeof(ready), "%s/ready.%d", dir, seq++);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(in[1]);
		close(out[0]);
		snprintf(fd_in, sizeof(fd_in), "%d", in[0]);
		snprintf(fd_out, sizeof(fd_out), "%d", out[1]);
		snprintf(num, sizeof(num), "%d", n);
		execl(target_exe, target_exe, ready, fd_in, fd_out, mode, num, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	tg->pid = pid;
	tg->in_w = in[1];
	tg->out_r = out[0];
	for (int i = 0; i < 2000; i++) {
		struct stat st;
		if (stat(ready, &st) == 0 && st.st_size > 0)
			return;
		sleep_ms(5);
	}
	fail_msg("target %s did not become ready", mode);
}

static void kill_target(struct target *tg)
{
	kill(tg->pid, SIGKILL);
	waitpid(tg->pid, NULL, 0);	/* may already be reaped by the tracer code */
	close(tg->in_w);
	close(tg->out_r);
}

/* Thread of pid whose comm is name, or 0. */
static pid_t tid_named(pid_t pid, const char *name)
{
	char path[512], comm[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	pid_t found = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		FILE *f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			if (!strcmp(comm, name))
				found = atoi(de->d_name);
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* Wait until the named thread sleeps (blocked in its system call). */
static pid_t blocked_thread(pid_t pid, const char *name)
{
	pid_t tid = tid_named(pid, name);
	assert_true(tid > 0);
	for (int i = 0; i < 1000 && soswap__thread_state(pid, tid) != 'S'; i++)
		sleep_ms(5);
	assert_int_equal(soswap__thread_state(pid, tid), 'S');
	return tid;
}

/* The reader thread echoes what it reads: proof the target still works. */
static void assert_echo(struct target *tg, char c)
{
	assert_int_equal(write(tg->in_w, &c, 1), 1);
	struct pollfd p = { .fd = tg->out_r, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);
	char got = 0;
	assert_int_equal(read(tg->out_r, &got, 1), 1);
	assert_int_equal(got, c);
}

static uint64_t sym(pid_t pid, const char *lib, const char *name)
{
	soswap_err err = { 0 };
	uint64_t a = 0;
	int r = soswap__remote_symbol(pid, lib, name, &a, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	return a;
}

/* Call a function of the target in its first stopped thread. */
static uint64_t call0(struct soswap_tracee *t, uint64_t fn)
{
	soswap_err err = { 0 };
	uint64_t ret = 0;
	int r = soswap__remote_call(t, &t->threads[0], fn, NULL, 0, &ret, 5000, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_seize_stop_resume(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };
	enum { ROUNDS = 30 };
	uint64_t stop_lat[ROUNDS];

	spawn(&tg, "spin", 8);
	blocked_thread(tg.pid, "reader");
	blocked_thread(tg.pid, "sleeper");
	blocked_thread(tg.pid, "poller");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(t.nthreads, 12);	/* main + 8 spinners + 3 blocked */
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t a = 0, b = 0;
		int r = soswap__trace_stop_all(&t, &a, &b, &err);
		if (r < 0)
			fail_msg("%s", err.msg);
		assert_true(b >= a);
		stop_lat[i] = b - a;
		for (size_t k = 0; k < t.nthreads; k++) {
			assert_true(t.threads[k].stopped);
			assert_int_not_equal(t.threads[k].regs.rip, 0);
		}
		assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
		for (size_t k = 0; k < t.nthreads; k++)
			assert_false(t.threads[k].stopped);
	}
	qsort(stop_lat, ROUNDS, sizeof(stop_lat[0]), cmp_u64);
	print_message("# stop latency, 8 spinning + 4 blocked threads: p50 %llu us, "
		      "max %llu us\n", (unsigned long long)stop_lat[ROUNDS / 2] / 1000,
		      (unsigned long long)stop_lat[ROUNDS - 1] / 1000);

	/* The blocked threads never saw EINTR and the spinners progressed. */
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_int_equal(call0(&t, sym(tg.pid, target_exe, "target_eintr")), 0);
	uint64_t spins1 = call0(&t, sym(tg.pid, target_exe, "target_spins"));
	assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	soswap__trace_detach(&t);
	assert_int_equal(t.nthreads, 0);

	/* Detached: the target runs normally and nothing traces it. */
	assert_echo(&tg, 'x');
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tg.pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int tracer = -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "TracerPid: %d", &tracer);
	fclose(f);
	assert_int_equal(tracer, 0);
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_true(call0(&t, sym(tg.pid, target_exe, "target_spins")) > spins1);
	assert_int_equal(call0(&t, sym(tg.pid, target_exe, "target_eintr")), 0);
	soswap__trace_detach(&t);
	kill_target(&tg);
}

/* Every register, general and extended, is what it was before a call. */
static void test_remote_call_restores(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };
	static unsigned char xs_before[16384], xs_after[16384];

	spawn(&tg, "spin", 2);
	pid_t blocked[3] = { blocked_thread(tg.pid, "reader"),
			     blocked_thread(tg.pid, "sleeper"),
			     blocked_thread(tg.pid, "poller") };
	uint64_t magic = sym(tg.pid, target_exe, "target_magic");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	for (size_t k = 0; k < t.nthreads; k++) {
		struct soswap_thread *th = &t.threads[k];
		struct user_regs_struct before, after;
		struct iovec iov = { xs_before, sizeof(xs_before) };
		assert_int_equal(ptrace(PTRACE_GETREGS, th->tid, 0, &before), 0);
		assert_int_equal(ptrace(PTRACE_GETREGSET, th->tid, (void *)NT_X86_XSTATE, &iov), 0);
		size_t xlen = iov.iov_len;
		uint64_t args[6] = { 1, 2, 3, 4, 5, 6 }, ret = 0;
		int r = soswap__remote_call(&t, th, magic, args, 6, &ret, 5000, &err);
		if (r < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(ret, 1 + 4 + 9 + 16 + 25 + 36 + 1000);
		assert_true(th->stopped);
		assert_int_equal(ptrace(PTRACE_GETREGS, th->tid, 0, &after), 0);
		assert_memory_equal(&before, &after, sizeof(before));
		iov.iov_base = xs_after;
		iov.iov_len = sizeof(xs_after);
		assert_int_equal(ptrace(PTRACE_GETREGSET, th->tid, (void *)NT_X86_XSTATE, &iov), 0);
		assert_int_equal(iov.iov_len, xlen);
		assert_memory_equal(xs_before, xs_after, xlen);
		for (int b = 0; b < 3; b++)
			if (th->tid == blocked[b])
				assert_true(th->in_syscall);
	}
	assert_int_equal(soswap__trace_resume_all(&t, &err), 0);

	/* The interrupted read(), nanosleep() and epoll_wait() restarted: no
	 * EINTR, and the reader still answers. */
	assert_echo(&tg, 'y');
	for (int b = 0; b < 3; b++)
		blocked_thread(tg.pid, b == 0 ? "reader" : b == 1 ? "sleeper" : "poller");
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_int_equal(call0(&t, sym(tg.pid, target_exe, "target_eintr")), 0);
	soswap__trace_detach(&t);
	assert_echo(&tg, 'z');
	kill_target(&tg);
}

/* A signal that arrives while soswap holds the target is delivered, once,
 * even across a remote call in the thread that received it. */
static void test_signals_not_swallowed(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };

	spawn(&tg, "idle", 1);
	uint64_t usr1 = sym(tg.pid, target_exe, "target_usr1");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	for (int round = 1; round <= 3; round++) {
		assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
		kill(tg.pid, SIGUSR1);
		assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
		/* The signal-delivery-stop is now pending; the next stop
		 * takes it, a remote call runs in its thread, and resume
		 * passes the signal on. */
		sleep_ms(20);
		assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
		for (size_t k = 0; k < t.nthreads; k++) {
			uint64_t v = 0;
			int r = soswap__remote_call(&t, &t.threads[k], usr1, NULL, 0, &v,
						    5000, &err);
			if (r < 0)
				fail_msg("%s", err.msg);
		}
		assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
		int seen = -1;
		for (int i = 0; i < 500 && seen != round; i++) {
			sleep_ms(10);
			assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
			seen = (int)call0(&t, usr1);
			assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
		}
		assert_int_equal(seen, round);
	}
	soswap__trace_detach(&t);
	kill_target(&tg);
}

static void test_mem(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };
	unsigned char code[32], back[32], pattern[13];

	spawn(&tg, "spin", 1);
	uint64_t fn = sym(tg.pid, target_exe, "target_magic");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	/* Read-only text is writable through /proc/PID/mem ... */
	assert_int_equal(soswap__mem_read(&t, fn, code, sizeof(code), &err), 0);
	assert_int_equal(soswap__mem_write(&t, fn, code, sizeof(code), &err), 0);
	assert_int_equal(t.use_poke, 0);
	/* ... and through PTRACE_POKEDATA, unaligned and partial words. */
	t.use_poke = 1;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(0xa0 + i);
	uint64_t sp = t.threads[0].regs.rsp - 4096 + 3;
	assert_int_equal(soswap__mem_write(&t, sp, pattern, sizeof(pattern), &err), 0);
	memset(back, 0, sizeof(back));
	assert_int_equal(soswap__mem_read(&t, sp, back, sizeof(pattern), &err), 0);
	assert_memory_equal(back, pattern, sizeof(pattern));
	assert_int_equal(soswap__mem_write(&t, fn, code, sizeof(code), &err), 0);
	t.use_poke = 0;
	/* Unmapped memory fails with a message. */
	assert_int_equal(soswap__mem_read(&t, 8, back, 8, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "cannot read"));
	/* A string. */
	char s[64];
	const char *msg = "hello target";
	assert_int_equal(soswap__mem_write(&t, sp, msg, strlen(msg) + 1, &err), 0);
	assert_int_equal(soswap__mem_read_string(&t, sp, s, sizeof(s), &err), 0);
	assert_string_equal(s, msg);
	/* The target still runs the function we rewrote in place. */
	uint64_t args[6] = { 0 }, ret = 0;
	assert_int_equal(soswap__remote_call(&t, &t.threads[0], fn, args, 6, &ret, 5000,
					     &err), 0);
	assert_int_equal(ret, 1000);
	soswap__trace_detach(&t);
	kill_target(&tg);
}

static int mapped(pid_t pid, const char *path)
{
	char p[64], line[1024];
	snprintf(p, sizeof(p), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "r");
	int found = 0;
	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, path) != NULL;
	if (f)
		fclose(f);
	return found;
}

static void test_remote_dlopen(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };
	uint64_t h = 0;

	spawn(&tg, "spin", 4);
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_false(mapped(tg.pid, inject_so));
	int r = soswap__remote_dlopen(&t, inject_so, RTLD_NOW | RTLD_LOCAL, &h, 10000, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_not_equal(h, 0);
	assert_true(mapped(tg.pid, inject_so));
	/* Its constructor ran, in the target. */
	uint64_t fn = sym(tg.pid, "libinject.so", "inject_value");
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_int_equal(call0(&t, fn), 4242);
	assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	for (size_t k = 0; k < t.nthreads; k++)
		assert_false(t.threads[k].stopped);

	/* A failing dlopen reports the target's dlerror() text. */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/no-such-lib.so", dir);
	r = soswap__remote_dlopen(&t, bad, RTLD_NOW, &h, 10000, &err);
	assert_int_equal(r, -ENOEXEC);
	assert_non_null(strstr(err.msg, "cannot open shared object file"));
	assert_non_null(strstr(err.msg, "no-such-lib.so"));
	for (size_t k = 0; k < t.nthreads; k++)
		assert_false(t.threads[k].stopped);

	soswap__trace_detach(&t);
	assert_echo(&tg, 'd');
	kill_target(&tg);
}

/* [start, end) of the allocator entry points of the target's libc. */
struct range {
	uint64_t lo, hi;
};

static size_t allocator_ranges(pid_t pid, struct range *rg, size_t max)
{
	static const char *const names[] = { "malloc", "free", "calloc", "realloc",
					     "memalign", "posix_memalign", "aligned_alloc" };
	soswap_elf *elf;
	uint64_t bias;
	soswap_err err = { 0 };
	assert_int_equal(soswap__remote_object(pid, "libc.so.6", &elf, &bias, &err), 0);
	const struct soswap_sym *syms;
	ssize_t n = soswap_elf_symbols(elf, &syms, &err);
	size_t k = 0;
	for (ssize_t i = 0; i < n && k < max; i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (syms[i].defined && syms[i].name && !strcmp(syms[i].name, names[j])) {
				rg[k].lo = syms[i].value + bias;
				rg[k].hi = rg[k].lo + syms[i].size;
				k++;
			}
	soswap_elf_close(elf);
	return k;
}

/* Under heavy malloc/free load the chosen thread is never inside the
 * allocator, and dlopen/dlclose in it never deadlock. */
static void test_hijack_under_malloc_load(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };
	struct range rg[16];

	spawn(&tg, "malloc", 4);
	size_t nrg = allocator_ranges(tg.pid, rg, 16);
	assert_true(nrg >= 4);
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__hijack_prepare(&t, &err), 0);
	uint64_t total_ns = 0;
	for (int i = 0; i < 50; i++) {
		struct soswap_thread *th = NULL;
		uint64_t t0 = soswap__now_ns();
		int r = soswap__hijack_pick(&t, &th, 10000, &err);
		total_ns += soswap__now_ns() - t0;
		if (r < 0)
			fail_msg("pick %d: %s", i, err.msg);
		assert_true(th->stopped);
		for (size_t k = 0; k < nrg; k++)
			assert_false(th->regs.rip >= rg[k].lo && th->regs.rip < rg[k].hi);
		size_t stopped = 0;
		for (size_t k = 0; k < t.nthreads; k++)
			stopped += t.threads[k].stopped;
		assert_int_equal(stopped, 1);	/* only the chosen one */
		assert_int_equal(soswap__trace_resume_one(&t, th, &err), 0);

		uint64_t h = 0;
		r = soswap__remote_dlopen(&t, inject_so, RTLD_NOW, &h, 10000, &err);
		if (r < 0)
			fail_msg("dlopen %d: %s", i, err.msg);
		r = soswap__remote_dlclose(&t, h, 10000, &err);
		if (r < 0)
			fail_msg("dlclose %d: %s", i, err.msg);
	}
	print_message("# hijack_pick under malloc load: mean %llu us\n",
		      (unsigned long long)total_ns / 50 / 1000);
	soswap__trace_detach(&t);
	/* Still allocating after all that. */
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	uint64_t s1 = call0(&t, sym(tg.pid, target_exe, "target_spins"));
	assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	sleep_ms(50);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_true(call0(&t, sym(tg.pid, target_exe, "target_spins")) > s1);
	soswap__trace_detach(&t);
	kill_target(&tg);
}

/* A call that never returns, and one that crashes, are abandoned: the
 * thread is put back and goes on with what it was doing. */
static void test_remote_call_timeout_and_crash(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };

	spawn(&tg, "spin", 1);
	pid_t reader = blocked_thread(tg.pid, "reader");
	uint64_t block = sym(tg.pid, target_exe, "target_block");
	uint64_t crash = sym(tg.pid, target_exe, "target_crash");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	struct soswap_thread *th = NULL;
	for (size_t k = 0; k < t.nthreads; k++)
		if (t.threads[k].tid == reader)
			th = &t.threads[k];
	assert_non_null(th);
	struct user_regs_struct before = th->regs;
	uint64_t ret = 0;
	uint64_t t0 = soswap__now_ns();
	assert_int_equal(soswap__remote_call(&t, th, block, NULL, 0, &ret, 200, &err),
			 -ETIMEDOUT);
	assert_true(soswap__now_ns() - t0 < 5000000000ull);
	assert_non_null(strstr(err.msg, "did not return within 200 ms"));
	assert_true(th->stopped);
	assert_memory_equal(&before, &th->regs, sizeof(before));

	assert_int_equal(soswap__remote_call(&t, th, crash, NULL, 0, &ret, 5000, &err),
			 -EFAULT);
	assert_non_null(strstr(err.msg, "crashed with Segmentation fault"));
	assert_true(th->stopped);
	struct user_regs_struct after;
	assert_int_equal(ptrace(PTRACE_GETREGS, th->tid, 0, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	soswap__trace_detach(&t);
	/* The reader's read() restarted; no EINTR; the target lives. */
	assert_echo(&tg, 'r');
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_int_equal(call0(&t, sym(tg.pid, target_exe, "target_eintr")), 0);
	soswap__trace_detach(&t);
	kill_target(&tg);
}

/* soswap is SIGKILLed while a remote call runs: the kernel detaches it,
 * the call finishes, and the thread puts itself back (the trampoline)
 * instead of returning into nothing: the target lives on, unharmed. */
static void test_tracer_killed_mid_call(void **state)
{
	(void)state;
	struct target tg;
	int sync[2];

	spawn(&tg, "spin", 2);
	pid_t reader = blocked_thread(tg.pid, "reader");
	uint64_t fn = sym(tg.pid, target_exe, "target_sleep_ms");
	assert_int_equal(pipe(sync), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct soswap_tracee t;
		soswap_err e = { 0 };
		if (soswap__trace_seize(&t, tg.pid, &e) < 0 ||
		    soswap__trace_stop_all(&t, NULL, NULL, &e) < 0)
			_exit(1);
		struct soswap_thread *th = NULL;
		for (size_t k = 0; k < t.nthreads; k++)
			if (t.threads[k].tid == reader)
				th = &t.threads[k];
		if (!th || write(sync[1], "x", 1) != 1)
			_exit(1);
		uint64_t args[1] = { 400 }, ret;
		soswap__remote_call(&t, th, fn, args, 1, &ret, 20000, &e);
		_exit(2);
	}
	close(sync[1]);
	char c = 0;
	assert_int_equal(read(sync[0], &c, 1), 1);
	close(sync[0]);
	sleep_ms(150);		/* inside target_sleep_ms(400) */
	kill(child, SIGKILL);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));

	/* The reader returns to its read(), restarted without EINTR. */
	assert_echo(&tg, 'k');
	assert_int_equal(kill(tg.pid, 0), 0);
	struct soswap_tracee t;
	soswap_err err = { 0 };
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_int_equal(call0(&t, sym(tg.pid, target_exe, "target_eintr")), 0);
	uint64_t s1 = call0(&t, sym(tg.pid, target_exe, "target_spins"));
	assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	sleep_ms(20);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	assert_true(call0(&t, sym(tg.pid, target_exe, "target_spins")) > s1);
	assert_true(t.tramp > 1);	/* libc had room for the trampoline */
	soswap__trace_detach(&t);
	assert_echo(&tg, 'K');
	kill_target(&tg);
}

/* The target exits during an operation: -ESRCH, and nothing hangs. */
static void test_target_exits(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };

	spawn(&tg, "spin", 3);
	uint64_t ex = sym(tg.pid, target_exe, "target_exit_now");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	uint64_t args[1] = { 7 }, ret;
	int r = soswap__remote_call(&t, &t.threads[1], ex, args, 1, &ret, 5000, &err);
	assert_int_equal(r, -ESRCH);
	assert_non_null(strstr(err.msg, "exited"));
	/* The other threads were stopped: they die with the process. */
	r = soswap__trace_resume_all(&t, &err);
	r = soswap__trace_stop_all(&t, NULL, NULL, &err);
	assert_int_equal(r, -ESRCH);
	soswap__trace_detach(&t);
	kill_target(&tg);

	/* Killed while stopped. */
	spawn(&tg, "spin", 3);
	uint64_t magic = sym(tg.pid, target_exe, "target_magic");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), 0);
	kill(tg.pid, SIGKILL);
	sleep_ms(50);
	soswap__trace_resume_all(&t, &err);
	assert_int_equal(soswap__trace_stop_all(&t, NULL, NULL, &err), -ESRCH);
	unsigned char b[8];
	assert_int_equal(soswap__mem_read(&t, magic, b, 8, &err), -ESRCH);
	soswap__trace_detach(&t);
	kill_target(&tg);
}

static void test_seize_errors(void **state)
{
	(void)state;
	struct soswap_tracee t, t2;
	soswap_err err = { 0 };
	struct target tg;

	assert_int_equal(soswap__trace_seize(&t, 0x3fffffff, &err), -ESRCH);
	assert_non_null(strstr(err.msg, "no such process"));
	soswap__trace_detach(&t);

	spawn(&tg, "spin", 1);
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	/* A second tracer (here: a second tracee record of the same process
	 * is refused by the kernel too) cannot attach. */
	pid_t child = fork();
	if (child == 0) {
		struct soswap_tracee t3;
		soswap_err e3 = { 0 };
		int r = soswap__trace_seize(&t3, tg.pid, &e3);
		char want[64];
		snprintf(want, sizeof(want), "already traced by pid %d", (int)getppid());
		_exit(r == -EPERM && strstr(e3.msg, want) ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	soswap__trace_detach(&t);
	/* After detach another tracer may attach. */
	assert_int_equal(soswap__trace_seize(&t2, tg.pid, &err), 0);
	soswap__trace_detach(&t2);
	assert_int_equal(soswap__remote_symbol(tg.pid, "libnope.so.9", "x", &(uint64_t){ 0 },
					       &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not mapped"));
	assert_int_equal(soswap__remote_symbol(tg.pid, "libc.so.6", "no_such_symbol_zz",
					       &(uint64_t){ 0 }, &err), -ENOENT);
	/* remote_symbol agrees with our own dlsym for a libc function. */
	uint64_t a = sym(getpid(), "libc.so.6", "getpid");
	assert_int_equal(a, (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "getpid"));
	kill_target(&tg);
}

/* Every thread listed in /proc/PID/task: `want` is its state letter. */
static void assert_all_tasks(pid_t pid, struct soswap_tracee *t, char want)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		pid_t tid = atoi(de->d_name);
		char st = soswap__thread_state(pid, tid);
		if (st == 0 || st == 'Z' || st == 'X')
			continue;	/* exiting */
		if (st != want)
			fail_msg("thread %d is in state %c, not %c", (int)tid, st, want);
		if (t && want == 't') {
			int known = 0;
			for (size_t i = 0; i < t->nthreads; i++)
				known |= t->threads[i].tid == tid && t->threads[i].stopped;
			if (!known)
				fail_msg("thread %d stopped but not known as stopped", (int)tid);
		}
	}
	closedir(d);
}

static int tracer_of(pid_t pid, pid_t tid)
{
	char path[64], line[256];
	int tracer = -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "TracerPid: %d", &tracer);
	if (f)
		fclose(f);
	return tracer;
}

/* Threads are created and exit all the time: every stop_all still stops
 * all of them, and detach leaves none traced. */
static void test_thread_churn(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };

	spawn(&tg, "churn", 2);
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	for (int i = 0; i < 30; i++) {
		int r = soswap__trace_stop_all(&t, NULL, NULL, &err);
		if (r < 0)
			fail_msg("%s", err.msg);
		assert_all_tasks(tg.pid, &t, 't');
		assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
		sleep_ms(2);
	}
	soswap__trace_detach(&t);
	for (int i = 0; i < 20; i++) {
		pid_t tids[4] = { tg.pid, blocked_thread(tg.pid, "reader") };
		assert_int_equal(tracer_of(tg.pid, tids[0]), 0);
		assert_int_equal(tracer_of(tg.pid, tids[1]), 0);
	}
	assert_echo(&tg, 'c');
	kill_target(&tg);
}

/* The thread group leader exited (pthread_exit) and is a zombie. */
static void test_zombie_leader(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };

	spawn(&tg, "zombie", 2);
	for (int i = 0; i < 1000 && soswap__thread_state(tg.pid, tg.pid) != 'Z'; i++)
		sleep_ms(5);
	assert_int_equal(soswap__thread_state(tg.pid, tg.pid), 'Z');
	uint64_t magic = sym(tg.pid, target_exe, "target_magic");
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	for (int i = 0; i < 5; i++) {
		int r = soswap__trace_stop_all(&t, NULL, NULL, &err);
		if (r < 0)
			fail_msg("%s", err.msg);
		struct soswap_thread *th = NULL;
		for (size_t k = 0; k < t.nthreads; k++)
			if (t.threads[k].stopped)
				th = &t.threads[k];
		assert_non_null(th);
		uint64_t args[6] = { 1, 1, 1, 1, 1, 1 }, ret = 0;
		assert_int_equal(soswap__remote_call(&t, th, magic, args, 6, &ret, 5000, &err), 0);
		assert_int_equal(ret, 1021);
		assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	}
	soswap__trace_detach(&t);
	assert_echo(&tg, 'z');
	kill_target(&tg);
}

/* A job-control stop (SIGSTOP) while soswap holds the target is kept:
 * stop/resume/detach do not continue the process, SIGCONT does. */
static void test_group_stop(void **state)
{
	(void)state;
	struct target tg;
	struct soswap_tracee t;
	soswap_err err = { 0 };

	spawn(&tg, "spin", 1);
	assert_int_equal(soswap__trace_seize(&t, tg.pid, &err), 0);
	kill(tg.pid, SIGSTOP);
	for (int i = 0; i < 3; i++) {
		sleep_ms(20);
		int r = soswap__trace_stop_all(&t, NULL, NULL, &err);
		if (r < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(soswap__trace_resume_all(&t, &err), 0);
	}
	soswap__trace_detach(&t);
	for (int i = 0; i < 200; i++) {
		sleep_ms(5);
		int all = 1;
		for (int k = 0; k < 1; k++)
			all &= soswap__thread_state(tg.pid, tg.pid) == 'T';
		if (all)
			break;
	}
	assert_all_tasks(tg.pid, NULL, 'T');
	kill(tg.pid, SIGCONT);
	assert_echo(&tg, 'g');
	kill_target(&tg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seize_stop_resume),
		cmocka_unit_test(test_remote_call_restores),
		cmocka_unit_test(test_signals_not_swallowed),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_remote_dlopen),
		cmocka_unit_test(test_hijack_under_malloc_load),
		cmocka_unit_test(test_remote_call_timeout_and_crash),
		cmocka_unit_test(test_tracer_killed_mid_call),
		cmocka_unit_test(test_target_exits),
		cmocka_unit_test(test_seize_errors),
		cmocka_unit_test(test_thread_churn),
		cmocka_unit_test(test_zombie_leader),
		cmocka_unit_test(test_group_stop),
	};
	return cmocka_run_group_tests(tests, build_fixtures, remove_fixtures);
}
