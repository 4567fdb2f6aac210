/* json.c - streaming JSON writer (see json.h). */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"

void soswap_json_init(struct soswap_json *j, FILE *out, int pretty)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty = pretty;
}

static void indent(struct soswap_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Called before every value or key: emits the comma and indentation. */
static void before_value(struct soswap_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			fputc(',', j->out);
		j->need_comma[j->depth] = 1;
		indent(j);
	}
}

static void open(struct soswap_json *j, char c)
{
	before_value(j);
	fputc(c, j->out);
	if (j->depth < SOSWAP_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

static void close_(struct soswap_json *j, char c)
{
	int had = j->need_comma[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	fputc(c, j->out);
}

void soswap_json_obj_begin(struct soswap_json *j) { open(j, '{'); }
void soswap_json_obj_end(struct soswap_json *j) { close_(j, '}'); }
void soswap_json_arr_begin(struct soswap_json *j) { open(j, '['); }
void soswap_json_arr_end(struct soswap_json *j) { close_(j, ']'); }

/* Length of a valid UTF-8 sequence starting at s, or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void put_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			s++;
		} else if (c == '\n') {
			fputs("\\n", f);
			s++;
		} else if (c == '\t') {
			fputs("\\t", f);
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			s++;
		} else {
			size_t n = utf8_len(s);
			if (n == 0) {
				fprintf(f, "\\u%04x", c);
				s++;
			} else {
				fwrite(s, 1, n, f);
				s += n;
			}
		}
	}
	fputc('"', f);
}

void soswap_json_key(struct soswap_json *j, const char *key)
{
	before_value(j);
	put_string(j->out, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = 1;
}

void soswap_json_str(struct soswap_json *j, const char *s)
{
	before_value(j);
	if (s)
		put_string(j->out, s);
	else
		fputs("null", j->out);
}

void soswap_json_int(struct soswap_json *j, int64_t v)
{
	before_value(j);
	fprintf(j->out, "%" PRId64, v);
}

void soswap_json_uint(struct soswap_json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->out, "%" PRIu64, v);
}

void soswap_json_double(struct soswap_json *j, double v)
{
	before_value(j);
	if (isfinite(v))
		fprintf(j->out, "%.17g", v);
	else
		fputs("null", j->out);
}

void soswap_json_bool(struct soswap_json *j, int v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->out);
}

void soswap_json_null(struct soswap_json *j)
{
	before_value(j);
	fputs("null", j->out);
}

void soswap_json_hex(struct soswap_json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->out, "\"0x%" PRIx64 "\"", v);
}

void soswap_json_finish(struct soswap_json *j)
{
	fputc('\n', j->out);
}

void soswap_json_kstr(struct soswap_json *j, const char *k, const char *s)
{
	soswap_json_key(j, k);
	soswap_json_str(j, s);
}

void soswap_json_kint(struct soswap_json *j, const char *k, int64_t v)
{
	soswap_json_key(j, k);
	soswap_json_int(j, v);
}

void soswap_json_kuint(struct soswap_json *j, const char *k, uint64_t v)
{
	soswap_json_key(j, k);
	soswap_json_uint(j, v);
}

void soswap_json_kbool(struct soswap_json *j, const char *k, int v)
{
	soswap_json_key(j, k);
	soswap_json_bool(j, v);
}

void soswap_json_khex(struct soswap_json *j, const char *k, uint64_t v)
{
	soswap_json_key(j, k);
	soswap_json_hex(j, v);
}
