/*
 * store.c - corral's SQLite store (see store.h for what is kept and why).
 *
 * Every statement run per alert or per incident is prepared once per
 * connection; the list queries, whose WHERE clause depends on the filters
 * given, are prepared per call from fixed fragments (never from caller text:
 * every value is bound). Scope isolation is one fragment, SCOPE_SQL, added to
 * every query on alerts or incidents.
 */
#include "store/store.h"
#include "store/store_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alert_json.h"
#include "model/incident_json.h"
#include "util/arena.h"
#include "util/time.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_ALERT_FIND] = "SELECT seq, scope FROM alerts WHERE id = ?1",
    [ST_ALERT_INSERT] =
        "INSERT INTO alerts(id, scope, alert_type, display_name, product_component, shape, plan,"
        " signals, tactics, stages, severity, status, start, end_t, generated, ents, received,"
        " suppressed) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [ST_ALERT_STATUS] = "UPDATE alerts SET status = ?2 WHERE seq = ?1",
    [ST_ALERT_STATUS_BY_ID] = "UPDATE alerts SET status = ?2 WHERE id = ?1",
    [ST_ALERT_ENTS] = "SELECT ents FROM alerts WHERE id = ?1",
    [ST_INC_BY_ID] = "SELECT seq, status, gen, next, version FROM incidents WHERE id = ?1",
    [ST_INC_LINEAGE] =
        "SELECT seq, id, status, gen, next, version FROM incidents WHERE origin = ?1 ORDER BY gen",
    [ST_INC_INSERT] =
        "INSERT INTO incidents(id, scope, kind, severity, entity_type, entity_key, first, last,"
        " version, final, n_members, created, updated, origin, gen, previous)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?13,?13,?14,?15,?16) RETURNING seq",
    [ST_INC_UPDATE] = /* numbered as ST_INC_INSERT */
        "UPDATE incidents SET kind = ?3, severity = ?4, entity_key = ?6, first = ?7, last = ?8,"
        " version = ?9, final = ?10, n_members = ?11, updated = ?13, retracted = 0"
        " WHERE seq = ?17",
    [ST_INC_SET_NEXT] = "UPDATE incidents SET next = ?2 WHERE seq = ?1",
    [ST_INC_CLEAR_NEXT] = "UPDATE incidents SET next = NULL WHERE id = ?1",
    [ST_INC_RETRACTED] = "UPDATE incidents SET retracted = 1 WHERE seq = ?1",
    [ST_INC_TOUCHED] = "SELECT EXISTS(SELECT 1 FROM activity WHERE incident_id = ?1)",
    [ST_INC_DELETE] = "DELETE FROM incidents WHERE seq = ?1",
    [ST_DOC_PUT] = "INSERT INTO incident_docs(seq, json) VALUES(?1, ?2)"
                   " ON CONFLICT(seq) DO UPDATE SET json = excluded.json",
    [ST_DOC_DELETE] = "DELETE FROM incident_docs WHERE seq = ?1",
    [ST_MEM_LIST] = "SELECT a.id, m.alert_seq, m.role FROM incident_members m JOIN alerts a"
                    " ON a.seq = m.alert_seq WHERE m.incident_id = ?1",
    [ST_MEM_INSERT] = /* ?2: a JSON array of alert seq * 256 + role */
        "INSERT INTO incident_members(incident_id, alert_seq, role)"
        " SELECT ?1, value >> 8, value & 255 FROM json_each(?2)",
    [ST_MEM_ROLE] =
        "UPDATE incident_members SET role = ?3 WHERE incident_id = ?1 AND alert_seq = ?2",
    [ST_MEM_DELETE] = "DELETE FROM incident_members WHERE incident_id = ?1 AND alert_seq = ?2",
    [ST_MEM_DELETE_ALL] = "DELETE FROM incident_members WHERE incident_id = ?1",
    [ST_ENT_LIST] = "SELECT key_hash FROM incident_keys WHERE incident_id = ?1",
    [ST_ENT_INSERT] = /* ?2: a JSON array of key hashes */
        "INSERT INTO incident_keys(incident_id, key_hash) SELECT ?1, value FROM json_each(?2)",
    [ST_ENT_DELETE] = "DELETE FROM incident_keys WHERE incident_id = ?1 AND key_hash = ?2",
    [ST_ENT_DELETE_ALL] = "DELETE FROM incident_keys WHERE incident_id = ?1",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

/* A kept statement (corral_store_prepare). */
struct prepared {
    sqlite3_stmt *st;
    int in_use;
    size_t len;
    char sql[];
};

#define PREPARED_MAX 128

/* Migrations: migrations[i] brings the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE alerts("
    "  seq INTEGER PRIMARY KEY,"        /* arrival order: the replay order */
    "  id TEXT NOT NULL UNIQUE,"        /* systemAlertId */
    "  scope TEXT NOT NULL,"
    "  alert_type TEXT NOT NULL, display_name TEXT NOT NULL, product_component TEXT NOT NULL,"
    "  shape INTEGER NOT NULL, plan INTEGER NOT NULL, signals INTEGER NOT NULL,"
    "  tactics INTEGER NOT NULL, stages INTEGER NOT NULL, severity INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, start INTEGER NOT NULL, end_t INTEGER, generated INTEGER,"
    "  ents BLOB NOT NULL,"             /* entities: (u8 type, u32le len, key) ... */
    "  received INTEGER NOT NULL,"
    "  suppressed INTEGER NOT NULL DEFAULT 0);" /* suppression rule id, 0 = none */
    "CREATE INDEX alerts_scope ON alerts(scope, seq);"
    /* Incidents, members and entities are keyed by seq, in creation order, so that the
       incidents a batch grows (mostly recent ones) share pages: fewer pages per commit. */
    "CREATE TABLE incidents("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, kind TEXT NOT NULL,"
    "  severity INTEGER NOT NULL, entity_type INTEGER NOT NULL, entity_key TEXT NOT NULL,"
    "  first INTEGER NOT NULL, last INTEGER NOT NULL, version INTEGER NOT NULL,"
    "  final INTEGER NOT NULL, n_members INTEGER NOT NULL, json TEXT NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0, assignee TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX incidents_first ON incidents(first, id);"
    "CREATE INDEX incidents_last ON incidents(last, id);"
    "CREATE INDEX incidents_scope ON incidents(scope, first, id);"
    "CREATE TABLE incident_alerts("       /* member order is the alerts' (start, id) order */
    "  incident_id INTEGER NOT NULL, alert_id TEXT NOT NULL,"
    "  role INTEGER NOT NULL, PRIMARY KEY(incident_id, alert_id)) WITHOUT ROWID;"
    "CREATE INDEX incident_alerts_alert ON incident_alerts(alert_id);"
    "CREATE TABLE entities(id INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL,"
    "  UNIQUE(type, key));"
    "CREATE INDEX entities_key ON entities(key);"
    "CREATE TABLE incident_entities(incident_id INTEGER NOT NULL, entity_id INTEGER NOT NULL,"
    "  PRIMARY KEY(incident_id, entity_id)) WITHOUT ROWID;"
    "CREATE INDEX incident_entities_entity ON incident_entities(entity_id);"
    "CREATE TABLE activity(seq INTEGER PRIMARY KEY, incident_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    "  old TEXT, new TEXT);"
    "CREATE INDEX activity_incident ON activity(incident_id, seq);"
    "CREATE TABLE comments(seq INTEGER PRIMARY KEY, incident_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX comments_incident ON comments(incident_id, seq);"
    "CREATE TABLE suppression_rules(id INTEGER PRIMARY KEY, alert_type TEXT NOT NULL,"
    "  conditions TEXT NOT NULL, reason TEXT NOT NULL, expires INTEGER,"
    "  created INTEGER NOT NULL, scopes TEXT NOT NULL);"
    "CREATE TABLE tokens(id TEXT PRIMARY KEY, hash BLOB NOT NULL, role TEXT NOT NULL,"
    "  scopes TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);",
    /*
     * 1 -> 2: successors of closed incidents (origin: the engine's id, gen 1, 2...; previous
     * and next link the generations), retracted incidents kept when touched, alerts by start
     * time for the bounded replay at start-up. Members by the alert's seq, not its id text:
     * the index by alert then grows at its end (alerts join incidents as they arrive) instead
     * of at random places, and a commit writes far fewer pages. An incident's entities, which
     * only the entity filter reads, are kept as the hashes of their keys (incident_keys; the
     * filter checks the document for the key itself), with no table of entities to insert
     * into and look ids up in.
     */
    "ALTER TABLE incidents ADD COLUMN origin TEXT;"
    "ALTER TABLE incidents ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE incidents ADD COLUMN previous TEXT;"
    "ALTER TABLE incidents ADD COLUMN next TEXT;"
    "ALTER TABLE incidents ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX incidents_origin ON incidents(origin) WHERE origin IS NOT NULL;"
    "CREATE INDEX alerts_start ON alerts(start);"
    "CREATE TABLE incident_members(incident_id INTEGER NOT NULL, alert_seq INTEGER NOT NULL,"
    "  role INTEGER NOT NULL, PRIMARY KEY(incident_id, alert_seq)) WITHOUT ROWID;"
    "INSERT INTO incident_members SELECT ia.incident_id, a.seq, ia.role"
    "  FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id;"
    "DROP TABLE incident_alerts;"
    "CREATE INDEX incident_members_alert ON incident_members(alert_seq);"
    "CREATE TABLE incident_keys(incident_id INTEGER NOT NULL, key_hash INTEGER NOT NULL,"
    "  PRIMARY KEY(incident_id, key_hash)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO incident_keys SELECT ie.incident_id, corral_key_hash(e.key)"
    "  FROM incident_entities ie JOIN entities e ON e.id = ie.entity_id;"
    "DROP TABLE incident_entities;"
    "DROP TABLE entities;"
    /* By hash within blocks of 4096 incidents: what a batch adds lands in the last blocks. */
    "CREATE INDEX incident_keys_hash ON incident_keys(incident_id >> 12, key_hash);"
    /* Documents apart: a change of status, version or final flag leaves them be. */
    "CREATE TABLE incident_docs(seq INTEGER PRIMARY KEY, json TEXT NOT NULL);"
    "INSERT INTO incident_docs SELECT seq, json FROM incidents;"
    "ALTER TABLE incidents DROP COLUMN json;",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* The scope fragment: ?S1 = all (0/1), ?S2 = JSON array of scopes. Named parameters. */
#define SCOPE_SQL(col) "(:all OR " col " IN (SELECT value FROM json_each(:scopes)))"

static int bind_scopes(sqlite3_stmt *st, const struct corral_scopes *scopes)
{
    int a = sqlite3_bind_parameter_index(st, ":all");
    int s = sqlite3_bind_parameter_index(st, ":scopes");
    if (a == 0 || s == 0) {
        return SQLITE_ERROR;
    }
    int rc = sqlite3_bind_int(st, a, scopes->all ? 1 : 0);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_text(st, s, scopes->all || scopes->json == NULL ? "[]" : scopes->json,
                               -1, SQLITE_TRANSIENT);
    }
    return rc;
}

int64_t corral_store_key_hash(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    return (int64_t)(h & 0x7fffffffffffffffULL);
}

/* corral_key_hash(text) in SQL, for the migration that introduced it. */
static void sql_key_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    sqlite3_result_int64(ctx, corral_store_key_hash(t != NULL ? t : "",
                                                    (size_t)sqlite3_value_bytes(argv[0])));
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Bring the schema of db up to version target (at most N_MIGRATIONS). */
static corral_err migrate(sqlite3 *db, int target, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(errbuf, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return CORRAL_ERR_IO;
    }
    int version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > (int)N_MIGRATIONS) {
        snprintf(errbuf, errlen,
                 "the database has schema version %d; this corral knows up to %d (upgrade corral)",
                 version, (int)N_MIGRATIONS);
        return CORRAL_ERR_IO;
    }
    for (int v = version; v < target; v++) {
        char setv[64];
        snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", v + 1);
        if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK || exec(db, migrations[v]) != SQLITE_OK ||
            exec(db, setv) != SQLITE_OK || exec(db, "COMMIT") != SQLITE_OK) {
            snprintf(errbuf, errlen, "migration to schema version %d failed: %s", v + 1,
                     sqlite3_errmsg(db));
            exec(db, "ROLLBACK");
            return CORRAL_ERR_IO;
        }
    }
    return CORRAL_OK;
}

void corral_store_init_library(void)
{
    /* SQLITE_MISUSE once the library is initialized: then it stays as it is. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

corral_err corral_store_open(const char *path, corral_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    corral_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return CORRAL_ERR_NOMEM;
    }
    corral_strbuf_init(&s->blob);
    corral_strbuf_init(&s->json);
    corral_strbuf_init(&s->rows);
    corral_err err = CORRAL_ERR_IO;
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    /* WAL so readers never wait for the writer; FULL so that a commit is on disk. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        snprintf(errbuf, errlen, "%s: cannot use write-ahead logging: %s", path,
                 sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        goto fail;
    }
    sqlite3_finalize(st);
    if (exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;"
                    "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;"
                    "PRAGMA journal_size_limit = 134217728") != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    sqlite3_create_function(s->db, "corral_key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            sql_key_hash, NULL, NULL);
    err = migrate(s->db, (int)N_MIGRATIONS, errbuf, errlen);
    if (err != CORRAL_OK) {
        goto fail;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(errbuf, errlen, "%s: not a corral database (%s)", path,
                     sqlite3_errmsg(s->db));
            err = CORRAL_ERR_IO;
            goto fail;
        }
    }
    *out = s;
    return CORRAL_OK;
fail:
    corral_store_free(s);
    return err;
}

corral_err corral_store_create_version(const char *path, int version, char *errbuf, size_t errlen)
{
    sqlite3 *db = NULL;
    corral_err err = CORRAL_ERR_IO;
    if (version < 0 || version > (int)N_MIGRATIONS) {
        snprintf(errbuf, errlen, "no schema version %d", version);
    } else if (sqlite3_open(path, &db) != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s: cannot open", path);
    } else {
        sqlite3_create_function(db, "corral_key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_key_hash, NULL, NULL);
        err = migrate(db, version, errbuf, errlen);
    }
    sqlite3_close(db);
    return err;
}

void corral_store_free(corral_store *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
    }
    if (s->prepared != NULL) {
        size_t pos = 0;
        const void *k;
        size_t kl;
        void *v;
        while (corral_map_next(s->prepared, &pos, &k, &kl, &v)) {
            sqlite3_finalize(((struct prepared *)v)->st);
            free(v);
        }
        corral_map_free(s->prepared);
    }
    sqlite3_close_v2(s->db);
    free(s->ents);
    free(s->keys);
    corral_strbuf_release(&s->blob);
    corral_strbuf_release(&s->json);
    corral_strbuf_release(&s->rows);
    corral_store_forget_written(s);
    corral_map_free(s->tx_seqs);
    corral_arena_free(s->tx_arena);
    free(s);
}

const char *corral_store_errmsg(const corral_store *s)
{
    return s->db != NULL ? sqlite3_errmsg(s->db) : "no database";
}

void *corral_store_db(corral_store *s)
{
    return s->db;
}

void corral_store_set_autocheckpoint(corral_store *s, int pages)
{
    sqlite3_wal_autocheckpoint(s->db, pages);
}

void corral_store_checkpoint(corral_store *s, pthread_mutex_t *write_lock)
{
    int log = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
            SQLITE_OK ||
        log < 16384) {
        return;
    }
    /*
     * Start the WAL over from its beginning (RESTART, not TRUNCATE: the next commits overwrite
     * the file's blocks instead of allocating and zeroing new ones; journal_size_limit keeps
     * the file bounded). That needs a moment with no writer and no reader on the WAL: try
     * without waiting, so that neither the writer nor a reader is held up; only past 256 MiB,
     * wait for it, holding write_lock (when not NULL) so that the writer waits instead of
     * failing.
     */
    sqlite3_busy_timeout(s->db, 0);
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    sqlite3_busy_timeout(s->db, 10000);
    if (rc == SQLITE_OK || log < 65536) {
        return;
    }
    if (write_lock != NULL) {
        pthread_mutex_lock(write_lock);
    }
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    if (write_lock != NULL) {
        pthread_mutex_unlock(write_lock);
    }
}

int64_t corral_store_size(corral_store *s)
{
    sqlite3_stmt *st = NULL;
    int64_t size = -1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        size = sqlite3_column_int64(st, 0);
    }
    corral_store_finish(s, st);
    return size;
}

static void end_tx(corral_store *s);

corral_err corral_store_step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? CORRAL_OK
           : rc == SQLITE_NOMEM                  ? CORRAL_ERR_NOMEM
                                                 : CORRAL_ERR_IO;
}

corral_err corral_store_step_int64(sqlite3_stmt *st, int64_t *out, int *found)
{
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        *out = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
}

sqlite3_stmt *corral_store_prepare(corral_store *s, const char *sql)
{
    size_t len = strlen(sql);
    struct prepared *p = s->prepared != NULL ? corral_map_get(s->prepared, sql, len) : NULL;
    if (p != NULL && !p->in_use) {
        p->in_use = 1;
        return p->st;
    }
    sqlite3_stmt *st = NULL;
    int keep = p == NULL && (s->prepared != NULL || (s->prepared = corral_map_new()) != NULL) &&
               corral_map_count(s->prepared) < PREPARED_MAX;
    if (sqlite3_prepare_v3(s->db, sql, (int)len + 1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    if (keep && (p = malloc(sizeof(*p) + len + 1)) != NULL) {
        p->st = st;
        p->in_use = 1;
        p->len = len;
        memcpy(p->sql, sql, len + 1);
        if (corral_map_put(s->prepared, p->sql, len, p) != CORRAL_OK) {
            free(p);
        }
    }
    return st;
}

void corral_store_finish(corral_store *s, sqlite3_stmt *st)
{
    if (st == NULL) {
        return;
    }
    const char *sql = sqlite3_sql(st);
    struct prepared *p = s->prepared != NULL && sql != NULL
                             ? corral_map_get(s->prepared, sql, strlen(sql))
                             : NULL;
    if (p == NULL || p->st != st) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    p->in_use = 0;
}

corral_err corral_store_begin(corral_store *s)
{
    end_tx(s);
    return corral_store_step(s->st[ST_BEGIN]);
}

corral_err corral_store_read_begin(corral_store *s)
{
    return exec(s->db, "BEGIN") == SQLITE_OK ? CORRAL_OK : CORRAL_ERR_IO;
}

void corral_store_read_end(corral_store *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        exec(s->db, "COMMIT");
    }
}

corral_err corral_store_commit(corral_store *s)
{
    corral_err err = corral_store_step(s->st[ST_COMMIT]);
    end_tx(s);
    if (err != CORRAL_OK) {
        corral_store_rollback(s); /* also when SQLite rolled back by itself */
    }
    return err;
}

void corral_store_rollback(corral_store *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        corral_store_step(s->st[ST_ROLLBACK]);
    }
    corral_store_forget_written(s); /* it may describe rows that are gone now */
    end_tx(s);
}

/* ---- alerts ---- */

static void put_u32le(struct corral_strbuf *sb, uint32_t v)
{
    char b[4] = {(char)(v & 0xff), (char)((v >> 8) & 0xff), (char)((v >> 16) & 0xff),
                 (char)((v >> 24) & 0xff)};
    corral_strbuf_append(sb, b, 4);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

static void bind_time(sqlite3_stmt *st, int i, corral_time t)
{
    if (t == CORRAL_TIME_NONE) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_int64(st, i, t);
    }
}

/* Look id up: NEW, UPDATED (same scope; *seq set) or CONFLICT. */
static corral_err find_alert(corral_store *s, const char *id, const char *scope, int64_t *seq,
                             enum corral_put_result *result)
{
    sqlite3_stmt *st = s->st[ST_ALERT_FIND];
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    *result = CORRAL_PUT_NEW;
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        *result = strcmp(corral_store_col_text(st, 1), scope) == 0 ? CORRAL_PUT_UPDATED
                                                                   : CORRAL_PUT_CONFLICT;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
}

corral_err corral_store_find_alert(corral_store *s, const char *id, const char *scope,
                                   enum corral_put_result *result)
{
    int64_t seq = 0;
    return find_alert(s, id, scope, &seq, result);
}

static corral_err insert_alert(corral_store *s, const struct corral_alert *a, int64_t suppressed,
                               corral_time received)
{
    corral_strbuf_clear(&s->blob);
    for (uint32_t i = 0; i < a->n_entities; i++) {
        corral_strbuf_putc(&s->blob, (char)a->entities[i].type);
        put_u32le(&s->blob, a->entities[i].len);
        corral_strbuf_append(&s->blob, a->entities[i].key, a->entities[i].len);
    }
    if (corral_strbuf_status(&s->blob) != CORRAL_OK) {
        return CORRAL_ERR_NOMEM;
    }
    sqlite3_stmt *st = s->st[ST_ALERT_INSERT];
    bind_text(st, 1, a->id);
    bind_text(st, 2, a->scope);
    bind_text(st, 3, a->alert_type);
    bind_text(st, 4, a->display_name);
    bind_text(st, 5, a->product_component);
    sqlite3_bind_int(st, 6, (int)a->shape);
    sqlite3_bind_int(st, 7, (int)a->plan);
    sqlite3_bind_int64(st, 8, a->signals);
    sqlite3_bind_int64(st, 9, a->tactics);
    sqlite3_bind_int(st, 10, a->stages);
    sqlite3_bind_int(st, 11, (int)a->severity);
    sqlite3_bind_int(st, 12, suppressed ? CORRAL_STATUS_DISMISSED : (int)a->status);
    sqlite3_bind_int64(st, 13, a->start);
    bind_time(st, 14, a->end);
    bind_time(st, 15, a->generated);
    sqlite3_bind_blob(st, 16, s->blob.len ? s->blob.data : "", (int)s->blob.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 17, received);
    sqlite3_bind_int64(st, 18, suppressed);
    corral_err err = corral_store_step(st);
    if (err != CORRAL_OK) {
        return err;
    }
    /* Remember its seq for the membership rows written later in this transaction. */
    if (s->tx_seqs == NULL && (s->tx_seqs = corral_map_new()) == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    if (s->tx_arena == NULL && (s->tx_arena = corral_arena_new()) == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    size_t idlen = strlen(a->id);
    int64_t *seq = corral_arena_alloc(s->tx_arena, sizeof(*seq));
    char *key = corral_arena_strndup(s->tx_arena, a->id, idlen);
    if (seq == NULL || key == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    *seq = sqlite3_last_insert_rowid(s->db);
    return corral_map_put(s->tx_seqs, key, idlen, seq);
}

/* The transaction ended: forget the seqs it wrote. */
static void end_tx(corral_store *s)
{
    if (s->tx_seqs != NULL && corral_map_count(s->tx_seqs) > 0) {
        corral_map_free(s->tx_seqs);
        s->tx_seqs = NULL;
    }
    if (s->tx_arena != NULL) {
        corral_arena_reset(s->tx_arena);
    }
}

corral_err corral_store_put_alert(corral_store *s, const struct corral_alert *a,
                                  int64_t suppressed, corral_time received,
                                  enum corral_put_result *result)
{
    int64_t seq = 0;
    corral_err err = find_alert(s, a->id, a->scope, &seq, result);
    if (err != CORRAL_OK || *result == CORRAL_PUT_CONFLICT) {
        return err;
    }
    if (*result == CORRAL_PUT_NEW) {
        return insert_alert(s, a, suppressed, received);
    }
    sqlite3_stmt *up = s->st[ST_ALERT_STATUS];
    sqlite3_bind_int64(up, 1, seq);
    sqlite3_bind_int(up, 2, suppressed ? CORRAL_STATUS_DISMISSED : (int)a->status);
    return corral_store_step(up);
}

corral_err corral_store_write_alert(corral_store *s, const struct corral_alert *a,
                                    int64_t suppressed, corral_time received,
                                    enum corral_put_result known)
{
    if (known == CORRAL_PUT_NEW) {
        return insert_alert(s, a, suppressed, received);
    }
    if (known == CORRAL_PUT_CONFLICT) {
        return CORRAL_OK;
    }
    sqlite3_stmt *up = s->st[ST_ALERT_STATUS_BY_ID];
    bind_text(up, 1, a->id);
    sqlite3_bind_int(up, 2, suppressed ? CORRAL_STATUS_DISMISSED : (int)a->status);
    corral_err err = corral_store_step(up);
    /* The caller's bookkeeping said it was stored: a missing row means it was wrong. */
    return err == CORRAL_OK && sqlite3_changes(s->db) != 1 ? CORRAL_ERR_IO : err;
}

/* The columns rebuild_alert() reads, in order. */
#define ALERT_COLS                                                                                 \
    "a.id, a.alert_type, a.display_name, a.product_component, a.scope, a.shape, a.plan,"           \
    " a.signals, a.tactics, a.stages, a.severity, a.status, a.start, a.end_t, a.generated, a.ents"

const char *corral_store_col_text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t != NULL ? t : "";
}

/* Rebuild the alert of the current row (ALERT_COLS from column c), valid until the next step. */
static corral_err rebuild_alert(corral_store *s, sqlite3_stmt *st, int c, struct corral_alert *a)
{
    memset(a, 0, sizeof(*a));
    a->id = corral_store_col_text(st, c + 0);
    a->alert_type = corral_store_col_text(st, c + 1);
    a->display_name = corral_store_col_text(st, c + 2);
    a->product_component = corral_store_col_text(st, c + 3);
    a->scope = corral_store_col_text(st, c + 4);
    a->shape = (enum corral_shape)sqlite3_column_int(st, c + 5);
    a->plan = (enum corral_plan)sqlite3_column_int(st, c + 6);
    a->signals = (uint32_t)sqlite3_column_int64(st, c + 7);
    a->tactics = (uint32_t)sqlite3_column_int64(st, c + 8);
    a->stages = (uint16_t)sqlite3_column_int(st, c + 9);
    a->severity = (enum corral_severity)sqlite3_column_int(st, c + 10);
    a->status = (enum corral_status)sqlite3_column_int(st, c + 11);
    a->start = sqlite3_column_int64(st, c + 12);
    a->end = sqlite3_column_type(st, c + 13) == SQLITE_NULL ? CORRAL_TIME_NONE
                                                              : sqlite3_column_int64(st, c + 13);
    a->generated = sqlite3_column_type(st, c + 14) == SQLITE_NULL
                       ? CORRAL_TIME_NONE
                       : sqlite3_column_int64(st, c + 14);
    uint32_t count = 0;
    corral_err err = corral_store_parse_ents(s, sqlite3_column_blob(st, c + 15),
                                             (size_t)sqlite3_column_bytes(st, c + 15), &count);
    a->entities = s->ents;
    a->n_entities = count;
    return err;
}

corral_err corral_store_parse_ents(corral_store *s, const unsigned char *b, size_t n,
                                   uint32_t *out)
{
    *out = 0;
    /* Count entities first, then lay their keys out NUL-terminated. */
    size_t count = 0, keybytes = 0;
    for (size_t p = 0; p + 5 <= n;) {
        uint32_t len = (uint32_t)b[p + 1] | (uint32_t)b[p + 2] << 8 | (uint32_t)b[p + 3] << 16 |
                       (uint32_t)b[p + 4] << 24;
        if (len > n - p - 5) {
            return CORRAL_ERR_DATA;
        }
        count++;
        keybytes += len + 1;
        p += 5 + len;
    }
    if (count > s->ents_cap) {
        struct corral_entity *e = realloc(s->ents, count * sizeof(*e));
        if (e == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        s->ents = e;
        s->ents_cap = count;
    }
    if (keybytes > s->keys_cap) {
        char *k = realloc(s->keys, keybytes);
        if (k == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        s->keys = k;
        s->keys_cap = keybytes;
    }
    size_t i = 0, kp = 0;
    for (size_t p = 0; p + 5 <= n; i++) {
        uint32_t len = (uint32_t)b[p + 1] | (uint32_t)b[p + 2] << 8 | (uint32_t)b[p + 3] << 16 |
                       (uint32_t)b[p + 4] << 24;
        if (b[p] >= CORRAL_ENT_COUNT) {
            return CORRAL_ERR_DATA;
        }
        s->ents[i].type = (enum corral_entity_type)b[p];
        s->ents[i].len = len;
        memcpy(s->keys + kp, b + p + 5, len);
        s->keys[kp + len] = '\0';
        s->ents[i].key = s->keys + kp;
        kp += len + 1;
        p += 5 + len;
    }
    *out = (uint32_t)count;
    return CORRAL_OK;
}

corral_err corral_store_replay(corral_store *s, corral_time from,
                               corral_err (*fn)(void *ctx, const struct corral_alert *alert),
                               void *ctx, uint64_t *count)
{
    sqlite3_stmt *st = NULL;
    *count = 0;
    const char *sql = from == CORRAL_TIME_NONE
                          ? "SELECT " ALERT_COLS " FROM alerts a WHERE a.suppressed = 0"
                            " ORDER BY a.seq"
                          : "SELECT " ALERT_COLS " FROM alerts a WHERE a.suppressed = 0"
                            " AND a.start >= ?1 ORDER BY a.seq";
    if ((st = corral_store_prepare(s, sql)) == NULL) {
        return CORRAL_ERR_IO;
    }
    if (from != CORRAL_TIME_NONE) {
        sqlite3_bind_int64(st, 1, from);
    }
    corral_err err = CORRAL_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct corral_alert a;
        err = rebuild_alert(s, st, 0, &a);
        if (err == CORRAL_OK) {
            err = fn(ctx, &a);
        }
        if (err != CORRAL_OK) {
            break;
        }
        (*count)++;
    }
    if (err == CORRAL_OK && rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
    }
    corral_store_finish(s, st);
    return err;
}

/* An entity seen by the replay-start sweep: the earliest start of an alert naming it so far. */
/*
 * An entity seen by the replay-start sweep, by a 64-bit hash of (scope, type,
 * key): the earliest start of an alert naming it so far. Two entities that
 * share a hash only tie alerts that are not tied, which moves the start
 * earlier, never later: the replay is still whole, only longer.
 */
struct seen_entity {
    uint64_t hash; /* the map's key */
    corral_time start;
};

corral_err corral_store_replay_start(corral_store *s, const struct corral_replay_window *w,
                                     corral_time *from, uint64_t *scanned)
{
    *from = CORRAL_TIME_NONE;
    *scanned = 0;
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, "SELECT max(start) FROM alerts WHERE suppressed = 0")) ==
        NULL) {
        return CORRAL_ERR_IO;
    }
    int rc = sqlite3_step(st);
    int empty = rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL;
    corral_time newest = empty ? 0 : sqlite3_column_int64(st, 0);
    corral_store_finish(s, st);
    if (rc != SQLITE_ROW) {
        return CORRAL_ERR_IO;
    }
    if (empty) {
        return CORRAL_OK;
    }
    /* Sessions with an alert from open_from on may still be open (engine.h: the watermark). */
    corral_time window = w->window > 0 ? w->window : 0;
    corral_time open_from = newest - (w->lateness > 0 ? w->lateness : 0) - window;
    /* With a span bound S: no session that straddles a cut 2S before can hold an incident back. */
    corral_time floor = w->max_span > 0 ? open_from - 2 * w->max_span - 1 : CORRAL_TIME_NONE;
    if ((st = corral_store_prepare(s, "SELECT start, scope, ents FROM alerts WHERE suppressed = 0"
                           " ORDER BY start DESC")) == NULL) {
        return CORRAL_ERR_IO;
    }
    corral_map *seen = corral_map_new();
    corral_arena *arena = corral_arena_new();
    corral_err err = seen != NULL && arena != NULL ? CORRAL_OK : CORRAL_ERR_NOMEM;
    corral_time cut = open_from; /* everything from here on is replayed */
    while (err == CORRAL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        corral_time t = sqlite3_column_int64(st, 0);
        if (t < cut - window || (floor != CORRAL_TIME_NONE && cut <= floor)) {
            break; /* a whole window with nothing tied to what is kept, or the span bound */
        }
        (*scanned)++;
        const char *scope = corral_store_col_text(st, 1);
        uint64_t scope_hash = corral_hash(scope, strlen(scope), 0x9e3779b97f4a7c15ULL);
        const unsigned char *b = sqlite3_column_blob(st, 2);
        size_t n = (size_t)sqlite3_column_bytes(st, 2);
        int tied = t >= open_from;
        /* The entity blob as insert_alert wrote it: (u8 type, u32le length, key)... */
        for (size_t p = 0; err == CORRAL_OK && p + 5 <= n;) {
            uint32_t len = (uint32_t)b[p + 1] | (uint32_t)b[p + 2] << 8 |
                           (uint32_t)b[p + 3] << 16 | (uint32_t)b[p + 4] << 24;
            if (len > n - p - 5) {
                err = CORRAL_ERR_DATA;
                break;
            }
            uint64_t h = corral_hash(b + p + 5, len, scope_hash ^ ((uint64_t)b[p] << 56));
            p += 5 + (size_t)len;
            struct seen_entity *se = corral_map_get(seen, &h, sizeof(h));
            if (se != NULL) {
                tied |= se->start - t <= window;
                se->start = t; /* rows come newest first: t is the earliest so far */
                continue;
            }
            if ((se = corral_arena_alloc(arena, sizeof(*se))) == NULL) {
                err = CORRAL_ERR_NOMEM;
                break;
            }
            se->hash = h;
            se->start = t;
            err = corral_map_put(seen, &se->hash, sizeof(se->hash), se);
        }
        if (tied && t < cut) {
            cut = t;
        }
    }
    if (err == CORRAL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
    }
    corral_store_finish(s, st);
    corral_map_free(seen);
    corral_arena_free(arena);
    if (err == CORRAL_OK) {
        *from = floor != CORRAL_TIME_NONE && cut < floor ? floor : cut;
    }
    return err;
}

/* ---- reading ---- */

static void put_time_or_null(struct corral_strbuf *out, sqlite3_stmt *st, int c)
{
    corral_time_json(out, sqlite3_column_type(st, c) == SQLITE_NULL
                              ? CORRAL_TIME_NONE
                              : sqlite3_column_int64(st, c));
}

/* The columns put_incident() reads. */
#define INC_COLS                                                                                   \
    "d.json, i.status, i.assignee, i.version, i.final, i.created, i.updated, i.previous, i.next,"  \
    " i.retracted"
#define N_INC_COLS 10
/* Incidents with their documents. */
#define INC_FROM "incidents i JOIN incident_docs d ON d.seq = i.seq"

/*
 * The stored incident JSON with the analyst's status in place of the
 * engine's, and the management fields added before the closing brace.
 * The first "status":" in the text is the top-level one: it comes before
 * any field whose text comes from alerts, and quotes inside strings are
 * escaped.
 */
static void put_incident(struct corral_strbuf *out, sqlite3_stmt *st, int c)
{
    const char *json = corral_store_col_text(st, c);
    size_t len = strlen(json);
    const char *key = "\"status\":\"";
    const char *p = strstr(json, key);
    const char *q = p != NULL ? strchr(p + strlen(key), '"') : NULL;
    if (len < 2 || json[len - 1] != '}' || q == NULL) {
        corral_strbuf_puts(out, "null"); /* never written by us: do not pass it on */
        return;
    }
    const char *status = corral_status_name((enum corral_status)sqlite3_column_int(st, c + 1));
    corral_strbuf_append(out, json, (size_t)(p - json) + strlen(key));
    corral_strbuf_puts(out, status);
    corral_strbuf_append(out, q, (size_t)(json + len - 1 - q));
    int first = 0;
    const char *assignee = corral_store_col_text(st, c + 2);
    corral_strbuf_json_key(out, &first, "assignee");
    if (*assignee) {
        corral_strbuf_json_str(out, assignee, strlen(assignee));
    } else {
        corral_strbuf_puts(out, "null");
    }
    corral_strbuf_json_key(out, &first, "version");
    corral_strbuf_json_int(out, sqlite3_column_int64(st, c + 3));
    corral_strbuf_json_key(out, &first, "final");
    corral_strbuf_puts(out, sqlite3_column_int(st, c + 4) ? "true" : "false");
    corral_strbuf_json_key(out, &first, "createdTimeUtc");
    put_time_or_null(out, st, c + 5);
    corral_strbuf_json_key(out, &first, "updatedTimeUtc");
    put_time_or_null(out, st, c + 6);
    static const char *const links[] = {"previous", "next"};
    for (int k = 0; k < 2; k++) {
        corral_strbuf_json_key(out, &first, links[k]);
        if (sqlite3_column_type(st, c + 7 + k) == SQLITE_NULL) {
            corral_strbuf_puts(out, "null");
        } else {
            const char *v = corral_store_col_text(st, c + 7 + k);
            corral_strbuf_json_str(out, v, strlen(v));
        }
    }
    corral_strbuf_json_key(out, &first, "retracted");
    corral_strbuf_puts(out, sqlite3_column_int(st, c + 9) ? "true" : "false");
    corral_strbuf_putc(out, '}');
}

static int parse_status_name(const char *s, int *out)
{
    static const char *const names[] = {"Active", "InProgress", "Resolved", "Dismissed"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

/*
 * Cursors: "<sort letter><direction>.<int64 key>.<id>", opaque to callers.
 * The id part is whatever followed; it is only ever bound, never spliced.
 */
static int parse_cursor(const char *cursor, char tag0, char tag1, int64_t *key, const char **id)
{
    if (cursor[0] != tag0 || cursor[1] != tag1 || cursor[2] != '.') {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(cursor + 3, &end, 10);
    if (errno != 0 || end == cursor + 3 || *end != '.' || end[1] == '\0' || strlen(end + 1) > 200) {
        return -1;
    }
    *key = v;
    *id = end + 1;
    return 0;
}

corral_err corral_store_list_incidents(corral_store *s, const struct corral_scopes *scopes,
                                       const struct corral_incident_query *q,
                                       struct corral_strbuf *out, char *errbuf, size_t errlen)
{
    const char *sort = q->sort != NULL && *q->sort ? q->sort : "firstActivity";
    int desc = sort[0] == '-';
    if (desc) {
        sort++;
    }
    const char *col;
    char tag;
    if (strcmp(sort, "firstActivity") == 0) {
        col = "i.first";
        tag = 'f';
    } else if (strcmp(sort, "lastActivity") == 0) {
        col = "i.last";
        tag = 'l';
    } else if (strcmp(sort, "severity") == 0) {
        col = "i.severity";
        tag = 's';
    } else {
        snprintf(errbuf, errlen, "sort must be firstActivity, lastActivity or severity, "
                                 "optionally prefixed with '-'");
        return CORRAL_ERR_BAD_VALUE;
    }
    int status = -1;
    if (q->status != NULL && parse_status_name(q->status, &status) != 0) {
        snprintf(errbuf, errlen, "status must be Active, InProgress, Resolved or Dismissed");
        return CORRAL_ERR_BAD_VALUE;
    }
    enum corral_severity sev = CORRAL_SEV_UNKNOWN;
    if (q->severity != NULL &&
        (corral_severity_parse(q->severity, strlen(q->severity), &sev) != 0 ||
         sev == CORRAL_SEV_UNKNOWN)) {
        snprintf(errbuf, errlen, "severity must be High, Medium, Low or Informational");
        return CORRAL_ERR_BAD_VALUE;
    }
    int64_t ckey = 0;
    const char *cid = NULL;
    char dir = desc ? 'd' : 'a';
    if (q->cursor != NULL && parse_cursor(q->cursor, tag, dir, &ckey, &cid) != 0) {
        snprintf(errbuf, errlen, "cursor is not one this server gave for this sort");
        return CORRAL_ERR_BAD_VALUE;
    }
    char sql[4096];
    int n = snprintf(sql, sizeof(sql), "SELECT " INC_COLS ", %s, i.id FROM " INC_FROM " WHERE "
                     SCOPE_SQL("i.scope"), col);
#define ADD(...) n += snprintf(sql + n, sizeof(sql) - (size_t)n, __VA_ARGS__)
    if (status >= 0) ADD(" AND i.status = :status");
    if (q->kind != NULL) ADD(" AND i.kind = :kind");
    if (q->severity != NULL) ADD(" AND i.severity = :sev");
    if (q->scope != NULL) ADD(" AND i.scope = :scope");
    if (q->entity != NULL) {
        /* By the key's hash, then the key itself in the document (hashes may collide). */
        ADD(" AND i.seq IN (SELECT incident_id FROM incident_keys WHERE (incident_id >> 12) IN"
            " (WITH RECURSIVE b(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM b"
            " WHERE x < (SELECT max(seq) >> 12 FROM incidents)) SELECT x FROM b)"
            " AND key_hash = :ehash)"
            " AND EXISTS (SELECT 1 FROM json_each(d.json, '$.entities')"
            " WHERE json_extract(value, '$.key') = :entity)");
    }
    if (q->from != CORRAL_TIME_NONE) ADD(" AND i.last >= :from");
    if (q->to != CORRAL_TIME_NONE) ADD(" AND i.first <= :to");
    if (cid != NULL) ADD(" AND (%s, i.id) %c (:ckey, :cid)", col, desc ? '<' : '>');
    ADD(" ORDER BY %s %s, i.id %s LIMIT :limit", col, desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
#undef ADD
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, sql)) == NULL) {
        snprintf(errbuf, errlen, "query failed: %s", sqlite3_errmsg(s->db));
        return CORRAL_ERR_IO;
    }
    bind_scopes(st, scopes);
#define BIND_T(name, v)                                                                            \
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), v, -1, SQLITE_STATIC)
#define BIND_I(name, v) sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), v)
    if (status >= 0) BIND_I(":status", status);
    if (q->kind != NULL) BIND_T(":kind", q->kind);
    if (q->severity != NULL) BIND_I(":sev", (int)sev);
    if (q->scope != NULL) BIND_T(":scope", q->scope);
    if (q->entity != NULL) {
        BIND_T(":entity", q->entity);
        BIND_I(":ehash", corral_store_key_hash(q->entity, strlen(q->entity)));
    }
    if (q->from != CORRAL_TIME_NONE) BIND_I(":from", q->from);
    if (q->to != CORRAL_TIME_NONE) BIND_I(":to", q->to);
    if (cid != NULL) {
        BIND_I(":ckey", ckey);
        BIND_T(":cid", cid);
    }
    unsigned limit = q->limit == 0 ? 100 : q->limit;
    BIND_I(":limit", (int64_t)limit + 1);
    corral_strbuf_puts(out, "{\"incidents\":[");
    unsigned rows = 0;
    int rc;
    char next[300] = "";
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows == limit) {
            break; /* there is more: next points after the last one written */
        }
        if (rows > 0) {
            corral_strbuf_putc(out, ',');
        }
        put_incident(out, st, 0);
        snprintf(next, sizeof(next), "%c%c.%lld.%s", tag, dir,
                 (long long)sqlite3_column_int64(st, N_INC_COLS),
                 corral_store_col_text(st, N_INC_COLS + 1));
        rows++;
    }
    corral_err err = rc == SQLITE_ROW || rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
    if (err != CORRAL_OK) {
        snprintf(errbuf, errlen, "query failed: %s", sqlite3_errmsg(s->db));
    }
    corral_strbuf_puts(out, "],\"next\":");
    if (rc == SQLITE_ROW) {
        corral_strbuf_json_str(out, next, strlen(next));
    } else {
        corral_strbuf_puts(out, "null");
    }
    corral_strbuf_putc(out, '}');
    corral_store_finish(s, st);
    if (err == CORRAL_OK && corral_strbuf_status(out) != CORRAL_OK) {
        err = CORRAL_ERR_NOMEM;
    }
    return err;
}

static corral_err put_alert_row(corral_store *s, sqlite3_stmt *st, int c,
                                struct corral_strbuf *out)
{
    struct corral_alert a;
    corral_err err = rebuild_alert(s, st, c, &a);
    if (err == CORRAL_OK) {
        corral_alert_json(out, &a, NULL, 0);
    }
    return err;
}

corral_err corral_store_get_incident(corral_store *s, const struct corral_scopes *scopes,
                                     const char *id, struct corral_strbuf *out, int *found)
{
    *found = 0;
    sqlite3_stmt *st = NULL;
    corral_err err = CORRAL_ERR_IO;
    if ((st = corral_store_prepare(s, "SELECT " INC_COLS " FROM " INC_FROM " WHERE i.id = :id AND "
                           SCOPE_SQL("i.scope"))) == NULL) {
        return CORRAL_ERR_IO;
    }
    bind_scopes(st, scopes);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        corral_store_finish(s, st);
        return rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
    }
    *found = 1;
    size_t mark = out->len;
    put_incident(out, st, 0);
    corral_store_finish(s, st);
    st = NULL;
    if (out->len == mark || out->data[out->len - 1] != '}') {
        return CORRAL_ERR_DATA;
    }
    out->len--; /* reopen the object */
    corral_strbuf_puts(out, ",\"alertRecords\":[");
    if ((st = corral_store_prepare(s, "SELECT " ALERT_COLS " FROM incident_members m JOIN alerts a"
                           " ON a.seq = m.alert_seq WHERE m.incident_id ="
                           " (SELECT seq FROM incidents WHERE id = ?1)"
                           " ORDER BY a.start, a.id")) == NULL) {
        goto done;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ > 0) {
            corral_strbuf_putc(out, ',');
        }
        if ((err = put_alert_row(s, st, 0, out)) != CORRAL_OK) {
            goto done;
        }
    }
    if (rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
        goto done;
    }
    corral_store_finish(s, st);
    st = NULL;
    corral_strbuf_puts(out, "],\"activity\":[");
    if ((st = corral_store_prepare(s, "SELECT at, actor, action, old, new FROM activity"
                           " WHERE incident_id = ?1 ORDER BY seq")) == NULL) {
        err = CORRAL_ERR_IO;
        goto done;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int first = 1;
        corral_strbuf_puts(out, n++ > 0 ? ",{" : "{");
        corral_strbuf_json_key(out, &first, "time");
        put_time_or_null(out, st, 0);
        static const char *const keys[] = {"actor", "action", "from", "to"};
        for (int k = 0; k < 4; k++) {
            if (sqlite3_column_type(st, k + 1) == SQLITE_NULL) {
                continue;
            }
            const char *v = corral_store_col_text(st, k + 1);
            corral_strbuf_json_key(
                out, &first,
                k == 3 && strcmp(corral_store_col_text(st, 2), "comment") == 0 ? "text" : keys[k]);
            corral_strbuf_json_str(out, v, strlen(v));
        }
        corral_strbuf_putc(out, '}');
    }
    if (rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
        goto done;
    }
    corral_strbuf_puts(out, "]}");
    err = corral_strbuf_status(out);
done:
    corral_store_finish(s, st);
    return err;
}

corral_err corral_store_list_alerts(corral_store *s, const struct corral_scopes *scopes,
                                    const struct corral_alert_query *q, struct corral_strbuf *out,
                                    char *errbuf, size_t errlen)
{
    int status = -1;
    if (q->status != NULL && parse_status_name(q->status, &status) != 0) {
        snprintf(errbuf, errlen, "status must be Active, InProgress, Resolved or Dismissed");
        return CORRAL_ERR_BAD_VALUE;
    }
    int64_t cseq = 0;
    const char *cid = NULL;
    if (q->cursor != NULL && (parse_cursor(q->cursor, 'a', 'd', &cseq, &cid) != 0 ||
                              strcmp(cid, "x") != 0)) {
        snprintf(errbuf, errlen, "cursor is not one this server gave");
        return CORRAL_ERR_BAD_VALUE;
    }
    char sql[1024];
    int n = snprintf(sql, sizeof(sql), "SELECT " ALERT_COLS ", a.seq FROM alerts a WHERE "
                     SCOPE_SQL("a.scope"));
#define ADD(...) n += snprintf(sql + n, sizeof(sql) - (size_t)n, __VA_ARGS__)
    if (status >= 0) ADD(" AND a.status = :status");
    if (q->scope != NULL) ADD(" AND a.scope = :scope");
    if (q->type != NULL) ADD(" AND a.alert_type = :type");
    if (q->from != CORRAL_TIME_NONE) ADD(" AND a.start >= :from");
    if (q->to != CORRAL_TIME_NONE) ADD(" AND a.start <= :to");
    if (cid != NULL) ADD(" AND a.seq < :cseq");
    ADD(" ORDER BY a.seq DESC LIMIT :limit");
#undef ADD
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, sql)) == NULL) {
        snprintf(errbuf, errlen, "query failed: %s", sqlite3_errmsg(s->db));
        return CORRAL_ERR_IO;
    }
    bind_scopes(st, scopes);
    if (status >= 0) BIND_I(":status", status);
    if (q->scope != NULL) BIND_T(":scope", q->scope);
    if (q->type != NULL) BIND_T(":type", q->type);
    if (q->from != CORRAL_TIME_NONE) BIND_I(":from", q->from);
    if (q->to != CORRAL_TIME_NONE) BIND_I(":to", q->to);
    if (cid != NULL) BIND_I(":cseq", cseq);
    unsigned limit = q->limit == 0 ? 100 : q->limit;
    BIND_I(":limit", (int64_t)limit + 1);
    corral_strbuf_puts(out, "{\"alerts\":[");
    unsigned rows = 0;
    int rc;
    int64_t last = 0;
    corral_err err = CORRAL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows == limit) {
            break;
        }
        if (rows > 0) {
            corral_strbuf_putc(out, ',');
        }
        if ((err = put_alert_row(s, st, 0, out)) != CORRAL_OK) {
            break;
        }
        last = sqlite3_column_int64(st, 16);
        rows++;
    }
    if (err == CORRAL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
        snprintf(errbuf, errlen, "query failed: %s", sqlite3_errmsg(s->db));
    }
    corral_strbuf_puts(out, "],\"next\":");
    if (rc == SQLITE_ROW && err == CORRAL_OK) {
        corral_strbuf_printf(out, "\"ad.%" PRId64 ".x\"", last);
    } else {
        corral_strbuf_puts(out, "null");
    }
    corral_strbuf_putc(out, '}');
    corral_store_finish(s, st);
#undef BIND_T
#undef BIND_I
    if (err == CORRAL_OK && corral_strbuf_status(out) != CORRAL_OK) {
        err = CORRAL_ERR_NOMEM;
    }
    return err;
}

corral_err corral_store_get_alert(corral_store *s, const struct corral_scopes *scopes,
                                  const char *id, struct corral_strbuf *out, int *found)
{
    *found = 0;
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, "SELECT " ALERT_COLS " FROM alerts a WHERE a.id = :id AND "
                           SCOPE_SQL("a.scope"))) == NULL) {
        return CORRAL_ERR_IO;
    }
    bind_scopes(st, scopes);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        corral_store_finish(s, st);
        return rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
    }
    *found = 1;
    corral_err err = put_alert_row(s, st, 0, out);
    corral_store_finish(s, st);
    st = NULL;
    if (err != CORRAL_OK || out->len == 0 || out->data[out->len - 1] != '}') {
        return err != CORRAL_OK ? err : CORRAL_ERR_NOMEM;
    }
    out->len--;
    corral_strbuf_puts(out, ",\"incidents\":[");
    /* The incidents share the alert's scope, so no other scope's id can show here. */
    if ((st = corral_store_prepare(
             s, "SELECT i.id FROM incident_members m JOIN incidents i ON i.seq ="
                " m.incident_id WHERE m.alert_seq = (SELECT seq FROM alerts WHERE id = ?1)"
                " ORDER BY i.id")) == NULL) {
        return CORRAL_ERR_IO;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ > 0) {
            corral_strbuf_putc(out, ',');
        }
        const char *iid = corral_store_col_text(st, 0);
        corral_strbuf_json_str(out, iid, strlen(iid));
    }
    corral_store_finish(s, st);
    if (rc != SQLITE_DONE) {
        return CORRAL_ERR_IO;
    }
    corral_strbuf_puts(out, "]}");
    return corral_strbuf_status(out);
}

/* ---- management ---- */

static corral_err log_activity(corral_store *s, const char *id, corral_time now, const char *actor,
                               const char *action, const char *old, const char *new_)
{
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s,
                                   "INSERT INTO activity(incident_id, at, actor, action, old, new)"
                                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6)")) == NULL) {
        return CORRAL_ERR_IO;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, actor != NULL ? actor : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
    if (old != NULL) {
        sqlite3_bind_text(st, 5, old, -1, SQLITE_STATIC);
    }
    if (new_ != NULL) {
        sqlite3_bind_text(st, 6, new_, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st);
    corral_store_finish(s, st);
    return rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
}

static corral_err run1(corral_store *s, const char *sql, const char *a, int64_t b, const char *c,
                       const char *d)
{
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, sql)) == NULL) {
        return CORRAL_ERR_IO;
    }
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, b);
    if (c != NULL) {
        sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
    }
    if (d != NULL) {
        sqlite3_bind_text(st, 4, d, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st);
    corral_store_finish(s, st);
    return rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
}

corral_err corral_store_patch_incident(corral_store *s, const struct corral_scopes *scopes,
                                       const char *id, const struct corral_incident_patch *p,
                                       corral_time now, int *found)
{
    *found = 0;
    corral_err err = corral_store_begin(s);
    if (err != CORRAL_OK) {
        return err;
    }
    sqlite3_stmt *st = NULL;
    char old_assignee[512] = "";
    int old_status = 0;
    if ((st =
             corral_store_prepare(s, "SELECT i.status, i.assignee FROM incidents i WHERE i.id = :id"
                                     " AND " SCOPE_SQL("i.scope"))) == NULL) {
        err = CORRAL_ERR_IO;
        goto fail;
    }
    bind_scopes(st, scopes);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = 1;
        old_status = sqlite3_column_int(st, 0);
        snprintf(old_assignee, sizeof(old_assignee), "%s", corral_store_col_text(st, 1));
    }
    corral_store_finish(s, st);
    if (rc != SQLITE_ROW) {
        err = rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
        goto fail;
    }
    if (p->status >= 0 && p->status != old_status) {
        err = run1(s, "UPDATE incidents SET status = ?2 WHERE id = ?1", id, p->status, NULL, NULL);
        if (err == CORRAL_OK) {
            err = log_activity(s, id, now, p->actor, "status",
                               corral_status_name((enum corral_status)old_status),
                               corral_status_name((enum corral_status)p->status));
        }
        if (err != CORRAL_OK) {
            goto fail;
        }
    }
    if (p->status == CORRAL_STATUS_DISMISSED && p->dismiss_alerts) {
        err =
            run1(s,
                 "UPDATE alerts SET status = ?2 WHERE seq IN (SELECT alert_seq FROM"
                 " incident_members WHERE incident_id = (SELECT seq FROM incidents WHERE id = ?1))",
                 id, CORRAL_STATUS_DISMISSED, NULL, NULL);
        if (err == CORRAL_OK) {
            char n[32];
            snprintf(n, sizeof(n), "%d", sqlite3_changes(s->db));
            err = log_activity(s, id, now, p->actor, "dismiss-alerts", NULL, n);
        }
        if (err != CORRAL_OK) {
            goto fail;
        }
    }
    if (p->assignee != NULL && strcmp(p->assignee, old_assignee) != 0) {
        err = run1(s, "UPDATE incidents SET assignee = ?3 WHERE id = ?1", id, 0, p->assignee, NULL);
        if (err == CORRAL_OK) {
            err = log_activity(s, id, now, p->actor, "assignee", old_assignee, p->assignee);
        }
        if (err != CORRAL_OK) {
            goto fail;
        }
    }
    if (p->comment != NULL) {
        err = run1(s, "INSERT INTO comments(incident_id, at, author, text) VALUES(?1, ?2, ?3, ?4)",
                   id, now, p->actor != NULL ? p->actor : "", p->comment);
        if (err == CORRAL_OK) {
            err = log_activity(s, id, now, p->actor, "comment", NULL, p->comment);
        }
        if (err != CORRAL_OK) {
            goto fail;
        }
    }
    return corral_store_commit(s);
fail:
    corral_store_rollback(s);
    return err;
}

corral_err corral_store_metrics(corral_store *s, struct corral_strbuf *out)
{
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(
             s, "SELECT kind, count(*) FROM incidents GROUP BY kind ORDER BY kind")) == NULL) {
        return CORRAL_ERR_IO;
    }
    corral_strbuf_puts(out, "# HELP corral_incidents Incidents in the store, by kind.\n"
                            "# TYPE corral_incidents gauge\n");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* Kinds are rule slugs ([a-z0-9-]); escape anyway, as Prometheus label values. */
        corral_strbuf_puts(out, "corral_incidents{kind=");
        const char *k = corral_store_col_text(st, 0);
        corral_strbuf_json_str(out, k, strlen(k));
        corral_strbuf_printf(out, "} %lld\n", (long long)sqlite3_column_int64(st, 1));
    }
    corral_store_finish(s, st);
    if (rc != SQLITE_DONE) {
        return CORRAL_ERR_IO;
    }
    corral_strbuf_printf(out, "# HELP corral_store_bytes Size of the database.\n"
                              "# TYPE corral_store_bytes gauge\ncorral_store_bytes %lld\n",
                         (long long)corral_store_size(s));
    return corral_strbuf_status(out);
}

/* ---- suppression rules ---- */

corral_err corral_store_add_suppression(corral_store *s, const char *scope, const char *alert_type,
                                        const char *conditions_json, const char *reason,
                                        corral_time expires, corral_time now, int64_t *id)
{
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(
             s, "INSERT INTO suppression_rules(alert_type, conditions, reason,"
                " expires, created, scopes) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")) == NULL) {
        return CORRAL_ERR_IO;
    }
    bind_text(st, 1, alert_type);
    bind_text(st, 2, conditions_json);
    bind_text(st, 3, reason);
    bind_time(st, 4, expires);
    sqlite3_bind_int64(st, 5, now);
    bind_text(st, 6, scope);
    int rc = sqlite3_step(st);
    corral_store_finish(s, st);
    *id = sqlite3_last_insert_rowid(s->db);
    return rc == SQLITE_DONE ? CORRAL_OK : CORRAL_ERR_IO;
}

corral_err corral_store_list_suppressions(corral_store *s, const struct corral_scopes *scopes,
                                          struct corral_strbuf *out)
{
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, "SELECT id, scopes, alert_type, conditions, reason, expires,"
                           " created FROM suppression_rules r WHERE " SCOPE_SQL("r.scopes")
                           " ORDER BY id")) == NULL) {
        return CORRAL_ERR_IO;
    }
    bind_scopes(st, scopes);
    corral_strbuf_puts(out, "{\"rules\":[");
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int first = 1;
        corral_strbuf_puts(out, n++ > 0 ? ",{" : "{");
        corral_strbuf_json_key(out, &first, "id");
        corral_strbuf_json_int(out, sqlite3_column_int64(st, 0));
        static const char *const keys[] = {"scope", "alertType"};
        for (int k = 0; k < 2; k++) {
            const char *v = corral_store_col_text(st, 1 + k);
            corral_strbuf_json_key(out, &first, keys[k]);
            corral_strbuf_json_str(out, v, strlen(v));
        }
        corral_strbuf_json_key(out, &first, "entities");
        corral_strbuf_puts(out, corral_store_col_text(st, 3)); /* written by us, valid JSON */
        const char *reason = corral_store_col_text(st, 4);
        corral_strbuf_json_key(out, &first, "reason");
        corral_strbuf_json_str(out, reason, strlen(reason));
        corral_strbuf_json_key(out, &first, "expires");
        put_time_or_null(out, st, 5);
        corral_strbuf_json_key(out, &first, "createdTimeUtc");
        put_time_or_null(out, st, 6);
        corral_strbuf_putc(out, '}');
    }
    corral_store_finish(s, st);
    corral_strbuf_puts(out, "]}");
    return rc == SQLITE_DONE ? corral_strbuf_status(out) : CORRAL_ERR_IO;
}

corral_err corral_store_delete_suppression(corral_store *s, const struct corral_scopes *scopes,
                                           int64_t id, int *found)
{
    sqlite3_stmt *st = NULL;
    *found = 0;
    if ((st = corral_store_prepare(s, "DELETE FROM suppression_rules AS r WHERE id = :id AND "
                           SCOPE_SQL("r.scopes"))) == NULL) {
        return CORRAL_ERR_IO;
    }
    bind_scopes(st, scopes);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), id);
    int rc = sqlite3_step(st);
    corral_store_finish(s, st);
    if (rc != SQLITE_DONE) {
        return CORRAL_ERR_IO;
    }
    *found = sqlite3_changes(s->db) > 0;
    return CORRAL_OK;
}

corral_err corral_store_each_suppression(corral_store *s,
                                         corral_err (*fn)(void *ctx, int64_t id, const char *scope,
                                                          const char *alert_type,
                                                          const char *conditions_json,
                                                          corral_time expires),
                                         void *ctx)
{
    sqlite3_stmt *st = NULL;
    if ((st = corral_store_prepare(s, "SELECT id, scopes, alert_type, conditions, expires FROM"
                           " suppression_rules ORDER BY id")) == NULL) {
        return CORRAL_ERR_IO;
    }
    int rc;
    corral_err err = CORRAL_OK;
    while (err == CORRAL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = fn(ctx, sqlite3_column_int64(st, 0), corral_store_col_text(st, 1),
                 corral_store_col_text(st, 2), corral_store_col_text(st, 3),
                 sqlite3_column_type(st, 4) == SQLITE_NULL ? CORRAL_TIME_NONE
                                                           : sqlite3_column_int64(st, 4));
    }
    if (err == CORRAL_OK && rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
    }
    corral_store_finish(s, st);
    return err;
}
