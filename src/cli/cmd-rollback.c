/* cmd-rollback.c - `soswap rollback SONAME [--dir DIR] [--json]`: point a
 * soname back at the version `soswap install` replaced. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "json.h"

static void help(void)
{
	puts("Usage: soswap rollback SONAME [--dir DIR] [--json]\n\n"
	     "Point SONAME in DIR (default /usr/local/lib) back at the version that\n"
	     "`soswap install` replaced, atomically.  Repeat to go further back.  The\n"
	     "real name rolled back from is moved into the state directory so that\n"
	     "ldconfig does not select it again.\n\n"
	     "  -d, --dir DIR  library directory\n"
	     "  --json         machine-readable output (doc/json.md)\n"
	     "  -h, --help     this help");
}

int cmd_rollback(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': ctx->json = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage(ctx, "give exactly one SONAME");

	soswap_err err = { 0 };
	struct soswap_rollback_info r;
	if (soswap_rollback(&r, argv[optind], dir, &err) < 0)
		return cli_lib_error(ctx, &err);
	if (ctx->json) {
		struct soswap_json j;
		soswap_json_init(&j, stdout, 1);
		soswap_json_obj_begin(&j);
		soswap_json_kstr(&j, "dir", r.dir);
		soswap_json_kstr(&j, "soname", r.soname);
		soswap_json_kstr(&j, "layout", r.layout_file ? "file" : "symlink");
		soswap_json_kstr(&j, "from", r.from[0] ? r.from : NULL);
		soswap_json_kstr(&j, "to", r.to);
		soswap_json_kstr(&j, "retired", r.retired[0] ? r.retired : NULL);
		soswap_json_kbool(&j, "state_only", r.fixed_state);
		soswap_json_obj_end(&j);
		soswap_json_finish(&j);
	} else if (r.fixed_state) {
		printf("%s already points at %s (an install or rollback was interrupted); "
		       "record updated\n", r.soname, r.to);
	} else if (r.layout_file) {
		printf("%s%s%s: restored the saved copy %s\n", cli_bold(ctx), r.soname,
		       cli_reset(ctx), r.to);
	} else {
		printf("%s%s -> %s%s (was %s)\n", cli_bold(ctx), r.soname, r.to,
		       cli_reset(ctx), r.from[0] ? r.from : "missing");
		if (r.retired[0])
			printf("  moved %s to %s so that ldconfig does not select it again\n",
			       r.from, r.retired);
	}
	return EXIT_OK;
}
