/* fuzz_maps.c - libFuzzer target for the /proc/PID/maps parser: parse the
 * bytes as a maps file and touch every field of every mapping. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "procscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	soswap_maps *m;
	soswap_err err;
	if (soswap__maps_parse(&m, data, size, "fuzz", &err) < 0)
		return 0;
	size_t sum = 0;
	for (size_t i = 0; i < soswap_maps_count(m); i++) {
		const struct soswap_mapping *v = soswap_maps_get(m, i);
		sum += strlen(v->perms) + (size_t)(v->end - v->start) + (size_t)v->ino;
		if (v->path)
			sum += strlen(v->path) + (size_t)v->deleted;
	}
	(void)sum;
	soswap_maps_free(m);
	return 0;
}
