/* fuzz_journal.c - libFuzzer target for the live swap's journal parser. */
#include <stddef.h>
#include <stdint.h>

#include "live-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct soswap__journal j;
	soswap_err err;
	if (soswap__journal_parse(&j, (const char *)data, size, "fuzz", &err) == 0) {
		for (size_t i = 0; i < j.ntx; i++)
			for (size_t k = 0; k < j.tx[i].nw; k++)
				(void)(j.tx[i].w[k].old[0] + j.tx[i].w[k].new[j.tx[i].w[k].len - 1]);
	}
	soswap__journal_free(&j);
	return 0;
}
