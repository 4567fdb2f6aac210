/* scan-out.c - shared text and JSON output of process scans. */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "scan-out.h"

static void progress(void *arg, size_t done, size_t total)
{
	const struct cli_ctx *ctx = arg;
	if (done >= total)
		cli_progress_done(ctx);
	else
		cli_progress(ctx, "scanning processes %zu/%zu", done, total);
}

void scan_opts_init(struct soswap_scan_opts *o, const struct cli_ctx *ctx)
{
	memset(o, 0, sizeof(*o));
	if (ctx->progress) {
		o->progress = progress;
		o->progress_arg = (void *)ctx;
	}
}

const char *scan_user(uid_t uid)
{
	static struct { uid_t uid; char name[64]; } cache[64];
	static size_t n;
	if (uid == (uid_t)-1)
		return "?";
	for (size_t i = 0; i < n; i++)
		if (cache[i].uid == uid)
			return cache[i].name;
	size_t k = n < 64 ? n++ : (size_t)uid % 64;
	struct passwd *pw = getpwuid(uid);
	cache[k].uid = uid;
	if (pw)
		snprintf(cache[k].name, sizeof(cache[k].name), "%s", pw->pw_name);
	else
		snprintf(cache[k].name, sizeof(cache[k].name), "%u", (unsigned)uid);
	return cache[k].name;
}

void scan_print_procs(const struct cli_ctx *ctx, const soswap_scan *s,
		      const struct soswap_lib_group *g)
{
	printf("  %s%7s  %-10s %-16s %-14s  %s%s\n", cli_bold(ctx), "PID", "USER",
	       "COMMAND", "BASE", "MAPPED AS", cli_reset(ctx));
	for (size_t i = g->first; i < g->first + g->count; i++) {
		const struct soswap_proc_map *p = soswap_scan_get(s, i);
		printf("  %7d  %-10s %-16s 0x%-12" PRIx64 "  %s%s\n", (int)p->pid,
		       scan_user(p->uid), p->comm, p->base, p->path,
		       p->deleted ? " (deleted)" : "");
		if (p->flags & SOSWAP_PROC_SWAPPED)
			printf("  %7s  %sswapped live: runs %s%s\n", "", cli_green(ctx),
			       p->swapped_to, cli_reset(ctx));
	}
}

void scan_json_procs(struct soswap_json *j, const soswap_scan *s,
		     const struct soswap_lib_group *g)
{
	soswap_json_key(j, "processes");
	soswap_json_arr_begin(j);
	for (size_t i = g->first; i < g->first + g->count; i++) {
		const struct soswap_proc_map *p = soswap_scan_get(s, i);
		soswap_json_obj_begin(j);
		soswap_json_kint(j, "pid", p->pid);
		soswap_json_kint(j, "uid", p->uid == (uid_t)-1 ? -1 : (int64_t)p->uid);
		soswap_json_kstr(j, "user", scan_user(p->uid));
		soswap_json_kstr(j, "comm", p->comm);
		soswap_json_kstr(j, "cmdline", p->cmdline);
		soswap_json_kstr(j, "path", p->path);
		soswap_json_khex(j, "base", p->base);
		soswap_json_kbool(j, "deleted", p->deleted);
		soswap_json_kuint(j, "dev_major", major(p->dev));
		soswap_json_kuint(j, "dev_minor", minor(p->dev));
		soswap_json_kuint(j, "ino", p->ino);
		soswap_json_kbool(j, "ident_from_maps", p->ident_from_maps);
		soswap_json_key(j, "start_time");
		if (p->start_ns < 0)
			soswap_json_null(j);
		else
			soswap_json_double(j, (double)p->start_ns / 1e9);
		soswap_json_kbool(j, "swapped", p->flags & SOSWAP_PROC_SWAPPED);
		soswap_json_kstr(j, "swapped_to", p->swapped_to);
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);
}

void scan_json_counts(struct soswap_json *j, const soswap_scan *s)
{
	soswap_json_kuint(j, "scanned", soswap_scan_scanned(s));
	soswap_json_kuint(j, "denied", soswap_scan_denied(s));
}

void scan_note_denied(const struct cli_ctx *ctx, const soswap_scan *s)
{
	if (soswap_scan_denied(s))
		cli_warn(ctx, "%zu of %zu processes could not be inspected (permission "
			 "denied%s); results cover the %zu visible ones",
			 soswap_scan_denied(s), soswap_scan_denied(s) + soswap_scan_scanned(s),
			 geteuid() ? ", run as root" : "", soswap_scan_scanned(s));
}

void scan_json_print(const soswap_scan *s, const char *key,
		     void (*fields)(struct soswap_json *, const struct soswap_lib_group *))
{
	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	soswap_json_obj_begin(&j);
	soswap_json_key(&j, key);
	soswap_json_arr_begin(&j);
	for (size_t i = 0; i < soswap_scan_groups(s); i++) {
		const struct soswap_lib_group *g = soswap_scan_group(s, i);
		soswap_json_obj_begin(&j);
		fields(&j, g);
		soswap_json_kuint(&j, "dev_major", major(g->dev));
		soswap_json_kuint(&j, "dev_minor", minor(g->dev));
		soswap_json_kuint(&j, "ino", g->ino);
		scan_json_procs(&j, s, g);
		soswap_json_obj_end(&j);
	}
	soswap_json_arr_end(&j);
	scan_json_counts(&j, s);
	soswap_json_obj_end(&j);
	soswap_json_finish(&j);
}
