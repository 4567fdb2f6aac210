/* scan-out.h - printing process-scan results (who, stale, and later the
 * commands that report the processes they act on). */
#ifndef SOSWAP_SCAN_OUT_H
#define SOSWAP_SCAN_OUT_H

#include "cli.h"
#include "json.h"

/* Options for a scan whose progress goes through cli_progress. */
void scan_opts_init(struct soswap_scan_opts *o, const struct cli_ctx *ctx);

/* User name of uid ("?" for -1, the number when unknown); cached. */
const char *scan_user(uid_t uid);

/* Table of the processes of group g, each line indented by two blanks. */
void scan_print_procs(const struct cli_ctx *ctx, const soswap_scan *s,
		      const struct soswap_lib_group *g);

/* "processes": [...] of group g (key included). */
void scan_json_procs(struct soswap_json *j, const soswap_scan *s,
		     const struct soswap_lib_group *g);

/* The whole --json document: {KEY: [group objects], scanned, denied};
 * fields() writes a group's own keys, then identity and processes follow. */
void scan_json_print(const soswap_scan *s, const char *key,
		     void (*fields)(struct soswap_json *, const struct soswap_lib_group *));

/* "scanned" and "denied" keys. */
void scan_json_counts(struct soswap_json *j, const soswap_scan *s);

/* Stderr note when processes could not be inspected (not root). */
void scan_note_denied(const struct cli_ctx *ctx, const soswap_scan *s);

#endif
