/* test_json.c - the JSON writer: structure, escaping, invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

/* Run fn on a compact writer and return what it wrote (caller frees). */
static char *render(void (*fn)(struct soswap_json *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct soswap_json j;
	soswap_json_init(&j, f, 0);
	fn(&j);
	fclose(f);
	return buf;
}

static void nested(struct soswap_json *j)
{
	soswap_json_obj_begin(j);
	soswap_json_kstr(j, "a", "x");
	soswap_json_key(j, "b");
	soswap_json_arr_begin(j);
	soswap_json_int(j, -1);
	soswap_json_uint(j, 18446744073709551615u);
	soswap_json_bool(j, 1);
	soswap_json_null(j);
	soswap_json_arr_end(j);
	soswap_json_key(j, "c");
	soswap_json_obj_begin(j);
	soswap_json_obj_end(j);
	soswap_json_khex(j, "d", 0x7f00);
	soswap_json_kstr(j, "e", NULL);
	soswap_json_obj_end(j);
}

static void test_nested(void **state)
{
	(void)state;
	char *s = render(nested);
	assert_string_equal(s, "{\"a\":\"x\",\"b\":[-1,18446744073709551615,true,null],"
			       "\"c\":{},\"d\":\"0x7f00\",\"e\":null}");
	free(s);
}

static void escapes(struct soswap_json *j)
{
	soswap_json_str(j, "q\"b\\n\n\t\x01\x7f");
}

static void test_escapes(void **state)
{
	(void)state;
	char *s = render(escapes);
	assert_string_equal(s, "\"q\\\"b\\\\n\\n\\t\\u0001\\u007f\"");
	free(s);
}

static void utf8(struct soswap_json *j)
{
	/* valid 2- and 3-byte sequences pass; a lone continuation byte, an
	 * overlong lead and a truncated sequence are escaped byte-wise */
	soswap_json_str(j, "\xc3\xa9\xe2\x82\xac|\x80|\xc0\xaf|\xe2\x82");
}

static void test_utf8(void **state)
{
	(void)state;
	char *s = render(utf8);
	assert_string_equal(s, "\"\xc3\xa9\xe2\x82\xac|\\u0080|\\u00c0\\u00af|\\u00e2\\u0082\"");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
