/* cli.h - what every subcommand file of the soswap CLI shares. */
#ifndef SOSWAP_CLI_H
#define SOSWAP_CLI_H

#include <stdio.h>

#include "soswap.h"

/* Exit codes of the whole tool (documented in doc/soswap.1 and README).
 * `soswap diff` alone uses abidiff's bit values instead, see cmd-diff.c. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	/* the operation failed or found a problem */
	EXIT_USAGE = 2,	/* bad command line */
};

/* What a subcommand declares it needs; main.c checks it in one place. */
enum {
	CMD_NEEDS_PTRACE = 1 << 0,	/* attaches to processes */
	CMD_WRITES_FS = 1 << 1,		/* changes files on disk */
	CMD_SCANS_PROCS = 1 << 2,	/* reads /proc of other processes */
};

/* Options common to every subcommand, parsed by main.c before dispatch:
 * -q/--quiet, -v/--verbose, --color=WHEN, --no-color, given before CMD or
 * anywhere after it up to "--" (main.c takes them out of argv, so a
 * subcommand must not define these options itself). */
struct cli_ctx {
	const char *cmd;	/* subcommand name, for messages */
	int json;
	int verbose;		/* -v count */
	int quiet;
	int color;		/* resolved: --color=always, or auto on a terminal
				 * (not TERM=dumb) without NO_COLOR */
	int progress;		/* show progress: stderr is a terminal, not
				 * TERM=dumb, not quiet */
};

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli_ctx *ctx);
	unsigned flags;
	const char *summary;
};

/* "soswap CMD: message" on stderr.  Returns EXIT_FAIL. */
int cli_error(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Usage error: message plus "Try 'soswap CMD --help'".  Returns EXIT_USAGE. */
int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print an error record from libsoswap.  Returns EXIT_FAIL. */
int cli_lib_error(const struct cli_ctx *ctx, const soswap_err *err);
/* "soswap CMD: warning: message" on stderr, unless -q. */
void cli_warn(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "soswap CMD: message" on stderr when -v was given at least `level` times
 * (1 = -v, 2 = -vv) and not -q: detail for humans, never needed to
 * understand the result.  main.c itself reports the exit status and the
 * time taken at -v. */
void cli_verbose(const struct cli_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Colour helpers: return the escape sequence, or "" when colour is off. */
const char *cli_bold(const struct cli_ctx *ctx);
const char *cli_red(const struct cli_ctx *ctx);
const char *cli_green(const struct cli_ctx *ctx);
const char *cli_yellow(const struct cli_ctx *ctx);
const char *cli_reset(const struct cli_ctx *ctx);

/* Progress line on stderr ("\r...") when ctx->progress; cli_progress_done
 * clears it. */
void cli_progress(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_progress_done(const struct cli_ctx *ctx);

/* ABI verdicts as printed by diff and install: "same", "compatible",
 * "incompatible"; and the JSON array of a diff's changes (doc/json.md). */
struct soswap_json;
const char *cli_abi_verdict_name(enum soswap_abi_verdict v);
void cli_json_abi_changes(struct soswap_json *j, const soswap_abidiff *d);

/* The install report, shared by `install` and `upgrade` (cmd-install.c).
 * cli_install_json writes one JSON object value.  procs: when not NULL,
 * its processes left on the previous version are listed. */
void cli_install_json(struct soswap_json *j, const soswap_install *h,
		      const char *new_path, const soswap_upgrade *procs);
void cli_install_text(const struct cli_ctx *ctx, const soswap_install *h,
		      const soswap_upgrade *procs);

/* The options install and upgrade share (-d -V -l -f -n): 1 when `c` was
 * one of them and was stored in *o. */
int cli_install_option(int c, char *arg, struct soswap_upgrade_opts *o);
/* --version is X[.Y[.Z]] starting with a digit (or absent). */
int cli_install_version_ok(const struct soswap_upgrade_opts *o);

/* Subcommands: one file each, src/cli/cmd-NAME.c. */
int cmd_info(int argc, char **argv, struct cli_ctx *ctx);
int cmd_deps(int argc, char **argv, struct cli_ctx *ctx);
int cmd_diff(int argc, char **argv, struct cli_ctx *ctx);
int cmd_links(int argc, char **argv, struct cli_ctx *ctx);
int cmd_install(int argc, char **argv, struct cli_ctx *ctx);
int cmd_rollback(int argc, char **argv, struct cli_ctx *ctx);
int cmd_who(int argc, char **argv, struct cli_ctx *ctx);
int cmd_stale(int argc, char **argv, struct cli_ctx *ctx);
int cmd_live(int argc, char **argv, struct cli_ctx *ctx);
int cmd_upgrade(int argc, char **argv, struct cli_ctx *ctx);

#endif
