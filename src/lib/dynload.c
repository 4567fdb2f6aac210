/* dynload.c - see dynload.h. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "dynload.h"

static int load(struct soswap__dynlib *l)
{
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(l->why, sizeof(l->why), "%s", dlerror());
		return -1;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function
	 * pointer.  The handle stays open for the life of the process. */
	for (size_t i = 0; i < l->nsyms; i++)
		if (!(*l->syms[i].slot = dlsym(h, l->syms[i].name))) {
			snprintf(l->why, sizeof(l->why), "%s: no %s", l->soname, l->syms[i].name);
			return -1;
		}
	return 1;
}

int soswap__dynload(struct soswap__dynlib *l, const char *what, soswap_err *err)
{
	pthread_mutex_lock(&l->lock);
	if (l->state == 0)
		l->state = load(l);
	int state = l->state;
	pthread_mutex_unlock(&l->lock);
	if (state < 0)
		return soswap__fail(err, -ENOSYS, "cannot load %s: %s; install %s", what, l->why,
				    l->package);
	return 0;
}
