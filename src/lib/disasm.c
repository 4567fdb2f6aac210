/* disasm.c - load capstone on first use; see disasm.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "disasm.h"
#include "dynload.h"

static struct soswap__capstone cs;
static char cs_error[256];
static int cs_loaded;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	const struct soswap__dynsym syms[] = {
		{ "cs_open", (void **)&cs.open },
		{ "cs_option", (void **)&cs.option },
		{ "cs_malloc", (void **)&cs.malloc },
		{ "cs_disasm_iter", (void **)&cs.disasm_iter },
		{ "cs_insn_group", (void **)&cs.insn_group },
		{ "cs_free", (void **)&cs.free },
		{ "cs_close", (void **)&cs.close },
	};
	cs_loaded = soswap__dynload(SOSWAP_CAPSTONE_SONAME, syms, ARRAY_SIZE(syms), cs_error,
				    sizeof(cs_error)) == 0;
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
