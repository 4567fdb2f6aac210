/* ldcache.h - /etc/ld.so.cache reader and the loader's view of the CPU
 * (glibc-hwcaps levels, legacy hwcap bits, platform), shared by ldcache.c,
 * hwcaps.c and resolve.c.  Internal: not installed. */
#ifndef SOSWAP_LDCACHE_H
#define SOSWAP_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Entry flags written by ldconfig: the low byte is the type, the next one
 * the ABI (class/machine) the library was built for. */
#define SOSWAP_LDC_FLAG_TYPE_MASK	0x00ff
#define SOSWAP_LDC_FLAG_ELF_LIBC6	0x0003
#define SOSWAP_LDC_FLAG_ABI_MASK	0xff00
#define SOSWAP_LDC_FLAG_X8664_LIB64	0x0300
#define SOSWAP_LDC_FLAG_X8664_LIBX32	0x0800
/* The only flag value the x86-64 loader accepts. */
#define SOSWAP_LDC_FLAGS_X86_64 (SOSWAP_LDC_FLAG_ELF_LIBC6 | SOSWAP_LDC_FLAG_X8664_LIB64)

/* hwcap field of a new-format entry. */
#define SOSWAP_LDC_HWCAP_EXTENSION	(1ull << 62)	/* low 32 bits: hwcaps index */
#define SOSWAP_LDC_HWCAP_TLS		(1ull << 63)
#define SOSWAP_LDC_ISA_LEVEL_MASK	0x3ffu		/* bits 32..41 */
#define SOSWAP_LDC_FIRST_PLATFORM	48
#define SOSWAP_LDC_PLATFORMS_COUNT	4
#define SOSWAP_LDC_HWCAP_PLATFORM \
	(((1ull << SOSWAP_LDC_PLATFORMS_COUNT) - 1) << SOSWAP_LDC_FIRST_PLATFORM)

enum soswap__ldcache_format {
	SOSWAP_LDC_OLD = 1,		/* "ld.so-1.7.0" only */
	SOSWAP_LDC_NEW,			/* "glibc-ld.so.cache1.1" only */
	SOSWAP_LDC_OLD_NEW,		/* old table with the new one inside */
};

struct soswap__ldcache_entry {
	int32_t flags;
	const char *name;	/* key; NULL when its offset is bogus */
	const char *path;	/* value; NULL when its offset is bogus */
	uint64_t hwcap;		/* 0 for old-format entries */
	/* For glibc-hwcaps entries: the subdirectory name ("x86-64-v3") or
	 * NULL when the index is out of range; ISA level from bits 32..41. */
	int hwcaps_ext;
	const char *hwcaps_subdir;
	unsigned isa_level;
};

struct soswap__ldcache {
	unsigned char *map;
	size_t size;
	int mapped;
	enum soswap__ldcache_format format;
	struct soswap__ldcache_entry *entries;	/* in file order */
	size_t nentries;
	size_t entry_size;	/* 12 (old) or 24 (new): glibc's search differs */
	char *generator;	/* extension 0 (malloc'd copy), or NULL */
	const char **subdirs;	/* extension 1: glibc-hwcaps names */
	size_t nsubdirs;
};

/* What the loader knows about the machine, as glibc 2.36 computes it on
 * x86-64 (see hwcaps.c). */
struct soswap__platform {
	unsigned isa_1;		/* GNU_PROPERTY_X86_ISA_1_BASELINE/V2/V3/V4 bits */
	uint64_t hwcap;		/* dl_hwcap & hwcap_mask: bit 1 x86_64, bit 2 avx512_1 */
	char platform[16];	/* AT_PLATFORM, or glibc's "haswell"/"xeon_phi" */
	/* Active glibc-hwcaps subdirectories, highest priority first. */
	const char *subdirs[3];
	size_t nsubdirs;
	/* Legacy subdirectories (power set of hwcap names, platform and
	 * "tls"), each ending in '/', the last one "" (the directory itself). */
	char legacy[16][40];
	size_t nlegacy;
};

#define SOSWAP__ISA_BASELINE 0x1u
#define SOSWAP__ISA_V2 0x2u
#define SOSWAP__ISA_V3 0x4u
#define SOSWAP__ISA_V4 0x8u

/* Parse a cache image (copied) or a file (mapped).  -ENOEXEC with a reason
 * for anything glibc would not accept, -ENOENT etc. from open(). */
int soswap__ldcache_parse(struct soswap__ldcache **out, const void *buf,
			  size_t len, const char *name, soswap_err *err);
int soswap__ldcache_open(struct soswap__ldcache **out, const char *path,
			 soswap_err *err);
int soswap__ldcache_open_fd(struct soswap__ldcache **out, int fd,
			    const char *name, soswap_err *err);
void soswap__ldcache_free(struct soswap__ldcache *c);

/* glibc's ordering of library names: digit runs compare numerically. */
int soswap__ldcache_libcmp(const char *a, const char *b);

/* The path the loader takes from the cache for NAME on machine P, or
 * NULL; *idx (if non-NULL) gets the entry index.  Follows glibc 2.36's
 * search_cache(): binary search, first usable entry, glibc-hwcaps entries
 * by priority. */
const char *soswap__ldcache_lookup(const struct soswap__ldcache *c,
				   const char *name,
				   const struct soswap__platform *p,
				   size_t *idx);

/* Fill *p for this CPU (cpuid + AT_PLATFORM). */
void soswap__platform_detect(struct soswap__platform *p);
/* Recompute subdirs/legacy from isa_1, hwcap and platform. */
void soswap__platform_finish(struct soswap__platform *p);

#endif
