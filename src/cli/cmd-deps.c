/* cmd-deps.c - `soswap deps` (placeholder until its issue lands). */
#include <string.h>

#include "cli.h"

int cmd_deps(int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		puts("Usage: soswap deps ... (not implemented yet)");
		return EXIT_OK;
	}
	return cli_error(ctx, "not implemented yet");
}
