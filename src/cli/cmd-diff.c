/* cmd-diff.c - `soswap diff OLD NEW [--json] [--no-dwarf] [--debug-dir DIR]`:
 * ABI verdict between two builds of a library.
 *
 * The exit status uses abidiff's bit values so that scripts written for
 * abidiff keep working: 0 no change, 4 compatible change (ABI_CHANGE bit),
 * 12 incompatible change (ABI_CHANGE | INCOMPATIBLE_CHANGE), 1 error,
 * 3 usage error (ERROR | USAGE_ERROR bits). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "json.h"

enum {
	DIFF_EXIT_ERROR = 1,
	DIFF_EXIT_USAGE = 3,
};

static void print_json(const soswap_abidiff *d, const char *old_path,
		       const char *new_path)
{
	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	soswap_json_obj_begin(&j);
	soswap_json_kstr(&j, "old", old_path);
	soswap_json_kstr(&j, "new", new_path);
	soswap_json_kstr(&j, "verdict", cli_abi_verdict_name(soswap_abidiff_verdict(d)));
	soswap_json_kint(&j, "exit_status", soswap_abidiff_verdict(d));
	soswap_json_kbool(&j, "dwarf", soswap_abidiff_used_dwarf(d));
	soswap_json_kstr(&j, "old_debug_file", soswap_abidiff_debug_file(d, 0));
	soswap_json_kstr(&j, "new_debug_file", soswap_abidiff_debug_file(d, 1));
	soswap_json_key(&j, "changes");
	cli_json_abi_changes(&j, d);
	soswap_json_obj_end(&j);
	soswap_json_finish(&j);
}

static void print_text(const struct cli_ctx *ctx, const soswap_abidiff *d)
{
	size_t n = soswap_abidiff_count(d), bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct soswap_abi_change *c = soswap_abidiff_change(d, i);
		bad += c->incompatible != 0;
		printf("%s%-12s%s %-19s %s\n",
		       c->incompatible ? cli_red(ctx) : cli_yellow(ctx),
		       c->incompatible ? "incompatible" : "compatible",
		       cli_reset(ctx), c->kind, c->detail);
	}
	enum soswap_abi_verdict v = soswap_abidiff_verdict(d);
	printf("%sverdict: %s%s (%zu change%s, %zu incompatible; %s)\n",
	       cli_bold(ctx),
	       v == SOSWAP_ABI_INCOMPATIBLE ? "incompatible ABI change" :
	       v == SOSWAP_ABI_COMPATIBLE ? "compatible ABI change" : "no ABI change",
	       cli_reset(ctx), n, n == 1 ? "" : "s", bad,
	       soswap_abidiff_used_dwarf(d) ? "symbols and DWARF compared"
					    : "symbols only, DWARF not on both sides");
}

static void help(void)
{
	puts("Usage: soswap diff [--json] [--no-dwarf] [--debug-dir DIR] OLD NEW\n\n"
	     "ABI verdict between two builds of a shared library: removed or retyped\n"
	     "symbols, resized data objects, removed versions, a changed SONAME and,\n"
	     "when both sides carry DWARF (in the file or as separate debug info found\n"
	     "by build-id or .gnu_debuglink), changed function signatures and type\n"
	     "layouts.  One change per line, then a verdict line.\n\n"
	     "  --json           one JSON object (doc/json.md)\n"
	     "  --no-dwarf       compare the dynamic symbol tables only\n"
	     "  --debug-dir DIR  global debug directory (default /usr/lib/debug)\n"
	     "  -h, --help       this help\n\n"
	     "Exit status (abidiff's bits): 0 no change, 4 compatible change,\n"
	     "12 incompatible change, 1 error, 3 usage error.");
}

int cmd_diff(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-dwarf", no_argument, NULL, 'n' },
		{ "debug-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct soswap_abidiff_opts o = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = 1; break;
		case 'n': o.flags |= SOSWAP_ABIDIFF_NO_DWARF; break;
		case 'd': o.debug_dir = optarg; break;
		case 'h': help(); return EXIT_OK;
		default: cli_usage(ctx, "bad option"); return DIFF_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_usage(ctx, "need exactly two files, OLD and NEW");
		return DIFF_EXIT_USAGE;
	}

	soswap_err err = { 0 };
	soswap_abidiff *d;
	if (soswap_abidiff_files_opts(&d, argv[optind], argv[optind + 1], &o, &err) < 0) {
		cli_lib_error(ctx, &err);
		return DIFF_EXIT_ERROR;
	}
	if (ctx->json)
		print_json(d, argv[optind], argv[optind + 1]);
	else
		print_text(ctx, d);
	int rc = soswap_abidiff_verdict(d);
	soswap_abidiff_free(d);
	return rc;
}
