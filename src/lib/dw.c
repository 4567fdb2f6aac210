/* dw.c - load libdw on first use; see dw.h. */
#define SOSWAP__LIBDW_NO_NAMES
#include "dw.h"
#include "dynload.h"

struct soswap__libdw soswap__dw;

static const struct soswap__dynsym syms[] = {
#define X(f) { #f, (void **)&soswap__dw.f },
	SOSWAP__LIBDW_FUNCS(X)
#undef X
};
static struct soswap__dynlib libdw = SOSWAP__DYNLIB(SOSWAP_LIBDW_SONAME, "libdw1", syms);

int soswap__libdw(soswap_err *err)
{
	return soswap__dynload(&libdw, "elfutils' libdw", err);
}
