/* cmd-deps.c - `soswap deps FILE...`: the dependency tree ld.so would
 * load, with where each library came from, resolved without running the
 * program (libsoswap's resolver). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "json.h"

struct deps_opts {
	int flat, dlopen;
	const char *why;
};

static void source_note(const struct cli_ctx *ctx, const struct soswap_dep *d)
{
	const char *src = soswap_dep_source_name(d->source);
	switch (d->source) {
	case SOSWAP_DEP_RPATH:
		printf(" %s[rpath %s of %s]%s", cli_yellow(ctx), d->search_dir,
		       d->rpath_owner ? d->rpath_owner : "?", cli_reset(ctx));
		break;
	case SOSWAP_DEP_RUNPATH:
	case SOSWAP_DEP_LD_LIBRARY_PATH:
	case SOSWAP_DEP_SYSTEM:
		printf(" [%s %s]", src, d->search_dir ? d->search_dir : "");
		break;
	default:
		printf(" [%s]", src);
		break;
	}
	if (d->preload)
		printf(" [preload]");
	if (d->optional)
		printf(" [optional%s%s]", d->dlopen_priority ? ", " : "",
		       d->dlopen_priority ? d->dlopen_priority : "");
}

static void print_dep_line(const struct cli_ctx *ctx, const struct soswap_dep *d,
			   const char *asked, int again)
{
	if (!asked)
		asked = d->name;
	if (d->source == SOSWAP_DEP_NOT_FOUND) {
		printf("%s %s=> not found%s%s%s%s\n", asked, cli_red(ctx),
		       d->detail ? " (" : "", d->detail ? d->detail : "",
		       d->detail ? ")" : "", cli_reset(ctx));
		return;
	}
	if (d->source == SOSWAP_DEP_ERROR) {
		printf("%s %s=> error: %s%s\n", asked, cli_red(ctx),
		       d->detail ? d->detail : "refused", cli_reset(ctx));
		return;
	}
	if (strcmp(asked, d->path) == 0)
		printf("%s", d->path);
	else
		printf("%s => %s", asked, d->path);
	if (again)
		printf(" (see above)");
	else
		source_note(ctx, d);
	putchar('\n');
}

/* Prefix of the tree drawing: one "│   " or "    " per level. */
static void tree(const struct cli_ctx *ctx, const soswap_deptree *t, size_t i,
		 char *prefix, size_t plen, unsigned char *shown, unsigned depth)
{
	size_t n = soswap_deptree_needed_count(t, i);
	/* Preloads hang under the root, before its DT_NEEDED. */
	size_t npre = 0, pre[64];
	if (i == 0)
		for (size_t k = 1; k < soswap_deptree_count(t) && npre < 64; k++)
			if (soswap_deptree_get(t, k)->preload)
				pre[npre++] = k;
	for (size_t k = 0; k < npre + n; k++) {
		size_t dep = k < npre ? pre[k] : soswap_deptree_needed(t, i, k - npre);
		if (dep == SOSWAP_DEP_NONE)
			continue;
		int last = k + 1 == npre + n;
		const struct soswap_dep *d = soswap_deptree_get(t, dep);
		printf("%s%s", prefix, last ? "└── " : "├── ");
		/* Each object is expanded where it first appears. */
		int expand = !shown[dep] && depth < 64 && d->source != SOSWAP_DEP_INTERP;
		soswap_elf *e = soswap_deptree_elf(t, i);
		const char *asked = k >= npre && e && k - npre < soswap_elf_needed_count(e)
					    ? soswap_elf_needed(e, k - npre) : NULL;
		print_dep_line(ctx, d, asked, shown[dep] && d->source != SOSWAP_DEP_INTERP);
		if (!expand)
			continue;
		shown[dep] = 1;
		if (plen + 8 < 1024) {
			strcpy(prefix + plen, last ? "    " : "│   ");
			tree(ctx, t, dep, prefix, plen + strlen(last ? "    " : "│   "), shown, depth + 1);
			prefix[plen] = '\0';
		}
	}
}

static void print_tree(const struct cli_ctx *ctx, const soswap_deptree *t)
{
	const struct soswap_dep *root = soswap_deptree_get(t, 0);
	printf("%s%s%s", cli_bold(ctx), root->path, cli_reset(ctx));
	if (soswap_deptree_secure(t))
		printf(" %s[secure mode: %s]%s", cli_yellow(ctx), soswap_deptree_secure(t),
		       cli_reset(ctx));
	printf(" [interpreter %s]\n", soswap_deptree_interp(t));
	size_t cnt = soswap_deptree_count(t);
	unsigned char *shown = calloc(cnt ? cnt : 1, 1);
	char prefix[1024] = "";
	if (!shown)
		return;
	shown[0] = 1;
	tree(ctx, t, 0, prefix, 0, shown, 0);
	free(shown);
}

/* ldd's format without load addresses. */
static void print_flat(const struct cli_ctx *ctx, const soswap_deptree *t)
{
	for (size_t i = 1; i < soswap_deptree_count(t); i++) {
		const struct soswap_dep *d = soswap_deptree_get(t, i);
		const char *opt = d->optional ? " (optional)" : "";
		if (d->preload && !d->path)
			continue;
		if (d->source == SOSWAP_DEP_INTERP)
			printf("\t%s\n", d->path);
		else if (d->source == SOSWAP_DEP_NOT_FOUND)
			printf("\t%s => not found%s\n", d->name, opt);
		else if (d->source == SOSWAP_DEP_ERROR)
			printf("\t%s => error: %s%s\n", d->name, d->detail ? d->detail : "", opt);
		else if (strcmp(d->name, d->path) == 0)
			printf("\t%s%s\n", d->path, opt);
		else
			printf("\t%s => %s%s\n", d->name, d->path, opt);
	}
	(void)ctx;
}

static void print_json(struct soswap_json *j, const soswap_deptree *t, int with_tries)
{
	soswap_json_obj_begin(j);
	soswap_json_kstr(j, "file", soswap_deptree_get(t, 0)->path);
	soswap_json_kstr(j, "interpreter", soswap_deptree_interp(t));
	soswap_json_kstr(j, "secure", soswap_deptree_secure(t));
	soswap_json_kuint(j, "missing", soswap_deptree_missing(t));
	soswap_json_key(j, "objects");
	soswap_json_arr_begin(j);
	for (size_t i = 0; i < soswap_deptree_count(t); i++) {
		const struct soswap_dep *d = soswap_deptree_get(t, i);
		soswap_json_obj_begin(j);
		soswap_json_kuint(j, "index", i);
		soswap_json_kstr(j, "name", d->name);
		soswap_json_kstr(j, "path", d->path);
		soswap_json_kstr(j, "source", soswap_dep_source_name(d->source));
		soswap_json_kstr(j, "search_dir", d->search_dir);
		soswap_json_kstr(j, "rpath_owner", d->rpath_owner);
		soswap_json_key(j, "loader");
		if (d->loader == SOSWAP_DEP_NONE)
			soswap_json_null(j);
		else
			soswap_json_uint(j, d->loader);
		soswap_json_kuint(j, "depth", d->depth);
		soswap_json_kbool(j, "preload", d->preload);
		soswap_json_kbool(j, "optional", d->optional);
		soswap_json_kstr(j, "dlopen_priority", d->dlopen_priority);
		soswap_json_kstr(j, "dlopen_feature", d->dlopen_feature);
		soswap_json_kstr(j, "detail", d->detail);
		soswap_json_key(j, "needed");
		soswap_json_arr_begin(j);
		for (size_t k = 0; k < soswap_deptree_needed_count(t, i); k++) {
			size_t n = soswap_deptree_needed(t, i, k);
			if (n == SOSWAP_DEP_NONE)
				soswap_json_null(j);
			else
				soswap_json_uint(j, n);
		}
		soswap_json_arr_end(j);
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);
	soswap_json_key(j, "warnings");
	soswap_json_arr_begin(j);
	for (size_t i = 0; i < soswap_deptree_warnings_count(t); i++)
		soswap_json_str(j, soswap_deptree_warning(t, i));
	soswap_json_arr_end(j);
	if (with_tries) {
		soswap_json_key(j, "tries");
		soswap_json_arr_begin(j);
		for (size_t i = 0; i < soswap_deptree_tries_count(t); i++) {
			const struct soswap_dep_try *y = soswap_deptree_try(t, i);
			soswap_json_obj_begin(j);
			soswap_json_kstr(j, "name", y->name);
			soswap_json_kuint(j, "requester", y->requester);
			soswap_json_kstr(j, "step", soswap_dep_source_name(y->source));
			soswap_json_kstr(j, "path", y->path);
			soswap_json_kstr(j, "outcome", y->outcome);
			soswap_json_kbool(j, "chosen", y->chosen);
			soswap_json_obj_end(j);
		}
		soswap_json_arr_end(j);
	}
	soswap_json_obj_end(j);
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* --why NAME: every lookup of NAME, each candidate and its fate. */
static int print_why(const struct cli_ctx *ctx, const soswap_deptree *t, const char *name)
{
	size_t shown = 0, last_req = SOSWAP_DEP_NONE;
	for (size_t i = 0; i < soswap_deptree_tries_count(t); i++) {
		const struct soswap_dep_try *y = soswap_deptree_try(t, i);
		if (strcmp(y->name, name) != 0 && strcmp(base(y->name), name) != 0)
			continue;
		if (!shown || y->requester != last_req) {
			const struct soswap_dep *r = soswap_deptree_get(t, y->requester);
			printf("%s%s%s needed by %s:\n", cli_bold(ctx), y->name, cli_reset(ctx),
			       r ? r->path : "?");
			last_req = y->requester;
		}
		const char *step = y->source == SOSWAP_DEP_ROOT ? "loaded" : soswap_dep_source_name(y->source);
		printf("  %-16s %s%s%s%s\n", step, y->path ? y->path : "",
		       y->path ? ": " : "", y->chosen ? cli_green(ctx) : "", y->outcome);
		if (y->chosen)
			printf("%s", cli_reset(ctx));
		shown++;
	}
	if (!shown)
		printf("%s: not looked up while resolving %s\n", name,
		       soswap_deptree_get(t, 0)->path);
	return shown ? 0 : -1;
}

static void help(void)
{
	puts("Usage: soswap deps [OPTIONS] FILE...\n\n"
	     "Resolve the shared libraries the dynamic loader (glibc 2.36 ld.so)\n"
	     "would load for each ELF FILE, without running it, and show where\n"
	     "each came from: rpath, LD_LIBRARY_PATH, runpath, ld.so.cache,\n"
	     "system dir, direct path, interpreter; missing ones are marked.\n\n"
	     "  --flat           ldd's format without addresses\n"
	     "  --json           JSON (doc/json.md)\n"
	     "  --why NAME       every candidate path tried for NAME and why it\n"
	     "                   was rejected\n"
	     "  --dlopen         also resolve the optional dependencies declared in\n"
	     "                   .note.dlopen notes (marked optional)\n"
	     "  --env NAME=VALUE set LD_LIBRARY_PATH or LD_PRELOAD as the program\n"
	     "                   would see it (default: this environment's);\n"
	     "                   NAME= with no value unsets it\n"
	     "  --root DIR       resolve inside DIR (sysroot, container image)\n"
	     "  --secure         force secure mode (AT_SECURE), as for setuid\n"
	     "                   programs; by default it is decided from the file\n"
	     "  --no-preload-file  ignore /etc/ld.so.preload\n"
	     "  -h, --help       this help\n\n"
	     "Exit status: 0 all found, 1 a library is missing or refused, or a\n"
	     "FILE could not be resolved, 2 usage.");
}

static int apply_env(struct cli_ctx *ctx, soswap_resolver *r, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return cli_usage(ctx, "--env wants NAME=VALUE, got '%s'", arg);
	char *name = strndup(arg, (size_t)(eq - arg));
	soswap_err err = { 0 };
	int rc = name ? soswap_resolver_setenv(r, name, eq[1] || !strcmp(name, "LD_PRELOAD") ? eq + 1 : NULL, &err) : -1;
	free(name);
	if (rc < 0)
		return cli_usage(ctx, "%s", err.msg);
	return 0;
}

int cmd_deps(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "flat", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "why", required_argument, NULL, 'w' },
		{ "dlopen", no_argument, NULL, 'd' },
		{ "env", required_argument, NULL, 'e' },
		{ "root", required_argument, NULL, 'r' },
		{ "secure", no_argument, NULL, 's' },
		{ "no-preload-file", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct deps_opts o = { 0 };
	soswap_resolver *r = NULL;
	soswap_err err = { 0 };
	unsigned flags = 0;
	int c, rc = EXIT_OK;
	if (soswap_resolver_new(&r, &err) < 0)
		return cli_lib_error(ctx, &err);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.flat = 1; break;
		case 'j': ctx->json = 1; break;
		case 'w': o.why = optarg; flags |= SOSWAP_RESOLVE_TRACE; break;
		case 'd': flags |= SOSWAP_RESOLVE_DLOPEN; break;
		case 'e':
			if ((rc = apply_env(ctx, r, optarg)) != 0)
				goto out;
			break;
		case 'r':
			if (soswap_resolver_set_root(r, optarg, &err) < 0) {
				rc = cli_lib_error(ctx, &err);
				goto out;
			}
			break;
		case 's': soswap_resolver_set_secure(r, SOSWAP_SECURE_ON); break;
		case 'P': flags |= SOSWAP_RESOLVE_NO_PRELOAD_FILE; break;
		case 'h': help(); goto out;
		default: rc = cli_usage(ctx, "bad option"); goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_usage(ctx, "no FILE given");
		goto out;
	}
	if (o.flat + ctx->json + (o.why != NULL) > 1) {
		rc = cli_usage(ctx, "--flat, --json and --why exclude each other");
		goto out;
	}
	if (ctx->json && flags & SOSWAP_RESOLVE_TRACE)
		flags &= ~SOSWAP_RESOLVE_TRACE;

	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	if (ctx->json)
		soswap_json_arr_begin(&j);
	int nfiles = argc - optind;
	for (int i = optind; i < argc; i++) {
		soswap_deptree *t;
		if (soswap_resolve(r, argv[i], flags, &t, &err) < 0) {
			rc = cli_lib_error(ctx, &err);
			continue;
		}
		for (size_t w = 0; w < soswap_deptree_warnings_count(t); w++)
			cli_warn(ctx, "%s: %s", argv[i], soswap_deptree_warning(t, w));
		if (ctx->json) {
			print_json(&j, t, 0);
		} else if (o.why) {
			if (print_why(ctx, t, o.why) < 0)
				rc = EXIT_FAIL;
		} else if (o.flat) {
			if (nfiles > 1)
				printf("%s:\n", argv[i]);
			print_flat(ctx, t);
		} else {
			print_tree(ctx, t);
		}
		if (soswap_deptree_missing(t))
			rc = EXIT_FAIL;
		soswap_deptree_free(t);
	}
	if (ctx->json) {
		soswap_json_arr_end(&j);
		soswap_json_finish(&j);
	}
out:
	soswap_resolver_free(r);
	return rc;
}
