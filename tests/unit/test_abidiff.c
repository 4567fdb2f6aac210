/* test_abidiff.c - the ABI diff API: accessors on NULL, error contract,
 * real system libraries, and libraries with hostile DWARF (bytes of
 * .debug_info / .debug_abbrev flipped) that must give a verdict or an
 * error, never a crash (run under ASan in the sanitizer build). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "soswap.h"

#define LIBZ "/lib/x86_64-linux-gnu/libz.so.1"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/soswap-abidiff.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_null_handle(void **state)
{
	(void)state;
	assert_int_equal(soswap_abidiff_verdict(NULL), SOSWAP_ABI_SAME);
	assert_int_equal(soswap_abidiff_count(NULL), 0);
	assert_null(soswap_abidiff_change(NULL, 0));
	assert_int_equal(soswap_abidiff_used_dwarf(NULL), 0);
	assert_null(soswap_abidiff_debug_file(NULL, 0));
	soswap_abidiff_free(NULL);
}

static void test_missing_file(void **state)
{
	(void)state;
	soswap_abidiff *d = (soswap_abidiff *)&d;
	soswap_err err = { 0 };
	assert_int_equal(soswap_abidiff_files(&d, LIBZ, "/nonexistent/libx.so", 0, &err), -ENOENT);
	assert_null(d);
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/libx.so"));
	assert_null(strchr(err.msg, '\n'));
	/* err may be NULL */
	assert_int_equal(soswap_abidiff_files(&d, "/nonexistent/a", LIBZ, 0, NULL), -ENOENT);
}

static void test_same_library(void **state)
{
	(void)state;
	soswap_abidiff *d;
	soswap_err err = { 0 };
	assert_int_equal(soswap_abidiff_files(&d, LIBZ, LIBZ, 0, &err), 0);
	assert_int_equal(soswap_abidiff_verdict(d), SOSWAP_ABI_SAME);
	assert_int_equal(soswap_abidiff_count(d), 0);
	assert_null(soswap_abidiff_change(d, 0));
	soswap_abidiff_free(d);
}

/* libz "upgraded" to libc: a different SONAME, libz's symbols gone. */
static void test_different_library(void **state)
{
	(void)state;
	soswap_abidiff *d;
	soswap_err err = { 0 };
	struct soswap_abidiff_opts o = { .flags = SOSWAP_ABIDIFF_NO_DWARF };
	assert_int_equal(soswap_abidiff_files_opts(&d, LIBZ, LIBC, &o, &err), 0);
	assert_int_equal(soswap_abidiff_verdict(d), SOSWAP_ABI_INCOMPATIBLE);
	assert_int_equal(soswap_abidiff_used_dwarf(d), 0);
	size_t n = soswap_abidiff_count(d);
	assert_true(n > 2000);
	const struct soswap_abi_change *c = soswap_abidiff_change(d, 0);
	assert_string_equal(c->kind, "soname-changed");
	assert_true(c->incompatible);
	assert_null(c->symbol);
	assert_string_equal(c->detail, "SONAME changed from libz.so.1 to libc.so.6");
	int removed = 0, added = 0;
	for (size_t i = 0; i < n; i++) {
		c = soswap_abidiff_change(d, i);
		if (!strcmp(c->kind, "symbol-removed") && !strcmp(c->symbol, "inflate"))
			removed = c->incompatible;
		if (!strcmp(c->kind, "symbol-added") && !strcmp(c->symbol, "malloc@@GLIBC_2.2.5"))
			added = !c->incompatible;
	}
	assert_true(removed);
	assert_true(added);
	assert_null(soswap_abidiff_change(d, n));
	soswap_abidiff_free(d);
}

static void build_fixture(const char *src, const char *out)
{
	const char *cc = getenv("CC"), *root = getenv("SOSWAP_SRC");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' -g -O1 -shared -fPIC -o '%s' '%s/tests/fixtures/diff/%s'",
		 cc ? cc : "cc", out, root ? root : ".", src);
	assert_int_equal(system(cmd), 0);
}

/* File offset and size of a named section, via libelf. */
static int section_range(const char *path, const char *name, size_t *off, size_t *size)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	int found = 0;
	assert_non_null(e);
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		const char *n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			found = 1;
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

static void mutate_copy(const char *from, const char *to, size_t off, size_t size,
			unsigned *seed)
{
	FILE *f = fopen(from, "rb");
	assert_non_null(f);
	static unsigned char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(buf) && off + size <= n);
	int flips = 1 + rand_r(seed) % 8;
	for (int i = 0; i < flips; i++) {
		size_t at = off + (size_t)rand_r(seed) % size;
		buf[at] = (unsigned char)(rand_r(seed) % 3 == 0 ? 0xff : rand_r(seed));
	}
	f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

static void test_hostile_dwarf(void **state)
{
	(void)state;
	char good[128], other[128], bad[128];
	snprintf(good, sizeof(good), "%s/nested.so", tmpdir);
	snprintf(other, sizeof(other), "%s/nested-new.so", tmpdir);
	snprintf(bad, sizeof(bad), "%s/bad.so", tmpdir);
	build_fixture("nested.old.c", good);
	build_fixture("nested.new.c", other);

	soswap_abidiff *d;
	soswap_err err = { 0 };
	assert_int_equal(soswap_abidiff_files(&d, good, other, 0, &err), 0);
	assert_int_equal(soswap_abidiff_used_dwarf(d), 1);
	assert_int_equal(soswap_abidiff_verdict(d), SOSWAP_ABI_INCOMPATIBLE);
	soswap_abidiff_free(d);

	const char *sections[] = { ".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str" };
	unsigned seed = 4242;
	int verdicts = 0;
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		size_t off, size;
		if (!section_range(good, sections[s], &off, &size))
			continue;
		for (int i = 0; i < 60; i++) {
			mutate_copy(good, bad, off, size, &seed);
			int r = soswap_abidiff_files(&d, bad, other, 0, &err);
			assert_true(r == 0 || r < 0);
			if (r == 0) {
				verdicts++;
				/* the symbol tables of both are the same: any change
				 * comes from DWARF that was read */
				if (!soswap_abidiff_used_dwarf(d))
					assert_int_equal(soswap_abidiff_verdict(d), SOSWAP_ABI_SAME);
				for (size_t k = 0; k < soswap_abidiff_count(d); k++)
					assert_non_null(soswap_abidiff_change(d, k)->detail);
			}
			soswap_abidiff_free(d);
		}
	}
	assert_true(verdicts > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_handle),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_same_library),
		cmocka_unit_test(test_different_library),
		cmocka_unit_test(test_hostile_dwarf),
	};
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
