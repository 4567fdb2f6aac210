/* fuzz_ldcache.c - libFuzzer target for the ld.so.cache reader: parse the
 * bytes as a cache and look names up in it on two machines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct soswap__ldcache *c;
	soswap_err err;
	if (soswap__ldcache_parse(&c, data, size, "fuzz", &err) < 0)
		return 0;
	struct soswap__platform p;
	soswap__platform_detect(&p);
	struct soswap__platform base = p;
	base.isa_1 = 1;
	base.hwcap |= 1u << 2;
	strcpy(base.platform, "haswell");
	soswap__platform_finish(&base);
	static const char *const names[] = { "libc.so.6", "libz.so.1", "libv.so.1", "a" };
	for (size_t i = 0; i < c->nentries && i < 64; i++) {
		const struct soswap__ldcache_entry *e = &c->entries[i];
		if (e->name) {
			(void)soswap__ldcache_lookup(c, e->name, &p, NULL);
			(void)soswap__ldcache_lookup(c, e->name, &base, NULL);
		}
		if (e->path)
			(void)strlen(e->path);
		if (e->hwcaps_subdir)
			(void)strlen(e->hwcaps_subdir);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)soswap__ldcache_lookup(c, names[i], &p, NULL);
	if (c->generator)
		(void)strlen(c->generator);
	soswap__ldcache_free(c);
	return 0;
}
