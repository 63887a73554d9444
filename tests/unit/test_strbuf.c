/* test_strbuf.c - growable buffer and JSON escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/strbuf.h"

static void append_and_grow(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    for (int i = 0; i < 1000; i++) {
        corral_strbuf_puts(&sb, "abc");
    }
    assert_int_equal(sb.len, 3000);
    assert_int_equal(strlen(sb.data), 3000);
    assert_memory_equal(sb.data + 2997, "abc", 3);
    corral_strbuf_clear(&sb);
    assert_int_equal(sb.len, 0);
    corral_strbuf_printf(&sb, "%s=%d", "n", 42);
    assert_string_equal(sb.data, "n=42");
    assert_int_equal(corral_strbuf_status(&sb), CORRAL_OK);
    corral_strbuf_release(&sb);
}

static void json_escapes(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    const char in[] = "a\"b\\c\n\r\t\b\f\x01\x1f/\xc3\xa9";
    corral_strbuf_json_str(&sb, in, sizeof(in) - 1);
    assert_string_equal(sb.data, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f/\xc3\xa9\"");
    corral_strbuf_clear(&sb);
    /* An embedded NUL is escaped, not a terminator. */
    corral_strbuf_json_str(&sb, "x\0y", 3);
    assert_string_equal(sb.data, "\"x\\u0000y\"");
    corral_strbuf_release(&sb);
}

static void json_keys_and_ints(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    int first = 1;
    corral_strbuf_putc(&sb, '{');
    corral_strbuf_json_key(&sb, &first, "a");
    corral_strbuf_json_int(&sb, -9223372036854775807LL - 1);
    corral_strbuf_json_key(&sb, &first, "b");
    corral_strbuf_json_int(&sb, 7);
    corral_strbuf_putc(&sb, '}');
    assert_string_equal(sb.data, "{\"a\":-9223372036854775808,\"b\":7}");
    corral_strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_and_grow),
        cmocka_unit_test(json_escapes),
        cmocka_unit_test(json_keys_and_ints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
