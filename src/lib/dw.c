/* dw.c - load libdw on first use; see dw.h. */
#define SOSWAP__LIBDW_NO_NAMES
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "dw.h"

#define LIBDW_SONAME "libdw.so.1"

struct soswap__libdw soswap__dw;
static char dw_error[256];
static int dw_loaded;
static pthread_once_t dw_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(LIBDW_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(dw_error, sizeof(dw_error), "%s", dlerror());
		return;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function
	 * pointer. */
#define X(f)                                                                   \
	if (!(*(void **)&soswap__dw.f = dlsym(h, #f))) {                       \
		snprintf(dw_error, sizeof(dw_error), "%s: no %s", LIBDW_SONAME, #f); \
		return;                                                        \
	}
	SOSWAP__LIBDW_FUNCS(X)
#undef X
	dw_loaded = 1;
}

int soswap__libdw(soswap_err *err)
{
	pthread_once(&dw_once, load);
	if (!dw_loaded)
		return soswap__fail(err, -ENOSYS, "cannot load elfutils' libdw: %s; "
				    "install libdw1", dw_error);
	return 0;
}
