/* cmd-upgrade.c - `soswap upgrade`: install a new library version and move
 * every running process onto it; the `--stale` variant after a package
 * manager replaced libraries; `--rollback SONAME`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

static void help(void)
{
	puts("Usage: soswap upgrade NEW [--dir DIR] [--version X.Y.Z] [--link-name] [--force]\n"
	     "                      [--live | --report-only] [--dry-run] [--timeout MS] [--json]\n"
	     "       soswap upgrade --stale [--live | --report-only] [--lib PATH | --dir DIR]\n"
	     "                      [--dry-run] [--timeout MS] [--json]\n"
	     "       soswap upgrade --rollback SONAME [--dir DIR] [--json]\n\n"
	     "Install NEW like `soswap install` (ABI, downgrade and package checks), find\n"
	     "every process still mapping the version it replaced, and with --live swap\n"
	     "each onto the new version inside the running process.  Ends with a table:\n"
	     "swapped, failed (with the reason), needs restart.\n\n"
	     "--stale: after a package manager replaced libraries on disk, swap every\n"
	     "process that still maps a replaced library onto the file now at its path.\n"
	     "--rollback: put the soname link back and swap back every process the last\n"
	     "upgrade of SONAME swapped.\n\n"
	     "  -d, --dir DIR        library directory (default /usr/local/lib); with\n"
	     "                       --stale, only libraries under DIR\n"
	     "  -V, --version X.Y.Z  real name STEM.so.X.Y.Z instead of NEW's file name\n"
	     "  -l, --link-name      also point the link name libNAME.so at the soname\n"
	     "  -f, --force          install despite an incompatible ABI, a downgrade\n"
	     "                       or a file owned by a Debian package\n"
	     "  --live               live-swap the processes found\n"
	     "  --report-only        only list them (the default)\n"
	     "  --lib PATH           --stale: only this library\n"
	     "  -n, --dry-run        show the plan, change nothing\n"
	     "  -t, --timeout MS     per live swap (default 5000)\n"
	     "  --json               machine-readable output (doc/json.md)\n\n"
	     "Exit status: 0 when every process found runs the new version, 1 when\n"
	     "some do not (or on error), 2 usage error.");
}

struct progress_arg {
	const struct cli_ctx *ctx;
};

static void on_progress(void *arg, size_t done, size_t total, pid_t pid)
{
	const struct cli_ctx *ctx = arg;
	if (done < total)
		cli_progress(ctx, "swapping %zu/%zu (pid %d)...", done + 1, total, (int)pid);
	else
		cli_progress_done(ctx);
}

static void counts(const soswap_upgrade *u, size_t n[8])
{
	memset(n, 0, 8 * sizeof(size_t));
	for (size_t i = 0; i < soswap_upgrade_count(u); i++) {
		unsigned s = soswap_upgrade_get(u, i)->state;
		if (s < 8)
			n[s]++;
	}
}

static void print_json(const soswap_upgrade *u, const char *mode, const char *new_path)
{
	struct soswap_json j;
	size_t n[8];
	soswap_json_init(&j, stdout, 1);
	soswap_json_obj_begin(&j);
	soswap_json_kstr(&j, "mode", mode);
	soswap_json_key(&j, "install");
	if (soswap_upgrade_install(u))
		cli_install_json(&j, soswap_upgrade_install(u), new_path, NULL);
	else
		soswap_json_null(&j);
	soswap_json_key(&j, "rollback");
	const struct soswap_rollback_info *rb = soswap_upgrade_rollback_info(u);
	if (rb) {
		soswap_json_obj_begin(&j);
		soswap_json_kstr(&j, "dir", rb->dir);
		soswap_json_kstr(&j, "soname", rb->soname);
		soswap_json_kstr(&j, "from", rb->from);
		soswap_json_kstr(&j, "to", rb->to);
		soswap_json_obj_end(&j);
	} else {
		soswap_json_null(&j);
	}
	soswap_json_key(&j, "processes");
	soswap_json_arr_begin(&j);
	for (size_t i = 0; i < soswap_upgrade_count(u); i++) {
		const struct soswap_upgrade_proc *p = soswap_upgrade_get(u, i);
		soswap_json_obj_begin(&j);
		soswap_json_kint(&j, "pid", p->pid);
		soswap_json_kstr(&j, "comm", p->comm);
		soswap_json_kstr(&j, "old", p->old_path);
		soswap_json_kstr(&j, "new", p->new_path);
		soswap_json_kstr(&j, "state", soswap_upgrade_state_name(p->state));
		soswap_json_kstr(&j, "reason", p->reason);
		soswap_json_key(&j, "pause_us");
		if (p->pause_ns)
			soswap_json_double(&j, (double)p->pause_ns / 1000.0);
		else
			soswap_json_null(&j);
		soswap_json_obj_end(&j);
	}
	soswap_json_arr_end(&j);
	counts(u, n);
	soswap_json_key(&j, "summary");
	soswap_json_obj_begin(&j);
	soswap_json_kuint(&j, "swapped", n[SOSWAP_UPGRADE_SWAPPED]);
	soswap_json_kuint(&j, "failed", n[SOSWAP_UPGRADE_FAILED]);
	soswap_json_kuint(&j, "needs_restart", n[SOSWAP_UPGRADE_NEEDS_RESTART]);
	soswap_json_kuint(&j, "planned", n[SOSWAP_UPGRADE_PLANNED]);
	soswap_json_kuint(&j, "exited", n[SOSWAP_UPGRADE_EXITED]);
	soswap_json_kuint(&j, "rolled_back", n[SOSWAP_UPGRADE_ROLLED_BACK]);
	soswap_json_obj_end(&j);
	soswap_json_kbool(&j, "complete", soswap_upgrade_complete(u));
	soswap_json_obj_end(&j);
	soswap_json_finish(&j);
}

static const char *state_color(const struct cli_ctx *ctx, enum soswap_upgrade_state s)
{
	switch (s) {
	case SOSWAP_UPGRADE_SWAPPED:
	case SOSWAP_UPGRADE_ROLLED_BACK: return cli_green(ctx);
	case SOSWAP_UPGRADE_FAILED: return cli_red(ctx);
	case SOSWAP_UPGRADE_NEEDS_RESTART: return cli_yellow(ctx);
	default: return "";
	}
}

static void print_text(const struct cli_ctx *ctx, const soswap_upgrade *u)
{
	size_t n[8];
	if (soswap_upgrade_install(u))
		cli_install_text(ctx, soswap_upgrade_install(u), NULL);
	const struct soswap_rollback_info *rb = soswap_upgrade_rollback_info(u);
	if (rb)
		printf("%srolled back%s %s in %s: %s -> %s\n", cli_bold(ctx), cli_reset(ctx),
		       rb->soname, rb->dir, rb->from, rb->to);
	if (soswap_upgrade_count(u) == 0) {
		printf("no running process maps the previous version\n");
		return;
	}
	putchar('\n');
	printf("%8s  %-15s %-14s %10s  %s\n", "PID", "COMMAND", "STATE", "PAUSE", "DETAIL");
	for (size_t i = 0; i < soswap_upgrade_count(u); i++) {
		const struct soswap_upgrade_proc *p = soswap_upgrade_get(u, i);
		char pause[32] = "-";
		if (p->pause_ns)
			snprintf(pause, sizeof(pause), "%.0f us", (double)p->pause_ns / 1000.0);
		const char *detail = p->reason;
		char buf[8192];
		if (!detail) {
			snprintf(buf, sizeof(buf), "%s -> %s", p->old_path ? p->old_path : "?",
				 p->new_path ? p->new_path : "?");
			detail = buf;
		}
		printf("%8d  %-15.15s %s%-14s%s %10s  %s\n", (int)p->pid, p->comm,
		       state_color(ctx, p->state), soswap_upgrade_state_name(p->state),
		       cli_reset(ctx), pause, detail);
	}
	counts(u, n);
	printf("\n%zu swapped, %zu failed, %zu need restart", n[SOSWAP_UPGRADE_SWAPPED],
	       n[SOSWAP_UPGRADE_FAILED], n[SOSWAP_UPGRADE_NEEDS_RESTART]);
	if (n[SOSWAP_UPGRADE_PLANNED])
		printf(", %zu planned (dry run)", n[SOSWAP_UPGRADE_PLANNED]);
	if (n[SOSWAP_UPGRADE_EXITED])
		printf(", %zu exited", n[SOSWAP_UPGRADE_EXITED]);
	if (n[SOSWAP_UPGRADE_ROLLED_BACK])
		printf(", %zu rolled back", n[SOSWAP_UPGRADE_ROLLED_BACK]);
	putchar('\n');
}

int cmd_upgrade(int argc, char **argv, struct cli_ctx *ctx)
{
	enum { OPT_JSON = 256, OPT_LIVE, OPT_REPORT, OPT_STALE, OPT_ROLLBACK, OPT_LIB };
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "version", required_argument, NULL, 'V' },
		{ "link-name", no_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "report-only", no_argument, NULL, OPT_REPORT },
		{ "stale", no_argument, NULL, OPT_STALE },
		{ "rollback", required_argument, NULL, OPT_ROLLBACK },
		{ "lib", required_argument, NULL, OPT_LIB },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct soswap_upgrade_opts uo = { .progress = on_progress, .progress_arg = ctx };
	int report_only = 0, stale = 0, c;
	const char *rollback = NULL, *lib = NULL;
	char *end;
	while ((c = getopt_long(argc, argv, "d:V:lfnt:h", opts, NULL)) != -1) {
		if (cli_install_option(c, optarg, &uo))
			continue;
		switch (c) {
		case 't':
			uo.timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || uo.timeout_ms <= 0)
				return cli_usage(ctx, "--timeout takes a positive number of milliseconds");
			break;
		case OPT_LIVE: uo.live = 1; break;
		case OPT_REPORT: report_only = 1; break;
		case OPT_STALE: stale = 1; break;
		case OPT_ROLLBACK: rollback = optarg; break;
		case OPT_LIB: lib = optarg; break;
		case OPT_JSON: ctx->json = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	/* Bad or conflicting options are refused before any work. */
	if (!cli_install_version_ok(&uo))
		return cli_usage(ctx, "--version takes X[.Y[.Z]] starting with a number");
	if (uo.live && report_only)
		return cli_usage(ctx, "--live and --report-only exclude each other");
	if (!!stale + !!rollback > 1)
		return cli_usage(ctx, "--stale and --rollback exclude each other");
	if (lib && !stale)
		return cli_usage(ctx, "--lib goes with --stale");
	if (lib && uo.dir)
		return cli_usage(ctx, "--lib and --dir exclude each other");
	if (rollback && (uo.live || report_only || uo.dry_run || uo.version ||
			 uo.link_name || uo.force))
		return cli_usage(ctx, "--rollback takes only --dir, --timeout and --json");
	if (stale && (uo.version || uo.link_name || uo.force))
		return cli_usage(ctx, "--stale does not install: --version, --link-name "
				      "and --force do not apply");
	int nargs = argc - optind;
	if ((stale || rollback) && nargs != 0)
		return cli_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (!stale && !rollback && nargs != 1)
		return cli_usage(ctx, "expected one NEW library");

	soswap_err err = { 0 };
	soswap_upgrade *u = NULL;
	int rc;
	const char *mode, *new_path = NULL;
	if (rollback) {
		mode = "rollback";
		rc = soswap_upgrade_rollback(&u, rollback, &uo, &err);
	} else if (stale) {
		mode = "stale";
		rc = soswap_upgrade_stale(&u, lib ? lib : uo.dir, &uo, &err);
	} else {
		mode = "upgrade";
		new_path = argv[optind];
		rc = soswap_upgrade_run(&u, new_path, &uo, &err);
	}
	if (rc < 0)
		return cli_lib_error(ctx, &err);
	if (ctx->json)
		print_json(u, mode, new_path);
	else
		print_text(ctx, u);
	/* A dry run succeeds when the plan could be made. */
	rc = uo.dry_run || soswap_upgrade_complete(u) ? EXIT_OK : EXIT_FAIL;
	soswap_upgrade_free(u);
	return rc;
}
