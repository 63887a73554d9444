/*
 * store.h - the incident service's database: alerts, incidents, their
 * membership and entities, activity, comments, suppression rules, API tokens.
 *
 * One SQLite file in WAL mode with synchronous=FULL: once
 * corral_store_commit() returns CORRAL_OK, everything written since
 * corral_store_begin() survives a crash or a power cut. The schema is
 * versioned (PRAGMA user_version) and brought up to date on open by the
 * migrations in store.c, each in its own transaction.
 *
 * A store handle is one SQLite connection and is used by one thread at a
 * time. The server opens one writer and a few readers on the same file; WAL
 * lets readers run while the writer commits.
 *
 * Alerts are kept normalized (the columns of struct corral_alert, entities as
 * a compact blob) so that the engine can be rebuilt by replaying them
 * (corral_store_replay) and the API can print them as `corral alerts` does.
 * Alerts are keyed by systemAlertId: re-sending one updates its status and
 * never duplicates it. Incidents are kept as the engine last emitted them
 * (their JSON, docs/output.md) plus the columns the API filters and sorts
 * on; the status and assignee analysts set are kept apart and survive the
 * engine's later updates, except that an incident an analyst closed does not
 * change again: what the engine adds to it goes to a successor
 * (corral_store_apply_incident, incidents.c).
 *
 * Scope isolation is enforced here, in every query that reads or changes
 * alerts or incidents: each takes a struct corral_scopes, and an alert or
 * incident outside it is reported as not found, exactly as one that does
 * not exist.
 */
#ifndef CORRAL_STORE_STORE_H
#define CORRAL_STORE_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "model/alert.h"
#include "model/incident.h"
#include "util/error.h"
#include "util/strbuf.h"

typedef struct corral_store corral_store;

#define CORRAL_STORE_SCHEMA_VERSION 2

/*
 * Process-wide SQLite settings for a store used from many threads: no memory
 * statistics, which cost a global mutex on every allocation. Call once before
 * the first corral_store_open of the process (later calls change nothing).
 */
void corral_store_init_library(void);

/*
 * Open (creating if needed) the database at path and migrate it. On failure
 * returns CORRAL_ERR_IO (cannot open, not a corral database, newer schema)
 * or CORRAL_ERR_NOMEM, with the reason in errbuf.
 */
corral_err corral_store_open(const char *path, corral_store **out, char *errbuf, size_t errlen);
void corral_store_free(corral_store *store); /* NULL is a no-op */

/* The last SQLite error message of this connection (for logs); never NULL. */
const char *corral_store_errmsg(const corral_store *store);

/* Pages of WAL after which a commit checkpoints itself (SQLite default 1000; 0 = never). */
void corral_store_set_autocheckpoint(corral_store *store, int pages);
/*
 * Copy committed WAL pages into the database (PASSIVE, beside readers and the
 * writer). When the WAL has grown past 64 MiB, also start it over from its
 * beginning (the file keeps at most 128 MiB) if no reader or writer is on it
 * at that moment; past 256 MiB, wait for that, holding write_lock (when not
 * NULL) so that the writer waits instead of failing.
 */
void corral_store_checkpoint(corral_store *store, pthread_mutex_t *write_lock);

/* Size of the database file in bytes (pages in use times page size), or -1. */
int64_t corral_store_size(corral_store *store);

/* The scopes a caller may see: all of them, or the n lower-case ids in json (a JSON array). */
struct corral_scopes {
    int all;
    const char *json; /* e.g. ["a","b"]; ignored when all */
};

/* ---- writing: one transaction per batch ---- */

corral_err corral_store_begin(corral_store *store);  /* BEGIN IMMEDIATE */
/* A read transaction: the reads until corral_store_read_end see one snapshot. */
corral_err corral_store_read_begin(corral_store *store);
void corral_store_read_end(corral_store *store);
corral_err corral_store_commit(corral_store *store); /* durable on CORRAL_OK */
void corral_store_rollback(corral_store *store);

enum corral_put_result {
    CORRAL_PUT_NEW = 0,   /* a new alert: feed it to the engine */
    CORRAL_PUT_UPDATED,   /* same systemAlertId seen before: its status was updated */
    CORRAL_PUT_CONFLICT,  /* the systemAlertId belongs to another scope: not stored */
};

/*
 * Insert alert, or update the status of the stored alert with its id.
 * suppressed (a suppression rule id, 0 for none) stores it Dismissed and
 * keeps it out of replays. received: wall-clock ticks.
 */
corral_err corral_store_put_alert(corral_store *store, const struct corral_alert *alert,
                                  int64_t suppressed, corral_time received,
                                  enum corral_put_result *result);

/*
 * The same decision without writing: NEW when no alert has this id, UPDATED
 * when one of the same scope has, CONFLICT when one of another scope has.
 * Read-only, so any connection may ask (the server asks before the engine
 * sees an alert, and writes later with corral_store_write_alert).
 */
corral_err corral_store_find_alert(corral_store *store, const char *id, const char *scope,
                                   enum corral_put_result *result);

/*
 * Write an alert whose fate is already known (corral_store_find_alert, in
 * the same order of writes): NEW inserts it, UPDATED sets the stored one's
 * status, CONFLICT writes nothing. suppressed and received as for put_alert.
 */
corral_err corral_store_write_alert(corral_store *store, const struct corral_alert *alert,
                                    int64_t suppressed, corral_time received,
                                    enum corral_put_result known);

/*
 * What the engine last reported, within one batch, about one incident. The
 * links' alerts need only id, start, plan, tactics and severity (the store
 * reads a member's entities from its stored alert when it needs them).
 */
struct corral_incident_change {
    const char *id;                    /* the engine's id */
    const struct corral_incident *inc; /* its last version; NULL: the engine retracted it */
    int final;                         /* its session closed: this is the incident */
    int high_if_any_high;              /* its rule: High when any member is High, else Medium */
    /* corral_incident_json(inc), when the caller made it already (off the writer's path), or NULL
     */
    const char *json;
    size_t json_len;
};

/*
 * Apply one change, inside the caller's transaction. Incidents are written
 * once per batch and per incident, and only what changed: the document and
 * its columns, the membership and entity rows that were added or removed.
 *
 * An incident whose analyst status is Resolved or Dismissed does not change
 * again. Alerts the engine adds to it later go to a successor, whose id is
 * derived from the engine's id and a generation number (1, 2, ...), whose
 * document has "previous" (and the closed one "next"), and which holds only
 * the alerts that no earlier generation holds; when the successor is closed
 * in turn, the next alerts start the generation after it.
 *
 * A retracted incident (inc NULL) is deleted with its successors unless an
 * analyst has touched it (any activity: status, assignee, comment): that one
 * is kept as it is, marked retracted, with its activity.
 */
corral_err corral_store_apply_incident(corral_store *store,
                                       const struct corral_incident_change *change,
                                       corral_time now);

/* Shorthands for tests and tools: an update (or final) of inc, or a retraction of id. */
corral_err corral_store_put_incident(corral_store *store, const struct corral_incident *inc,
                                     int final, corral_time now);
corral_err corral_store_delete_incident(corral_store *store, const char *id);

/*
 * What the engine's close logic allows a restart to skip (see
 * corral_store_replay_start): its allowed lateness, the longest session gap
 * of any rule (entity sessions and machine chains), and the longest time one
 * session or machine component may span (0: no bound).
 */
struct corral_replay_window {
    corral_time lateness;
    corral_time window;
    corral_time max_span;
};

/*
 * The earliest start time a replay must include so that the engine it
 * rebuilds is the engine that stored these alerts: *from, or
 * CORRAL_TIME_NONE for everything. The alerts from the newest start time
 * minus lateness and window on are in sessions that may still be open; the
 * cut then moves back past every alert that shares an entity (same scope,
 * type and key) within the window with one after it, until a whole window
 * passes with none, so that no session, machine component or incident
 * straddles it. With max_span set, no cut earlier than just before newest -
 * lateness - window - 2 max_span is needed. *scanned: alerts read to decide.
 */
corral_err corral_store_replay_start(corral_store *store, const struct corral_replay_window *w,
                                     corral_time *from, uint64_t *scanned);

/*
 * Every stored alert not suppressed whose start time is from or later
 * (CORRAL_TIME_NONE: all), in arrival order, rebuilt as the decoder made it,
 * to fn (the alert is valid during the call). Stops at and returns fn's
 * first non-OK result.
 */
corral_err corral_store_replay(corral_store *store, corral_time from,
                               corral_err (*fn)(void *ctx, const struct corral_alert *alert),
                               void *ctx, uint64_t *count);

/* ---- reading (JSON appended to out) ---- */

struct corral_incident_query {
    const char *status;   /* Active, InProgress, Resolved, Dismissed or NULL */
    const char *kind;     /* or NULL */
    const char *severity; /* High, Medium... or NULL */
    const char *scope;    /* or NULL (still within the caller's scopes) */
    const char *entity;   /* an entity key of the incident (any type), or NULL */
    corral_time from, to; /* activity overlaps [from, to]; CORRAL_TIME_NONE = open */
    const char *sort; /* firstActivity (default), lastActivity, severity; '-' prefix: descending */
    const char *cursor;   /* from a previous page's "next", or NULL */
    unsigned limit;       /* 1..1000 */
};

/*
 * {"incidents":[...],"next":CURSOR|null}. CORRAL_ERR_BAD_VALUE (reason in
 * errbuf) for an unknown sort, status or severity, or a cursor that is not one
 * of ours for this sort.
 */
corral_err corral_store_list_incidents(corral_store *store, const struct corral_scopes *scopes,
                                       const struct corral_incident_query *q,
                                       struct corral_strbuf *out, char *errbuf, size_t errlen);

/* The incident with alertRecords and activity; *found = 0 when absent or outside scopes. */
corral_err corral_store_get_incident(corral_store *store, const struct corral_scopes *scopes,
                                     const char *id, struct corral_strbuf *out, int *found);

struct corral_alert_query {
    const char *scope;  /* or NULL */
    const char *status; /* or NULL */
    const char *type;   /* alertType, or NULL */
    corral_time from, to; /* start time within; CORRAL_TIME_NONE = open */
    const char *cursor;
    unsigned limit;
};

/* {"alerts":[...],"next":CURSOR|null}, newest arrival first. */
corral_err corral_store_list_alerts(corral_store *store, const struct corral_scopes *scopes,
                                    const struct corral_alert_query *q, struct corral_strbuf *out,
                                    char *errbuf, size_t errlen);

/* One alert with "incidents": [ids]; *found = 0 when absent or outside scopes. */
corral_err corral_store_get_alert(corral_store *store, const struct corral_scopes *scopes,
                                  const char *id, struct corral_strbuf *out, int *found);

/* ---- incident management ---- */

struct corral_incident_patch {
    int status;              /* enum corral_status, or -1 to leave it */
    const char *assignee;    /* NULL to leave it; "" to clear */
    const char *comment;     /* NULL for none */
    int dismiss_alerts;      /* with status Dismissed: dismiss the member alerts too */
    const char *actor;       /* who (token id) */
};

/* Apply patch in one transaction and log each change; *found as above. */
corral_err corral_store_patch_incident(corral_store *store, const struct corral_scopes *scopes,
                                       const char *id, const struct corral_incident_patch *patch,
                                       corral_time now, int *found);

/* ---- suppression rules ---- */

/*
 * A rule as Defender has them: alerts of alert_type ("*": any) in scope ("*":
 * every scope) having every entity of conditions (a JSON array of
 * {"type","key"} written by the caller) are stored Dismissed and take no part
 * in correlation, until expires (CORRAL_TIME_NONE: never).
 */
corral_err corral_store_add_suppression(corral_store *store, const char *scope,
                                        const char *alert_type, const char *conditions_json,
                                        const char *reason, corral_time expires, corral_time now,
                                        int64_t *id);
/* {"rules":[...]}: the rules whose scope is within scopes ("*" rules for all-scope callers only).
 */
corral_err corral_store_list_suppressions(corral_store *store, const struct corral_scopes *scopes,
                                          struct corral_strbuf *out);
/* *found = 0 when no rule id is within scopes. */
corral_err corral_store_delete_suppression(corral_store *store, const struct corral_scopes *scopes,
                                           int64_t id, int *found);
/* Every rule, to fn (strings valid during the call); stops at fn's first non-OK result. */
corral_err corral_store_each_suppression(corral_store *store,
                                         corral_err (*fn)(void *ctx, int64_t id, const char *scope,
                                                          const char *alert_type,
                                                          const char *conditions_json,
                                                          corral_time expires),
                                         void *ctx);

/* ---- metrics ---- */

/* Prometheus lines: corral_incidents{kind="..."} n, per kind. */
corral_err corral_store_metrics(corral_store *store, struct corral_strbuf *out);

/* For the tests of migrations: make a database at path with the schema of an older version. */
corral_err corral_store_create_version(const char *path, int version, char *errbuf,
                                       size_t errlen);

/* Internal, for token.c and the tests: the raw SQLite connection (sqlite3 *). */
void *corral_store_db(corral_store *store);

#endif
