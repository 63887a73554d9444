/*
 * pipeline.c - reader -> decoder -> sink, counting what happened on the way.
 *
 * Every front end reads alerts the same way, so the loop lives here once. The
 * caller's sink is wrapped by one that counts alerts, rejections, warnings and
 * skipped records before passing each call on; the reader's own problems (a
 * line over the limit, a value never closed) go to the same problem callback
 * as the decoder's, so the user sees one "source:line: reason" per bad stretch
 * and the good records around it are still decoded.
 */
#include "ingest/pipeline.h"

#include <string.h>

/* The caller's sink and the stats it adds to. */
struct counter {
    const struct corral_decode_sink *inner;
    struct corral_ingest_stats *stats;
};

static void count_alert(void *ctx, const struct corral_alert *alert, size_t line)
{
    struct counter *c = ctx;
    c->stats->alerts++;
    if (c->inner->alert != NULL) {
        c->inner->alert(c->inner->ctx, alert, line);
    }
}

static void count_problem(void *ctx, const char *source, const struct corral_diag *diag,
                          int rejected)
{
    struct counter *c = ctx;
    if (rejected) {
        c->stats->rejected++;
    } else {
        c->stats->warnings++;
    }
    if (c->inner->problem != NULL) {
        c->inner->problem(c->inner->ctx, source, diag, rejected);
    }
}

static void count_skipped(void *ctx, const char *what)
{
    struct counter *c = ctx;
    c->stats->skipped++;
    if (c->inner->skipped != NULL) {
        c->inner->skipped(c->inner->ctx, what);
    }
}

/* Decode every record of reader; the reader is the caller's. */
static corral_err run(corral_reader *reader, const char *source, corral_decoder *decoder,
                      struct counter *counter)
{
    struct corral_ingest_stats *stats = counter->stats;
    struct corral_decode_sink wrapped = {counter, count_alert, count_problem, count_skipped};
    corral_err result = CORRAL_OK;
    for (;;) {
        struct corral_record rec;
        struct corral_diag diag;
        memset(&diag, 0, sizeof(diag));
        int rc = corral_reader_next(reader, &rec, &diag);
        if (rc == 0) {
            break;
        }
        if (rc < 0) {
            count_problem(counter, source, &diag, 1);
            if (diag.code == CORRAL_ERR_NOMEM) {
                result = CORRAL_ERR_NOMEM;
                break;
            }
            if (diag.code == CORRAL_ERR_IO) {
                result = CORRAL_ERR_IO; /* the input could not be read to its end */
            }
            continue;
        }
        stats->records++;
        stats->position = corral_reader_offset(reader);
        corral_err err = corral_decode(decoder, source, rec.buf, rec.len, rec.padded, rec.line,
                                       rec.col, &wrapped);
        if (err == CORRAL_ERR_NOMEM) {
            result = err;
            break;
        }
    }
    stats->bytes += corral_reader_offset(reader);
    return result;
}

corral_err corral_ingest_path(const char *path, const struct corral_reader_limits *limits,
                              corral_decoder *decoder, const struct corral_decode_sink *sink,
                              struct corral_ingest_stats *stats)
{
    static const struct corral_decode_sink no_sink = {NULL, NULL, NULL, NULL};
    struct corral_ingest_stats ignored = {0};
    struct counter counter = {sink != NULL ? sink : &no_sink, stats != NULL ? stats : &ignored};
    const char *source = path == NULL ? "(null)" : strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    corral_reader *reader = NULL;
    corral_err err = corral_reader_open(path, limits, &reader, &diag);
    if (err != CORRAL_OK) {
        diag.line = 0;
        diag.col = 0;
        count_problem(&counter, source, &diag, 1);
        return err;
    }
    err = run(reader, source, decoder, &counter);
    corral_reader_free(reader);
    return err;
}

corral_err corral_ingest_memory(const char *source, const char *buf, size_t len,
                                const struct corral_reader_limits *limits, corral_decoder *decoder,
                                const struct corral_decode_sink *sink,
                                struct corral_ingest_stats *stats)
{
    static const struct corral_decode_sink no_sink = {NULL, NULL, NULL, NULL};
    struct corral_ingest_stats ignored = {0};
    struct counter counter = {sink != NULL ? sink : &no_sink, stats != NULL ? stats : &ignored};
    if (source == NULL) {
        source = "<memory>";
    }
    corral_reader *reader = corral_reader_from_memory(buf, len, limits);
    if (reader == NULL) {
        struct corral_diag diag;
        corral_diag_set(&diag, CORRAL_ERR_NOMEM, 0, 0, "out of memory");
        count_problem(&counter, source, &diag, 1);
        return CORRAL_ERR_NOMEM;
    }
    corral_err err = run(reader, source, decoder, &counter);
    corral_reader_free(reader);
    return err;
}
