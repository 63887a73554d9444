/*
 * pipeline.h - read an input, decode every record, count what happened.
 *
 * The glue that every front end uses (the CLI now; HTTP and Kafka later):
 * reader -> decoder -> sink, with the reader's own problems (a record over the
 * limit, an unterminated value) reported through the same sink->problem as
 * the decoder's, so that the user sees one "file:line: reason" line for every
 * bad record and nothing else is lost.
 */
#ifndef CORRAL_INGEST_PIPELINE_H
#define CORRAL_INGEST_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/reader.h"

struct corral_ingest_stats {
    uint64_t bytes;    /* input bytes read */
    uint64_t records;  /* JSON records framed by the reader */
    uint64_t alerts;   /* alerts delivered */
    uint64_t rejected; /* records or alerts skipped as bad */
    uint64_t warnings; /* problems noted on delivered alerts */
    uint64_t skipped;  /* valid records that are not alerts */
    uint64_t position; /* bytes of the current input consumed so far, kept up to date (progress) */
};

/*
 * Read path ("-" = standard input) through a reader with the given limits and
 * decode every record into sink. Adds to *stats (which the caller zeroes).
 * Returns CORRAL_OK when the input was read to its end, even if records were
 * rejected (see stats->rejected); CORRAL_ERR_IO when it could not be opened
 * (reported through sink->problem too); CORRAL_ERR_NOMEM.
 */
corral_err corral_ingest_path(const char *path, const struct corral_reader_limits *limits,
                              corral_decoder *decoder, const struct corral_decode_sink *sink,
                              struct corral_ingest_stats *stats);

/* The same over a buffer in memory (HTTP bodies, tests, fuzzing); source names it in messages. */
corral_err corral_ingest_memory(const char *source, const char *buf, size_t len,
                                const struct corral_reader_limits *limits,
                                corral_decoder *decoder, const struct corral_decode_sink *sink,
                                struct corral_ingest_stats *stats);

#endif
