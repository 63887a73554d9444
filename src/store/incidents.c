/*
 * incidents.c - the store's incident write path (store.h,
 * corral_store_apply_incident): successors of closed incidents, retractions
 * that keep what an analyst touched, and writes of only what changed.
 *
 * Ingest is bound by this path: in stream mode most alerts change a few live
 * incidents, and an incident's document, membership and entities used to be
 * rewritten whole on every change. Now the document is written once per
 * batch (the caller coalesces), and membership and entity rows are diffed
 * against what was last written, which this file remembers per live incident
 * row (struct written; loaded from the rows when not remembered, e.g. after a
 * restart). That memory is forgotten on rollback, and when it grows past a
 * bound.
 *
 * Lineage: the engine names an incident by a deterministic id and keeps
 * reporting it as it grows. Generation 0 is the engine's own row. Once an
 * analyst closes (Resolved, Dismissed) the last generation, the next change
 * that brings alerts no generation holds creates generation g + 1, with an id
 * derived from the engine's id and g + 1, so that a replay after a crash makes
 * the same ids. Only the last generation ever changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/incident_json.h"
#include "store/store.h"
#include "store/store_impl.h"

/* Past this, the memory starts over (it is only a cache of the rows). */
#define WRITTEN_MAX 65536

/* What was last written of one incident row; one allocation, strings included. */
struct written {
    const char *id; /* the map's key */
    int64_t seq;
    uint32_t n_members, n_ents;
    const char **members; /* alert ids, sorted by strcmp */
    int64_t *seqs;        /* the members' alert seqs */
    uint8_t *roles;
    int64_t *keys; /* the hashes of its entities' keys (incident_keys), sorted */
    uint64_t doc[2]; /* a 128-bit hash of its document; 0, 0 when not known */
};

/* One row of an incident's lineage. Ids are the engine's or successor_id()'s: 36 bytes. */
struct gen_row {
    int64_t seq;
    char id[40];
    int status;
    int64_t gen;
    int has_next;
    int64_t version;
};

static int closed_status(int status)
{
    return status == CORRAL_STATUS_RESOLVED || status == CORRAL_STATUS_DISMISSED;
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_link_id(const void *a, const void *b)
{
    return strcmp((*(const struct corral_link *const *)a)->alert->id,
                  (*(const struct corral_link *const *)b)->alert->id);
}

/* ---- the memories ---- */

static void free_values(corral_map **map)
{
    if (*map == NULL) {
        return;
    }
    size_t pos = 0;
    const void *k;
    size_t kl;
    void *v;
    while (corral_map_next(*map, &pos, &k, &kl, &v)) {
        free(v);
    }
    corral_map_free(*map);
    *map = NULL;
}

void corral_store_forget_written(corral_store *s)
{
    free_values(&s->written);
}

static void forget_one(corral_store *s, const char *id)
{
    if (s->written != NULL) {
        free(corral_map_del(s->written, id, strlen(id)));
    }
}

/*
 * Remember row seq of incident id as holding n members (ids sorted, with
 * their seqs and roles) and m key hashes (sorted); replaces what was
 * remembered. NULL when out of memory.
 */
static struct written *remember(corral_store *s, const char *id, int64_t seq,
                                const char *const *ids, const int64_t *seqs,
                                const uint8_t *roles, uint32_t n, const int64_t *keys,
                                uint32_t m)
{
    size_t idlen = strlen(id);
    size_t strbytes = idlen + 1;
    for (uint32_t i = 0; i < n; i++) {
        strbytes += strlen(ids[i]) + 1;
    }
    size_t size = sizeof(struct written) + n * sizeof(char *) + (n + m) * sizeof(int64_t) + n +
                  strbytes;
    struct written *w = malloc(size);
    if (w == NULL) {
        return NULL;
    }
    w->seq = seq;
    w->n_members = n;
    w->n_ents = m;
    w->doc[0] = w->doc[1] = 0;
    w->members = (const char **)(w + 1);
    w->seqs = (int64_t *)(w->members + n);
    w->keys = w->seqs + n;
    w->roles = (uint8_t *)(w->keys + m);
    char *p = (char *)(w->roles + n);
    memcpy(p, id, idlen + 1);
    w->id = p;
    p += idlen + 1;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(ids[i]);
        memcpy(p, ids[i], len + 1);
        w->members[i] = p;
        p += len + 1;
    }
    if (n > 0) {
        memcpy(w->seqs, seqs, n * sizeof(int64_t));
        memcpy(w->roles, roles, n);
    }
    if (m > 0) {
        memcpy(w->keys, keys, m * sizeof(int64_t));
    }
    if (s->written == NULL && (s->written = corral_map_new()) == NULL) {
        free(w);
        return NULL;
    }
    free(corral_map_del(s->written, id, idlen));
    if (corral_map_put(s->written, w->id, idlen, w) != CORRAL_OK) {
        free(w);
        return NULL;
    }
    return w;
}

/* A member row read back: its alert's id (an offset in a text buffer), seq and role. */
struct member_row {
    size_t off;
    int64_t seq;
    uint8_t role;
};

static int cmp_member_row(const void *a, const void *b, void *text)
{
    return strcmp((const char *)text + ((const struct member_row *)a)->off,
                  (const char *)text + ((const struct member_row *)b)->off);
}

/* What the rows of incident seq hold (remembered, or read back). */
static corral_err written_of(corral_store *s, const char *id, int64_t seq, struct written **out)
{
    *out = s->written != NULL ? corral_map_get(s->written, id, strlen(id)) : NULL;
    if (*out != NULL && (*out)->seq == seq) {
        return CORRAL_OK;
    }
    corral_err err = CORRAL_OK;
    struct member_row *rows = NULL;
    const char **ids = NULL;
    int64_t *seqs = NULL;
    uint8_t *roles = NULL;
    int64_t *keys = NULL;
    size_t n = 0, cap = 0, m = 0, mcap = 0;
    struct corral_strbuf text;
    corral_strbuf_init(&text);
    sqlite3_stmt *st = s->st[ST_MEM_LIST];
    sqlite3_bind_int64(st, 1, seq);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct member_row *nr = realloc(rows, cap * sizeof(*nr));
            if (nr == NULL) {
                err = CORRAL_ERR_NOMEM;
                break;
            }
            rows = nr;
        }
        const char *a = corral_store_col_text(st, 0);
        rows[n].off = text.len;
        rows[n].seq = sqlite3_column_int64(st, 1);
        rows[n++].role = (uint8_t)sqlite3_column_int(st, 2);
        corral_strbuf_append(&text, a, strlen(a) + 1);
    }
    if (err == CORRAL_OK && rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    st = s->st[ST_ENT_LIST];
    sqlite3_bind_int64(st, 1, seq);
    while (err == CORRAL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (m == mcap) {
            mcap = mcap ? mcap * 2 : 16;
            int64_t *nk = realloc(keys, mcap * sizeof(*nk));
            if (nk == NULL) {
                err = CORRAL_ERR_NOMEM;
                break;
            }
            keys = nk;
        }
        keys[m++] = sqlite3_column_int64(st, 0);
    }
    if (err == CORRAL_OK && rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (err == CORRAL_OK && corral_strbuf_status(&text) != CORRAL_OK) {
        err = CORRAL_ERR_NOMEM;
    }
    if (err == CORRAL_OK) {
        ids = malloc((n ? n : 1) * sizeof(*ids));
        seqs = malloc((n ? n : 1) * sizeof(*seqs));
        roles = malloc(n ? n : 1);
        if (ids == NULL || seqs == NULL || roles == NULL) {
            err = CORRAL_ERR_NOMEM;
        }
    }
    if (err == CORRAL_OK) {
        if (n > 1) {
            qsort_r(rows, n, sizeof(*rows), cmp_member_row, text.data);
        }
        for (size_t i = 0; i < n; i++) {
            ids[i] = text.data + rows[i].off;
            seqs[i] = rows[i].seq;
            roles[i] = rows[i].role;
        }
        if (m > 1) {
            qsort(keys, m, sizeof(*keys), cmp_i64);
        }
        *out = remember(s, id, seq, ids, seqs, roles, (uint32_t)n, keys, (uint32_t)m);
        if (*out == NULL) {
            err = CORRAL_ERR_NOMEM;
        }
    }
    free(rows);
    free(ids);
    free(seqs);
    free(roles);
    free(keys);
    corral_strbuf_release(&text);
    return err;
}

/* Run a membership statement: (incident, alert seq[, role]). */
static corral_err run_member(corral_store *s, int which, int64_t seq, int64_t alert, int role)
{
    sqlite3_stmt *st = s->st[which];
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, alert);
    if (which != ST_MEM_DELETE) {
        sqlite3_bind_int(st, 3, role);
    }
    return corral_store_step(st);
}

/* Run an insert of many rows for incident seq: the array being written in s->rows. */
static corral_err insert_many(corral_store *s, int which, int64_t seq)
{
    corral_strbuf_putc(&s->rows, ']');
    corral_err err = corral_strbuf_status(&s->rows);
    if (err == CORRAL_OK) {
        sqlite3_stmt *st = s->st[which];
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_text(st, 2, s->rows.data, (int)s->rows.len, SQLITE_STATIC);
        err = corral_store_step(st);
    }
    corral_strbuf_clear(&s->rows);
    return err;
}

static corral_err run_key(corral_store *s, int which, int64_t seq, int64_t key)
{
    sqlite3_stmt *st = s->st[which];
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, key);
    return corral_store_step(st);
}

/* The seq of the stored alert id: written in this transaction, or looked up. */
static corral_err alert_seq(corral_store *s, const char *id, int64_t *out)
{
    const int64_t *known = s->tx_seqs != NULL ? corral_map_get(s->tx_seqs, id, strlen(id)) : NULL;
    if (known != NULL) {
        *out = *known;
        return CORRAL_OK;
    }
    sqlite3_stmt *st = s->st[ST_ALERT_FIND];
    bind_str(st, 1, id);
    int found = 0;
    corral_err err = corral_store_step_int64(st, out, &found);
    /* A member that is not stored: the caller wrote incidents before their alerts. */
    return err == CORRAL_OK && !found ? CORRAL_ERR_IO : err;
}

/*
 * Bring the membership and entity rows of incident seq from what was written
 * (old, NULL for a new row) to inc's members and entities, and remember them.
 * Only added, removed or changed rows are written; *changed says whether any
 * was.
 */
static corral_err write_rows(corral_store *s, const char *id, int64_t seq,
                             const struct written *old, const struct corral_incident *inc,
                             int *changed)
{
    uint32_t n = inc->n_members, m = inc->n_entities;
    const char **ids = malloc((n ? n : 1) * sizeof(*ids));
    int64_t *seqs = malloc((n ? n : 1) * sizeof(*seqs));
    uint8_t *roles = malloc(n ? n : 1);
    const struct corral_link **by_id = malloc((n ? n : 1) * sizeof(*by_id));
    int64_t *keys = malloc((m ? m : 1) * sizeof(*keys));
    corral_err err = ids && seqs && roles && by_id && keys ? CORRAL_OK : CORRAL_ERR_NOMEM;
    *changed = 0;
    if (err != CORRAL_OK) {
        goto done;
    }
    /* Members come in (start, id) order; the rows are compared in id order. */
    for (uint32_t i = 0; i < n; i++) {
        by_id[i] = &inc->links[i];
    }
    qsort(by_id, n, sizeof(*by_id), cmp_link_id);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (kept > 0 && strcmp(by_id[i]->alert->id, ids[kept - 1]) == 0) {
            continue; /* never two links for one alert; be safe */
        }
        ids[kept] = by_id[i]->alert->id;
        roles[kept++] = (uint8_t)by_id[i]->role;
    }
    n = kept;
    uint32_t on = old != NULL ? old->n_members : 0;
    uint32_t i = 0, j = 0;
    while (err == CORRAL_OK && (i < n || j < on)) {
        int c = i == n ? 1 : j == on ? -1 : strcmp(ids[i], old->members[j]);
        if (c < 0) {
            /* Added members and keys go in one statement each (a JSON array of integers). */
            err = alert_seq(s, ids[i], &seqs[i]);
            corral_strbuf_putc(&s->rows, *changed & 1 ? ',' : '[');
            corral_strbuf_json_int(&s->rows, seqs[i] * 256 + roles[i]);
            i++;
            *changed |= 1;
        } else if (c > 0) {
            err = run_member(s, ST_MEM_DELETE, seq, old->seqs[j], 0);
            j++;
            *changed |= 2;
        } else {
            seqs[i] = old->seqs[j];
            if (roles[i] != old->roles[j]) {
                err = run_member(s, ST_MEM_ROLE, seq, seqs[i], roles[i]);
                *changed |= 2;
            }
            i++;
            j++;
        }
    }
    if (err == CORRAL_OK && (*changed & 1)) {
        err = insert_many(s, ST_MEM_INSERT, seq);
    }
    /* Entities as the set of their keys' hashes. */
    for (uint32_t e = 0; e < m; e++) {
        keys[e] = corral_store_key_hash(inc->entities[e].key, inc->entities[e].len);
    }
    qsort(keys, m, sizeof(*keys), cmp_i64);
    uint32_t k = 0;
    for (uint32_t e = 0; e < m; e++) {
        if (k == 0 || keys[e] != keys[k - 1]) {
            keys[k++] = keys[e];
        }
    }
    uint32_t om = old != NULL ? old->n_ents : 0;
    i = 0;
    j = 0;
    int added = 0;
    while (err == CORRAL_OK && (i < k || j < om)) {
        if (j == om || (i < k && keys[i] < old->keys[j])) {
            corral_strbuf_putc(&s->rows, added++ > 0 ? ',' : '[');
            corral_strbuf_json_int(&s->rows, keys[i++]);
        } else if (i == k || old->keys[j] < keys[i]) {
            err = run_key(s, ST_ENT_DELETE, seq, old->keys[j++]);
            *changed |= 2;
        } else {
            i++;
            j++;
        }
    }
    if (err == CORRAL_OK && added > 0) {
        *changed |= 1;
        err = insert_many(s, ST_ENT_INSERT, seq);
    }
    if (err == CORRAL_OK && remember(s, id, seq, ids, seqs, roles, n, keys, k) == NULL) {
        err = CORRAL_ERR_NOMEM;
    }
done:
    free(ids);
    free(seqs);
    free(roles);
    free(by_id);
    free(keys);
    return err;
}

/* ---- rows ---- */

/* Generation 0 (or the lineage's head) by id; *found = 0 when absent. */
static corral_err row_by_id(corral_store *s, const char *id, struct gen_row *r, int *found)
{
    sqlite3_stmt *st = s->st[ST_INC_BY_ID];
    bind_str(st, 1, id);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        r->seq = sqlite3_column_int64(st, 0);
        snprintf(r->id, sizeof(r->id), "%.39s", id);
        r->status = sqlite3_column_int(st, 1);
        r->gen = sqlite3_column_int64(st, 2);
        r->has_next = sqlite3_column_type(st, 3) != SQLITE_NULL;
        r->version = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
}

/* Every generation of origin: head first, then its successors in order. *n rows (malloc'd). */
static corral_err lineage(corral_store *s, const struct gen_row *head, struct gen_row **out,
                          size_t *n)
{
    size_t cap = 4;
    struct gen_row *rows = malloc(cap * sizeof(*rows));
    if (rows == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    rows[0] = *head;
    *n = 1;
    corral_err err = CORRAL_OK;
    if (head->has_next) {
        sqlite3_stmt *st = s->st[ST_INC_LINEAGE];
        bind_str(st, 1, head->id);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n == cap) {
                cap *= 2;
                struct gen_row *nr = realloc(rows, cap * sizeof(*nr));
                if (nr == NULL) {
                    err = CORRAL_ERR_NOMEM;
                    break;
                }
                rows = nr;
            }
            struct gen_row *r = &rows[(*n)++];
            r->seq = sqlite3_column_int64(st, 0);
            snprintf(r->id, sizeof(r->id), "%.39s", corral_store_col_text(st, 1));
            r->status = sqlite3_column_int(st, 2);
            r->gen = sqlite3_column_int64(st, 3);
            r->has_next = sqlite3_column_type(st, 4) != SQLITE_NULL;
            r->version = sqlite3_column_int64(st, 5);
        }
        if (err == CORRAL_OK && rc != SQLITE_DONE) {
            err = CORRAL_ERR_IO;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (err != CORRAL_OK) {
        free(rows);
        rows = NULL;
        *n = 0;
    }
    *out = rows;
    return err;
}

/* The id of generation gen of origin: a GUID-shaped 128-bit hash, as engine ids are. */
static void successor_id(char out[40], const char *origin, int64_t gen)
{
    char g[32];
    int glen = snprintf(g, sizeof(g), "successor\x1f%lld", (long long)gen);
    size_t olen = strlen(origin);
    uint64_t h1 = 0x9e3779b97f4a7c15ULL, h2 = 0x6a09e667f3bcc909ULL;
    h1 = corral_hash(g, (size_t)glen, h1 ^ (uint64_t)glen);
    h2 = corral_hash(g, (size_t)glen, h2 + (uint64_t)glen * 0x100000001b3ULL);
    h1 = corral_hash(origin, olen, h1 ^ (uint64_t)olen);
    h2 = corral_hash(origin, olen, h2 + (uint64_t)olen * 0x100000001b3ULL);
    snprintf(out, 40, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(h1 >> 32),
             (unsigned)(h1 >> 16) & 0xffff, (unsigned)h1 & 0xffff, (unsigned)(h2 >> 48),
             (unsigned long long)(h2 & 0xffffffffffffULL));
}

/* The 128-bit hash by which an unchanged document is not written again. */
static void doc_hash(const char *json, size_t len, uint64_t out[2])
{
    out[0] = corral_hash(json, len, 0x9e3779b97f4a7c15ULL);
    out[1] = corral_hash(json, len, 0x6a09e667f3bcc909ULL) | 1; /* never 0, 0 */
}

/* Remember the hash of the document last written for row id (after write_rows). */
static void remember_doc(corral_store *s, const char *id, const uint64_t doc[2])
{
    struct written *w = s->written != NULL ? corral_map_get(s->written, id, strlen(id)) : NULL;
    if (w != NULL) {
        w->doc[0] = doc[0];
        w->doc[1] = doc[1];
    }
}

/*
 * Write the columns of inc: a new row (*seq = 0 on entry; set) with origin,
 * gen and previous, or an update of row *seq; and its document (json, or made
 * here when NULL), unless old says that it is the one written last. *doc:
 * the document's hash.
 */
static corral_err write_doc(corral_store *s, const struct corral_incident *inc, const char *json,
                            size_t json_len, const struct written *old, int final,
                            int64_t version, corral_time now, int64_t *seq, const char *origin,
                            int64_t gen, const char *previous, uint64_t doc[2])
{
    if (json == NULL) {
        corral_strbuf_clear(&s->json);
        corral_incident_json(&s->json, inc, CORRAL_FORMAT_CORRAL, NULL);
        if (corral_strbuf_status(&s->json) != CORRAL_OK) {
            return CORRAL_ERR_NOMEM;
        }
        json = s->json.data;
        json_len = s->json.len;
    }
    doc_hash(json, json_len, doc);
    /* Insert and update number their parameters alike (store.c); the update's row is ?17. */
    sqlite3_stmt *st = s->st[*seq == 0 ? ST_INC_INSERT : ST_INC_UPDATE];
    bind_str(st, 1, inc->id);
    bind_str(st, 2, inc->scope);
    bind_str(st, 3, inc->kind);
    sqlite3_bind_int(st, 4, (int)inc->severity);
    sqlite3_bind_int(st, 5, (int)inc->entity_type);
    bind_str(st, 6, inc->entity_key);
    sqlite3_bind_int64(st, 7, inc->first_activity);
    sqlite3_bind_int64(st, 8, inc->last_activity);
    sqlite3_bind_int64(st, 9, version);
    sqlite3_bind_int(st, 10, final ? 1 : 0);
    sqlite3_bind_int64(st, 11, inc->n_members);
    sqlite3_bind_int64(st, 13, now);
    corral_err err;
    if (*seq != 0) {
        sqlite3_bind_int64(st, 17, *seq);
        err = corral_store_step(st);
    } else {
        if (origin != NULL) {
            bind_str(st, 14, origin);
            bind_str(st, 16, previous);
        }
        sqlite3_bind_int64(st, 15, gen);
        int found = 0;
        err = corral_store_step_int64(st, seq, &found);
        if (err == CORRAL_OK && !found) {
            err = CORRAL_ERR_IO;
        }
    }
    /* A final flag or version is most often all that changed (the session closed). */
    if (err != CORRAL_OK ||
        (old != NULL && old->doc[0] == doc[0] && old->doc[1] == doc[1])) {
        return err;
    }
    st = s->st[ST_DOC_PUT];
    sqlite3_bind_int64(st, 1, *seq);
    sqlite3_bind_text(st, 2, json, (int)json_len, SQLITE_STATIC);
    return corral_store_step(st);
}

/* Delete row r with its membership and entities. */
static corral_err delete_row(corral_store *s, const struct gen_row *r)
{
    corral_err err = CORRAL_OK;
    const int which[] = {ST_MEM_DELETE_ALL, ST_ENT_DELETE_ALL, ST_DOC_DELETE, ST_INC_DELETE};
    for (int i = 0; i < 4 && err == CORRAL_OK; i++) {
        sqlite3_bind_int64(s->st[which[i]], 1, r->seq);
        err = corral_store_step(s->st[which[i]]);
    }
    forget_one(s, r->id);
    return err;
}

/* Has an analyst done anything to it (status, assignee, comment: all logged as activity)? */
static corral_err touched(corral_store *s, const struct gen_row *r, int *out)
{
    sqlite3_stmt *st = s->st[ST_INC_TOUCHED];
    bind_str(st, 1, r->id);
    int64_t any = 0;
    int found = 0;
    corral_err err = corral_store_step_int64(st, &any, &found);
    *out = r->status != CORRAL_STATUS_ACTIVE || any != 0;
    return err;
}

static corral_err retract(corral_store *s, const char *id)
{
    struct gen_row head;
    int found = 0;
    corral_err err = row_by_id(s, id, &head, &found);
    if (err != CORRAL_OK || !found) {
        return err;
    }
    struct gen_row *rows = NULL;
    size_t n = 0;
    if ((err = lineage(s, &head, &rows, &n)) != CORRAL_OK) {
        return err;
    }
    /* Only the last generation can be untouched: every earlier one was closed by an analyst. */
    for (size_t i = n; i-- > 0 && err == CORRAL_OK;) {
        int t = 0;
        if ((err = touched(s, &rows[i], &t)) != CORRAL_OK) {
            break;
        }
        if (t) {
            sqlite3_bind_int64(s->st[ST_INC_RETRACTED], 1, rows[i].seq);
            err = corral_store_step(s->st[ST_INC_RETRACTED]);
            forget_one(s, rows[i].id);
            continue;
        }
        err = delete_row(s, &rows[i]);
        if (err == CORRAL_OK && i > 0) {
            bind_str(s->st[ST_INC_CLEAR_NEXT], 1, rows[i - 1].id);
            err = corral_store_step(s->st[ST_INC_CLEAR_NEXT]);
        }
    }
    free(rows);
    return err;
}

/*
 * inc reduced to the links whose alert no earlier generation holds, with
 * everything derived from the members computed again for them: times, plans,
 * tactics, severity, entities (read from the stored alerts) and, for a
 * machine chain, the vms. *sub borrows from inc and from the buffers, which
 * the caller frees.
 */
struct subset {
    struct corral_incident inc;
    struct corral_link *links;
    struct corral_entity *entities;
    struct corral_strbuf keys;
    struct corral_strbuf vms;
};

static int cmp_entity_val(const void *a, const void *b)
{
    return corral_entity_cmp(a, b);
}

static void subset_free(struct subset *sub)
{
    free(sub->links);
    free(sub->entities);
    corral_strbuf_release(&sub->keys);
    corral_strbuf_release(&sub->vms);
}

static corral_err make_subset(corral_store *s, const struct corral_incident_change *ch,
                              const corral_map *excluded, struct subset *sub)
{
    const struct corral_incident *inc = ch->inc;
    memset(sub, 0, sizeof(*sub));
    corral_strbuf_init(&sub->keys);
    corral_strbuf_init(&sub->vms);
    sub->inc = *inc;
    sub->links = malloc((inc->n_members ? inc->n_members : 1) * sizeof(*sub->links));
    if (sub->links == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    uint32_t n = 0;
    int any_high = 0, chain = 0;
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        if (corral_map_get(excluded, a->id, strlen(a->id)) != NULL) {
            continue;
        }
        sub->links[n++] = inc->links[i];
        chain |= inc->links[i].stage >= 0;
        if (n == 1) {
            sub->inc.first_activity = sub->inc.last_activity = a->start;
            sub->inc.plans = sub->inc.tactics = 0;
        }
        if (a->start < sub->inc.first_activity) {
            sub->inc.first_activity = a->start;
        }
        if (a->start > sub->inc.last_activity) {
            sub->inc.last_activity = a->start;
        }
        if (a->plan != CORRAL_PLAN_UNKNOWN) {
            sub->inc.plans |= 1u << a->plan;
        }
        sub->inc.tactics |= a->tactics;
        any_high |= a->severity == CORRAL_SEV_HIGH;
    }
    sub->inc.links = sub->links;
    sub->inc.n_members = n;
    if (ch->high_if_any_high) {
        sub->inc.severity = any_high ? CORRAL_SEV_HIGH : CORRAL_SEV_MEDIUM;
    }
    /* The members' entities, from their stored alerts: keys first, then the array over them. */
    struct corral_strbuf *kb = &sub->keys;
    size_t total = 0;
    corral_err err = CORRAL_OK;
    for (uint32_t i = 0; i < n && err == CORRAL_OK; i++) {
        sqlite3_stmt *st = s->st[ST_ALERT_ENTS];
        bind_str(st, 1, sub->links[i].alert->id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            uint32_t k = 0;
            err = corral_store_parse_ents(s, sqlite3_column_blob(st, 0),
                                          (size_t)sqlite3_column_bytes(st, 0), &k);
            for (uint32_t e = 0; e < k && err == CORRAL_OK; e++) {
                corral_strbuf_putc(kb, (char)s->ents[e].type);
                corral_strbuf_append(kb, (const char *)&s->ents[e].len, sizeof(uint32_t));
                corral_strbuf_append(kb, s->ents[e].key, s->ents[e].len + 1);
                total++;
            }
        } else if (rc != SQLITE_DONE) {
            err = CORRAL_ERR_IO;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (err == CORRAL_OK && corral_strbuf_status(kb) != CORRAL_OK) {
        err = CORRAL_ERR_NOMEM;
    }
    if (err == CORRAL_OK && (sub->entities = malloc((total ? total : 1) *
                                                    sizeof(*sub->entities))) == NULL) {
        err = CORRAL_ERR_NOMEM;
    }
    if (err != CORRAL_OK) {
        return err;
    }
    size_t m = 0;
    for (size_t p = 0; p < kb->len;) {
        struct corral_entity *e = &sub->entities[m++];
        e->type = (enum corral_entity_type)(unsigned char)kb->data[p];
        memcpy(&e->len, kb->data + p + 1, sizeof(uint32_t));
        e->key = kb->data + p + 5;
        p += 5 + e->len + 1;
    }
    qsort(sub->entities, m, sizeof(*sub->entities), cmp_entity_val);
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        if (u == 0 || corral_entity_cmp(&sub->entities[i], &sub->entities[u - 1]) != 0) {
            sub->entities[u++] = sub->entities[i];
        }
    }
    sub->inc.entities = sub->entities;
    sub->inc.n_entities = (uint32_t)u;
    if (chain) {
        /* A machine chain is named by its vms: those of the members it holds. */
        for (size_t i = 0; i < u; i++) {
            if (sub->entities[i].type == CORRAL_ENT_VM) {
                if (sub->vms.len > 0) {
                    corral_strbuf_putc(&sub->vms, ',');
                }
                corral_strbuf_append(&sub->vms, sub->entities[i].key, sub->entities[i].len);
            }
        }
        if (corral_strbuf_status(&sub->vms) != CORRAL_OK) {
            return CORRAL_ERR_NOMEM;
        }
        if (sub->vms.len > 0) {
            sub->inc.entity_key = sub->vms.data;
        }
    }
    return CORRAL_OK;
}

/* Add the members of row r to excluded (keys borrowed from the remembered rows). */
static corral_err exclude_members(corral_store *s, const struct gen_row *r, corral_map *excluded)
{
    struct written *w = NULL;
    corral_err err = written_of(s, r->id, r->seq, &w);
    for (uint32_t i = 0; err == CORRAL_OK && i < w->n_members; i++) {
        err = corral_map_put(excluded, w->members[i], strlen(w->members[i]), (void *)1);
    }
    return err;
}

/*
 * A change to a lineage whose head is closed or has successors: write the
 * alerts no earlier generation holds into the last generation, or into a new
 * one when the last is closed.
 */
static corral_err apply_lineage(corral_store *s, const struct corral_incident_change *ch,
                                const struct gen_row *head, corral_time now)
{
    struct gen_row *rows = NULL;
    size_t n = 0;
    corral_err err = lineage(s, head, &rows, &n);
    if (err != CORRAL_OK) {
        return err;
    }
    struct gen_row *last = &rows[n - 1];
    int open_last = !closed_status(last->status);
    corral_map *excluded = corral_map_new();
    if (excluded == NULL) {
        free(rows);
        return CORRAL_ERR_NOMEM;
    }
    /* Remembering the earlier generations may not push out the one being read. */
    if (s->written != NULL && corral_map_count(s->written) + n >= WRITTEN_MAX) {
        corral_store_forget_written(s);
    }
    for (size_t i = 0; i + (open_last ? 1 : 0) < n && err == CORRAL_OK; i++) {
        err = exclude_members(s, &rows[i], excluded);
    }
    struct subset sub;
    memset(&sub, 0, sizeof(sub));
    if (err == CORRAL_OK) {
        err = make_subset(s, ch, excluded, &sub);
    }
    if (err == CORRAL_OK && sub.inc.n_members > 0) {
        int changed = 0;
        if (open_last) {
            /* The live successor: rewritten only when what it holds changed. */
            struct written *w = NULL;
            memcpy(sub.inc.id, last->id, sizeof(sub.inc.id));
            err = written_of(s, last->id, last->seq, &w);
            if (err == CORRAL_OK) {
                err = write_rows(s, last->id, last->seq, w, &sub.inc, &changed);
            }
            if (err == CORRAL_OK && (changed || ch->final)) {
                int64_t seq = last->seq;
                uint64_t doc[2];
                err = write_doc(s, &sub.inc, NULL, 0, NULL, ch->final, last->version + 1, now,
                                &seq, NULL, 0, NULL, doc);
            }
            if (err == CORRAL_OK && ch->final) {
                forget_one(s, last->id);
            }
        } else {
            successor_id(sub.inc.id, ch->id, last->gen + 1);
            int64_t seq = 0;
            uint64_t doc[2];
            err = write_doc(s, &sub.inc, NULL, 0, NULL, ch->final, 1, now, &seq, ch->id,
                            last->gen + 1, last->id, doc);
            if (err == CORRAL_OK) {
                err = write_rows(s, sub.inc.id, seq, NULL, &sub.inc, &changed);
            }
            if (err == CORRAL_OK) {
                sqlite3_stmt *st = s->st[ST_INC_SET_NEXT];
                sqlite3_bind_int64(st, 1, last->seq);
                bind_str(st, 2, sub.inc.id);
                err = corral_store_step(st);
            }
            if (err == CORRAL_OK && ch->final) {
                forget_one(s, sub.inc.id);
            }
        }
    }
    subset_free(&sub);
    corral_map_free(excluded);
    free(rows);
    return err;
}

corral_err corral_store_apply_incident(corral_store *s, const struct corral_incident_change *ch,
                                       corral_time now)
{
    if (s->written != NULL && corral_map_count(s->written) >= WRITTEN_MAX) {
        corral_store_forget_written(s);
    }
    if (ch->inc == NULL) {
        return retract(s, ch->id);
    }
    struct gen_row head;
    int found = 0;
    corral_err err = row_by_id(s, ch->id, &head, &found);
    if (err != CORRAL_OK) {
        return err;
    }
    if (found && (head.has_next || closed_status(head.status))) {
        return apply_lineage(s, ch, &head, now);
    }
    /* The common case: the engine's own row, new or open. */
    int64_t seq = found ? head.seq : 0;
    uint64_t doc[2] = {0, 0};
    struct written *w = NULL;
    if (found) {
        err = written_of(s, ch->id, seq, &w);
    }
    if (err == CORRAL_OK) {
        err = write_doc(s, ch->inc, ch->json, ch->json_len, w, ch->final, ch->inc->version, now,
                        &seq, NULL, 0, NULL, doc);
    }
    int changed = 0;
    if (err == CORRAL_OK) {
        err = write_rows(s, ch->id, seq, w, ch->inc, &changed);
    }
    if (err == CORRAL_OK) {
        remember_doc(s, ch->id, doc);
    }
    if (err == CORRAL_OK && ch->final) {
        forget_one(s, ch->id); /* final: the engine will not report it again */
    }
    return err;
}

corral_err corral_store_put_incident(corral_store *s, const struct corral_incident *inc, int final,
                                     corral_time now)
{
    struct corral_incident_change ch = {.id = inc->id, .inc = inc, .final = final};
    return corral_store_apply_incident(s, &ch, now);
}

corral_err corral_store_delete_incident(corral_store *s, const char *id)
{
    struct corral_incident_change ch = {.id = id};
    return corral_store_apply_incident(s, &ch, 0);
}
