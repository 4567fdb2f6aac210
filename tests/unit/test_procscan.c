/* test_procscan.c - the /proc/PID/maps parser on real and hostile lines,
 * and soswap_maps_read() on this very process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procscan.h"

/* Parse a copy of `text` (the parser writes into the line). */
static int parse(const char *text, struct soswap_mapping *m, char **keep)
{
	*keep = strdup(text);
	assert_non_null(*keep);
	return soswap__maps_parse_line(*keep, strlen(*keep), m);
}

static void test_library_line(void **state)
{
	(void)state;
	struct soswap_mapping m;
	char *b;
	assert_int_equal(parse("7fde54ac2000-7fde54c18000 r-xp 00026000 fe:01 332835"
			       "                     /usr/lib/x86_64-linux-gnu/libc.so.6", &m, &b), 0);
	assert_int_equal(m.start, 0x7fde54ac2000ull);
	assert_int_equal(m.end, 0x7fde54c18000ull);
	assert_int_equal(m.offset, 0x26000);
	assert_string_equal(m.perms, "r-xp");
	assert_int_equal(major(m.dev), 0xfe);
	assert_int_equal(minor(m.dev), 1);
	assert_int_equal(m.ino, 332835);
	assert_string_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(m.deleted, 0);
	assert_int_equal(m.ident_from_maps, 1);
	free(b);
}

static void test_anonymous_and_pseudo(void **state)
{
	(void)state;
	struct soswap_mapping m;
	char *b;
	/* The kernel prints a blank after the inode of anonymous mappings. */
	assert_int_equal(parse("7fde54a19000-7fde54a3b000 rw-p 00000000 00:00 0 ", &m, &b), 0);
	assert_null(m.path);
	assert_int_equal(m.ino, 0);
	free(b);
	assert_int_equal(parse("7fde54a19000-7fde54a3b000 rw-p 00000000 00:00 0", &m, &b), 0);
	assert_null(m.path);
	free(b);
	const char *pseudo[] = { "[heap]", "[stack]", "[vdso]", "[vvar]", "[vsyscall]",
				 "[anon:glibc.malloc]", "[stack:1234]" };
	for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line),
			 "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  %s",
			 pseudo[i]);
		assert_int_equal(parse(line, &m, &b), 0);
		assert_string_equal(m.path, pseudo[i]);
		assert_int_equal(m.deleted, 0);
		free(b);
	}
}

static void test_spaces_and_deleted(void **state)
{
	(void)state;
	struct soswap_mapping m;
	char *b;
	assert_int_equal(parse("1000-2000 r-xp 00000000 08:02 77   /opt/my dir/lib x.so.1", &m, &b), 0);
	assert_string_equal(m.path, "/opt/my dir/lib x.so.1");
	free(b);
	assert_int_equal(parse("1000-2000 r-xp 00001000 08:02 77   /opt/a b/libz.so.1 (deleted)", &m, &b), 0);
	assert_string_equal(m.path, "/opt/a b/libz.so.1");
	assert_int_equal(m.deleted, 1);
	free(b);
	/* Only a trailing suffix counts. */
	assert_int_equal(parse("1000-2000 r-xp 0 08:02 77 /x (deleted)/liby.so", &m, &b), 0);
	assert_string_equal(m.path, "/x (deleted)/liby.so");
	assert_int_equal(m.deleted, 0);
	free(b);
	/* memfd, SysV shm and /dev/shm objects as the kernel prints them. */
	assert_int_equal(parse("7f0000000000-7f0000001000 rw-s 00000000 00:01 2049 "
			       "                      /memfd:jit-cache (deleted)", &m, &b), 0);
	assert_string_equal(m.path, "/memfd:jit-cache");
	assert_int_equal(m.deleted, 1);
	free(b);
	assert_int_equal(parse("7f0000000000-7f0000001000 rw-s 00000000 00:01 65538 "
			       "                    /SYSV00000000 (deleted)", &m, &b), 0);
	assert_string_equal(m.path, "/SYSV00000000");
	free(b);
	assert_int_equal(parse("7f0000000000-7f0000001000 r--s 00000000 00:1a 12 /dev/shm/pulse-shm-1", &m, &b), 0);
	assert_string_equal(m.path, "/dev/shm/pulse-shm-1");
	free(b);
	/* A newline in a file name is escaped by the kernel. */
	assert_int_equal(parse("1000-2000 r--p 0 08:02 9 /tmp/a\\012b.so", &m, &b), 0);
	assert_string_equal(m.path, "/tmp/a\\012b.so");
	free(b);
}

static void test_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
		"",
		"1000-2000",
		"1000-2000 r-xp",
		"1000-2000 r-xp 0",
		"1000-2000 r-xp 0 08:02",
		"1000-2000 r-xp 0 0802 5 /x",
		"1000 2000 r-xp 0 08:02 5 /x",
		"1000-2000 r-x 0 08:02 5 /x",
		"1000-2000 r-xpp 0 08:02 5 /x",
		"1000-2000 rQxp 0 08:02 5 /x",
		"2000-1000 r-xp 0 08:02 5 /x",		/* start > end */
		"g000-2000 r-xp 0 08:02 5 /x",
		"10000000000000000-20000000000000000 r-xp 0 08:02 5 /x", /* 17 digits */
		"1000-2000 r-xp 0 08:02 99999999999999999999999 /x",	/* overflow */
		"1000-2000 r-xp 0 08:02 5x /x",
		"1000-2000 r-xp 0 123456789:02 5 /x",
		"-2000 r-xp 0 08:02 5 /x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct soswap_mapping m;
		char *b;
		assert_int_equal(parse(bad[i], &m, &b), -EINVAL);
		free(b);
	}
}

static void test_long_line_and_nul(void **state)
{
	(void)state;
	size_t n = 70000;
	char *line = malloc(n + 64);
	assert_non_null(line);
	int k = snprintf(line, 64, "1000-2000 r-xp 0 08:02 5 /");
	memset(line + k, 'a', n);
	line[k + n] = '\0';
	struct soswap_mapping m;
	assert_int_equal(soswap__maps_parse_line(line, strlen(line), &m), 0);
	assert_int_equal(strlen(m.path), n + 1);
	free(line);

	/* An embedded NUL ends the path; nothing reads past the length. */
	char nul[] = "1000-2000 r-xp 0 08:02 5 /lib\0junk";
	assert_int_equal(soswap__maps_parse_line(nul, sizeof(nul) - 1, &m), 0);
	assert_string_equal(m.path, "/lib");
}

static void test_parse_buffer(void **state)
{
	(void)state;
	const char text[] =
		"1000-2000 r--p 00000000 08:02 5      /usr/lib/libq.so.1\n"
		"2000-3000 r-xp 00001000 08:02 5      /usr/lib/libq.so.1\n"
		"3000-4000 rw-p 00000000 00:00 0 \n"
		"4000-5000 r-xp 00000000 08:02 6      /tmp/libr.so (deleted)\n";
	soswap_maps *m;
	soswap_err err = { 0 };
	assert_int_equal(soswap__maps_parse(&m, text, sizeof(text) - 1, "t", &err), 0);
	assert_int_equal(soswap_maps_count(m), 4);
	assert_string_equal(soswap_maps_get(m, 1)->path, "/usr/lib/libq.so.1");
	assert_null(soswap_maps_get(m, 2)->path);
	assert_int_equal(soswap_maps_get(m, 3)->deleted, 1);
	assert_null(soswap_maps_get(m, 4));
	soswap_maps_free(m);

	const char bad[] = "1000-2000 r--p 00000000 08:02 5 /a\nnot a line\n";
	assert_int_equal(soswap__maps_parse(&m, bad, sizeof(bad) - 1, "t", &err), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(err.msg, "t: line 2"));
	/* Empty text: zero mappings (a kernel thread or a zombie). */
	assert_int_equal(soswap__maps_parse(&m, "", 0, "t", &err), 0);
	assert_int_equal(soswap_maps_count(m), 0);
	soswap_maps_free(m);
	soswap_maps_free(NULL);
}

/* This process maps libc: the identity from map_files (as root) or from the
 * maps line must equal stat() of the path. */
static void test_read_self(void **state)
{
	(void)state;
	soswap_maps *m;
	soswap_err err = { 0 };
	assert_int_equal(soswap_maps_read(&m, getpid(), &err), 0);
	int found = 0;
	for (size_t i = 0; i < soswap_maps_count(m); i++) {
		const struct soswap_mapping *v = soswap_maps_get(m, i);
		if (!v->path || !strstr(v->path, "/libc.so.6") || v->deleted)
			continue;
		struct stat st;
		assert_int_equal(stat(v->path, &st), 0);
		assert_int_equal(v->ino, st.st_ino);
		if (!v->ident_from_maps)
			assert_int_equal(v->dev, st.st_dev);
		if (geteuid() == 0)
			assert_int_equal(v->ident_from_maps, 0);
		found++;
	}
	assert_true(found >= 2);
	soswap_maps_free(m);
}

/* A file unlinked after mmap shows up as deleted, with its identity. */
static void test_read_deleted(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/soswap-maps-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	unlink(tmpl);
	soswap_maps *m;
	soswap_err err = { 0 };
	assert_int_equal(soswap_maps_read(&m, getpid(), &err), 0);
	int found = 0;
	for (size_t i = 0; i < soswap_maps_count(m); i++) {
		const struct soswap_mapping *v = soswap_maps_get(m, i);
		if (v->start != (uintptr_t)p)
			continue;
		found = 1;
		assert_string_equal(v->path, tmpl);
		assert_int_equal(v->deleted, 1);
		assert_int_equal(v->ino, st.st_ino);
		if (!v->ident_from_maps)
			assert_int_equal(v->dev, st.st_dev);
	}
	assert_true(found);
	soswap_maps_free(m);
	munmap(p, 4096);
}

static void test_read_gone(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	soswap_maps *m;
	soswap_err err = { 0 };
	assert_int_equal(soswap_maps_read(&m, pid, &err), -ESRCH);
	assert_null(m);
	assert_non_null(strstr(err.msg, "no such process"));
	assert_int_equal(soswap_maps_read(&m, 0, &err), -EINVAL);
}

/* A child that dlopens `lib` (NULL: nothing) and waits; returns its pid
 * once the library is mapped. */
static pid_t start_child(const char *lib)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		if (lib && !dlopen(lib, RTLD_NOW))
			_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* who finds a child through libc, the same with and without the
 * PROCMAP_QUERY prefilter, and never reports the scanner itself. */
/* /proc/PID/stat of a child whose name holds the characters that trip a
 * naive parser, then of its zombie, then of nothing. */
static void test_proc_stat(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "a) b (c\nd");
		char c = 1;
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	struct soswap__pstat st, self;
	assert_int_equal(soswap__proc_stat(pid, 0, &st), 0);
	assert_string_equal(st.comm, "a) b (c d");
	assert_true(st.state == 'S' || st.state == 'R');
	assert_int_equal(soswap__proc_stat(getpid(), 0, &self), 0);
	assert_true(st.start_ticks >= self.start_ticks);
	assert_int_equal(soswap__proc_stat(pid, pid, &st), 0);	/* the task view */
	assert_string_equal(st.comm, "a) b (c d");
	kill(pid, SIGKILL);
	siginfo_t si;
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(soswap__proc_stat(pid, 0, &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(soswap__proc_stat(pid, 0, &st), -ESRCH);
	close(p[0]);
	close(p[1]);
}

static void test_who_child(void **state)
{
	(void)state;
	pid_t child = start_child(NULL);
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	pid_t pids[2] = { child, getpid() };
	char comm[128] = "";
	for (int mode = 0; mode < 3; mode++) {
		/* PROCMAP_QUERY, maps text, brief details */
		static const unsigned flags[] = { 0, SOSWAP_SCAN_TEXT_ONLY, SOSWAP_SCAN_BRIEF };
		struct soswap_scan_opts o = { .pids = pids, .npids = 2, .flags = flags[mode] };
		soswap_scan *s;
		soswap_err err = { 0 };
		assert_int_equal(soswap_who(&s, &libc, 1, &o, &err), 0);
		assert_int_equal(soswap_scan_groups(s), 1);
		const struct soswap_lib_group *g = soswap_scan_group(s, 0);
		assert_int_equal(g->count, 1);
		const struct soswap_proc_map *p = soswap_scan_get(s, g->first);
		assert_int_equal(p->pid, child);
		assert_non_null(strstr(p->path, "libc.so.6"));
		assert_true(p->base != 0);
		assert_int_equal(p->flags, 0);
		assert_int_equal(soswap_scan_scanned(s), 1);
		assert_true(p->comm[0] != '\0');
		if (mode == 0)
			snprintf(comm, sizeof(comm), "%s", p->comm);
		assert_string_equal(p->comm, comm);	/* from stat or from comm */
		if (flags[mode] & SOSWAP_SCAN_BRIEF) {
			assert_string_equal(p->cmdline, "");
			assert_true(p->start_ns == -1);
		} else {
			assert_true(p->cmdline[0] != '\0');
			assert_true(p->start_ns > 0);
		}
		soswap_scan_free(s);
	}
	stop_child(child);
	soswap_scan *s;
	soswap_err err = { 0 };
	const char *missing = "/nonexistent/lib.so";
	assert_int_equal(soswap_who(&s, &missing, 1, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, missing));
	soswap_scan_free(NULL);
}

/* A library deleted, then one replaced by rename, under a child. */
static void test_stale_child(void **state)
{
	(void)state;
	char dir[] = "/tmp/soswap-stale-XXXXXX", lib[64], tmp[64];
	assert_non_null(mkdtemp(dir));
	snprintf(lib, sizeof(lib), "%s/libzcopy.so.1", dir);
	snprintf(tmp, sizeof(tmp), "%s/new.so", dir);
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", lib);
	pid_t child = start_child(lib);
	struct stat old;
	assert_int_equal(stat(lib, &old), 0);

	for (int step = 0; step < 2; step++) {
		if (step == 0) {
			assert_int_equal(unlink(lib), 0);
		} else {
			copy_file("/lib/x86_64-linux-gnu/libz.so.1", tmp);
			assert_int_equal(rename(tmp, lib), 0);
		}
		for (int text = 0; text < 2; text++) {
			struct soswap_scan_opts o = { .pids = &child, .npids = 1,
						      .flags = text ? SOSWAP_SCAN_TEXT_ONLY : 0 };
			soswap_scan *s;
			soswap_err err = { 0 };
			assert_int_equal(soswap_stale(&s, dir, &o, &err), 0);
			assert_int_equal(soswap_scan_groups(s), 1);
			const struct soswap_lib_group *g = soswap_scan_group(s, 0);
			assert_string_equal(g->path, lib);
			assert_int_equal(g->kind, step ? SOSWAP_STALE_REPLACED : SOSWAP_STALE_DELETED);
			assert_string_equal(soswap_stale_kind_name(g->kind), step ? "replaced" : "deleted");
			if (step)
				assert_string_equal(g->newer, lib);
			else
				assert_null(g->newer);
			assert_int_equal(g->ino, old.st_ino);
			assert_int_equal(g->count, 1);
			assert_int_equal(soswap_scan_get(s, g->first)->pid, child);
			soswap_scan_free(s);
			/* a filter elsewhere finds nothing */
			assert_int_equal(soswap_stale(&s, "/usr/lib/nothing-here", &o, &err), 0);
			assert_int_equal(soswap_scan_groups(s), 0);
			soswap_scan_free(s);
		}
	}
	stop_child(child);
	unlink(lib);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_line),
		cmocka_unit_test(test_proc_stat),
		cmocka_unit_test(test_anonymous_and_pseudo),
		cmocka_unit_test(test_spaces_and_deleted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_long_line_and_nul),
		cmocka_unit_test(test_parse_buffer),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_deleted),
		cmocka_unit_test(test_read_gone),
		cmocka_unit_test(test_who_child),
		cmocka_unit_test(test_stale_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
