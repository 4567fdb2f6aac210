/* greet.h - the example library of soswap's live-upgrade demo.
 *
 * Two builds share the soname libgreet.so.1: greet-v1.c and greet-v2.c.
 * They export the same functions and answer visibly differently, so a
 * client can tell which version served a request. */
#ifndef GREET_H
#define GREET_H

#include <stddef.h>

/* Version tag of the build, "v1" or "v2". */
const char *greet_version(void);

/* Write the greeting for NAME into buf (at most n bytes, NUL-terminated).
 * Returns the length snprintf would have written. */
int greet(const char *name, char *buf, size_t n);

#endif
