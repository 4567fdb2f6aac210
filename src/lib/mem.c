/* mem.c - read and write a traced target's memory.
 *
 * /proc/PID/mem is the fast path: one pread/pwrite per range, and the
 * kernel writes read-only pages (RELRO, text) through it as it does for a
 * debugger.  Kernels booted with proc_mem.force_override=never refuse such
 * writes; PTRACE_POKEDATA (which always may write them) is then used, one
 * word at a time, through a stopped thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "ptrace.h"

/* Addresses are file offsets of /proc/PID/mem: they must fit in off_t. */
static int check_range(struct soswap_tracee *t, uint64_t addr, size_t len,
		       soswap_err *err)
{
	if (addr <= (uint64_t)INT64_MAX && len <= (uint64_t)INT64_MAX - addr)
		return 0;
	return soswap__fail(err, -EFAULT, "pid %d: bad address 0x%llx",
			    (int)t->pid, (unsigned long long)addr);
}

static int open_mem(struct soswap_tracee *t)
{
	if (t->memfd >= 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)soswap__live_tid(t->pid));
	t->memfd = open(path, O_RDWR | O_CLOEXEC);
	if (t->memfd < 0) {
		t->memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (t->memfd >= 0)
			t->use_poke = 1;
	}
	return t->memfd >= 0 ? 0 : -errno;
}

static struct soswap_thread *any_stopped(struct soswap_tracee *t)
{
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].stopped && !t->threads[i].gone)
			return &t->threads[i];
	return NULL;
}

/* The error for a failed transfer: -ESRCH once the process is gone (reads
 * of a dead process's mem return 0 bytes), else -EFAULT. */
static int transfer_error(struct soswap_tracee *t, int e)
{
	pid_t tid = soswap__live_tid(t->pid);
	char s = soswap__thread_state(t->pid, tid);
	if (s == 0 || s == 'Z' || s == 'X')
		return -ESRCH;
	return e == ESRCH ? -ESRCH : -EFAULT;
}

static int peek_word(pid_t tid, uint64_t addr, uint64_t *word)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)addr, 0);
	if (v == -1 && errno)
		return -errno;
	*word = (uint64_t)v;
	return 0;
}

static int peek_range(pid_t tid, uint64_t addr, unsigned char *buf, size_t len)
{
	while (len) {
		uint64_t base = addr & ~7ull, word;
		size_t skip = addr - base, n = 8 - skip < len ? 8 - skip : len;
		int r = peek_word(tid, base, &word);
		if (r < 0)
			return r;
		memcpy(buf, (unsigned char *)&word + skip, n);
		buf += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static int poke_range(pid_t tid, uint64_t addr, const unsigned char *buf, size_t len)
{
	while (len) {
		uint64_t base = addr & ~7ull, word = 0;
		size_t skip = addr - base, n = 8 - skip < len ? 8 - skip : len;
		if (n < 8) {
			int r = peek_word(tid, base, &word);
			if (r < 0)
				return r;
		}
		memcpy((unsigned char *)&word + skip, buf, n);
		if (ptrace(PTRACE_POKEDATA, tid, (void *)(uintptr_t)base,
			   (void *)(uintptr_t)word) < 0)
			return -errno;
		buf += n;
		addr += n;
		len -= n;
	}
	return 0;
}

/* Whole-range pread/pwrite; returns 0 or the errno of the failure (EIO
 * for a short transfer). */
static int rw_all(int fd, int write, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ?
			pwrite(fd, (char *)buf + done, len - done, (off_t)(addr + done)) :
			pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		done += (size_t)n;
	}
	return 0;
}

int soswap__mem_read(struct soswap_tracee *t, uint64_t addr, void *buf,
		     size_t len, soswap_err *err)
{
	if (!len || check_range(t, addr, len, err) < 0)
		return len ? -EFAULT : 0;
	int e = open_mem(t) < 0 ? errno : rw_all(t->memfd, 0, addr, buf, len);
	if (e == 0)
		return 0;
	struct soswap_thread *th = any_stopped(t);
	if (th && peek_range(th->tid, addr, buf, len) == 0)
		return 0;
	return soswap__fail(err, transfer_error(t, e),
			    "pid %d: cannot read %zu bytes at 0x%llx: %s", (int)t->pid,
			    len, (unsigned long long)addr, strerror(e));
}

int soswap__mem_write(struct soswap_tracee *t, uint64_t addr, const void *buf,
		      size_t len, soswap_err *err)
{
	if (!len || check_range(t, addr, len, err) < 0)
		return len ? -EFAULT : 0;
	int e = EPERM;
	if (!t->use_poke) {
		e = open_mem(t) < 0 ? errno : 0;
		if (!e && !t->use_poke)
			e = rw_all(t->memfd, 1, addr, (void *)buf, len);
		if (e == 0)
			return 0;
	}
	struct soswap_thread *th = any_stopped(t);
	if (!th)
		return soswap__fail(err, transfer_error(t, e) == -ESRCH ? -ESRCH : -EBUSY,
				    "pid %d: cannot write %zu bytes at 0x%llx: %s, and no "
				    "thread is stopped for PTRACE_POKEDATA", (int)t->pid, len,
				    (unsigned long long)addr, strerror(e));
	int r = poke_range(th->tid, addr, buf, len);
	if (r < 0)
		return soswap__fail(err, transfer_error(t, -r),
				    "pid %d: cannot write %zu bytes at 0x%llx: %s", (int)t->pid,
				    len, (unsigned long long)addr, strerror(-r));
	/* POKEDATA wrote what /proc/PID/mem refused: keep using it. */
	t->use_poke = 1;
	return 0;
}

int soswap__mem_write_batch(struct soswap_tracee *t, const struct soswap_mem_write *w,
			    size_t n, soswap_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = soswap__mem_write(t, w[i].addr, w[i].buf, w[i].len, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int soswap__mem_read_string(struct soswap_tracee *t, uint64_t addr, char *buf,
			    size_t size, soswap_err *err)
{
	if (!size)
		return soswap__fail(err, -EINVAL, "pid %d: empty string buffer", (int)t->pid);
	size_t got = 0;
	while (got + 1 < size) {
		/* Never cross a page boundary in one read: the string may end
		 * just before an unmapped page. */
		uint64_t a = addr + got;
		size_t n = 4096 - (a & 4095);
		if (n > size - 1 - got)
			n = size - 1 - got;
		int r = soswap__mem_read(t, a, buf + got, n, err);
		if (r < 0)
			return r;
		void *nul = memchr(buf + got, '\0', n);
		if (nul)
			return 0;
		got += n;
	}
	buf[size - 1] = '\0';
	return 0;
}
