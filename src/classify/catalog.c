/*
 * catalog.c - the alert-type table: loading it, looking types up, building it.
 *
 * Three jobs, one file format (catalog.h):
 *
 * - Load. data/alert-types.tsv is read whole and checked line by line; the
 *   first bad line fails the load with its line and column, because a
 *   silently half-loaded table would misclassify alerts without anyone
 *   noticing. CR/LF line ends, a UTF-8 byte-order mark, blank lines and
 *   '#' comment lines are fine; lines have no length limit (the file has one,
 *   CATALOG_MAX_BYTES).
 * - Look up. Every alert goes through corral_catalog_classify, so types are
 *   found through a hash table (open addressing, a multiplicative hash of the
 *   lower-cased type taken eight bytes at a time, linear probing), and the
 *   plan rules on the product component and the type's prefix run only when
 *   they decide something: for a type of several rows, or one not in the
 *   table. Microsoft's types are case-sensitive in practice, but nothing is
 *   lost by matching case-insensitively. One type can have
 *   several rows (the same detection under several plans, or several
 *   display names): the rows of a type are kept together, in file order, and
 *   the row is chosen per alert as incidents.md "Plan" says.
 * - Build. Microsoft's reference table (plan, alert_type, display_name,
 *   tactics, severity) is resolved into the shipped format with the text
 *   rules of plan.c and signals.c, in a stable order, so that the shipped
 *   file is reproducible byte for byte from its source.
 *
 * Memory: rows, strings and the index belong to the catalog (strings in its
 * arena); nothing is shared with the caller.
 */
#include "classify/catalog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/plan.h"
#include "classify/signals.h"
#include "util/arena.h"
#include "util/ascii.h"

/* A catalog larger than this is not a catalog (Microsoft's has under a thousand rows). */
#define CATALOG_MAX_BYTES ((size_t)256 << 20)
#define N_COLUMNS 5

static const char *const loaded_columns[N_COLUMNS] = {
    "alert_type", "display_name", "plan", "signals", "tactics",
};

static const char *const reference_columns[N_COLUMNS] = {
    "plan", "alert_type", "display_name", "tactics", "severity",
};

/* Microsoft's docs mark rows that appear in several sections; the alerts do not say it. */
static const char seen_multiple[] = "[seen multiple times]";

struct row {
    const char *type;
    size_t type_len;
    const char *name;
    size_t name_len;
    enum corral_plan plan;
    uint32_t signals;
    uint32_t tactics;
};

/* The rows of one type: order[first .. first + count). count == 0 marks an empty slot. */
struct slot {
    uint64_t hash;
    uint32_t first;
    uint32_t count;
};

struct corral_catalog {
    corral_arena *arena;
    struct row *rows; /* in file order */
    size_t n_rows;
    size_t cap_rows;
    uint32_t *order; /* row indexes grouped by type, file order within a type */
    struct slot *slots;
    size_t n_slots; /* a power of two, or 0 */
};

/* ---- text helpers ---- */

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int compare_nocase(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)to_lower(a[i]);
        unsigned char y = (unsigned char)to_lower(b[i]);
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return an < bn ? -1 : (an > bn ? 1 : 0);
}

/* ---- every alert's type is hashed and compared (util/ascii.h: eight bytes at a time) ---- */

/* The last len (1..7) bytes of a string, lower-cased, in the low bytes of a word. */
static uint64_t lower_tail(const char *s, size_t len)
{
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++) {
        w |= (uint64_t)(unsigned char)to_lower(s[i]) << (8 * i);
    }
    return w;
}

/* A hash of the lower-cased text, a word at a time (types are compared in full on a hit). */
static uint64_t hash_nocase(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037u ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        h = (h ^ corral_ascii_lower8(corral_ascii_load64(s + i))) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
    }
    if (i < len) {
        h = (h ^ lower_tail(s + i, len - i)) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
    }
    return h;
}

/* A (pointer, length) piece of a line, with its 1-based byte column. */
struct span {
    const char *s;
    size_t len;
    size_t col;
};

static struct span trim(struct span f)
{
    while (f.len > 0 && f.s[0] == ' ') {
        f.s++;
        f.len--;
        f.col++;
    }
    while (f.len > 0 && f.s[f.len - 1] == ' ') {
        f.len--;
    }
    return f;
}

static bool starts_with_nocase(struct span f, const char *prefix)
{
    size_t n = strlen(prefix);
    return f.len >= n && corral_ascii_same_nocase(f.s, n, prefix, n);
}

/* ---- reading whole files, and cutting them into lines and fields ---- */

struct text {
    char *data;
    size_t len;
};

static corral_err read_all(FILE *f, const char *name, struct text *out, struct corral_diag *diag)
{
    size_t cap = 65536;
    size_t len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        return corral_diag_set(diag, CORRAL_ERR_NOMEM, 0, 0, "%s: out of memory", name);
    }
    for (;;) {
        if (len == cap) {
            if (cap >= CATALOG_MAX_BYTES) {
                free(buf);
                return corral_diag_set(diag, CORRAL_ERR_DATA, 0, 0,
                                       "%s: larger than %zu bytes, not an alert catalog", name,
                                       (size_t)CATALOG_MAX_BYTES);
            }
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return corral_diag_set(diag, CORRAL_ERR_NOMEM, 0, 0, "%s: out of memory", name);
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        return corral_diag_set(diag, CORRAL_ERR_IO, 0, 0, "%s: read failed: %s", name,
                               e != 0 ? strerror(e) : "I/O error");
    }
    out->data = buf;
    out->len = len;
    return CORRAL_OK;
}

struct lines {
    const char *buf;
    size_t len;
    size_t pos;
    size_t no;
};

static void lines_init(struct lines *it, const struct text *t)
{
    it->buf = t->data;
    it->len = t->len;
    it->pos = 0;
    it->no = 0;
    /* A UTF-8 byte-order mark is not part of the first line. */
    if (t->len >= 3 && memcmp(t->data, "\xEF\xBB\xBF", 3) == 0) {
        it->pos = 3;
    }
}

/* The next line without its "\n" or "\r\n"; false at the end of the text. */
static bool lines_next(struct lines *it, struct span *line)
{
    if (it->pos >= it->len) {
        return false;
    }
    size_t b = it->pos;
    const char *nl = memchr(it->buf + b, '\n', it->len - b);
    size_t e = nl != NULL ? (size_t)(nl - it->buf) : it->len;
    it->pos = nl != NULL ? e + 1 : e;
    it->no++;
    size_t n = e - b;
    if (n > 0 && it->buf[b + n - 1] == '\r') {
        n--;
    }
    line->s = it->buf + b;
    line->len = n;
    line->col = 1;
    return true;
}

/*
 * Cut a line at tabs into f[0..N_COLUMNS). Returns the number of fields the
 * line has; when that is not N_COLUMNS, *bad_col is where the problem is
 * (the first surplus tab, or the end of a short line).
 */
static size_t split_fields(struct span line, struct span f[N_COLUMNS], size_t *bad_col)
{
    size_t count = 0;
    size_t b = 0;
    *bad_col = 0;
    for (size_t i = 0; i <= line.len; i++) {
        if (i < line.len && line.s[i] != '\t') {
            continue;
        }
        if (count < N_COLUMNS) {
            f[count].s = line.s + b;
            f[count].len = i - b;
            f[count].col = b + 1;
        } else if (count == N_COLUMNS) {
            *bad_col = b; /* the tab that starts the first surplus column */
        }
        count++;
        b = i + 1;
    }
    if (count < N_COLUMNS) {
        *bad_col = line.len + 1;
    }
    return count;
}

static corral_err column_count_error(struct corral_diag *diag, size_t line_no, size_t col,
                                     size_t count, const char *what)
{
    return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, col,
                           "%s: expected %d tab-separated columns, found %zu", what, N_COLUMNS,
                           count);
}

/* The header line: exactly these N_COLUMNS names, in this order (case-insensitive). */
static corral_err check_header(struct span line, size_t line_no, const char *const names[],
                               struct corral_diag *diag)
{
    struct span f[N_COLUMNS];
    size_t bad_col;
    size_t count = split_fields(line, f, &bad_col);
    size_t n = count < N_COLUMNS ? count : N_COLUMNS;
    for (size_t i = 0; i < n; i++) {
        struct span t = trim(f[i]);
        if (!corral_ascii_same_nocase(t.s, t.len, names[i], strlen(names[i]))) {
            return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, f[i].col,
                                   "missing header: expected column %zu to be '%s', found '%.*s'",
                                   i + 1, names[i], (int)(t.len > 40 ? 40 : t.len), t.s);
        }
    }
    if (count != N_COLUMNS) {
        return column_count_error(diag, line_no, bad_col, count, "header");
    }
    return CORRAL_OK;
}

static corral_err check_no_nul(struct span line, size_t line_no, struct corral_diag *diag)
{
    const char *nul = memchr(line.s, '\0', line.len);
    if (nul != NULL) {
        return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, (size_t)(nul - line.s) + 1,
                               "NUL byte in a text file");
    }
    return CORRAL_OK;
}

/* Skip these lines everywhere: empty, or a '#' comment. */
static bool is_ignored(struct span line)
{
    return line.len == 0 || line.s[0] == '#';
}

/* ---- lists of names: "a,b,c" or "-" ---- */

enum list_kind {
    LIST_SIGNALS,    /* catalog signals; "account" is not one (it comes from entities) */
    LIST_TACTICS,    /* strict tactic names */
    LIST_MS_TACTICS, /* Microsoft's tactics column: "-" and "Unknown" items are ignored */
};

static corral_err parse_list(struct span f, enum list_kind kind, size_t line_no, uint32_t *out,
                             struct corral_diag *diag)
{
    const char *what = kind == LIST_SIGNALS ? "signal" : "tactic";
    struct span all = trim(f);
    *out = 0;
    if (all.len == 1 && all.s[0] == '-') {
        return CORRAL_OK;
    }
    if (all.len == 0 && kind == LIST_MS_TACTICS) {
        return CORRAL_OK;
    }
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < all.len && all.s[j] != ',') {
            j++;
        }
        struct span item = trim((struct span){all.s + i, j - i, all.col + i});
        bool skip = kind == LIST_MS_TACTICS &&
                    ((item.len == 1 && item.s[0] == '-') ||
                     corral_ascii_same_nocase(item.s, item.len, "Unknown", 7));
        if (!skip) {
            if (item.len == 0) {
                return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, item.col,
                                       "empty %s name (use '-' for none)", what);
            }
            uint32_t bit = 0;
            int rc;
            if (kind == LIST_SIGNALS) {
                rc = corral_signals_parse(item.s, item.len, &bit);
                if (rc == 0 && (item.len == 1 && item.s[0] == '-')) {
                    rc = -1; /* "-" only stands alone */
                }
                if (rc == 0 && bit == CORRAL_SIG_ACCOUNT) {
                    return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, item.col,
                                           "signal 'account' comes from entities, not the "
                                           "catalog");
                }
            } else {
                enum corral_tactic t;
                rc = corral_tactic_parse(item.s, item.len, &t);
                if (rc == 0) {
                    bit = 1u << t;
                }
            }
            if (rc != 0) {
                return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, item.col,
                                       "unknown %s '%.*s'", what,
                                       (int)(item.len > 40 ? 40 : item.len), item.s);
            }
            *out |= bit;
        }
        if (j >= all.len) {
            break;
        }
        i = j + 1;
    }
    return CORRAL_OK;
}

/* ---- the catalog ---- */

corral_catalog *corral_catalog_new(void)
{
    corral_catalog *cat = calloc(1, sizeof(*cat));
    if (cat == NULL) {
        return NULL;
    }
    cat->arena = corral_arena_new();
    if (cat->arena == NULL) {
        free(cat);
        return NULL;
    }
    return cat;
}

void corral_catalog_free(corral_catalog *cat)
{
    if (cat == NULL) {
        return;
    }
    corral_arena_free(cat->arena);
    free(cat->rows);
    free(cat->order);
    free(cat->slots);
    free(cat);
}

size_t corral_catalog_size(const corral_catalog *cat)
{
    return cat != NULL ? cat->n_rows : 0;
}

static corral_err add_row(corral_catalog *cat, const struct row *r)
{
    if (cat->n_rows == cat->cap_rows) {
        size_t cap = cat->cap_rows != 0 ? cat->cap_rows * 2 : 256;
        if (cap > UINT32_MAX) {
            return CORRAL_ERR_NOMEM;
        }
        struct row *rows = realloc(cat->rows, cap * sizeof(*rows));
        if (rows == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        cat->rows = rows;
        cat->cap_rows = cap;
    }
    struct row *dst = &cat->rows[cat->n_rows];
    *dst = *r;
    dst->type = corral_arena_strndup(cat->arena, r->type, r->type_len);
    dst->name = corral_arena_strndup(cat->arena, r->name, r->name_len);
    if (dst->type == NULL || dst->name == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    cat->n_rows++;
    return CORRAL_OK;
}

struct keyed {
    const char *type;
    size_t len;
    uint32_t row;
};

static int compare_keyed(const void *a, const void *b)
{
    const struct keyed *x = a;
    const struct keyed *y = b;
    int c = compare_nocase(x->type, x->len, y->type, y->len);
    if (c != 0) {
        return c;
    }
    return x->row < y->row ? -1 : (x->row > y->row ? 1 : 0);
}

/* Group the rows by type and hash each group. */
static corral_err build_index(corral_catalog *cat)
{
    size_t n = cat->n_rows;
    if (n == 0) {
        return CORRAL_OK;
    }
    corral_err err = CORRAL_ERR_NOMEM;
    struct keyed *keys = malloc(n * sizeof(*keys));
    uint32_t *order = malloc(n * sizeof(*order));
    struct slot *slots = NULL;
    if (keys == NULL || order == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct keyed){cat->rows[i].type, cat->rows[i].type_len, (uint32_t)i};
    }
    qsort(keys, n, sizeof(*keys), compare_keyed);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        order[i] = keys[i].row;
        if (i == 0 ||
            compare_nocase(keys[i - 1].type, keys[i - 1].len, keys[i].type, keys[i].len) != 0) {
            groups++;
        }
    }
    size_t n_slots = 16;
    while (n_slots < groups * 2) {
        n_slots *= 2;
    }
    slots = calloc(n_slots, sizeof(*slots));
    if (slots == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && compare_nocase(keys[i].type, keys[i].len, keys[j].type, keys[j].len) == 0) {
            j++;
        }
        uint64_t h = hash_nocase(keys[i].type, keys[i].len);
        size_t at = (size_t)h & (n_slots - 1);
        while (slots[at].count != 0) {
            at = (at + 1) & (n_slots - 1);
        }
        slots[at] = (struct slot){h, (uint32_t)i, (uint32_t)(j - i)};
        i = j;
    }
    free(cat->order);
    free(cat->slots);
    cat->order = order;
    cat->slots = slots;
    cat->n_slots = n_slots;
    order = NULL;
    slots = NULL;
    err = CORRAL_OK;
cleanup:
    free(keys);
    free(order);
    free(slots);
    return err;
}

static const struct slot *find_type(const corral_catalog *cat, const char *type, size_t len)
{
    if (cat == NULL || cat->n_slots == 0) {
        return NULL;
    }
    uint64_t h = hash_nocase(type, len);
    size_t at = (size_t)h & (cat->n_slots - 1);
    while (cat->slots[at].count != 0) {
        const struct slot *s = &cat->slots[at];
        if (s->hash == h) {
            const struct row *r = &cat->rows[cat->order[s->first]];
            if (r->type_len == len && corral_ascii_equal_nocase(r->type, type, len)) {
                return s;
            }
        }
        at = (at + 1) & (cat->n_slots - 1);
    }
    return NULL;
}

/* One data line of the shipped format into a row (strings still point into the line). */
static corral_err parse_row(struct span line, size_t line_no, struct row *r,
                            struct corral_diag *diag)
{
    struct span f[N_COLUMNS];
    size_t bad_col;
    size_t count = split_fields(line, f, &bad_col);
    if (count != N_COLUMNS) {
        return column_count_error(diag, line_no, bad_col, count, "row");
    }
    struct span type = trim(f[0]);
    struct span name = trim(f[1]);
    struct span plan = trim(f[2]);
    if (type.len == 0) {
        return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, f[0].col, "empty alert_type");
    }
    if (corral_plan_parse(plan.s, plan.len, &r->plan) != 0) {
        return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, plan.col, "unknown plan '%.*s'",
                               (int)(plan.len > 40 ? 40 : plan.len), plan.s);
    }
    corral_err err = parse_list(f[3], LIST_SIGNALS, line_no, &r->signals, diag);
    if (err != CORRAL_OK) {
        return err;
    }
    err = parse_list(f[4], LIST_TACTICS, line_no, &r->tactics, diag);
    if (err != CORRAL_OK) {
        return err;
    }
    r->type = type.s;
    r->type_len = type.len;
    r->name = name.s;
    r->name_len = name.len;
    return CORRAL_OK;
}

static corral_err parse_table(corral_catalog *cat, const struct text *t, struct corral_diag *diag)
{
    struct lines it;
    struct span line;
    bool have_header = false;
    lines_init(&it, t);
    while (lines_next(&it, &line)) {
        if (is_ignored(line)) {
            continue;
        }
        corral_err err = check_no_nul(line, it.no, diag);
        if (err != CORRAL_OK) {
            return err;
        }
        if (!have_header) {
            err = check_header(line, it.no, loaded_columns, diag);
            if (err != CORRAL_OK) {
                return err;
            }
            have_header = true;
            continue;
        }
        struct row r;
        err = parse_row(line, it.no, &r, diag);
        if (err != CORRAL_OK) {
            return err;
        }
        if (add_row(cat, &r) != CORRAL_OK) {
            return corral_diag_set(diag, CORRAL_ERR_NOMEM, it.no, 0, "out of memory");
        }
    }
    if (!have_header) {
        return corral_diag_set(diag, CORRAL_ERR_DATA, it.no + 1, 1,
                               "missing header: the first line that is not a comment must be "
                               "alert_type, display_name, plan, signals, tactics");
    }
    return CORRAL_OK;
}

corral_err corral_catalog_load(const char *path, corral_catalog **out, struct corral_diag *diag)
{
    if (path == NULL || out == NULL) {
        return corral_diag_set(diag, CORRAL_ERR_USAGE, 0, 0, "no catalog path");
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return corral_diag_set(diag, CORRAL_ERR_IO, 0, 0, "%s: %s", path, strerror(e));
    }
    struct text t = {NULL, 0};
    corral_catalog *cat = NULL;
    corral_err err = read_all(f, path, &t, diag);
    fclose(f);
    if (err != CORRAL_OK) {
        goto cleanup;
    }
    cat = corral_catalog_new();
    if (cat == NULL) {
        err = corral_diag_set(diag, CORRAL_ERR_NOMEM, 0, 0, "out of memory");
        goto cleanup;
    }
    err = parse_table(cat, &t, diag);
    if (err != CORRAL_OK) {
        goto cleanup;
    }
    err = build_index(cat);
    if (err != CORRAL_OK) {
        corral_diag_set(diag, err, 0, 0, "out of memory");
        goto cleanup;
    }
    *out = cat;
    cat = NULL;
cleanup:
    corral_catalog_free(cat);
    free(t.data);
    return err;
}

/* ---- classification ---- */

static struct span trim_space(const char *s, size_t len)
{
    struct span r = {s != NULL ? s : "", s != NULL ? len : 0, 1};
    while (r.len > 0 && is_space(r.s[0])) {
        r.s++;
        r.len--;
    }
    while (r.len > 0 && is_space(r.s[r.len - 1])) {
        r.len--;
    }
    return r;
}

/*
 * The row of a known type for this alert: among the rows whose display name
 * equals the alert's (all rows when none does), the first of the product
 * component's plan, else the first of the prefix plan, else the first row.
 */
static const struct row *pick_row(const corral_catalog *cat, const struct slot *s, struct span name,
                                  enum corral_plan component, enum corral_plan prefix)
{
    const uint32_t *rows = &cat->order[s->first];
    bool by_name = false;
    for (uint32_t i = 0; i < s->count && !by_name; i++) {
        const struct row *r = &cat->rows[rows[i]];
        by_name = corral_ascii_same_nocase(r->name, r->name_len, name.s, name.len);
    }
    const enum corral_plan wanted[2] = {component, prefix};
    for (int w = 0; w < 2; w++) {
        if (wanted[w] == CORRAL_PLAN_UNKNOWN) {
            continue;
        }
        for (uint32_t i = 0; i < s->count; i++) {
            const struct row *r = &cat->rows[rows[i]];
            if (by_name && !corral_ascii_same_nocase(r->name, r->name_len, name.s, name.len)) {
                continue;
            }
            if (r->plan == wanted[w]) {
                return r;
            }
        }
    }
    for (uint32_t i = 0; i < s->count; i++) {
        const struct row *r = &cat->rows[rows[i]];
        if (!by_name || corral_ascii_same_nocase(r->name, r->name_len, name.s, name.len)) {
            return r;
        }
    }
    return &cat->rows[rows[0]];
}

void corral_catalog_classify(const corral_catalog *cat, const char *alert_type, size_t type_len,
                             const char *display_name, size_t name_len, const char *component,
                             size_t component_len, struct corral_classification *out)
{
    if (out == NULL) {
        return;
    }
    struct span type = trim_space(alert_type, type_len);
    struct span name = trim_space(display_name, name_len);
    struct span comp = trim_space(component, component_len);

    out->plan = CORRAL_PLAN_UNKNOWN;
    out->signals = 0;
    out->tactics = 0;
    out->known = 0;

    const struct slot *s = type.len > 0 ? find_type(cat, type.s, type.len) : NULL;
    if (s != NULL) {
        /* The component and prefix rules only choose between rows: a type with one row needs
         * neither. */
        const struct row *r = &cat->rows[cat->order[s->first]];
        if (s->count > 1) {
            r = pick_row(cat, s, name, corral_plan_from_component(comp.s, comp.len),
                         corral_plan_from_prefix(type.s, type.len));
        }
        out->plan = r->plan;
        out->signals = r->signals & ~(uint32_t)CORRAL_SIG_ACCOUNT;
        out->tactics = r->tactics;
        out->known = 1;
        return;
    }
    enum corral_plan by_component = corral_plan_from_component(comp.s, comp.len);
    out->plan = by_component != CORRAL_PLAN_UNKNOWN ? by_component
                                                    : corral_plan_from_prefix(type.s, type.len);
    out->signals = corral_signals_from_text(type.s, type.len, name.s, name.len);
}

/* ---- building the shipped table from Microsoft's reference ---- */

struct built {
    char *type;
    char *name;
    enum corral_plan plan;
    uint32_t signals;
    uint32_t tactics;
};

struct built_vec {
    struct built *v;
    size_t n;
    size_t cap;
};

static int compare_built(const void *a, const void *b)
{
    const struct built *x = a;
    const struct built *y = b;
    int c = strcmp(x->type, y->type);
    if (c == 0) {
        c = strcmp(corral_plan_name(x->plan), corral_plan_name(y->plan));
    }
    if (c == 0) {
        c = strcmp(x->name, y->name);
    }
    return c;
}

/* The alert type without any whitespace: "AppServices_KnownCredential AccessTools" is a typo. */
static char *clean_type(corral_arena *arena, struct span f)
{
    char *s = corral_arena_alloc(arena, f.len + 1);
    if (s == NULL) {
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < f.len; i++) {
        if (!is_space(f.s[i])) {
            s[n++] = f.s[i];
        }
    }
    s[n] = '\0';
    return s;
}

/* The display name, trimmed, without the docs' trailing "[seen multiple times]". */
static struct span clean_name(struct span f)
{
    f = trim(f);
    size_t n = sizeof(seen_multiple) - 1;
    if (f.len >= n && corral_ascii_same_nocase(f.s + f.len - n, n, seen_multiple, n)) {
        f.len -= n;
        f = trim(f);
    }
    return f;
}

static corral_err build_row(struct span line, size_t line_no, corral_arena *arena,
                            struct built_vec *rows, struct corral_diag *diag)
{
    struct span f[N_COLUMNS];
    size_t bad_col;
    size_t count = split_fields(line, f, &bad_col);
    if (count != N_COLUMNS) {
        return column_count_error(diag, line_no, bad_col, count, "row");
    }
    struct span plan_col = trim(f[0]);
    char *type = clean_type(arena, f[1]);
    if (type == NULL) {
        return corral_diag_set(diag, CORRAL_ERR_NOMEM, line_no, 0, "out of memory");
    }
    if (type[0] == '\0' || starts_with_nocase(plan_col, "Security incident")) {
        return CORRAL_OK; /* not an alert type: nothing to look up */
    }
    if (type[0] == '#') {
        return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, f[1].col,
                               "an alert type may not start with '#'");
    }
    enum corral_plan plan = corral_plan_from_catalog_column(plan_col.s, plan_col.len);
    if (plan == CORRAL_PLAN_UNKNOWN) {
        return corral_diag_set(diag, CORRAL_ERR_DATA, line_no, plan_col.col,
                               "no plan for the catalog section '%.*s'",
                               (int)(plan_col.len > 60 ? 60 : plan_col.len), plan_col.s);
    }
    uint32_t tactics;
    corral_err err = parse_list(f[3], LIST_MS_TACTICS, line_no, &tactics, diag);
    if (err != CORRAL_OK) {
        return err;
    }
    struct span name = clean_name(f[2]);
    char *name_copy = corral_arena_strndup(arena, name.s, name.len);
    if (name_copy == NULL) {
        return corral_diag_set(diag, CORRAL_ERR_NOMEM, line_no, 0, "out of memory");
    }
    if (rows->n == rows->cap) {
        size_t cap = rows->cap != 0 ? rows->cap * 2 : 512;
        struct built *v = realloc(rows->v, cap * sizeof(*v));
        if (v == NULL) {
            return corral_diag_set(diag, CORRAL_ERR_NOMEM, line_no, 0, "out of memory");
        }
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n++] = (struct built){
        .type = type,
        .name = name_copy,
        .plan = plan,
        .signals = corral_signals_from_text(type, strlen(type), name.s, name.len),
        .tactics = tactics,
    };
    return CORRAL_OK;
}

/* "a,b" in enum order, or "-". */
static void write_signals(FILE *out, uint32_t flags)
{
    if (flags == 0) {
        fputc('-', out);
        return;
    }
    const char *sep = "";
    for (unsigned i = 0; i < CORRAL_SIG_COUNT; i++) {
        if ((flags & (1u << i)) != 0) {
            fprintf(out, "%s%s", sep, corral_signal_name((enum corral_signal)(1u << i)));
            sep = ",";
        }
    }
}

static void write_tactics(FILE *out, uint32_t flags)
{
    if (flags == 0) {
        fputc('-', out);
        return;
    }
    const char *sep = "";
    for (unsigned i = 0; i < CORRAL_TAC_COUNT; i++) {
        if ((flags & (1u << i)) != 0) {
            fprintf(out, "%s%s", sep, corral_tactic_name((enum corral_tactic)i));
            sep = ",";
        }
    }
}

static corral_err write_table(FILE *out, const struct built_vec *rows, struct corral_diag *diag)
{
    fputs("# Generated by `corral catalog build data/defender-alert-catalog.tsv`: do not edit by "
          "hand.\n",
          out);
    fputs("alert_type\tdisplay_name\tplan\tsignals\ttactics\n", out);
    for (size_t i = 0; i < rows->n; i++) {
        const struct built *r = &rows->v[i];
        fprintf(out, "%s\t%s\t%s\t", r->type, r->name, corral_plan_name(r->plan));
        write_signals(out, r->signals);
        fputc('\t', out);
        write_tactics(out, r->tactics);
        fputc('\n', out);
    }
    if (fflush(out) != 0 || ferror(out)) {
        int e = errno;
        return corral_diag_set(diag, CORRAL_ERR_IO, 0, 0, "write failed: %s",
                               e != 0 ? strerror(e) : "I/O error");
    }
    return CORRAL_OK;
}

/* Sort, then fold rows with the same (type, plan, display name) into one (tactics united). */
static void sort_and_merge(struct built_vec *rows)
{
    if (rows->n == 0) {
        return;
    }
    qsort(rows->v, rows->n, sizeof(*rows->v), compare_built);
    size_t w = 0;
    for (size_t i = 1; i < rows->n; i++) {
        struct built *last = &rows->v[w];
        if (compare_built(last, &rows->v[i]) == 0) {
            last->tactics |= rows->v[i].tactics;
            last->signals |= rows->v[i].signals;
        } else {
            rows->v[++w] = rows->v[i];
        }
    }
    rows->n = w + 1;
}

corral_err corral_catalog_build(FILE *in, const char *in_name, FILE *out, struct corral_diag *diag)
{
    const char *name = in_name != NULL ? in_name : "(input)";
    if (in == NULL || out == NULL) {
        return corral_diag_set(diag, CORRAL_ERR_USAGE, 0, 0, "no input or output");
    }
    struct text t = {NULL, 0};
    struct built_vec rows = {NULL, 0, 0};
    corral_arena *arena = NULL;
    corral_err err = read_all(in, name, &t, diag);
    if (err != CORRAL_OK) {
        goto cleanup;
    }
    arena = corral_arena_new();
    if (arena == NULL) {
        err = corral_diag_set(diag, CORRAL_ERR_NOMEM, 0, 0, "out of memory");
        goto cleanup;
    }
    struct lines it;
    struct span line;
    bool have_header = false;
    lines_init(&it, &t);
    while (lines_next(&it, &line)) {
        if (is_ignored(line)) {
            continue;
        }
        err = check_no_nul(line, it.no, diag);
        if (err != CORRAL_OK) {
            goto cleanup;
        }
        if (!have_header) {
            err = check_header(line, it.no, reference_columns, diag);
            if (err != CORRAL_OK) {
                goto cleanup;
            }
            have_header = true;
            continue;
        }
        err = build_row(line, it.no, arena, &rows, diag);
        if (err != CORRAL_OK) {
            goto cleanup;
        }
    }
    if (!have_header) {
        err = corral_diag_set(diag, CORRAL_ERR_DATA, it.no + 1, 1,
                              "missing header: the first line must be plan, alert_type, "
                              "display_name, tactics, severity");
        goto cleanup;
    }
    sort_and_merge(&rows);
    err = write_table(out, &rows, diag);
cleanup:
    free(rows.v);
    corral_arena_free(arena);
    free(t.data);
    return err;
}
