/*
 * fuzz_ingest.c - libFuzzer target: the whole ingest path, reader -> decoder -> sink.
 *
 * An empty catalog (every alert type falls back to the text rules) and a
 * decoder with small limits (records of 8 KiB, nesting 16 deep), so that the
 * limit paths are reached often. What must hold: no crash, no leak, ingest
 * returns OK (nothing here can fail but memory), and the stats count exactly
 * what reached the sink.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/catalog.h"
#include "ingest/decode.h"
#include "ingest/pipeline.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct counts {
    uint64_t alerts;
    uint64_t rejected;
    uint64_t warnings;
    uint64_t skipped;
};

static void on_alert(void *ctx, const struct corral_alert *alert, size_t line)
{
    CHECK(alert != NULL && line >= 1);
    ((struct counts *)ctx)->alerts++;
}

static void on_problem(void *ctx, const char *source, const struct corral_diag *diag, int rejected)
{
    struct counts *c = ctx;
    CHECK(source != NULL && strcmp(source, "fuzz") == 0);
    CHECK(diag != NULL && strlen(diag->msg) < sizeof(diag->msg));
    if (rejected) {
        c->rejected++;
    } else {
        c->warnings++;
    }
}

static void on_skipped(void *ctx, const char *what)
{
    CHECK(what != NULL);
    ((struct counts *)ctx)->skipped++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    corral_catalog *cat = corral_catalog_new();
    struct corral_decoder_limits dl = {8192, 16};
    corral_decoder *dec = cat != NULL ? corral_decoder_new(cat, &dl) : NULL;
    if (dec == NULL) {
        corral_catalog_free(cat);
        return 0;
    }
    struct counts c = {0, 0, 0, 0};
    struct corral_decode_sink sink = {&c, on_alert, on_problem, on_skipped};
    struct corral_reader_limits rl = {8192, 1u << 20};
    struct corral_ingest_stats st;
    memset(&st, 0, sizeof(st));
    corral_err err = corral_ingest_memory("fuzz", (const char *)data, size, &rl, dec, &sink, &st);
    CHECK(err == CORRAL_OK || err == CORRAL_ERR_NOMEM);
    CHECK(st.alerts == c.alerts && st.rejected == c.rejected && st.warnings == c.warnings &&
          st.skipped == c.skipped);
    CHECK(st.bytes == size || err != CORRAL_OK);
    corral_decoder_free(dec);
    corral_catalog_free(cat);
    return 0;
}
