/* naming.c - the real name / soname / link name of a library, and
 * ldconfig's order of library file names. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

int soswap_name_is_library(const char *name)
{
	if (!name || strchr(name, '/'))
		return 0;
	return (!strncmp(name, "lib", 3) || !strncmp(name, "ld-", 3)) &&
	       strstr(name, ".so") != NULL;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Compare two runs of digits by value: skip leading zeros, then the longer
 * run is larger, then byte order.  *pa, *pb advance past the runs. */
static int cmp_digits(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb;
	while (*a == '0' && is_digit(a[1]))
		a++;
	while (*b == '0' && is_digit(b[1]))
		b++;
	size_t la = 0, lb = 0;
	while (is_digit(a[la]))
		la++;
	while (is_digit(b[lb]))
		lb++;
	*pa = a + la;
	*pb = b + lb;
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = memcmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

int soswap_name_cmp(const char *a, const char *b)
{
	while (*a) {
		if (is_digit(*a)) {
			if (!is_digit(*b))
				return 1;	/* digits sort after everything */
			int c = cmp_digits(&a, &b);
			if (c)
				return c;
		} else if (is_digit(*b)) {
			return -1;
		} else if (*a != *b) {
			return (unsigned char)*a - (unsigned char)*b;
		} else {
			a++;
			b++;
		}
	}
	return -(unsigned char)*b;
}

/* First ".so" that ends the name or is followed by '.'. */
static const char *find_so(const char *name)
{
	for (const char *p = strstr(name, ".so"); p; p = strstr(p + 1, ".so"))
		if (p[3] == '\0' || p[3] == '.')
			return p;
	return NULL;
}

static void parse_parts(struct soswap_libname *out)
{
	const char *p = out->version;
	out->nparts = 0;
	out->numeric = 1;
	for (const char *q = p; *q; q++)
		if (!is_digit(*q) && *q != '.')
			out->numeric = 0;
	while (is_digit(*p) && out->nparts < SOSWAP_NAME_MAX_PARTS) {
		unsigned long v = 0;
		for (; is_digit(*p); p++)
			v = v > (ULONG_MAX - 9) / 10 ? ULONG_MAX : v * 10 + (unsigned long)(*p - '0');
		out->parts[out->nparts++] = v;
		if (*p != '.')
			break;
		p++;
	}
}

int soswap_libname_parse(struct soswap_libname *out, const char *name,
			 soswap_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!name || !*name)
		return soswap__fail(err, -EINVAL, "empty library name");
	size_t len = strlen(name);
	if (strchr(name, '/'))
		return soswap__fail(err, -EINVAL, "%s: a library name has no '/'", name);
	if (len >= SOSWAP_NAME_MAX)
		return soswap__fail(err, -EINVAL, "%.64s...: library name too long", name);
	const char *so = find_so(name);
	if (!so || so == name)
		return soswap__fail(err, -EINVAL,
				    "%s: not a library name (expected STEM.so[.VERSION])", name);
	memcpy(out->stem, name, (size_t)(so - name));
	const char *ver = so[3] == '.' ? so + 4 : so + 3;
	if (so[3] == '.' && (!*ver || strstr(ver, "..") || ver[strlen(ver) - 1] == '.'))
		return soswap__fail(err, -EINVAL, "%s: empty version component", name);
	strcpy(out->version, ver);
	parse_parts(out);
	return 0;
}

int soswap_libname_soname_matches(const struct soswap_libname *soname,
				  const struct soswap_libname *real)
{
	if (strcmp(soname->stem, real->stem))
		return 0;
	size_t n = strlen(soname->version);
	if (strncmp(soname->version, real->version, n))
		return 0;
	/* "1" is a prefix of "1.2" but not of "12.0". */
	return real->version[n] == '\0' || real->version[n] == '.';
}
