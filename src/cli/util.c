/* util.c - messages, colour and progress for the CLI. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "json.h"

static void vmsg(const struct cli_ctx *ctx, const char *fmt, va_list ap)
{
	fflush(stdout);
	if (ctx && ctx->cmd)
		fprintf(stderr, "soswap %s: ", ctx->cmd);
	else
		fputs("soswap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	cli_progress_done(ctx);
	va_start(ap, fmt);
	vmsg(ctx, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(ctx, fmt, ap);
	va_end(ap);
	if (ctx && ctx->cmd)
		fprintf(stderr, "Try 'soswap %s --help'.\n", ctx->cmd);
	else
		fputs("Try 'soswap --help'.\n", stderr);
	return EXIT_USAGE;
}

int cli_lib_error(const struct cli_ctx *ctx, const soswap_err *err)
{
	return cli_error(ctx, "%s", err->msg[0] ? err->msg : "unknown error");
}

void cli_warn(const struct cli_ctx *ctx, const char *fmt, ...)
{
	if (ctx && ctx->quiet)
		return;
	va_list ap;
	cli_progress_done(ctx);
	va_start(ap, fmt);
	fflush(stdout);
	if (ctx && ctx->cmd)
		fprintf(stderr, "soswap %s: warning: ", ctx->cmd);
	else
		fputs("soswap: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_verbose(const struct cli_ctx *ctx, int level, const char *fmt, ...)
{
	if (!ctx || ctx->quiet || ctx->verbose < level)
		return;
	va_list ap;
	cli_progress_done(ctx);
	va_start(ap, fmt);
	vmsg(ctx, fmt, ap);
	va_end(ap);
}

#define COLOR(name, seq) \
	const char *name(const struct cli_ctx *ctx) { return ctx && ctx->color ? seq : ""; }
COLOR(cli_bold, "\033[1m")
COLOR(cli_red, "\033[31m")
COLOR(cli_green, "\033[32m")
COLOR(cli_yellow, "\033[33m")
COLOR(cli_reset, "\033[0m")

static int progress_shown;

void cli_progress(const struct cli_ctx *ctx, const char *fmt, ...)
{
	if (!ctx || !ctx->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = 1;
}

void cli_progress_done(const struct cli_ctx *ctx)
{
	(void)ctx;
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = 0;
	}
}

const char *cli_abi_verdict_name(enum soswap_abi_verdict v)
{
	return v == SOSWAP_ABI_INCOMPATIBLE ? "incompatible" :
	       v == SOSWAP_ABI_COMPATIBLE ? "compatible" : "same";
}

void cli_json_abi_changes(struct soswap_json *j, const soswap_abidiff *d)
{
	soswap_json_arr_begin(j);
	for (size_t i = 0; i < soswap_abidiff_count(d); i++) {
		const struct soswap_abi_change *c = soswap_abidiff_change(d, i);
		soswap_json_obj_begin(j);
		soswap_json_kstr(j, "kind", c->kind);
		soswap_json_kbool(j, "incompatible", c->incompatible);
		soswap_json_kstr(j, "symbol", c->symbol);
		soswap_json_kstr(j, "detail", c->detail);
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);
}
