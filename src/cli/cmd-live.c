/* cmd-live.c - `soswap live --pid PID OLD NEW` and
 * `soswap live --rollback --pid PID`: swap a library inside a running
 * process, or undo the last swap. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "json.h"

static void help(void)
{
	puts("Usage: soswap live --pid PID [--json] [--dry-run] [--timeout MS]\n"
	     "                   [--no-entry-jumps] OLD NEW\n"
	     "       soswap live --rollback --pid PID [--json] [--dry-run] [--timeout MS]\n\n"
	     "Replace library OLD by NEW inside the running process PID, without\n"
	     "restarting it.  OLD names the library as mapped in the process (path,\n"
	     "soname or file name; a deleted file works); NEW is the new build.\n"
	     "NEW is loaded with dlopen by a thread of the process, then every thread\n"
	     "is stopped for a few microseconds while each GOT slot that leads to OLD\n"
	     "is pointed at NEW and each exported function of OLD gets a jump to NEW's.\n"
	     "Every write is journaled first (under /run/soswap, $XDG_RUNTIME_DIR/soswap\n"
	     "or $SOSWAP_RUN_DIR): --rollback undoes the last swap, even one cut short.\n\n"
	     "  -p, --pid PID        the process\n"
	     "  -n, --dry-run        check and plan, change nothing\n"
	     "  -t, --timeout MS     give up the load or the pause after MS (default 5000)\n"
	     "      --no-entry-jumps rewrite GOT slots only (old function pointers keep\n"
	     "                       reaching OLD)\n"
	     "      --rollback       undo the last swap of PID\n"
	     "      --json           one JSON object (doc/json.md)\n"
	     "  -h, --help           this help");
}

static const char *abi_name(int v)
{
	return v == SOSWAP_ABI_SAME ? "same" : v == SOSWAP_ABI_COMPATIBLE ? "compatible" :
	       v == SOSWAP_ABI_INCOMPATIBLE ? "incompatible" : NULL;
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static void print_json(pid_t pid, const soswap_live_report *r)
{
	const struct soswap_live_stats *s = soswap_live_report_stats(r);
	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	soswap_json_obj_begin(&j);
	soswap_json_kint(&j, "pid", pid);
	soswap_json_kstr(&j, "operation", s->rollback ? "rollback" : "swap");
	soswap_json_kbool(&j, "dry_run", s->dry_run);
	soswap_json_kstr(&j, "old", soswap_live_report_old(r));
	soswap_json_kstr(&j, "new", soswap_live_report_new(r));
	soswap_json_kbool(&j, "reused", s->reused);
	soswap_json_kstr(&j, "abi", abi_name(soswap_live_report_abi(r)));
	soswap_json_key(&j, "modules");
	soswap_json_arr_begin(&j);
	for (size_t i = 0; i < soswap_live_report_module_count(r); i++) {
		unsigned slots;
		const char *m = soswap_live_report_module(r, i, &slots);
		soswap_json_obj_begin(&j);
		soswap_json_kstr(&j, "name", m);
		soswap_json_kuint(&j, "got_slots", slots);
		soswap_json_obj_end(&j);
	}
	soswap_json_arr_end(&j);
	soswap_json_kuint(&j, "modules_patched", s->modules_patched);
	soswap_json_kuint(&j, "got_slots", s->got_slots);
	soswap_json_kuint(&j, "entry_jumps", s->entry_jumps);
	soswap_json_kuint(&j, "entries_restored", s->entries_restored);
	soswap_json_key(&j, "functions_skipped");
	soswap_json_arr_begin(&j);
	for (size_t i = 0; i < soswap_live_report_skipped_count(r); i++) {
		const char *why;
		const char *n = soswap_live_report_skipped(r, i, &why);
		soswap_json_obj_begin(&j);
		soswap_json_kstr(&j, "name", n);
		soswap_json_kstr(&j, "reason", why);
		soswap_json_obj_end(&j);
	}
	soswap_json_arr_end(&j);
	soswap_json_kuint(&j, "data_shared", s->data_shared);
	soswap_json_kuint(&j, "data_migrated", s->data_migrated);
	soswap_json_kbool(&j, "migrate_called", s->migrate_called);
	soswap_json_kuint(&j, "writes", s->writes);
	soswap_json_kuint(&j, "retries", s->retries);
	soswap_json_kuint(&j, "threads_stepped", s->threads_stepped);
	soswap_json_key(&j, "times_ns");
	soswap_json_obj_begin(&j);
	soswap_json_kuint(&j, "stop", s->stop_ns);
	soswap_json_kuint(&j, "patch_window", s->patch_ns);
	soswap_json_kuint(&j, "pause", s->pause_ns);
	soswap_json_kuint(&j, "total", s->total_ns);
	soswap_json_kuint(&j, "load", s->load_ns);
	soswap_json_obj_end(&j);
	soswap_json_kstr(&j, "journal", soswap_live_report_journal(r));
	soswap_json_key(&j, "warnings");
	soswap_json_arr_begin(&j);
	for (size_t i = 0; i < soswap_live_report_warning_count(r); i++)
		soswap_json_str(&j, soswap_live_report_warning(r, i));
	soswap_json_arr_end(&j);
	soswap_json_obj_end(&j);
	soswap_json_finish(&j);
}

static void print_text(const struct cli_ctx *ctx, pid_t pid, const soswap_live_report *r)
{
	const struct soswap_live_stats *s = soswap_live_report_stats(r);
	const char *verb = s->rollback ? (s->dry_run ? "would roll back" : "rolled back") :
			   (s->dry_run ? "would swap" : "swapped");
	printf("%s%s%s pid %d: %s -> %s\n", cli_bold(ctx), verb, cli_reset(ctx), (int)pid,
	       soswap_live_report_old(r), soswap_live_report_new(r));
	if (s->reused)
		printf("  NEW was already loaded: reused\n");
	if (abi_name(soswap_live_report_abi(r)))
		printf("  ABI:               %s\n", abi_name(soswap_live_report_abi(r)));
	if (!s->rollback) {
		printf("  modules patched:   %u", s->modules_patched);
		for (size_t i = 0; i < soswap_live_report_module_count(r); i++) {
			unsigned n;
			const char *m = soswap_live_report_module(r, i, &n);
			printf("%s%s (%u)", i ? ", " : " - ", m, n);
		}
		putchar('\n');
	}
	printf("  GOT slots:         %u\n", s->got_slots);
	printf("  entry jumps:       %u", s->entry_jumps);
	if (s->entries_restored)
		printf(" (+%u entries of NEW restored)", s->entries_restored);
	putchar('\n');
	if (!s->rollback) {
		printf("  functions skipped: %u\n", s->functions_skipped);
		for (size_t i = 0; i < soswap_live_report_skipped_count(r); i++) {
			const char *why;
			const char *n = soswap_live_report_skipped(r, i, &why);
			printf("    %s%s%s: %s\n", cli_yellow(ctx), n, cli_reset(ctx), why);
		}
		printf("  data shared:       %u object%s", s->data_shared,
		       s->data_shared == 1 ? "" : "s");
		if (s->data_migrated)
			printf(", %u migrated by soswap_migrate()", s->data_migrated);
		putchar('\n');
	}
	if (!s->dry_run) {
		printf("  pause:             %.0f us (stop %.0f us, patch window %.0f us, "
		       "%u write%s, %u retr%s, %u thread%s stepped)\n", us(s->pause_ns),
		       us(s->stop_ns), us(s->patch_ns), s->writes, s->writes == 1 ? "" : "s",
		       s->retries, s->retries == 1 ? "y" : "ies", s->threads_stepped,
		       s->threads_stepped == 1 ? "" : "s");
		printf("  total:             %.1f ms", us(s->total_ns) / 1000.0);
		if (s->load_ns)
			printf(" (loading NEW %.1f ms)", us(s->load_ns) / 1000.0);
		putchar('\n');
	}
	if (soswap_live_report_journal(r))
		printf("  journal:           %s\n", soswap_live_report_journal(r));
	for (size_t i = 0; i < soswap_live_report_warning_count(r); i++)
		printf("  note: %s\n", soswap_live_report_warning(r, i));
}

static int parse_int(const char *s, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int cmd_live(int argc, char **argv, struct cli_ctx *ctx)
{
	enum { OPT_JSON = 256, OPT_NO_JUMPS, OPT_ROLLBACK };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-entry-jumps", no_argument, NULL, OPT_NO_JUMPS },
		{ "rollback", no_argument, NULL, OPT_ROLLBACK },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct soswap_live_opts o = { 0 };
	long pid = 0, v;
	int rollback = 0, c;
	while ((c = getopt_long(argc, argv, "p:nt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_int(optarg, INT_MAX, &pid) < 0)
				return cli_usage(ctx, "--pid takes a process id, not '%s'", optarg);
			break;
		case OPT_JSON: ctx->json = 1; break;
		case 'n': o.flags |= SOSWAP_LIVE_DRY_RUN; break;
		case 't':
			if (parse_int(optarg, 3600000, &v) < 0)
				return cli_usage(ctx, "--timeout takes milliseconds, not '%s'", optarg);
			o.timeout_ms = (int)v;
			break;
		case OPT_NO_JUMPS: o.flags |= SOSWAP_LIVE_NO_ENTRY_JUMPS; break;
		case OPT_ROLLBACK: rollback = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (!pid)
		return cli_usage(ctx, "--pid PID is required");
	if (rollback && optind != argc)
		return cli_usage(ctx, "--rollback takes no OLD or NEW");
	if (rollback && (o.flags & SOSWAP_LIVE_NO_ENTRY_JUMPS))
		return cli_usage(ctx, "--rollback and --no-entry-jumps exclude each other");
	if (!rollback && argc - optind != 2)
		return cli_usage(ctx, "expected OLD and NEW");

	soswap_err err = { 0 };
	soswap_live_report *rep = NULL;
	int r = rollback ? soswap_live_rollback((pid_t)pid, &o, &rep, &err) :
			   soswap_live_swap((pid_t)pid, argv[optind], argv[optind + 1], &o,
					    &rep, &err);
	if (r < 0)
		return cli_lib_error(ctx, &err);
	if (ctx->json)
		print_json((pid_t)pid, rep);
	else
		print_text(ctx, (pid_t)pid, rep);
	soswap_live_report_free(rep);
	return EXIT_OK;
}
