/*
 * reader.h - split an input (file, stdin or memory) into JSON records.
 *
 * Defender and Sentinel exports come as NDJSON (one alert a line), a JSON
 * array, a REST list ({"value":[...]}), one object, or pretty-printed objects
 * one after another. The reader hands out one JSON value at a time, with the
 * line and column where it starts, without parsing it:
 *
 *   - NDJSON (the first value ends on its first line): one record a line,
 *     streamed in fixed memory; blank lines are skipped. A bad line never
 *     spoils the next one.
 *   - a top-level array: one record per element, so a bad element is reported
 *     and its neighbours are still read.
 *   - anything else: each top-level value is one record (a REST list or a
 *     Swagger example is unwrapped later, by the decoder).
 *
 * Limits: a record over max_record bytes is reported (CORRAL_ERR_TOO_LARGE)
 * and skipped without being held in memory; a non-NDJSON document over
 * max_document bytes is an error for the whole input.
 */
#ifndef CORRAL_INGEST_READER_H
#define CORRAL_INGEST_READER_H

#include <stddef.h>

#include "util/error.h"

typedef struct corral_reader corral_reader;

struct corral_reader_limits {
    size_t max_record;   /* bytes in one record */
    size_t max_document; /* bytes in a whole non-NDJSON document */
};

/* One record: valid until the next corral_reader_next() call. */
struct corral_record {
    const char *buf;
    size_t len;
    int padded;  /* corral_json_padding() readable bytes follow buf + len */
    size_t line; /* 1-based line of the record's first byte in the input */
    size_t col;  /* 1-based column (bytes) of the record's first byte */
};

/*
 * Open path for reading ("-" for standard input). On failure returns
 * CORRAL_ERR_IO (errno text in diag) or CORRAL_ERR_NOMEM.
 */
corral_err corral_reader_open(const char *path, const struct corral_reader_limits *limits,
                              corral_reader **out, struct corral_diag *diag);

/* A reader over buf[0..len), borrowed for the reader's life. NULL when out of memory. */
corral_reader *corral_reader_from_memory(const char *buf, size_t len,
                                         const struct corral_reader_limits *limits);

void corral_reader_free(corral_reader *reader); /* NULL is a no-op; closes the file */

/*
 * The next record. Returns 1 with *rec filled; 0 at the end of the input;
 * -1 for a bad stretch of input (too large, unterminated, a read error),
 * with diag filled: the caller reports it and calls again, the reader has
 * moved past it. After a read error or a document over the limit the next
 * call returns 0.
 */
int corral_reader_next(corral_reader *reader, struct corral_record *rec, struct corral_diag *diag);

/* Bytes consumed so far (for progress and throughput). */
size_t corral_reader_offset(const corral_reader *reader);

#endif
