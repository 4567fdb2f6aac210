/* cmd-stale.c - `soswap stale [--json] [--lib PATH|--dir DIR]`: processes
 * still running libraries that were deleted, replaced or rewritten. */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli.h"
#include "internal.h"
#include "json.h"
#include "scan-out.h"

static void help(void)
{
	puts("Usage: soswap stale [--json] [--ctime] [--lib PATH | --dir DIR]\n\n"
	     "List processes that still map libraries changed on disk since they\n"
	     "were loaded, grouped by library:\n"
	     "  deleted    the file was removed\n"
	     "  replaced   its path now names a newer file (rename over it)\n"
	     "  rewritten  the same file was modified in place after the process\n"
	     "             started (cp over it): UNSAFE, old and new pages mix\n"
	     "  changed    with --ctime: only its ctime is later (cp -p, but also\n"
	     "             chmod, ln, rm of another link): maybe unsafe\n"
	     "Memory-only files (memfd, /dev/shm, SysV), JIT and libffi temp files\n"
	     "are not libraries and are never listed.  No package database is used.\n"
	     "Exit status 0 when nothing is stale, 1 when something is (or on error).\n\n"
	     "  --lib PATH   only this library (its path, or the file now there)\n"
	     "  --dir DIR    only libraries under DIR\n"
	     "  --ctime      also report libraries whose inode changed (ctime) only\n"
	     "  --json       one JSON object (doc/json.md)\n"
	     "  -h, --help   this help");
}

static void json_fields(struct soswap_json *j, const struct soswap_lib_group *g)
{
	soswap_json_kstr(j, "path", g->path);
	soswap_json_kstr(j, "kind", soswap_stale_kind_name(g->kind));
	soswap_json_kbool(j, "unsafe", g->unsafe);
	soswap_json_kstr(j, "newer", g->newer);
}

static const char *describe(const struct soswap_lib_group *g)
{
	switch (g->kind) {
	case SOSWAP_STALE_DELETED: return "deleted";
	case SOSWAP_STALE_REPLACED: return "replaced by a newer file";
	case SOSWAP_STALE_REWRITTEN: return "rewritten in place after start (UNSAFE)";
	case SOSWAP_STALE_CHANGED: return "inode changed after start (maybe unsafe)";
	default: return soswap_stale_kind_name(g->kind);
	}
}

static void print_text(const struct cli_ctx *ctx, const soswap_scan *s)
{
	for (size_t i = 0; i < soswap_scan_groups(s); i++) {
		const struct soswap_lib_group *g = soswap_scan_group(s, i);
		if (i)
			putchar('\n');
		printf("%s%s%s: %s%s%s, %zu process%s\n", cli_bold(ctx), g->path,
		       cli_reset(ctx), g->unsafe ? cli_red(ctx) : cli_yellow(ctx),
		       describe(g), cli_reset(ctx), g->count, g->count == 1 ? "" : "es");
		scan_print_procs(ctx, s, g);
	}
	if (!soswap_scan_groups(s))
		printf("No process maps a deleted or replaced library (%zu processes scanned).\n",
		       soswap_scan_scanned(s));
}

int cmd_stale(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "lib", required_argument, NULL, 'l' },
		{ "dir", required_argument, NULL, 'd' },
		{ "ctime", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *lib = NULL, *dir = NULL;
	int c, ctime_too = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = 1; break;
		case 'l': lib = optarg; break;
		case 'd': dir = optarg; break;
		case 'c': ctime_too = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (lib && dir)
		return cli_usage(ctx, "--lib and --dir exclude each other");
	if (dir) {
		struct stat st;
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return cli_error(ctx, "%s: not a directory", dir);
	}

	struct soswap_scan_opts o;
	scan_opts_init(&o, ctx);
	if (ctime_too)
		o.flags |= SOSWAP_SCAN_CTIME;
	soswap_err err = { 0 };
	soswap_scan *s;
	if (soswap_stale(&s, lib ? lib : dir, &o, &err) < 0)
		return cli_lib_error(ctx, &err);
	if (ctx->json)
		scan_json_print(s, "libraries", json_fields);
	else
		print_text(ctx, s);
	scan_note_denied(ctx, s);
	int rc = soswap_scan_groups(s) ? EXIT_FAIL : EXIT_OK;
	soswap_scan_free(s);
	return rc;
}
