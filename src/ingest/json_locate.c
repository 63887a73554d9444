/*
 * json_locate.c - where a text stops being JSON, and member lookup in a parsed record.
 *
 * simdjson (json.cpp) tells fast whether a record is JSON, but not where it
 * went wrong in words a user can act on. corral_json_locate_error() is the
 * slow, exact second opinion that runs only on the rare record the fast
 * parser refused: a strict RFC 8259 validator that walks the text once,
 * without recursion (an explicit bit stack of open containers), and stops at
 * the first fault with its line, column (in bytes) and a short fixed reason.
 *
 * It must accept exactly what corral_json_parse() accepts, or a record that
 * parses would be "located" as bad, or a refused one left unplaced (the json
 * fuzz target checks both ways). So where RFC 8259 leaves limits to the
 * implementation, this file uses simdjson's and json.h's:
 *   - an integer (no fraction, no exponent) must fit int64 or uint64;
 *   - any other number must not round to infinity (underflow to 0 is fine);
 *   - an array or object, empty or not, opened past nesting level max_depth
 *     is too deep, counting the root container as level 1.
 * Each fault has a kind (syntax, UTF-8, depth) so that the parser's code and
 * the reason it shows always agree.
 *
 * The two lookup helpers at the end are what every decoder uses to find a
 * member whatever the case of its key (formats.md: match keys
 * case-insensitively everywhere).
 */
#include "ingest/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 2^1024 - 2^970: the smallest decimal value that rounds to infinity (ties go to even). */
static const char dbl_overflow_digits[] =
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017"
    "977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273"
    "854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704"
    "342711559699508093042880177904174497792";

#define INLINE_WORDS 16 /* 1024 levels of nesting before the stack goes to the heap */

struct scan {
    const unsigned char *p;
    size_t len;
    size_t pos;
    size_t fault;       /* offset of the first fault */
    const char *reason; /* fixed text */
    corral_err kind;    /* CORRAL_ERR_JSON, _UTF8 or _DEPTH */
    /* One bit per open non-empty container: 1 = object, 0 = array. */
    uint64_t inline_words[INLINE_WORDS];
    uint64_t *words;
    size_t cap_words;
};

static int fail_as(struct scan *s, corral_err kind, size_t at, const char *reason)
{
    s->fault = at;
    s->reason = reason;
    s->kind = kind;
    return 0;
}

static int fail(struct scan *s, size_t at, const char *reason)
{
    return fail_as(s, CORRAL_ERR_JSON, at, reason);
}

static int fail_utf8(struct scan *s, size_t at)
{
    return fail_as(s, CORRAL_ERR_UTF8, at, "invalid UTF-8 byte");
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void skip_ws(struct scan *s)
{
    while (s->pos < s->len) {
        unsigned char c = s->p[s->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        s->pos++;
    }
}

static int is_cont(unsigned char c)
{
    return c >= 0x80 && c <= 0xBF;
}

/*
 * Length of the well-formed UTF-8 sequence at p[0..n) whose lead byte is not
 * ASCII (Unicode table 3-7: no overlongs, no surrogates, nothing past
 * U+10FFFF), or 0 when it is not well-formed.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c >= 0xC2 && c <= 0xDF) {
        return (n >= 2 && is_cont(p[1])) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
        unsigned char hi = c == 0xED ? 0x9F : 0xBF;
        return (n >= 3 && p[1] >= lo && p[1] <= hi && is_cont(p[2])) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
        return (n >= 4 && p[1] >= lo && p[1] <= hi && is_cont(p[2]) && is_cont(p[3])) ? 4 : 0;
    }
    return 0;
}

/* A byte that is out of place: say "invalid UTF-8" when that is the better description. */
static int fail_unexpected(struct scan *s, const char *reason)
{
    const unsigned char *at = s->p + s->pos;
    size_t left = s->len - s->pos;
    if (at[0] >= 0x80) {
        if (utf8_len(at, left) == 0) {
            return fail_utf8(s, s->pos);
        }
        if (left >= 3 && at[0] == 0xEF && at[1] == 0xBB && at[2] == 0xBF) {
            return fail(s, s->pos, "unexpected byte order mark (U+FEFF)");
        }
    }
    return fail(s, s->pos, reason);
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The code unit of the 4 hex digits at p[at..at+4), or -1. */
static long hex4(const struct scan *s, size_t at)
{
    if (at > s->len || s->len - at < 4) {
        return -1;
    }
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hex_value(s->p[at + i]);
        if (h < 0) {
            return -1;
        }
        v = v * 16 + h;
    }
    return v;
}

/* The string whose opening quote is at s->pos; leaves s->pos after the closing quote. */
static int scan_string(struct scan *s)
{
    size_t open = s->pos;
    size_t pos = open + 1;
    const unsigned char *p = s->p;
    for (;;) {
        if (pos >= s->len) {
            return fail(s, open, "unterminated string");
        }
        unsigned char c = p[pos];
        if (c == '"') {
            s->pos = pos + 1;
            return 1;
        }
        if (c == '\\') {
            if (pos + 1 >= s->len) {
                return fail(s, open, "unterminated string");
            }
            switch (p[pos + 1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                pos += 2;
                continue;
            case 'u':
                break;
            default:
                return fail(s, pos, "invalid escape sequence in string");
            }
            long unit = hex4(s, pos + 2);
            if (unit < 0) {
                return fail(s, pos, "invalid \\u escape (expected 4 hex digits)");
            }
            if (unit >= 0xDC00 && unit <= 0xDFFF) {
                return fail(s, pos, "unpaired UTF-16 surrogate in \\u escape");
            }
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                size_t low_at = pos + 6;
                long low = -1;
                if (low_at + 1 < s->len && p[low_at] == '\\' && p[low_at + 1] == 'u') {
                    low = hex4(s, low_at + 2);
                }
                if (low < 0xDC00 || low > 0xDFFF) {
                    return fail(s, pos, "unpaired UTF-16 surrogate in \\u escape");
                }
                pos += 12;
            } else {
                pos += 6;
            }
            continue;
        }
        if (c < 0x20) {
            return fail(s, pos,
                        c == '\n' ? "unescaped newline in string (missing closing quote?)"
                                  : "unescaped control character in string");
        }
        if (c < 0x80) {
            pos++;
            continue;
        }
        size_t n = utf8_len(p + pos, s->len - pos);
        if (n == 0) {
            return fail_utf8(s, pos);
        }
        pos += n;
    }
}

/* Does the integer with these digits (no sign, no leading zero) fit simdjson's int64/uint64? */
static int integer_fits(const unsigned char *digits, size_t n, int negative)
{
    const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
    size_t limit_len = strlen(limit);
    if (n != limit_len) {
        return n < limit_len;
    }
    return memcmp(digits, limit, n) <= 0;
}

/*
 * Does the number p[start..end) (grammar already checked, with a fraction or
 * an exponent) round to infinity as a double? Exact: the value is compared
 * digit by digit with 2^1024 - 2^970, without strtod (no locale, no copy).
 */
static int double_overflows(const unsigned char *p, size_t start, size_t end)
{
    size_t i = start;
    if (p[i] == '-') {
        i++;
    }
    size_t mant_end = i;
    while (mant_end < end && p[mant_end] != 'e' && p[mant_end] != 'E') {
        mant_end++;
    }
    /* The exponent, saturated far beyond any double. */
    int64_t exp = 0;
    if (mant_end < end) {
        size_t j = mant_end + 1;
        int negative = 0;
        if (p[j] == '+' || p[j] == '-') {
            negative = p[j] == '-';
            j++;
        }
        for (; j < end; j++) {
            if (exp < INT64_C(1000000000000000)) {
                exp = exp * 10 + (p[j] - '0');
            }
        }
        if (negative) {
            exp = -exp;
        }
    }
    /* Digits before the point, and the position of the first non-zero digit. */
    int64_t n_int = 0;
    int64_t k = 0;
    size_t first = end;
    int seen_point = 0;
    for (size_t j = i; j < mant_end; j++) {
        if (p[j] == '.') {
            seen_point = 1;
            continue;
        }
        if (p[j] != '0') {
            first = j;
            break;
        }
        k++;
        if (!seen_point) {
            n_int++;
        }
    }
    if (first == end) {
        return 0; /* zero */
    }
    if (!seen_point) {
        for (size_t j = first; j < mant_end && p[j] != '.'; j++) {
            n_int++;
        }
    }
    /* value = 0.d1d2d3... * 10^magnitude, d1 != 0 */
    int64_t magnitude = n_int - k + exp;
    int64_t limit_magnitude = (int64_t)(sizeof(dbl_overflow_digits) - 1);
    if (magnitude != limit_magnitude) {
        return magnitude > limit_magnitude;
    }
    size_t t = 0;
    for (size_t j = first; j < mant_end; j++) {
        if (p[j] == '.') {
            continue;
        }
        if (t == sizeof(dbl_overflow_digits) - 1) {
            return 1; /* all limit digits matched: value >= limit */
        }
        if (p[j] != (unsigned char)dbl_overflow_digits[t]) {
            return p[j] > (unsigned char)dbl_overflow_digits[t];
        }
        t++;
    }
    /* The limit has no trailing zeros, so it is larger unless every digit matched. */
    return t == sizeof(dbl_overflow_digits) - 1;
}

static int scan_number(struct scan *s)
{
    const unsigned char *p = s->p;
    size_t start = s->pos;
    size_t pos = start;
    int negative = 0;
    int integral = 1;
    if (p[pos] == '-') {
        negative = 1;
        pos++;
    }
    size_t digits = pos;
    if (pos >= s->len || !is_digit(p[pos])) {
        return fail(s, pos, "invalid number: expected a digit");
    }
    if (p[pos] == '0') {
        pos++;
        if (pos < s->len && is_digit(p[pos])) {
            return fail(s, start, "invalid number: leading zero");
        }
    } else {
        while (pos < s->len && is_digit(p[pos])) {
            pos++;
        }
    }
    size_t digits_end = pos;
    if (pos < s->len && p[pos] == '.') {
        integral = 0;
        pos++;
        if (pos >= s->len || !is_digit(p[pos])) {
            return fail(s, pos, "invalid number: expected a digit after the decimal point");
        }
        while (pos < s->len && is_digit(p[pos])) {
            pos++;
        }
    }
    if (pos < s->len && (p[pos] == 'e' || p[pos] == 'E')) {
        integral = 0;
        pos++;
        if (pos < s->len && (p[pos] == '+' || p[pos] == '-')) {
            pos++;
        }
        if (pos >= s->len || !is_digit(p[pos])) {
            return fail(s, pos, "invalid number: expected a digit in the exponent");
        }
        while (pos < s->len && is_digit(p[pos])) {
            pos++;
        }
    }
    if (pos < s->len && (is_alnum(p[pos]) || p[pos] == '.' || p[pos] == '+' || p[pos] == '-')) {
        return fail(s, pos, "invalid character in number");
    }
    if (integral) {
        if (!integer_fits(p + digits, digits_end - digits, negative)) {
            return fail(s, start, "integer out of range (must fit 64 bits)");
        }
    } else if (double_overflows(p, start, pos)) {
        return fail(s, start, "number out of range (too large for a double)");
    }
    s->pos = pos;
    return 1;
}

static int scan_literal(struct scan *s)
{
    static const char *const words[] = {"true", "false", "null"};
    const unsigned char *p = s->p + s->pos;
    size_t left = s->len - s->pos;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i]);
        if (p[0] != (unsigned char)words[i][0]) {
            continue;
        }
        if (left >= n && memcmp(p, words[i], n) == 0 && (left == n || !is_alnum(p[n]))) {
            s->pos += n;
            return 1;
        }
        break;
    }
    return fail(s, s->pos, "invalid literal (expected true, false or null)");
}

/* Record that the container at level depth (1-based) is an object or an array. */
static int push(struct scan *s, size_t depth, int object)
{
    size_t word = (depth - 1) / 64;
    if (word >= s->cap_words) {
        size_t cap = s->cap_words * 2;
        uint64_t *words;
        if (s->words == s->inline_words) {
            words = malloc(cap * sizeof(*words));
            if (words != NULL) {
                memcpy(words, s->inline_words, sizeof(s->inline_words));
            }
        } else {
            words = realloc(s->words, cap * sizeof(*words));
        }
        if (words == NULL) {
            return 0;
        }
        s->words = words;
        s->cap_words = cap;
    }
    uint64_t bit = UINT64_C(1) << ((depth - 1) % 64);
    if (object) {
        s->words[word] |= bit;
    } else {
        s->words[word] &= ~bit;
    }
    return 1;
}

static int top_is_object(const struct scan *s, size_t depth)
{
    return (s->words[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1u;
}

/* 1 valid, 0 fault (s->fault, s->reason), -1 out of memory. */
static int validate(struct scan *s, unsigned max_depth)
{
    size_t depth = 0;
    const unsigned char *p = s->p;

value:
    skip_ws(s);
    if (s->pos >= s->len) {
        return fail(s, s->len,
                    depth == 0 ? "no JSON value (empty input)"
                               : "unexpected end of input: expected a value");
    }
    switch (p[s->pos]) {
    case '{':
    case '[': {
        size_t open = s->pos;
        int object = p[open] == '{';
        if (depth >= max_depth) { /* this container would be level depth + 1 */
            return fail_as(s, CORRAL_ERR_DEPTH, open, "nesting deeper than the depth limit");
        }
        s->pos++;
        skip_ws(s);
        if (s->pos < s->len && p[s->pos] == (object ? '}' : ']')) {
            s->pos++;
            goto after_value;
        }
        depth++;
        if (!push(s, depth, object)) {
            return -1;
        }
        if (object) {
            goto member;
        }
        goto value;
    }
    case '"':
        if (!scan_string(s)) {
            return 0;
        }
        goto after_value;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        if (!scan_number(s)) {
            return 0;
        }
        goto after_value;
    case 't':
    case 'f':
    case 'n':
        if (!scan_literal(s)) {
            return 0;
        }
        goto after_value;
    case ']':
        if (depth > 0 && !top_is_object(s, depth)) {
            return fail(s, s->pos, "trailing comma in array");
        }
        return fail(s, s->pos, "expected a JSON value");
    case '\'':
        return fail(s, s->pos, "strings must use double quotes");
    default:
        return fail_unexpected(s, "expected a JSON value");
    }

member:
    /* After '{' of a non-empty object or after ',' in an object. */
    skip_ws(s);
    if (s->pos >= s->len) {
        return fail(s, s->len, "unterminated object (unexpected end of input)");
    }
    if (p[s->pos] != '"') {
        if (p[s->pos] == '}') {
            return fail(s, s->pos, "trailing comma in object");
        }
        if (p[s->pos] == '\'') {
            return fail(s, s->pos, "strings must use double quotes");
        }
        return fail_unexpected(s, "expected a string key in object");
    }
    if (!scan_string(s)) {
        return 0;
    }
    skip_ws(s);
    if (s->pos >= s->len) {
        return fail(s, s->len, "unterminated object (unexpected end of input)");
    }
    if (p[s->pos] != ':') {
        return fail_unexpected(s, "expected ':' after object key");
    }
    s->pos++;
    goto value;

after_value:
    skip_ws(s);
    if (depth == 0) {
        if (s->pos < s->len) {
            return fail_unexpected(s, "trailing characters after the JSON value");
        }
        return 1;
    }
    if (top_is_object(s, depth)) {
        if (s->pos >= s->len) {
            return fail(s, s->len, "unterminated object (unexpected end of input)");
        }
        if (p[s->pos] == ',') {
            s->pos++;
            goto member;
        }
        if (p[s->pos] == '}') {
            s->pos++;
            depth--;
            goto after_value;
        }
        return fail_unexpected(s, "expected ',' or '}' after object member");
    }
    if (s->pos >= s->len) {
        return fail(s, s->len, "unterminated array (unexpected end of input)");
    }
    if (p[s->pos] == ',') {
        s->pos++;
        goto value;
    }
    if (p[s->pos] == ']') {
        s->pos++;
        depth--;
        goto after_value;
    }
    return fail_unexpected(s, "expected ',' or ']' after array element");
}

corral_err corral_json_locate_error(const char *buf, size_t len, unsigned max_depth, size_t *line,
                                    size_t *col, const char **reason)
{
    struct scan s;
    memset(&s, 0, sizeof(s));
    s.p = (const unsigned char *)buf;
    s.len = buf == NULL ? 0 : len;
    s.words = s.inline_words;
    s.cap_words = INLINE_WORDS;

    int rc = validate(&s, max_depth);
    if (s.words != s.inline_words) {
        free(s.words);
    }
    if (rc != 0) {
        /* Valid, or out of memory past 1024 levels: nothing we can point at. */
        return CORRAL_OK;
    }
    size_t ln = 1;
    size_t line_start = 0;
    const unsigned char *nl;
    while (line_start < s.fault &&
           (nl = memchr(s.p + line_start, '\n', s.fault - line_start)) != NULL) {
        ln++;
        line_start = (size_t)(nl - s.p) + 1;
    }
    if (line != NULL) {
        *line = ln;
    }
    if (col != NULL) {
        *col = s.fault - line_start + 1;
    }
    if (reason != NULL) {
        *reason = s.reason;
    }
    return s.kind;
}

int corral_json_key_is(const struct corral_json_node *key, const char *lower)
{
    if (key == NULL || lower == NULL || key->type != CORRAL_JSON_STRING) {
        return 0;
    }
    const unsigned char *k = (const unsigned char *)key->v.s;
    for (uint32_t i = 0; i < key->len; i++) {
        unsigned char want = (unsigned char)lower[i];
        if (want == '\0') {
            return 0;
        }
        unsigned char c = k[i];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
        }
        if (c != want) {
            return 0;
        }
    }
    return lower[key->len] == '\0';
}

uint32_t corral_json_get(const struct corral_json_doc *doc, uint32_t obj, const char *lower)
{
    if (doc == NULL || doc->nodes == NULL || obj >= doc->count ||
        doc->nodes[obj].type != CORRAL_JSON_OBJECT) {
        return 0;
    }
    uint32_t at = obj + 1;
    for (uint32_t m = 0; m < doc->nodes[obj].len; m++) {
        if (at + 1 >= doc->count) {
            return 0; /* a malformed node array: never read past it */
        }
        if (corral_json_key_is(&doc->nodes[at], lower)) {
            return at + 1;
        }
        uint32_t next = doc->nodes[at + 1].next;
        if (next <= at + 1) {
            return 0;
        }
        at = next;
    }
    return 0;
}
