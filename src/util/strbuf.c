/*
 * strbuf.c - growable buffer and JSON escaping. Failure is sticky (like
 * stdio's error flag) so that a writer can append a whole record and check
 * once, instead of checking every call.
 */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Make room for extra more bytes plus the NUL; 0 on success. */
static int reserve(struct corral_strbuf *sb, size_t extra)
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

void corral_strbuf_append(struct corral_strbuf *sb, const char *s, size_t len)
{
    if (reserve(sb, len) != 0) {
        return;
    }
    if (len > 0) {
        memcpy(sb->data + sb->len, s, len);
    }
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void corral_strbuf_puts(struct corral_strbuf *sb, const char *s)
{
    corral_strbuf_append(sb, s, strlen(s));
}

void corral_strbuf_putc(struct corral_strbuf *sb, char c)
{
    corral_strbuf_append(sb, &c, 1);
}

void corral_strbuf_printf(struct corral_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(sb, (size_t)n) != 0) {
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

void corral_strbuf_json_str(struct corral_strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    if (len > (SIZE_MAX - 2) / 6 || reserve(sb, len * 6 + 2) != 0) {
        sb->failed = 1;
        return;
    }
    char *o = sb->data + sb->len;
    *o++ = '"';
    size_t i = 0;
    while (i < len) {
        /* Copy the run of bytes that need no escape in one go. */
        size_t run = i;
        while (run < len && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\') {
            run++;
        }
        if (run > i) {
            memcpy(o, s + i, run - i);
            o += run - i;
            i = run;
            if (i == len) {
                break;
            }
        }
        unsigned char c = (unsigned char)s[i++];
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
            break;
        }
    }
    *o++ = '"';
    sb->len = (size_t)(o - sb->data);
    sb->data[sb->len] = '\0';
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

void corral_strbuf_json_int(struct corral_strbuf *sb, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    corral_strbuf_append(sb, tmp, (size_t)n);
}

corral_err corral_strbuf_status(const struct corral_strbuf *sb)
{
    return sb->failed ? CORRAL_ERR_NOMEM : CORRAL_OK;
}
