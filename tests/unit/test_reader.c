/*
 * test_reader.c - framing inputs into records (reader.c) and the ingest loop (pipeline.c).
 *
 * Every test reads an input to its end and compares the whole sequence of
 * what came out, records and problems in order, each with its line and
 * column: so each bad case also shows that the good records around it
 * survive. Covered: NDJSON with blank lines, CRLF and bad lines; top-level
 * arrays (pretty and compact, with malformed elements, missing or trailing
 * commas, unterminated at the end); pretty-printed documents one after
 * another; a byte order mark; the record and document limits, including a
 * 50 MB line from memory and from a file; padding of every record; the same
 * input read from memory and from a file giving the same records whatever the
 * read boundaries; and the pipeline's counting and error reporting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify/catalog.h"
#include "ingest/decode.h"
#include "ingest/json.h"
#include "ingest/pipeline.h"
#include "ingest/reader.h"

#define MAX_EVENTS 100000

/* One thing the reader said: a record (kind 1) or a problem (kind -1). */
struct event {
    int kind;
    char *text; /* the record's bytes, NUL-terminated copy */
    size_t len;
    size_t line;
    size_t col;
    corral_err code;
    char msg[256];
};

struct events {
    struct event *v;
    size_t n;
};

static void events_free(struct events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->v[i].text);
    }
    free(ev->v);
    ev->v = NULL;
    ev->n = 0;
}

/* Read r to its end; every record must be padded, and its padding readable. */
static struct events drain(corral_reader *r)
{
    struct events ev = {calloc(MAX_EVENTS, sizeof(struct event)), 0};
    assert_non_null(ev.v);
    size_t pad = corral_json_padding();
    for (;;) {
        struct corral_record rec;
        struct corral_diag diag;
        memset(&rec, 0, sizeof(rec));
        memset(&diag, 0, sizeof(diag));
        int rc = corral_reader_next(r, &rec, &diag);
        if (rc == 0) {
            break;
        }
        assert_true(ev.n < MAX_EVENTS);
        struct event *e = &ev.v[ev.n++];
        e->kind = rc;
        if (rc < 0) {
            e->code = diag.code;
            e->line = diag.line;
            e->col = diag.col;
            memcpy(e->msg, diag.msg, sizeof(e->msg));
            continue;
        }
        assert_int_equal(rc, 1);
        assert_true(rec.padded);
        assert_true(rec.len > 0);
        /* Touch the padding: ASan flags it if it is not there. */
        volatile char sink = 0;
        for (size_t i = 0; i < pad; i++) {
            sink ^= rec.buf[rec.len + i];
        }
        (void)sink;
        e->text = malloc(rec.len + 1);
        assert_non_null(e->text);
        memcpy(e->text, rec.buf, rec.len);
        e->text[rec.len] = '\0';
        e->len = rec.len;
        e->line = rec.line;
        e->col = rec.col;
    }
    /* The end is sticky. */
    struct corral_record rec;
    assert_int_equal(corral_reader_next(r, &rec, NULL), 0);
    return ev;
}

static const struct corral_reader_limits default_limits = {1u << 20, 64u << 20};

static struct events read_memory(const char *buf, size_t len, const struct corral_reader_limits *l)
{
    corral_reader *r = corral_reader_from_memory(buf, len, l != NULL ? l : &default_limits);
    assert_non_null(r);
    struct events ev = drain(r);
    assert_int_equal(corral_reader_offset(r), len);
    corral_reader_free(r);
    return ev;
}

static struct events read_text(const char *text)
{
    return read_memory(text, strlen(text), NULL);
}

static void expect_record(const struct events *ev, size_t i, const char *text, size_t line,
                          size_t col)
{
    if (i >= ev->n) {
        fail_msg("event %zu: missing, want record %s at %zu:%zu", i, text, line, col);
    }
    const struct event *e = &ev->v[i];
    if (e->kind != 1) {
        fail_msg("event %zu: got problem %s at %zu:%zu (%s), want record %s at %zu:%zu", i,
                 corral_strerror(e->code), e->line, e->col, e->msg, text, line, col);
    }
    if (text != NULL && (e->len != strlen(text) || memcmp(e->text, text, e->len) != 0)) {
        fail_msg("event %zu: got record \"%s\", want \"%s\"", i, e->text, text);
    }
    if (e->line != line || e->col != col) {
        fail_msg("event %zu: record \"%.40s\" at %zu:%zu, want %zu:%zu", i, e->text, e->line,
                 e->col, line, col);
    }
}

static void expect_problem(const struct events *ev, size_t i, corral_err code, size_t line,
                           size_t col, const char *msg_part)
{
    if (i >= ev->n) {
        fail_msg("event %zu: missing, want problem %s at %zu:%zu", i, corral_strerror(code), line,
                 col);
    }
    const struct event *e = &ev->v[i];
    if (e->kind != -1) {
        fail_msg("event %zu: got record \"%.40s\" at %zu:%zu, want problem %s at %zu:%zu", i,
                 e->text, e->line, e->col, corral_strerror(code), line, col);
    }
    if (e->code != code || e->line != line || e->col != col) {
        fail_msg("event %zu: got problem %s at %zu:%zu (%s), want %s at %zu:%zu", i,
                 corral_strerror(e->code), e->line, e->col, e->msg, corral_strerror(code), line,
                 col);
    }
    if (msg_part != NULL && strstr(e->msg, msg_part) == NULL) {
        fail_msg("event %zu: message \"%s\" lacks \"%s\"", i, e->msg, msg_part);
    }
}

/* Does the record of event i parse as JSON? */
static int parses(const struct events *ev, size_t i)
{
    corral_json_parser *p = corral_json_parser_new(1u << 20, 64);
    assert_non_null(p);
    struct corral_json_doc doc;
    struct corral_diag diag;
    corral_err err = corral_json_parse(p, ev->v[i].text, ev->v[i].len, 0, &doc, &diag);
    corral_json_parser_free(p);
    return err == CORRAL_OK;
}

/* A temporary file holding buf[0..len); the caller unlinks and frees the path. */
static char *temp_file(const char *buf, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    assert_non_null(path);
    snprintf(path, 4096, "%s/corral-test-reader-XXXXXX", dir != NULL ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static struct events read_file(const char *buf, size_t len, const struct corral_reader_limits *l)
{
    char *path = temp_file(buf, len);
    corral_reader *r = NULL;
    struct corral_diag diag;
    assert_int_equal(corral_reader_open(path, l != NULL ? l : &default_limits, &r, &diag),
                     CORRAL_OK);
    struct events ev = drain(r);
    assert_int_equal(corral_reader_offset(r), len);
    corral_reader_free(r);
    unlink(path);
    free(path);
    return ev;
}

static void expect_same(const struct events *a, const struct events *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->v[i].kind, b->v[i].kind);
        assert_int_equal(a->v[i].line, b->v[i].line);
        assert_int_equal(a->v[i].col, b->v[i].col);
        assert_int_equal(a->v[i].len, b->v[i].len);
        assert_int_equal(a->v[i].code, b->v[i].code);
        if (a->v[i].kind == 1) {
            assert_memory_equal(a->v[i].text, b->v[i].text, a->v[i].len);
        }
    }
}

/* ------------------------------------------------------------------ NDJSON */

static void test_ndjson_blank_lines_crlf(void **state)
{
    (void)state;
    struct events ev =
        read_text("{\"a\":1}\r\n\r\n   \n{\"b\":2}\r\n\t{\"c\":[3]}  \t\n\n{\"d\":4}");
    assert_int_equal(ev.n, 4);
    expect_record(&ev, 0, "{\"a\":1}", 1, 1);
    expect_record(&ev, 1, "{\"b\":2}", 4, 1);
    expect_record(&ev, 2, "{\"c\":[3]}", 5, 2);
    expect_record(&ev, 3, "{\"d\":4}", 7, 1); /* the last line has no newline */
    events_free(&ev);

    /* Blank lines before the first record, and only CRs. */
    ev = read_text("\n\r\n  \n{\"a\":1}\n\r\r\n{\"b\":2}\n\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "{\"a\":1}", 4, 1);
    expect_record(&ev, 1, "{\"b\":2}", 6, 1);
    events_free(&ev);

    /* Nothing at all. */
    ev = read_text("");
    assert_int_equal(ev.n, 0);
    events_free(&ev);
    ev = read_text(" \r\n\t\n\n");
    assert_int_equal(ev.n, 0);
    events_free(&ev);
    ev = read_memory(NULL, 0, NULL);
    assert_int_equal(ev.n, 0);
    events_free(&ev);
}

static void test_ndjson_bad_lines(void **state)
{
    (void)state;
    /* Each bad line is handed out as it is (the parser reports it); its neighbours survive. */
    struct events ev = read_text("{\"a\":1}\n"
                                 "{\"b\":\n"
                                 "hello world\n"
                                 "{\"c\":\"unterminated}\n"
                                 "]\n"
                                 "{\"d\":4} {\"e\":5}\n"
                                 "{\"f\":6}\n");
    assert_int_equal(ev.n, 7);
    expect_record(&ev, 0, "{\"a\":1}", 1, 1);
    expect_record(&ev, 1, "{\"b\":", 2, 1);
    expect_record(&ev, 2, "hello world", 3, 1);
    expect_record(&ev, 3, "{\"c\":\"unterminated}", 4, 1);
    expect_record(&ev, 4, "]", 5, 1);
    expect_record(&ev, 5, "{\"d\":4} {\"e\":5}", 6, 1);
    expect_record(&ev, 6, "{\"f\":6}", 7, 1);
    assert_true(parses(&ev, 0));
    for (size_t i = 1; i < 6; i++) {
        assert_false(parses(&ev, i));
    }
    assert_true(parses(&ev, 6));
    events_free(&ev);

    /* Binary garbage on a line, NUL bytes included. */
    static const char bin[] = "{\"a\":1}\n\x00\xff\xfe\x01\n{\"b\":2}\n";
    ev = read_memory(bin, sizeof(bin) - 1, NULL);
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1}", 1, 1);
    assert_int_equal(ev.v[1].len, 4);
    expect_record(&ev, 1, NULL, 2, 1);
    expect_record(&ev, 2, "{\"b\":2}", 3, 1);
    events_free(&ev);
}

/* A first line that breaks off must not turn a whole NDJSON file into one broken document. */
static void test_ndjson_broken_first_line(void **state)
{
    (void)state;
    struct events ev = read_text("{\"a\":1\n{\"b\":2}\n{\"c\":3}\n");
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1", 1, 1);
    expect_record(&ev, 1, "{\"b\":2}", 2, 1);
    expect_record(&ev, 2, "{\"c\":3}", 3, 1);
    events_free(&ev);

    ev = read_text("{\"a\":\"no closing quote\n{\"b\":2}\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "{\"a\":\"no closing quote", 1, 1);
    expect_record(&ev, 1, "{\"b\":2}", 2, 1);
    events_free(&ev);

    /* A garbage first line. */
    ev = read_text("garbage {\n{\"b\":2}\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "garbage {", 1, 1);
    expect_record(&ev, 1, "{\"b\":2}", 2, 1);
    events_free(&ev);

    /* A truncated one-line file. */
    ev = read_text("{\"a\":[1,2");
    assert_int_equal(ev.n, 1);
    expect_record(&ev, 0, "{\"a\":[1,2", 1, 1);
    events_free(&ev);
}

static void test_ndjson_too_large(void **state)
{
    (void)state;
    struct corral_reader_limits small = {16, 1u << 20};
    /* 16 bytes fit, 17 do not; CRLF does not count; the next lines are still read. */
    struct events ev = read_memory("{\"a\":\"12345678\"}\r\n"
                                   "{\"b\":\"123456789\"}\n"
                                   "{\"c\":3}\n"
                                   "   {\"d\":\"123456789012345678\"}\n"
                                   "{\"e\":\"12345678\"}",
                                   90, &small);
    assert_int_equal(ev.n, 5);
    expect_record(&ev, 0, "{\"a\":\"12345678\"}", 1, 1);
    expect_problem(&ev, 1, CORRAL_ERR_TOO_LARGE, 2, 1, "16 bytes");
    expect_record(&ev, 2, "{\"c\":3}", 3, 1);
    expect_problem(&ev, 3, CORRAL_ERR_TOO_LARGE, 4, 4, NULL);
    expect_record(&ev, 4, "{\"e\":\"12345678\"}", 5, 1);
    events_free(&ev);
}

/* A buffer of lines: {"a":1}, a line of `size` bytes, {"c":3}, optionally one more long line. */
static char *big_input(size_t size, const char *eol, size_t *len_out)
{
    size_t eol_len = strlen(eol);
    size_t cap = size + 64;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t at = 0;
    at += (size_t)sprintf(buf + at, "{\"a\":1}%s", eol);
    memcpy(buf + at, "{\"big\":\"", 8);
    memset(buf + at + 8, 'x', size - 10);
    memcpy(buf + at + size - 2, "\"}", 2);
    at += size;
    memcpy(buf + at, eol, eol_len);
    at += eol_len;
    at += (size_t)sprintf(buf + at, "{\"c\":3}%s", eol);
    *len_out = at;
    return buf;
}

static void test_ndjson_50mb_line(void **state)
{
    (void)state;
    const size_t size = 50u << 20;
    struct corral_reader_limits limits = {1u << 20, 1u << 20};
    const char *eols[] = {"\n", "\r\n"};
    for (size_t k = 0; k < 2; k++) {
        size_t len = 0;
        char *buf = big_input(size, eols[k], &len);
        struct events mem = read_memory(buf, len, &limits);
        assert_int_equal(mem.n, 3);
        expect_record(&mem, 0, "{\"a\":1}", 1, 1);
        expect_problem(&mem, 1, CORRAL_ERR_TOO_LARGE, 2, 1, "record limit");
        expect_record(&mem, 2, "{\"c\":3}", 3, 1);
        struct events file = read_file(buf, len, &limits);
        expect_same(&mem, &file);
        events_free(&mem);
        events_free(&file);

        /* The long line first (the framing is decided on a line that does not fit)... */
        size_t skip = strlen("{\"a\":1}") + strlen(eols[k]);
        mem = read_memory(buf + skip, len - skip, &limits);
        assert_int_equal(mem.n, 2);
        expect_problem(&mem, 0, CORRAL_ERR_TOO_LARGE, 1, 1, NULL);
        expect_record(&mem, 1, "{\"c\":3}", 2, 1);
        file = read_file(buf + skip, len - skip, &limits);
        expect_same(&mem, &file);
        events_free(&mem);
        events_free(&file);

        /* ...and last, without a newline. */
        size_t tail = strlen("{\"c\":3}") + 2 * strlen(eols[k]);
        mem = read_memory(buf, len - tail, &limits);
        assert_int_equal(mem.n, 2);
        expect_record(&mem, 0, "{\"a\":1}", 1, 1);
        expect_problem(&mem, 1, CORRAL_ERR_TOO_LARGE, 2, 1, NULL);
        file = read_file(buf, len - tail, &limits);
        expect_same(&mem, &file);
        events_free(&mem);
        events_free(&file);
        free(buf);
    }
}

/* Lines of every length around the read boundaries come out the same from a file. */
static void test_file_matches_memory(void **state)
{
    (void)state;
    size_t cap = 5u << 20;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t at = 0;
    unsigned seed = 12345;
    size_t lines = 0;
    while (at < cap - 500000) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % 4000;
        if ((seed >> 4) % 97 == 0) {
            n = 200000 + (seed >> 12) % 200000; /* some lines over the limit of 256 KiB */
        }
        at += (size_t)sprintf(buf + at, "{\"n\":%zu,\"s\":\"", lines);
        memset(buf + at, 'a' + (char)(lines % 26), n);
        at += n;
        at += (size_t)sprintf(buf + at, "\"}%s", (seed >> 20) % 5 == 0 ? "\r\n" : "\n");
        if ((seed >> 16) % 11 == 0) {
            buf[at++] = '\n'; /* a blank line now and then */
        }
        lines++;
    }
    struct corral_reader_limits limits = {256u << 10, 1u << 20};
    struct events mem = read_memory(buf, at, &limits);
    struct events file = read_file(buf, at, &limits);
    expect_same(&mem, &file);
    size_t records = 0;
    size_t problems = 0;
    for (size_t i = 0; i < mem.n; i++) {
        if (mem.v[i].kind == 1) {
            records++;
            assert_true(parses(&mem, i));
        } else {
            problems++;
            assert_int_equal(mem.v[i].code, CORRAL_ERR_TOO_LARGE);
        }
    }
    assert_int_equal(records + problems, lines);
    assert_true(problems > 0);
    events_free(&mem);
    events_free(&file);
    free(buf);
}

/* A first line longer than a read buffer is an NDJSON line, from memory as from a file. */
static void test_long_first_line(void **state)
{
    (void)state;
    const size_t n = 300u << 10; /* over the 256 KiB buffer */
    char *buf = malloc(n + 64);
    assert_non_null(buf);
    memcpy(buf, "{\"a\":\"", 6);
    memset(buf + 6, 'x', n);
    size_t len = 6 + n;
    len += (size_t)sprintf(buf + len, "\",\n\"b\":1}\n");
    struct corral_reader_limits limits = {1024, 1u << 20};
    struct events mem = read_memory(buf, len, &limits);
    assert_int_equal(mem.n, 2);
    expect_problem(&mem, 0, CORRAL_ERR_TOO_LARGE, 1, 1, NULL);
    expect_record(&mem, 1, "\"b\":1}", 2, 1);
    struct events file = read_file(buf, len, &limits);
    expect_same(&mem, &file);
    events_free(&mem);
    events_free(&file);
    free(buf);
}

/* ------------------------------------------------------------------ arrays */

static void test_array_elements(void **state)
{
    (void)state;
    struct events ev = read_text("[\n"
                                 "  {\"a\": 1},\n"
                                 "  {\"b\": [1, 2,\n"
                                 "     3]},\n"
                                 "  \"s]\\\"[\",  42 ,\n"
                                 "  [{\"c\": 3}], null\n"
                                 "]\n");
    assert_int_equal(ev.n, 6);
    expect_record(&ev, 0, "{\"a\": 1}", 2, 3);
    expect_record(&ev, 1, "{\"b\": [1, 2,\n     3]}", 3, 3);
    expect_record(&ev, 2, "\"s]\\\"[\"", 5, 3);
    expect_record(&ev, 3, "42", 5, 13);
    expect_record(&ev, 4, "[{\"c\": 3}]", 6, 3);
    expect_record(&ev, 5, "null", 6, 15);
    events_free(&ev);

    /* Compact, one line: that is an array too, not an NDJSON line. */
    ev = read_text("[{\"a\":1},{\"b\":2},{\"c\":3}]");
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_record(&ev, 1, "{\"b\":2}", 1, 10);
    expect_record(&ev, 2, "{\"c\":3}", 1, 18);
    events_free(&ev);

    /* Empty arrays, and arrays one after another (NDJSON of arrays). */
    ev = read_text("[]\n[ ]\n[{\"a\":1}]\n[{\"b\":2},\n{\"c\":3}]\n");
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1}", 3, 2);
    expect_record(&ev, 1, "{\"b\":2}", 4, 2);
    expect_record(&ev, 2, "{\"c\":3}", 5, 1);
    events_free(&ev);
}

static void test_array_bad_elements(void **state)
{
    (void)state;
    /* Malformed but balanced elements are handed out; the parser reports them. */
    struct events ev = read_text("[{\"a\":1},\n {\"b\":},\n {\"c\" 3},\n tru,\n {\"d\":4}]");
    assert_int_equal(ev.n, 5);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_record(&ev, 1, "{\"b\":}", 2, 2);
    expect_record(&ev, 2, "{\"c\" 3}", 3, 2);
    expect_record(&ev, 3, "tru", 4, 2);
    expect_record(&ev, 4, "{\"d\":4}", 5, 2);
    assert_true(parses(&ev, 0));
    assert_false(parses(&ev, 1));
    assert_false(parses(&ev, 2));
    assert_false(parses(&ev, 3));
    assert_true(parses(&ev, 4));
    events_free(&ev);

    /* The array's own syntax: each fault is reported, every element still comes out. */
    ev = read_text("[{\"a\":1} {\"b\":2},, {\"c\":3}, ]");
    assert_int_equal(ev.n, 6);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 1, 10, "expected ','");
    expect_record(&ev, 2, "{\"b\":2}", 1, 10);
    expect_problem(&ev, 3, CORRAL_ERR_JSON, 1, 18, "missing element");
    expect_record(&ev, 4, "{\"c\":3}", 1, 20);
    expect_problem(&ev, 5, CORRAL_ERR_JSON, 1, 29, "trailing comma");
    events_free(&ev);

    /* Stray separators: one problem per run, however long. */
    ev = read_text("[{\"a\":1}, }, {\"b\":2},,,\n,, {\"c\":3} :]");
    assert_int_equal(ev.n, 6);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 1, 11, "unexpected '}'");
    expect_record(&ev, 2, "{\"b\":2}", 1, 14);
    expect_problem(&ev, 3, CORRAL_ERR_JSON, 1, 22, "missing element");
    expect_record(&ev, 4, "{\"c\":3}", 2, 4);
    expect_problem(&ev, 5, CORRAL_ERR_JSON, 2, 12, "unexpected ':'");
    events_free(&ev);

    /* Between top-level values too. */
    ev = read_text("{\n\"a\":1\n}\n}}]]\n}\n{\n\"b\":2\n}");
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\n\"a\":1\n}", 1, 1);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 4, 1, "unexpected '}' between top-level values");
    expect_record(&ev, 2, "{\n\"b\":2\n}", 6, 1);
    events_free(&ev);
}

static void test_array_unterminated(void **state)
{
    (void)state;
    /* The closing bracket is missing: every element is read, then one problem at the end. */
    struct events ev = read_text("[\n  {\"a\":1},\n  {\"b\":2}\n");
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1}", 2, 3);
    expect_record(&ev, 1, "{\"b\":2}", 3, 3);
    expect_problem(&ev, 2, CORRAL_ERR_JSON, 4, 1, "missing ']'");
    assert_non_null(strstr(ev.v[2].msg, "line 1, column 1"));
    events_free(&ev);

    /* The input stops inside an element: the fault is placed exactly, then the input ends. */
    ev = read_text("[{\"a\":1},\n {\"b\":[1,2");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 2, 11, "unterminated array");
    assert_non_null(strstr(ev.v[1].msg, "line 2, column 2"));
    events_free(&ev);

    /* A missing quote: the scanner cannot resynchronise; the first fault is named. */
    ev = read_text("[{\"a\":1},\n {\"b\":\"x},\n {\"c\":3}\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 2, 11, "unescaped newline");
    assert_non_null(strstr(ev.v[1].msg, "line 2, column 2"));
    events_free(&ev);

    /* The same with the closing bracket: brackets balance again, so the damaged stretch is
     * one element (the parser reports it) and only the array's own end is missing. */
    ev = read_text("[{\"a\":1},\n {\"b\":\"x},\n {\"c\":3}\n]\n");
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_record(&ev, 1, "{\"b\":\"x},\n {\"c\":3}\n]", 2, 2);
    assert_false(parses(&ev, 1));
    expect_problem(&ev, 2, CORRAL_ERR_JSON, 5, 1, "missing ']'");
    events_free(&ev);

    /* An unterminated string at the very end. */
    ev = read_text("[\"abc");
    assert_int_equal(ev.n, 1);
    expect_problem(&ev, 0, CORRAL_ERR_JSON, 1, 2, "unterminated string");
    events_free(&ev);

    /* Unbalanced: one '[' too many inside an element swallows the rest. */
    ev = read_text("[{\"a\":[1},\n {\"b\":2}\n");
    assert_int_equal(ev.n, 1);
    expect_problem(&ev, 0, CORRAL_ERR_JSON, 1, 9, "expected ',' or ']'");
    events_free(&ev);
}

static void test_array_too_large(void **state)
{
    (void)state;
    struct corral_reader_limits small = {16, 1u << 20};
    struct events ev =
        read_memory("[{\"a\":1},{\"b\":\"0123456789ABCDEF\"},{\"c\":3}]", 42, &small);
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\"a\":1}", 1, 2);
    expect_problem(&ev, 1, CORRAL_ERR_TOO_LARGE, 1, 10, "record limit");
    expect_record(&ev, 2, "{\"c\":3}", 1, 35);
    events_free(&ev);

    /* Over the document limit: one problem for the whole input, from memory and from a file. */
    struct corral_reader_limits doc = {1u << 20, 40};
    const char *text = "[{\"a\":1},{\"b\":2},{\"c\":3},{\"d\":4},{\"e\":5}]";
    ev = read_memory(text, strlen(text), &doc);
    assert_int_equal(ev.n, 1);
    expect_problem(&ev, 0, CORRAL_ERR_TOO_LARGE, 1, 1, "document limit");
    events_free(&ev);
    char *path = temp_file(text, strlen(text));
    corral_reader *r = NULL;
    assert_int_equal(corral_reader_open(path, &doc, &r, NULL), CORRAL_OK);
    ev = drain(r);
    assert_int_equal(ev.n, 1);
    expect_problem(&ev, 0, CORRAL_ERR_TOO_LARGE, 1, 1, "document limit");
    events_free(&ev);
    corral_reader_free(r);
    unlink(path);
    free(path);

    /* Exactly at the limit is fine; NDJSON has no document limit at all. */
    doc.max_document = strlen(text);
    ev = read_memory(text, strlen(text), &doc);
    assert_int_equal(ev.n, 5);
    events_free(&ev);
    doc.max_document = 8;
    ev = read_memory("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", 24, &doc);
    assert_int_equal(ev.n, 3);
    events_free(&ev);
}

/* ---------------------------------------------------------------- documents */

static void test_documents(void **state)
{
    (void)state;
    const char *text = "{\n"
                       "  \"a\": 1,\n"
                       "  \"s\": \"}{\"\n"
                       "}\n"
                       "\n"
                       "{\n"
                       "  \"value\": [\n"
                       "    {\"b\": 2}\n"
                       "  ]\n"
                       "}   {\"c\":\n"
                       "3}\n";
    struct events ev = read_text(text);
    assert_int_equal(ev.n, 3);
    expect_record(&ev, 0, "{\n  \"a\": 1,\n  \"s\": \"}{\"\n}", 1, 1);
    expect_record(&ev, 1, "{\n  \"value\": [\n    {\"b\": 2}\n  ]\n}", 6, 1);
    expect_record(&ev, 2, "{\"c\":\n3}", 10, 5);
    for (size_t i = 0; i < 3; i++) {
        assert_true(parses(&ev, i));
    }
    struct events file = read_file(text, strlen(text), NULL);
    expect_same(&ev, &file);
    events_free(&ev);
    events_free(&file);

    /* A stray brace between documents, a bad document, and the good ones around them. */
    ev = read_text("{\n\"a\":1\n}\n}\n{\n\"b\":\n}\n{\n\"c\":3\n},\n{\"d\":\n4}");
    assert_int_equal(ev.n, 6);
    expect_record(&ev, 0, "{\n\"a\":1\n}", 1, 1);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 4, 1, "unexpected '}'");
    expect_record(&ev, 2, "{\n\"b\":\n}", 5, 1);
    expect_record(&ev, 3, "{\n\"c\":3\n}", 8, 1);
    expect_problem(&ev, 4, CORRAL_ERR_JSON, 10, 2, "unexpected ','");
    expect_record(&ev, 5, "{\"d\":\n4}", 11, 1);
    assert_false(parses(&ev, 2));
    events_free(&ev);

    /* A document that never closes. */
    ev = read_text("{\n  \"a\": 1\n}\n{\n  \"b\": [\n    2\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "{\n  \"a\": 1\n}", 1, 1);
    expect_problem(&ev, 1, CORRAL_ERR_JSON, 7, 1, "line 4, column 1");
    events_free(&ev);
}

static void test_bom(void **state)
{
    (void)state;
    struct events ev = read_text("\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 0, "{\"a\":1}", 1, 4); /* columns count bytes, the BOM's too */
    expect_record(&ev, 1, "{\"b\":2}", 2, 1);
    events_free(&ev);

    ev = read_text("\xEF\xBB\xBF[\n{\"a\":1}]");
    assert_int_equal(ev.n, 1);
    expect_record(&ev, 0, "{\"a\":1}", 2, 1);
    events_free(&ev);

    ev = read_text("\xEF\xBB\xBF{\n\"a\":1}");
    assert_int_equal(ev.n, 1);
    expect_record(&ev, 0, "{\n\"a\":1}", 1, 4);
    events_free(&ev);

    /* Only at the very start: a BOM later is an ordinary bad line. */
    ev = read_text("{\"a\":1}\n\xEF\xBB\xBF{\"b\":2}\n");
    assert_int_equal(ev.n, 2);
    expect_record(&ev, 1, "\xEF\xBB\xBF{\"b\":2}", 2, 1);
    events_free(&ev);

    ev = read_text("\xEF\xBB\xBF");
    assert_int_equal(ev.n, 0);
    events_free(&ev);
    ev = read_text("\xEF\xBB");
    assert_int_equal(ev.n, 1);
    events_free(&ev);
}

/* Records are pointers into the caller's buffer, except near its end, where they are copied. */
static void test_memory_padding(void **state)
{
    (void)state;
    const char *text = "{\"a\":1}\n{\"b\":2}\n";
    size_t len = strlen(text);
    corral_reader *r = corral_reader_from_memory(text, len, &default_limits);
    assert_non_null(r);
    struct corral_record rec;
    struct corral_diag diag;
    assert_int_equal(corral_reader_next(r, &rec, &diag), 1);
    assert_true(rec.padded);
    /* 9 bytes follow the first record: less than the padding, so it is a copy too. */
    assert_true(rec.buf < text || rec.buf >= text + len);
    assert_memory_equal(rec.buf, "{\"a\":1}", 7);
    assert_int_equal(corral_reader_offset(r), 8);
    assert_int_equal(corral_reader_next(r, &rec, &diag), 1);
    assert_memory_equal(rec.buf, "{\"b\":2}", 7);
    assert_int_equal(corral_reader_next(r, &rec, &diag), 0);
    assert_int_equal(corral_reader_offset(r), len);
    corral_reader_free(r);

    /* Far from the end: no copy. */
    size_t pad = corral_json_padding();
    char *big = malloc(pad + 64);
    assert_non_null(big);
    memset(big, ' ', pad + 64);
    memcpy(big, "{\"a\":1}\n", 8);
    r = corral_reader_from_memory(big, pad + 64, &default_limits);
    assert_int_equal(corral_reader_next(r, &rec, &diag), 1);
    assert_ptr_equal(rec.buf, big);
    assert_int_equal(rec.len, 7);
    assert_int_equal(corral_reader_next(r, &rec, &diag), 0);
    corral_reader_free(r);
    free(big);
    corral_reader_free(NULL);
}

static void test_open_errors(void **state)
{
    (void)state;
    corral_reader *r = (corral_reader *)&r;
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    assert_int_equal(
        corral_reader_open("/nonexistent/corral/input.json", &default_limits, &r, &diag),
        CORRAL_ERR_IO);
    assert_int_equal(diag.code, CORRAL_ERR_IO);
    assert_int_equal(diag.line, 0);
    assert_string_equal(diag.msg, strerror(ENOENT));
    assert_ptr_equal(r, (corral_reader *)&r); /* untouched */
    assert_int_equal(corral_reader_open("/", &default_limits, &r, &diag), CORRAL_ERR_IO);
    assert_string_equal(diag.msg, strerror(EISDIR));
}

/* ---------------------------------------------------------------- pipeline */

struct tally {
    size_t alerts;
    size_t rejected;
    size_t warnings;
    size_t skipped;
    size_t too_large_line; /* line of the last TOO_LARGE problem */
    char source[256];
    char last_msg[256];
    size_t last_line;
};

static void on_alert(void *ctx, const struct corral_alert *alert, size_t line)
{
    (void)alert;
    (void)line;
    ((struct tally *)ctx)->alerts++;
}

static void on_problem(void *ctx, const char *source, const struct corral_diag *diag, int rejected)
{
    struct tally *t = ctx;
    if (rejected) {
        t->rejected++;
    } else {
        t->warnings++;
    }
    snprintf(t->source, sizeof(t->source), "%s", source);
    snprintf(t->last_msg, sizeof(t->last_msg), "%s", diag->msg);
    t->last_line = diag->line;
    if (diag->code == CORRAL_ERR_TOO_LARGE) {
        t->too_large_line = diag->line;
    }
}

static void on_skipped(void *ctx, const char *what)
{
    (void)what;
    ((struct tally *)ctx)->skipped++;
}

static void test_pipeline(void **state)
{
    (void)state;
    corral_catalog *cat = corral_catalog_new();
    assert_non_null(cat);
    struct corral_decoder_limits dl = {1u << 20, 64};
    corral_decoder *dec = corral_decoder_new(cat, &dl);
    assert_non_null(dec);
    struct tally t;
    memset(&t, 0, sizeof(t));
    struct corral_decode_sink sink = {&t, on_alert, on_problem, on_skipped};
    struct corral_reader_limits rl = {64, 1u << 20};
    struct corral_ingest_stats st;
    memset(&st, 0, sizeof(st));

    /* A line over the limit between two records: reported with its line, both records read. */
    const char *text = "{\"a\":1}\n{\"big\":\"0123456789012345678901234567890123456789012345678901"
                       "23456789\"}\n{\"c\":3}\n";
    assert_int_equal(corral_ingest_memory("mem", text, strlen(text), &rl, dec, &sink, &st),
                     CORRAL_OK);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.bytes, strlen(text));
    assert_int_equal(t.too_large_line, 2);
    assert_string_equal(t.source, "mem");
    /* The stats count exactly what reached the caller's sink. */
    assert_int_equal(st.alerts, t.alerts);
    assert_int_equal(st.rejected, t.rejected);
    assert_int_equal(st.warnings, t.warnings);
    assert_int_equal(st.skipped, t.skipped);
    assert_true(st.rejected >= 1);

    /* Stats add up over several inputs; a missing file is reported with line 0. */
    memset(&t, 0, sizeof(t));
    struct corral_ingest_stats before = st;
    assert_int_equal(corral_ingest_path("/nonexistent/corral.json", &rl, dec, &sink, &st),
                     CORRAL_ERR_IO);
    assert_int_equal(t.rejected, 1);
    assert_int_equal(t.last_line, 0);
    assert_string_equal(t.last_msg, strerror(ENOENT));
    assert_string_equal(t.source, "/nonexistent/corral.json");
    assert_int_equal(st.rejected, before.rejected + 1);
    assert_int_equal(st.records, before.records);

    /* The public continuous-export sample, through a file: five records. */
    const char *root = getenv("CORRAL_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/samples/test-alert.log", root != NULL ? root : ".");
    if (access(path, R_OK) == 0) {
        memset(&t, 0, sizeof(t));
        memset(&st, 0, sizeof(st));
        struct corral_reader_limits big = {16u << 20, 1u << 30};
        assert_int_equal(corral_ingest_path(path, &big, dec, &sink, &st), CORRAL_OK);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(st.records, 5);
        assert_int_equal(st.bytes, (uint64_t)sb.st_size);
        assert_int_equal(st.alerts, t.alerts);
        assert_int_equal(st.skipped, t.skipped);
        assert_int_equal(st.rejected, t.rejected);
    }

    /* A NULL stats pointer or sink is tolerated. */
    assert_int_equal(corral_ingest_memory(NULL, "{}", 2, &rl, dec, NULL, NULL), CORRAL_OK);
    corral_decoder_free(dec);
    corral_catalog_free(cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndjson_blank_lines_crlf),
        cmocka_unit_test(test_ndjson_bad_lines),
        cmocka_unit_test(test_ndjson_broken_first_line),
        cmocka_unit_test(test_ndjson_too_large),
        cmocka_unit_test(test_ndjson_50mb_line),
        cmocka_unit_test(test_file_matches_memory),
        cmocka_unit_test(test_long_first_line),
        cmocka_unit_test(test_array_elements),
        cmocka_unit_test(test_array_bad_elements),
        cmocka_unit_test(test_array_unterminated),
        cmocka_unit_test(test_array_too_large),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_memory_padding),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
