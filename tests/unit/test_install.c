/* test_install.c - the install/rollback state record: hostile content,
 * caps, the state path of a directory, and stale temporary files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "state.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/soswap-unit-install.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	setenv("SOSWAP_STATE_DIR", root, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_state_dir(void **state)
{
	(void)state;
	char buf[PATH_MAX], want[PATH_MAX];
	assert_int_equal(soswap__state_dir(buf, sizeof(buf), "/usr/local/lib", NULL), 0);
	snprintf(want, sizeof(want), "%s/usr/local/lib", root);
	assert_string_equal(buf, want);
	assert_int_equal(soswap__state_dir(buf, sizeof(buf), "/", NULL), 0);
	assert_string_equal(buf, root);
	char small[8];
	soswap_err err = { 0 };
	assert_int_equal(soswap__state_dir(small, sizeof(small), "/usr/local/lib", &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "/usr/local/lib"));
}

static void test_roundtrip_and_cap(void **state)
{
	(void)state;
	struct soswap__state *st = calloc(1, sizeof(*st)), *back = calloc(1, sizeof(*back));
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/rt/lib", root);
	assert_int_equal(soswap__state_read(st, dir, "libfoo.so.1", NULL), 0);
	assert_false(st->exists);
	for (int i = 0; i < SOSWAP_STATE_MAX_PREVIOUS + 5; i++) {
		char name[64];
		snprintf(name, sizeof(name), "libfoo.so.1.%d", i);
		soswap__state_push(st, name);
		soswap__state_push(st, name);	/* repeated: recorded once */
	}
	assert_int_equal(st->nprev, SOSWAP_STATE_MAX_PREVIOUS);
	assert_string_equal(st->prev[0], "libfoo.so.1.5");
	strcpy(st->current, "libfoo.so.1.99");
	assert_int_equal(soswap__state_write(st, dir, "libfoo.so.1", NULL), 0);
	assert_int_equal(soswap__state_read(back, dir, "libfoo.so.1", NULL), 0);
	assert_true(back->exists);
	assert_false(back->layout_file);
	assert_int_equal(back->nprev, SOSWAP_STATE_MAX_PREVIOUS);
	assert_string_equal(back->prev[SOSWAP_STATE_MAX_PREVIOUS - 1],
			    st->prev[SOSWAP_STATE_MAX_PREVIOUS - 1]);
	assert_string_equal(back->current, "libfoo.so.1.99");
	free(st);
	free(back);
}

static void test_hostile(void **state)
{
	(void)state;
	struct soswap__state *st = calloc(1, sizeof(*st));
	char dir[PATH_MAX], path[PATH_MAX + 32];
	soswap_err err = { 0 };
	snprintf(dir, sizeof(dir), "%s/hostile", root);
	assert_int_equal(soswap__mkdirs(dir, NULL), 0);
	snprintf(path, sizeof(path), "%s/libx.so.1.state", dir);

	write_file(path, "garbage\n", 8);
	assert_int_equal(soswap__state_read(st, dir, "libx.so.1", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a soswap state file"));

	static const char slash[] = "soswap-state 1\nprevious ../../etc/passwd\n";
	write_file(path, slash, sizeof(slash) - 1);
	assert_int_equal(soswap__state_read(st, dir, "libx.so.1", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bad file name"));

	static const char dots[] = "soswap-state 1\ncurrent ..\n";
	write_file(path, dots, sizeof(dots) - 1);
	assert_int_equal(soswap__state_read(st, dir, "libx.so.1", &err), -EINVAL);

	/* NUL bytes, no final newline, unknown keys, an overlong name. */
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "soswap-state 1\nlayout file\nfuture x\nprevious a");
	buf[n++] = '\0';
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "b\nprevious libz.so.1.2");
	write_file(path, buf, (size_t)n);
	assert_int_equal(soswap__state_read(st, dir, "libx.so.1", &err), 0);
	assert_true(st->layout_file);
	assert_int_equal(st->nprev, 1);
	assert_string_equal(st->prev[0], "a");

	char *big = malloc(200000);
	memcpy(big, "soswap-state 1\nprevious ", 24);
	memset(big + 24, 'x', 200000 - 24);
	write_file(path, big, 200000);
	assert_int_equal(soswap__state_read(st, dir, "libx.so.1", &err), -EINVAL);
	free(big);

	/* Many entries: only the newest SOSWAP_STATE_MAX_PREVIOUS are kept. */
	size_t len = (size_t)snprintf(buf, sizeof(buf), "soswap-state 1\n");
	for (int i = 0; i < 60; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "previous l%d\n", i);
	write_file(path, buf, len);
	assert_int_equal(soswap__state_read(st, dir, "libx.so.1", &err), 0);
	assert_int_equal(st->nprev, SOSWAP_STATE_MAX_PREVIOUS);
	assert_string_equal(st->prev[SOSWAP_STATE_MAX_PREVIOUS - 1], "l59");
	free(st);
}

static void test_stale_tmp(void **state)
{
	(void)state;
	char dir[PATH_MAX], name[128];
	snprintf(dir, sizeof(dir), "%s/tmpclean", root);
	assert_int_equal(soswap__mkdirs(dir, NULL), 0);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd >= 0);
	/* A pid that surely no longer exists: a child that has been reaped. */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(name, sizeof(name), ".soswap-%d-0000abcd.tmp", (int)dead);
	close(openat(dirfd, name, O_CREAT | O_WRONLY, 0600));
	snprintf(name, sizeof(name), ".soswap-%d-0000abcd.tmp", (int)getppid());
	close(openat(dirfd, name, O_CREAT | O_WRONLY, 0600));	/* alive: kept */
	close(openat(dirfd, ".soswap-notapid.tmp", O_CREAT | O_WRONLY, 0600));
	close(openat(dirfd, "libfoo.so.1", O_CREAT | O_WRONLY, 0600));
	assert_int_equal(soswap__remove_stale_tmp(dirfd), 1);
	assert_int_equal(faccessat(dirfd, name, F_OK, 0), 0);
	assert_int_equal(faccessat(dirfd, "libfoo.so.1", F_OK, 0), 0);
	assert_int_equal(faccessat(dirfd, ".soswap-notapid.tmp", F_OK, 0), 0);
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_roundtrip_and_cap),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_stale_tmp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
