/* disasm.h - capstone, loaded on first use (not installed).
 *
 * Only the live swap decodes machine code, yet linking capstone makes every
 * soswap command pay for its ~80,000 start-up relocations (about a
 * millisecond, most of `soswap who`'s own time).  So it is dlopen()ed the
 * first time a plan needs it, the way optional libraries of systemd are;
 * the functions below mirror capstone's own.
 */
#ifndef SOSWAP_DISASM_H
#define SOSWAP_DISASM_H

#include <capstone/capstone.h>

#include "internal.h"

struct soswap__capstone {
	cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
	cs_err (*option)(csh handle, cs_opt_type type, size_t value);
	cs_insn *(*malloc)(csh handle);
	bool (*disasm_iter)(csh handle, const uint8_t **code, size_t *size,
			    uint64_t *address, cs_insn *insn);
	bool (*insn_group)(csh handle, const cs_insn *insn, unsigned int group_id);
	void (*free)(cs_insn *insn, size_t count);
	cs_err (*close)(csh *handle);
};

/* capstone's functions, loading the library once (thread-safe); NULL with
 * a message naming the library when it cannot be loaded. */
const struct soswap__capstone *soswap__capstone(soswap_err *err);

#endif
