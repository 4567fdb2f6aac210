/* test_patch.c - the live-swap plan, computed and applied inside this
 * very process: libcounter v1 (loaded as a dependency of libuser, with
 * RTLD_LOCAL) is replaced by v2 through /proc/self/mem, and calls are
 * checked before, after and after undoing the writes. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "live-internal.h"

static char dir[256];

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static int build(void **state)
{
	(void)state;
	const char *src = getenv("SOSWAP_SRC");
	const char *cc = getenv("CC") ? getenv("CC") : "cc";
	char fix[512];
	snprintf(fix, sizeof(fix), "%s/tests/fixtures/live", src ? src : ".");
	snprintf(dir, sizeof(dir), "/tmp/soswap-test-patch.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	const char *so = "-shared -fPIC -O1 -Wl,-soname,libcounter.so.1";
	sh("mkdir -p %s/v1 && %s %s -DVERSION=1 -o %s/v1/libcounter.so.1 %s/counter.c",
	   dir, cc, so, dir, fix);
	sh("%s %s -DVERSION=2 -o %s/v2.so %s/counter.c", cc, so, dir, fix);
	sh("%s %s -DVERSION=2 -DDROP_COMPUTE -o %s/missing.so %s/counter.c", cc, so, dir, fix);
	sh("%s %s -DVERSION=2 -DTABLE_SIZE=8 -o %s/bigtable.so %s/counter.c", cc, so, dir, fix);
	sh("%s -shared -fPIC -O1 -o %s/libuser.so %s/user.c %s/v1/libcounter.so.1 "
	   "-Wl,-rpath,%s/v1", cc, dir, fix, dir, dir);
	return 0;
}

static int cleanup(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

struct fixture {
	int memfd;
	void *user, *v1, *v2;
	struct soswap__modules mods;
	unsigned char *family;
	size_t new_idx, old_idx, user_idx;
};

static ssize_t module_of(const struct soswap__modules *m, void *handle)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->m[i].lm == (uint64_t)(uintptr_t)handle)
			return (ssize_t)i;
	return -1;
}

static void load(struct fixture *f, const char *new_name)
{
	char path[512];
	soswap_err err = { 0 };
	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/libuser.so", dir);
	f->user = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	assert_non_null(f->user);
	snprintf(path, sizeof(path), "%s/v1/libcounter.so.1", dir);
	f->v1 = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
	assert_non_null(f->v1);
	snprintf(path, sizeof(path), "%s/%s", dir, new_name);
	f->v2 = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(f->v2);
	f->memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	assert_true(f->memfd >= 0);
	int r = soswap__modules_read(&f->mods, getpid(), soswap__procmem_read,
				     &f->memfd, &err);
	if (r < 0)
		fail_msg("modules_read: %s", err.msg);
	f->family = calloc(f->mods.n, 1);
	for (size_t i = 0; i < f->mods.n; i++) {
		const char *so = f->mods.m[i].elf ? soswap_elf_soname(f->mods.m[i].elf) : NULL;
		f->family[i] = so && !strcmp(so, "libcounter.so.1");
	}
	ssize_t n = module_of(&f->mods, f->v2), o = module_of(&f->mods, f->v1),
		u = module_of(&f->mods, f->user);
	assert_true(n >= 0 && o >= 0 && u >= 0);
	assert_true(f->family[n] && f->family[o] && !f->family[u]);
	f->new_idx = (size_t)n;
	f->old_idx = (size_t)o;
	f->user_idx = (size_t)u;
}

static void unload(struct fixture *f)
{
	soswap__modules_free(&f->mods);
	free(f->family);
	close(f->memfd);
	dlclose(f->v2);
	dlclose(f->v1);
	dlclose(f->user);
}

static int plan(struct fixture *f, struct soswap__plan *p, soswap_err *err)
{
	struct soswap__plan_in in = {
		.mods = &f->mods, .rd = soswap__procmem_read, .rctx = &f->memfd,
		.family = f->family, .new_idx = f->new_idx, .old_idx = f->old_idx,
	};
	return soswap__plan_build(p, &in, err);
}

static void apply(struct fixture *f, const struct soswap__plan *p, int undo)
{
	for (size_t i = 0; i < p->nw; i++) {
		const struct soswap__write *w = &p->w[i];
		assert_int_equal(pwrite(f->memfd, undo ? w->old : w->new, w->len,
					(off_t)w->addr), (ssize_t)w->len);
	}
}

static const char *skip_reason(const struct soswap__plan *p, const char *name)
{
	for (size_t i = 0; i < p->nskipped; i++)
		if (!strcmp(p->skipped[i].name, name))
			return p->skipped[i].reason;
	return NULL;
}

static void test_swap_in_process(void **state)
{
	(void)state;
	struct fixture f;
	struct soswap__plan p;
	soswap_err err = { 0 };
	load(&f, "v2.so");
	long (*user_compute)(long) = (long (*)(long))dlsym(f.user, "user_compute");
	long (*old_compute)(long) = (long (*)(long))dlsym(f.v1, "counter_compute");
	long (*old_twice)(long) = (long (*)(long))dlsym(f.v1, "counter_twice");
	int (*old_version)(void) = (int (*)(void))dlsym(f.v1, "counter_version");
	long *old_total = dlsym(f.v1, "counter_total");
	void *new_compute = dlsym(f.v2, "counter_compute");
	assert_true(user_compute && old_compute && old_version && old_total && new_compute);

	/* libuser was loaded lazily and never called: its slot is unbound */
	if (plan(&f, &p, &err) < 0)
		fail_msg("plan: %s", err.msg);
	assert_int_equal(p.nmissing, 0);
	assert_null(p.refuse);
	/* libuser's JUMP_SLOT for counter_compute now leads to v2 */
	assert_true(p.mod_slots[f.user_idx] >= 1);
	int found = 0;
	for (size_t i = 0; i < p.nw; i++)
		if (p.w[i].kind == SOSWAP__W_GOT &&
		    soswap__modules_find(&f.mods, p.w[i].addr) == (ssize_t)f.user_idx) {
			uint64_t v;
			memcpy(&v, p.w[i].new, 8);
			assert_int_equal(v, (uint64_t)(uintptr_t)new_compute);
			found = 1;
		}
	assert_true(found);
	/* version, compute, twice, tiny get jumps; zero is too small; spin loops
	 * back into its first bytes */
	assert_int_equal(p.entry_jumps, 4);
	assert_string_equal(skip_reason(&p, "counter_zero"), "too small for an entry jump");
	assert_string_equal(skip_reason(&p, "counter_spin"), "a branch targets its first bytes");
	/* v1 was loaded RTLD_LOCAL: v2's counter_total slot must be bound to
	 * v1's instance explicitly */
	assert_true(p.data_shared >= 1);
	found = 0;
	for (size_t i = 0; i < p.nw; i++)
		if (p.w[i].kind == SOSWAP__W_DATA) {
			uint64_t v;
			memcpy(&v, p.w[i].new, 8);
			assert_int_equal(v, (uint64_t)(uintptr_t)old_total);
			found = 1;
		}
	assert_true(found);
	/* no thread may sit in the bytes after an entry */
	uint64_t entry = (uint64_t)(uintptr_t)old_compute;
	assert_false(soswap__plan_busy(&p, entry));
	assert_true(soswap__plan_busy(&p, entry + 1));
	assert_true(soswap__plan_busy(&p, entry + 4));

	long before = *old_total;
	apply(&f, &p, 0);
	assert_int_equal(user_compute(5), 15);	/* through libuser's GOT */
	assert_int_equal(old_compute(5), 15);	/* through the entry jump */
	assert_int_equal(old_twice(5), 30);
	assert_int_equal(old_version(), 2);
	assert_int_equal(*old_total, before + 4);	/* one shared instance */

	/* A second plan finds everything in place: nothing left to write. */
	struct soswap__plan p2;
	if (plan(&f, &p2, &err) < 0)
		fail_msg("plan: %s", err.msg);
	assert_int_equal(p2.got_slots, 0);
	assert_int_equal(p2.entry_jumps, 0);
	soswap__plan_free(&p2);

	apply(&f, &p, 1);
	assert_int_equal(user_compute(5), 10);
	assert_int_equal(old_compute(5), 10);
	assert_int_equal(old_version(), 1);
	soswap__plan_free(&p);
	unload(&f);
}

static void test_missing_symbols(void **state)
{
	(void)state;
	struct fixture f;
	struct soswap__plan p;
	soswap_err err = { 0 };
	load(&f, "missing.so");
	if (plan(&f, &p, &err) < 0)
		fail_msg("plan: %s", err.msg);
	assert_int_equal(p.nmissing, 1);
	assert_string_equal(p.missing[0], "counter_compute");
	assert_string_equal(skip_reason(&p, "counter_twice"), "not defined by NEW");
	soswap__plan_free(&p);
	unload(&f);
}

static void test_changed_object(void **state)
{
	(void)state;
	struct fixture f;
	struct soswap__plan p;
	soswap_err err = { 0 };
	load(&f, "bigtable.so");
	if (plan(&f, &p, &err) < 0)
		fail_msg("plan: %s", err.msg);
	assert_non_null(p.refuse);
	assert_non_null(strstr(p.refuse, "counter_table"));
	assert_non_null(strstr(p.refuse, "16 -> 32"));
	assert_int_equal(p.data_changed, 1);
	soswap__plan_free(&p);
	unload(&f);
}

static void test_encode_jump(void **state)
{
	(void)state;
	unsigned char b[14];
	int32_t d;
	uint64_t to;
	assert_int_equal(soswap__encode_jump(0x1000, 0x2000, b), 5);
	assert_int_equal(b[0], 0xe9);
	memcpy(&d, b + 1, 4);
	assert_int_equal(d, 0x2000 - 0x1005);
	assert_int_equal(soswap__encode_jump(0x2000, 0x1000, b), 5);
	memcpy(&d, b + 1, 4);
	assert_int_equal(d, 0x1000 - 0x2005);
	assert_int_equal(soswap__encode_jump(0x7f0000000000ull, 0x1000, b), 14);
	assert_int_equal(b[0], 0xff);
	assert_int_equal(b[1], 0x25);
	assert_int_equal(b[2] | b[3] | b[4] | b[5], 0);
	memcpy(&to, b + 6, 8);
	assert_int_equal(to, 0x1000);
	/* the rel32 range ends exactly at INT32_MAX */
	assert_int_equal(soswap__encode_jump(0, 5 + (uint64_t)INT32_MAX, b), 5);
	assert_int_equal(soswap__encode_jump(0, 6 + (uint64_t)INT32_MAX, b), 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_jump),
		cmocka_unit_test(test_swap_in_process),
		cmocka_unit_test(test_missing_symbols),
		cmocka_unit_test(test_changed_object),
	};
	return cmocka_run_group_tests(tests, build, cleanup);
}
