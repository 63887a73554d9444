/*
 * test_json.c - the JSON adapter (json.cpp) and its exact error locator (json_locate.c).
 *
 * The node layout and the O(1) skipping that every decoder relies on, member
 * lookup whatever the case of the key, numbers of each kind, strings with
 * every escape, each class of error with the line and column the user will
 * see, and corral_json_locate_error() over a long table of invalid texts
 * (each with its expected position and reason) and valid ones (which must
 * return 0, and which the fast parser must accept too: the two must agree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/json.h"

#define MAX_SIZE (1u << 20)
#define MAX_DEPTH 64u

static corral_json_parser *must_parser(size_t size, unsigned depth)
{
    corral_json_parser *p = corral_json_parser_new(size, depth);
    assert_non_null(p);
    return p;
}

/* Parse a NUL-terminated text that must be valid (unpadded: the parser copies). */
static struct corral_json_doc must_parse(corral_json_parser *p, const char *text)
{
    struct corral_json_doc doc = {NULL, 0};
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    corral_err err = corral_json_parse(p, text, strlen(text), 0, &doc, &diag);
    if (err != CORRAL_OK) {
        fail_msg("rejected valid JSON %s: %zu:%zu %s", text, diag.line, diag.col, diag.msg);
    }
    assert_non_null(doc.nodes);
    return doc;
}

static int str_is(const struct corral_json_node *n, const char *want, size_t want_len)
{
    return n->type == CORRAL_JSON_STRING && n->len == want_len &&
           memcmp(n->v.s, want, want_len) == 0;
}

static void test_node_layout(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, MAX_DEPTH);
    struct corral_json_doc d = must_parse(p, "{\"a\":[1,{\"b\":true}],\"c\":\"x\",\"e\":{}}");
    /* 0 {  1 "a"  2 [  3 1  4 {  5 "b"  6 true  7 "c"  8 "x"  9 "e"  10 {} */
    assert_int_equal(d.count, 11);
    static const struct {
        uint8_t type;
        uint32_t len;
        uint32_t next;
    } want[] = {
        {CORRAL_JSON_OBJECT, 3, 11}, {CORRAL_JSON_STRING, 1, 2},  {CORRAL_JSON_ARRAY, 2, 7},
        {CORRAL_JSON_INT, 0, 4},     {CORRAL_JSON_OBJECT, 1, 7},  {CORRAL_JSON_STRING, 1, 6},
        {CORRAL_JSON_TRUE, 0, 7},    {CORRAL_JSON_STRING, 1, 8},  {CORRAL_JSON_STRING, 1, 9},
        {CORRAL_JSON_STRING, 1, 10}, {CORRAL_JSON_OBJECT, 0, 11},
    };
    for (uint32_t i = 0; i < d.count; i++) {
        assert_int_equal(d.nodes[i].type, want[i].type);
        assert_int_equal(d.nodes[i].next, want[i].next);
        if (want[i].type != CORRAL_JSON_INT && want[i].type != CORRAL_JSON_TRUE) {
            assert_int_equal(d.nodes[i].len, want[i].len);
        }
    }
    assert_int_equal(d.nodes[3].v.i, 1);
    assert_true(str_is(&d.nodes[1], "a", 1));
    assert_true(str_is(&d.nodes[5], "b", 1));
    assert_true(str_is(&d.nodes[8], "x", 1));

    /* Walking the members of the root by skipping whole values. */
    const char *keys[3];
    uint32_t at = 1;
    for (uint32_t m = 0; m < d.nodes[0].len; m++) {
        assert_int_equal(d.nodes[at].type, CORRAL_JSON_STRING);
        keys[m] = d.nodes[at].v.s;
        at = d.nodes[at + 1].next;
    }
    assert_int_equal(at, d.count);
    assert_memory_equal(keys[0], "a", 1);
    assert_memory_equal(keys[1], "c", 1);
    assert_memory_equal(keys[2], "e", 1);

    /* Arrays of arrays: every element's next lands on its sibling. */
    d = must_parse(p, "[[],[[1,2],3],[{}],null]");
    assert_int_equal(d.nodes[0].type, CORRAL_JSON_ARRAY);
    assert_int_equal(d.nodes[0].len, 4);
    uint32_t kinds[4];
    at = 1;
    for (uint32_t e = 0; e < 4; e++) {
        kinds[e] = d.nodes[at].type;
        at = d.nodes[at].next;
    }
    assert_int_equal(at, d.count);
    assert_int_equal(kinds[0], CORRAL_JSON_ARRAY);
    assert_int_equal(kinds[1], CORRAL_JSON_ARRAY);
    assert_int_equal(kinds[2], CORRAL_JSON_ARRAY);
    assert_int_equal(kinds[3], CORRAL_JSON_NULL);
    assert_int_equal(d.nodes[2].len, 2); /* [[1,2],3] */
    corral_json_parser_free(p);
}

static void test_get_and_key_is(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, MAX_DEPTH);
    struct corral_json_doc d = must_parse(
        p,
        "{\"AlertType\":\"first\",\"alerttype\":\"second\",\"Properties\":{\"SEVERITY\":\"High\","
        "\"x\":[1]},\"n\":5,\"K\\u0000\":1}");
    uint32_t v = corral_json_get(&d, 0, "alerttype");
    assert_int_not_equal(v, 0);
    assert_true(str_is(&d.nodes[v], "first", 5)); /* the first match wins */
    uint32_t props = corral_json_get(&d, 0, "properties");
    assert_int_not_equal(props, 0);
    assert_int_equal(d.nodes[props].type, CORRAL_JSON_OBJECT);
    uint32_t sev = corral_json_get(&d, props, "severity");
    assert_true(str_is(&d.nodes[sev], "High", 4));
    assert_int_equal(corral_json_get(&d, 0, "severity"), 0); /* not searched in nested objects */
    assert_int_equal(corral_json_get(&d, 0, "alert"), 0);
    assert_int_equal(corral_json_get(&d, 0, "alerttypes"), 0);
    assert_int_equal(corral_json_get(&d, 0, ""), 0);
    uint32_t n = corral_json_get(&d, 0, "n");
    assert_int_equal(d.nodes[n].type, CORRAL_JSON_INT);
    assert_int_equal(d.nodes[n].v.i, 5);
    /* Not an object, out of range, NULL doc: 0. */
    assert_int_equal(corral_json_get(&d, n, "n"), 0);
    assert_int_equal(corral_json_get(&d, d.count, "n"), 0);
    assert_int_equal(corral_json_get(&d, UINT32_MAX, "n"), 0);
    assert_int_equal(corral_json_get(NULL, 0, "n"), 0);
    /* A key with a NUL byte matches neither its prefix nor itself spelled without it. */
    assert_int_equal(corral_json_get(&d, 0, "k"), 0);

    assert_true(corral_json_key_is(&d.nodes[1], "alerttype"));
    assert_false(corral_json_key_is(&d.nodes[1], "AlertType")); /* `lower` must be lower case */
    assert_false(corral_json_key_is(&d.nodes[1], "alerttyp"));
    assert_false(corral_json_key_is(&d.nodes[1], "alerttypee"));
    assert_true(corral_json_key_is(&d.nodes[2], "first")); /* a value node is a string too */
    assert_false(corral_json_key_is(&d.nodes[0], ""));     /* not a string */
    assert_false(corral_json_key_is(NULL, "x"));

    /* Non-letters are compared exactly; only A-Z fold. */
    d = must_parse(p, "{\"A_B-1\":1,\"\xC3\x89t\xC3\xA9\":2,\"[\":3}");
    assert_int_not_equal(corral_json_get(&d, 0, "a_b-1"), 0);
    assert_int_equal(corral_json_get(&d, 0, "a_b_1"), 0);
    assert_int_equal(corral_json_get(&d, 0, "\xC3\xA9t\xC3\xA9"), 0); /* no Unicode folding */
    assert_int_not_equal(corral_json_get(&d, 0, "\xC3\x89t\xC3\xA9"), 0);
    assert_int_equal(corral_json_get(&d, 0, "{"), 0); /* '[' + 32 is '{': must not fold */
    assert_int_not_equal(corral_json_get(&d, 0, "["), 0);
    corral_json_parser_free(p);
}

static void test_numbers(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, MAX_DEPTH);
    struct corral_json_doc d =
        must_parse(p, "[0,-5,9223372036854775807,-9223372036854775808,9223372036854775808,"
                      "18446744073709551615,1.5,1e2,-0.25,1E-400,123456789012345678901234.5]");
    assert_int_equal(d.nodes[0].len, 11);
    const struct corral_json_node *n = &d.nodes[1];
    assert_int_equal(n[0].type, CORRAL_JSON_INT);
    assert_int_equal(n[0].v.i, 0);
    assert_int_equal(n[1].type, CORRAL_JSON_INT);
    assert_int_equal(n[1].v.i, -5);
    assert_int_equal(n[2].type, CORRAL_JSON_INT);
    assert_true(n[2].v.i == INT64_MAX);
    assert_int_equal(n[3].type, CORRAL_JSON_INT);
    assert_true(n[3].v.i == INT64_MIN);
    assert_int_equal(n[4].type, CORRAL_JSON_UINT);
    assert_true(n[4].v.u == UINT64_C(9223372036854775808));
    assert_int_equal(n[5].type, CORRAL_JSON_UINT);
    assert_true(n[5].v.u == UINT64_MAX);
    assert_int_equal(n[6].type, CORRAL_JSON_DOUBLE);
    assert_true(n[6].v.d == 1.5);
    assert_int_equal(n[7].type, CORRAL_JSON_DOUBLE);
    assert_true(n[7].v.d == 100.0);
    assert_int_equal(n[8].type, CORRAL_JSON_DOUBLE);
    assert_true(n[8].v.d == -0.25);
    assert_int_equal(n[9].type, CORRAL_JSON_DOUBLE);
    assert_true(n[9].v.d == 0.0);
    assert_int_equal(n[10].type, CORRAL_JSON_DOUBLE);
    assert_true(n[10].v.d > 1.2e23 && n[10].v.d < 1.3e23);

    d = must_parse(p, "[true,false,null]");
    assert_int_equal(d.nodes[1].type, CORRAL_JSON_TRUE);
    assert_int_equal(d.nodes[2].type, CORRAL_JSON_FALSE);
    assert_int_equal(d.nodes[3].type, CORRAL_JSON_NULL);

    /* A scalar is a whole document too. */
    d = must_parse(p, " 42 ");
    assert_int_equal(d.count, 1);
    assert_int_equal(d.nodes[0].type, CORRAL_JSON_INT);
    assert_int_equal(d.nodes[0].v.i, 42);
    corral_json_parser_free(p);
}

static void test_strings(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, MAX_DEPTH);
    struct corral_json_doc d = must_parse(
        p,
        "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\\ud83d\\ude00\", \"nul:\\u0000:\","
        "\"\", \"caf\xC3\xA9 \xF0\x9F\x98\x80\"]");
    const struct corral_json_node *n = &d.nodes[1];
    assert_true(str_is(&n[0], "a\"b\\c/d\b\f\n\r\t", 12));
    assert_true(str_is(&n[1], "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
    assert_true(str_is(&n[2], "nul:\0:", 6));
    assert_true(str_is(&n[3], "", 0));
    assert_true(str_is(&n[4], "caf\xC3\xA9 \xF0\x9F\x98\x80", 10));

    /* Keys are unescaped too. */
    d = must_parse(p, "{\"Al\\u0065rtType\":1}");
    assert_int_not_equal(corral_json_get(&d, 0, "alerttype"), 0);
    corral_json_parser_free(p);
}

/* A padded parse reads past len but never needs a copy; the bytes there do not matter. */
static void test_padded(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, MAX_DEPTH);
    const char *text = "{\"a\":\"b\"}";
    size_t len = strlen(text);
    char *buf = malloc(len + corral_json_padding());
    assert_non_null(buf);
    memcpy(buf, text, len);
    memset(buf + len, '}', corral_json_padding()); /* garbage after the record */
    struct corral_json_doc d;
    struct corral_diag diag;
    assert_int_equal(corral_json_parse(p, buf, len, 1, &d, &diag), CORRAL_OK);
    assert_int_equal(d.count, 3);
    assert_true(str_is(&d.nodes[2], "b", 1));
    assert_true(corral_json_padding() >= 32);
    free(buf);
    corral_json_parser_free(p);
}

/* Read the slack json.h promises after every string of d: ASan (test-asan) flags a short buffer. */
static void read_string_slack(const struct corral_json_doc *d)
{
    volatile unsigned char sink = 0;
    for (uint32_t i = 0; i < d->count; i++) {
        if (d->nodes[i].type == CORRAL_JSON_STRING) {
            const char *end = d->nodes[i].v.s + d->nodes[i].len;
            for (size_t k = 0; k < CORRAL_JSON_STRING_SLACK; k++) {
                sink ^= (unsigned char)end[k];
            }
        }
    }
    (void)sink;
}

/* Strings are followed by readable slack, even when they fill a document of the largest size. */
static void test_string_slack(void **state)
{
    (void)state;
    enum { SIZE = 4096 };
    corral_json_parser *p = must_parser(SIZE, MAX_DEPTH);
    char *text = malloc(SIZE + 1);
    assert_non_null(text);
    /* Empty strings: the most string-buffer bytes per byte of text. */
    size_t n = 0;
    text[n++] = '[';
    while (n + 4 <= SIZE) {
        memcpy(text + n, "\"\",", 3);
        n += 3;
    }
    text[n - 1] = ']';
    text[n] = '\0';
    struct corral_json_doc d = must_parse(p, text);
    assert_true(d.count > SIZE / 4);
    read_string_slack(&d);
    /* One string as long as the limit allows, then a key at the very end. */
    memset(text, 'x', SIZE);
    text[0] = '"';
    text[SIZE - 1] = '"';
    text[SIZE] = '\0';
    d = must_parse(p, text);
    assert_int_equal(d.nodes[0].len, SIZE - 2);
    read_string_slack(&d);
    d = must_parse(p, "{\"k\":{\"\":\"\"}}");
    read_string_slack(&d);
    free(text);
    corral_json_parser_free(p);
}

/* Parse must fail with this code at this place. */
static void expect_error(corral_json_parser *p, const char *text, size_t len, corral_err code,
                         size_t line, size_t col)
{
    struct corral_json_doc d;
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    corral_err err = corral_json_parse(p, text, len, 0, &d, &diag);
    if (err != code || diag.code != code || diag.line != line || diag.col != col) {
        fail_msg("%.*s: got %s at %zu:%zu (%s), want %s at %zu:%zu", (int)len, text,
                 corral_strerror(err), diag.line, diag.col, diag.msg, corral_strerror(code), line,
                 col);
    }
    assert_true(diag.msg[0] != '\0');
}

static void test_parse_errors(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, 4);
    /* Bad JSON, on the second line. */
    const char *bad = "{\"a\":1,\n  \"b\" 2}";
    expect_error(p, bad, strlen(bad), CORRAL_ERR_JSON, 2, 7);
    /* Invalid UTF-8 in a string (an overlong '/'), then a lone continuation byte. */
    const char *utf = "{\"a\":\n \"x\xC0\xAF\"}";
    expect_error(p, utf, strlen(utf), CORRAL_ERR_UTF8, 2, 4);
    const char *cont = "[\"ok\",\"\x80\"]";
    expect_error(p, cont, strlen(cont), CORRAL_ERR_UTF8, 1, 8);
    /* Depth: with max_depth 4, four levels are fine, a fifth is not, empty or not. */
    must_parse(p, "[[[[1]]]]");
    must_parse(p, "{\"a\":{\"b\":{\n\"c\":{\"d\":1}}}}");
    expect_error(p, "[[[[[1]]]]]", 11, CORRAL_ERR_DEPTH, 1, 5);
    expect_error(p, "[[[[[]]]]]", 10, CORRAL_ERR_DEPTH, 1, 5);
    expect_error(p, "[[[[{}]]]]", 10, CORRAL_ERR_DEPTH, 1, 5);
    const char *deep = "{\"a\":{\"b\":{\n\"c\":{\"d\":{\"e\":1}}}}}";
    expect_error(p, deep, strlen(deep), CORRAL_ERR_DEPTH, 2, 10);
    /* Trailing garbage and a second value. */
    expect_error(p, "{\"a\":1} x", 9, CORRAL_ERR_JSON, 1, 9);
    expect_error(p, "{\"a\":1}\n{\"b\":2}", 15, CORRAL_ERR_JSON, 2, 1);
    /* Numbers simdjson cannot hold are placed too. */
    expect_error(p, "[1, 18446744073709551616]", 25, CORRAL_ERR_JSON, 1, 5);
    expect_error(p, "[1e309]", 7, CORRAL_ERR_JSON, 1, 2);
    /* Unterminated string: the opening quote is shown. */
    expect_error(p, "{\"a\": \"abc", 10, CORRAL_ERR_JSON, 1, 7);
    /* Empty input. */
    expect_error(p, "", 0, CORRAL_ERR_JSON, 1, 1);
    expect_error(p, " \n ", 3, CORRAL_ERR_JSON, 2, 2);
    corral_json_parser_free(p);

    /* Too large: 65 bytes for a parser of 64. */
    p = must_parser(64, 4);
    const char *big = "[\"01234567890123456789012345678901234567890123456789012345678\",1]";
    assert_int_equal(strlen(big), 65);
    expect_error(p, big, 65, CORRAL_ERR_TOO_LARGE, 1, 1);
    const char *fits = "[\"0123456789012345678901234567890123456789012345678901234567\",1]";
    assert_int_equal(strlen(fits), 64);
    must_parse(p, fits); /* exactly the limit, and the parser still works after an error */
    corral_json_parser_free(p);

    /* After an error the parser parses the next record normally. */
    p = must_parser(MAX_SIZE, MAX_DEPTH);
    expect_error(p, "[1,,2]", 6, CORRAL_ERR_JSON, 1, 4);
    struct corral_json_doc d = must_parse(p, "[1,2]");
    assert_int_equal(d.nodes[0].len, 2);
    assert_null(corral_json_parser_new(0, 4));
    assert_null(corral_json_parser_new(16, 0));
    corral_json_parser_free(NULL);
    corral_json_parser_free(p);

    /* Limits below simdjson's smallest buffer (32 bytes) work too, and are enforced exactly. */
    p = must_parser(1, 4);
    must_parse(p, "7");
    expect_error(p, "12", 2, CORRAL_ERR_TOO_LARGE, 1, 1);
    corral_json_parser_free(p);
    p = must_parser(4, 4);
    must_parse(p, "[12]");
    expect_error(p, "[123]", 5, CORRAL_ERR_TOO_LARGE, 1, 1);
    corral_json_parser_free(p);
    p = must_parser(31, 1);
    must_parse(p, "[1,2,3]");
    expect_error(p, "[[1]]", 5, CORRAL_ERR_DEPTH, 1, 2);
    corral_json_parser_free(p);
}

/*
 * A text with several faults is reported at its first, with the code of that
 * fault: simdjson checks the UTF-8 of the whole text before its syntax, but a
 * syntax error that comes first is the one named and placed.
 */
static void test_first_fault_wins(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, 4);
    expect_error(p, "{\"a\":1,} \xFF", 10, CORRAL_ERR_JSON, 1, 8);
    expect_error(p, "[1 2] \xC3", 7, CORRAL_ERR_JSON, 1, 4);
    expect_error(p, "[[[[[1]]]]] \xFF", 13, CORRAL_ERR_DEPTH, 1, 5);
    expect_error(p, "[\"\xFF\",]", 6, CORRAL_ERR_UTF8, 1, 3);
    expect_error(p, "{\"a\":\n \"\xC0\"} x", 13, CORRAL_ERR_UTF8, 2, 3);
    struct corral_json_doc d;
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    assert_int_equal(corral_json_parse(p, "[1,]\xFF", 5, 0, &d, &diag), CORRAL_ERR_JSON);
    assert_int_equal(diag.code, CORRAL_ERR_JSON);
    assert_non_null(strstr(diag.msg, "trailing comma"));
    memset(&diag, 0, sizeof(diag));
    assert_int_equal(corral_json_parse(p, "[\"\x80\"] [", 6, 0, &d, &diag), CORRAL_ERR_UTF8);
    assert_non_null(strstr(diag.msg, "UTF-8"));
    corral_json_parser_free(p);
}

struct bad_case {
    const char *text;
    size_t line;
    size_t col;
    const char *reason; /* a substring of the reason */
};

static const struct bad_case bad_cases[] = {
    {"", 1, 1, "empty"},
    {"   ", 1, 4, "empty"},
    {"{", 1, 2, "unterminated object"},
    {"[", 1, 2, "expected a value"},
    {"[1", 1, 3, "unterminated array"},
    {"{\"a\"", 1, 5, "unterminated object"},
    {"{\"a\":", 1, 6, "expected a value"},
    {"{\"a\":1", 1, 7, "unterminated object"},
    {"{\"a\":1,", 1, 8, "unterminated object"},
    {"}", 1, 1, "expected a JSON value"},
    {"]", 1, 1, "expected a JSON value"},
    {"[1,]", 1, 4, "trailing comma in array"},
    {"{\"a\":1,}", 1, 8, "trailing comma in object"},
    {"[1 2]", 1, 4, "expected ',' or ']'"},
    {"{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'"},
    {"{\"a\" 1}", 1, 6, "expected ':'"},
    {"{1:2}", 1, 2, "expected a string key"},
    {"{'a':1}", 1, 2, "double quotes"},
    {"['a']", 1, 2, "double quotes"},
    {"[,1]", 1, 2, "expected a JSON value"},
    {"[1,,2]", 1, 4, "expected a JSON value"},
    {"{\"a\":}", 1, 6, "expected a JSON value"},
    {"{\"a\":1]", 1, 7, "expected ',' or '}'"},
    {"[1}", 1, 3, "expected ',' or ']'"},
    {"{} {}", 1, 4, "trailing characters"},
    {"1 2", 1, 3, "trailing characters"},
    {"\"a\"b", 1, 4, "trailing characters"},
    {"[1]\n\n  x", 3, 3, "trailing characters"},
    /* literals */
    {"tru", 1, 1, "invalid literal"},
    {"nul", 1, 1, "invalid literal"},
    {"falsey", 1, 1, "invalid literal"},
    {"[true1]", 1, 2, "invalid literal"},
    {"True", 1, 1, "expected a JSON value"},
    {"NaN", 1, 1, "expected a JSON value"},
    {"undefined", 1, 1, "expected a JSON value"},
    /* numbers */
    {"-", 1, 2, "expected a digit"},
    {"-a", 1, 2, "expected a digit"},
    {"01", 1, 1, "leading zero"},
    {"-012", 1, 1, "leading zero"},
    {"1.", 1, 3, "after the decimal point"},
    {"1.e5", 1, 3, "after the decimal point"},
    {".5", 1, 1, "expected a JSON value"},
    {"+1", 1, 1, "expected a JSON value"},
    {"1e", 1, 3, "in the exponent"},
    {"1e+", 1, 4, "in the exponent"},
    {"1E-x", 1, 4, "in the exponent"},
    {"1x", 1, 2, "invalid character in number"},
    {"[1.5.3]", 1, 5, "invalid character in number"},
    {"0x10", 1, 2, "invalid character in number"},
    {"1-2", 1, 2, "invalid character in number"},
    {"18446744073709551616", 1, 1, "integer out of range"},
    {"-9223372036854775809", 1, 1, "integer out of range"},
    {"[123456789012345678901234567890]", 1, 2, "integer out of range"},
    {"1e309", 1, 1, "too large for a double"},
    {"-1.7976931348623159e308", 1, 1, "too large for a double"},
    {"0.00000000001797693134862315808e320", 1, 1, "too large for a double"},
    /* strings */
    {"\"abc", 1, 1, "unterminated string"},
    {"[\"a\\", 1, 2, "unterminated string"},
    {"\"a\nb\"", 1, 3, "unescaped newline"},
    {"\"a\tb\"", 1, 3, "control character"},
    {"\"\x01\"", 1, 2, "control character"},
    {"\"\\x41\"", 1, 2, "invalid escape"},
    {"\"\\U0041\"", 1, 2, "invalid escape"},
    {"\"\\'\"", 1, 2, "invalid escape"},
    {"\"\\u12\"", 1, 2, "4 hex digits"},
    {"\"\\u12g4\"", 1, 2, "4 hex digits"},
    {"\"\\ud800\"", 1, 2, "unpaired UTF-16 surrogate"},
    {"\"\\udc00\"", 1, 2, "unpaired UTF-16 surrogate"},
    {"\"\\ud800\\u0041\"", 1, 2, "unpaired UTF-16 surrogate"},
    {"\"\\ud800\\ud800\"", 1, 2, "unpaired UTF-16 surrogate"},
    {"\"x\\uDBFF\\n\"", 1, 3, "unpaired UTF-16 surrogate"},
    {"{\"k\\q\":1}", 1, 4, "invalid escape"},
    /* UTF-8 */
    {"\"\x80\"", 1, 2, "invalid UTF-8"},
    {"\"\xC0\xAF\"", 1, 2, "invalid UTF-8"},         /* overlong */
    {"\"\xC1\xBF\"", 1, 2, "invalid UTF-8"},         /* overlong */
    {"\"\xE0\x80\xAF\"", 1, 2, "invalid UTF-8"},     /* overlong */
    {"\"\xF0\x80\x80\xAF\"", 1, 2, "invalid UTF-8"}, /* overlong */
    {"\"\xED\xA0\x80\"", 1, 2, "invalid UTF-8"},     /* U+D800 */
    {"\"\xED\xBF\xBF\"", 1, 2, "invalid UTF-8"},     /* U+DFFF */
    {"\"\xF4\x90\x80\x80\"", 1, 2, "invalid UTF-8"}, /* U+110000 */
    {"\"\xF5\x80\x80\x80\"", 1, 2, "invalid UTF-8"},
    {"\"\xFF\"", 1, 2, "invalid UTF-8"},
    {"\"\xE2\x82\"", 1, 2, "invalid UTF-8"}, /* truncated */
    {"\"ab\xE2\x82", 1, 4, "invalid UTF-8"}, /* truncated at the end */
    {"\"\xC3\x28\"", 1, 2, "invalid UTF-8"}, /* bad continuation */
    {"[1]\xFF", 1, 4, "invalid UTF-8"},
    {"\xEF\xBB\xBF{}", 1, 1, "byte order mark"},
    {"[\xC3\xA9]", 1, 2, "expected a JSON value"},
    /* positions count bytes, lines count '\n' */
    {"{\n  \"a\": 1,\n  \"b\": 2,\n}", 4, 1, "trailing comma in object"},
    {"\r\n[\r\n1,\r\n,]", 4, 1, "expected a JSON value"},
    {"{\"\xC3\xA9\xC3\xA9\": x}", 1, 10, "expected a JSON value"},
    /* depth: four levels at most in these tests, empty containers counted */
    {"[[[[[]]]]]", 1, 5, "nesting deeper"},
    {"[[[[{}]]]]", 1, 5, "nesting deeper"},
    {"{\"a\":[{\"b\":[[1]]}]}", 1, 13, "nesting deeper"},
    {"[[[[[1,]]]]]", 1, 5, "nesting deeper"}, /* the first fault, not the comma */
    {"[[[[1,]]]]", 1, 7, "trailing comma in array"},
};

/* The kind of fault a reason of the table names. */
static corral_err kind_of(const char *reason)
{
    if (strstr(reason, "UTF-8") != NULL) {
        return CORRAL_ERR_UTF8;
    }
    return strstr(reason, "nesting") != NULL ? CORRAL_ERR_DEPTH : CORRAL_ERR_JSON;
}

static const char *const good_cases[] = {
    "0",
    "-0",
    "-0.0",
    "1",
    "  \t\r\n 1 \n",
    "\"\"",
    "[]",
    "{}",
    "[ ]",
    "{ }",
    "true",
    "false",
    "null",
    "[true,false,null]",
    "1.5",
    "1e5",
    "1E+5",
    "1e-5",
    "-1.25e-10",
    "0.5",
    "18446744073709551615",
    "-9223372036854775808",
    "123456789012345678901234567890.0",
    "1e-400",
    "0e999999999999999999999999",
    "1.7976931348623157e308",
    "-1.7976931348623158e308",
    "17976931348623158079e289",
    "0.0000000000001e-330",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\\u0000\\u001f\\u00e9\\uFFFF\"",
    "\"\\ud83d\\ude00\\uDBFF\\uDFFF\"",
    "\"\x7F\"",
    "\"\xC2\x80\xDF\xBF\"",
    "\"\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\"",
    "\"\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\"",
    "{\"a\":[1,{\"c\":null}],\"d\":{\"e\":\"f\"}}",
    "[[[]]]",
    "[[[[]]]]", /* four levels: the limit of these tests */
    "[[[[1]]]]",
    "{\"a\":[{\"b\":[]}]}",
    "[{},[[{}]]]",
    "{\"\":\"\"}",
    "{\"a\":1,\"a\":2}",
    "\n{\n  \"pretty\": [\n    1,\n    2\n  ]\n}\n",
};

static void test_locate_error(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, 4);
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t line = 0;
        size_t col = 0;
        const char *reason = NULL;
        corral_err want = kind_of(c->reason);
        corral_err r = corral_json_locate_error(c->text, strlen(c->text), 4, &line, &col, &reason);
        if (r != want || line != c->line || col != c->col || reason == NULL ||
            strstr(reason, c->reason) == NULL) {
            fail_msg("case %zu \"%s\": got %d %zu:%zu \"%s\", want %d %zu:%zu \"%s\"", i, c->text,
                     r, line, col, reason ? reason : "(null)", want, c->line, c->col, c->reason);
        }
        /* The fast parser refuses it too, with the same code, place and reason. */
        struct corral_json_doc d;
        struct corral_diag diag;
        memset(&diag, 0, sizeof(diag));
        corral_err err = corral_json_parse(p, c->text, strlen(c->text), 0, &d, &diag);
        if (err != want || diag.code != want || diag.line != c->line || diag.col != c->col ||
            strcmp(diag.msg, reason) != 0) {
            fail_msg("case %zu \"%s\": parse gave %s at %zu:%zu (%s)", i, c->text,
                     corral_strerror(err), diag.line, diag.col, diag.msg);
        }
    }
    for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        const char *t = good_cases[i];
        size_t line = 7;
        size_t col = 7;
        const char *reason = "untouched";
        corral_err r = corral_json_locate_error(t, strlen(t), 4, &line, &col, &reason);
        if (r != 0) {
            fail_msg("valid case %zu \"%s\" located at %zu:%zu: %s", i, t, line, col, reason);
        }
        must_parse(p, t);
    }
    corral_json_parser_free(p);
}

/* Length is what counts, not NUL: a NUL byte is a fault like any other byte. */
static void test_locate_binary(void **state)
{
    (void)state;
    size_t line = 0;
    size_t col = 0;
    const char *reason = NULL;
    assert_int_equal(corral_json_locate_error("[1]\0", 4, 4, &line, &col, &reason), CORRAL_ERR_JSON);
    assert_int_equal(col, 4);
    assert_int_equal(corral_json_locate_error("\"a\0\"", 4, 4, &line, &col, &reason),
                     CORRAL_ERR_JSON);
    assert_int_equal(col, 3);
    assert_non_null(strstr(reason, "control character"));
    /* Only len bytes are looked at. */
    assert_int_equal(corral_json_locate_error("[1]garbage", 3, 4, &line, &col, &reason), 0);
    /* Out-parameters may be NULL. */
    assert_int_equal(corral_json_locate_error("[", 1, 4, NULL, NULL, NULL), CORRAL_ERR_JSON);
}

/* The depth limit is the parser's exactly, including far beyond the inline stack. */
static void test_locate_depth(void **state)
{
    (void)state;
    size_t n = 5000;
    char *deep = malloc(2 * n + 1);
    assert_non_null(deep);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    size_t line = 0;
    size_t col = 0;
    const char *reason = NULL;
    /* 5000 levels, the innermost empty: fine with a limit of 5000, not with 4999. */
    assert_int_equal(corral_json_locate_error(deep, 2 * n, 5000, &line, &col, &reason), 0);
    assert_int_equal(corral_json_locate_error(deep, 2 * n, 4999, &line, &col, &reason),
                     CORRAL_ERR_DEPTH);
    assert_int_equal(col, 5000);
    assert_non_null(strstr(reason, "nesting deeper"));
    /* Mixed objects and arrays past 1024 levels: the bit stack keeps their kinds apart. */
    size_t levels = 3000;
    char *mixed = malloc(levels * 6 + 16);
    assert_non_null(mixed);
    size_t at = 0;
    for (size_t i = 0; i < levels; i++) {
        if (i % 3 == 0) {
            memcpy(mixed + at, "{\"k\":", 5);
            at += 5;
        } else {
            mixed[at++] = '[';
        }
    }
    mixed[at++] = '1';
    for (size_t i = levels; i-- > 0;) {
        mixed[at++] = i % 3 == 0 ? '}' : ']';
    }
    assert_int_equal(corral_json_locate_error(mixed, at, UINT_MAX, &line, &col, &reason), 0);
    /* Swap one closer: the fault is found at exactly that byte. */
    size_t swap = at - 700;
    char was = mixed[swap];
    mixed[swap] = was == '}' ? ']' : '}';
    assert_int_equal(corral_json_locate_error(mixed, at, UINT_MAX, &line, &col, &reason),
                     CORRAL_ERR_JSON);
    assert_int_equal(col, swap + 1);
    free(mixed);

    corral_json_parser *p = must_parser(MAX_SIZE, 5000);
    struct corral_json_doc d;
    struct corral_diag diag;
    assert_int_equal(corral_json_parse(p, deep, 2 * n, 0, &d, &diag), CORRAL_OK);
    corral_json_parser_free(p);
    p = must_parser(MAX_SIZE, 4999);
    assert_int_equal(corral_json_parse(p, deep, 2 * n, 0, &d, &diag), CORRAL_ERR_DEPTH);
    assert_int_equal(diag.line, 1);
    assert_int_equal(diag.col, 5000);
    corral_json_parser_free(p);
    free(deep);
}

/* ---- the tape walk against documents whose nodes are known ---- */

/* A generated document: its text, and the nodes the parser must produce for it. */
struct gen {
    char *text;
    size_t len, cap;
    struct corral_json_node *want;
    uint32_t n, cap_nodes;
    uint64_t seed;
};

static uint64_t gen_random(struct gen *g)
{
    g->seed = g->seed * 6364136223846793005u + 1442695040888963407u;
    return g->seed >> 33;
}

static void gen_text(struct gen *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->text = realloc(g->text, g->cap);
        assert_non_null(g->text);
    }
    memcpy(g->text + g->len, s, n);
    g->len += n;
}

static uint32_t gen_node(struct gen *g, uint8_t type)
{
    if (g->n == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes != 0 ? g->cap_nodes * 2 : 256;
        g->want = realloc(g->want, g->cap_nodes * sizeof *g->want);
        assert_non_null(g->want);
    }
    memset(&g->want[g->n], 0, sizeof g->want[g->n]);
    g->want[g->n].type = type;
    g->want[g->n].next = g->n + 1;
    return g->n++;
}

/* A string (keys start with '$' now and then); its node's v.s is left NULL: compared by text. */
static void gen_string(struct gen *g, int key)
{
    static const char *const pieces[] = {"a", "Type", "$id", "$ref", "x y", "\\u00e9", "\\n", "0"};
    char buf[64];
    size_t n = 0;
    size_t parts = (size_t)(gen_random(g) % 4);
    const int dollar = key && gen_random(g) % 5 == 0;
    if (dollar) {
        buf[n++] = '$';
    }
    for (size_t i = 0; i < parts; i++) {
        const char *p = pieces[gen_random(g) % 8];
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    gen_text(g, "\"", 1);
    gen_text(g, buf, n);
    gen_text(g, "\"", 1);
    uint32_t at = gen_node(g, CORRAL_JSON_STRING);
    /* The unescaped length: "\u00e9" is two bytes, "\n" one. */
    uint32_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\\' && buf[i + 1] == 'u') {
            len += 2;
            i += 5;
        } else if (buf[i] == '\\') {
            len += 1;
            i += 1;
        } else {
            len++;
        }
    }
    g->want[at].len = len;
}

static void gen_value(struct gen *g, unsigned depth)
{
    unsigned kind = (unsigned)(gen_random(g) % (depth >= 12 ? 6 : 9));
    char num[64];
    uint32_t at;
    switch (kind) {
    case 0:
        gen_text(g, "null", 4);
        gen_node(g, CORRAL_JSON_NULL);
        return;
    case 1:
        gen_text(g, "true", 4);
        gen_node(g, CORRAL_JSON_TRUE);
        return;
    case 2: {
        int64_t v = (int64_t)(gen_random(g) << 31 ^ gen_random(g)) - (int64_t)(1ll << 50);
        int n = snprintf(num, sizeof num, "%lld", (long long)v);
        gen_text(g, num, (size_t)n);
        at = gen_node(g, CORRAL_JSON_INT);
        g->want[at].v.i = v;
        return;
    }
    case 3:
        gen_text(g, "18446744073709551615", 20);
        at = gen_node(g, CORRAL_JSON_UINT);
        g->want[at].v.u = UINT64_MAX;
        return;
    case 4:
        gen_text(g, "-2.5", 4);
        at = gen_node(g, CORRAL_JSON_DOUBLE);
        g->want[at].v.d = -2.5;
        return;
    case 5:
        gen_string(g, 0);
        return;
    case 6:
    case 7: {
        at = gen_node(g, CORRAL_JSON_ARRAY);
        uint32_t n = (uint32_t)(gen_random(g) % (depth == 0 && gen_random(g) % 8 == 0 ? 300 : 5));
        gen_text(g, "[", 1);
        for (uint32_t i = 0; i < n; i++) {
            if (i > 0) {
                gen_text(g, ",", 1);
            }
            gen_value(g, depth + 1);
        }
        gen_text(g, "]", 1);
        g->want[at].len = n;
        g->want[at].next = g->n;
        return;
    }
    default: {
        at = gen_node(g, CORRAL_JSON_OBJECT);
        uint32_t n = (uint32_t)(gen_random(g) % (depth == 0 && gen_random(g) % 8 == 0 ? 300 : 5));
        gen_text(g, "{", 1);
        for (uint32_t i = 0; i < n; i++) {
            if (i > 0) {
                gen_text(g, ",", 1);
            }
            gen_string(g, 1);
            gen_text(g, ":", 1);
            gen_value(g, depth + 1);
        }
        gen_text(g, "}", 1);
        g->want[at].len = n;
        g->want[at].next = g->n;
        return;
    }
    }
}

/*
 * Thousands of random documents, each compared node by node with the tree it
 * was written from: types, lengths, skips, numbers, and the members whose key
 * starts with '$' in document order.
 */
static void test_random_documents(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE * 16, MAX_DEPTH);
    struct gen g;
    memset(&g, 0, sizeof g);
    g.seed = 77;
    for (int doc = 0; doc < 3000; doc++) {
        g.len = 0;
        g.n = 0;
        gen_value(&g, 0);
        struct corral_json_doc d;
        struct corral_diag diag;
        if (corral_json_parse(p, g.text, g.len, 0, &d, &diag) != CORRAL_OK) {
            fail_msg("document %d rejected: %s", doc, diag.msg);
        }
        assert_int_equal(d.count, g.n);
        uint32_t n_dollar = 0;
        const struct corral_json_member *dollar = corral_json_dollar_members(p, &n_dollar);
        uint32_t seen_dollar = 0;
        for (uint32_t i = 0; i < g.n; i++) {
            const struct corral_json_node *x = &d.nodes[i];
            const struct corral_json_node *w = &g.want[i];
            if (x->type != w->type || x->len != w->len || x->next != w->next) {
                fail_msg("document %d node %u: type %d len %u next %u, want %d %u %u", doc, i,
                         x->type, x->len, x->next, w->type, w->len, w->next);
            }
            if ((x->type == CORRAL_JSON_INT || x->type == CORRAL_JSON_UINT) && x->v.u != w->v.u) {
                fail_msg("document %d node %u: number differs", doc, i);
            }
            if (x->type == CORRAL_JSON_DOUBLE && x->v.d != w->v.d) {
                fail_msg("document %d node %u: double differs", doc, i);
            }
            if (x->type == CORRAL_JSON_OBJECT) {
                /* Members: each key's '$' entry names this object and that key, in order. */
                uint32_t k = i + 1;
                for (uint32_t m = 0; m < x->len; m++) {
                    if (d.nodes[k].len > 0 && d.nodes[k].v.s[0] == '$') {
                        int found = 0;
                        for (uint32_t j = 0; j < n_dollar; j++) {
                            found |= dollar[j].key == k && dollar[j].object == i;
                        }
                        assert_true(found);
                        seen_dollar++;
                    }
                    k = d.nodes[k + 1].next;
                }
                assert_int_equal(k, x->next);
            }
        }
        assert_int_equal(seen_dollar, n_dollar);
        for (uint32_t j = 1; j < n_dollar; j++) {
            assert_true(dollar[j - 1].key < dollar[j].key); /* document order */
        }
    }
    free(g.text);
    free(g.want);
    corral_json_parser_free(p);
}

/* The '$' members of a small document, and none after a failed parse. */
static void test_dollar_members(void **state)
{
    (void)state;
    corral_json_parser *p = must_parser(MAX_SIZE, MAX_DEPTH);
    uint32_t n = 99;
    assert_null(corral_json_dollar_members(p, &n));
    assert_int_equal(n, 0);
    struct corral_json_doc d = must_parse(
        p, "{\"$id\":\"1\",\"a\":{\"$ref\":\"1\"},\"b\":[{\"x$\":1,\"$type\":\"t\"}],\"\":2}");
    /* 0 {  1 "$id"  2 "1"  3 "a"  4 {  5 "$ref"  6 "1"  7 "b"  8 [  9 {  10 "x$"  11 1
     * 12 "$type"  13 "t"  14 ""  15 2 */
    assert_int_equal(d.count, 16);
    const struct corral_json_member *m = corral_json_dollar_members(p, &n);
    assert_int_equal(n, 3);
    assert_int_equal(m[0].object, 0);
    assert_int_equal(m[0].key, 1);
    assert_int_equal(m[1].object, 4);
    assert_int_equal(m[1].key, 5);
    assert_int_equal(m[2].object, 9);
    assert_int_equal(m[2].key, 12);
    /* A '$' string value is not a key. */
    must_parse(p, "[\"$id\",{\"a\":\"$ref\"}]");
    corral_json_dollar_members(p, &n);
    assert_int_equal(n, 0);
    must_parse(p, "{\"$id\":1}");
    corral_json_dollar_members(p, &n);
    assert_int_equal(n, 1);
    struct corral_diag diag;
    assert_int_equal(corral_json_parse(p, "{\"$id\":", 7, 0, &d, &diag), CORRAL_ERR_JSON);
    corral_json_dollar_members(p, &n);
    assert_int_equal(n, 0);
    assert_int_equal(corral_json_dollar_members(NULL, &n), NULL);
    assert_int_equal(n, 0);
    corral_json_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_layout),    cmocka_unit_test(test_get_and_key_is),
        cmocka_unit_test(test_numbers),        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_padded),         cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_locate_error),   cmocka_unit_test(test_locate_binary),
        cmocka_unit_test(test_first_fault_wins),
        cmocka_unit_test(test_locate_depth),   cmocka_unit_test(test_random_documents),
        cmocka_unit_test(test_dollar_members),
        cmocka_unit_test(test_string_slack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
