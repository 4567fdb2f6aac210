/* dynload.h - optional libraries loaded on first use (dlopen), so that a
 * command that does not need them does not pay for loading them at start:
 * libelf (elf.c), libdw (dw.c), capstone (disasm.c) and json-c
 * (dlopen-note.c).  Each keeps its functions as pointers in a table of its
 * own and describes it with a soswap__dynlib. */
#ifndef SOSWAP_DYNLOAD_H
#define SOSWAP_DYNLOAD_H

#include <pthread.h>
#include <stddef.h>

#include "internal.h"

/* One function to look up: its name and where its address goes. */
struct soswap__dynsym {
	const char *name;
	void **slot;
};

struct soswap__dynlib {
	const char *soname;
	const char *package;	/* what to install when it is missing */
	const struct soswap__dynsym *syms;
	size_t nsyms;
	pthread_mutex_t lock;
	int state;		/* 0 not tried yet, 1 loaded, -1 failed */
	char why[256];
};

#define SOSWAP__DYNLIB(soname, package, syms)                                       \
	{ (soname), (package), (syms), ARRAY_SIZE(syms), PTHREAD_MUTEX_INITIALIZER, 0, "" }

/* Open the library (RTLD_NOW | RTLD_LOCAL) and fill every slot, once for
 * the process (thread-safe): 0, or -ENOSYS with a message naming the
 * library, the reason and the package to install.  WHAT says what needs
 * it ("the x86 decoder (capstone)"). */
int soswap__dynload(struct soswap__dynlib *lib, const char *what, soswap_err *err);

#endif
