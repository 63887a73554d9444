/*
 * cmd_alerts.c - `corral alerts`: decode and print every alert, normalized.
 *
 * The inspection tool: when an alert did or did not correlate, this shows
 * what corral understood of it (scope, plan, signals, stages, entity keys)
 * and, on stderr, one "file:line: reason" line for every record it could not
 * use. Good records around a bad one are always printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/setup.h"
#include "ingest/pipeline.h"
#include "model/alert_json.h"
#include "util/strbuf.h"

static const char help[] =
    "usage: corral alerts [OPTIONS] [FILE...]\n"
    "\n"
    "Decode the security alerts in each FILE (standard input when there is no FILE,\n"
    "or for '-') and print each one, normalized, as one line of JSON on standard\n"
    "output: its systemAlertId, alert type, display name, input shape, scope, plan,\n"
    "signals, tactics, kill-chain stages, severity, status, times and entity keys,\n"
    "followed by \"source\": \"FILE:LINE\".\n"
    "\n"
    "Input may be NDJSON (one alert a line), a JSON array, a REST list\n"
    "({\"value\": [...]}), a Swagger example, one object, or pretty-printed objects one\n"
    "after another, in any of the three alert shapes: the Defender for Cloud REST API\n"
    "(camelCase, or the flat form of `az security alert list`), continuous export\n"
    "(PascalCase, with $id/$ref), and Sentinel SecurityAlert rows (JSON in strings).\n"
    "Records that are valid but not alerts (assessments, secure scores, regulatory\n"
    "compliance) are skipped and counted.\n"
    "\n"
    "Every record corral cannot use is reported on standard error as\n"
    "FILE:LINE[:COL]: error: REASON and skipped; warnings about alerts that are still\n"
    "printed read FILE:LINE: warning: REASON.\n"
    "\n"
    "Options:\n"
    "  --catalog FILE            alert-type table to classify with (default: the\n"
    "                            shipped alert-types.tsv)\n"
    "  --max-record-size SIZE    largest record accepted, e.g. 16M (default 16M)\n"
    "  --max-document-size SIZE  largest non-NDJSON document, e.g. 1G (default 1G)\n"
    "  --max-depth N             deepest JSON nesting accepted (default 64)\n"
    "  -q, --quiet               do not print per-record problems\n"
    "  -s, --stats               print counts and throughput on standard error\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 every record was read; 1 some records were rejected; 2 a usage\n"
    "error, or a FILE could not be read.\n"
    "\n"
    "Example:\n"
    "  corral alerts export-2026-11-*.ndjson | jq 'select(.plan == \"KeyVault\")'\n";

struct alerts_ctx {
    struct corral_strbuf out;
    struct corral_report report;
    const char *source;
    int write_failed;
};

static void on_alert(void *p, const struct corral_alert *alert, size_t line)
{
    struct alerts_ctx *ctx = p;
    corral_strbuf_clear(&ctx->out);
    corral_alert_json(&ctx->out, alert, ctx->source, line);
    corral_strbuf_putc(&ctx->out, '\n');
    if (corral_strbuf_status(&ctx->out) != CORRAL_OK ||
        fwrite(ctx->out.data, 1, ctx->out.len, stdout) != ctx->out.len) {
        ctx->write_failed = 1;
    }
}

static void on_problem(void *p, const char *source, const struct corral_diag *diag, int rejected)
{
    struct alerts_ctx *ctx = p;
    corral_report_problem(&ctx->report, source, diag, rejected);
}

static void on_skipped(void *p, const char *what)
{
    (void)p;
    (void)what;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int corral_cmd_alerts(int argc, char **argv)
{
    static const struct option longopts[] = {
        CORRAL_INPUT_LONGOPTS,
        {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct corral_input_opts opts;
    corral_input_opts_init(&opts);
    int stats_wanted = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qsh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            stats_wanted = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        default:
            if (corral_input_option(c, optarg, &opts, "corral alerts") != 0) {
                fputs("Try 'corral alerts --help'.\n", stderr);
                return CORRAL_EXIT_ERROR;
            }
            break;
        }
    }

    corral_catalog *cat = corral_load_catalog(&opts);
    if (cat == NULL) {
        return CORRAL_EXIT_ERROR;
    }
    corral_decoder *dec = corral_decoder_new(cat, &opts.decoder);
    if (dec == NULL) {
        corral_catalog_free(cat);
        fprintf(stderr, "corral alerts: out of memory\n");
        return CORRAL_EXIT_ERROR;
    }

    struct alerts_ctx ctx = {.report = {.quiet = opts.quiet}};
    corral_strbuf_init(&ctx.out);
    struct corral_decode_sink sink = {
        .ctx = &ctx, .alert = on_alert, .problem = on_problem, .skipped = on_skipped};
    struct corral_ingest_stats stats = {0};
    int status = CORRAL_EXIT_OK;
    double t0 = now_seconds();

    const char *stdin_only[] = {"-"};
    char **files = argv + optind;
    int nfiles = argc - optind;
    if (nfiles == 0) {
        files = (char **)stdin_only;
        nfiles = 1;
    }
    for (int i = 0; i < nfiles && !ctx.write_failed; i++) {
        ctx.source = strcmp(files[i], "-") == 0 ? "<stdin>" : files[i];
        corral_err err = corral_ingest_path(files[i], &opts.reader, dec, &sink, &stats);
        if (err == CORRAL_ERR_IO) {
            status = CORRAL_EXIT_ERROR;
        } else if (err != CORRAL_OK) {
            fprintf(stderr, "corral alerts: %s: %s\n", ctx.source, corral_strerror(err));
            status = CORRAL_EXIT_ERROR;
            break;
        }
    }
    if (fflush(stdout) != 0 || ctx.write_failed) {
        fprintf(stderr, "corral alerts: cannot write the output\n");
        status = CORRAL_EXIT_ERROR;
    }
    if (status == CORRAL_EXIT_OK && stats.rejected > 0) {
        status = CORRAL_EXIT_REJECTED;
    }
    if (stats_wanted) {
        double secs = now_seconds() - t0;
        fprintf(stderr,
                "alerts %llu, rejected %llu, warnings %llu, skipped non-alerts %llu, "
                "records %llu, %.1f MB in %.3f s (%.0f alerts/s)\n",
                (unsigned long long)stats.alerts, (unsigned long long)stats.rejected,
                (unsigned long long)stats.warnings, (unsigned long long)stats.skipped,
                (unsigned long long)stats.records, (double)stats.bytes / 1e6, secs,
                secs > 0 ? (double)stats.alerts / secs : 0.0);
    }
    corral_strbuf_release(&ctx.out);
    corral_decoder_free(dec);
    corral_catalog_free(cat);
    return status;
}
