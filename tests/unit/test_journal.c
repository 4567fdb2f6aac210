/* test_journal.c - the live swap's write-ahead journal: round trip
 * through the file, transaction states, and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "live-internal.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/soswap-test-journal.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("SOSWAP_RUN_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct soswap__write mkwrite(uint64_t addr, unsigned len, int seed)
{
	struct soswap__write w = { .addr = addr, .len = len };
	for (unsigned i = 0; i < len; i++) {
		w.old[i] = (unsigned char)(seed + i);
		w.new[i] = (unsigned char)(0xe9 - seed - i);
	}
	return w;
}

static void test_round_trip(void **state)
{
	(void)state;
	char path[512];
	soswap_err err = { 0 };
	uint64_t start;
	assert_int_equal(soswap__proc_start_time(getpid(), &start, &err), 0);
	assert_int_equal(soswap__journal_path(path, sizeof(path), getpid(), start, &err), 0);
	assert_non_null(strstr(path, dir));
	assert_non_null(strstr(path, "/journal/"));

	struct soswap__write w[3] = { mkwrite(0x7f0000001000ull, 8, 1),
				      mkwrite(0x7f0000002000ull, 5, 7),
				      mkwrite(0x401000, 14, 3) };
	unsigned id1, id2;
	assert_int_equal(soswap__journal_begin(path, getpid(), start, "/lib/old.so",
					       "/tmp/new\nname.so", w, 3, &id1, &err), 0);
	assert_int_equal(soswap__journal_mark(path, "commit", id1, &err), 0);
	assert_int_equal(soswap__journal_begin(path, getpid(), start, "a", "b", w, 1,
					       &id2, &err), 0);
	assert_int_equal(id2, id1 + 1);

	struct soswap__journal j;
	assert_int_equal(soswap__journal_load(&j, path, &err), 0);
	assert_int_equal(j.pid, getpid());
	assert_int_equal(j.start, start);
	assert_int_equal(j.ntx, 2);
	assert_true(j.tx[0].ready && j.tx[0].committed && !j.tx[0].rolled_back);
	assert_true(j.tx[1].ready && !j.tx[1].committed);
	assert_string_equal(j.tx[0].old_desc, "/lib/old.so");
	assert_string_equal(j.tx[0].new_desc, "/tmp/new?name.so");	/* one line */
	assert_int_equal(j.tx[0].nw, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(j.tx[0].w[i].addr, w[i].addr);
		assert_int_equal(j.tx[0].w[i].len, w[i].len);
		assert_memory_equal(j.tx[0].w[i].old, w[i].old, w[i].len);
		assert_memory_equal(j.tx[0].w[i].new, w[i].new, w[i].len);
	}
	soswap__journal_free(&j);

	assert_int_equal(soswap__journal_mark(path, "rollback", id2, &err), 0);
	assert_int_equal(soswap__journal_load(&j, path, &err), 0);
	assert_true(j.tx[1].rolled_back);
	soswap__journal_free(&j);

	/* A journal of another process (recycled pid) is refused. */
	assert_int_equal(soswap__journal_begin(path, getpid(), start + 1, "a", "b", w, 1,
					       &id2, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "another process"));
	unlink(path);
}

static int parse(const char *text, soswap_err *err)
{
	struct soswap__journal j;
	int r = soswap__journal_parse(&j, text, strlen(text), "j", err);
	soswap__journal_free(&j);
	return r;
}

static void test_hostile(void **state)
{
	(void)state;
	soswap_err err = { 0 };
	const char *hdr = "soswap-journal 1 42 7\n";
	char buf[512];
	assert_int_equal(parse("", &err), -EBADMSG);
	assert_int_equal(parse("hello\n", &err), -EBADMSG);
	assert_int_equal(parse("soswap-journal 1 0 7\n", &err), -EBADMSG);
	assert_int_equal(parse("soswap-journal 1 99999999999999999999999 7\n", &err), -EBADMSG);
	assert_int_equal(parse(hdr, &err), 0);
	const char *bad[] = {
		"w 1000 00 11\n",			/* outside a transaction */
		"begin 1\nw 1000 00 1122\n",		/* lengths differ */
		"begin 1\nw 1000 0 1\n",		/* odd hex */
		"begin 1\nw 1000 zz 11\n",		/* not hex */
		"begin 1\nw ffffffffffffffff 0011 2233\n", /* wraps */
		"begin 1\nw 1000 00112233445566778899aabbccddeeff00 00112233445566778899aabbccddeeff00\n",
		"begin 1\nbegin 1\n",			/* duplicate id */
		"commit 3\n",				/* unknown transaction */
		"begin 1\ncommit 1\n",			/* commit before ready */
		"begin 1\nready 1\nw 1000 00 11\n",	/* write after ready */
		"begin 1\nfrobnicate 1\n",
		"begin 1 2 3\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", hdr, bad[i]);
		err.msg[0] = '\0';
		assert_int_equal(parse(buf, &err), -EBADMSG);
		assert_non_null(strstr(err.msg, "j: line"));
	}
	snprintf(buf, sizeof(buf), "%sbegin 1\nold /x\nw 10 aa bb\nready 1\ncommit 1\n", hdr);
	assert_int_equal(parse(buf, &err), 0);
	/* a journal cut anywhere parses or fails cleanly */
	for (size_t n = 0; n < strlen(buf); n++) {
		struct soswap__journal j;
		(void)soswap__journal_parse(&j, buf, n, "cut", &err);
		soswap__journal_free(&j);
	}
}

static int touch(const char *name)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/journal/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fclose(f);
	return 0;
}

static int exists(const char *name)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof(path), "%s/journal/%s", dir, name);
	return stat(path, &st) == 0;
}

/* Journals of exited processes, or of a pid now used by another process,
 * go; the journal of a live process and files that are no journal stay. */
static void test_prune(void **state)
{
	(void)state;
	char mine[64], reused[64], dead[64], path[400];
	uint64_t start;
	assert_int_equal(soswap__proc_start_time(getpid(), &start, NULL), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(soswap__journal_path(path, sizeof(path), getpid(), start, NULL), 0);
	snprintf(mine, sizeof(mine), "%d-%llu", (int)getpid(), (unsigned long long)start);
	snprintf(reused, sizeof(reused), "%d-%llu", (int)getpid(), (unsigned long long)start + 7);
	snprintf(dead, sizeof(dead), "%d-%llu", (int)child, (unsigned long long)start);
	assert_int_equal(touch(mine), 0);
	assert_int_equal(touch(reused), 0);
	assert_int_equal(touch(dead), 0);
	assert_int_equal(touch("notes.txt"), 0);
	assert_int_equal(touch("123-x"), 0);
	soswap__journal_prune();
	assert_true(exists(mine));
	assert_false(exists(reused));
	assert_false(exists(dead));
	assert_true(exists("notes.txt"));
	assert_true(exists("123-x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_prune),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
