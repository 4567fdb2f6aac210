/* internal.h - helpers shared by the files of libsoswap (not installed). */
#ifndef SOSWAP_INTERNAL_H
#define SOSWAP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "soswap.h"

#define SOSWAP__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fill *err (if non-NULL) with a formatted one-line message and `code`
 * (a negative errno); return `code` so callers can write
 * `return soswap__fail(err, -ENOENT, "%s: no such file", path);`. */
int soswap__fail(soswap_err *err, int code, const char *fmt, ...)
	SOSWAP__PRINTF(3, 4);
int soswap__vfail(soswap_err *err, int code, const char *fmt, va_list ap);

/* Same, appending ": strerror(-code)" to the message. */
int soswap__fail_errno(soswap_err *err, int code, const char *fmt, ...)
	SOSWAP__PRINTF(3, 4);

/* Overflow-safe range check: does [off, off+len) lie inside [0, size)? */
/* FNV-1a of a string: the key of the open-addressing tables (resolver
 * names and candidates, the scan's path cache). */
static inline uint64_t soswap__hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static inline int soswap__in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Growable array helper: make room for at least `want` elements of size
 * `elsize` in *arr (capacity in *cap).  Returns 0 or -ENOMEM. */
int soswap__grow(void **arr, size_t *cap, size_t want, size_t elsize);

/* strdup that returns NULL for NULL. */
char *soswap__strdup0(const char *s);

/* Cleanup helpers in the style of systemd's _cleanup_free_. */
static inline void soswap__freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(soswap__freep)))

#endif
