/* cmd-install.c - `soswap install NEW [--dir DIR] [--version X.Y.Z]
 * [--link-name] [--force] [--dry-run] [--json]`: put a new library version
 * in place atomically. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"

/* Calls fn for each process an install left on the previous version:
 * those mapping its file, and those a live swap moved onto it. */
static size_t each_process(const soswap_upgrade *u,
			   void (*fn)(void *, const struct soswap_upgrade_proc *), void *arg)
{
	size_t n = 0;
	for (size_t i = 0; u && i < soswap_upgrade_count(u); i++) {
		const struct soswap_upgrade_proc *p = soswap_upgrade_get(u, i);
		if (p->state != SOSWAP_UPGRADE_NEEDS_RESTART && p->state != SOSWAP_UPGRADE_PLANNED)
			continue;
		if (fn)
			fn(arg, p);
		n++;
	}
	return n;
}

static void json_proc(void *arg, const struct soswap_upgrade_proc *p)
{
	struct soswap_json *j = arg;
	soswap_json_obj_begin(j);
	soswap_json_kint(j, "pid", p->pid);
	soswap_json_kstr(j, "comm", p->comm);
	soswap_json_kstr(j, "cmdline", p->cmdline);
	soswap_json_kstr(j, "mapped", p->old_path);
	soswap_json_obj_end(j);
}

static void text_proc(void *arg, const struct soswap_upgrade_proc *p)
{
	(void)arg;
	printf("    %d %s\n", (int)p->pid, *p->cmdline ? p->cmdline : p->comm);
}

void cli_install_json(struct soswap_json *jp, const soswap_install *h,
		      const char *new_path, const soswap_upgrade *procs)
{
	const struct soswap_install_info *in = soswap_install_get(h);
	const soswap_abidiff *d = soswap_install_abidiff(h);
	struct soswap_json j = *jp;
	soswap_json_obj_begin(&j);
	soswap_json_kstr(&j, "new", new_path);
	soswap_json_kstr(&j, "dir", in->dir);
	soswap_json_kstr(&j, "soname", in->soname);
	soswap_json_kstr(&j, "real_name", in->real_name);
	soswap_json_kstr(&j, "previous", in->previous);
	soswap_json_kstr(&j, "layout", in->layout_file ? "file" : "symlink");
	soswap_json_kbool(&j, "new_soname", in->new_soname);
	soswap_json_kbool(&j, "unchanged", in->unchanged);
	soswap_json_kbool(&j, "dry_run", in->dry_run);
	soswap_json_key(&j, "abi");
	if (in->abi_checked && d) {
		soswap_json_obj_begin(&j);
		soswap_json_kstr(&j, "verdict", cli_abi_verdict_name(in->abi));
		soswap_json_key(&j, "changes");
		cli_json_abi_changes(&j, d);
		soswap_json_obj_end(&j);
	} else {
		soswap_json_null(&j);
	}
	soswap_json_kbool(&j, "downgrade", in->downgrade);
	soswap_json_kstr(&j, "dpkg_owner", in->dpkg_owner);
	soswap_json_kstr(&j, "saved_copy", in->saved_copy);
	soswap_json_kstr(&j, "link_name", in->link_name);
	soswap_json_kbool(&j, "ldconfig", in->ldconfig > 0);
	soswap_json_key(&j, "steps");
	soswap_json_arr_begin(&j);
	for (size_t i = 0; i < in->nsteps; i++)
		soswap_json_str(&j, in->steps[i]);
	soswap_json_arr_end(&j);
	if (procs) {
		soswap_json_key(&j, "processes");
		soswap_json_arr_begin(&j);
		each_process(procs, json_proc, &j);
		soswap_json_arr_end(&j);
	}
	soswap_json_obj_end(&j);
	*jp = j;
}

static void print_json(const soswap_install *h, const char *new_path,
		       const soswap_upgrade *procs)
{
	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	cli_install_json(&j, h, new_path, procs);
	soswap_json_finish(&j);
}

void cli_install_text(const struct cli_ctx *ctx, const soswap_install *h,
		      const soswap_upgrade *procs)
{
	const struct soswap_install_info *in = soswap_install_get(h);
	const soswap_abidiff *d = soswap_install_abidiff(h);
	printf("%s%s%s %s in %s\n", cli_bold(ctx),
	       in->dry_run ? "would install" : in->unchanged ? "already installed" : "installed",
	       cli_reset(ctx), in->real_name, in->dir);
	if (in->abi_checked && d) {
		size_t n = soswap_abidiff_count(d);
		printf("  ABI against %s: %s%s%s (%zu change%s)\n", in->previous,
		       in->abi == SOSWAP_ABI_INCOMPATIBLE ? cli_red(ctx) : cli_green(ctx),
		       cli_abi_verdict_name(in->abi), cli_reset(ctx), n, n == 1 ? "" : "s");
		/* Incompatible changes first; at most 10 lines (--json has all). */
		size_t shown = 0;
		for (int pass = 1; pass >= 0; pass--)
			for (size_t i = 0; i < n; i++) {
				const struct soswap_abi_change *c = soswap_abidiff_change(d, i);
				if (!c->incompatible != !pass || shown++ >= 10)
					continue;
				printf("    %s %s\n", c->incompatible ? "!" : "+",
				       c->detail ? c->detail : c->kind);
			}
		if (shown > 10)
			printf("    ... %zu more (see --json)\n", shown - 10);
	}
	for (size_t i = 0; i < in->nsteps; i++)
		printf("  %s\n", in->steps[i]);
	if (each_process(procs, NULL, NULL)) {
		printf("  %s%s the previous version %s (restart them to use the new one):%s\n",
		       cli_yellow(ctx), in->dry_run ? "processes mapping" : "still running",
		       in->previous, cli_reset(ctx));
		each_process(procs, text_proc, NULL);
	}
	if (!in->dry_run && !in->unchanged && in->previous)
		printf("  undo with: soswap rollback --dir %s %s\n", in->dir, in->soname);
}

int cli_install_option(int c, char *arg, struct soswap_upgrade_opts *o)
{
	switch (c) {
	case 'd': o->dir = arg; return 1;
	case 'V': o->version = arg; return 1;
	case 'l': o->link_name = 1; return 1;
	case 'f': o->force = 1; return 1;
	case 'n': o->dry_run = 1; return 1;
	default: return 0;
	}
}

int cli_install_version_ok(const struct soswap_upgrade_opts *o)
{
	return !o->version || (*o->version && !strchr(o->version, '/') &&
			       strspn(o->version, "0123456789") > 0);
}

static void help(void)
{
	puts("Usage: soswap install NEW [--dir DIR] [--version X.Y.Z] [--link-name]\n"
	     "                      [--force] [--dry-run] [--json]\n\n"
	     "Install the shared library NEW into DIR (default /usr/local/lib) under\n"
	     "its real name, then switch its soname link atomically.  Running programs\n"
	     "keep the old version; programs started afterwards get the new one.\n"
	     "Refused unless --force: an incompatible ABI under the same soname, a\n"
	     "downgrade, replacing a file owned by a Debian package.\n\n"
	     "  -d, --dir DIR        target directory\n"
	     "  -V, --version X.Y.Z  real name STEM.so.X.Y.Z instead of NEW's file name\n"
	     "  -l, --link-name      also point the link name libNAME.so at the soname\n"
	     "  -f, --force          install despite the refusals above\n"
	     "  -n, --dry-run        check and print the plan, change nothing\n"
	     "  --json               machine-readable output (doc/json.md)\n"
	     "  -h, --help           this help\n\n"
	     "State for `soswap rollback` is kept in $SOSWAP_STATE_DIR (default\n"
	     "/var/lib/soswap).");
}

int cmd_install(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "version", required_argument, NULL, 'V' },
		{ "link-name", no_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* An install is an upgrade that moves no process: it lists them. */
	struct soswap_upgrade_opts o = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "d:V:lfnh", opts, NULL)) != -1) {
		if (cli_install_option(c, optarg, &o))
			continue;
		switch (c) {
		case 'j': ctx->json = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no NEW library given");
	if (optind + 1 < argc)
		return cli_usage(ctx, "one NEW library at a time");
	if (!cli_install_version_ok(&o))
		return cli_usage(ctx, "--version takes X[.Y[.Z]] starting with a number");

	soswap_err err = { 0 };
	soswap_upgrade *u;
	if (soswap_upgrade_run(&u, argv[optind], &o, &err) < 0)
		return cli_lib_error(ctx, &err);
	const soswap_install *h = soswap_upgrade_install(u);
	const struct soswap_install_info *in = soswap_install_get(h);
	if (in->abi_checked && in->abi == SOSWAP_ABI_INCOMPATIBLE)
		cli_warn(ctx, "%s: incompatible ABI change under the same soname %s, forced",
			 argv[optind], in->soname);
	if (in->downgrade)
		cli_warn(ctx, "%s: downgrade from %s forced; `ldconfig` points %s at the newest "
			 "real name in %s", in->real_name, in->previous, in->soname, in->dir);
	if (in->dpkg_owner)
		cli_warn(ctx, "replaced a file of Debian package %s; its next upgrade will "
			 "overwrite it", in->dpkg_owner);
	if (in->ldconfig < 0)
		cli_warn(ctx, "ldconfig failed; run it by hand");
	if (ctx->json)
		print_json(h, argv[optind], u);
	else
		cli_install_text(ctx, h, u);
	soswap_upgrade_free(u);
	return EXIT_OK;
}
