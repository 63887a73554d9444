/*
 * reader.c - split an input into JSON records without parsing them.
 *
 * This is corral's robustness boundary: whatever a user feeds in, every good
 * record around a bad one must still come out, and the bad stretch must be
 * named by line and column. It also sits on the hot path, so records are
 * handed out as pointers into the read buffer, never copied, with
 * corral_json_padding() readable bytes after them so that simdjson does not
 * copy either (the buffer is allocated with that much slack).
 *
 * The input's first value picks the framing:
 *   - '[': framed. The whole input is loaded (up to max_document) and every
 *     top-level array is split into its elements by a light scanner that
 *     only follows strings, escapes and bracket depth. A malformed element
 *     is still handed out (the parser says what is wrong with it); when the
 *     scanner meets the end of the input inside a value it cannot
 *     resynchronise, so it reports once, placing the first fault with
 *     corral_json_locate_error(), and stops.
 *   - a value that ends on its first line (or any first byte other than
 *     '{'): NDJSON, streamed line by line in a buffer of at most
 *     max(256 KiB, max_record + 2) bytes. A line over max_record is reported
 *     and its rest is read and dropped without being stored.
 *   - '{' that goes on past its first line: framed, as above (pretty-printed
 *     objects one after another, a REST list, one object). One exception
 *     keeps a corrupt first line of an NDJSON file from turning the whole file
 *     into one broken document: if the first line stops inside a value but
 *     not after '{', '[', ',' or ':', and the next line starts with '{', the
 *     input is NDJSON (valid JSON can never continue that way).
 * A UTF-8 byte order mark at the very start is skipped (columns count it).
 *
 * The scanner ends a string at a raw newline: valid JSON never has one there,
 * so a missing closing quote spoils one line, not the rest of the file.
 */
#include "ingest/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/json.h"

/* First buffer, and NDJSON's minimum: small enough to stay in a core's L2 cache between read(2)
 * writing it and the parser reading it (1 MiB measured 2-4% slower end to end). */
#define READ_CHUNK ((size_t)256 << 10)
#define MAX_READ ((size_t)1 << 30)             /* bytes asked of one read(2) */
#define DEFAULT_MAX_RECORD ((size_t)16 << 20)  /* docs/decisions.md */
#define DEFAULT_MAX_DOCUMENT ((size_t)1 << 30) /* docs/decisions.md */
#define LIMIT_CEILING (SIZE_MAX / 4)           /* keeps limit + slack arithmetic from wrapping */

enum mode { MODE_UNKNOWN = 0, MODE_NDJSON, MODE_FRAMED };

/* Where the light scanner is inside a top-level array being split. */
enum array_state { ARRAY_START, ARRAY_AFTER_ELEMENT, ARRAY_AFTER_COMMA };

struct corral_reader {
    /* The source: a file descriptor, or a caller's buffer. */
    int fd; /* -1 for a memory reader */
    int close_fd;
    const char *mem;
    size_t mem_len;

    /* The window over the input: data[start..end) is read and not yet consumed. */
    char *buf; /* file readers: cap bytes + pad bytes of slack, all initialised */
    size_t cap;
    size_t pad;
    const char *data; /* buf, or mem */
    size_t start;
    size_t end;
    size_t scan; /* NDJSON: data[start..scan) holds no newline */
    size_t base; /* input offset of data[0] */
    int eof;     /* nothing more to read */
    int done;    /* a fatal problem was reported: the input ends here */

    /* Position of data[start]. */
    size_t line;
    size_t line_start; /* input offset of the first byte of that line */

    enum mode mode;
    int bom_checked;
    int skipping; /* NDJSON: dropping the rest of an over-long line */

    int in_array;
    enum array_state array_state;
    size_t array_line;
    size_t array_col;

    /* A memory record too close to the end of mem, copied to get its padding. */
    char *copy;
    size_t copy_cap;

    size_t max_record;
    size_t max_document;
};

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes that end a bare token (a number, a literal or garbage) in the light scanner. */
static int ends_token(unsigned char c)
{
    return is_space(c) || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' ||
           c == '"';
}

static corral_reader *reader_new(const struct corral_reader_limits *limits)
{
    corral_reader *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->fd = -1;
    r->line = 1;
    r->pad = corral_json_padding();
    r->max_record =
        limits != NULL && limits->max_record > 0 ? limits->max_record : DEFAULT_MAX_RECORD;
    r->max_document =
        limits != NULL && limits->max_document > 0 ? limits->max_document : DEFAULT_MAX_DOCUMENT;
    if (r->max_record > LIMIT_CEILING) {
        r->max_record = LIMIT_CEILING;
    }
    if (r->max_document > LIMIT_CEILING) {
        r->max_document = LIMIT_CEILING;
    }
    return r;
}

corral_err corral_reader_open(const char *path, const struct corral_reader_limits *limits,
                              corral_reader **out, struct corral_diag *diag)
{
    if (path == NULL || out == NULL) {
        return corral_diag_set(diag, CORRAL_ERR_IO, 0, 0, "%s", strerror(EINVAL));
    }
    int fd = 0;
    int close_fd = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return corral_diag_set(diag, CORRAL_ERR_IO, 0, 0, "%s", strerror(errno));
        }
        close_fd = 1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (close_fd) {
            close(fd);
        }
        return corral_diag_set(diag, CORRAL_ERR_IO, 0, 0, "%s", strerror(EISDIR));
    }
    corral_reader *r = reader_new(limits);
    char *buf = NULL;
    if (r != NULL) {
        /* calloc: the slack after the data is read by the parser, so it must be initialised. */
        buf = calloc(1, READ_CHUNK + corral_json_padding());
    }
    if (buf == NULL) {
        free(r);
        if (close_fd) {
            close(fd);
        }
        return corral_diag_set(diag, CORRAL_ERR_NOMEM, 0, 0, "out of memory");
    }
    r->fd = fd;
    r->close_fd = close_fd;
    r->buf = buf;
    r->cap = READ_CHUNK;
    r->data = buf;
    *out = r;
    return CORRAL_OK;
}

corral_reader *corral_reader_from_memory(const char *buf, size_t len,
                                         const struct corral_reader_limits *limits)
{
    corral_reader *r = reader_new(limits);
    if (r == NULL) {
        return NULL;
    }
    r->mem = buf != NULL ? buf : "";
    r->mem_len = buf != NULL ? len : 0;
    r->data = r->mem;
    r->end = r->mem_len;
    r->eof = 1;
    return r;
}

void corral_reader_free(corral_reader *reader)
{
    if (reader == NULL) {
        return;
    }
    if (reader->close_fd) {
        close(reader->fd);
    }
    free(reader->buf);
    free(reader->copy);
    free(reader);
}

size_t corral_reader_offset(const corral_reader *reader)
{
    return reader == NULL ? 0 : reader->base + reader->start;
}

/* 1-based column of data[at] on the current line. */
static size_t column_of(const corral_reader *r, size_t at)
{
    return r->base + at - r->line_start + 1;
}

/* Consume data[start..to), counting the lines it ends. */
static void advance_to(corral_reader *r, size_t to)
{
    const char *p = r->data + r->start;
    const char *stop = r->data + to;
    const char *nl;
    while (p < stop && (nl = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
        r->line++;
        r->line_start = r->base + (size_t)(nl - r->data) + 1;
        p = nl + 1;
    }
    r->start = to;
    if (r->scan < to) {
        r->scan = to;
    }
}

static void skip_space(corral_reader *r)
{
    size_t at = r->start;
    while (at < r->end && is_space((unsigned char)r->data[at])) {
        at++;
    }
    advance_to(r, at);
}

/*
 * Read more input, first dropping consumed bytes and growing the buffer up to
 * max_cap data bytes when it is full. Returns 1 when bytes arrived, 0 at the
 * end of the input (or when there is no room), -1 after a read error or an
 * allocation failure (reported, and the input ends).
 */
static int refill(corral_reader *r, size_t max_cap, struct corral_diag *diag)
{
    if (r->eof || r->fd < 0) {
        r->eof = 1;
        return 0;
    }
    if (r->start > 0 && (r->end == r->cap || r->cap - r->end < r->cap / 4)) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->base += r->start;
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap) {
        if (r->cap >= max_cap) {
            return 0;
        }
        size_t cap = r->cap > max_cap / 2 ? max_cap : r->cap * 2;
        char *buf = realloc(r->buf, cap + r->pad);
        if (buf == NULL) {
            r->done = 1;
            corral_diag_set(diag, CORRAL_ERR_NOMEM, r->line, 0, "out of memory");
            return -1;
        }
        memset(buf + r->cap + r->pad, 0, cap - r->cap);
        r->buf = buf;
        r->data = buf;
        r->cap = cap;
    }
    for (;;) {
        size_t want = r->cap - r->end;
        ssize_t n = read(r->fd, r->buf + r->end, want < MAX_READ ? want : MAX_READ);
        if (n > 0) {
            r->end += (size_t)n;
            return 1;
        }
        if (n == 0) {
            r->eof = 1;
            return 0;
        }
        if (errno != EINTR) {
            int err = errno;
            r->done = 1;
            corral_diag_set(diag, CORRAL_ERR_IO, r->line, 0, "read error: %s", strerror(err));
            return -1;
        }
    }
}

/* Fill rec with data[off..off+len); memory records near the end of mem get a padded copy. */
static int emit(corral_reader *r, struct corral_record *rec, size_t off, size_t len, size_t line,
                size_t col)
{
    rec->buf = r->data + off;
    rec->len = len;
    rec->padded = 1;
    rec->line = line;
    rec->col = col;
    if (r->fd >= 0 || (r->mem_len - off - len) >= r->pad) {
        return 1;
    }
    if (r->copy_cap < len) {
        size_t cap = len < 4096 ? 4096 : len;
        char *copy = calloc(1, cap + r->pad);
        if (copy == NULL) {
            /* Still hand the record out: unpadded, the parser makes its own copy. */
            rec->padded = 0;
            return 1;
        }
        free(r->copy);
        r->copy = copy;
        r->copy_cap = cap;
    }
    memcpy(r->copy, r->data + off, len);
    rec->buf = r->copy;
    return 1;
}

/* ------------------------------------------------------------------------- NDJSON */

static int next_ndjson(corral_reader *r, struct corral_record *rec, struct corral_diag *diag)
{
    size_t max_cap = r->max_record + 2 > READ_CHUNK ? r->max_record + 2 : READ_CHUNK;
    for (;;) {
        if (r->skipping) {
            const char *nl = memchr(r->data + r->start, '\n', r->end - r->start);
            if (nl == NULL) {
                r->start = r->scan = r->end; /* dropped, never stored */
                int rc = refill(r, max_cap, diag);
                if (rc < 0) {
                    return -1;
                }
                if (rc == 0) {
                    r->skipping = 0;
                    return 0;
                }
                continue;
            }
            r->start = r->scan = (size_t)(nl - r->data) + 1;
            r->line++;
            r->line_start = r->base + r->start;
            r->skipping = 0;
            continue;
        }

        const char *nl = memchr(r->data + r->scan, '\n', r->end - r->scan);
        size_t line_end;
        if (nl != NULL) {
            line_end = (size_t)(nl - r->data);
        } else {
            r->scan = r->end;
            size_t n = r->end - r->start;
            if (n > r->max_record + 1 || (n == r->max_record + 1 && r->data[r->end - 1] != '\r')) {
                size_t first = r->start;
                while (first < r->end && is_space((unsigned char)r->data[first])) {
                    first++;
                }
                corral_diag_set(diag, CORRAL_ERR_TOO_LARGE, r->line, column_of(r, first),
                                "line longer than the record limit of %zu bytes: skipped",
                                r->max_record);
                r->start = r->scan = r->end;
                r->skipping = 1;
                return -1;
            }
            if (!r->eof) {
                int rc = refill(r, max_cap, diag);
                if (rc < 0) {
                    return -1;
                }
                continue;
            }
            if (n == 0) {
                return 0;
            }
            line_end = r->end;
        }

        size_t first = r->start;
        size_t last = line_end;
        size_t line = r->line;
        size_t col_base = r->line_start; /* input offset of the line's first byte */
        if (nl != NULL) {
            r->start = r->scan = line_end + 1;
            r->line++;
            r->line_start = r->base + r->start;
        } else {
            r->start = r->scan = line_end;
        }
        /* The limit counts the line without its line break, as the streaming check does. */
        size_t content_end = last;
        if (content_end > first && r->data[content_end - 1] == '\r') {
            content_end--;
        }
        size_t content_len = content_end - first;
        while (first < last && is_space((unsigned char)r->data[first])) {
            first++;
        }
        size_t col = r->base + first - col_base + 1;
        if (content_len > r->max_record) {
            /* Even a blank one: the streaming check cannot know that it is blank. */
            corral_diag_set(diag, CORRAL_ERR_TOO_LARGE, line, col,
                            "line of %zu bytes is over the record limit of %zu bytes: skipped",
                            content_len, r->max_record);
            return -1;
        }
        if (first == last) {
            continue; /* blank line */
        }
        while (last > first && is_space((unsigned char)r->data[last - 1])) {
            last--;
        }
        return emit(r, rec, first, last - first, line, col);
    }
}

/* -------------------------------------------------------------------------- framed */

/* A byte that cannot start a value here: a closing bracket (']' ends a split array) or ','/':'. */
static int is_stray(unsigned char c, int in_array)
{
    return c == '}' || c == ',' || c == ':' || (c == ']' && !in_array);
}

/* Bytes that end a run of plain string bytes: the closing quote, an escape, a raw newline. */
static const unsigned char string_special[256] = {['"'] = 1, ['\\'] = 1, ['\n'] = 1};

/* Bytes the bracket scanner stops at outside strings. */
static const unsigned char value_special[256] = {
    ['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
};

/*
 * Where the string opening at d[q] ends: its closing quote, a raw newline, or
 * end. Strings are most of an alert's bytes, hence the table and the unrolling
 * (short strings make wider tricks slower: measured on exported alerts).
 */
static size_t skip_string(const char *d, size_t q, size_t end)
{
    const unsigned char *u = (const unsigned char *)d;
    size_t i = q + 1;
    for (;;) {
        while (end - i >= 4 && !(string_special[u[i]] | string_special[u[i + 1]] |
                                 string_special[u[i + 2]] | string_special[u[i + 3]])) {
            i += 4;
        }
        while (i < end && !string_special[u[i]]) {
            i++;
        }
        if (i >= end) {
            return end;
        }
        if (u[i] != '\\') {
            return i;
        }
        i += (i + 1 < end && u[i + 1] != '\n') ? 2 : 1;
    }
}

/*
 * The end of the value starting at d[pos] (not a closing bracket, ',' or ':'):
 * 1 with *vend set, or 0 when the input ends inside it.
 */
static int scan_value(const char *d, size_t pos, size_t end, size_t *vend)
{
    unsigned char c = (unsigned char)d[pos];
    if (c == '{' || c == '[') {
        const unsigned char *u = (const unsigned char *)d;
        size_t depth = 0;
        for (size_t i = pos; i < end; i++) {
            while (i < end && !value_special[u[i]]) {
                i++;
            }
            if (i >= end) {
                break;
            }
            c = u[i];
            if (c == '"') {
                i = skip_string(d, i, end);
                if (i >= end) {
                    return 0;
                }
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    *vend = i + 1;
                    return 1;
                }
            }
        }
        return 0;
    }
    if (c == '"') {
        size_t i = skip_string(d, pos, end);
        if (i >= end) {
            return 0;
        }
        *vend = d[i] == '"' ? i + 1 : i;
        return 1;
    }
    size_t i = pos + 1;
    while (i < end && !ends_token((unsigned char)d[i])) {
        i++;
    }
    *vend = i;
    return 1;
}

/* The input ends inside the value at data[start]: say where it first goes wrong, then stop. */
static int report_unterminated(corral_reader *r, struct corral_diag *diag)
{
    size_t at = r->start;
    size_t vline = r->line;
    size_t vcol = column_of(r, at);
    size_t line = 0;
    size_t col = 0;
    const char *reason = NULL;
    r->done = 1;
    r->start = r->end; /* the rest is skipped: count it as consumed */
    if (corral_json_locate_error(r->data + at, r->end - at, UINT_MAX, &line, &col, &reason)) {
        if (line == 1) {
            col += vcol - 1;
        }
        line += vline - 1;
        corral_diag_set(diag, CORRAL_ERR_JSON, line, col,
                        "%s (in the value from line %zu, column %zu, which is not closed "
                        "before the end of the input: the rest is skipped)",
                        reason, vline, vcol);
        return -1;
    }
    corral_diag_set(diag, CORRAL_ERR_JSON, vline, vcol,
                    "value not closed before the end of the input: the rest is skipped");
    return -1;
}

static int next_framed(corral_reader *r, struct corral_record *rec, struct corral_diag *diag)
{
    for (;;) {
        skip_space(r);
        if (r->start == r->end) {
            if (r->in_array) {
                r->in_array = 0;
                corral_diag_set(diag, CORRAL_ERR_JSON, r->line, column_of(r, r->start),
                                "unterminated array (opened at line %zu, column %zu): "
                                "missing ']' at the end of the input",
                                r->array_line, r->array_col);
                return -1;
            }
            return 0;
        }
        size_t at = r->start;
        unsigned char c = (unsigned char)r->data[at];
        size_t line = r->line;
        size_t col = column_of(r, at);
        if (r->in_array) {
            if (c == ']') {
                int trailing = r->array_state == ARRAY_AFTER_COMMA;
                r->in_array = 0;
                advance_to(r, at + 1);
                if (trailing) {
                    corral_diag_set(diag, CORRAL_ERR_JSON, line, col,
                                    "trailing comma before ']' in the top-level array");
                    return -1;
                }
                continue;
            }
            if (c == ',' && r->array_state == ARRAY_AFTER_ELEMENT) {
                r->array_state = ARRAY_AFTER_COMMA;
                advance_to(r, at + 1);
                continue;
            }
            if (r->array_state == ARRAY_AFTER_ELEMENT && !is_stray(c, 1)) {
                /* Say so once, then hand the element out on the next call. */
                r->array_state = ARRAY_AFTER_COMMA;
                corral_diag_set(diag, CORRAL_ERR_JSON, line, col,
                                "expected ',' or ']' after array element");
                return -1;
            }
        } else if (c == '[') {
            r->in_array = 1;
            r->array_state = ARRAY_START;
            r->array_line = line;
            r->array_col = col;
            advance_to(r, at + 1);
            continue;
        }
        if (is_stray(c, r->in_array)) {
            /* A run of separators with nothing to separate: one problem for the whole run. */
            size_t stop = at + 1;
            int comma = c == ',';
            while (stop < r->end && (is_space((unsigned char)r->data[stop]) ||
                                     is_stray((unsigned char)r->data[stop], r->in_array))) {
                comma |= r->data[stop] == ',';
                stop++;
            }
            advance_to(r, stop);
            if (r->in_array && comma) {
                r->array_state = ARRAY_AFTER_COMMA; /* the run stands for the separator */
            }
            if (r->in_array && c == ',') {
                corral_diag_set(diag, CORRAL_ERR_JSON, line, col,
                                "unexpected ',' in the top-level array (missing element)");
            } else {
                corral_diag_set(diag, CORRAL_ERR_JSON, line, col, "unexpected '%c' %s", c,
                                r->in_array ? "in the top-level array"
                                            : "between top-level values");
            }
            return -1;
        }
        size_t vend = 0;
        if (!scan_value(r->data, at, r->end, &vend)) {
            return report_unterminated(r, diag);
        }
        advance_to(r, vend);
        if (r->in_array) {
            r->array_state = ARRAY_AFTER_ELEMENT;
        }
        if (vend - at > r->max_record) {
            corral_diag_set(diag, CORRAL_ERR_TOO_LARGE, line, col,
                            "value of %zu bytes is over the record limit of %zu bytes: skipped",
                            vend - at, r->max_record);
            return -1;
        }
        return emit(r, rec, at, vend - at, line, col);
    }
}

/* Read the whole input for framing, up to max_document bytes. 1, or -1 (reported). */
static int load_all(corral_reader *r, struct corral_diag *diag)
{
    size_t line = r->line;
    size_t col = column_of(r, r->start);
    int over = r->base + r->end > r->max_document;
    if (!over && r->fd >= 0 && !r->eof) {
        size_t max_cap = r->max_document - r->base + 1; /* +1: to see that it is over */
        struct stat st;
        if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > r->base) {
            /* A regular file: check the limit and size the buffer once, up front. */
            uintmax_t need = (uintmax_t)st.st_size - r->base + 1;
            over = (uintmax_t)st.st_size > r->max_document;
            size_t want = need > max_cap ? max_cap : (size_t)need;
            if (!over && want > r->cap) {
                char *buf = realloc(r->buf, want + r->pad);
                if (buf != NULL) {
                    memset(buf + r->cap + r->pad, 0, want - r->cap);
                    r->buf = buf;
                    r->data = buf;
                    r->cap = want;
                }
            }
        }
        while (!over && !r->eof) {
            int rc = refill(r, max_cap, diag);
            if (rc < 0) {
                return -1;
            }
            over = r->base + r->end > r->max_document || (rc == 0 && !r->eof);
        }
    }
    if (over) {
        r->done = 1;
        r->start = r->end;
        corral_diag_set(diag, CORRAL_ERR_TOO_LARGE, line, col,
                        "input is not NDJSON and is larger than the document limit of %zu bytes: "
                        "not read",
                        r->max_document);
        return -1;
    }
    return 1;
}

/*
 * NDJSON or framed, from the first value at data[pos]. MODE_UNKNOWN when more
 * input is needed to tell.
 */
static enum mode detect(const char *d, size_t pos, size_t end, int eof)
{
    unsigned char c = (unsigned char)d[pos];
    if (c == '[') {
        return MODE_FRAMED;
    }
    if (c != '{') {
        return MODE_NDJSON; /* a scalar or garbage never spans lines */
    }
    size_t depth = 0;
    unsigned char last = 0; /* last non-blank byte outside strings */
    for (size_t i = pos; i < end; i++) {
        c = (unsigned char)d[i];
        switch (c) {
        case '"':
            i = skip_string(d, i, end);
            if (i >= end) {
                return eof ? MODE_NDJSON : MODE_UNKNOWN;
            }
            if (d[i] == '\n') {
                return MODE_NDJSON; /* the first line is broken: go line by line */
            }
            last = '"';
            break;
        case '{':
        case '[':
            depth++;
            last = c;
            break;
        case '}':
        case ']':
            if (--depth == 0) {
                return MODE_NDJSON;
            }
            last = c;
            break;
        case '\n':
            if (last == '{' || last == '[' || last == ',' || last == ':') {
                return MODE_FRAMED;
            }
            /* Valid JSON goes on with ',' or a closing bracket, never with a new object. */
            for (i++; i < end && is_space((unsigned char)d[i]); i++) {
            }
            if (i == end) {
                return eof ? MODE_NDJSON : MODE_UNKNOWN;
            }
            return d[i] == '{' ? MODE_NDJSON : MODE_FRAMED;
        case ' ':
        case '\t':
        case '\r':
            break;
        default:
            last = c;
            break;
        }
    }
    return eof ? MODE_NDJSON : MODE_UNKNOWN;
}

/* Skip a BOM and blank lines, pick the framing. 1 ready, 0 empty input, -1 (reported). */
static int begin(corral_reader *r, struct corral_diag *diag)
{
    size_t max_cap = r->max_record + 2 > READ_CHUNK ? r->max_record + 2 : READ_CHUNK;
    for (;;) {
        if (!r->bom_checked && (r->end - r->start >= 3 || r->eof)) {
            r->bom_checked = 1;
            if (r->base + r->start == 0 && r->end - r->start >= 3 &&
                memcmp(r->data + r->start, "\xEF\xBB\xBF", 3) == 0) {
                r->start += 3;
            }
        }
        if (r->bom_checked) {
            skip_space(r);
            if (r->start < r->end) {
                /* A buffer holds at most max_cap bytes: memory is looked at through as many,
                 * so that a file and its bytes in memory are framed alike. */
                size_t end = r->end - r->start > max_cap ? r->start + max_cap : r->end;
                enum mode m = detect(r->data, r->start, end, r->eof && end == r->end);
                if (m == MODE_UNKNOWN && end - r->start >= max_cap) {
                    m = MODE_NDJSON; /* a first line this long is an NDJSON line */
                }
                if (m != MODE_UNKNOWN) {
                    r->mode = m;
                    r->scan = r->start;
                    if (m == MODE_FRAMED && load_all(r, diag) < 0) {
                        return -1;
                    }
                    return 1;
                }
            } else if (r->eof) {
                return 0;
            }
        }
        int rc = refill(r, max_cap, diag);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0 && !r->eof) {
            /* No room left to decide: treat the input as NDJSON. */
            r->mode = MODE_NDJSON;
            r->scan = r->start;
            return 1;
        }
    }
}

int corral_reader_next(corral_reader *reader, struct corral_record *rec, struct corral_diag *diag)
{
    if (reader == NULL || rec == NULL || reader->done) {
        return 0;
    }
    if (reader->mode == MODE_UNKNOWN) {
        int rc = begin(reader, diag);
        if (rc <= 0) {
            return rc;
        }
    }
    if (reader->mode == MODE_NDJSON) {
        return next_ndjson(reader, rec, diag);
    }
    return next_framed(reader, rec, diag);
}
