/*
 * strbuf.h - a growable byte buffer, and JSON text written into it.
 *
 * Output (alerts now, incidents later, HTTP bodies after that) is built in a
 * strbuf and written with one fwrite per record. The JSON helpers escape
 * exactly what RFC 8259 requires (quote, backslash, control characters),
 * so output is valid JSON whatever bytes an alert carried in.
 */
#ifndef CORRAL_UTIL_STRBUF_H
#define CORRAL_UTIL_STRBUF_H

#include <stddef.h>
#include <stdint.h>

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

void corral_strbuf_append(struct corral_strbuf *sb, const char *s, size_t len);
void corral_strbuf_puts(struct corral_strbuf *sb, const char *s);
void corral_strbuf_putc(struct corral_strbuf *sb, char c);
void corral_strbuf_printf(struct corral_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A JSON string literal (quotes included) of s[0..len), escaping '"', '\\' and controls. */
void corral_strbuf_json_str(struct corral_strbuf *sb, const char *s, size_t len);
/* "key": prefix, with a ',' before it unless *first; clears *first. */
void corral_strbuf_json_key(struct corral_strbuf *sb, int *first, const char *key);
void corral_strbuf_json_int(struct corral_strbuf *sb, int64_t v);

/* CORRAL_ERR_NOMEM if any append failed since init/clear, else CORRAL_OK. */
corral_err corral_strbuf_status(const struct corral_strbuf *sb);

#endif
