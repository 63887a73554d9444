/*
 * store_impl.h - what store.c (connection, migrations, alerts, reads) and
 * incidents.c (the incident write path) share. Private to src/store/.
 */
#ifndef CORRAL_STORE_STORE_IMPL_H
#define CORRAL_STORE_STORE_IMPL_H

#include <sqlite3.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/strbuf.h"

/* Statements prepared once per connection (stmt_sql in store.c). */
enum {
    ST_ALERT_FIND = 0,
    ST_ALERT_INSERT,
    ST_ALERT_STATUS,
    ST_ALERT_STATUS_BY_ID,
    ST_ALERT_ENTS,
    ST_INC_BY_ID,
    ST_INC_LINEAGE,
    ST_INC_INSERT,
    ST_INC_UPDATE,
    ST_INC_SET_NEXT,
    ST_INC_CLEAR_NEXT,
    ST_INC_RETRACTED,
    ST_INC_TOUCHED,
    ST_INC_DELETE,
    ST_DOC_PUT,
    ST_DOC_DELETE,
    ST_MEM_LIST,
    ST_MEM_INSERT,
    ST_MEM_ROLE,
    ST_MEM_DELETE,
    ST_MEM_DELETE_ALL,
    ST_ENT_LIST,
    ST_ENT_INSERT,
    ST_ENT_DELETE,
    ST_ENT_DELETE_ALL,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COUNT
};

struct corral_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    /* Scratch for rebuilding alerts: entity array and NUL-terminated keys. */
    struct corral_entity *ents;
    size_t ents_cap;
    char *keys;
    size_t keys_cap;
    struct corral_strbuf blob;
    /*
     * The incident write path (incidents.c): what was last written of each
     * live incident row (id -> struct written), so that an update writes only
     * what changed. It describes committed or in-transaction rows and is
     * dropped on rollback.
     */
    corral_map *written;
    /* Statements prepared on demand (corral_store_prepare), by their SQL text. */
    corral_map *prepared;
    /* The seqs of the alerts inserted in the current transaction (id -> int64_t *). */
    corral_map *tx_seqs;
    corral_arena *tx_arena;
    struct corral_strbuf json; /* the document being written */
    struct corral_strbuf rows; /* rows being added, as a JSON array (incidents.c) */
};

/* Run a prepared one-shot statement to completion, reset it and clear its bindings. */
corral_err corral_store_step(sqlite3_stmt *st);

/*
 * Step a statement that yields at most one row, read column 0 of it as an
 * integer (*found = 0 when there was no row), reset it and clear its bindings.
 */
corral_err corral_store_step_int64(sqlite3_stmt *st, int64_t *out, int *found);

/*
 * The statement for sql, prepared once per connection and kept: the queries
 * whose text is built per call come back with a few texts only. Give it back
 * with corral_store_finish, which resets it and clears its bindings (or
 * finalizes one that could not be kept). NULL when sql cannot be prepared.
 */
sqlite3_stmt *corral_store_prepare(corral_store *s, const char *sql);
void corral_store_finish(corral_store *s, sqlite3_stmt *st); /* NULL is a no-op */

/* Forget incidents.c's caches (after a rollback, or when they grow too large). */
void corral_store_forget_written(corral_store *s);

/* The text of column i, "" for NULL. */
const char *corral_store_col_text(sqlite3_stmt *st, int i);

/*
 * The 63-bit hash by which incident_keys finds an entity key (any type):
 * FNV-1a, part of the file format, so never to be changed.
 */
int64_t corral_store_key_hash(const char *key, size_t len);

/*
 * Parse an alert's entity blob (u8 type, u32le length, key)... into s->ents
 * and s->keys (valid until the next call). CORRAL_ERR_DATA when malformed.
 */
corral_err corral_store_parse_ents(corral_store *s, const unsigned char *blob, size_t n,
                                   uint32_t *count);

#endif
