/* main.c - `soswap` entry point: global options and the subcommand table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_cmd commands[] = {
	{ "info", cmd_info, 0, "show what an ELF object declares (soname, needed, symbols...)" },
	{ "deps", cmd_deps, 0, "resolve a program's dependency tree like ld.so, without running it" },
	{ "diff", cmd_diff, 0, "ABI verdict between two builds of a library" },
	{ "links", cmd_links, CMD_WRITES_FS, "create soname links in directories (ldconfig -n)" },
	{ "install", cmd_install, CMD_WRITES_FS, "install a new library version atomically" },
	{ "rollback", cmd_rollback, CMD_WRITES_FS, "point a soname back at the previous version" },
	{ "who", cmd_who, CMD_SCANS_PROCS, "list processes that map a library" },
	{ "stale", cmd_stale, CMD_SCANS_PROCS, "list processes running deleted or replaced libraries" },
	{ "live", cmd_live, CMD_NEEDS_PTRACE | CMD_SCANS_PROCS, "swap a library inside a running process" },
	{ "upgrade", cmd_upgrade, CMD_NEEDS_PTRACE | CMD_WRITES_FS | CMD_SCANS_PROCS,
	  "install, then move running processes to the new version" },
};

static void usage(FILE *f)
{
	fputs("Usage: soswap [-q|-v] [--color=auto|always|never] COMMAND [ARGS...]\n"
	      "       soswap COMMAND --help\n\n"
	      "Upgrade shared libraries without breaking the programs that use them.\n\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\nExit status: 0 success, 1 failure, 2 usage error"
	      " (diff: 0 no change, 4 compatible, 12 incompatible, 1 error, 3 usage).\n"
	      "Every command takes --json for machine-readable output.\n\n"
	      "Options (also accepted after COMMAND):\n"
	      "  -q, --quiet          no warnings, no progress (errors still shown)\n"
	      "  -v, --verbose        more detail; repeat for more\n"
	      "  --color=WHEN         auto (terminal, no NO_COLOR), always, never\n"
	      "  --no-color           same as --color=never\n"
	      "  -h, --help           this help;  --version  print the version\n", f);
}

/* A full disk or a closed pipe must not look like success. */
static int close_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "soswap: write error: %s\n", strerror(errno));
		return rc ? rc : EXIT_FAIL;
	}
	return rc;
}

/* A global option (-q, -v, --color=WHEN and their long forms)?  Returns 1
 * and updates ctx/color when it is one, 0 when not, -1 on a bad value. */
static int global_opt(const char *a, struct cli_ctx *ctx, const char **color)
{
	if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
		ctx->quiet = 1;
	else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
		ctx->verbose++;
	else if (!strcmp(a, "--no-color"))
		*color = "never";
	else if (!strncmp(a, "--color=", 8))
		*color = a + 8;
	else
		return 0;
	if (strcmp(*color, "auto") && strcmp(*color, "always") && strcmp(*color, "never"))
		return -1;
	return 1;
}

/* Global options are also accepted after the subcommand's name (up to
 * "--"), so `soswap who -q LIB` works like `soswap -q who LIB`; they are
 * taken out of argv before the subcommand parses it.  Subcommands must
 * therefore not define -q, -v, --quiet, --verbose or --color themselves. */
static int take_global_opts(int argc, char **argv, struct cli_ctx *ctx,
			    const char **color)
{
	int n = 1;
	for (int k = 1; k < argc; k++) {
		int r = strcmp(argv[k], "--") ? global_opt(argv[k], ctx, color) : 0;
		if (r < 0)
			return -1;
		if (r == 0)
			argv[n++] = argv[k];
		if (!strcmp(argv[k], "--")) {
			while (++k < argc)
				argv[n++] = argv[k];
		}
	}
	argv[n] = NULL;
	return n;
}

/* Colour: --color=always and never are explicit; auto colours only a
 * terminal, never with NO_COLOR set to a non-empty value (no-color.org) and
 * never on a dumb terminal. */
static int want_color(const char *color)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (!strcmp(color, "always"))
		return 1;
	if (!strcmp(color, "never") || (no_color && *no_color) ||
	    (term && !strcmp(term, "dumb")))
		return 0;
	return isatty(STDOUT_FILENO);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	const char *color = "auto";
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		int r = global_opt(a, &ctx, &color);
		if (r < 0)
			return cli_usage(NULL, "--color takes auto, always or never");
		if (r > 0)
			continue;
		if (!strcmp(a, "--version")) {
			printf("soswap %s\n", soswap_version());
			return close_stdout(EXIT_OK);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return close_stdout(EXIT_OK);
		} else
			return cli_usage(NULL, "unknown option '%s'", a);
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}

	const struct cli_cmd *cmd = NULL;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(argv[i], commands[k].name))
			cmd = &commands[k];
	if (!cmd)
		return cli_usage(NULL, "unknown command '%s'", argv[i]);

	ctx.cmd = cmd->name;
	int cargc = take_global_opts(argc - i, argv + i, &ctx, &color);
	if (cargc < 0)
		return cli_usage(&ctx, "--color takes auto, always or never");
	ctx.color = want_color(color);
	/* Progress lines rewrite the current line: only on a terminal that
	 * understands it, and never in pipes or files. */
	const char *term = getenv("TERM");
	ctx.progress = !ctx.quiet && isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Subcommands see argv starting at their own name, getopt-style. */
	int rc = close_stdout(cmd->fn(cargc, argv + i, &ctx));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cli_verbose(&ctx, 1, "exit status %d after %.1f ms", rc,
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return rc;
}
