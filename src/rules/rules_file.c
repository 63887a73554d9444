/*
 * rules_file.c - the rules file loader: YAML text in, a checked rule set out.
 *
 * Two passes over the text. The first streams libyaml events only to enforce
 * the limits that protect the second (nesting depth, node count, one
 * document) and to report a YAML syntax error at its line and column. The
 * second loads the document tree, which keeps every node's position, and
 * walks it against the schema of docs/rules.md. The walk never stops at a
 * problem: it reports it where it is, carries on with a default, and the
 * verdict comes at the end, so one run of `corral rules check` shows the
 * user everything there is to fix.
 *
 * Aliases share nodes in the tree, so a walk could visit far more nodes than
 * the file holds (the "billion laughs"); the walk counts what it visits and
 * stops at CORRAL_RULES_MAX_VISITS. All strings are copied into an arena that
 * the rule set owns; the libyaml document is gone when the loader returns.
 */
#include "rules/rules_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "classify/signals.h"
#include "engine/engine.h"
#include "util/arena.h"

#define DEFAULT_SPECIFICITY 2u
#define MAX_TITLE 256u /* bytes */
#define MAX_DESCRIPTION 4096u
#define MAX_KIND 64u
#define MAX_COUNT 1000LL /* min_alerts, min_vms, chain vms */
/* What a scenario's alerts can share; domain, filehash and url only tie machines into chains. */
#define SHARED_ENTITY_TYPES                                                                        \
    ((1u << CORRAL_ENT_USER) | (1u << CORRAL_ENT_SERVICE_PRINCIPAL) | (1u << CORRAL_ENT_IP) |      \
     (1u << CORRAL_ENT_RESOURCE) | (1u << CORRAL_ENT_VM) | (1u << CORRAL_ENT_CLUSTER) |            \
     (1u << CORRAL_ENT_PROCESS) | (1u << CORRAL_ENT_PROCESS_IMAGE))
#define ALL_ENTITY_TYPES ((1u << CORRAL_ENT_COUNT) - 1u)

/* Where each rule of a set was written, beyond rule->line: for messages of a later merge. */
struct rule_meta {
    size_t number_line, number_col; /* of the `number` value; 0 when absent */
};

/* What ruleset->owner points at. */
struct rules_store {
    corral_arena *arena;    /* every string of every rule */
    const char *name;       /* in the arena */
    struct rule_meta *meta; /* parallel to ruleset->rules (malloc) */
};

struct loader {
    const char *name;
    struct corral_rules_errors *errs; /* may be NULL */
    size_t found;                     /* errors found by this load */
    size_t first_error;               /* index in errs of this load's first error */
    bool nomem;
    bool stopped; /* a limit was hit: the walk winds down */
    size_t visits;
    yaml_document_t *doc;
    corral_arena *arena;
    corral_time window;   /* the file's default window */
    corral_time max_span; /* the longest a session may last, from its first alert */
    struct corral_rule *rules;
    struct rule_meta *meta;
    size_t n_rules, cap_rules;
};

/* ---- the error list ---- */

void corral_rules_errors_init(struct corral_rules_errors *errs)
{
    if (errs != NULL) {
        memset(errs, 0, sizeof(*errs));
    }
}

void corral_rules_errors_release(struct corral_rules_errors *errs)
{
    if (errs == NULL) {
        return;
    }
    for (size_t i = 0; i < errs->count; i++) {
        free(errs->items[i].file);
        free(errs->items[i].message);
    }
    free(errs->items);
    memset(errs, 0, sizeof(*errs));
}

size_t corral_rules_errors_total(const struct corral_rules_errors *errs)
{
    return errs == NULL ? 0 : errs->count + errs->dropped;
}

void corral_rules_errors_print(const struct corral_rules_errors *errs, FILE *out)
{
    if (errs == NULL) {
        return;
    }
    for (size_t i = 0; i < errs->count; i++) {
        const struct corral_rules_error *e = &errs->items[i];
        if (e->line == 0) {
            fprintf(out, "%s: %s\n", e->file, e->message);
        } else if (e->col == 0) {
            fprintf(out, "%s:%zu: %s\n", e->file, e->line, e->message);
        } else {
            fprintf(out, "%s:%zu:%zu: %s\n", e->file, e->line, e->col, e->message);
        }
    }
    if (errs->dropped > 0) {
        fprintf(out, "(%zu more error%s not shown)\n", errs->dropped,
                errs->dropped == 1 ? "" : "s");
    }
}

static void errors_add(struct corral_rules_errors *errs, const char *file, size_t line, size_t col,
                       const char *message)
{
    if (errs == NULL) {
        return;
    }
    if (errs->count >= CORRAL_RULES_MAX_ERRORS) {
        errs->dropped++;
        return;
    }
    if (errs->count == errs->cap) {
        size_t cap = errs->cap == 0 ? 16 : errs->cap * 2;
        struct corral_rules_error *items = realloc(errs->items, cap * sizeof(*items));
        if (items == NULL) {
            errs->dropped++;
            return;
        }
        errs->items = items;
        errs->cap = cap;
    }
    char *f = strdup(file);
    char *m = strdup(message);
    if (f == NULL || m == NULL) {
        free(f);
        free(m);
        errs->dropped++;
        return;
    }
    struct corral_rules_error *e = &errs->items[errs->count++];
    e->file = f;
    e->line = line;
    e->col = col;
    e->message = m;
}

/* Stable sort of items[from..count) by (line, col): file order, whatever order the walk found them.
 */
static void errors_sort(struct corral_rules_errors *errs, size_t from)
{
    if (errs == NULL) {
        return;
    }
    for (size_t i = from + 1; i < errs->count; i++) {
        struct corral_rules_error e = errs->items[i];
        size_t j = i;
        while (j > from &&
               (errs->items[j - 1].line > e.line ||
                (errs->items[j - 1].line == e.line && errs->items[j - 1].col > e.col))) {
            errs->items[j] = errs->items[j - 1];
            j--;
        }
        errs->items[j] = e;
    }
}

static void report_at(struct loader *L, size_t line, size_t col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void report_at(struct loader *L, size_t line, size_t col, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    L->found++;
    errors_add(L->errs, L->name, line, col, msg);
}

static void fail_pos(struct loader *L, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_pos(struct loader *L, size_t line, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_at(L, line, col, fmt, ap);
    va_end(ap);
}

static size_t node_line(const yaml_node_t *n)
{
    return n->start_mark.line + 1;
}

static size_t node_col(const yaml_node_t *n)
{
    return n->start_mark.column + 1;
}

/* An error at node n (libyaml marks are 0-based). */
static void fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_at(L, node_line(n), node_col(n), fmt, ap);
    va_end(ap);
}

/* ---- names and suggestions ---- */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool equal_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (n != len) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != lower(word[i])) {
            return false;
        }
    }
    return true;
}

/*
 * Optimal-string-alignment distance (edits, and swaps of neighbours),
 * ignoring case and treating '-', '_' and ' ' alike; SIZE_MAX when either
 * word is too long to be worth comparing.
 */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
    enum { MAXW = 48 };
    size_t lb = strlen(b);
    if (la > MAXW || lb > MAXW) {
        return SIZE_MAX;
    }
    char x[MAXW], y[MAXW];
    for (size_t i = 0; i < la; i++) {
        x[i] = (a[i] == '-' || a[i] == ' ') ? '_' : lower(a[i]);
    }
    for (size_t j = 0; j < lb; j++) {
        y[j] = (b[j] == '-' || b[j] == ' ') ? '_' : lower(b[j]);
    }
    size_t d[MAXW + 1][MAXW + 1];
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < best) {
                best = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* The name in names[0..n) closest to s[0..len), when close enough to be a likely typo. */
static const char *suggest(const char *s, size_t len, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(s, len, names[i]);
        size_t wl = strlen(names[i]);
        size_t limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
        if (d <= limit && d < wl && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

/* "a, b, c" into buf. */
static const char *join(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", names[i]);
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

/*
 * " (did you mean 'x'?)" when a name is close to what was written, else
 * "; expected one of: a, b, c", into buf.
 */
static const char *hint(char *buf, size_t size, const char *s, size_t len, const char *const *names,
                        size_t n)
{
    const char *close = suggest(s, len, names, n);
    if (close != NULL) {
        snprintf(buf, size, " (did you mean '%s'?)", close);
    } else {
        char list[512];
        snprintf(buf, size, "; expected one of: %s", join(list, sizeof(list), names, n));
    }
    return buf;
}

static size_t signal_names(const char **names)
{
    for (unsigned i = 0; i < CORRAL_SIG_COUNT; i++) {
        names[i] = corral_signal_name((enum corral_signal)(1u << i));
    }
    return CORRAL_SIG_COUNT;
}

static size_t plan_names(const char **names)
{
    for (unsigned i = 1; i < CORRAL_PLAN_COUNT; i++) {
        names[i - 1] = corral_plan_name((enum corral_plan)i);
    }
    return CORRAL_PLAN_COUNT - 1;
}

static size_t entity_names(const char **names, uint32_t allowed)
{
    size_t n = 0;
    for (unsigned i = 0; i < CORRAL_ENT_COUNT; i++) {
        if (allowed & (1u << i)) {
            names[n++] = corral_entity_type_name((enum corral_entity_type)i);
        }
    }
    return n;
}

/* ---- YAML values ---- */

/* The node with that id, counted against the visit limit. */
static yaml_node_t *node_get(struct loader *L, int id)
{
    yaml_node_t *n = yaml_document_get_node(L->doc, id);
    if (++L->visits > CORRAL_RULES_MAX_VISITS && !L->stopped) {
        L->stopped = true;
        fail(L, n,
             "the file expands, through aliases, to more than %u YAML nodes; write it out "
             "with fewer aliases",
             CORRAL_RULES_MAX_VISITS);
    }
    return n;
}

static const char *sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
    return n->data.scalar.length;
}

static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    const char *s = sval(n);
    size_t len = slen(n);
    return len == 0 || (len == 1 && s[0] == '~') || equal_nocase(s, len, "null");
}

/* A whole number, in any scalar style: [+-]digits. 0 on success. */
static int scalar_int(const yaml_node_t *n, long long *out)
{
    if (n->type != YAML_SCALAR_NODE) {
        return -1;
    }
    const char *s = sval(n);
    size_t len = slen(n);
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len || len - i > 15) {
        return -1;
    }
    long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

/* How a value looks, for "must be X, not Y". */
static const char *what(const yaml_node_t *n)
{
    long long v;
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_SCALAR_NODE:
        if (is_null(n)) {
            return "empty";
        }
        if (scalar_int(n, &v) == 0) {
            return "a number";
        }
        return "a string";
    default:
        return "nothing";
    }
}

/* Printable excerpt of a scalar for messages: at most 60 bytes, controls shown as '?'. */
static const char *excerpt(const yaml_node_t *n, char *buf, size_t size)
{
    size_t len = n->type == YAML_SCALAR_NODE ? slen(n) : 0;
    size_t max = size - 4;
    if (max > 60) {
        max = 60;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o < max; i++) {
        unsigned char c = (unsigned char)sval(n)[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (len > max) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static bool get_int(struct loader *L, const yaml_node_t *n, const char *key, long long min,
                    long long max, long long *out)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        fail(L, n, "'%s' must be a whole number, not %s", key, what(n));
        return false;
    }
    if (scalar_int(n, out) != 0) {
        char ex[80];
        fail(L, n, "'%s' must be a whole number, not '%s'", key, excerpt(n, ex, sizeof(ex)));
        return false;
    }
    if (*out < min || *out > max) {
        fail(L, n, "'%s' must be from %lld to %lld, not %lld", key, min, max, *out);
        return false;
    }
    return true;
}

static bool get_bool(struct loader *L, const yaml_node_t *n, const char *key, bool *out)
{
    if (n->type == YAML_SCALAR_NODE && equal_nocase(sval(n), slen(n), "true")) {
        *out = true;
        return true;
    }
    if (n->type == YAML_SCALAR_NODE && equal_nocase(sval(n), slen(n), "false")) {
        *out = false;
        return true;
    }
    if (n->type == YAML_SCALAR_NODE && !is_null(n)) {
        char ex[80];
        fail(L, n, "'%s' must be true or false, not '%s'", key, excerpt(n, ex, sizeof(ex)));
    } else {
        fail(L, n, "'%s' must be true or false, not %s", key, what(n));
    }
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * A text value (title, description): trimmed, non-empty, at most max bytes,
 * no control characters (a newline only when multiline), copied into the arena.
 */
static const char *get_text(struct loader *L, const yaml_node_t *n, const char *key, size_t max,
                            bool multiline)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        fail(L, n, "'%s' must be text, not %s", key, what(n));
        return NULL;
    }
    const char *s = sval(n);
    size_t b = 0;
    size_t e = slen(n);
    while (b < e && is_space(s[b])) {
        b++;
    }
    while (e > b && is_space(s[e - 1])) {
        e--;
    }
    if (b == e) {
        fail(L, n, "'%s' is empty", key);
        return NULL;
    }
    if (e - b > max) {
        fail(L, n, "'%s' is %zu bytes long; the limit is %zu", key, e - b, max);
        return NULL;
    }
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' && !multiline) {
            fail(L, n, "'%s' must be one line", key);
            return NULL;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fail(L, n, "'%s' contains a control character (0x%02x)", key, c);
            return NULL;
        }
    }
    char *copy = corral_arena_strndup(L->arena, s + b, e - b);
    if (copy == NULL) {
        L->nomem = true;
    }
    return copy;
}

enum duration_result { DUR_OK, DUR_NO_UNIT, DUR_BAD, DUR_ZERO, DUR_TOO_LONG };

/* s[0..len) as a duration in ticks; *num is the number written (for messages). */
static enum duration_result parse_duration(const char *s, size_t len, corral_time *out,
                                           long long *num)
{
    size_t i = 0;
    long long v = 0;
    while (i < len && i < 12 && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i] - '0');
        i++;
    }
    *num = v;
    if (i > 0 && i == len) {
        return DUR_NO_UNIT;
    }
    long long unit = 0;
    if (i > 0 && i + 1 == len) {
        switch (s[i]) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            break;
        }
    }
    if (unit == 0) {
        return DUR_BAD;
    }
    if (v == 0) {
        return DUR_ZERO;
    }
    if (v > CORRAL_RULES_MAX_WINDOW / (unit * CORRAL_TICKS_PER_SECOND)) {
        return DUR_TOO_LONG; /* tested before multiplying: 12 digits of days overflow */
    }
    *out = v * unit * CORRAL_TICKS_PER_SECOND;
    return DUR_OK;
}

int corral_rules_parse_duration(const char *s, size_t len, corral_time *out)
{
    long long num;
    corral_time t = 0;
    if (s == NULL || out == NULL || parse_duration(s, len, &t, &num) != DUR_OK) {
        return -1;
    }
    *out = t;
    return 0;
}

/* A duration value of the file, in ticks (docs/rules.md "Durations"). */
static bool get_duration(struct loader *L, const yaml_node_t *n, const char *key, corral_time *out)
{
    char ex[80];
    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        fail(L, n, "'%s' must be a duration such as 24h, 90m, 2d or 3600s, not %s", key, what(n));
        return false;
    }
    long long v;
    switch (parse_duration(sval(n), slen(n), out, &v)) {
    case DUR_OK:
        return true;
    case DUR_NO_UNIT:
        fail(L, n, "'%s' needs a unit: write %llds for seconds, or %lldm, %lldh or %lldd", key, v,
             v, v, v);
        break;
    case DUR_BAD:
        fail(L, n,
             "'%s' must be a whole number and a unit, s, m, h or d (e.g. 24h, 90m, 2d, 3600s), "
             "not '%s'",
             key, excerpt(n, ex, sizeof(ex)));
        break;
    case DUR_ZERO:
        fail(L, n, "'%s' must be longer than 0", key);
        break;
    case DUR_TOO_LONG:
        fail(L, n, "'%s' of %s is longer than the limit of 365d", key, excerpt(n, ex, sizeof(ex)));
        break;
    }
    return false;
}

/* ---- mappings against a schema ---- */

struct field {
    yaml_node_t *key; /* NULL when absent */
    yaml_node_t *val;
};

/*
 * Sort the pairs of a mapping into out[i] by keys[i], reporting keys that
 * are not scalars, unknown keys (with the likely intended one) and repeated
 * keys (the first one is used).
 */
static void collect(struct loader *L, const yaml_node_t *map, const char *const *keys, size_t n,
                    const char *where, struct field *out)
{
    char h[600];
    char ex[80];
    for (size_t i = 0; i < n; i++) {
        out[i] = (struct field){NULL, NULL};
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top && !L->stopped; p++) {
        yaml_node_t *k = node_get(L, p->key);
        yaml_node_t *v = node_get(L, p->value);
        if (k->type != YAML_SCALAR_NODE) {
            fail(L, k, "a key %s must be a name, not %s", where, what(k));
            continue;
        }
        size_t i = 0;
        while (i < n && !(slen(k) == strlen(keys[i]) && memcmp(sval(k), keys[i], slen(k)) == 0)) {
            i++;
        }
        if (i == n && slen(k) == 2 && memcmp(sval(k), "<<", 2) == 0) {
            fail(L, k,
                 "YAML merge keys ('<<') are not supported in rules files; write the keys "
                 "out (aliases of whole values, such as *text, do work)");
            continue;
        }
        if (i == n) {
            fail(L, k, "unknown key '%s' %s%s", excerpt(k, ex, sizeof(ex)), where,
                 hint(h, sizeof(h), sval(k), slen(k), keys, n));
            continue;
        }
        if (out[i].key != NULL) {
            fail(L, k, "'%s' is given twice %s (first at line %zu)", keys[i], where,
                 node_line(out[i].key));
            continue;
        }
        out[i].key = k;
        out[i].val = v;
    }
}

/* ---- names: signals, plans, entity types ---- */

enum name_kind { NAME_SIGNAL, NAME_PLAN, NAME_ENTITY };

/* One name into its flag, or an error naming the likely intended one. */
static bool parse_name(struct loader *L, const yaml_node_t *n, enum name_kind kind,
                       uint32_t allowed_entities, const char *key, uint32_t *flags)
{
    char h[600];
    char ex[80];
    const char *names[CORRAL_ENT_COUNT + CORRAL_SIG_COUNT + CORRAL_PLAN_COUNT];
    static const char *const kind_words[] = {"signal", "plan", "entity type"};
    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        fail(L, n, "each %s in '%s' must be a name, not %s", kind_words[kind], key, what(n));
        return false;
    }
    const char *s = sval(n);
    size_t len = slen(n);
    size_t count = 0;
    if (memchr(s, ',', len) != NULL) {
        fail(L, n, "'%s' is one name or a list of names, written [a, b], not '%s'", key,
             excerpt(n, ex, sizeof(ex)));
        return false;
    }
    switch (kind) {
    case NAME_SIGNAL: {
        uint32_t f = 0;
        if (!(len == 1 && s[0] == '-') && corral_signals_parse(s, len, &f) == 0 && f != 0) {
            *flags |= f;
            return true;
        }
        count = signal_names(names);
        break;
    }
    case NAME_PLAN: {
        enum corral_plan p;
        if (corral_plan_parse(s, len, &p) == 0) {
            *flags |= 1u << p;
            return true;
        }
        count = plan_names(names);
        break;
    }
    case NAME_ENTITY:
        for (unsigned i = 0; i < CORRAL_ENT_COUNT; i++) {
            if (equal_nocase(s, len, corral_entity_type_name((enum corral_entity_type)i))) {
                if (!(allowed_entities & (1u << i))) {
                    count = entity_names(names, allowed_entities);
                    fail(L, n,
                         "'%s' cannot be the shared entity of a scenario; expected one of: %s",
                         corral_entity_type_name((enum corral_entity_type)i),
                         join(h, sizeof(h), names, count));
                    return false;
                }
                *flags |= 1u << i;
                return true;
            }
        }
        count = entity_names(names, allowed_entities);
        break;
    }
    fail(L, n, "unknown %s '%s'%s", kind_words[kind], excerpt(n, ex, sizeof(ex)),
         hint(h, sizeof(h), s, len, names, count));
    return false;
}

/* One name or a non-empty list of names; every bad item is reported. */
static bool parse_names(struct loader *L, const yaml_node_t *n, enum name_kind kind,
                        uint32_t allowed_entities, const char *key, uint32_t *flags)
{
    *flags = 0;
    if (n->type == YAML_MAPPING_NODE) {
        fail(L, n, "'%s' must be a name or a list of names, not a mapping", key);
        return false;
    }
    if (n->type == YAML_SCALAR_NODE) {
        if (is_null(n)) {
            fail(L, n, "'%s' is empty: give a name or a list of names", key);
            return false;
        }
        return parse_name(L, n, kind, allowed_entities, key, flags);
    }
    yaml_node_item_t *it = n->data.sequence.items.start;
    if (it == n->data.sequence.items.top) {
        fail(L, n, "'%s' is an empty list: give at least one name", key);
        return false;
    }
    bool ok = true;
    for (; it < n->data.sequence.items.top && !L->stopped; it++) {
        ok = parse_name(L, node_get(L, *it), kind, allowed_entities, key, flags) && ok;
    }
    return ok;
}

/* ---- conditions ---- */

enum cond_role { ROLE_REQUIRE, ROLE_FIRST, ROLE_THEN };

static const char *const cond_keys[] = {"signal", "plan", "entity", "other_plan"};
enum { C_SIGNAL, C_PLAN, C_ENTITY, C_OTHER_PLAN, C_N };

static void walk_cond(struct loader *L, const yaml_node_t *n, enum cond_role role,
                      struct corral_cond *cond)
{
    static const char *const where[] = {"in a 'require' condition", "in 'first'", "in 'then'"};
    memset(cond, 0, sizeof(*cond));
    if (n->type != YAML_MAPPING_NODE) {
        fail(L, n, "a condition is a mapping such as {signal: exploit} or {plan: KeyVault}, not %s",
             what(n));
        return;
    }
    struct field f[C_N];
    collect(L, n, cond_keys, C_N, where[role], f);
    bool given = false;
    if (f[C_SIGNAL].val != NULL) {
        parse_names(L, f[C_SIGNAL].val, NAME_SIGNAL, 0, "signal", &cond->signals);
        given = true;
    }
    if (f[C_PLAN].val != NULL) {
        parse_names(L, f[C_PLAN].val, NAME_PLAN, 0, "plan", &cond->plans);
        given = true;
    }
    if (f[C_ENTITY].val != NULL) {
        parse_names(L, f[C_ENTITY].val, NAME_ENTITY, ALL_ENTITY_TYPES, "entity",
                    &cond->entity_types);
        given = true;
    }
    if (f[C_OTHER_PLAN].val != NULL) {
        bool b = false;
        if (role != ROLE_THEN) {
            fail(L, f[C_OTHER_PLAN].key,
                 "'other_plan' is only allowed in the 'then' condition of 'following' (it "
                 "compares that alert's plan with the 'first' alert's)");
        } else if (get_bool(L, f[C_OTHER_PLAN].val, "other_plan", &b)) {
            cond->other_plan = b;
        }
        given = given || role == ROLE_THEN;
    }
    if (!given && n->data.mapping.pairs.start == n->data.mapping.pairs.top) {
        fail(L, n, "empty condition: give 'signal', 'plan' or 'entity'%s",
             role == ROLE_THEN ? " (or 'other_plan: true')" : "");
    }
}

static const char *const following_keys[] = {"first", "then"};
enum { F_FIRST, F_THEN, F_N };

static void walk_following(struct loader *L, const yaml_node_t *n, struct corral_scenario *sc)
{
    if (n->type != YAML_MAPPING_NODE) {
        fail(L, n, "'following' must be a mapping {first: COND, then: COND}, not %s", what(n));
        return;
    }
    struct field f[F_N];
    collect(L, n, following_keys, F_N, "in 'following'", f);
    if (f[F_FIRST].val == NULL) {
        fail(L, n, "'following' needs 'first': the alert that comes first");
    } else {
        walk_cond(L, f[F_FIRST].val, ROLE_FIRST, &sc->first);
    }
    if (f[F_THEN].val == NULL) {
        fail(L, n, "'following' needs 'then': the alert that starts no earlier than 'first'");
    } else {
        walk_cond(L, f[F_THEN].val, ROLE_THEN, &sc->then);
    }
    sc->has_following = 1;
}

/* ---- scenarios ---- */

static const char *const scenario_keys[] = {
    "scenario",  "entity",  "require", "following",   "min_alerts",
    "min_plans", "min_vms", "window",  "description",
};
enum {
    S_SCENARIO,
    S_ENTITY,
    S_REQUIRE,
    S_FOLLOWING,
    S_MIN_ALERTS,
    S_MIN_PLANS,
    S_MIN_VMS,
    S_WINDOW,
    S_DESCRIPTION,
    S_N
};

static void walk_scenario(struct loader *L, const yaml_node_t *n, unsigned index,
                          struct corral_scenario *sc, const yaml_node_t **number_node)
{
    memset(sc, 0, sizeof(*sc));
    sc->number = index + 1;
    sc->min_alerts = 2;
    sc->min_plans = 2;
    sc->window = L->window;
    sc->line = node_line(n);
    *number_node = n;
    if (n->type != YAML_MAPPING_NODE) {
        fail(L, n, "a scenario is a mapping (entity, description, ...), not %s", what(n));
        return;
    }
    struct field f[S_N];
    collect(L, n, scenario_keys, S_N, "in a scenario", f);
    long long v;
    if (f[S_SCENARIO].val != NULL) {
        *number_node = f[S_SCENARIO].val;
        if (scalar_int(f[S_SCENARIO].val, &v) == 0 && (v < 1 || v > CORRAL_MAX_SCENARIOS)) {
            fail(L, f[S_SCENARIO].val, "'scenario' must be 1, 2 or 3, not %lld", v);
            sc->number = 0;
        } else if (get_int(L, f[S_SCENARIO].val, "scenario", 1, CORRAL_MAX_SCENARIOS, &v)) {
            sc->number = (unsigned)v;
        } else {
            sc->number = 0;
        }
    }
    if (f[S_ENTITY].val == NULL) {
        fail(L, n,
             "a scenario needs 'entity': what its alerts share (user, service_principal, ip, "
             "resource, vm, cluster, process, process_image, or a list of them)");
    } else {
        parse_names(L, f[S_ENTITY].val, NAME_ENTITY, SHARED_ENTITY_TYPES, "entity",
                    &sc->entity_types);
    }
    if (f[S_REQUIRE].val != NULL) {
        const yaml_node_t *r = f[S_REQUIRE].val;
        if (r->type != YAML_SEQUENCE_NODE) {
            fail(L, r, "'require' must be a list of conditions, e.g. [{plan: KeyVault}], not %s",
                 what(r));
        } else {
            for (yaml_node_item_t *it = r->data.sequence.items.start;
                 it < r->data.sequence.items.top && !L->stopped; it++) {
                yaml_node_t *c = node_get(L, *it);
                if (sc->n_require == CORRAL_MAX_REQUIRE) {
                    fail(L, c, "'require' has more than %d conditions", CORRAL_MAX_REQUIRE);
                    break;
                }
                walk_cond(L, c, ROLE_REQUIRE, &sc->require[sc->n_require++]);
            }
        }
    }
    if (f[S_FOLLOWING].val != NULL) {
        walk_following(L, f[S_FOLLOWING].val, sc);
    }
    if (f[S_MIN_ALERTS].val != NULL &&
        get_int(L, f[S_MIN_ALERTS].val, "min_alerts", 2, MAX_COUNT, &v)) {
        sc->min_alerts = (unsigned)v;
    }
    if (f[S_MIN_PLANS].val != NULL &&
        get_int(L, f[S_MIN_PLANS].val, "min_plans", 1, CORRAL_PLAN_COUNT - 1, &v)) {
        sc->min_plans = (unsigned)v;
    }
    if (f[S_MIN_VMS].val != NULL && get_int(L, f[S_MIN_VMS].val, "min_vms", 0, MAX_COUNT, &v)) {
        sc->min_vms = (unsigned)v;
    }
    if (f[S_WINDOW].val != NULL) {
        get_duration(L, f[S_WINDOW].val, "window", &sc->window);
    }
    if (f[S_DESCRIPTION].val == NULL) {
        fail(L, n,
             "a scenario needs a 'description': the scenario in words, shown with its "
             "incidents");
    } else {
        sc->description = get_text(L, f[S_DESCRIPTION].val, "description", MAX_DESCRIPTION, true);
    }
}

static void walk_scenarios(struct loader *L, const yaml_node_t *n, struct corral_rule *r)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        fail(L, n, "'scenarios' must be a list of 1 to 3 scenarios, not %s", what(n));
        return;
    }
    if (n->data.sequence.items.start == n->data.sequence.items.top) {
        fail(L, n, "'scenarios' is empty: a rule has 1 to 3 scenarios");
        return;
    }
    const yaml_node_t *numbers[CORRAL_MAX_SCENARIOS];
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top && !L->stopped; it++) {
        yaml_node_t *s = node_get(L, *it);
        if (r->n_scenarios == CORRAL_MAX_SCENARIOS) {
            fail(L, s, "a rule has at most %d scenarios", CORRAL_MAX_SCENARIOS);
            break;
        }
        walk_scenario(L, s, r->n_scenarios, &r->scenarios[r->n_scenarios],
                      &numbers[r->n_scenarios]);
        r->n_scenarios++;
    }
    for (unsigned i = 1; i < r->n_scenarios; i++) {
        for (unsigned j = 0; j < i; j++) {
            if (r->scenarios[i].number != 0 && r->scenarios[i].number == r->scenarios[j].number) {
                fail(L, numbers[i], "scenario %u is defined twice in this rule (first at line %zu)",
                     r->scenarios[i].number, r->scenarios[j].line);
                break;
            }
        }
    }
}

/* ---- chains ---- */

static const char *const chain_keys[] = {"vms", "with", "min_stage", "window"};
enum { CH_VMS, CH_WITH, CH_MIN_STAGE, CH_WINDOW, CH_N };

static const char *const with_names[] = {"any", "botnet", "outgoing", "neither"};

/* "N" (exactly N machines) or "N+" (N or more: max 0), N from 1 to MAX_COUNT. */
static bool parse_vms(const char *s, size_t len, unsigned *min, unsigned *max)
{
    bool plus = len > 0 && s[len - 1] == '+';
    size_t digits = plus ? len - 1 : len;
    if (digits == 0 || digits > 4) {
        return false;
    }
    long long n = 0;
    for (size_t i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        n = n * 10 + (s[i] - '0');
    }
    if (n < 1 || n > MAX_COUNT) {
        return false;
    }
    *min = (unsigned)n;
    *max = plus ? 0 : (unsigned)n;
    return true;
}

static void walk_chain(struct loader *L, const yaml_node_t *n, struct corral_chain_cond *ch)
{
    char ex[80];
    ch->min_vms = 1;
    ch->max_vms = 0;
    ch->with = CORRAL_CHAIN_ANY;
    ch->min_stage = -1;
    ch->window = L->window;
    if (n->type != YAML_MAPPING_NODE) {
        fail(L, n, "'chain' must be a mapping (vms, with, min_stage), not %s", what(n));
        return;
    }
    struct field f[CH_N];
    collect(L, n, chain_keys, CH_N, "in 'chain'", f);
    const yaml_node_t *v = f[CH_VMS].val;
    if (v != NULL) {
        unsigned min = 0, max = 0;
        bool ok = v->type == YAML_SCALAR_NODE && parse_vms(sval(v), slen(v), &min, &max);
        if (!ok) {
            if (v->type == YAML_SCALAR_NODE && !is_null(v)) {
                fail(L, v,
                     "'vms' must be 1, 2+ or 1+ (N machines, or N+ for N or more, N from "
                     "1 to %lld), not '%s'",
                     MAX_COUNT, excerpt(v, ex, sizeof(ex)));
            } else {
                fail(L, v, "'vms' must be 1, 2+ or 1+ (N machines, or N+ for N or more), not %s",
                     what(v));
            }
        } else {
            ch->min_vms = min;
            ch->max_vms = max;
        }
    }
    const yaml_node_t *w = f[CH_WITH].val;
    if (w != NULL) {
        size_t i = 0;
        while (w->type == YAML_SCALAR_NODE && i < 4 &&
               !equal_nocase(sval(w), slen(w), with_names[i])) {
            i++;
        }
        if (w->type != YAML_SCALAR_NODE || is_null(w)) {
            fail(L, w, "'with' must be botnet, outgoing, neither or any, not %s", what(w));
        } else if (i == 4) {
            char h[600];
            fail(L, w, "unknown 'with' value '%s'%s", excerpt(w, ex, sizeof(ex)),
                 hint(h, sizeof(h), sval(w), slen(w), with_names, 4));
        } else {
            ch->with = (enum corral_chain_with)i;
        }
    }
    const yaml_node_t *st = f[CH_MIN_STAGE].val;
    if (st != NULL) {
        long long num;
        enum corral_tactic tac;
        if (scalar_int(st, &num) == 0) {
            if (get_int(L, st, "min_stage", 0, CORRAL_STAGE_COUNT - 1, &num)) {
                ch->min_stage = (int)num;
            }
        } else if (st->type == YAML_SCALAR_NODE && !is_null(st) &&
                   corral_tactic_parse(sval(st), slen(st), &tac) == 0) {
            ch->min_stage = (int)corral_tactic_stage(tac);
        } else if (st->type == YAML_SCALAR_NODE && !is_null(st)) {
            fail(L, st,
                 "'min_stage' must be a kill-chain stage from 0 to 12 or a tactic such as "
                 "Persistence, not '%s'",
                 excerpt(st, ex, sizeof(ex)));
        } else {
            fail(L, st, "'min_stage' must be a kill-chain stage from 0 to 12, not %s", what(st));
        }
    }
    if (f[CH_WINDOW].val != NULL) {
        get_duration(L, f[CH_WINDOW].val, "window", &ch->window);
    }
}

/* ---- rules ---- */

static const char *const rule_keys[] = {
    "kind", "number", "title", "severity", "specificity", "scenarios", "chain", "description",
};
enum {
    R_KIND,
    R_NUMBER,
    R_TITLE,
    R_SEVERITY,
    R_SPECIFICITY,
    R_SCENARIOS,
    R_CHAIN,
    R_DESCRIPTION,
    R_N
};

static const char *const severity_names[] = {"High", "Medium", "Medium/High"};

const char *corral_rule_severity_name(enum corral_severity_rule sev)
{
    return (unsigned)sev <= CORRAL_SEVRULE_MEDIUM_HIGH ? severity_names[sev] : "";
}

/* lower-case letters, digits and single '-' between words, starting with a letter. */
static bool is_slug(const char *s, size_t len)
{
    if (len == 0 || len > MAX_KIND || !(s[0] >= 'a' && s[0] <= 'z') || s[len - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && s[i - 1] != '-');
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* What the user probably meant as a slug: "Foo Bar_2" -> "foo-bar-2". */
static const char *slugify(const char *s, size_t len, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size && o < MAX_KIND; i++) {
        char c = lower(s[i]);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            buf[o++] = c;
        } else if (o > 0 && buf[o - 1] != '-') {
            buf[o++] = '-';
        }
    }
    while (o > 0 && buf[o - 1] == '-') {
        o--;
    }
    buf[o] = '\0';
    return buf;
}

static bool push_rule(struct loader *L, const struct corral_rule *r, const struct rule_meta *m)
{
    if (L->n_rules == L->cap_rules) {
        size_t cap = L->cap_rules == 0 ? 32 : L->cap_rules * 2;
        struct corral_rule *rules = realloc(L->rules, cap * sizeof(*rules));
        if (rules == NULL) {
            L->nomem = true;
            return false;
        }
        L->rules = rules;
        struct rule_meta *meta = realloc(L->meta, cap * sizeof(*meta));
        if (meta == NULL) {
            L->nomem = true;
            return false;
        }
        L->meta = meta;
        L->cap_rules = cap;
    }
    L->rules[L->n_rules] = *r;
    L->meta[L->n_rules] = *m;
    L->n_rules++;
    return true;
}

static void walk_rule(struct loader *L, const yaml_node_t *n)
{
    char ex[80];
    char buf[MAX_KIND + 1];
    struct corral_rule r;
    memset(&r, 0, sizeof(r));
    struct rule_meta m = {0, 0};
    r.line = node_line(n);
    r.specificity = DEFAULT_SPECIFICITY;
    struct field f[R_N];
    collect(L, n, rule_keys, R_N, "in a rule", f);

    const yaml_node_t *k = f[R_KIND].val;
    if (k == NULL) {
        fail(L, n,
             "a rule needs 'kind': its name, in lower case with '-' between words (e.g. "
             "my-suspicious-activity)");
    } else if (k->type != YAML_SCALAR_NODE || is_null(k)) {
        fail(L, k, "'kind' must be a name such as my-suspicious-activity, not %s", what(k));
    } else if (!is_slug(sval(k), slen(k))) {
        const char *want = slugify(sval(k), slen(k), buf, sizeof(buf));
        if (slen(k) > MAX_KIND) {
            fail(L, k, "'kind' is longer than %u characters", MAX_KIND);
        } else if (want[0] >= 'a' && want[0] <= 'z') {
            fail(L, k,
                 "'kind' must be lower-case letters, digits and '-' between words, "
                 "starting with a letter: '%s' (e.g. '%s')",
                 excerpt(k, ex, sizeof(ex)), want);
        } else {
            fail(L, k,
                 "'kind' must be lower-case letters, digits and '-' between words, "
                 "starting with a letter, not '%s'",
                 excerpt(k, ex, sizeof(ex)));
        }
    } else {
        for (size_t i = 0; i < L->n_rules; i++) {
            if (L->rules[i].kind != NULL && strlen(L->rules[i].kind) == slen(k) &&
                memcmp(L->rules[i].kind, sval(k), slen(k)) == 0) {
                fail(L, k, "kind '%s' is defined twice (first at line %zu)", L->rules[i].kind,
                     L->rules[i].line);
                break;
            }
        }
        r.kind = corral_arena_strndup(L->arena, sval(k), slen(k));
        if (r.kind == NULL) {
            L->nomem = true;
        }
    }

    long long v;
    if (f[R_NUMBER].val != NULL) {
        const yaml_node_t *num = f[R_NUMBER].val;
        if (scalar_int(num, &v) == 0 && (v < 1 || v > 24)) {
            fail(L, num,
                 "'number' is the kind's number in Microsoft's list, 1 to 24, not %lld; "
                 "leave it out for a kind of your own",
                 v);
        } else if (get_int(L, num, "number", 1, 24, &v)) {
            r.number = (unsigned)v;
            m.number_line = node_line(num);
            m.number_col = node_col(num);
            for (size_t i = 0; i < L->n_rules; i++) {
                if (L->rules[i].number == r.number) {
                    fail(L, num, "number %u is already used by kind '%s' (line %zu)", r.number,
                         L->rules[i].kind != NULL ? L->rules[i].kind : "?", L->rules[i].line);
                    break;
                }
            }
        }
    }
    if (f[R_TITLE].val == NULL) {
        fail(L, n, "a rule needs a 'title': the incident's display name");
    } else {
        r.display_name = get_text(L, f[R_TITLE].val, "title", MAX_TITLE, false);
    }
    const yaml_node_t *sev = f[R_SEVERITY].val;
    if (sev == NULL) {
        fail(L, n, "a rule needs a 'severity': High, Medium or Medium/High");
    } else {
        size_t i = 0;
        while (sev->type == YAML_SCALAR_NODE && i < 3 &&
               !equal_nocase(sval(sev), slen(sev), severity_names[i])) {
            i++;
        }
        if (sev->type != YAML_SCALAR_NODE || is_null(sev)) {
            fail(L, sev, "'severity' must be High, Medium or Medium/High, not %s", what(sev));
        } else if (i == 3) {
            fail(L, sev, "unknown severity '%s'; expected High, Medium or Medium/High",
                 excerpt(sev, ex, sizeof(ex)));
        } else {
            r.severity = (enum corral_severity_rule)i;
        }
    }
    if (f[R_SPECIFICITY].val != NULL &&
        get_int(L, f[R_SPECIFICITY].val, "specificity", 0, 100, &v)) {
        r.specificity = (unsigned)v;
    }

    const struct field *sc = &f[R_SCENARIOS];
    const struct field *ch = &f[R_CHAIN];
    if (sc->val != NULL && ch->val != NULL) {
        const struct field *later = node_line(sc->key) > node_line(ch->key) ? sc : ch;
        fail(L, later->key,
             "a rule has either 'scenarios' (alerts sharing an entity) or 'chain' "
             "(a machine chain), not both");
    } else if (sc->val == NULL && ch->val == NULL) {
        fail(L, n,
             "a rule needs 'scenarios' (alerts sharing an entity) or 'chain' (a machine "
             "chain)");
    }
    if (sc->val != NULL) {
        walk_scenarios(L, sc->val, &r);
    }
    if (ch->val != NULL) {
        r.is_chain = 1;
        walk_chain(L, ch->val, &r.chain);
    }
    const struct field *d = &f[R_DESCRIPTION];
    if (ch->val != NULL && sc->val == NULL) {
        if (d->val == NULL) {
            fail(L, n, "a chain rule needs a 'description': the incident in words");
        } else {
            r.chain_description = get_text(L, d->val, "description", MAX_DESCRIPTION, true);
        }
    } else if (d->val != NULL && sc->val != NULL) {
        fail(L, d->key, "the description of a rule with scenarios goes in each scenario");
    }
    push_rule(L, &r, &m);
}

static void walk_rules(struct loader *L, const yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        fail(L, n, "'rules' must be a list of rules, not %s", what(n));
        return;
    }
    size_t count = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top && !L->stopped && !L->nomem; it++) {
        yaml_node_t *r = node_get(L, *it);
        if (count == CORRAL_RULES_MAX_RULES) {
            fail(L, r, "too many rules: a file has at most %u", CORRAL_RULES_MAX_RULES);
            break;
        }
        count++;
        if (r->type != YAML_MAPPING_NODE) {
            fail(L, r, "a rule is a mapping (kind, title, severity, scenarios or chain), not %s",
                 what(r));
            continue;
        }
        walk_rule(L, r);
    }
}

static const char *const root_keys[] = {"version", "window", "max_span", "rules"};
enum { T_VERSION, T_WINDOW, T_MAX_SPAN, T_RULES, T_N };

static void walk_root(struct loader *L, const yaml_node_t *root)
{
    if (root->type != YAML_MAPPING_NODE) {
        fail(L, root, "a rules file is a mapping with 'version: 1' and 'rules', not %s",
             what(root));
        return;
    }
    struct field f[T_N];
    collect(L, root, root_keys, T_N, "at the top level", f);
    long long v;
    if (f[T_VERSION].val == NULL) {
        fail(L, root, "the file needs 'version: 1' at the top level");
    } else if (scalar_int(f[T_VERSION].val, &v) == 0 && v != CORRAL_RULES_VERSION) {
        fail(L, f[T_VERSION].val, "unsupported version %lld: this corral reads version %d", v,
             CORRAL_RULES_VERSION);
    } else {
        get_int(L, f[T_VERSION].val, "version", CORRAL_RULES_VERSION, CORRAL_RULES_VERSION, &v);
    }
    if (f[T_WINDOW].val != NULL) {
        get_duration(L, f[T_WINDOW].val, "window", &L->window);
    }
    if (f[T_MAX_SPAN].val != NULL) {
        get_duration(L, f[T_MAX_SPAN].val, "max_span", &L->max_span);
    }
    if (f[T_RULES].val == NULL) {
        fail(L, root, "the file needs 'rules': the list of rules");
    } else {
        walk_rules(L, f[T_RULES].val);
    }
}

/* ---- YAML syntax and limits ---- */

/* Byte offset of 0-based (line, column in characters) in buf, or len. */
static size_t offset_of(const char *buf, size_t len, size_t line, size_t col)
{
    size_t i = 0;
    for (size_t l = 0; l < line && i < len; i++) {
        if (buf[i] == '\n') {
            l++;
        }
    }
    for (size_t c = 0; c < col && i < len; c++) {
        i++;
        while (i < len && ((unsigned char)buf[i] & 0xC0) == 0x80) {
            i++;
        }
    }
    return i;
}

static void report_yaml_error(struct loader *L, const yaml_parser_t *p, const char *buf, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) {
        L->nomem = true;
        return;
    }
    const char *problem = p->problem != NULL ? p->problem : "unknown problem";
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors know only a byte offset. */
        size_t line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        if (p->problem_value != -1) {
            fail_pos(L, line, col, "not valid YAML text: %s (byte 0x%02X)", problem,
                     (unsigned)p->problem_value & 0xFFu);
        } else {
            fail_pos(L, line, col, "not valid YAML text: %s", problem);
        }
        return;
    }
    size_t line = p->problem_mark.line + 1;
    size_t col = p->problem_mark.column + 1;
    size_t at = offset_of(buf, len, p->problem_mark.line, p->problem_mark.column);
    const char *tab =
        (at < len && buf[at] == '\t') ? "; YAML does not allow tabs for indentation" : "";
    if (p->context != NULL) {
        fail_pos(L, line, col, "YAML syntax error: %s (%s at line %zu, column %zu)%s", problem,
                 p->context, (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1,
                 tab);
    } else {
        fail_pos(L, line, col, "YAML syntax error: %s%s", problem, tab);
    }
}

/*
 * The first pass: events only. 0 when the document can be loaded safely,
 * -1 when not (the reason reported).
 */
static int prepass(struct loader *L, const char *buf, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        L->nomem = true;
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    size_t depth = 0;
    size_t nodes = 0;
    unsigned docs = 0;
    int rc = 0;
    for (bool done = false; !done;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            report_yaml_error(L, &p, buf, len);
            rc = -1;
            break;
        }
        size_t line = ev.start_mark.line + 1;
        size_t col = ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++docs == 2) {
                fail_pos(L, line, col,
                         "a rules file holds one YAML document; a second one "
                         "starts here");
                rc = -1;
                done = true;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            nodes++;
            if (++depth > CORRAL_RULES_MAX_DEPTH) {
                fail_pos(L, line, col, "YAML nesting deeper than %u levels",
                         CORRAL_RULES_MAX_DEPTH);
                rc = -1;
                done = true;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            nodes++;
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        if (!done && nodes > CORRAL_RULES_MAX_NODES) {
            fail_pos(L, line, col, "more than %u YAML nodes in the file", CORRAL_RULES_MAX_NODES);
            rc = -1;
            done = true;
        }
        yaml_event_delete(&ev);
    }
    if (rc == 0 && docs == 0) {
        fail_pos(L, 1, 1, "the file is empty: it needs 'version: 1' and a list of 'rules'");
        rc = -1;
    }
    yaml_parser_delete(&p);
    return rc;
}

/* ---- loading ---- */

static void store_free(struct rules_store *store)
{
    if (store != NULL) {
        corral_arena_free(store->arena);
        free(store->meta);
        free(store);
    }
}

void corral_ruleset_free(struct corral_ruleset *rules)
{
    if (rules == NULL) {
        return;
    }
    store_free(rules->owner);
    free(rules->rules);
    free(rules);
}

const char *corral_ruleset_name(const struct corral_ruleset *rules)
{
    const struct rules_store *store = rules != NULL ? rules->owner : NULL;
    return store != NULL && store->name != NULL ? store->name : "";
}

corral_err corral_rules_load_buffer(const char *name, const char *buf, size_t len,
                                    struct corral_ruleset **out, struct corral_rules_errors *errs)
{
    if (out == NULL) {
        return CORRAL_ERR_USAGE;
    }
    *out = NULL;
    if (name == NULL) {
        name = "<rules>";
    }
    struct loader L;
    memset(&L, 0, sizeof(L));
    L.name = name;
    L.errs = errs;
    L.first_error = errs != NULL ? errs->count : 0;
    L.window = CORRAL_DEFAULT_WINDOW;
    L.max_span = CORRAL_DEFAULT_MAX_SPAN;
    if (buf == NULL && len > 0) {
        return CORRAL_ERR_USAGE;
    }
    if (len > CORRAL_RULES_MAX_FILE) {
        fail_pos(&L, 0, 0, "the file is %zu bytes; a rules file is at most %zu bytes (4 MiB)", len,
                 CORRAL_RULES_MAX_FILE);
        return CORRAL_ERR_TOO_LARGE;
    }
    L.arena = corral_arena_new();
    if (L.arena == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    corral_err err = CORRAL_OK;
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_parser = false;
    bool have_doc = false;
    if (prepass(&L, buf != NULL ? buf : "", len) != 0) {
        goto done;
    }
    if (!yaml_parser_initialize(&parser)) {
        L.nomem = true;
        goto done;
    }
    have_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        report_yaml_error(&L, &parser, buf, len);
        goto done;
    }
    have_doc = true;
    L.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        fail_pos(&L, 1, 1, "the file is empty: it needs 'version: 1' and a list of 'rules'");
        goto done;
    }
    walk_root(&L, root);

done:
    if (have_doc) {
        yaml_document_delete(&doc);
    }
    if (have_parser) {
        yaml_parser_delete(&parser);
    }
    errors_sort(errs, L.first_error);
    if (L.nomem) {
        err = CORRAL_ERR_NOMEM;
    } else if (L.found > 0) {
        err = CORRAL_ERR_DATA;
    }
    struct corral_ruleset *rs = NULL;
    struct rules_store *store = NULL;
    if (err == CORRAL_OK) {
        rs = calloc(1, sizeof(*rs));
        store = calloc(1, sizeof(*store));
        const char *nm = corral_arena_strndup(L.arena, name, strlen(name));
        if (rs == NULL || store == NULL || nm == NULL) {
            free(rs);
            free(store);
            err = CORRAL_ERR_NOMEM;
        } else {
            store->arena = L.arena;
            store->name = nm;
            store->meta = L.meta;
            rs->rules = L.rules;
            rs->n_rules = L.n_rules;
            rs->default_window = L.window;
            rs->max_span = L.max_span;
            rs->owner = store;
            *out = rs;
            return CORRAL_OK;
        }
    }
    free(L.rules);
    free(L.meta);
    corral_arena_free(L.arena);
    return err;
}

corral_err corral_rules_load(const char *path, struct corral_ruleset **out,
                             struct corral_rules_errors *errs)
{
    if (out == NULL || path == NULL) {
        return CORRAL_ERR_USAGE;
    }
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        char msg[256];
        snprintf(msg, sizeof(msg), "cannot open: %s", strerror(e));
        errors_add(errs, path, 0, 0, msg);
        return CORRAL_ERR_IO;
    }
    /* Read at most one byte more than the limit: enough to know it is too large. */
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    corral_err err = CORRAL_OK;
    for (;;) {
        if (len == cap) {
            if (cap > CORRAL_RULES_MAX_FILE) {
                break;
            }
            size_t bigger = cap == 0 ? (size_t)1 << 16 : cap * 2;
            char *grown = realloc(buf, bigger);
            if (grown == NULL) {
                err = CORRAL_ERR_NOMEM;
                break;
            }
            buf = grown;
            cap = bigger;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0) {
            break;
        }
        len += got;
    }
    if (err == CORRAL_OK && ferror(f)) {
        int e = errno;
        char msg[256];
        snprintf(msg, sizeof(msg), "cannot read: %s", strerror(e));
        errors_add(errs, path, 0, 0, msg);
        err = CORRAL_ERR_IO;
    } else if (err == CORRAL_OK && len > CORRAL_RULES_MAX_FILE) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "the file is larger than %zu bytes (4 MiB), the limit for a rules file",
                 CORRAL_RULES_MAX_FILE);
        errors_add(errs, path, 0, 0, msg);
        err = CORRAL_ERR_TOO_LARGE;
    }
    fclose(f);
    if (err == CORRAL_OK) {
        err = corral_rules_load_buffer(path, buf, len, out, errs);
    }
    free(buf);
    return err;
}

/* ---- merging ---- */

const struct corral_rule *corral_ruleset_find(const struct corral_ruleset *rules, const char *kind)
{
    if (rules == NULL || kind == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < rules->n_rules; i++) {
        if (strcmp(rules->rules[i].kind, kind) == 0) {
            return &rules->rules[i];
        }
    }
    return NULL;
}

static size_t find_index(const struct corral_ruleset *rules, const char *kind)
{
    for (size_t i = 0; i < rules->n_rules; i++) {
        if (strcmp(rules->rules[i].kind, kind) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

static const char *arena_copy(corral_arena *arena, const char *s, bool *nomem)
{
    if (s == NULL) {
        return NULL;
    }
    char *c = corral_arena_strndup(arena, s, strlen(s));
    if (c == NULL) {
        *nomem = true;
    }
    return c;
}

/* A copy of r whose strings live in arena. */
static struct corral_rule copy_rule(const struct corral_rule *r, corral_arena *arena, bool *nomem)
{
    struct corral_rule c = *r;
    c.kind = arena_copy(arena, r->kind, nomem);
    c.display_name = arena_copy(arena, r->display_name, nomem);
    c.chain_description = arena_copy(arena, r->chain_description, nomem);
    for (unsigned i = 0; i < r->n_scenarios && i < CORRAL_MAX_SCENARIOS; i++) {
        c.scenarios[i].description = arena_copy(arena, r->scenarios[i].description, nomem);
    }
    return c;
}

corral_err corral_rules_merge(struct corral_ruleset *base, const struct corral_ruleset *extra,
                              struct corral_rules_errors *errs)
{
    if (base == NULL || extra == NULL || base->owner == NULL || extra->owner == NULL) {
        return CORRAL_ERR_USAGE;
    }
    struct rules_store *bs = base->owner;
    const struct rules_store *es = extra->owner;
    struct loader L;
    memset(&L, 0, sizeof(L));
    L.name = es->name;
    L.errs = errs;
    L.first_error = errs != NULL ? errs->count : 0;

    size_t added = 0;
    size_t added_chains = 0;
    for (size_t i = 0; i < extra->n_rules; i++) {
        const struct corral_rule *e = &extra->rules[i];
        const struct rule_meta *em = &es->meta[i];
        size_t at = find_index(base, e->kind);
        if (at == SIZE_MAX) {
            added++;
            added_chains += e->is_chain ? 1 : 0;
        }
        if (e->number == 0) {
            continue;
        }
        for (size_t j = 0; j < base->n_rules; j++) {
            if (j != at && base->rules[j].number == e->number) {
                fail_pos(&L, em->number_line, em->number_col,
                         "number %u is kind '%s' in %s (line %zu): to replace that kind write "
                         "'kind: %s'; leave 'number' out for a kind of your own",
                         e->number, base->rules[j].kind, bs->name, base->rules[j].line,
                         base->rules[j].kind);
                break;
            }
        }
    }
    if (base->n_rules + added > CORRAL_RULES_MAX_RULES) {
        fail_pos(&L, 0, 0, "with these rules there would be %zu rules; the limit is %u",
                 base->n_rules + added, CORRAL_RULES_MAX_RULES);
    }
    errors_sort(errs, L.first_error);
    if (L.found > 0) {
        return CORRAL_ERR_DATA;
    }

    size_t n = base->n_rules + added;
    struct corral_rule *rules = malloc((n > 0 ? n : 1) * sizeof(*rules));
    struct rule_meta *meta = malloc((n > 0 ? n : 1) * sizeof(*meta));
    if (rules == NULL || meta == NULL) {
        free(rules);
        free(meta);
        return CORRAL_ERR_NOMEM;
    }
    /* Added chain rules go before base's first chain rule; added entity rules at the end. */
    size_t first_chain = base->n_rules;
    for (size_t i = 0; i < base->n_rules; i++) {
        if (base->rules[i].is_chain) {
            first_chain = i;
            break;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < first_chain; i++, o++) {
        rules[o] = base->rules[i];
        meta[o] = bs->meta[i];
    }
    o += added_chains;
    for (size_t i = first_chain; i < base->n_rules; i++, o++) {
        rules[o] = base->rules[i];
        meta[o] = bs->meta[i];
    }
    size_t chain_at = first_chain;
    bool nomem = false;
    for (size_t i = 0; i < extra->n_rules; i++) {
        const struct corral_rule *e = &extra->rules[i];
        size_t at = find_index(base, e->kind);
        struct corral_rule c = copy_rule(e, bs->arena, &nomem);
        if (at != SIZE_MAX) {
            size_t pos = at < first_chain ? at : at + added_chains;
            if (c.number == 0) {
                c.number = base->rules[at].number;
            }
            rules[pos] = c;
            meta[pos] = es->meta[i];
        } else if (e->is_chain) {
            rules[chain_at] = c;
            meta[chain_at] = es->meta[i];
            chain_at++;
        } else {
            rules[o] = c;
            meta[o] = es->meta[i];
            o++;
        }
    }
    if (nomem) {
        free(rules);
        free(meta);
        return CORRAL_ERR_NOMEM;
    }
    free(base->rules);
    free(bs->meta);
    base->rules = rules;
    base->n_rules = n;
    bs->meta = meta;
    return CORRAL_OK;
}

/* ---- text forms ---- */

void corral_rules_format_duration(corral_time ticks, char *buf, size_t size)
{
    long long s = (long long)(ticks / 10000000LL);
    if (ticks % 10000000LL != 0 || s <= 0) {
        snprintf(buf, size, "%.3fs", (double)ticks / 1e7);
    } else if (s % 86400 == 0 && s >= 2 * 86400) {
        snprintf(buf, size, "%lldd", s / 86400);
    } else if (s % 3600 == 0) {
        snprintf(buf, size, "%lldh", s / 3600);
    } else if (s % 60 == 0) {
        snprintf(buf, size, "%lldm", s / 60);
    } else {
        snprintf(buf, size, "%llds", s);
    }
}
