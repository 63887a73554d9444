/*
 * strbuf.c - growable buffer and JSON escaping. Failure is sticky (like
 * stdio's error flag) so that a writer can append a whole record and check
 * once, instead of checking every call.
 *
 * Escaping is on the output's hot path (a big incident repeats every member's
 * id, entity and link), and almost every byte needs none: strings are copied
 * sixteen bytes at a time (eight without SSE2) while the same registers are
 * checked for the three kinds of byte that need an escape; only a block that
 * holds one goes a byte at a time, from that byte on.
 */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"

void corral_strbuf_init(struct corral_strbuf *sb)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = 0;
}

void corral_strbuf_release(struct corral_strbuf *sb)
{
    free(sb->data);
    corral_strbuf_init(sb);
}

void corral_strbuf_clear(struct corral_strbuf *sb)
{
    sb->len = 0;
    sb->failed = 0;
    if (sb->data != NULL) {
        sb->data[0] = '\0';
    }
}

int corral_strbuf_reserve(struct corral_strbuf *sb, size_t extra)
{
    if (sb->failed) {
        return -1;
    }
    if (extra >= SIZE_MAX - sb->len) {
        sb->failed = 1;
        return -1;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) {
        return 0;
    }
    size_t cap = sb->cap != 0 ? sb->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(sb->data, cap);
    if (p == NULL) {
        sb->failed = 1;
        return -1;
    }
    sb->data = p;
    sb->cap = cap;
    return 0;
}

void corral_strbuf_printf(struct corral_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || corral_strbuf_reserve(sb, (size_t)n) != 0) {
        if (n < 0) {
            sb->failed = 1;
        }
        return;
    }
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

/* What follows the backslash for each byte that needs an escape; 0 for the bytes copied as they are. */
static const char escape_as[256] = {
    ['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\b'] = 'b',
    ['\f'] = 'f', [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
    [0x05] = 'u', [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u',
    [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',
    [0x16] = 'u', [0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',
    [0x1c] = 'u', [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
};

/* Write the escape of c (a byte that needs one) at o; returns the end. */
static char *escape_byte(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    const char e = escape_as[c];
    *o++ = '\\';
    *o++ = e;
    if (e == 'u') {
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    return o;
}

/* The high bit of each byte of w that needs an escape: a control character, '"' or '\\'. */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t below_space =
        ~(((w & ~CORRAL_ASCII_HIGHS) + CORRAL_ASCII_ONES * (0x80 - 0x20)) | w) & CORRAL_ASCII_HIGHS;
    return below_space | corral_ascii_bytes_equal(w, '"') | corral_ascii_bytes_equal(w, '\\');
}

void corral_strbuf_json_str(struct corral_strbuf *sb, const char *s, size_t len)
{
    /* Worst case every byte becomes \u00XX. Blocks are stored whole before they are checked, so
     * the room must hold a whole block at every point: 6 * (bytes left) is at least that from
     * sixteen bytes left on, and the blocks stop there. */
    if (len > (SIZE_MAX - 2) / 6) {
        sb->failed = 1;
        return;
    }
    if ((sb->cap - sb->len <= len * 6 + 2 || sb->failed) &&
        corral_strbuf_reserve(sb, len * 6 + 2) != 0) {
        return;
    }
    const unsigned char *u = (const unsigned char *)s;
    char *o = sb->data + sb->len;
    *o++ = '"';
    size_t i = 0;
#if CORRAL_ASCII_SSE2
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i last_control = _mm_set1_epi8(0x1f);
    while (len - i >= 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
        _mm_storeu_si128((__m128i *)(void *)o, v);
        /* max(v, 0x1f) == 0x1f: the unsigned bytes up to 0x1f, the control characters. */
        const __m128i special =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_cmpeq_epi8(_mm_max_epu8(v, last_control), last_control));
        const unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask == 0) {
            i += 16;
            o += 16;
            continue;
        }
        const unsigned at = (unsigned)__builtin_ctz(mask);
        o = escape_byte(o + at, u[i + at]);
        i += at + 1;
    }
#endif
    while (len - i >= 8) {
        const uint64_t w = corral_ascii_load64(u + i);
        memcpy(o, &w, sizeof w);
        const uint64_t special = special_bytes(w);
        if (special == 0) {
            i += 8;
            o += 8;
            continue;
        }
        const unsigned at = (unsigned)__builtin_ctzll(special) / 8;
        o = escape_byte(o + at, u[i + at]);
        i += at + 1;
    }
    for (; i < len; i++) {
        if (escape_as[u[i]] == 0) {
            *o++ = (char)u[i];
        } else {
            o = escape_byte(o, u[i]);
        }
    }
    *o++ = '"';
    sb->len = (size_t)(o - sb->data);
    sb->data[sb->len] = '\0';
}

void corral_strbuf_json_cstr(struct corral_strbuf *sb, const char *s)
{
    corral_strbuf_json_str(sb, s, strlen(s));
}

void corral_strbuf_json_key(struct corral_strbuf *sb, int *first, const char *key)
{
    if (!*first) {
        corral_strbuf_putc(sb, ',');
    }
    *first = 0;
    corral_strbuf_json_str(sb, key, strlen(key));
    corral_strbuf_putc(sb, ':');
}

void corral_strbuf_json_uint(struct corral_strbuf *sb, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    corral_strbuf_append(sb, tmp + sizeof tmp - n, n);
}

void corral_strbuf_json_int(struct corral_strbuf *sb, int64_t v)
{
    if (v < 0) {
        corral_strbuf_putc(sb, '-');
        corral_strbuf_json_uint(sb, 0 - (uint64_t)v);
        return;
    }
    corral_strbuf_json_uint(sb, (uint64_t)v);
}

corral_err corral_strbuf_status(const struct corral_strbuf *sb)
{
    return sb->failed ? CORRAL_ERR_NOMEM : CORRAL_OK;
}
