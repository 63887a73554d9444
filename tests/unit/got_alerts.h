/*
 * got_alerts.h - a decode sink for tests: it keeps copies of what the decoder
 * hands over (alerts, problems, skipped records), so that a test can check
 * them field by field after the call. Shared by test_decode.c and
 * test_samples.c.
 */
#ifndef CORRAL_TESTS_GOT_ALERTS_H
#define CORRAL_TESTS_GOT_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/pipeline.h"
#include "util/time.h"

#define MAX_GOT 16

struct got_alert {
    char id[128];
    char type[128];
    char name[160];
    char component[64];
    char scope[80];
    enum corral_shape shape;
    enum corral_plan plan;
    uint32_t signals, tactics;
    uint16_t stages;
    enum corral_severity severity;
    enum corral_status status;
    corral_time start, end, generated;
    uint32_t n_entities;
    char entities[8192]; /* "\ntype=key" for each, then "\n" */
    size_t line;
};

struct got_problem {
    corral_err code;
    size_t line, col;
    char msg[256];
    int rejected;
};

struct got {
    unsigned n_alerts, n_problems, n_skipped;
    struct got_alert alerts[MAX_GOT];
    struct got_problem problems[MAX_GOT];
    char skipped[MAX_GOT][160];
    struct corral_ingest_stats stats; /* for a test that reads through the pipeline */
};

/* A sink that fills g (the first MAX_GOT of each; n_skipped counts them all). */
struct corral_decode_sink got_sink(struct got *g);

#endif
