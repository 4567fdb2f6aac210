/* test_elf.c - the ELF reader on real files and on hostile mutations of
 * them: every rejection is -ENOEXEC with a message naming the input. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dynload.h"
#include "elf-internal.h"

#define LIBZ "/lib/x86_64-linux-gnu/libz.so.1"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void test_libz(void **state)
{
	(void)state;
	soswap_elf *e;
	soswap_err err = { 0 };
	assert_int_equal(soswap_elf_open(&e, LIBZ, &err), 0);
	assert_string_equal(soswap_elf_soname(e), "libz.so.1");
	assert_int_equal(soswap_elf_class(e), ELFCLASS64);
	assert_int_equal(soswap_elf_machine(e), EM_X86_64);
	assert_int_equal(soswap_elf_kind(e), SOSWAP_ELF_DYN);
	assert_int_equal(soswap_elf_needed_count(e), 1);
	assert_string_equal(soswap_elf_needed(e, 0), "libc.so.6");
	assert_null(soswap_elf_needed(e, 1));
	const struct soswap_sym *s;
	ssize_t n = soswap_elf_symbols(e, &s, &err);
	assert_true(n > 50);
	int found = 0;
	for (ssize_t i = 0; i < n; i++)
		if (!strcmp(s[i].name, "inflate") && s[i].defined &&
		    s[i].type == STT_FUNC && s[i].size > 0)
			found = 1;
	assert_true(found);
	const struct soswap_reloc *r;
	assert_true(soswap_elf_relocs(e, &r, &err) > 0);
	uint64_t off;
	assert_int_equal(soswap_elf_vaddr_to_offset(e, 0, 64, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(soswap_elf_vaddr_to_offset(e, UINT64_MAX - 3, 8, &off), -EFAULT);
	soswap_elf_close(e);
	soswap_elf_close(NULL);
}

/* Corrupt one field of a good image and check the reader neither crashes
 * nor accepts garbage silently where the loader would refuse. */
static void test_mutations(void **state)
{
	(void)state;
	size_t len;
	unsigned char *good = slurp(LIBZ, &len);
	unsigned char *b = malloc(len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	soswap_elf *e;
	soswap_err err;

	memcpy(b, good, len);
	eh->e_phoff = len - 8;	/* program headers past the end */
	assert_int_equal(soswap_elf_open_memory(&e, b, len, "m1", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "m1: corrupt ELF file"));

	memcpy(b, good, len);
	eh->e_phentsize = 7;
	assert_int_equal(soswap_elf_open_memory(&e, b, len, "m2", &err), -ENOEXEC);

	memcpy(b, good, len);
	b[EI_CLASS] = 9;
	assert_int_equal(soswap_elf_open_memory(&e, b, len, "m3", &err), -ENOEXEC);

	memcpy(b, good, len);
	memcpy(b, "\177ELG", 4);
	assert_int_equal(soswap_elf_open_memory(&e, b, len, "m4", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "bad magic"));

	/* PT_DYNAMIC pointing past the end of the file */
	memcpy(b, good, len);
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			ph[i].p_offset = len + 100;
	assert_int_equal(soswap_elf_open_memory(&e, b, len, "m5", &err), -ENOEXEC);

	/* every single-byte change in the first 4 KiB: never a crash */
	for (size_t i = 0; i < 4096 && i < len; i++) {
		memcpy(b, good, len);
		b[i] ^= 0xff;
		if (soswap_elf_open_memory(&e, b, len, "flip", &err) == 0) {
			const struct soswap_sym *s;
			const struct soswap_verdef *d;
			const struct soswap_verneed *nd;
			const struct soswap_reloc *r;
			(void)soswap_elf_symbols(e, &s, &err);
			(void)soswap_elf_verdefs(e, &d, &err);
			(void)soswap_elf_verneeds(e, &nd, &err);
			(void)soswap_elf_relocs(e, &r, &err);
			soswap_elf_close(e);
		}
	}
	free(b);
	free(good);
}

static int streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Does the headers-only object H describe the same thing as the fully
 * mapped F?  Symbols and relocations of H are read on demand. */
static int same_object(soswap_elf *h, soswap_elf *f)
{
	soswap_err err;
	if (!streq(soswap_elf_soname(h), soswap_elf_soname(f)) ||
	    !streq(soswap_elf_rpath(h), soswap_elf_rpath(f)) ||
	    !streq(soswap_elf_runpath(h), soswap_elf_runpath(f)) ||
	    !streq(soswap_elf_interp(h), soswap_elf_interp(f)) ||
	    !streq(soswap_elf_build_id(h), soswap_elf_build_id(f)) ||
	    soswap_elf_kind(h) != soswap_elf_kind(f) || soswap_elf_flags(h) != soswap_elf_flags(f) ||
	    soswap_elf_flags_1(h) != soswap_elf_flags_1(f) ||
	    soswap_elf_has_dynamic(h) != soswap_elf_has_dynamic(f) ||
	    soswap_elf_relro(h) != soswap_elf_relro(f) ||
	    soswap_elf_needed_count(h) != soswap_elf_needed_count(f))
		return 0;
	for (size_t i = 0; i < soswap_elf_needed_count(h); i++)
		if (!streq(soswap_elf_needed(h, i), soswap_elf_needed(f, i)))
			return 0;
	const struct soswap_sym *sh, *sf;
	ssize_t nh = soswap_elf_symbols(h, &sh, &err), nf = soswap_elf_symbols(f, &sf, &err);
	if (nh != nf)
		return 0;
	for (ssize_t i = 0; i < nh; i++)
		if (!streq(sh[i].name, sf[i].name) || !streq(sh[i].version, sf[i].version) ||
		    sh[i].value != sf[i].value)
			return 0;
	const struct soswap_reloc *rh, *rf;
	return soswap_elf_relocs(h, &rh, &err) == soswap_elf_relocs(f, &rf, &err);
}

/* Open PATH headers-only, with its first HEADLEN bytes given or not. */
static int open_headers(soswap_elf **e, const char *path, size_t headlen, soswap_err *err)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	unsigned char head[4096];
	ssize_t n = headlen ? pread(fd, head, headlen, 0) : 0;
	int r = soswap__elf_open_headers(e, fd, path, NULL, n > 0 ? head : NULL,
					 n > 0 ? (size_t)n : 0, NULL, NULL, err);
	close(fd);
	return r;
}

/* The resolver's pread-based reader agrees with the mapped one on real
 * programs and libraries, whatever part of the file the caller read. */
static void test_headers_only(void **state)
{
	(void)state;
	static const char *const files[] = {
		LIBZ, "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
		"/usr/bin/ls", "/usr/bin/bash", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
	};
	static const size_t heads[] = { 0, 64, 700, 4096 };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		for (size_t k = 0; k < ARRAY_SIZE(heads); k++) {
			soswap_elf *h, *f;
			soswap_err err;
			assert_int_equal(open_headers(&h, files[i], heads[k], &err), 0);
			assert_int_equal(soswap_elf_open(&f, files[i], &err), 0);
			assert_true(h->headers_only);
			assert_null(soswap_elf_bytes(h, NULL));
			if (!same_object(h, f))
				fail_msg("%s (head %zu): headers-only read differs", files[i], heads[k]);
			assert_non_null(soswap_elf_bytes(h, NULL));	/* mapped on demand */
			soswap_elf_close(h);
			soswap_elf_close(f);
		}
}

/* A file replaced between the header read and the symbol read is not
 * silently mixed up with its successor; hostile bytes never crash the
 * reader, and whenever both readers accept a file they agree. */
static void test_headers_only_hostile(void **state)
{
	(void)state;
	char path[] = "/tmp/soswap-test-elf.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len;
	unsigned char *good = slurp(LIBZ, &len);
	assert_int_equal(write(fd, good, len), (ssize_t)len);
	soswap_elf *h, *f;
	soswap_err err;
	assert_int_equal(open_headers(&h, path, 4096, &err), 0);
	char other[sizeof(path) + 4];
	snprintf(other, sizeof(other), "%s.new", path);
	FILE *o = fopen(other, "wb");
	assert_non_null(o);
	assert_int_equal(fwrite(good, 1, len, o), len);
	fclose(o);
	assert_int_equal(rename(other, path), 0);
	const struct soswap_sym *s;
	assert_int_equal(soswap_elf_symbols(h, &s, &err), -ESTALE);
	assert_non_null(strstr(err.msg, "changed since it was read"));
	soswap_elf_close(h);

	close(fd);
	fd = open(path, O_RDWR);	/* the file now at PATH */
	assert_true(fd >= 0);
	unsigned char *b = malloc(len);
	for (size_t i = 0; i < 4096 && i < len; i++) {
		memcpy(b, good, len);
		b[i] ^= 0xff;
		assert_int_equal(pwrite(fd, b, len, 0), (ssize_t)len);
		int rh = open_headers(&h, path, i & 1 ? 4096 : 0, &err);
		int rf = soswap_elf_open_memory(&f, b, len, path, &err);
		if (rh == 0 && rf == 0 && !same_object(h, f))
			fail_msg("byte %zu flipped: the two readers disagree", i);
		if (rh == 0)
			soswap_elf_close(h);
		if (rf == 0)
			soswap_elf_close(f);
	}
	/* e_phoff 0: no program header table, whatever e_phnum says (the
	 * fuzzer's first find) */
	memcpy(b, good, len);
	((Elf64_Ehdr *)b)->e_phoff = 0;
	assert_int_equal(pwrite(fd, b, len, 0), (ssize_t)len);
	assert_int_equal(open_headers(&h, path, 4096, &err), 0);
	assert_int_equal(soswap_elf_open_memory(&f, b, len, path, &err), 0);
	assert_int_equal(h->phnum, 0);
	assert_false(soswap_elf_has_dynamic(h));
	assert_true(same_object(h, f));
	soswap_elf_close(h);
	soswap_elf_close(f);
	close(fd);
	unlink(path);
	free(b);
	free(good);
}

/* Optional libraries: a missing one, or one without a function, is a
 * clear error that names it and what to install, every time it is asked
 * for; a present one fills its slots once. */
static void test_dynload(void **state)
{
	(void)state;
	void *f1 = NULL, *f2 = NULL;
	const struct soswap__dynsym none[] = { { "f", &f1 } };
	struct soswap__dynlib missing = SOSWAP__DYNLIB("libsoswap-test-none.so.9", "nothing", none);
	soswap_err err;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(soswap__dynload(&missing, "the test library", &err), -ENOSYS);
		assert_non_null(strstr(err.msg, "cannot load the test library: "));
		assert_non_null(strstr(err.msg, "libsoswap-test-none.so.9"));
		assert_non_null(strstr(err.msg, "install nothing"));
	}
	const struct soswap__dynsym bad[] = { { "zlibVersion", &f1 }, { "no_such_fn", &f2 } };
	struct soswap__dynlib partial = SOSWAP__DYNLIB("libz.so.1", "zlib1g", bad);
	assert_int_equal(soswap__dynload(&partial, "zlib", &err), -ENOSYS);
	assert_non_null(strstr(err.msg, "libz.so.1: no no_such_fn"));
	const struct soswap__dynsym good[] = { { "zlibVersion", &f2 } };
	struct soswap__dynlib z = SOSWAP__DYNLIB("libz.so.1", "zlib1g", good);
	assert_int_equal(soswap__dynload(&z, "zlib", &err), 0);
	assert_non_null(f2);
	const char *(*version)(void) = (const char *(*)(void))f2;
	assert_non_null(version());
}

static void test_empty(void **state)
{
	(void)state;
	soswap_elf *e;
	soswap_err err;
	assert_int_equal(soswap_elf_open_memory(&e, "", 0, "empty", &err), -ENOEXEC);
	assert_null(e);
	assert_int_equal(soswap_elf_open(&e, "/nonexistent/x.so", &err), -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_int_equal(soswap_elf_open(&e, "/", &err), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libz),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_dynload),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_headers_only_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
