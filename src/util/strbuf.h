/*
 * strbuf.h - a growable byte buffer, and JSON text written into it.
 *
 * Output (alerts, incidents, HTTP bodies) is built in a strbuf and written
 * with one fwrite per record. The JSON helpers escape exactly what RFC 8259
 * requires (quote, backslash, control characters), so output is valid JSON
 * whatever bytes an alert carried in.
 *
 * Writers append many short pieces per record (a big incident is thousands),
 * so the appends that fit in the room already there are inline: a compare,
 * a copy and a NUL, with the call into strbuf.c only when the buffer grows.
 */
#ifndef CORRAL_UTIL_STRBUF_H
#define CORRAL_UTIL_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"

struct corral_strbuf {
    char *data; /* NUL-terminated when len > 0 or after any append; owned */
    size_t len;
    size_t cap;
    int failed; /* set once an allocation failed; later appends do nothing */
};

void corral_strbuf_init(struct corral_strbuf *sb);
void corral_strbuf_release(struct corral_strbuf *sb); /* frees data; sb can be reused after init */
void corral_strbuf_clear(struct corral_strbuf *sb);   /* len = 0, memory kept */

/*
 * Make room for extra more bytes and the NUL after them: 0, or -1 when an
 * allocation failed now or before (sb->failed). The inline appends call it
 * only when the room is not already there.
 */
int corral_strbuf_reserve(struct corral_strbuf *sb, size_t extra);

static inline void corral_strbuf_append(struct corral_strbuf *sb, const char *s, size_t len)
{
    if ((sb->cap - sb->len <= len || sb->failed) && corral_strbuf_reserve(sb, len) != 0) {
        return;
    }
    if (len > 0) {
        memcpy(sb->data + sb->len, s, len);
    }
    sb->len += len;
    sb->data[sb->len] = '\0';
}

static inline void corral_strbuf_puts(struct corral_strbuf *sb, const char *s)
{
    corral_strbuf_append(sb, s, strlen(s));
}

static inline void corral_strbuf_putc(struct corral_strbuf *sb, char c)
{
    if ((sb->cap - sb->len <= 1 || sb->failed) && corral_strbuf_reserve(sb, 1) != 0) {
        return;
    }
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
}

/*
 * Append again the len bytes written at offset at (at + len <= sb->len): a
 * piece that repeats in a record is escaped once and then copied.
 */
static inline void corral_strbuf_repeat(struct corral_strbuf *sb, size_t at, size_t len)
{
    if ((sb->cap - sb->len <= len || sb->failed) && corral_strbuf_reserve(sb, len) != 0) {
        return;
    }
    if (len > 0) {
        memcpy(sb->data + sb->len, sb->data + at, len);
    }
    sb->len += len;
    sb->data[sb->len] = '\0';
}

/* One of corral's own names (a plan, a tactic, an entity type...), in quotes: no escape needed. */
static inline void corral_strbuf_json_name(struct corral_strbuf *sb, const char *name)
{
    corral_strbuf_putc(sb, '"');
    corral_strbuf_append(sb, name, strlen(name));
    corral_strbuf_putc(sb, '"');
}

/* A string literal, its length known at compile time: CORRAL_STRBUF_LIT(sb, ",\"id\":"). */
#define CORRAL_STRBUF_LIT(sb, lit) corral_strbuf_append((sb), "" lit, sizeof(lit) - 1)

void corral_strbuf_printf(struct corral_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A JSON string literal (quotes included) of s[0..len), escaping '"', '\\' and controls. */
void corral_strbuf_json_str(struct corral_strbuf *sb, const char *s, size_t len);
/* The same of the NUL-terminated s. */
void corral_strbuf_json_cstr(struct corral_strbuf *sb, const char *s);
/* "key": prefix, with a ',' before it unless *first; clears *first. */
void corral_strbuf_json_key(struct corral_strbuf *sb, int *first, const char *key);
void corral_strbuf_json_int(struct corral_strbuf *sb, int64_t v);
void corral_strbuf_json_uint(struct corral_strbuf *sb, uint64_t v);

/* CORRAL_ERR_NOMEM if any append failed since init/clear, else CORRAL_OK. */
corral_err corral_strbuf_status(const struct corral_strbuf *sb);

#endif
