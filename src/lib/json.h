/* json.h - a small streaming JSON writer used by every --json output.
 *
 * Usage:
 *   struct soswap_json j; soswap_json_init(&j, stdout, 1);
 *   soswap_json_obj_begin(&j);
 *     soswap_json_key(&j, "soname"); soswap_json_str(&j, "libz.so.1");
 *     soswap_json_key(&j, "needed"); soswap_json_arr_begin(&j); ... end
 *   soswap_json_obj_end(&j);
 *   soswap_json_finish(&j);  (adds the final newline)
 * Commas and indentation are handled by the writer.  Strings are escaped
 * (control characters, quotes, backslashes; invalid UTF-8 bytes become
 * \u00XX of the byte so the output stays valid JSON).
 */
#ifndef SOSWAP_JSON_H
#define SOSWAP_JSON_H

#include <stdint.h>
#include <stdio.h>

#define SOSWAP_JSON_MAX_DEPTH 64

struct soswap_json {
	FILE *out;
	int pretty;
	int depth;
	int need_comma[SOSWAP_JSON_MAX_DEPTH];
	int after_key;
};

void soswap_json_init(struct soswap_json *j, FILE *out, int pretty);
void soswap_json_obj_begin(struct soswap_json *j);
void soswap_json_obj_end(struct soswap_json *j);
void soswap_json_arr_begin(struct soswap_json *j);
void soswap_json_arr_end(struct soswap_json *j);
void soswap_json_key(struct soswap_json *j, const char *key);
void soswap_json_str(struct soswap_json *j, const char *s); /* NULL -> null */
void soswap_json_int(struct soswap_json *j, int64_t v);
void soswap_json_uint(struct soswap_json *j, uint64_t v);
void soswap_json_double(struct soswap_json *j, double v);
void soswap_json_bool(struct soswap_json *j, int v);
void soswap_json_null(struct soswap_json *j);
/* Hex string "0x1234" for addresses. */
void soswap_json_hex(struct soswap_json *j, uint64_t v);
void soswap_json_finish(struct soswap_json *j);

/* key + value shorthands */
void soswap_json_kstr(struct soswap_json *j, const char *k, const char *s);
void soswap_json_kint(struct soswap_json *j, const char *k, int64_t v);
void soswap_json_kuint(struct soswap_json *j, const char *k, uint64_t v);
void soswap_json_kbool(struct soswap_json *j, const char *k, int v);
void soswap_json_khex(struct soswap_json *j, const char *k, uint64_t v);

#endif
