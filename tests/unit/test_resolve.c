/* test_resolve.c - the resolver's view of the machine against ld.so's own
 * (`ld.so --help`), and the resolver API on real system binaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ldcache.h"
#include "soswap.h"

/* The glibc-hwcaps and legacy subdirectories ld.so says it searches, in
 * its order, against ours. */
static void test_platform_matches_ldso(void **state)
{
	(void)state;
	FILE *f = popen("/lib64/ld-linux-x86-64.so.2 --help", "r");
	assert_non_null(f);
	char line[512], hw[8][64];
	size_t nhw = 0, nlegacy = 0;
	int section = 0;
	char platform[64] = "";
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "Subdirectories of glibc-hwcaps"))
			section = 1;
		else if (strstr(line, "Legacy HWCAP subdirectories"))
			section = 2;
		else if (line[0] != ' ')
			section = 0;
		else if (section == 1 && strstr(line, "supported, searched") && nhw < 8)
			sscanf(line, " %63s", hw[nhw++]);
		else if (section == 2 && strstr(line, "searched")) {
			nlegacy++;
			if (strstr(line, "AT_PLATFORM"))
				sscanf(line, " %63s", platform);
		}
	}
	pclose(f);
	struct soswap__platform p;
	soswap__platform_detect(&p);
	assert_int_equal(p.nsubdirs, nhw);
	for (size_t i = 0; i < nhw; i++)
		assert_string_equal(p.subdirs[i], hw[i]);
	assert_string_equal(p.platform, platform);
	/* Every subset of the searched legacy names (tls included). */
	assert_int_equal(p.nlegacy, (size_t)1 << nlegacy);
	assert_string_equal(p.legacy[p.nlegacy - 1], "");
}

static void test_resolve_ls(void **state)
{
	(void)state;
	soswap_resolver *r;
	soswap_deptree *t;
	soswap_err err;
	assert_int_equal(soswap_resolver_new(&r, &err), 0);
	assert_int_equal(soswap_resolver_setenv(r, "LD_LIBRARY_PATH", NULL, &err), 0);
	assert_int_equal(soswap_resolver_setenv(r, "LD_PRELOAD", NULL, &err), 0);
	assert_int_equal(soswap_resolve(r, "/usr/bin/ls", SOSWAP_RESOLVE_TRACE, &t, &err), 0);
	assert_true(soswap_deptree_count(t) >= 3);
	const struct soswap_dep *root = soswap_deptree_get(t, 0);
	assert_int_equal(root->source, SOSWAP_DEP_ROOT);
	assert_string_equal(soswap_deptree_interp(t), "/lib64/ld-linux-x86-64.so.2");
	int libc = 0;
	for (size_t i = 1; i < soswap_deptree_count(t); i++) {
		const struct soswap_dep *d = soswap_deptree_get(t, i);
		if (strcmp(d->name, "libc.so.6") == 0) {
			libc = 1;
			assert_int_equal(d->source, SOSWAP_DEP_LDCACHE);
			assert_non_null(soswap_deptree_elf(t, i));
			assert_string_equal(soswap_elf_soname(soswap_deptree_elf(t, i)), "libc.so.6");
		}
	}
	assert_true(libc);
	assert_int_equal(soswap_deptree_missing(t), 0);
	assert_null(soswap_deptree_secure(t));
	assert_true(soswap_deptree_tries_count(t) > 0);
	soswap_deptree_free(t);

	/* Forced secure mode: LD_LIBRARY_PATH is never searched. */
	assert_int_equal(soswap_resolver_setenv(r, "LD_LIBRARY_PATH", "/nonexistent", &err), 0);
	soswap_resolver_set_secure(r, SOSWAP_SECURE_ON);
	assert_int_equal(soswap_resolve(r, "/usr/bin/ls", SOSWAP_RESOLVE_TRACE, &t, &err), 0);
	assert_non_null(soswap_deptree_secure(t));
	for (size_t i = 0; i < soswap_deptree_tries_count(t); i++)
		assert_int_not_equal(soswap_deptree_try(t, i)->source, SOSWAP_DEP_LD_LIBRARY_PATH);
	soswap_deptree_free(t);
	soswap_resolver_set_secure(r, SOSWAP_SECURE_OFF);
	assert_int_equal(soswap_resolve(r, "/usr/bin/ls", SOSWAP_RESOLVE_TRACE, &t, &err), 0);
	int saw = 0;
	for (size_t i = 0; i < soswap_deptree_tries_count(t); i++)
		saw |= soswap_deptree_try(t, i)->source == SOSWAP_DEP_LD_LIBRARY_PATH;
	assert_true(saw);
	soswap_deptree_free(t);
	soswap_resolver_free(r);
}

static void test_bad_input(void **state)
{
	(void)state;
	soswap_resolver *r;
	soswap_deptree *t = NULL;
	soswap_err err;
	assert_int_equal(soswap_resolver_new(&r, &err), 0);
	assert_int_equal(soswap_resolve(r, "/nonexistent/prog", 0, &t, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/prog"));
	assert_int_equal(soswap_resolve(r, "/etc/passwd", 0, &t, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "/etc/passwd"));
	assert_int_equal(soswap_resolve(r, "/etc", 0, &t, &err), -EISDIR);
	assert_null(t);
	assert_int_equal(soswap_resolver_setenv(r, "PATH", "/x", &err), -EINVAL);
	assert_int_equal(soswap_resolver_set_root(r, "/nonexistent-root", &err), -ENOENT);
	soswap_resolver_free(r);
	soswap_resolver_free(NULL);
	soswap_deptree_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_matches_ldso),
		cmocka_unit_test(test_resolve_ls),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
