/*
 * decode.h - one JSON record in, normalized alerts out.
 *
 * The decoder parses a record (json.h), finds the alerts in it (a REST list
 * {"value":[...]}, a Swagger example's responses/200/body, an array, or one
 * alert object), recognises each one's shape (REST envelope or az CLI flat
 * form, continuous export, Sentinel SecurityAlert row with JSON-in-string
 * columns), resolves Json.NET $id/$ref references, and normalizes it into a
 * struct corral_alert as incidents.md says: scope, plan, signals, stages,
 * severity, status, times and entity keys. Keys are matched
 * case-insensitively everywhere.
 *
 * Records that are valid but not alerts (assessments, secure scores,
 * regulatory compliance, sub-assessments...) are counted through sink->skipped.
 * A bad alert (missing systemAlertId or start time, a $ref cycle, JSON-in-string
 * that is not JSON...) is reported through sink->problem and skipped; the other
 * alerts of the same record are still delivered.
 */
#ifndef CORRAL_INGEST_DECODE_H
#define CORRAL_INGEST_DECODE_H

#include <stddef.h>

#include "classify/catalog.h"
#include "model/alert.h"
#include "util/error.h"

typedef struct corral_decoder corral_decoder;

struct corral_decoder_limits {
    size_t max_record;  /* bytes in one record (also bounds JSON-in-string columns) */
    unsigned max_depth; /* JSON nesting, and $ref chains */
};

/* Where decoded things go. Pointers passed to the callbacks are valid during the call only. */
struct corral_decode_sink {
    void *ctx;
    /* A normalized alert; line is where its record starts. */
    void (*alert)(void *ctx, const struct corral_alert *alert, size_t line);
    /*
     * A problem: rejected = 1 when something was skipped (a record or an
     * alert), 0 for a warning about an alert that was still delivered (a
     * duplicate $id, a $ref with no definition dropped). diag->line is the
     * absolute line in the source.
     */
    void (*problem)(void *ctx, const char *source, const struct corral_diag *diag, int rejected);
    /* A valid record that is not an alert; what = its record type, or "unknown". */
    void (*skipped)(void *ctx, const char *what);
};

/* The catalog is borrowed and must outlive the decoder. NULL when out of memory. */
corral_decoder *corral_decoder_new(const corral_catalog *catalog,
                                   const struct corral_decoder_limits *limits);
void corral_decoder_free(corral_decoder *decoder); /* NULL is a no-op */

/*
 * Decode the record buf[0..len) that starts at line/col of source (a name for
 * messages). padded as in corral_json_parse(). Everything found goes to sink.
 * Returns CORRAL_OK, or CORRAL_ERR_NOMEM when it could not go on.
 */
corral_err corral_decode(corral_decoder *decoder, const char *source, const char *buf, size_t len,
                         int padded, size_t line, size_t col,
                         const struct corral_decode_sink *sink);

#endif
