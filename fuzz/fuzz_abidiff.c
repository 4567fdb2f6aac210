/* fuzz_abidiff.c - libFuzzer target for the ABI diff: the bytes are a
 * library (seeds carry DWARF) compared with itself, which reads its symbol
 * tables and walks every type reachable from its exported symbols in
 * libdw.  libdwfl opens files by name, so the bytes go through a memfd. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "soswap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	if (fd < 0 && (fd = memfd_create("fuzz-abidiff", MFD_CLOEXEC)) < 0)
		return 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* No separate debug info: keep the lookup off the real /usr/lib/debug. */
	struct soswap_abidiff_opts o = { .debug_dir = "/nonexistent-soswap-fuzz" };
	soswap_abidiff *d;
	soswap_err err;
	if (soswap_abidiff_files_opts(&d, path, path, &o, &err) < 0)
		return 0;
	for (size_t i = 0; i < soswap_abidiff_count(d); i++)
		(void)soswap_abidiff_change(d, i)->detail[0];
	soswap_abidiff_free(d);
	return 0;
}
