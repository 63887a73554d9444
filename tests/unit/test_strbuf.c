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

/* The escape written one byte at a time, as RFC 8259 asks: what the block copy must equal. */
static void reference_escape(char *out, const unsigned char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        const char *short_form = c == '"'    ? "\\\""
                                 : c == '\\' ? "\\\\"
                                 : c == '\n'  ? "\\n"
                                 : c == '\r'  ? "\\r"
                                 : c == '\t'  ? "\\t"
                                 : c == '\b'  ? "\\b"
                                 : c == '\f'  ? "\\f"
                                               : NULL;
        if (short_form != NULL) {
            memcpy(o, short_form, 2);
            o += 2;
        } else if (c < 0x20) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
}

/* Every length around the 8- and 16-byte blocks, special bytes at every place in them. */
static void json_escapes_in_blocks(void **state)
{
    (void)state;
    static const unsigned char alphabet[] = {'a', 'Z', '0', ' ', '/', 0xc3, 0xa9, 0x7f, 0xff,
                                             '"', '\\', '\n', 0x00, 0x01, 0x1f, 0x20, 0x21};
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    unsigned char in[80];
    char want[80 * 6 + 3];
    uint32_t seed = 12345;
    for (size_t len = 0; len <= sizeof in; len++) {
        for (int round = 0; round < 40; round++) {
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                /* Mostly plain bytes, as in real data, so that blocks without escapes occur. */
                unsigned pick = (seed >> 16) % 64;
                in[i] = pick < sizeof alphabet ? alphabet[pick] : (unsigned char)('a' + pick % 26);
            }
            reference_escape(want, in, len);
            corral_strbuf_clear(&sb);
            corral_strbuf_putc(&sb, 'x'); /* not at the start of the buffer */
            corral_strbuf_json_str(&sb, (const char *)in, len);
            assert_int_equal(sb.len, 1 + strlen(want));
            assert_string_equal(sb.data + 1, want);
        }
    }
    /* One long string: a growth in the middle of a record keeps what was written. */
    char big[5000];
    memset(big, 'q', sizeof big);
    big[4097] = '"';
    corral_strbuf_clear(&sb);
    corral_strbuf_json_str(&sb, big, sizeof big);
    assert_int_equal(sb.len, sizeof big + 3);
    assert_memory_equal(sb.data + 4098, "\\\"q", 3);
    corral_strbuf_clear(&sb);
    corral_strbuf_json_cstr(&sb, "a\"b");
    assert_string_equal(sb.data, "\"a\\\"b\"");
    corral_strbuf_release(&sb);
}

static void unsigned_ints(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_strbuf_json_uint(&sb, 0);
    corral_strbuf_putc(&sb, ' ');
    corral_strbuf_json_uint(&sb, UINT64_MAX);
    corral_strbuf_putc(&sb, ' ');
    corral_strbuf_json_int(&sb, INT64_MAX);
    CORRAL_STRBUF_LIT(&sb, " end");
    assert_string_equal(sb.data, "0 18446744073709551615 9223372036854775807 end");
    corral_strbuf_release(&sb);
}

/* A repeat copies what was written, also when the copy makes the buffer grow (and move). */
static void repeat_what_was_written(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_strbuf_puts(&sb, "[");
    corral_strbuf_json_cstr(&sb, "a\"b");
    corral_strbuf_putc(&sb, ',');
    corral_strbuf_repeat(&sb, 1, 6);
    corral_strbuf_repeat(&sb, 1, 0);
    assert_string_equal(sb.data, "[\"a\\\"b\",\"a\\\"b\"");
    corral_strbuf_clear(&sb);
    corral_strbuf_json_cstr(&sb, "a\"b");
    while (sb.len < 1000) {
        size_t cap = sb.cap;
        corral_strbuf_repeat(&sb, 0, sb.len); /* doubles: grows past cap */
        assert_true(sb.len < cap || sb.cap > cap);
    }
    assert_int_equal(sb.len % 6, 0);
    for (size_t i = 0; i < sb.len; i += 6) {
        assert_memory_equal(sb.data + i, "\"a\\\"b\"", 6);
    }
    assert_int_equal(sb.data[sb.len], '\0');
    corral_strbuf_release(&sb);
}

/* After a failed allocation every append does nothing, and the status says so until a clear. */
static void failure_is_sticky(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_strbuf_puts(&sb, "kept");
    assert_int_equal(corral_strbuf_reserve(&sb, SIZE_MAX - 2), -1);
    assert_int_equal(corral_strbuf_status(&sb), CORRAL_ERR_NOMEM);
    corral_strbuf_putc(&sb, 'x');
    corral_strbuf_puts(&sb, "more");
    corral_strbuf_json_str(&sb, "s", 1);
    corral_strbuf_json_uint(&sb, 7);
    assert_int_equal(sb.len, 4);
    assert_string_equal(sb.data, "kept");
    corral_strbuf_clear(&sb);
    assert_int_equal(corral_strbuf_status(&sb), CORRAL_OK);
    corral_strbuf_putc(&sb, 'y');
    assert_string_equal(sb.data, "y");
    corral_strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_and_grow),
        cmocka_unit_test(json_escapes),
        cmocka_unit_test(json_keys_and_ints),
        cmocka_unit_test(json_escapes_in_blocks),
        cmocka_unit_test(unsigned_ints),
        cmocka_unit_test(repeat_what_was_written),
        cmocka_unit_test(failure_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
