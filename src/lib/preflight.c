/* preflight.c - what would make a live swap fail, found before the target
 * is touched: each check gives one line with the reason and the fix. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live-internal.h"

/* Read a small /proc file into buf; returns bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

/* Value of "Key:" in /proc/PID/status, or -1. */
static long status_field(const char *status, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtol(p + kl + 1, NULL, 10);
	return -1;
}

static int check_yama(pid_t pid, soswap_err *err)
{
	char buf[32];
	if (read_small("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)) <= 0)
		return 0;	/* no Yama */
	int scope = atoi(buf);
	if (scope >= 3)
		return soswap__fail(err, -EPERM, "pid %d: kernel.yama.ptrace_scope=3 forbids "
				    "every ptrace attach until reboot: no live swap possible",
				    (int)pid);
	if (scope == 2 && geteuid() != 0)
		return soswap__fail(err, -EPERM, "pid %d: kernel.yama.ptrace_scope=2 allows "
				    "only CAP_SYS_PTRACE to attach: run soswap as root", (int)pid);
	/* scope 1 (descendants only) is checked by opening /proc/PID/mem,
	 * which applies the same rule. */
	return 0;
}

int soswap__preflight_target(pid_t pid, struct soswap__target_info *ti,
			     soswap_err *err)
{
	char path[64], status[4096];
	memset(ti, 0, sizeof(*ti));
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, status, sizeof(status)) <= 0)
		return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
	long uid = -1;
	const char *u = strstr(status, "\nUid:");
	if (u)
		uid = strtol(u + 5, NULL, 10);
	ti->uid = (uid_t)uid;
	long tracer = status_field(status, "TracerPid");
	if (tracer > 0 && tracer != getpid()) {
		char comm[64] = "?";
		snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
		if (read_small(path, comm, sizeof(comm)) > 0)
			comm[strcspn(comm, "\n")] = '\0';
		return soswap__fail(err, -EBUSY, "pid %d: already traced by pid %ld (%s): "
				    "detach the debugger first", (int)pid, tracer, comm);
	}
	ti->seccomp = (int)status_field(status, "Seccomp");
	int r = check_yama(pid, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	ti->memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (ti->memfd < 0) {
		int e = errno;
		if (e == ENOENT || e == ESRCH)
			return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
		return soswap__fail(err, -e, "pid %d: permission denied: run soswap as root "
				    "or as the target's user with kernel.yama.ptrace_scope=0",
				    (int)pid);
	}
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat("/proc/self/ns/mnt", &a) == 0 && stat(path, &b) == 0)
		ti->other_mntns = a.st_ino != b.st_ino || a.st_dev != b.st_dev;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	soswap_err e2;
	if (soswap_elf_open(&ti->exe, path, &e2) < 0) {
		close(ti->memfd);
		ti->memfd = -1;
		return soswap__fail(err, e2.code, "pid %d: cannot read its executable: %s",
				    (int)pid, e2.msg);
	}
	return 0;
}

void soswap__target_info_free(struct soswap__target_info *ti)
{
	if (ti->memfd >= 0)
		close(ti->memfd);
	ti->memfd = -1;
	soswap_elf_close(ti->exe);
	ti->exe = NULL;
}

/* The loader refuses to trust what others can change; so do we: NEW is
 * code soswap (usually root) makes another user's process run. */
static int safe_entry(const char *path, const struct stat *st, uid_t owner,
		      int is_dir, soswap_err *err)
{
	if (st->st_uid != 0 && st->st_uid != owner)
		return soswap__fail(err, -EINVAL, "%s: owned by uid %u, not by root or the "
				    "target's user (uid %u): refusing to inject it",
				    path, (unsigned)st->st_uid, (unsigned)owner);
	int sticky_root = is_dir && (st->st_mode & S_ISVTX) && st->st_uid == 0;
	if ((st->st_mode & S_IWOTH) && !sticky_root)
		return soswap__fail(err, -EINVAL, "%s: writable by others (mode %04o): anyone "
				    "could change the code injected; chmod o-w it",
				    path, (unsigned)(st->st_mode & 07777));
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !sticky_root)
		return soswap__fail(err, -EINVAL, "%s: writable by group %u (mode %04o): "
				    "chmod g-w it", path, (unsigned)st->st_gid,
				    (unsigned)(st->st_mode & 07777));
	return 0;
}

int soswap__preflight_new_path(const char *new_path, uid_t owner, soswap_err *err)
{
	char real[PATH_MAX];
	struct stat st;
	if (!realpath(new_path, real))
		return soswap__fail_errno(err, -errno, "%s", new_path);
	if (stat(real, &st) < 0)
		return soswap__fail_errno(err, -errno, "%s", new_path);
	if (!S_ISREG(st.st_mode))
		return soswap__fail(err, -EINVAL, "%s: not a regular file", new_path);
	int r = safe_entry(new_path, &st, owner, 0, err);
	/* every directory up to / */
	for (char *slash = strrchr(real, '/'); r == 0 && slash; slash = strrchr(real, '/')) {
		*slash = '\0';
		const char *d = real[0] ? real : "/";
		if (stat(d, &st) < 0)
			return soswap__fail_errno(err, -errno, "%s", d);
		r = safe_entry(d, &st, owner, 1, err);
		if (!real[0])
			break;
	}
	return r;
}

int soswap__preflight_new_elf(const soswap_elf *new_elf, const soswap_elf *exe,
			      soswap_err *err)
{
	const char *p = soswap_elf_path(new_elf);
	if (soswap_elf_class(new_elf) != soswap_elf_class(exe) ||
	    soswap_elf_machine(new_elf) != soswap_elf_machine(exe))
		return soswap__fail(err, -ENOEXEC, "%s: %s %s, but the target is %s %s",
				    p, soswap_elf_class(new_elf) == ELFCLASS32 ? "ELF32" : "ELF64",
				    soswap_elf_machine_name(soswap_elf_machine(new_elf)),
				    soswap_elf_class(exe) == ELFCLASS32 ? "ELF32" : "ELF64",
				    soswap_elf_machine_name(soswap_elf_machine(exe)));
	if (soswap_elf_kind(new_elf) != SOSWAP_ELF_DYN || !soswap_elf_has_dynamic(new_elf))
		return soswap__fail(err, -ENOEXEC, "%s: not a shared library (%s)", p,
				    soswap_elf_kind_name(soswap_elf_kind(new_elf)));
	if (soswap_elf_machine(new_elf) != EM_X86_64)
		return soswap__fail(err, -ENOEXEC, "%s: live swap supports x86-64 only", p);
	return 0;
}
