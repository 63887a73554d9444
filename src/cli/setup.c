/*
 * setup.c - shared start-up of the subcommands: data files, catalog, limits,
 * and how problems are shown to the user.
 */
#include "cli/setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/rules_file.h"

void corral_input_opts_init(struct corral_input_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->reader.max_record = CORRAL_DEFAULT_MAX_RECORD;
    opts->reader.max_document = CORRAL_DEFAULT_MAX_DOCUMENT;
    opts->decoder.max_record = CORRAL_DEFAULT_MAX_RECORD;
    opts->decoder.max_depth = CORRAL_DEFAULT_MAX_DEPTH;
}

int corral_parse_size(const char *text, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || text[0] == '-' || v == 0) {
        return -1;
    }
    unsigned shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        return -1;
    }
    if (*end != '\0' || v > (SIZE_MAX >> shift)) {
        return -1;
    }
    *out = (size_t)(v << shift);
    return 0;
}

int corral_input_option(int c, const char *arg, struct corral_input_opts *opts, const char *prog)
{
    size_t size = 0;
    switch (c) {
    case CORRAL_OPT_CATALOG:
        opts->catalog_path = arg;
        return 0;
    case CORRAL_OPT_MAX_RECORD:
        if (corral_parse_size(arg, &size) != 0) {
            fprintf(stderr, "%s: bad --max-record-size '%s' (examples: 512K, 16M)\n", prog, arg);
            return -1;
        }
        opts->reader.max_record = size;
        opts->decoder.max_record = size;
        return 0;
    case CORRAL_OPT_MAX_DOCUMENT:
        if (corral_parse_size(arg, &size) != 0) {
            fprintf(stderr, "%s: bad --max-document-size '%s' (examples: 64M, 1G)\n", prog, arg);
            return -1;
        }
        opts->reader.max_document = size;
        return 0;
    case CORRAL_OPT_MAX_DEPTH: {
        char *end = NULL;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end != '\0' || v < 2 || v > 1024) {
            fprintf(stderr, "%s: --max-depth takes a number from 2 to 1024\n", prog);
            return -1;
        }
        opts->decoder.max_depth = (unsigned)v;
        return 0;
    }
    case 'q':
        opts->quiet = 1;
        return 0;
    default:
        return -1;
    }
}

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

const char *corral_data_path(const char *name, char *buf, size_t size)
{
    const char *env = getenv("CORRAL_DATA_DIR");
    if (env != NULL && env[0] != '\0') {
        snprintf(buf, size, "%s/%s", env, name);
        return readable(buf) ? buf : NULL;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            /* build/corral in a source tree, then bin/corral of an installation. */
            const char *rel[] = {"/../data/", "/../share/corral/"};
            for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
                snprintf(buf, size, "%s%s%s", exe, rel[i], name);
                if (readable(buf)) {
                    return buf;
                }
            }
        }
    }
    snprintf(buf, size, "%s/%s", CORRAL_DATADIR, name);
    return readable(buf) ? buf : NULL;
}

corral_catalog *corral_load_catalog(const struct corral_input_opts *opts)
{
    char buf[PATH_MAX];
    const char *path = opts->catalog_path;
    if (path == NULL) {
        path = corral_data_path("alert-types.tsv", buf, sizeof(buf));
        if (path == NULL) {
            fprintf(stderr,
                    "corral: cannot find alert-types.tsv (set CORRAL_DATA_DIR or use --catalog)\n");
            return NULL;
        }
    }
    corral_catalog *cat = NULL;
    struct corral_diag diag = {0};
    if (corral_catalog_load(path, &cat, &diag) != CORRAL_OK) {
        fprintf(stderr, "%s:%zu:%zu: error: %s\n", path, diag.line, diag.col, diag.msg);
        return NULL;
    }
    return cat;
}

void corral_report_problem(void *report, const char *source, const struct corral_diag *diag,
                           int rejected)
{
    struct corral_report *r = report;
    if (r->quiet) {
        return;
    }
    r->printed++;
    const char *level = rejected ? "error" : "warning";
    if (diag->line == 0) {
        fprintf(stderr, "%s: %s: %s\n", source, level, diag->msg);
    } else if (diag->col == 0) {
        fprintf(stderr, "%s:%zu: %s: %s\n", source, diag->line, level, diag->msg);
    } else {
        fprintf(stderr, "%s:%zu:%zu: %s: %s\n", source, diag->line, diag->col, level, diag->msg);
    }
}

static void set_window(struct corral_ruleset *rules, corral_time w)
{
    rules->default_window = w;
    for (size_t r = 0; r < rules->n_rules; r++) {
        rules->rules[r].chain.window = w;
        for (unsigned s = 0; s < rules->rules[r].n_scenarios; s++) {
            rules->rules[r].scenarios[s].window = w;
        }
    }
}

struct corral_ruleset *corral_load_rules(char **files, int n, corral_time window, int builtin)
{
    static const char no_rules[] = "version: 1\nrules: []\n";
    char buf[4096];
    const char *path = builtin ? corral_data_path("rules.yaml", buf, sizeof(buf)) : NULL;
    if (builtin && path == NULL) {
        fprintf(stderr, "corral: cannot find rules.yaml (set CORRAL_DATA_DIR)\n");
        return NULL;
    }
    struct corral_rules_errors errs;
    corral_rules_errors_init(&errs);
    struct corral_ruleset *rules = NULL;
    corral_err err = builtin ? corral_rules_load(path, &rules, &errs)
                             : corral_rules_load_buffer("(no built-in rules)", no_rules,
                                                        sizeof(no_rules) - 1, &rules, &errs);
    if (err != CORRAL_OK) {
        corral_rules_errors_print(&errs, stderr);
        corral_rules_errors_release(&errs);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        struct corral_ruleset *extra = NULL;
        if (corral_rules_load(files[i], &extra, &errs) != CORRAL_OK ||
            corral_rules_merge(rules, extra, &errs) != CORRAL_OK) {
            corral_rules_errors_print(&errs, stderr);
            corral_rules_errors_release(&errs);
            corral_ruleset_free(extra);
            corral_ruleset_free(rules);
            return NULL;
        }
        corral_ruleset_free(extra);
    }
    corral_rules_errors_release(&errs);
    if (window > 0) {
        set_window(rules, window);
    }
    return rules;
}

int corral_duration_arg(const char *prog, const char *opt, const char *text, corral_time *out)
{
    if (corral_rules_parse_duration(text, strlen(text), out) != 0) {
        fprintf(stderr, "%s: bad %s '%s' (examples: 90m, 24h, 2d, 3600s)\n", prog, opt, text);
        return -1;
    }
    return 0;
}
