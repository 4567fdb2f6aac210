/* ldcache.c - read /etc/ld.so.cache as glibc 2.36's loader does.
 *
 * Three layouts exist: the old libc5 table ("ld.so-1.7.0", 12-byte
 * entries), the new one ("glibc-ld.so.cache1.1", 24-byte entries with a
 * hwcap word, written alone since glibc 2.32) and the old one with the new
 * one appended after its entries.  The new format may carry an extension
 * directory: the generator string and the list of glibc-hwcaps
 * subdirectory names that entries refer to by index.
 *
 * The file is untrusted: every offset is checked against the mapping and
 * every string must end inside it.  An entry whose strings are bogus is
 * kept with NULL strings so that the lookup, which must walk the table
 * exactly like the loader's binary search, stops where the loader stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldcache.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HDR 16u		/* magic[11], pad, uint32 nlibs */
#define OLD_ENT 12u
#define NEW_HDR 48u
#define NEW_ENT 24u
#define EXT_MAGIC ((uint32_t)-358342284)
#define MAX_CACHE_SIZE (1u << 30)
#define MAX_ENTRIES (1u << 22)
#define MAX_SUBDIRS 4096u

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* A NUL-terminated string at `off` inside [base, base+len), or NULL. */
static const char *str_at(const unsigned char *base, size_t len, uint64_t off)
{
	if (off >= len)
		return NULL;
	const char *s = (const char *)base + off;
	return memchr(s, '\0', len - off) ? s : NULL;
}

static int bad(soswap_err *err, const char *name, const char *why)
{
	return soswap__fail(err, -ENOEXEC, "%s: corrupt ld.so.cache (%s)",
			    name, why);
}

/* Extension directory: generator string and glibc-hwcaps names.  glibc
 * ignores the whole directory when any section lies outside the file, and
 * the hwcaps section when it is empty, misaligned or not a multiple of 4. */
static int parse_extensions(struct soswap__ldcache *c, uint32_t ext_off)
{
	if (ext_off == 0 || ext_off % 4 || !soswap__in_bounds(ext_off, 8, c->size))
		return 0;
	const unsigned char *e = c->map + ext_off;
	if (rd32(e) != EXT_MAGIC)
		return 0;
	uint32_t count = rd32(e + 4);
	if (!soswap__in_bounds(ext_off + 8ull, (uint64_t)count * 16, c->size))
		return 0;
	const unsigned char *hw = NULL;
	uint32_t hwsize = 0;
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *s = e + 8 + (size_t)i * 16;
		uint32_t tag = rd32(s), off = rd32(s + 8), size = rd32(s + 12);
		if (!soswap__in_bounds(off, size, c->size))
			return 0;
		if (tag == 0 && size > 0) {
			/* ldconfig writes it without a terminating NUL. */
			free(c->generator);
			c->generator = strndup((const char *)c->map + off, size > 4096 ? 4096 : size);
		} else if (tag == 1) {
			hw = c->map + off;
			hwsize = size;
		}
	}
	if (!hw || hwsize == 0 || hwsize % 4 || (hw - c->map) % 4)
		return 0;
	size_t n = hwsize / 4;
	if (n > MAX_SUBDIRS)
		n = MAX_SUBDIRS;
	c->subdirs = calloc(n, sizeof(*c->subdirs));
	if (!c->subdirs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		c->subdirs[i] = str_at(c->map, c->size, rd32(hw + 4 * i));
	c->nsubdirs = n;
	return 0;
}

/* Entries of the new table at `off` (header included); strings are
 * relative to the new header. */
static int parse_new(struct soswap__ldcache *c, size_t off, const char *name,
		     soswap_err *err)
{
	const unsigned char *h = c->map + off;
	size_t avail = c->size - off;
	uint32_t nlibs = rd32(h + 20);
	uint8_t flags = h[28];
	if ((avail - NEW_HDR) / NEW_ENT < nlibs)
		return bad(err, name, "more entries than the file holds");
	/* 0: written before ldconfig recorded byte order; 2: little endian. */
	if (flags != 0 && (flags & 3) != 2)
		return bad(err, name, "wrong byte order");
	if (nlibs > MAX_ENTRIES)
		return bad(err, name, "too many entries");
	c->entries = calloc(nlibs ? nlibs : 1, sizeof(*c->entries));
	if (!c->entries)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	int r = parse_extensions(c, rd32(h + 32));
	if (r < 0)
		return soswap__fail(err, r, "%s: out of memory", name);
	for (uint32_t i = 0; i < nlibs; i++) {
		const unsigned char *p = h + NEW_HDR + (size_t)i * NEW_ENT;
		struct soswap__ldcache_entry *en = &c->entries[i];
		en->flags = (int32_t)rd32(p);
		en->name = str_at(h, avail, rd32(p + 4));
		en->path = str_at(h, avail, rd32(p + 8));
		en->hwcap = rd64(p + 16);
		/* Only the extension bit set above the low word, ignoring the
		 * ISA level bits. */
		en->hwcaps_ext = ((en->hwcap >> 32) & ~(uint64_t)SOSWAP_LDC_ISA_LEVEL_MASK) ==
				 (SOSWAP_LDC_HWCAP_EXTENSION >> 32);
		if (en->hwcaps_ext) {
			uint32_t idx = (uint32_t)en->hwcap;
			en->isa_level = (en->hwcap >> 32) & SOSWAP_LDC_ISA_LEVEL_MASK;
			en->hwcaps_subdir = idx < c->nsubdirs ? c->subdirs[idx] : NULL;
		}
	}
	c->nentries = nlibs;
	c->entry_size = NEW_ENT;
	return 0;
}

static int parse_old(struct soswap__ldcache *c, const char *name, soswap_err *err)
{
	uint32_t nlibs = rd32(c->map + 12);
	if ((c->size - OLD_HDR) / OLD_ENT < nlibs)
		return bad(err, name, "more entries than the file holds");
	/* The new table, if any, follows the old entries at 8-byte alignment. */
	uint64_t off = ((uint64_t)OLD_HDR + (uint64_t)nlibs * OLD_ENT + 7) & ~7ull;
	if (off + NEW_HDR < c->size &&
	    memcmp(c->map + off, NEW_MAGIC, sizeof(NEW_MAGIC) - 1) == 0) {
		c->format = SOSWAP_LDC_OLD_NEW;
		return parse_new(c, (size_t)off, name, err);
	}
	if (nlibs > MAX_ENTRIES)
		return bad(err, name, "too many entries");
	c->format = SOSWAP_LDC_OLD;
	c->entries = calloc(nlibs ? nlibs : 1, sizeof(*c->entries));
	if (!c->entries)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	const unsigned char *strings = c->map + OLD_HDR + (size_t)nlibs * OLD_ENT;
	size_t slen = c->size - (OLD_HDR + (size_t)nlibs * OLD_ENT);
	for (uint32_t i = 0; i < nlibs; i++) {
		const unsigned char *p = c->map + OLD_HDR + (size_t)i * OLD_ENT;
		struct soswap__ldcache_entry *en = &c->entries[i];
		en->flags = (int32_t)rd32(p);
		en->name = str_at(strings, slen, rd32(p + 4));
		en->path = str_at(strings, slen, rd32(p + 8));
	}
	c->nentries = nlibs;
	c->entry_size = OLD_ENT;
	return 0;
}

static int parse_map(struct soswap__ldcache *c, const char *name, soswap_err *err)
{
	if (c->size > NEW_HDR && memcmp(c->map, NEW_MAGIC, sizeof(NEW_MAGIC) - 1) == 0) {
		c->format = SOSWAP_LDC_NEW;
		return parse_new(c, 0, name, err);
	}
	if (c->size > OLD_HDR && memcmp(c->map, OLD_MAGIC, sizeof(OLD_MAGIC) - 1) == 0)
		return parse_old(c, name, err);
	return bad(err, name, "unknown magic");
}

void soswap__ldcache_free(struct soswap__ldcache *c)
{
	if (!c)
		return;
	if (c->mapped)
		munmap(c->map, c->size);
	else
		free(c->map);
	free(c->entries);
	free(c->subdirs);
	free(c->generator);
	free(c);
}

int soswap__ldcache_parse(struct soswap__ldcache **out, const void *buf,
			  size_t len, const char *name, soswap_err *err)
{
	*out = NULL;
	if (!name)
		name = "(memory)";
	struct soswap__ldcache *c = calloc(1, sizeof(*c));
	if (!c || !(c->map = malloc(len ? len : 1))) {
		free(c);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	}
	if (len)
		memcpy(c->map, buf, len);
	c->size = len;
	int r = parse_map(c, name, err);
	if (r < 0) {
		soswap__ldcache_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int soswap__ldcache_open_fd(struct soswap__ldcache **out, int fd,
			    const char *name, soswap_err *err)
{
	*out = NULL;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return soswap__fail_errno(err, -errno, "%s", name);
	if (!S_ISREG(st.st_mode))
		return soswap__fail(err, -EINVAL, "%s: not a regular file", name);
	if (st.st_size == 0)
		return bad(err, name, "empty file");
	if ((uint64_t)st.st_size > MAX_CACHE_SIZE)
		return bad(err, name, "file too large");
	struct soswap__ldcache *c = calloc(1, sizeof(*c));
	if (!c)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	c->size = (size_t)st.st_size;
	c->map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (c->map == MAP_FAILED) {
		int r = soswap__fail_errno(err, -errno, "%s: mmap", name);
		free(c);
		return r;
	}
	c->mapped = 1;
	int r = parse_map(c, name, err);
	if (r < 0) {
		soswap__ldcache_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int soswap__ldcache_open(struct soswap__ldcache **out, const char *path,
			 soswap_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s", path);
	int r = soswap__ldcache_open_fd(out, fd, path, err);
	close(fd);
	return r;
}

int soswap__ldcache_libcmp(const char *p1, const char *p2)
{
	while (*p1) {
		if (*p1 >= '0' && *p1 <= '9') {
			if (!(*p2 >= '0' && *p2 <= '9'))
				return 1;
			/* Numbers compare by value; cap the digits so a hostile
			 * cache cannot overflow the accumulator. */
			unsigned long long v1 = 0, v2 = 0;
			while (*p1 >= '0' && *p1 <= '9') {
				if (v1 < (1ull << 60))
					v1 = v1 * 10 + (unsigned)(*p1 - '0');
				p1++;
			}
			while (*p2 >= '0' && *p2 <= '9') {
				if (v2 < (1ull << 60))
					v2 = v2 * 10 + (unsigned)(*p2 - '0');
				p2++;
			}
			if (v1 != v2)
				return v1 < v2 ? -1 : 1;
		} else if (*p2 >= '0' && *p2 <= '9') {
			return -1;
		} else if (*p1 != *p2) {
			return (signed char)*p1 - (signed char)*p2;
		} else {
			p1++;
			p2++;
		}
	}
	return -(int)(signed char)*p2;
}

/* Priority of a glibc-hwcaps subdirectory: 1 for the best active one,
 * 0 when the CPU does not support it. */
static unsigned subdir_priority(const struct soswap__platform *p, const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < p->nsubdirs; i++)
		if (strcmp(p->subdirs[i], name) == 0)
			return (unsigned)i + 1;
	return 0;
}

const char *soswap__ldcache_lookup(const struct soswap__ldcache *c,
				   const char *name,
				   const struct soswap__platform *p,
				   size_t *idx)
{
	if (!c || c->nentries == 0)
		return NULL;
	/* Legacy hwcap entries are usable when their bits are a subset of
	 * the CPU's, the platform bits and the "tls" bit. */
	uint64_t exclude = ~(p->hwcap | SOSWAP_LDC_HWCAP_PLATFORM | SOSWAP_LDC_HWCAP_TLS);
	uint64_t platform = (uint64_t)-1;
	if (strcmp(p->platform, "haswell") == 0)
		platform = 1ull << (SOSWAP_LDC_FIRST_PLATFORM + 2);
	else if (strcmp(p->platform, "xeon_phi") == 0)
		platform = 1ull << (SOSWAP_LDC_FIRST_PLATFORM + 3);

	long left = 0, right = (long)c->nentries - 1;
	const char *best = NULL;
	unsigned best_prio = 0;
	while (left <= right) {
		long middle = (left + right) / 2;
		const struct soswap__ldcache_entry *en = &c->entries[middle];
		if (!en->name)
			return NULL;
		int cmp = soswap__ldcache_libcmp(name, en->name);
		if (cmp == 0) {
			/* Back up to the first entry of this name. */
			left = middle;
			while (middle > 0 && c->entries[middle - 1].name &&
			       soswap__ldcache_libcmp(name, c->entries[middle - 1].name) == 0)
				middle--;
			for (; middle <= right; middle++) {
				en = &c->entries[middle];
				if (middle > left &&
				    (!en->name || soswap__ldcache_libcmp(name, en->name) != 0))
					break;
				if (en->flags != SOSWAP_LDC_FLAGS_X86_64 || !en->path)
					continue;
				int named = 0;
				if (c->entry_size == NEW_ENT) {
					named = en->hwcaps_ext;
					if (named && !(p->isa_1 & (1u << (en->isa_level & 31))))
						continue;
					if (named && en->isa_level > 31)
						continue;
					if (!named && best)
						break;
					if (!named && (en->hwcap & exclude))
						continue;
					if ((en->hwcap & SOSWAP_LDC_HWCAP_PLATFORM) &&
					    (en->hwcap & SOSWAP_LDC_HWCAP_PLATFORM) != platform)
						continue;
					if (named) {
						unsigned prio = subdir_priority(p, en->hwcaps_subdir);
						if (prio == 0)
							continue;
						if (best && prio >= best_prio)
							continue;
						best_prio = prio;
					}
				}
				best = en->path;
				if (idx)
					*idx = (size_t)middle;
				if (!named)
					break;
			}
			break;
		}
		if (cmp < 0)
			left = middle + 1;
		else
			right = middle - 1;
	}
	return best;
}
