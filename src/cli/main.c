/* main.c - `soswap` entry point: global options and the subcommand table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	      "Every command takes --json for machine-readable output.\n", f);
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

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	const char *color = "auto";
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			ctx.quiet = 1;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			ctx.verbose++;
		else if (!strncmp(a, "--color=", 8))
			color = a + 8;
		else if (!strcmp(a, "--version")) {
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
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never"))
		return cli_usage(NULL, "--color takes auto, always or never");

	const struct cli_cmd *cmd = NULL;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(argv[i], commands[k].name))
			cmd = &commands[k];
	if (!cmd)
		return cli_usage(NULL, "unknown command '%s'", argv[i]);

	ctx.cmd = cmd->name;
	const char *no_color = getenv("NO_COLOR");
	if (!strcmp(color, "always"))
		ctx.color = 1;
	else if (!strcmp(color, "auto"))
		ctx.color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
	ctx.progress = !ctx.quiet && isatty(STDERR_FILENO);

	/* Subcommands see argv starting at their own name, getopt-style. */
	int rc = cmd->fn(argc - i, argv + i, &ctx);
	return close_stdout(rc);
}
