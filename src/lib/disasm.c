/* disasm.c - load capstone on first use; see disasm.h. */
#include "disasm.h"
#include "dynload.h"

static struct soswap__capstone cs;
static const struct soswap__dynsym syms[] = {
	{ "cs_open", (void **)&cs.open },
	{ "cs_option", (void **)&cs.option },
	{ "cs_malloc", (void **)&cs.malloc },
	{ "cs_disasm_iter", (void **)&cs.disasm_iter },
	{ "cs_insn_group", (void **)&cs.insn_group },
	{ "cs_free", (void **)&cs.free },
	{ "cs_close", (void **)&cs.close },
};
static struct soswap__dynlib capstone = SOSWAP__DYNLIB(SOSWAP_CAPSTONE_SONAME,
						       "libcapstone4 or swap with --no-entry-jumps",
						       syms);

const struct soswap__capstone *soswap__capstone(soswap_err *err)
{
	return soswap__dynload(&capstone, "the x86 decoder (capstone)", err) == 0 ? &cs : NULL;
}
