/*
 * cmd_rules.c - `corral rules`: check rules files, and show the rules in force.
 *
 * Rules are data that people write by hand, so the first tool they need is
 * a checker that points at every mistake at once (`check`, in the
 * file:line:col form editors jump to), and the second is a way to see what
 * corral will actually correlate with once a user's file is laid over the
 * built-in kinds (`list`), without reading YAML.
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/setup.h"
#include "rules/rules_file.h"
#include "util/strbuf.h"

static const char help[] =
    "usage: corral rules check FILE...\n"
    "       corral rules list [--rules FILE]\n"
    "\n"
    "Correlation rules are data: the 24 incident kinds of Microsoft Defender for\n"
    "Cloud ship as rules.yaml in corral's data directory, and a rules file of your\n"
    "own (--rules FILE) adds kinds, or replaces a built-in kind by using its name.\n"
    "The format is described in docs/rules.md.\n"
    "\n"
    "check FILE...\n"
    "    Read each rules FILE ('-' for standard input) and report every problem in\n"
    "    it, not only the first, one a line on standard error:\n"
    "        FILE:LINE:COL: MESSAGE\n"
    "    (YAML syntax, unknown keys at any level, values of the wrong type, unknown\n"
    "    signal, plan or entity names, with the likely intended one, duplicate\n"
    "    kinds or scenario numbers, bad durations, limits). A file that has no\n"
    "    problem is also checked against the built-in rules it would be laid over\n"
    "    (a new kind cannot take a built-in kind's number), and reported on\n"
    "    standard output as\n"
    "        FILE: N rules OK\n"
    "\n"
    "list [--rules FILE]\n"
    "    Print the rules in force, in the order they are tried: the built-in ones,\n"
    "    with FILE laid over them. One line per scenario: the kind's number (- for\n"
    "    a kind of your own), its name, severity, session window, and the scenario:\n"
    "    the entity its alerts share and what they must show. Machine-chain kinds\n"
    "    show how many machines the chain spans and which alerts it holds; the\n"
    "    first chain rule that fits a chain names its kind.\n"
    "\n"
    "Options:\n"
    "  --rules FILE   (list) lay FILE over the built-in rules\n"
    "  -h, --help     show this help\n"
    "\n"
    "Environment:\n"
    "  CORRAL_DATA_DIR  the directory of the built-in rules.yaml\n"
    "\n"
    "Exit status: 0 every FILE is valid (check) or the rules were listed; 1 some\n"
    "FILE has errors; 2 a usage error, a FILE or the built-in rules could not be\n"
    "read.\n"
    "\n"
    "Examples:\n"
    "  corral rules check my-rules.yaml\n"
    "  corral rules list --rules my-rules.yaml\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("corral rules: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'corral rules --help'.\n", stderr);
    va_end(ap);
    return CORRAL_EXIT_ERROR;
}

/* Exit status for a load that failed with err (errors already printed). */
static int status_of(corral_err err)
{
    return (err == CORRAL_ERR_DATA || err == CORRAL_ERR_TOO_LARGE) ? CORRAL_EXIT_REJECTED
                                                                   : CORRAL_EXIT_ERROR;
}

/* Load FILE, or standard input for "-". Errors go to errs. */
static corral_err load_file(const char *file, struct corral_ruleset **out,
                            struct corral_rules_errors *errs)
{
    if (strcmp(file, "-") != 0) {
        return corral_rules_load(file, out, errs);
    }
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0 && sb.len <= CORRAL_RULES_MAX_FILE) {
        corral_strbuf_append(&sb, chunk, got);
    }
    corral_err err = corral_strbuf_status(&sb);
    if (err == CORRAL_OK && ferror(stdin)) {
        err = CORRAL_ERR_IO;
        fprintf(stderr, "<stdin>: cannot read\n");
    }
    if (err == CORRAL_OK) {
        err =
            corral_rules_load_buffer("<stdin>", sb.data != NULL ? sb.data : "", sb.len, out, errs);
    }
    corral_strbuf_release(&sb);
    return err;
}

/* The built-in rules, or NULL with the reason printed. */
static struct corral_ruleset *load_builtins(int *status)
{
    char buf[PATH_MAX];
    const char *path = corral_data_path("rules.yaml", buf, sizeof(buf));
    if (path == NULL) {
        fprintf(stderr, "corral rules: cannot find the built-in rules.yaml (set "
                        "CORRAL_DATA_DIR)\n");
        *status = CORRAL_EXIT_ERROR;
        return NULL;
    }
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    corral_err err = corral_rules_load(path, &rs, &errs);
    if (err != CORRAL_OK) {
        corral_rules_errors_print(&errs, stderr);
        fprintf(stderr, "corral rules: the built-in rules cannot be loaded: %s\n",
                corral_strerror(err));
        *status = CORRAL_EXIT_ERROR;
    }
    corral_rules_errors_release(&errs);
    return rs;
}

static int check(int nfiles, char **files)
{
    if (nfiles < 1) {
        return usage_error("%s", "check needs at least one FILE");
    }
    int status = CORRAL_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        const char *file = files[i];
        struct corral_ruleset *rs = NULL;
        struct corral_rules_errors errs = {0};
        corral_err err = load_file(file, &rs, &errs);
        if (err == CORRAL_OK) {
            /* Also as it would be laid over the built-ins; quietly skipped when they are not found.
             */
            char buf[PATH_MAX];
            struct corral_ruleset *base = NULL;
            if (corral_data_path("rules.yaml", buf, sizeof(buf)) != NULL &&
                corral_rules_load(buf, &base, NULL) == CORRAL_OK) {
                err = corral_rules_merge(base, rs, &errs);
            }
            corral_ruleset_free(base);
        }
        corral_rules_errors_print(&errs, stderr);
        if (err == CORRAL_OK) {
            printf("%s: %zu rule%s OK\n", strcmp(file, "-") == 0 ? "<stdin>" : file, rs->n_rules,
                   rs->n_rules == 1 ? "" : "s");
        } else {
            if (err == CORRAL_ERR_NOMEM) {
                fprintf(stderr, "corral rules: %s: %s\n", file, corral_strerror(err));
            }
            int s = status_of(err);
            status = s > status ? s : status;
        }
        corral_rules_errors_release(&errs);
        corral_ruleset_free(rs);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "corral rules: cannot write the output\n");
        status = CORRAL_EXIT_ERROR;
    }
    return status;
}

/* ---- list ---- */

static void names_of(struct corral_strbuf *sb, uint32_t mask, unsigned count,
                     const char *(*name)(unsigned), const char *sep)
{
    int first = 1;
    for (unsigned i = 0; i < count; i++) {
        if (mask & (1u << i)) {
            corral_strbuf_printf(sb, "%s%s", first ? "" : sep, name(i));
            first = 0;
        }
    }
}

static const char *signal_name(unsigned i)
{
    return corral_signal_name((enum corral_signal)(1u << i));
}

static const char *plan_name(unsigned i)
{
    return corral_plan_name((enum corral_plan)i);
}

static const char *entity_name(unsigned i)
{
    return corral_entity_type_name((enum corral_entity_type)i);
}

/* "crypto_mining alert", "KeyVault-plan alert naming user", "alert of another plan". */
static void cond_text(struct corral_strbuf *sb, const struct corral_cond *c)
{
    if (c->signals != 0) {
        names_of(sb, c->signals, CORRAL_SIG_COUNT, signal_name, "|");
        corral_strbuf_putc(sb, ' ');
    }
    if (c->plans != 0) {
        names_of(sb, c->plans, CORRAL_PLAN_COUNT, plan_name, "|");
        corral_strbuf_puts(sb, "-plan ");
    }
    corral_strbuf_puts(sb, "alert");
    if (c->other_plan) {
        corral_strbuf_puts(sb, " of another plan");
    }
    if (c->entity_types != 0) {
        corral_strbuf_puts(sb, " naming ");
        names_of(sb, c->entity_types, CORRAL_ENT_COUNT, entity_name, "|");
    }
}

static void scenario_text(struct corral_strbuf *sb, const struct corral_scenario *sc)
{
    corral_strbuf_printf(sb, "S%u ", sc->number);
    names_of(sb, sc->entity_types, CORRAL_ENT_COUNT, entity_name, " or ");
    corral_strbuf_puts(sb, ": ");
    for (unsigned i = 0; i < sc->n_require; i++) {
        corral_strbuf_puts(sb, "1+ ");
        cond_text(sb, &sc->require[i]);
        corral_strbuf_puts(sb, "; ");
    }
    if (sc->has_following) {
        cond_text(sb, &sc->then);
        corral_strbuf_puts(sb, " following ");
        cond_text(sb, &sc->first);
        corral_strbuf_puts(sb, "; ");
    }
    corral_strbuf_printf(sb, "%u+ alerts", sc->min_alerts);
    if (sc->min_plans > 1) {
        corral_strbuf_printf(sb, " from %u+ plans", sc->min_plans);
    }
    if (sc->min_vms > 0) {
        corral_strbuf_printf(sb, ", on %u+ vms", sc->min_vms);
    }
}

/* The first tactic of a kill-chain stage: 2 -> "Persistence". */
static const char *stage_name(int stage)
{
    for (unsigned t = 0; t < CORRAL_TAC_COUNT; t++) {
        if ((int)corral_tactic_stage((enum corral_tactic)t) == stage) {
            return corral_tactic_name((enum corral_tactic)t);
        }
    }
    return "?";
}

static void chain_text(struct corral_strbuf *sb, const struct corral_chain_cond *ch)
{
    corral_strbuf_puts(sb, "machine chain on ");
    if (ch->max_vms == ch->min_vms) {
        corral_strbuf_printf(sb, "%u vm%s", ch->min_vms, ch->min_vms == 1 ? "" : "s");
    } else if (ch->max_vms == 0) {
        corral_strbuf_printf(sb, "%u+ vms", ch->min_vms);
    } else {
        corral_strbuf_printf(sb, "%u to %u vms", ch->min_vms, ch->max_vms);
    }
    switch (ch->with) {
    case CORRAL_CHAIN_BOTNET:
        corral_strbuf_puts(sb, ", with a botnet alert");
        break;
    case CORRAL_CHAIN_OUTGOING:
        corral_strbuf_puts(sb, ", with an outgoing alert (and no botnet)");
        break;
    case CORRAL_CHAIN_NEITHER:
        corral_strbuf_puts(sb, ", with no botnet or outgoing alert");
        break;
    case CORRAL_CHAIN_ANY:
        corral_strbuf_puts(sb, ", any alerts");
        break;
    }
    if (ch->min_stage >= 0) {
        corral_strbuf_printf(sb, ", reaching stage %d (%s)", ch->min_stage,
                             stage_name(ch->min_stage));
    }
}

static int print_table(const struct corral_ruleset *rs)
{
    size_t kw = 4;
    for (size_t i = 0; i < rs->n_rules; i++) {
        size_t n = strlen(rs->rules[i].kind);
        kw = n > kw ? n : kw;
    }
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    printf(" #  %-*s  %-11s  %-6s  %s\n", (int)kw, "KIND", "SEVERITY", "WINDOW", "SCENARIO");
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct corral_rule *r = &rs->rules[i];
        char num[16];
        char window[32];
        if (r->number != 0) {
            snprintf(num, sizeof(num), "%2u", r->number);
        } else {
            snprintf(num, sizeof(num), " -");
        }
        unsigned lines = r->is_chain ? 1 : r->n_scenarios;
        for (unsigned s = 0; s < lines; s++) {
            corral_strbuf_clear(&sb);
            if (r->is_chain) {
                chain_text(&sb, &r->chain);
                corral_rules_format_duration(r->chain.window, window, sizeof(window));
            } else {
                scenario_text(&sb, &r->scenarios[s]);
                corral_rules_format_duration(r->scenarios[s].window, window, sizeof(window));
            }
            if (corral_strbuf_status(&sb) != CORRAL_OK) {
                corral_strbuf_release(&sb);
                fprintf(stderr, "corral rules: out of memory\n");
                return CORRAL_EXIT_ERROR;
            }
            if (s == 0) {
                printf("%s  %-*s  %-11s  %-6s  %s\n", num, (int)kw, r->kind,
                       corral_rule_severity_name(r->severity), window, sb.data);
            } else {
                printf("%2s  %-*s  %-11s  %-6s  %s\n", "", (int)kw, "", "", window, sb.data);
            }
        }
    }
    corral_strbuf_release(&sb);
    char span[32];
    corral_rules_format_duration(rs->max_span, span, sizeof(span));
    printf("\nA session lasts at most %s from its first alert (max_span); machine components never\n"
           "cross a cell of %s counted from 1970-01-01 00:00 UTC.\n",
           span, span);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "corral rules: cannot write the output\n");
        return CORRAL_EXIT_ERROR;
    }
    return CORRAL_EXIT_OK;
}

static int list(int argc, char **argv)
{
    enum { OPT_RULES = 256 };
    static const struct option longopts[] = {
        {"rules", required_argument, NULL, OPT_RULES},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *user_file = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_RULES:
            if (user_file != NULL) {
                return usage_error("%s", "--rules is given once");
            }
            user_file = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        default:
            fputs("Try 'corral rules --help'.\n", stderr);
            return CORRAL_EXIT_ERROR;
        }
    }
    if (optind < argc) {
        return usage_error("list takes no argument '%s' (use --rules FILE)", argv[optind]);
    }
    int status = CORRAL_EXIT_OK;
    struct corral_ruleset *rs = load_builtins(&status);
    if (rs == NULL) {
        return status;
    }
    if (user_file != NULL) {
        struct corral_ruleset *user = NULL;
        struct corral_rules_errors errs = {0};
        corral_err err = load_file(user_file, &user, &errs);
        if (err == CORRAL_OK) {
            err = corral_rules_merge(rs, user, &errs);
        }
        corral_rules_errors_print(&errs, stderr);
        corral_rules_errors_release(&errs);
        corral_ruleset_free(user);
        if (err != CORRAL_OK) {
            if (err == CORRAL_ERR_NOMEM) {
                fprintf(stderr, "corral rules: %s\n", corral_strerror(err));
            }
            corral_ruleset_free(rs);
            return status_of(err);
        }
    }
    status = print_table(rs);
    corral_ruleset_free(rs);
    return status;
}

int corral_cmd_rules(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help, stderr);
        return CORRAL_EXIT_ERROR;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        fputs(help, stdout);
        return CORRAL_EXIT_OK;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            break;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        }
    }
    if (strcmp(sub, "check") == 0) {
        int first = 2;
        if (first < argc && strcmp(argv[first], "--") == 0) { /* check -- -odd-name.yaml */
            first++;
        } else if (first < argc && argv[first][0] == '-' && argv[first][1] != '\0') {
            return usage_error("check has no option '%s'", argv[first]);
        }
        return check(argc - first, argv + first);
    }
    if (strcmp(sub, "list") == 0) {
        return list(argc - 1, argv + 1);
    }
    return usage_error("unknown subcommand '%s' (check or list)", sub);
}
