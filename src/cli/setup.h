/*
 * setup.h - what every subcommand needs before it reads input: where the
 * data files are, the loaded catalog, input limits from the command line,
 * and the reporting of problems as "file:line: reason" on stderr.
 */
#ifndef CORRAL_CLI_SETUP_H
#define CORRAL_CLI_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "classify/catalog.h"
#include "ingest/decode.h"
#include "ingest/reader.h"
#include "rules/rule.h"

/* Defaults for the input limits (see README, "Limits"). */
#define CORRAL_DEFAULT_MAX_RECORD (16u << 20)
#define CORRAL_DEFAULT_MAX_DOCUMENT ((size_t)1 << 30)
#define CORRAL_DEFAULT_MAX_DEPTH 64u

struct corral_input_opts {
    const char *catalog_path; /* NULL: the data directory's alert-types.tsv */
    struct corral_reader_limits reader;
    struct corral_decoder_limits decoder;
    int quiet; /* do not print per-record problems */
};

void corral_input_opts_init(struct corral_input_opts *opts);

/* getopt_long codes and table entries of the input options every reading command takes. */
enum {
    CORRAL_OPT_CATALOG = 1000,
    CORRAL_OPT_MAX_RECORD,
    CORRAL_OPT_MAX_DOCUMENT,
    CORRAL_OPT_MAX_DEPTH,
};
#define CORRAL_INPUT_LONGOPTS                                                                      \
    {"catalog", required_argument, NULL, CORRAL_OPT_CATALOG},                                      \
        {"max-record-size", required_argument, NULL, CORRAL_OPT_MAX_RECORD},                       \
        {"max-document-size", required_argument, NULL, CORRAL_OPT_MAX_DOCUMENT},                   \
        {"max-depth", required_argument, NULL, CORRAL_OPT_MAX_DEPTH},                              \
        {"quiet", no_argument, NULL, 'q'}

/*
 * Apply one of those options (code c from getopt_long, its argument arg).
 * Returns 0 when applied, -1 when c is not one of them or arg is bad (the
 * reason is printed, prefixed with prog).
 */
int corral_input_option(int c, const char *arg, struct corral_input_opts *opts, const char *prog);

/*
 * Parse a size like "16M", "512k", "1G" or "1000" into *out (bytes). 0 on
 * success, -1 when the text is not a positive size.
 */
int corral_parse_size(const char *text, size_t *out);

/*
 * The path of a shipped data file (e.g. "alert-types.tsv"): $CORRAL_DATA_DIR,
 * else data/ beside the build tree of the running executable, else the
 * installed share directory. Writes into buf; returns buf, or NULL when the
 * file is found nowhere.
 */
const char *corral_data_path(const char *name, char *buf, size_t size);

/* Load the catalog named by opts (or the shipped one); prints the reason on failure. */
corral_catalog *corral_load_catalog(const struct corral_input_opts *opts);

/*
 * The built-in rules (rules.yaml of the data directory; none when builtin is
 * 0) with each of files[0..n) merged in, every window set to `window` when it
 * is > 0. NULL, with every problem printed as file:line:col: message, on
 * failure.
 */
struct corral_ruleset *corral_load_rules(char **files, int n, corral_time window, int builtin);

/* Parse a --window/--lateness style duration; -1 (with a message naming prog and opt) if bad. */
int corral_duration_arg(const char *prog, const char *opt, const char *text, corral_time *out);

/* Counts of problems, for the exit status and --stats. */
struct corral_report {
    int quiet;
    uint64_t printed;
};

/* sink->problem for the CLI: "file:line:col: error: reason" (or warning) on stderr. */
void corral_report_problem(void *report, const char *source, const struct corral_diag *diag,
                           int rejected);

#endif
