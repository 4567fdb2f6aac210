/* disasm.c - load capstone on first use; see disasm.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "disasm.h"

static struct soswap__capstone cs;
static char cs_error[256];
static int cs_loaded;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(SOSWAP_CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(cs_error, sizeof(cs_error), "%s", dlerror());
		return;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function
	 * pointer. */
#define SYM(field, name)                                                        \
	do {                                                                    \
		*(void **)&cs.field = dlsym(h, name);                           \
		if (!cs.field) {                                                \
			snprintf(cs_error, sizeof(cs_error), "%s: no %s",       \
				 SOSWAP_CAPSTONE_SONAME, name);                 \
			return;                                                 \
		}                                                               \
	} while (0)
	SYM(open, "cs_open");
	SYM(option, "cs_option");
	SYM(malloc, "cs_malloc");
	SYM(disasm_iter, "cs_disasm_iter");
	SYM(insn_group, "cs_insn_group");
	SYM(free, "cs_free");
	SYM(close, "cs_close");
#undef SYM
	cs_loaded = 1;
}

const struct soswap__capstone *soswap__capstone(soswap_err *err)
{
	pthread_once(&cs_once, load);
	if (!cs_loaded) {
		soswap__fail(err, -ENOSYS, "cannot load the x86 decoder (capstone): %s; "
			     "install libcapstone4 or swap with --no-entry-jumps", cs_error);
		return NULL;
	}
	return &cs;
}
