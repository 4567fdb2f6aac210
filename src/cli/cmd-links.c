/* cmd-links.c - `soswap links [--dry-run] [--json] DIR...`: create or
 * refresh the soname links of each directory, like `ldconfig -n`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"

static const char *state_word(enum soswap_link_state s, int dry)
{
	switch (s) {
	case SOSWAP_LINK_OK: return "ok";
	case SOSWAP_LINK_CREATE: return dry ? "would create" : "created";
	case SOSWAP_LINK_UPDATE: return dry ? "would update" : "updated";
	case SOSWAP_LINK_NOT_SYMLINK: return "not a symlink, left alone";
	case SOSWAP_LINK_SAME_FILE: return "the library itself";
	case SOSWAP_LINK_FAILED: return "FAILED";
	}
	return "?";
}

static const char *state_json(enum soswap_link_state s)
{
	static const char *const names[] = {
		[SOSWAP_LINK_OK] = "ok", [SOSWAP_LINK_CREATE] = "create",
		[SOSWAP_LINK_UPDATE] = "update", [SOSWAP_LINK_NOT_SYMLINK] = "not-symlink",
		[SOSWAP_LINK_SAME_FILE] = "same-file", [SOSWAP_LINK_FAILED] = "failed",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static void print_text(const struct cli_ctx *ctx, const soswap_links *l,
		       const char *dir, int dry)
{
	printf("%s%s:%s\n", cli_bold(ctx), dir, cli_reset(ctx));
	for (size_t i = 0; i < soswap_links_count(l); i++) {
		const struct soswap_link_action *a = soswap_links_get(l, i);
		const char *col = a->state == SOSWAP_LINK_CREATE || a->state == SOSWAP_LINK_UPDATE
			? cli_green(ctx) : a->state == SOSWAP_LINK_OK || a->state == SOSWAP_LINK_SAME_FILE
			? "" : cli_red(ctx);
		printf("  %s -> %s (%s%s%s", a->soname, a->target, col,
		       state_word(a->state, dry), *col ? cli_reset(ctx) : "");
		if (a->state == SOSWAP_LINK_UPDATE && a->old_target)
			printf(", was %s", a->old_target);
		puts(")");
	}
	if (!soswap_links_count(l))
		puts("  (no libraries)");
}

static void print_json(struct soswap_json *j, const soswap_links *l, const char *dir)
{
	for (size_t i = 0; i < soswap_links_count(l); i++) {
		const struct soswap_link_action *a = soswap_links_get(l, i);
		soswap_json_obj_begin(j);
		soswap_json_kstr(j, "dir", dir);
		soswap_json_kstr(j, "soname", a->soname);
		soswap_json_kstr(j, "target", a->target);
		soswap_json_kstr(j, "previous", a->old_target);
		soswap_json_kstr(j, "action", state_json(a->state));
		soswap_json_kuint(j, "candidates", a->candidates);
		soswap_json_obj_end(j);
	}
}

static void help(void)
{
	puts("Usage: soswap links [--dry-run] [--json] DIR...\n\n"
	     "Create or refresh the soname links of each DIR, like `ldconfig -n`:\n"
	     "for every ELF shared object named lib*.so*, the symlink named by its\n"
	     "SONAME points to the newest real name carrying that soname (ldconfig's\n"
	     "version order).  Each link is replaced atomically (temporary symlink,\n"
	     "then rename).\n\n"
	     "  -n, --dry-run  print the plan, change nothing\n"
	     "  --json         machine-readable output (doc/json.md)\n"
	     "  -h, --help     this help");
}

int cmd_links(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int dry = 0, c;
	while ((c = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': dry = 1; break;
		case 'j': ctx->json = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no DIR given");

	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	if (ctx->json) {
		soswap_json_obj_begin(&j);
		soswap_json_kbool(&j, "dry_run", dry);
		soswap_json_key(&j, "links");
		soswap_json_arr_begin(&j);
	}
	int rc = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		soswap_err err = { 0 };
		soswap_links *l;
		if (soswap_links_plan(&l, argv[i], &err) < 0) {
			rc = cli_lib_error(ctx, &err);
			continue;
		}
		if (!dry && soswap_links_apply(l, &err) < 0)
			rc = cli_lib_error(ctx, &err);
		if (ctx->json)
			print_json(&j, l, argv[i]);
		else
			print_text(ctx, l, argv[i], dry);
		soswap_links_free(l);
	}
	if (ctx->json) {
		soswap_json_arr_end(&j);
		soswap_json_obj_end(&j);
		soswap_json_finish(&j);
	}
	return rc;
}
