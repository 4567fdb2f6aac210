/* error.c - the error record every libsoswap call fills on failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *soswap_version(void)
{
	return SOSWAP_VERSION_STRING;
}

void soswap_err_clear(soswap_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int soswap__vfail(soswap_err *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		/* Messages are one line: fold any newline a path may carry. */
		for (char *p = err->msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	return code;
}

int soswap__fail(soswap_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	soswap__vfail(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int soswap__fail_errno(soswap_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	soswap__vfail(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
			 strerror(code < 0 ? -code : code));
	}
	return code;
}

int soswap__grow(void **arr, size_t *cap, size_t want, size_t elsize)
{
	if (want <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elsize)
		return -ENOMEM;
	void *p = realloc(*arr, ncap * elsize);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

char *soswap__strdup0(const char *s)
{
	return s ? strdup(s) : NULL;
}
