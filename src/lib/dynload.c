/* dynload.c - see dynload.h. */
#include <dlfcn.h>
#include <stdio.h>

#include "dynload.h"

int soswap__dynload(const char *soname, const struct soswap__dynsym *syms, size_t n,
		    char *why, size_t whysz)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, whysz, "%s", dlerror());
		return -1;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function
	 * pointer.  The handle stays open for the life of the process. */
	for (size_t i = 0; i < n; i++)
		if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
			snprintf(why, whysz, "%s: no %s", soname, syms[i].name);
			return -1;
		}
	return 0;
}
