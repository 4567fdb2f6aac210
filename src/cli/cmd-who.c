/* cmd-who.c - `soswap who LIB... [--json]`: the processes that map a
 * library file, matched by device and inode. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "internal.h"
#include "json.h"
#include "scan-out.h"

static void help(void)
{
	puts("Usage: soswap who [--json] LIB...\n\n"
	     "List every process that maps each library file: pid, user, command,\n"
	     "load base and the path it was mapped under.  Files are matched by\n"
	     "device and inode, so a soname symlink, a hard link or a path seen\n"
	     "through a bind mount or chroot finds the same processes.\n"
	     "Without root, only your own processes can be inspected.\n\n"
	     "  --json       one JSON object (doc/json.md)\n"
	     "  -h, --help   this help");
}

static void json_fields(struct soswap_json *j, const struct soswap_lib_group *g)
{
	soswap_json_kstr(j, "file", g->path);
}

static void print_text(const struct cli_ctx *ctx, const soswap_scan *s)
{
	for (size_t i = 0; i < soswap_scan_groups(s); i++) {
		const struct soswap_lib_group *g = soswap_scan_group(s, i);
		if (i)
			putchar('\n');
		printf("%s%s%s: %zu process%s\n", cli_bold(ctx), g->path, cli_reset(ctx),
		       g->count, g->count == 1 ? "" : "es");
		if (g->count)
			scan_print_procs(ctx, s, g);
	}
}

int cmd_who(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no LIB given");

	struct soswap_scan_opts o;
	scan_opts_init(&o, ctx);
	if (!ctx->json)
		o.flags |= SOSWAP_SCAN_BRIEF;	/* the table shows no cmdline */
	soswap_err err = { 0 };
	soswap_scan *s;
	if (soswap_who(&s, (const char *const *)argv + optind, (size_t)(argc - optind),
		       &o, &err) < 0)
		return cli_lib_error(ctx, &err);
	if (ctx->json)
		scan_json_print(s, "files", json_fields);
	else
		print_text(ctx, s);
	scan_note_denied(ctx, s);
	soswap_scan_free(s);
	return EXIT_OK;
}
