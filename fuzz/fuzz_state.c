/* fuzz_state.c - libFuzzer target for the install/rollback state record
 * parser: parse the bytes, then write the record out and parse it back. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct soswap__state st, back;
	soswap_err err;
	if (soswap__state_parse(&st, (const char *)data, size, "fuzz", &err) < 0)
		return 0;
	/* Whatever was accepted must survive a round trip unchanged. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return 0;
	fprintf(f, "soswap-state 1\nlayout %s\n", st.layout_file ? "file" : "symlink");
	if (st.current[0])
		fprintf(f, "current %s\n", st.current);
	for (size_t i = 0; i < st.nprev; i++)
		fprintf(f, "previous %s\n", st.prev[i]);
	fclose(f);
	if (soswap__state_parse(&back, text, len, "fuzz", &err) < 0 ||
	    back.nprev != st.nprev || strcmp(back.current, st.current) ||
	    back.layout_file != st.layout_file)
		abort();
	for (size_t i = 0; i < st.nprev; i++)
		if (strcmp(back.prev[i], st.prev[i]))
			abort();
	free(text);
	return 0;
}
