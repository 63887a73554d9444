/*
 * cmd_correlate.c - `corral correlate`: alerts in, incidents out.
 *
 * The main job. Reads every input through the same pipeline as `corral
 * alerts`, feeds each alert to one engine, and writes the final incidents as
 * NDJSON in (first activity, id) order, or, with --stream, every version of
 * every incident as soon as the alert that changed it is read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/setup.h"
#include "engine/engine.h"
#include "ingest/pipeline.h"
#include "model/incident_json.h"
#include "model/incident_text.h"
#include "rules/rules_file.h"
#include "util/hashmap.h"
#include "util/strbuf.h"

static const char help[] =
    "usage: corral correlate [OPTIONS] [FILE...]\n"
    "\n"
    "Correlate the security alerts in each FILE (standard input when there is no\n"
    "FILE, or for '-') into security incidents, and write each incident as one line\n"
    "of JSON on standard output, sorted by first activity, then id (docs/output.md).\n"
    "Every incident says which rule fired and, for each member alert, the link that\n"
    "tied it in.\n"
    "\n"
    "corral works in event time (each alert's start time), not arrival time: alerts\n"
    "may arrive out of order by up to the allowed lateness, and the same alerts in\n"
    "any such order give byte-identical output. An alert older than the newest\n"
    "start time seen minus the lateness is counted as too late and left out.\n"
    "\n"
    "Input is read as by `corral alerts`: every record corral cannot use is reported\n"
    "on standard error as FILE:LINE[:COL]: error: REASON, and the rest is still read.\n"
    "\n"
    "Options:\n"
    "  --rules FILE              add the rules of FILE to the built-in ones; a rule\n"
    "                            whose kind is built in replaces it (repeatable)\n"
    "  --no-builtin-rules        use only the --rules files, not the 24 built-in kinds\n"
    "  --shard I/N               correlate only the scopes of shard I of N (by a hash of\n"
    "                            the scope): N runs, one per shard, together give exactly\n"
    "                            the incidents of one run, since scopes never meet\n"
    "  --window DURATION         the session window of every rule, e.g. 24h, 90m, 2d\n"
    "                            (default: each rule's own, 24h for the built-ins)\n"
    "  --lateness DURATION       how late an alert may arrive (default 24h)\n"
    "  --scope-lag DURATION      how far one tenant's alerts may trail the newest of\n"
    "                            any tenant and still count (default: the lateness);\n"
    "                            each scope then keeps its own watermark\n"
    "  --max-span DURATION       the longest an incident's session may last from its\n"
    "                            first alert; later alerts start a new one (default:\n"
    "                            the rules file's max_span, 7d for the built-ins)\n"
    "  --format corral|defender|text\n"
    "                            corral's incident shape (default), Defender's\n"
    "                            alert-shaped incident with isIncident: true, or\n"
    "                            text for a person, as `corral explain` prints it\n"
    "  --stream                  write each incident every time it is created or\n"
    "                            grows (\"event\": \"update\", with a version), then once\n"
    "                            more when it is final; retractions as {\"id\",\"event\"}\n"
    "  -s, --stats               counts on standard error: alerts read, skipped by\n"
    "                            reason, incidents by kind, alerts per second\n"
    "  --progress / --no-progress  a progress bar on standard error (default: when\n"
    "                            standard error is a terminal and input is files)\n"
    "  --catalog FILE            alert-type table (default: the shipped one)\n"
    "  --max-record-size SIZE    largest record accepted (default 16M)\n"
    "  --max-document-size SIZE  largest non-NDJSON document (default 1G)\n"
    "  --max-depth N             deepest JSON nesting (default 64)\n"
    "  -q, --quiet               do not print per-record problems\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 every record was read; 1 some records were rejected (the\n"
    "incidents of the rest are still written); 2 a usage error, a bad rules file,\n"
    "or a FILE that could not be read.\n"
    "\n"
    "Examples:\n"
    "  corral correlate export-*.ndjson > incidents.ndjson\n"
    "  corral correlate --stats --rules my-rules.yaml alerts.json\n"
    "  tail -f export.ndjson | corral correlate --stream\n";

#define MAX_SKIP_KINDS 32

struct correlate_ctx {
    corral_engine *engine;
    struct corral_strbuf out;
    struct corral_report report;
    enum corral_incident_format format;
    int text; /* --format text */
    int stream;
    int write_failed;
    corral_err engine_err;
    /* Non-alert records by type, for --stats. */
    char skip_what[MAX_SKIP_KINDS][160];
    uint64_t skip_count[MAX_SKIP_KINDS];
    unsigned n_skip;
    uint64_t skip_other;
    /* Progress. */
    int progress;
    /* --shard I/N: this run owns the scopes whose hash is I modulo N. */
    uint64_t shard, shards, other_shards;
    const struct corral_ingest_stats *stats;
    off_t file_size;
    const char *file_name;
    double last_draw;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw_progress(struct correlate_ctx *ctx, int done)
{
    double now = now_seconds();
    if (!done && now - ctx->last_draw < 0.2) {
        return;
    }
    ctx->last_draw = now;
    double frac = ctx->file_size > 0 ? (double)ctx->stats->position / (double)ctx->file_size : 0;
    if (done || frac > 1) {
        frac = 1;
    }
    int width = 30, filled = (int)(frac * width);
    fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%% %llu alerts", ctx->file_name, filled,
            "##############################", width - filled, "", (int)(frac * 100),
            (unsigned long long)ctx->stats->alerts);
    if (done) {
        fputc('\n', stderr);
    }
}

static void on_alert(void *p, const struct corral_alert *alert, size_t line)
{
    (void)line;
    struct correlate_ctx *ctx = p;
    if (ctx->shards > 1 &&
        corral_hash(alert->scope, strlen(alert->scope), 0) % ctx->shards != ctx->shard) {
        ctx->other_shards++;
        return;
    }
    if (ctx->engine_err == CORRAL_OK) {
        ctx->engine_err = corral_engine_add(ctx->engine, alert);
    }
    if (ctx->progress && (ctx->stats->alerts & 1023) == 0) {
        draw_progress(ctx, 0);
    }
}

static void on_problem(void *p, const char *source, const struct corral_diag *diag, int rejected)
{
    struct correlate_ctx *ctx = p;
    if (ctx->progress && !ctx->report.quiet) {
        fputc('\n', stderr);
    }
    corral_report_problem(&ctx->report, source, diag, rejected);
}

static void on_skipped(void *p, const char *what)
{
    struct correlate_ctx *ctx = p;
    for (unsigned i = 0; i < ctx->n_skip; i++) {
        if (strcmp(ctx->skip_what[i], what) == 0) {
            ctx->skip_count[i]++;
            return;
        }
    }
    if (ctx->n_skip < MAX_SKIP_KINDS) {
        snprintf(ctx->skip_what[ctx->n_skip], sizeof(ctx->skip_what[0]), "%s", what);
        ctx->skip_count[ctx->n_skip++] = 1;
    } else {
        ctx->skip_other++;
    }
}

static void on_incident(void *p, const struct corral_incident *inc, enum corral_incident_event ev)
{
    struct correlate_ctx *ctx = p;
    corral_strbuf_clear(&ctx->out);
    if (ev == CORRAL_INC_RETRACT) {
        if (!ctx->stream) {
            return;
        }
        int first = 1;
        corral_strbuf_putc(&ctx->out, '{');
        corral_strbuf_json_key(&ctx->out, &first, "id");
        corral_strbuf_json_str(&ctx->out, inc->id, strlen(inc->id));
        corral_strbuf_json_key(&ctx->out, &first, "event");
        corral_strbuf_puts(&ctx->out, "\"retract\"}");
    } else if (ev == CORRAL_INC_UPDATE) {
        if (!ctx->stream) {
            return;
        }
        corral_incident_json(&ctx->out, inc, ctx->format, "update");
    } else if (ctx->text) {
        corral_incident_text(&ctx->out, inc);
    } else {
        corral_incident_json(&ctx->out, inc, ctx->format, ctx->stream ? "final" : NULL);
    }
    corral_strbuf_putc(&ctx->out, '\n');
    if (corral_strbuf_status(&ctx->out) != CORRAL_OK ||
        fwrite(ctx->out.data, 1, ctx->out.len, stdout) != ctx->out.len) {
        ctx->write_failed = 1;
    }
    if (ctx->stream) {
        fflush(stdout);
    }
}

static void print_stats(const struct correlate_ctx *ctx, const struct corral_ingest_stats *in,
                        const struct corral_ruleset *rules, double secs)
{
    struct corral_engine_stats es;
    corral_engine_stats(ctx->engine, &es);
    fprintf(stderr, "alerts read:       %llu (%.0f alerts/s, %.1f MB in %.3f s)\n",
            (unsigned long long)in->alerts, secs > 0 ? (double)in->alerts / secs : 0.0,
            (double)in->bytes / 1e6, secs);
    fprintf(stderr, "alerts correlated: %llu\n", (unsigned long long)es.alerts);
    if (ctx->shards > 1) {
        fprintf(stderr, "  left to other shards: %llu (this is shard %llu of %llu)\n",
                (unsigned long long)ctx->other_shards, (unsigned long long)ctx->shard,
                (unsigned long long)ctx->shards);
    }
    fprintf(stderr, "skipped:\n");
    fprintf(stderr, "  rejected (bad records):  %llu\n", (unsigned long long)in->rejected);
    fprintf(stderr, "  duplicates:              %llu\n", (unsigned long long)es.duplicates);
    fprintf(stderr, "  too late:                %llu\n", (unsigned long long)es.too_late);
    for (unsigned i = 0; i < ctx->n_skip; i++) {
        fprintf(stderr, "  not an alert (%s): %llu\n", ctx->skip_what[i],
                (unsigned long long)ctx->skip_count[i]);
    }
    if (ctx->skip_other > 0) {
        fprintf(stderr, "  not an alert (other): %llu\n", (unsigned long long)ctx->skip_other);
    }
    fprintf(stderr, "incidents:         %llu (%llu more not reported: a more specific one "
                    "holds all their alerts)\n",
            (unsigned long long)es.incidents, (unsigned long long)es.suppressed);
    for (size_t r = 0; r < rules->n_rules; r++) {
        uint64_t n = corral_engine_rule_count(ctx->engine, r);
        if (n > 0) {
            fprintf(stderr, "  %-56s %llu\n", rules->rules[r].kind, (unsigned long long)n);
        }
    }
    fprintf(stderr, "peak open alerts:  %llu\n", (unsigned long long)es.peak_open_alerts);
}

int corral_cmd_correlate(int argc, char **argv)
{
    enum {
        OPT_RULES = 256, OPT_WINDOW, OPT_LATENESS, OPT_FORMAT, OPT_STREAM, OPT_PROGRESS,
        OPT_NO_PROGRESS, OPT_NO_BUILTIN, OPT_SHARD, OPT_MAX_SPAN, OPT_SCOPE_LAG
    };
    static const struct option longopts[] = {
        {"rules", required_argument, NULL, OPT_RULES},
        {"no-builtin-rules", no_argument, NULL, OPT_NO_BUILTIN},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"lateness", required_argument, NULL, OPT_LATENESS},
        {"max-span", required_argument, NULL, OPT_MAX_SPAN},
        {"scope-lag", required_argument, NULL, OPT_SCOPE_LAG},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"stream", no_argument, NULL, OPT_STREAM},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        CORRAL_INPUT_LONGOPTS,
        {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct corral_input_opts opts;
    corral_input_opts_init(&opts);
    char *rule_files[64];
    int n_rule_files = 0;
    corral_time window = 0;
    int builtin = 1;
    unsigned long shard = 0, shards = 1;
    struct corral_engine_opts eopts = {.lateness = CORRAL_DEFAULT_LATENESS, .stream = 0};
    enum corral_incident_format format = CORRAL_FORMAT_CORRAL;
    int text = 0;
    int stats_wanted = 0, progress = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "sqh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_RULES:
            if (n_rule_files == 64) {
                fprintf(stderr, "corral correlate: at most 64 --rules files\n");
                return CORRAL_EXIT_ERROR;
            }
            rule_files[n_rule_files++] = optarg;
            break;
        case OPT_SHARD: {
            char *slash = NULL;
            shard = strtoul(optarg, &slash, 10);
            shards = (slash != NULL && *slash == '/') ? strtoul(slash + 1, NULL, 10) : 0;
            if (slash == optarg || shards == 0 || shards > 4096 || shard >= shards) {
                fprintf(stderr, "corral correlate: --shard takes I/N with 0 <= I < N <= 4096\n");
                return CORRAL_EXIT_ERROR;
            }
            break;
        }
        case OPT_NO_BUILTIN:
            builtin = 0;
            break;
        case OPT_WINDOW:
            if (corral_duration_arg("corral correlate", "--window", optarg, &window) != 0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_LATENESS:
            if (corral_duration_arg("corral correlate", "--lateness", optarg, &eopts.lateness) !=
                0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_SCOPE_LAG:
            if (corral_duration_arg("corral correlate", "--scope-lag", optarg,
                                    &eopts.scope_lag) != 0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_MAX_SPAN:
            if (corral_duration_arg("corral correlate", "--max-span", optarg, &eopts.max_span) !=
                0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "corral") == 0) {
                format = CORRAL_FORMAT_CORRAL;
            } else if (strcmp(optarg, "defender") == 0) {
                format = CORRAL_FORMAT_DEFENDER;
            } else if (strcmp(optarg, "text") == 0) {
                text = 1;
            } else {
                fprintf(stderr, "corral correlate: --format is corral, defender or text\n");
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_STREAM:
            eopts.stream = 1;
            break;
        case OPT_PROGRESS:
            progress = 1;
            break;
        case OPT_NO_PROGRESS:
            progress = 0;
            break;
        case 's':
            stats_wanted = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        default:
            if (corral_input_option(c, optarg, &opts, "corral correlate") != 0) {
                fputs("Try 'corral correlate --help'.\n", stderr);
                return CORRAL_EXIT_ERROR;
            }
            break;
        }
    }

    struct corral_ruleset *rules = corral_load_rules(rule_files, n_rule_files, window, builtin);
    if (rules == NULL) {
        return CORRAL_EXIT_ERROR;
    }
    corral_catalog *cat = corral_load_catalog(&opts);
    corral_decoder *dec = cat != NULL ? corral_decoder_new(cat, &opts.decoder) : NULL;
    struct correlate_ctx *ctx = calloc(1, sizeof(*ctx));
    if (dec == NULL || ctx == NULL) {
        if (cat != NULL) {
            fprintf(stderr, "corral correlate: out of memory\n");
        }
        free(ctx);
        corral_decoder_free(dec);
        corral_catalog_free(cat);
        corral_ruleset_free(rules);
        return CORRAL_EXIT_ERROR;
    }
    ctx->report.quiet = opts.quiet;
    ctx->shard = shard;
    ctx->shards = shards;
    ctx->format = format;
    ctx->text = text;
    ctx->stream = eopts.stream;
    if (!ctx->stream) {
        /*
         * Final incidents are often larger than stdio's buffer: one write per MiB, not
         * one or more per incident (glibc ignores the size without a buffer).
         */
        static char out_buffer[1 << 20];
        setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));
    }
    corral_strbuf_init(&ctx->out);
    struct corral_incident_sink isink = {ctx, on_incident};
    ctx->engine = corral_engine_new(rules, &eopts, &isink);
    int status = CORRAL_EXIT_OK;
    if (ctx->engine == NULL) {
        fprintf(stderr, "corral correlate: out of memory\n");
        status = CORRAL_EXIT_ERROR;
        goto out;
    }

    struct corral_decode_sink sink = {
        .ctx = ctx, .alert = on_alert, .problem = on_problem, .skipped = on_skipped};
    struct corral_ingest_stats stats;
    memset(&stats, 0, sizeof(stats));
    ctx->stats = &stats;
    const char *stdin_only[] = {"-"};
    char **files = argv + optind;
    int nfiles = argc - optind;
    if (nfiles == 0) {
        files = (char **)stdin_only;
        nfiles = 1;
    }
    int files_given = argc - optind > 0;
    if (progress < 0) {
        progress = files_given && isatty(STDERR_FILENO);
    }
    double t0 = now_seconds();
    for (int i = 0; i < nfiles && !ctx->write_failed && ctx->engine_err == CORRAL_OK; i++) {
        struct stat st;
        ctx->file_name = files[i];
        ctx->file_size = stat(files[i], &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
        ctx->progress = progress && ctx->file_size > 0;
        stats.position = 0;
        corral_err err = corral_ingest_path(files[i], &opts.reader, dec, &sink, &stats);
        if (ctx->progress) {
            draw_progress(ctx, 1);
        }
        if (err == CORRAL_ERR_IO) {
            status = CORRAL_EXIT_ERROR;
        } else if (err != CORRAL_OK) {
            fprintf(stderr, "corral correlate: %s: %s\n", files[i], corral_strerror(err));
            status = CORRAL_EXIT_ERROR;
            break;
        }
    }
    if (ctx->engine_err == CORRAL_OK) {
        ctx->engine_err = corral_engine_flush(ctx->engine);
    }
    if (ctx->engine_err != CORRAL_OK) {
        fprintf(stderr, "corral correlate: %s\n", corral_strerror(ctx->engine_err));
        status = CORRAL_EXIT_ERROR;
    }
    if (fflush(stdout) != 0 || ctx->write_failed) {
        fprintf(stderr, "corral correlate: cannot write the output\n");
        status = CORRAL_EXIT_ERROR;
    }
    if (status == CORRAL_EXIT_OK && stats.rejected > 0) {
        status = CORRAL_EXIT_REJECTED;
    }
    if (stats_wanted) {
        print_stats(ctx, &stats, rules, now_seconds() - t0);
    }
out:
    corral_engine_free(ctx->engine);
    corral_strbuf_release(&ctx->out);
    free(ctx);
    corral_decoder_free(dec);
    corral_catalog_free(cat);
    corral_ruleset_free(rules);
    return status;
}
