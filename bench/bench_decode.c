/*
 * bench_decode.c - how fast corral turns NDJSON alerts into normalized alerts.
 *
 * The project's figures come from here, never from timed unit tests. The
 * input file is read into memory once, then each phase runs on one thread,
 * over the whole buffer, R times (after one untimed warm-up run), and the
 * median, min and max are reported, because the machines we measure on are
 * shared and noisy:
 *
 *   corral    corral_ingest_memory(): reader framing, simdjson parse, shape
 *             detection, $ref resolution, JSON-in-string, classification and
 *             entity keys, into a sink that only counts;
 *   frame     corral_reader_next() alone (what every other phase pays too);
 *   parse     framing + corral_json_parse() of each record (simdjson through
 *             the C adapter, flattened into corral's node array);
 *   jansson   framing + json_loadb() of each record: a typical strict C JSON
 *             library, the peer we compare against in the same run. It only
 *             parses: it does not read Sentinel's JSON-in-string columns,
 *             resolve references or normalize anything.
 *
 * MB are 10^6 bytes of input. Peak RSS is getrusage()'s ru_maxrss, which
 * includes the input buffer. On generated data every record is an alert, so
 * any rejected or skipped record, or a parse error in any phase, makes the
 * benchmark fail loudly (exit status 1): figures from a run that did not
 * decode everything would be meaningless.
 *
 * Usage: bench_decode [--runs R] [--catalog PATH] [--label NAME] [--no-peer] FILE.ndjson
 * (--no-peer leaves jansson out: a quicker run when only corral's own phases matter).
 */
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "classify/catalog.h"
#include "ingest/decode.h"
#include "ingest/json.h"
#include "ingest/pipeline.h"
#include "ingest/reader.h"
#include "model/alert.h"

/* The CLI's default limits (src/cli/setup.h), so that we measure what users run. */
#define BENCH_MAX_RECORD (16u << 20)
#define BENCH_MAX_DOCUMENT ((size_t)1 << 30)
#define BENCH_MAX_DEPTH 64u
#define MAX_RUNS 101
#define MAX_PROBLEMS_SHOWN 5

/* ------------------------------------------------------------------------- */

struct input {
    char *buf; /* len bytes, then corral_json_padding() zero bytes */
    size_t len;
    size_t lines; /* non-empty lines */
};

static int read_input(const char *path, struct input *in)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "bench_decode: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t pad = corral_json_padding();
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + pad);
    while (buf != NULL) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap) {
            break;
        }
        cap *= 2;
        char *grown = realloc(buf, cap + pad);
        if (grown == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
    }
    int failed = ferror(f);
    fclose(f);
    if (buf == NULL || failed) {
        fprintf(stderr, "bench_decode: %s: %s\n", path,
                buf == NULL ? "out of memory" : "read error");
        free(buf);
        return -1;
    }
    memset(buf + len, 0, pad);
    size_t lines = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        if (stop > p && !(stop == p + 1 && *p == '\r')) {
            lines++;
        }
        p = stop + 1;
    }
    in->buf = buf;
    in->len = len;
    in->lines = lines;
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return 0;
    }
    return (double)ru.ru_maxrss * 1024.0 / 1e6; /* ru_maxrss is in KiB on Linux */
}

static void cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon != NULL) {
                colon++;
                while (*colon == ' ' || *colon == '\t') {
                    colon++;
                }
                snprintf(out, size, "%s", colon);
                out[strcspn(out, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

/* "CPU 1 of 2 online" when pinned to one CPU, else "N of M CPUs allowed". */
static void cpu_affinity(char *out, size_t size)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        snprintf(out, size, "%ld CPUs online", online);
        return;
    }
    int count = CPU_COUNT(&set);
    if (count == 1) {
        int cpu = 0;
        while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set)) {
            cpu++;
        }
        snprintf(out, size, "pinned to CPU %d (%ld online)", cpu, online);
    } else {
        snprintf(out, size, "not pinned: %d of %ld CPUs allowed", count, online);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct timing {
    double median, min, max; /* seconds */
};

static struct timing summarize(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    struct timing s;
    s.min = t[0];
    s.max = t[n - 1];
    s.median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    return s;
}

/* ------------------------------------------------------------------------- */
/* Phase (a): corral end to end, into a counting sink.                       */

struct counting_sink {
    uint64_t alerts;
    uint64_t entities;
    uint64_t by_type[CORRAL_ENT_COUNT];
    uint64_t by_shape[3];
    uint64_t rejected, warnings, skipped;
    unsigned shown;
};

static void on_alert(void *ctx, const struct corral_alert *alert, size_t line)
{
    struct counting_sink *c = ctx;
    c->alerts++;
    c->entities += alert->n_entities;
    for (uint32_t i = 0; i < alert->n_entities; i++) {
        unsigned t = (unsigned)alert->entities[i].type;
        if (t < CORRAL_ENT_COUNT) {
            c->by_type[t]++;
        }
    }
    if ((unsigned)alert->shape < 3) {
        c->by_shape[alert->shape]++;
    }
}

static void on_problem(void *ctx, const char *source, const struct corral_diag *diag, int rejected)
{
    struct counting_sink *c = ctx;
    if (rejected) {
        c->rejected++;
    } else {
        c->warnings++;
    }
    if (c->shown < MAX_PROBLEMS_SHOWN) {
        c->shown++;
        fprintf(stderr, "bench_decode: %s:%zu:%zu: %s: %s\n", source, diag->line, diag->col,
                rejected ? "rejected" : "warning", diag->msg);
    }
}

static void on_skipped(void *ctx, const char *what)
{
    struct counting_sink *c = ctx;
    c->skipped++;
    if (c->shown < MAX_PROBLEMS_SHOWN) {
        c->shown++;
        fprintf(stderr, "bench_decode: skipped a record that is not an alert (%s)\n", what);
    }
}

struct run_result {
    uint64_t records;
    uint64_t units; /* alerts, or parsed documents */
    uint64_t errors;
};

static int run_corral(const struct input *in, const char *source, corral_decoder *decoder,
                      struct counting_sink *sink, struct run_result *r)
{
    struct corral_reader_limits limits = {BENCH_MAX_RECORD, BENCH_MAX_DOCUMENT};
    struct corral_decode_sink s = {sink, on_alert, on_problem, on_skipped};
    struct corral_ingest_stats stats;
    memset(&stats, 0, sizeof stats);
    corral_err err = corral_ingest_memory(source, in->buf, in->len, &limits, decoder, &s, &stats);
    if (err != CORRAL_OK) {
        fprintf(stderr, "bench_decode: corral_ingest_memory: %s\n", corral_strerror(err));
        return -1;
    }
    r->records = stats.records;
    r->units = stats.alerts;
    r->errors = stats.rejected + stats.skipped;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Phases (frame), (b) parse only and (c) jansson, over the same framing.    */

enum phase { PHASE_CORRAL, PHASE_FRAME, PHASE_PARSE, PHASE_JANSSON, PHASE_COUNT };

static const char *const phase_names[PHASE_COUNT] = {"corral end to end", "frame only (reader)",
                                                     "parse only (simdjson)", "jansson json_loadb"};

static int run_framed(const struct input *in, enum phase phase, corral_json_parser *parser,
                      struct run_result *r)
{
    struct corral_reader_limits limits = {BENCH_MAX_RECORD, BENCH_MAX_DOCUMENT};
    corral_reader *reader = corral_reader_from_memory(in->buf, in->len, &limits);
    if (reader == NULL) {
        fprintf(stderr, "bench_decode: out of memory\n");
        return -1;
    }
    memset(r, 0, sizeof *r);
    uint64_t nodes = 0;
    for (;;) {
        struct corral_record rec;
        struct corral_diag diag;
        memset(&diag, 0, sizeof diag);
        int rc = corral_reader_next(reader, &rec, &diag);
        if (rc == 0) {
            break;
        }
        if (rc < 0) {
            r->errors++;
            continue;
        }
        r->records++;
        if (phase == PHASE_PARSE) {
            struct corral_json_doc doc;
            if (corral_json_parse(parser, rec.buf, rec.len, rec.padded, &doc, &diag) != CORRAL_OK) {
                if (r->errors++ == 0) {
                    fprintf(stderr, "bench_decode: line %zu: corral_json_parse: %s\n", rec.line,
                            diag.msg);
                }
                continue;
            }
            nodes += doc.count;
            r->units++;
        } else if (phase == PHASE_JANSSON) {
            json_error_t jerr;
            json_t *root = json_loadb(rec.buf, rec.len, 0, &jerr);
            if (root == NULL) {
                if (r->errors++ == 0) {
                    fprintf(stderr, "bench_decode: line %zu: json_loadb: %s\n", rec.line,
                            jerr.text);
                }
                continue;
            }
            json_decref(root);
            r->units++;
        } else {
            r->units++;
        }
    }
    corral_reader_free(reader);
    /* Keep the node count alive so the parse cannot be optimized away. */
    if (nodes == UINT64_MAX) {
        fputc('\n', stderr);
    }
    return 0;
}

/* ------------------------------------------------------------------------- */

struct phase_report {
    const char *name;
    struct timing t;
    uint64_t units;
};

static void print_row(const struct phase_report *p, const struct input *in)
{
    double mb = (double)in->len / 1e6;
    printf("  %-22s %9.1f %9.1f %9.1f %9.0f %8.0f..%-8.0f %10.0f\n", p->name, p->t.median * 1e3,
           p->t.min * 1e3, p->t.max * 1e3, mb / p->t.median, mb / p->t.max, mb / p->t.min,
           (double)p->units / p->t.median);
}

static void usage(FILE *f)
{
    fputs("usage: bench_decode [--runs R] [--catalog PATH] [--label NAME] [--no-peer] FILE.ndjson\n"
          "  --runs R        timed runs of each phase, after one warm-up (default 7)\n"
          "  --catalog PATH  corral's resolved alert catalog (default data/alert-types.tsv)\n"
          "  --label NAME    prefix of the summary line (default: the file name)\n"
          "  --no-peer       leave out the jansson phase (corral's phases only)\n",
          f);
}

int main(int argc, char **argv)
{
    int runs = 7;
    const char *catalog_path = "data/alert-types.tsv";
    const char *label = NULL;
    const char *path = NULL;
    int peer = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < 1 || v > MAX_RUNS) {
                fprintf(stderr, "bench_decode: --runs: expected 1..%d\n", MAX_RUNS);
                return 2;
            }
            runs = (int)v;
        } else if (strcmp(argv[i], "--catalog") == 0 && i + 1 < argc) {
            catalog_path = argv[++i];
        } else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
            label = argv[++i];
        } else if (strcmp(argv[i], "--no-peer") == 0) {
            peer = 0;
        } else if (argv[i][0] == '-' || path != NULL) {
            usage(stderr);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        usage(stderr);
        return 2;
    }
    if (label == NULL) {
        const char *slash = strrchr(path, '/');
        label = slash != NULL ? slash + 1 : path;
    }

    int status = 1;
    struct input in = {NULL, 0, 0};
    corral_catalog *catalog = NULL;
    corral_decoder *decoder = NULL;
    corral_json_parser *parser = NULL;
    static double t[PHASE_COUNT][MAX_RUNS];
    double vs_jansson[MAX_RUNS], vs_parse[MAX_RUNS];
    struct phase_report rep[PHASE_COUNT];
    const int n_phases = peer ? PHASE_COUNT : PHASE_JANSSON;
    struct counting_sink sink;
    struct run_result r;

    if (read_input(path, &in) != 0) {
        goto cleanup;
    }
    if (in.lines == 0) {
        fprintf(stderr, "bench_decode: %s: no records\n", path);
        goto cleanup;
    }
    struct corral_diag diag;
    memset(&diag, 0, sizeof diag);
    corral_err err = corral_catalog_load(catalog_path, &catalog, &diag);
    if (err != CORRAL_OK) {
        fprintf(stderr, "bench_decode: %s:%zu:%zu: %s (%s)\n", catalog_path, diag.line, diag.col,
                diag.msg, corral_strerror(err));
        goto cleanup;
    }
    struct corral_decoder_limits dlimits = {BENCH_MAX_RECORD, BENCH_MAX_DEPTH};
    decoder = corral_decoder_new(catalog, &dlimits);
    parser = corral_json_parser_new(BENCH_MAX_RECORD, BENCH_MAX_DEPTH);
    if (decoder == NULL || parser == NULL) {
        fprintf(stderr, "bench_decode: out of memory\n");
        goto cleanup;
    }

    /*
     * The phases are interleaved: each run times corral, framing, parsing and
     * jansson one after the other, so that a change in the machine's load hits
     * them alike, and the ratios are medians of per-run ratios. Run 0 is the
     * warm-up; its counts are the ones checked and printed.
     */
    struct counting_sink counts;
    memset(&counts, 0, sizeof counts);
    double rss_corral = 0;
    for (int i = -1; i < runs; i++) {
        memset(&sink, 0, sizeof sink);
        if (i >= 0) {
            sink.shown = MAX_PROBLEMS_SHOWN; /* the warm-up run has shown them */
        }
        double t0 = now_seconds();
        if (run_corral(&in, path, decoder, &sink, &r) != 0) {
            goto cleanup;
        }
        double dt = now_seconds() - t0;
        if (sink.rejected != 0 || sink.skipped != 0 || r.records != in.lines ||
            sink.alerts != in.lines) {
            fprintf(stderr,
                    "bench_decode: FAIL: %s: %zu lines, %llu records, %llu alerts, %llu rejected, "
                    "%llu skipped: generated data must decode completely\n",
                    path, in.lines, (unsigned long long)r.records, (unsigned long long)sink.alerts,
                    (unsigned long long)sink.rejected, (unsigned long long)sink.skipped);
            goto cleanup;
        }
        if (i < 0) {
            counts = sink;
        } else {
            t[PHASE_CORRAL][i] = dt;
        }
        for (int p = PHASE_FRAME; p < n_phases; p++) {
            t0 = now_seconds();
            if (run_framed(&in, (enum phase)p, parser, &r) != 0) {
                goto cleanup;
            }
            dt = now_seconds() - t0;
            if (p == PHASE_PARSE && i < 0) {
                rss_corral = peak_rss_mb(); /* corral's buffers have all grown by now */
            }
            if (r.errors != 0 || r.units != in.lines) {
                fprintf(stderr, "bench_decode: FAIL: %s: %llu errors, %llu of %zu records\n",
                        phase_names[p], (unsigned long long)r.errors, (unsigned long long)r.units,
                        in.lines);
                goto cleanup;
            }
            if (i >= 0) {
                t[p][i] = dt;
            }
        }
        if (i >= 0) {
            vs_jansson[i] = peer ? t[PHASE_JANSSON][i] / t[PHASE_CORRAL][i] : 0;
            vs_parse[i] = t[PHASE_PARSE][i] / t[PHASE_CORRAL][i];
        }
    }
    double rss_all = peak_rss_mb();
    for (int p = 0; p < n_phases; p++) {
        rep[p].name = phase_names[p];
        rep[p].t = summarize(t[p], runs);
        rep[p].units = p == PHASE_CORRAL ? counts.alerts : in.lines;
    }
    struct timing ratio_jansson = summarize(vs_jansson, runs);
    struct timing ratio_parse = summarize(vs_parse, runs);

    char cpu[256], aff[128];
    cpu_model(cpu, sizeof cpu);
    cpu_affinity(aff, sizeof aff);
    double mb = (double)in.len / 1e6;
    printf("== bench_decode %s\n", label);
    printf("machine:  %s, %s\n", cpu, aff);
    printf("input:    %s: %.1f MB (%zu bytes), %zu records, mean %.0f bytes/record\n", path, mb,
           in.len, in.lines, (double)in.len / (double)in.lines);
    printf("catalog:  %s (%zu alert types)\n", catalog_path, corral_catalog_size(catalog));
    printf("decoded:  %llu alerts (rest %llu, export %llu, sentinel %llu), 0 rejected, 0 skipped, "
           "%llu warnings\n",
           (unsigned long long)counts.alerts,
           (unsigned long long)counts.by_shape[CORRAL_SHAPE_REST],
           (unsigned long long)counts.by_shape[CORRAL_SHAPE_EXPORT],
           (unsigned long long)counts.by_shape[CORRAL_SHAPE_SENTINEL],
           (unsigned long long)counts.warnings);
    printf("entities: %.2f per alert:", (double)counts.entities / (double)counts.alerts);
    for (int ty = 0; ty < CORRAL_ENT_COUNT; ty++) {
        if (counts.by_type[ty] != 0) {
            printf(" %s %.2f", corral_entity_type_name((enum corral_entity_type)ty),
                   (double)counts.by_type[ty] / (double)counts.alerts);
        }
    }
    printf("\nmethod:   one thread; %d runs after 1 warm-up, each timing the %d phases in turn over "
           "the whole buffer; CLOCK_MONOTONIC; MB = 10^6 input bytes\n",
           runs, n_phases);
    printf("  %-22s %9s %9s %9s %9s %18s %10s\n", "phase", "median ms", "min ms", "max ms", "MB/s",
           "MB/s range", "records/s");
    for (int p = 0; p < n_phases; p++) {
        print_row(&rep[p], &in);
    }
    double corral_mbs = mb / rep[PHASE_CORRAL].t.median;
    double parse_mbs = mb / rep[PHASE_PARSE].t.median;
    if (!peer) {
        printf("ratios:   corral / parse only = %.2f (%.2f..%.2f): decoding beyond the parse takes "
               "%.0f%% of corral's time\n",
               ratio_parse.median, ratio_parse.min, ratio_parse.max,
               100.0 * (1.0 - ratio_parse.median));
        printf("%s: decode: %.0f MB/s median (%d runs), %.0fk alerts/s; parse only %.0f MB/s; "
               "peak RSS %.0f MB\n",
               label, corral_mbs, runs, (double)counts.alerts / rep[PHASE_CORRAL].t.median / 1e3,
               parse_mbs, rss_corral);
        status = 0;
        goto cleanup;
    }
    double jansson_mbs = mb / rep[PHASE_JANSSON].t.median;
    printf("ratios:   corral / jansson = %.1fx (per-run median; %.1f..%.1f); corral / parse only = "
           "%.2f (%.2f..%.2f): decoding beyond the parse takes %.0f%% of corral's time\n",
           ratio_jansson.median, ratio_jansson.min, ratio_jansson.max, ratio_parse.median,
           ratio_parse.min, ratio_parse.max, 100.0 * (1.0 - ratio_parse.median));
    printf("memory:   peak RSS %.0f MB after the corral phases (input buffer %.0f MB), %.0f MB at "
           "the end\n",
           rss_corral, mb, rss_all);
    printf("%s: decode: %.0f MB/s median (%d runs), %.0fk alerts/s; parse only %.0f MB/s; jansson "
           "%.0f MB/s; corral = %.1fx jansson; peak RSS %.0f MB\n",
           label, corral_mbs, runs, (double)counts.alerts / rep[PHASE_CORRAL].t.median / 1e3,
           parse_mbs, jansson_mbs, ratio_jansson.median, rss_corral);
    status = 0;

cleanup:
    corral_json_parser_free(parser);
    corral_decoder_free(decoder);
    corral_catalog_free(catalog);
    free(in.buf);
    return status;
}
