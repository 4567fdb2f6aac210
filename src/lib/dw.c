/* dw.c - load libdw on first use; see dw.h. */
#define SOSWAP__LIBDW_NO_NAMES
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "dw.h"
#include "dynload.h"

#define LIBDW_SONAME "libdw.so.1"

struct soswap__libdw soswap__dw;
static char dw_error[256];
static int dw_loaded;
static pthread_once_t dw_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const struct soswap__dynsym syms[] = {
#define X(f) { #f, (void **)&soswap__dw.f },
		SOSWAP__LIBDW_FUNCS(X)
#undef X
	};
	dw_loaded = soswap__dynload(LIBDW_SONAME, syms, ARRAY_SIZE(syms), dw_error,
				    sizeof(dw_error)) == 0;
}

int soswap__libdw(soswap_err *err)
{
	pthread_once(&dw_once, load);
	if (!dw_loaded)
		return soswap__fail(err, -ENOSYS, "cannot load elfutils' libdw: %s; "
				    "install libdw1", dw_error);
	return 0;
}
