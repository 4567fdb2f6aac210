/* test_ldcache.c - the ld.so.cache reader against the real cache (and
 * ldconfig's own listing of it), caches written by ldconfig -C from
 * fixtures, and hand-made hostile images. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ldcache.h"

static struct soswap__platform plat_all(void)
{
	struct soswap__platform p = { 0 };
	p.isa_1 = SOSWAP__ISA_BASELINE | SOSWAP__ISA_V2 | SOSWAP__ISA_V3 | SOSWAP__ISA_V4;
	p.hwcap = 1u << 1;
	strcpy(p.platform, "x86_64");
	soswap__platform_finish(&p);
	return p;
}

/* The number ldconfig -p reports and the path it lists for libc. */
static void test_real_cache(void **state)
{
	(void)state;
	struct soswap__ldcache *c;
	soswap_err err;
	assert_int_equal(soswap__ldcache_open(&c, "/etc/ld.so.cache", &err), 0);
	assert_int_equal(c->format, SOSWAP_LDC_NEW);
	FILE *f = popen("ldconfig -p", "r");
	assert_non_null(f);
	unsigned n = 0;
	char line[4096], libc[4096] = "";
	assert_int_equal(fscanf(f, "%u libs found", &n), 1);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\tlibc.so.6 (libc6,x86-64") && !libc[0])
			sscanf(strstr(line, "=> ") + 3, "%4095s", libc);
	pclose(f);
	assert_int_equal(c->nentries, n);
	struct soswap__platform p;
	soswap__platform_detect(&p);
	const char *hit = soswap__ldcache_lookup(c, "libc.so.6", &p, NULL);
	assert_non_null(hit);
	assert_string_equal(hit, libc);
	assert_null(soswap__ldcache_lookup(c, "libdoes-not-exist.so.9", &p, NULL));
	assert_non_null(c->generator);
	assert_non_null(strstr(c->generator, "ldconfig"));
	for (size_t i = 0; i < c->nentries; i++) {
		assert_non_null(c->entries[i].name);
		assert_non_null(c->entries[i].path);
	}
	soswap__ldcache_free(c);
}

static int sh(const char *fmtstr, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmtstr);
	vsnprintf(cmd, sizeof(cmd), fmtstr, ap);
	va_end(ap);
	return system(cmd);
}

/* ldconfig -C writes glibc-hwcaps entries: the best level this CPU (or the
 * given platform) supports wins, and a lower one when the best is off. */
static void test_ldconfig_hwcaps(void **state)
{
	(void)state;
	char dir[] = "/tmp/soswap-ldc.XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *cc = getenv("CC") ? getenv("CC") : "cc";
	assert_int_equal(sh("set -e; cd %s; mkdir -p lib/glibc-hwcaps/x86-64-v2 lib/glibc-hwcaps/x86-64-v3;"
			    "echo 'int v(void){return 1;}' > v.c;"
			    "%s -shared -fPIC -o lib/libv.so.1 -Wl,-soname,libv.so.1 v.c;"
			    "cp lib/libv.so.1 lib/glibc-hwcaps/x86-64-v2/;"
			    "cp lib/libv.so.1 lib/glibc-hwcaps/x86-64-v3/;"
			    "echo %s/lib > ld.so.conf; ldconfig -C %s/ld.so.cache -f %s/ld.so.conf",
			    dir, cc, dir, dir, dir), 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/ld.so.cache", dir);
	struct soswap__ldcache *c;
	soswap_err err;
	assert_int_equal(soswap__ldcache_open(&c, path, &err), 0);
	assert_true(c->nsubdirs >= 2);
	size_t ext = 0;
	for (size_t i = 0; i < c->nentries; i++)
		if (c->entries[i].hwcaps_ext) {
			ext++;
			assert_non_null(c->entries[i].hwcaps_subdir);
			assert_int_equal(c->entries[i].flags, SOSWAP_LDC_FLAGS_X86_64);
		}
	assert_int_equal(ext, 2);

	struct soswap__platform p = plat_all();
	char want[4096];
	snprintf(want, sizeof(want), "%s/lib/glibc-hwcaps/x86-64-v3/libv.so.1", dir);
	assert_string_equal(soswap__ldcache_lookup(c, "libv.so.1", &p, NULL), want);
	p.isa_1 &= ~(SOSWAP__ISA_V3 | SOSWAP__ISA_V4);
	soswap__platform_finish(&p);
	snprintf(want, sizeof(want), "%s/lib/glibc-hwcaps/x86-64-v2/libv.so.1", dir);
	assert_string_equal(soswap__ldcache_lookup(c, "libv.so.1", &p, NULL), want);
	p.isa_1 = SOSWAP__ISA_BASELINE;
	soswap__platform_finish(&p);
	snprintf(want, sizeof(want), "%s/lib/libv.so.1", dir);
	assert_string_equal(soswap__ldcache_lookup(c, "libv.so.1", &p, NULL), want);
	soswap__ldcache_free(c);
	sh("rm -rf %s", dir);
}

/* A hand-made new-format image with entries NAME -> PATH and FLAGS. */
struct img {
	unsigned char b[4096];
	size_t len;
};

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void make_new(struct img *m, size_t n, const char *const *names,
		     const char *const *paths, const int32_t *flags, const uint64_t *hw)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->b, "glibc-ld.so.cache1.1", 20);
	put32(m->b + 20, (uint32_t)n);
	m->b[28] = 2;
	size_t str = 48 + n * 24;
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = m->b + 48 + i * 24;
		put32(e, (uint32_t)flags[i]);
		put32(e + 4, (uint32_t)str);
		strcpy((char *)m->b + str, names[i]);
		str += strlen(names[i]) + 1;
		put32(e + 8, (uint32_t)str);
		strcpy((char *)m->b + str, paths[i]);
		str += strlen(paths[i]) + 1;
		put64(e + 16, hw ? hw[i] : 0);
	}
	put32(m->b + 24, (uint32_t)(str - 48 - n * 24));
	m->len = str;
}

static void test_flags_select_abi(void **state)
{
	(void)state;
	/* Sorted as ldconfig sorts: same name, the x32 entry first. */
	const char *names[] = { "libq.so.1", "libq.so.1" };
	const char *paths[] = { "/libx32/libq.so.1", "/lib64/libq.so.1" };
	int32_t flags[] = { 0x0803, 0x0303 };
	struct img m;
	make_new(&m, 2, names, paths, flags, NULL);
	struct soswap__ldcache *c;
	soswap_err err;
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len, "img", &err), 0);
	struct soswap__platform p = plat_all();
	size_t idx = 9;
	assert_string_equal(soswap__ldcache_lookup(c, "libq.so.1", &p, &idx), "/lib64/libq.so.1");
	assert_int_equal(idx, 1);
	soswap__ldcache_free(c);
	/* Only a 32-bit entry: nothing for x86-64. */
	flags[1] = 0x0003;
	make_new(&m, 2, names, paths, flags, NULL);
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len, "img", &err), 0);
	assert_null(soswap__ldcache_lookup(c, "libq.so.1", &p, NULL));
	soswap__ldcache_free(c);
}

/* Legacy hwcap entries need bits this CPU has; "tls" is always fine. */
static void test_legacy_hwcap(void **state)
{
	(void)state;
	const char *names[] = { "libh.so", "libh.so", "libh.so" };
	const char *paths[] = { "/avx/libh.so", "/tls/libh.so", "/plain/libh.so" };
	int32_t flags[] = { 0x303, 0x303, 0x303 };
	uint64_t hw[] = { 1ull << 2, SOSWAP_LDC_HWCAP_TLS, 0 };
	struct img m;
	make_new(&m, 3, names, paths, flags, hw);
	struct soswap__ldcache *c;
	soswap_err err;
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len, "img", &err), 0);
	struct soswap__platform p = plat_all();
	assert_string_equal(soswap__ldcache_lookup(c, "libh.so", &p, NULL), "/tls/libh.so");
	p.hwcap |= 1u << 2;
	assert_string_equal(soswap__ldcache_lookup(c, "libh.so", &p, NULL), "/avx/libh.so");
	soswap__ldcache_free(c);
}

static void test_old_format(void **state)
{
	(void)state;
	unsigned char b[256] = { 0 };
	memcpy(b, "ld.so-1.7.0", 11);
	put32(b + 12, 1);
	put32(b + 16, 0x303);
	put32(b + 20, 0);
	put32(b + 24, 9);
	strcpy((char *)b + 28, "libo.so.2");	/* 10 bytes: "libo.so.2\0" */
	strcpy((char *)b + 28 + 9, "");	/* overlapped below */
	memcpy(b + 28, "libo.so.2", 10);
	memcpy(b + 28 + 10, "/o/libo.so.2", 13);
	put32(b + 24, 10);
	struct soswap__ldcache *c;
	soswap_err err;
	assert_int_equal(soswap__ldcache_parse(&c, b, 28 + 23, "old", &err), 0);
	assert_int_equal(c->format, SOSWAP_LDC_OLD);
	struct soswap__platform p = plat_all();
	assert_string_equal(soswap__ldcache_lookup(c, "libo.so.2", &p, NULL), "/o/libo.so.2");
	soswap__ldcache_free(c);
}

static void test_hostile(void **state)
{
	(void)state;
	struct soswap__ldcache *c;
	soswap_err err;
	/* Wrong magic, truncated header, too many entries, offsets past the
	 * end, wrong byte order: errors or NULL strings, never a crash. */
	assert_int_equal(soswap__ldcache_parse(&c, "nope", 4, "x", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "x: corrupt ld.so.cache"));
	struct img m;
	const char *names[] = { "liba.so" };
	const char *paths[] = { "/a/liba.so" };
	int32_t flags[] = { 0x303 };
	make_new(&m, 1, names, paths, flags, NULL);
	put32(m.b + 20, 1000000);
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len, "x", &err), -ENOEXEC);
	make_new(&m, 1, names, paths, flags, NULL);
	m.b[28] = 3;
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len, "x", &err), -ENOEXEC);
	make_new(&m, 1, names, paths, flags, NULL);
	put32(m.b + 48 + 8, 0xfffffff0);
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len, "x", &err), 0);
	assert_null(c->entries[0].path);
	struct soswap__platform p = plat_all();
	assert_null(soswap__ldcache_lookup(c, "liba.so", &p, NULL));
	soswap__ldcache_free(c);
	/* A string running to the end of the image without a NUL. */
	make_new(&m, 1, names, paths, flags, NULL);
	assert_int_equal(soswap__ldcache_parse(&c, m.b, m.len - 1, "x", &err), 0);
	assert_null(c->entries[0].path);
	soswap__ldcache_free(c);
}

static void test_libcmp(void **state)
{
	(void)state;
	assert_true(soswap__ldcache_libcmp("libz.so.10", "libz.so.9") > 0);
	assert_true(soswap__ldcache_libcmp("libz.so.1", "libz.so.1") == 0);
	assert_true(soswap__ldcache_libcmp("liba.so", "libb.so") < 0);
	assert_true(soswap__ldcache_libcmp("lib1", "liba") > 0);	/* digits sort after */
	assert_true(soswap__ldcache_libcmp("libz.so", "libz.so.1") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_cache),
		cmocka_unit_test(test_ldconfig_hwcaps),
		cmocka_unit_test(test_flags_select_abi),
		cmocka_unit_test(test_legacy_hwcap),
		cmocka_unit_test(test_old_format),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_libcmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
