/*
 * rules_file.h - rules files (YAML, docs/rules.md) in, compiled rule sets out.
 *
 * Correlation rules are data: the 24 built-in kinds ship as data/rules.yaml
 * and a user adds or replaces kinds with a file of their own. People write
 * these files by hand, so the loader never stops at the first problem: it
 * checks the whole file and collects every error with its line and column,
 * each message saying what was expected (and, for a misspelt name, what was
 * probably meant). A file with any error gives no rule set at all: running
 * half a rule set would hide kinds without anyone noticing.
 *
 * Untrusted input is bounded: the file size, the number of rules, the YAML
 * nesting depth, the number of YAML nodes (aliases included) and the number
 * of errors kept are all limited (the CORRAL_RULES_MAX_* values below).
 */
#ifndef CORRAL_RULES_RULES_FILE_H
#define CORRAL_RULES_RULES_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "rules/rule.h"
#include "util/error.h"

#define CORRAL_RULES_VERSION 1
#define CORRAL_RULES_MAX_FILE ((size_t)4 << 20) /* bytes */
#define CORRAL_RULES_MAX_RULES 1024u
#define CORRAL_RULES_MAX_DEPTH 64u       /* YAML nesting */
#define CORRAL_RULES_MAX_NODES 500000u   /* YAML nodes in the file */
#define CORRAL_RULES_MAX_VISITS 2000000u /* nodes read, counting each use of an alias */
#define CORRAL_RULES_MAX_ERRORS 1000u    /* kept; the rest are only counted */
#define CORRAL_RULES_MAX_WINDOW (365LL * 86400 * 10000000) /* ticks: 365 days */

/* One problem in a rules file. */
struct corral_rules_error {
    char *file;    /* the name given to the loader; owned by the list */
    size_t line;   /* 1-based; 0 when the problem is the whole file (unreadable, too large) */
    size_t col;    /* 1-based, in characters; 0 when unknown */
    char *message; /* owned by the list; no trailing newline */
};

/*
 * Every problem found, in file order (then in the order of the files loaded).
 * Zero-initialise it (or corral_rules_errors_init) and release it once;
 * several loads may add to the same list.
 */
struct corral_rules_errors {
    struct corral_rules_error *items;
    size_t count;
    size_t cap;
    size_t dropped; /* errors beyond CORRAL_RULES_MAX_ERRORS, or not kept for lack of memory */
};

void corral_rules_errors_init(struct corral_rules_errors *errs);
/* Free every error; the list is empty and reusable afterwards. NULL is a no-op. */
void corral_rules_errors_release(struct corral_rules_errors *errs);
/* Errors found, dropped ones included. */
size_t corral_rules_errors_total(const struct corral_rules_errors *errs);
/*
 * Write one line per error: "file:line:col: message" ("file: message" when
 * the line is unknown), then a count of the dropped ones if any.
 */
void corral_rules_errors_print(const struct corral_rules_errors *errs, FILE *out);

/*
 * Load and check the rules file at path. On CORRAL_OK *out is a new rule set
 * that the caller frees with corral_ruleset_free(); on any failure *out is
 * NULL and every problem found was appended to errs (which may be NULL when
 * only the verdict matters).
 *
 * Errors: CORRAL_ERR_IO (cannot read the file), CORRAL_ERR_TOO_LARGE (larger
 * than CORRAL_RULES_MAX_FILE), CORRAL_ERR_DATA (not valid YAML, or not a valid
 * rules file), CORRAL_ERR_NOMEM.
 */
corral_err corral_rules_load(const char *path, struct corral_ruleset **out,
                             struct corral_rules_errors *errs);

/*
 * The same from memory: buf[0..len) (no NUL needed) is the file's text and
 * name is what error lines and the rule set call it. Borrows both; nothing
 * of them is kept.
 */
corral_err corral_rules_load_buffer(const char *name, const char *buf, size_t len,
                                    struct corral_ruleset **out, struct corral_rules_errors *errs);

/* Free a rule set, its rules and their strings. NULL is a no-op. */
void corral_ruleset_free(struct corral_ruleset *rules);

/* The name the rule set was loaded under (a path, or load_buffer's name); never NULL. */
const char *corral_ruleset_name(const struct corral_ruleset *rules);

/*
 * Put the rules of extra (a user's file) into base (the built-ins), copying
 * them; extra is only read and stays the caller's. A rule of extra whose kind
 * is already in base replaces that rule in place (keeping its position, and
 * its number when extra's rule gives none); any other rule is added: an
 * entity rule after all of base's rules, a chain rule just before base's first
 * chain rule, so that a user's chain kinds are tried before the built-in ones.
 * base's default window is kept.
 *
 * Errors (nothing is changed): CORRAL_ERR_DATA when an added rule takes a
 * number that another kind of base has, or when the result would have more
 * than CORRAL_RULES_MAX_RULES rules (the problems are appended to errs, at
 * extra's lines); CORRAL_ERR_NOMEM.
 */
corral_err corral_rules_merge(struct corral_ruleset *base, const struct corral_ruleset *extra,
                              struct corral_rules_errors *errs);

/* The rule of that kind (slug), or NULL. Borrowed from the rule set. */
const struct corral_rule *corral_ruleset_find(const struct corral_ruleset *rules, const char *kind);

/*
 * A duration as rules files write it (docs/rules.md "Durations": "90m", "24h",
 * "2d", "3600s"; more than 0, at most 365 days) from s[0..len), in ticks.
 * 0 on success, -1 when the text is not such a duration. For command-line
 * options such as --window, so that they read what the files read.
 */
int corral_rules_parse_duration(const char *s, size_t len, corral_time *out);

/* Text forms used by messages and `corral rules list`. */
const char *corral_rule_severity_name(enum corral_severity_rule sev); /* "High", ... */
/* A window in the largest unit that divides it (days from 2d): "24h", "90m", "2d", "3601s". */
void corral_rules_format_duration(corral_time ticks, char *buf, size_t size);

#endif
