/*
 * cmd_explain.c - `corral explain ID FILE...`: one incident, in words.
 *
 * Correlates the files exactly as `corral correlate` does, keeps the incident
 * whose id starts with ID, and prints it for a person: what fired, on which
 * entity, and for every member alert when it started, what it is, and the link
 * that tied it in, so that an analyst can check the incident by eye.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/setup.h"
#include "engine/engine.h"
#include "ingest/pipeline.h"
#include "model/incident_json.h"
#include "model/incident_text.h"
#include "rules/rules_file.h"
#include "util/strbuf.h"

static const char help[] =
    "usage: corral explain [OPTIONS] ID FILE...\n"
    "\n"
    "Correlate the alerts in the FILEs as `corral correlate` does and explain the\n"
    "incident whose id is ID (or starts with ID, when only one does): the rule that\n"
    "fired and the shared entity, then every member alert in time order with its\n"
    "type, plan, severity, and the link that tied it in: the shared entity, the\n"
    "ordered pair of a `following` rule, the requirement it met, or the kill-chain\n"
    "stage it takes in a machine chain. Alerts marked \"rule\" satisfied the rule;\n"
    "those marked \"context\" share the entity within the session.\n"
    "\n"
    "Options: --rules FILE, --no-builtin-rules, --window DURATION, --lateness\n"
    "DURATION, --max-span DURATION, --catalog FILE, --max-record-size SIZE,\n"
    "--max-document-size SIZE, --max-depth N and -q, as for `corral correlate`;\n"
    "-h, --help shows this help.\n"
    "\n"
    "Exit status: 0 the incident was found and explained; 1 no incident (or more\n"
    "than one) has that id; 2 a usage error, a bad rules file, or an unreadable FILE.\n";

struct explain_ctx {
    const char *want;
    size_t want_len;
    struct corral_strbuf text;
    unsigned matches;
    struct corral_report report;
    corral_engine *engine;
};

static void on_incident(void *p, const struct corral_incident *inc, enum corral_incident_event ev)
{
    struct explain_ctx *ctx = p;
    if (ev != CORRAL_INC_FINAL || strncmp(inc->id, ctx->want, ctx->want_len) != 0) {
        return;
    }
    if (++ctx->matches == 1) {
        corral_incident_text(&ctx->text, inc);
    }
}

static void on_alert(void *p, const struct corral_alert *alert, size_t line)
{
    (void)line;
    struct explain_ctx *ctx = p;
    corral_engine_add(ctx->engine, alert);
}

static void on_problem(void *p, const char *source, const struct corral_diag *diag, int rejected)
{
    struct explain_ctx *ctx = p;
    corral_report_problem(&ctx->report, source, diag, rejected);
}

int corral_cmd_explain(int argc, char **argv)
{
    enum { OPT_RULES = 256, OPT_WINDOW, OPT_LATENESS, OPT_NO_BUILTIN, OPT_MAX_SPAN };
    static const struct option longopts[] = {
        {"rules", required_argument, NULL, OPT_RULES},
        {"no-builtin-rules", no_argument, NULL, OPT_NO_BUILTIN},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"lateness", required_argument, NULL, OPT_LATENESS},
        {"max-span", required_argument, NULL, OPT_MAX_SPAN},
        CORRAL_INPUT_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct corral_input_opts opts;
    corral_input_opts_init(&opts);
    char *rule_files[64];
    int n_rule_files = 0;
    corral_time window = 0;
    int builtin = 1;
    struct corral_engine_opts eopts = {.lateness = CORRAL_DEFAULT_LATENESS};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        }
        int bad = 0;
        if (c == OPT_RULES) {
            bad = n_rule_files == 64;
            if (!bad) {
                rule_files[n_rule_files++] = optarg;
            }
        } else if (c == OPT_NO_BUILTIN) {
            builtin = 0;
        } else if (c == OPT_WINDOW) {
            bad = corral_duration_arg("corral explain", "--window", optarg, &window) != 0;
        } else if (c == OPT_LATENESS) {
            bad = corral_duration_arg("corral explain", "--lateness", optarg, &eopts.lateness) != 0;
        } else if (c == OPT_MAX_SPAN) {
            bad = corral_duration_arg("corral explain", "--max-span", optarg, &eopts.max_span) != 0;
        } else {
            bad = corral_input_option(c, optarg, &opts, "corral explain") != 0;
        }
        if (bad) {
            fputs("Try 'corral explain --help'.\n", stderr);
            return CORRAL_EXIT_ERROR;
        }
    }
    if (argc - optind < 2) {
        fputs(help, stderr);
        return CORRAL_EXIT_ERROR;
    }
    struct explain_ctx ctx = {.want = argv[optind], .want_len = strlen(argv[optind])};
    ctx.report.quiet = opts.quiet;
    corral_strbuf_init(&ctx.text);
    struct corral_ruleset *rules = corral_load_rules(rule_files, n_rule_files, window, builtin);
    corral_catalog *cat = rules != NULL ? corral_load_catalog(&opts) : NULL;
    corral_decoder *dec = cat != NULL ? corral_decoder_new(cat, &opts.decoder) : NULL;
    struct corral_incident_sink isink = {&ctx, on_incident};
    ctx.engine = dec != NULL ? corral_engine_new(rules, &eopts, &isink) : NULL;
    int status = CORRAL_EXIT_ERROR;
    if (ctx.engine != NULL) {
        struct corral_decode_sink sink = {&ctx, on_alert, on_problem, NULL};
        status = CORRAL_EXIT_OK;
        for (int i = optind + 1; i < argc; i++) {
            if (corral_ingest_path(argv[i], &opts.reader, dec, &sink, NULL) != CORRAL_OK) {
                status = CORRAL_EXIT_ERROR;
            }
        }
        if (corral_engine_flush(ctx.engine) != CORRAL_OK) {
            fprintf(stderr, "corral explain: out of memory\n");
            status = CORRAL_EXIT_ERROR;
        }
    }
    if (status == CORRAL_EXIT_OK) {
        if (ctx.matches == 1) {
            fwrite(ctx.text.data, 1, ctx.text.len, stdout);
        } else {
            fprintf(stderr, "corral explain: %s incident has an id starting with '%s'\n",
                    ctx.matches == 0 ? "no" : "more than one", ctx.want);
            status = CORRAL_EXIT_REJECTED;
        }
    }
    corral_engine_free(ctx.engine);
    corral_decoder_free(dec);
    corral_catalog_free(cat);
    corral_ruleset_free(rules);
    corral_strbuf_release(&ctx.text);
    return status;
}
