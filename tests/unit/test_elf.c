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
#include <cmocka.h>

#include "soswap.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
