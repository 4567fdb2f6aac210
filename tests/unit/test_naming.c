/* test_naming.c - library name parsing and ldconfig's name order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "soswap.h"

static int sgn(int v) { return (v > 0) - (v < 0); }

/* The order ldconfig's _dl_cache_libcmp gives (by reading glibc's
 * elf/dl-cache.c; checked against `ldconfig -n` in tests/e2e/links.bats). */
static void test_cmp_order(void **state)
{
	(void)state;
	static const char *const ascending[] = {
		"libfoo.so", "libfoo.so.1", "libfoo.so.1.0", "libfoo.so.1.0.0",
		"libfoo.so.1.2", "libfoo.so.1.9.9", "libfoo.so.1.10", "libfoo.so.1.10.0",
		"libfoo.so.2", "libfoo.so.10",
	};
	for (size_t i = 0; i < sizeof(ascending) / sizeof(*ascending); i++) {
		assert_int_equal(soswap_name_cmp(ascending[i], ascending[i]), 0);
		for (size_t k = i + 1; k < sizeof(ascending) / sizeof(*ascending); k++) {
			assert_true(soswap_name_cmp(ascending[i], ascending[k]) < 0);
			assert_true(soswap_name_cmp(ascending[k], ascending[i]) > 0);
		}
	}
	/* Digits sort after any other character, leading zeros do not count. */
	assert_true(soswap_name_cmp("libfoo.so.1.a", "libfoo.so.1.2") < 0);
	assert_true(soswap_name_cmp("libfoo.so.1a", "libfoo.so.1.2") > 0);
	assert_true(soswap_name_cmp("libfoo.so.1", "libfoo.so.a") > 0);
	assert_int_equal(soswap_name_cmp("libfoo.so.01", "libfoo.so.1"), 0);
	assert_int_equal(sgn(soswap_name_cmp("liba.so", "libb.so")), -1);
	/* Runs of digits far past any integer type compare by value. */
	assert_true(soswap_name_cmp("libx.so.99999999999999999999999",
				    "libx.so.100000000000000000000000") < 0);
	assert_true(soswap_name_cmp("libx.so.4294967296", "libx.so.4294967295") > 0);
}

static void test_is_library(void **state)
{
	(void)state;
	assert_true(soswap_name_is_library("libfoo.so"));
	assert_true(soswap_name_is_library("libfoo.so.1.2.3"));
	assert_true(soswap_name_is_library("ld-linux-x86-64.so.2"));
	assert_true(soswap_name_is_library("libfoo-2.0.so.0"));
	assert_false(soswap_name_is_library("foo.so"));
	assert_false(soswap_name_is_library("libfoo.a"));
	assert_false(soswap_name_is_library(".soswap-12-abcdef01.tmp"));
	assert_false(soswap_name_is_library("dir/libfoo.so"));
	assert_false(soswap_name_is_library(NULL));
}

static void test_parse(void **state)
{
	(void)state;
	struct soswap_libname n;
	soswap_err err = { 0 };
	assert_int_equal(soswap_libname_parse(&n, "libfoo.so.1.2.3", &err), 0);
	assert_string_equal(n.stem, "libfoo");
	assert_string_equal(n.version, "1.2.3");
	assert_int_equal(n.nparts, 3);
	assert_int_equal(n.parts[0], 1);
	assert_int_equal(n.parts[2], 3);
	assert_true(n.numeric);

	assert_int_equal(soswap_libname_parse(&n, "libfoo.so", &err), 0);
	assert_string_equal(n.version, "");
	assert_int_equal(n.nparts, 0);

	/* The first ".so" that ends a component: a stem may contain ".so". */
	assert_int_equal(soswap_libname_parse(&n, "libsocket.sox.so.4", &err), 0);
	assert_string_equal(n.stem, "libsocket.sox");
	assert_string_equal(n.version, "4");
	assert_int_equal(soswap_libname_parse(&n, "libgtk-3.so.0.2404.32", &err), 0);
	assert_string_equal(n.stem, "libgtk-3");
	assert_int_equal(n.parts[1], 2404);

	assert_int_equal(soswap_libname_parse(&n, "libfoo.so.1.2rc1", &err), 0);
	assert_false(n.numeric);
	assert_int_equal(n.nparts, 2);

	assert_int_equal(soswap_libname_parse(&n, "libfoo.so.", &err), -EINVAL);
	assert_int_equal(soswap_libname_parse(&n, "libfoo.so.1..2", &err), -EINVAL);
	assert_int_equal(soswap_libname_parse(&n, "libfoo.a", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "libfoo.a"));
	assert_int_equal(soswap_libname_parse(&n, ".so.1", &err), -EINVAL);
	assert_int_equal(soswap_libname_parse(&n, "a/libfoo.so", &err), -EINVAL);
	char longname[400];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "lib", 3);
	memcpy(longname + 100, ".so.1", 5);
	assert_int_equal(soswap_libname_parse(&n, longname, &err), -EINVAL);
	assert_int_equal(soswap_libname_parse(&n, "libbig.so.99999999999999999999999", &err), 0);
	assert_int_equal(n.parts[0], (unsigned long)-1);
}

static void test_soname_matches(void **state)
{
	(void)state;
	struct soswap_libname so, real;
	assert_int_equal(soswap_libname_parse(&real, "libfoo.so.1.2.3", NULL), 0);
	assert_int_equal(soswap_libname_parse(&so, "libfoo.so.1", NULL), 0);
	assert_true(soswap_libname_soname_matches(&so, &real));
	assert_int_equal(soswap_libname_parse(&so, "libfoo.so.1.2", NULL), 0);
	assert_true(soswap_libname_soname_matches(&so, &real));
	assert_int_equal(soswap_libname_parse(&so, "libfoo.so.2", NULL), 0);
	assert_false(soswap_libname_soname_matches(&so, &real));
	assert_int_equal(soswap_libname_parse(&so, "libbar.so.1", NULL), 0);
	assert_false(soswap_libname_soname_matches(&so, &real));
	assert_int_equal(soswap_libname_parse(&real, "libfoo.so.12.0", NULL), 0);
	assert_int_equal(soswap_libname_parse(&so, "libfoo.so.1", NULL), 0);
	assert_false(soswap_libname_soname_matches(&so, &real));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmp_order),
		cmocka_unit_test(test_is_library),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_soname_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
