/* dynload.h - optional libraries loaded on first use (dlopen), so that a
 * command that does not need them does not pay for loading them at start:
 * capstone (disasm.c) and libdw (dw.c). */
#ifndef SOSWAP_DYNLOAD_H
#define SOSWAP_DYNLOAD_H

#include <stddef.h>

/* One function to look up: its name and where its address goes. */
struct soswap__dynsym {
	const char *name;
	void **slot;
};

/* Open SONAME (RTLD_NOW | RTLD_LOCAL) and fill every slot: 0, or -1 with
 * the reason (dlerror's, or the missing function) in why. */
int soswap__dynload(const char *soname, const struct soswap__dynsym *syms, size_t n,
		    char *why, size_t whysz);

#endif
