/*
 * server.c - the HTTP API of the incident service (see server.h).
 *
 * Each request goes: route (404 unknown path, 405 wrong method) -> bearer
 * token (401) -> role (403) -> body within limits (413) -> handler. A token's
 * scopes are passed to every store query, which treats an alert or incident
 * of another scope exactly as one that does not exist (404), so that no
 * answer, error or timing of a code path tells a caller about another scope.
 *
 * The only state shared between connection threads is the corral_server:
 * the writer (store connection + engine + decoder) under write_lock, the
 * reader pool under pool_lock, and counters updated atomically.
 */
#include "api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "api/openapi_doc.h"
#include "engine/engine.h"
#include "ingest/json.h"
#include "ingest/pipeline.h"
#include "store/store.h"
#include "store/token.h"
#include "model/incident_json.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/time.h"

#define MAX_READERS 32
#define MAX_ERRORS_LISTED 1000
#define N_BUCKETS 12

static const double bucket_le[N_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

struct corral_server {
    struct corral_server_opts opts;
    struct MHD_Daemon *daemon;
    unsigned port;
    /* The writer: one connection, the engine, the decoder. */
    pthread_mutex_t write_lock;
    corral_store *writer;
    corral_engine *engine;
    corral_decoder *decoder;
    struct corral_incident_sink sink; /* borrowed by the engine */
    int replaying;            /* events during a rebuild are already in the store */
    corral_err event_err;     /* first error from an engine event in this batch */
    /* The last version of each incident this batch changed, written once at its end. */
    struct pending *pending;
    size_t n_pending, cap_pending;
    corral_map *pending_ids; /* id -> struct pending * (index + 1) */
    /* Suppression rules, loaded from the store; read and replaced under write_lock. */
    struct supp *supps;
    size_t n_supps;
    /* The checkpointer: moves the WAL into the database off the ingest path. */
    pthread_t ckpt_thread;
    int ckpt_started, ckpt_stop;
    pthread_cond_t ckpt_cond;
    corral_store *ckpt_store;
    /* Readers. */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    corral_store *readers[MAX_READERS];
    int free_readers[MAX_READERS];
    unsigned n_free, n_readers;
    /* Metrics. */
    atomic_ullong alerts_in, alerts_rejected, alerts_suppressed, alerts_updated, requests, errors_4xx, errors_5xx;
    atomic_ullong lat_buckets[N_BUCKETS + 1];
    atomic_ullong lat_sum_us;
};

/* An incident as the engine last emitted it in this batch, flattened into buf. */
struct pending {
    char id[40];
    int deleted;
    int final;
    struct corral_strbuf buf; /* json, then scope, kind, entity key, member ids, entity keys */
    size_t json_len, o_scope, o_kind, o_key;
    enum corral_severity severity;
    enum corral_entity_type entity_type;
    corral_time first, last;
    uint32_t version, n_members, n_entities;
    size_t *o_members;
    uint8_t *roles;
    size_t cap_members;
    struct corral_entity *entities; /* keys as offsets until written */
    size_t cap_entities;
};

/* A suppression rule in memory (store.h). */
struct supp {
    int64_t id;
    char *scope;      /* "*": every scope */
    char *alert_type; /* "*": any type */
    corral_time expires;
    uint32_t n;
    enum corral_entity_type *types;
    char **keys;
};

/* One request in flight: what libmicrohttpd keeps in *con_cls between calls. */
enum route {
    R_NONE = 0,
    R_HEALTHZ,
    R_METRICS,
    R_OPENAPI,
    R_ALERTS,
    R_ALERT,
    R_INCIDENTS,
    R_INCIDENT,
    R_SUPPRESSIONS,
    R_SUPPRESSION,
};

struct request {
    enum route route;
    char id[257];
    struct corral_principal who;
    struct corral_strbuf body;
    int too_large;
    struct timespec t0;
};

static corral_time wall_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (corral_time)ts.tv_sec * CORRAL_TICKS_PER_SECOND + ts.tv_nsec / 100;
}

void corral_server_opts_init(struct corral_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 8080;
    o->max_body = 16u << 20;
    o->max_header = 16u << 10;
    o->max_connections = 256;
    o->timeout_seconds = 30;
    o->readers = 8;
    o->lateness = CORRAL_DEFAULT_LATENESS;
}

/* ---- reader pool ---- */

static int reader_take(corral_server *s)
{
    pthread_mutex_lock(&s->pool_lock);
    while (s->n_free == 0) {
        pthread_cond_wait(&s->pool_cond, &s->pool_lock);
    }
    int i = s->free_readers[--s->n_free];
    pthread_mutex_unlock(&s->pool_lock);
    return i;
}

static void reader_give(corral_server *s, int i)
{
    pthread_mutex_lock(&s->pool_lock);
    s->free_readers[s->n_free++] = i;
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
}

/* ---- the engine's events: kept per batch, written with the batch's alerts ---- */

static size_t put_z(struct corral_strbuf *b, const char *text, size_t len)
{
    size_t off = b->len;
    corral_strbuf_append(b, text, len);
    corral_strbuf_putc(b, '\0');
    return off;
}

static corral_err snapshot(struct pending *p, const struct corral_incident *inc, int final)
{
    p->deleted = 0;
    p->final = final;
    corral_strbuf_clear(&p->buf);
    corral_incident_json(&p->buf, inc, CORRAL_FORMAT_CORRAL, NULL);
    p->json_len = p->buf.len;
    corral_strbuf_putc(&p->buf, '\0');
    p->o_scope = put_z(&p->buf, inc->scope, strlen(inc->scope));
    p->o_kind = put_z(&p->buf, inc->kind, strlen(inc->kind));
    p->o_key = put_z(&p->buf, inc->entity_key, strlen(inc->entity_key));
    p->severity = inc->severity;
    p->entity_type = inc->entity_type;
    p->first = inc->first_activity;
    p->last = inc->last_activity;
    p->version = inc->version;
    if (inc->n_members > p->cap_members) {
        size_t cap = inc->n_members * 2;
        size_t *om = realloc(p->o_members, cap * sizeof(*om));
        if (om != NULL) {
            p->o_members = om;
        }
        uint8_t *r = realloc(p->roles, cap);
        if (r != NULL) {
            p->roles = r;
        }
        if (om == NULL || r == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        p->cap_members = cap;
    }
    if (inc->n_entities > p->cap_entities) {
        size_t cap = inc->n_entities * 2;
        struct corral_entity *e = realloc(p->entities, cap * sizeof(*e));
        if (e == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        p->entities = e;
        p->cap_entities = cap;
    }
    p->n_members = inc->n_members;
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const char *id = inc->links[i].alert->id;
        p->o_members[i] = put_z(&p->buf, id, strlen(id));
        p->roles[i] = (uint8_t)inc->links[i].role;
    }
    p->n_entities = inc->n_entities;
    for (uint32_t i = 0; i < inc->n_entities; i++) {
        p->entities[i] = inc->entities[i];
        p->entities[i].key = (const char *)(uintptr_t)put_z(&p->buf, inc->entities[i].key,
                                                            inc->entities[i].len);
    }
    return corral_strbuf_status(&p->buf);
}

static void on_incident(void *ctx, const struct corral_incident *inc, enum corral_incident_event ev)
{
    corral_server *s = ctx;
    if (s->replaying || s->event_err != CORRAL_OK) {
        return;
    }
    size_t idlen = strlen(inc->id);
    uintptr_t slot = (uintptr_t)corral_map_get(s->pending_ids, inc->id, idlen);
    struct pending *p;
    if (slot != 0) {
        p = &s->pending[slot - 1];
    } else {
        if (s->n_pending == s->cap_pending) {
            size_t cap = s->cap_pending ? s->cap_pending * 2 : 64;
            struct pending *np = realloc(s->pending, cap * sizeof(*np));
            if (np == NULL) {
                s->event_err = CORRAL_ERR_NOMEM;
                return;
            }
            memset(np + s->cap_pending, 0, (cap - s->cap_pending) * sizeof(*np));
            /* The map's keys live in the entries: re-point them after the move. */
            s->pending = np;
            s->cap_pending = cap;
            corral_map_free(s->pending_ids);
            s->pending_ids = corral_map_new();
            if (s->pending_ids == NULL) {
                s->event_err = CORRAL_ERR_NOMEM;
                return;
            }
            for (size_t i = 0; i < s->n_pending; i++) {
                if (corral_map_put(s->pending_ids, np[i].id, strlen(np[i].id),
                                   (void *)(uintptr_t)(i + 1)) != CORRAL_OK) {
                    s->event_err = CORRAL_ERR_NOMEM;
                    return;
                }
            }
        }
        p = &s->pending[s->n_pending];
        snprintf(p->id, sizeof(p->id), "%s", inc->id);
        if (corral_map_put(s->pending_ids, p->id, idlen, (void *)(uintptr_t)(s->n_pending + 1)) !=
            CORRAL_OK) {
            s->event_err = CORRAL_ERR_NOMEM;
            return;
        }
        s->n_pending++;
    }
    if (ev == CORRAL_INC_RETRACT) {
        p->deleted = 1;
        return;
    }
    corral_err err = snapshot(p, inc, ev == CORRAL_INC_FINAL);
    if (err != CORRAL_OK) {
        s->event_err = err;
    }
}

/* Write the batch's incidents, in the order they were first changed. */
static corral_err write_pending(corral_server *s)
{
    corral_err err = s->event_err;
    const char *members_stack[256];
    corral_time now = wall_ticks();
    for (size_t i = 0; i < s->n_pending && err == CORRAL_OK; i++) {
        struct pending *p = &s->pending[i];
        if (p->deleted) {
            err = corral_store_delete_incident(s->writer, p->id);
            continue;
        }
        const char **members = p->n_members <= 256 ? members_stack
                                                   : malloc(p->n_members * sizeof(*members));
        if (members == NULL) {
            err = CORRAL_ERR_NOMEM;
            break;
        }
        const char *base = p->buf.data;
        for (uint32_t m = 0; m < p->n_members; m++) {
            members[m] = base + p->o_members[m];
        }
        for (uint32_t e = 0; e < p->n_entities; e++) {
            p->entities[e].key = base + (uintptr_t)p->entities[e].key;
        }
        struct corral_incident_row row = {
            .id = p->id, .scope = base + p->o_scope, .kind = base + p->o_kind,
            .entity_key = base + p->o_key, .severity = p->severity, .entity_type = p->entity_type,
            .first = p->first, .last = p->last, .version = p->version, .final = p->final,
            .json = base, .json_len = p->json_len, .members = members, .roles = p->roles,
            .n_members = p->n_members, .entities = p->entities, .n_entities = p->n_entities};
        err = corral_store_put_incident_row(s->writer, &row, now);
        if (members != members_stack) {
            free(members);
        }
    }
    return err;
}

/* Forget the batch's incidents (written or abandoned); keep the memory. */
static void clear_pending(corral_server *s)
{
    for (size_t i = 0; i < s->n_pending; i++) {
        corral_map_del(s->pending_ids, s->pending[i].id, strlen(s->pending[i].id));
        s->pending[i].deleted = 0;
    }
    s->n_pending = 0;
    s->event_err = CORRAL_OK;
}

static corral_err replay_one(void *ctx, const struct corral_alert *alert)
{
    corral_server *s = ctx;
    return corral_engine_add(s->engine, alert);
}

/* (Re)build the engine from the store. Called with write_lock held, or before serving. */
static corral_err rebuild_engine(corral_server *s, char *errbuf, size_t errlen)
{
    corral_engine_free(s->engine);
    struct corral_engine_opts eo = {.lateness = s->opts.lateness, .stream = 1};
    s->sink.ctx = s;
    s->sink.incident = on_incident;
    s->engine = corral_engine_new(s->opts.rules, &eo, &s->sink);
    if (s->engine == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return CORRAL_ERR_NOMEM;
    }
    uint64_t n = 0;
    s->replaying = 1;
    corral_err err = corral_store_replay(s->writer, replay_one, s, &n);
    s->replaying = 0;
    if (err != CORRAL_OK) {
        snprintf(errbuf, errlen, "cannot replay the stored alerts: %s (%s)", corral_strerror(err),
                 corral_store_errmsg(s->writer));
        return err;
    }
    if (!s->opts.quiet) {
        fprintf(stderr, "corral serve: engine rebuilt from %llu stored alerts\n",
                (unsigned long long)n);
    }
    return CORRAL_OK;
}

/* ---- responses ---- */

static enum MHD_Result send_buf(corral_server *s, struct MHD_Connection *c, struct request *r,
                                unsigned code, struct corral_strbuf *body, const char *ctype)
{
    if (corral_strbuf_status(body) != CORRAL_OK) {
        corral_strbuf_release(body);
        corral_strbuf_init(body);
        corral_strbuf_puts(body, "{\"error\":\"out of memory\"}");
        code = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    size_t len = body->len;
    char *data = body->data;
    if (data == NULL) {
        data = strdup("");
        len = 0;
    }
    corral_strbuf_init(body); /* ownership goes to libmicrohttpd */
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (code == MHD_HTTP_UNAUTHORIZED) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"corral\"");
    }
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED && r != NULL) {
        const char *allow = r->route == R_ALERTS || r->route == R_SUPPRESSIONS ? "GET, POST"
                            : r->route == R_INCIDENT                         ? "GET, PATCH"
                            : r->route == R_SUPPRESSION                      ? "DELETE"
                                                                             : "GET";
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    }
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    atomic_fetch_add(&s->requests, 1);
    if (code >= 500) {
        atomic_fetch_add(&s->errors_5xx, 1);
    } else if (code >= 400) {
        atomic_fetch_add(&s->errors_4xx, 1);
    }
    if (r != NULL) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - r->t0.tv_sec) + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
        int b = 0;
        while (b < N_BUCKETS && secs > bucket_le[b]) {
            b++;
        }
        atomic_fetch_add(&s->lat_buckets[b], 1);
        atomic_fetch_add(&s->lat_sum_us, (unsigned long long)(secs * 1e6));
    }
    return ret;
}

static enum MHD_Result send_error(corral_server *s, struct MHD_Connection *c, struct request *r,
                                  unsigned code, const char *msg)
{
    struct corral_strbuf b;
    corral_strbuf_init(&b);
    corral_strbuf_puts(&b, "{\"error\":");
    corral_strbuf_json_str(&b, msg, strlen(msg));
    corral_strbuf_puts(&b, "}");
    return send_buf(s, c, r, code, &b, "application/json");
}

/* ---- routing ---- */

#define PREFIX "/api/v1/"

/* Which route url names; 0 when none. The id is copied into r->id. */
static enum route route_of(const char *url, struct request *r)
{
    if (strcmp(url, "/healthz") == 0) {
        return R_HEALTHZ;
    }
    if (strcmp(url, "/metrics") == 0) {
        return R_METRICS;
    }
    if (strncmp(url, PREFIX, strlen(PREFIX)) != 0) {
        return R_NONE;
    }
    const char *p = url + strlen(PREFIX);
    if (strcmp(p, "openapi.json") == 0) {
        return R_OPENAPI;
    }
    enum route list, one;
    if (strncmp(p, "alerts", 6) == 0) {
        list = R_ALERTS;
        one = R_ALERT;
        p += 6;
    } else if (strncmp(p, "suppression-rules", 17) == 0) {
        list = R_SUPPRESSIONS;
        one = R_SUPPRESSION;
        p += 17;
    } else if (strncmp(p, "incidents", 9) == 0) {
        list = R_INCIDENTS;
        one = R_INCIDENT;
        p += 9;
    } else {
        return R_NONE;
    }
    if (*p == '\0') {
        return list;
    }
    if (*p != '/' || p[1] == '\0' || strlen(p + 1) >= sizeof(r->id) || strchr(p + 1, '/') != NULL) {
        return R_NONE;
    }
    snprintf(r->id, sizeof(r->id), "%s", p + 1);
    return one;
}

/* Is method allowed on route? */
static int method_ok(enum route rt, const char *m)
{
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    switch (rt) {
    case R_ALERTS:
        return get || strcmp(m, "POST") == 0;
    case R_INCIDENT:
        return get || strcmp(m, "PATCH") == 0;
    case R_SUPPRESSIONS:
        return get || strcmp(m, "POST") == 0;
    case R_SUPPRESSION:
        return strcmp(m, "DELETE") == 0;
    default:
        return get;
    }
}

/* The lowest role that may call route with method; -1 for no token needed. */
static int role_needed(enum route rt, const char *m)
{
    switch (rt) {
    case R_HEALTHZ:
        return -1;
    case R_METRICS:
        return CORRAL_ROLE_ADMIN;
    case R_OPENAPI:
        return CORRAL_ROLE_INGEST;
    case R_ALERTS:
        return strcmp(m, "POST") == 0 ? CORRAL_ROLE_INGEST : CORRAL_ROLE_READER;
    case R_INCIDENT:
        return strcmp(m, "PATCH") == 0 ? CORRAL_ROLE_RESPONDER : CORRAL_ROLE_READER;
    case R_SUPPRESSIONS:
        return strcmp(m, "POST") == 0 ? CORRAL_ROLE_RESPONDER : CORRAL_ROLE_READER;
    case R_SUPPRESSION:
        return CORRAL_ROLE_RESPONDER;
    default:
        return CORRAL_ROLE_READER;
    }
}

static int role_allows(enum corral_role have, int need, enum route rt, const char *m)
{
    if (have == CORRAL_ROLE_ADMIN) {
        return 1;
    }
    if (need == CORRAL_ROLE_INGEST) {
        /* Ingest tokens only post alerts (and read the API description). */
        return have == CORRAL_ROLE_INGEST || rt == R_OPENAPI;
    }
    if (have == CORRAL_ROLE_INGEST) {
        return 0;
    }
    return (int)have >= need;
}

/* ---- query strings ---- */

struct qcheck {
    const char *const *allowed;
    const char *bad;
};

static enum MHD_Result check_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    (void)value;
    struct qcheck *q = cls;
    for (const char *const *a = q->allowed; *a != NULL; a++) {
        if (strcmp(*a, key) == 0) {
            return MHD_YES;
        }
    }
    q->bad = key;
    return MHD_NO;
}

static const char *arg(struct MHD_Connection *c, const char *key)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    return v != NULL && *v != '\0' ? v : NULL;
}

static int arg_time(struct MHD_Connection *c, const char *key, corral_time *out, char *err,
                    size_t errlen)
{
    const char *v = arg(c, key);
    *out = CORRAL_TIME_NONE;
    if (v != NULL && corral_time_parse(v, strlen(v), out) != 0) {
        snprintf(err, errlen, "%s: not an ISO 8601 time (e.g. 2026-11-01T10:00:00Z)", key);
        return -1;
    }
    return 0;
}

static int arg_limit(struct MHD_Connection *c, unsigned *out, char *err, size_t errlen)
{
    const char *v = arg(c, "limit");
    *out = 100;
    if (v == NULL) {
        return 0;
    }
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n < 1 || n > 1000) {
        snprintf(err, errlen, "limit: a number from 1 to 1000");
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* ---- handlers ---- */

static struct corral_scopes scopes_of(const struct request *r)
{
    struct corral_scopes sc = {r->who.all_scopes, r->who.scopes_json};
    return sc;
}

static enum MHD_Result get_list(corral_server *s, struct MHD_Connection *c, struct request *r)
{
    static const char *const inc_keys[] = {"status", "kind", "severity", "scope", "entity", "from",
                                           "to", "sort", "cursor", "limit", NULL};
    static const char *const alert_keys[] = {"status", "type", "scope", "from", "to", "cursor",
                                             "limit", NULL};
    struct qcheck qc = {r->route == R_INCIDENTS ? inc_keys : alert_keys, NULL};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_key, &qc);
    char err[256];
    if (qc.bad != NULL) {
        snprintf(err, sizeof(err), "unknown query parameter '%.100s'", qc.bad);
        return send_error(s, c, r, MHD_HTTP_BAD_REQUEST, err);
    }
    struct corral_scopes sc = scopes_of(r);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    corral_err e;
    if (r->route == R_INCIDENTS) {
        struct corral_incident_query q = {
            .status = arg(c, "status"), .kind = arg(c, "kind"), .severity = arg(c, "severity"),
            .scope = arg(c, "scope"), .entity = arg(c, "entity"), .sort = arg(c, "sort"),
            .cursor = arg(c, "cursor")};
        if (arg_time(c, "from", &q.from, err, sizeof(err)) != 0 ||
            arg_time(c, "to", &q.to, err, sizeof(err)) != 0 ||
            arg_limit(c, &q.limit, err, sizeof(err)) != 0) {
            return send_error(s, c, r, MHD_HTTP_BAD_REQUEST, err);
        }
        int ri = reader_take(s);
        e = corral_store_list_incidents(s->readers[ri], &sc, &q, &out, err, sizeof(err));
        reader_give(s, ri);
    } else {
        struct corral_alert_query q = {.status = arg(c, "status"), .type = arg(c, "type"),
                                       .scope = arg(c, "scope"), .cursor = arg(c, "cursor")};
        if (arg_time(c, "from", &q.from, err, sizeof(err)) != 0 ||
            arg_time(c, "to", &q.to, err, sizeof(err)) != 0 ||
            arg_limit(c, &q.limit, err, sizeof(err)) != 0) {
            return send_error(s, c, r, MHD_HTTP_BAD_REQUEST, err);
        }
        int ri = reader_take(s);
        e = corral_store_list_alerts(s->readers[ri], &sc, &q, &out, err, sizeof(err));
        reader_give(s, ri);
    }
    if (e == CORRAL_ERR_BAD_VALUE) {
        corral_strbuf_release(&out);
        return send_error(s, c, r, MHD_HTTP_BAD_REQUEST, err);
    }
    if (e != CORRAL_OK) {
        corral_strbuf_release(&out);
        fprintf(stderr, "corral serve: %s\n", err);
        return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
    }
    return send_buf(s, c, r, MHD_HTTP_OK, &out, "application/json");
}

static enum MHD_Result get_one(corral_server *s, struct MHD_Connection *c, struct request *r)
{
    struct corral_scopes sc = scopes_of(r);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    int found = 0;
    int ri = reader_take(s);
    corral_err e = r->route == R_INCIDENT
                       ? corral_store_get_incident(s->readers[ri], &sc, r->id, &out, &found)
                       : corral_store_get_alert(s->readers[ri], &sc, r->id, &out, &found);
    reader_give(s, ri);
    if (e != CORRAL_OK) {
        corral_strbuf_release(&out);
        return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
    }
    if (!found) {
        corral_strbuf_release(&out);
        return send_error(s, c, r, MHD_HTTP_NOT_FOUND,
                          r->route == R_INCIDENT ? "no such incident" : "no such alert");
    }
    return send_buf(s, c, r, MHD_HTTP_OK, &out, "application/json");
}

/* Ingest: what one request's decoding and storing found. */
struct ingest {
    corral_server *s;
    struct request *r;
    uint64_t index; /* alerts and rejected records seen so far */
    uint64_t accepted, rejected;
    struct corral_strbuf errors;
    unsigned n_errors;
    corral_err err;
};

static void add_error(struct ingest *in, size_t line, const char *reason)
{
    in->rejected++;
    if (in->n_errors < MAX_ERRORS_LISTED) {
        int first = 1;
        corral_strbuf_puts(&in->errors, in->n_errors++ > 0 ? ",{" : "{");
        corral_strbuf_json_key(&in->errors, &first, "index");
        corral_strbuf_json_int(&in->errors, (int64_t)in->index);
        if (line > 0) {
            corral_strbuf_json_key(&in->errors, &first, "line");
            corral_strbuf_json_int(&in->errors, (int64_t)line);
        }
        corral_strbuf_json_key(&in->errors, &first, "reason");
        corral_strbuf_json_str(&in->errors, reason, strlen(reason));
        corral_strbuf_putc(&in->errors, '}');
    }
    in->index++;
}

/* ---- suppression rules ---- */

static void supps_free(corral_server *s)
{
    for (size_t i = 0; i < s->n_supps; i++) {
        struct supp *u = &s->supps[i];
        for (uint32_t k = 0; k < u->n; k++) {
            free(u->keys[k]);
        }
        free(u->keys);
        free(u->types);
        free(u->scope);
        free(u->alert_type);
    }
    free(s->supps);
    s->supps = NULL;
    s->n_supps = 0;
}

static int entity_type_parse(const char *name, size_t len, enum corral_entity_type *out)
{
    for (int t = 0; t < CORRAL_ENT_COUNT; t++) {
        const char *n = corral_entity_type_name((enum corral_entity_type)t);
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            *out = (enum corral_entity_type)t;
            return 0;
        }
    }
    return -1;
}

/*
 * The entity conditions at node idx of doc ([{"type","key"}...]) into u; also
 * written, normalized, as JSON into json when not NULL. NULL, or the reason.
 */
static const char *parse_conditions(const struct corral_json_doc *doc, uint32_t idx, struct supp *u,
                                    struct corral_strbuf *json)
{
    const struct corral_json_node *arr = &doc->nodes[idx];
    if (arr->type != CORRAL_JSON_ARRAY || arr->len > 16) {
        return "entities must be an array of at most 16 {\"type\", \"key\"} objects";
    }
    u->types = calloc(arr->len + 1, sizeof(*u->types));
    u->keys = calloc(arr->len + 1, sizeof(*u->keys));
    if (u->types == NULL || u->keys == NULL) {
        return "out of memory";
    }
    if (json != NULL) {
        corral_strbuf_putc(json, '[');
    }
    uint32_t e = idx + 1;
    for (uint32_t i = 0; i < arr->len; i++) {
        const struct corral_json_node *o = &doc->nodes[e];
        uint32_t t = corral_json_get(doc, e, "type"), k = corral_json_get(doc, e, "key");
        if (o->type != CORRAL_JSON_OBJECT || o->len != 2 || t == 0 || k == 0 ||
            doc->nodes[t].type != CORRAL_JSON_STRING || doc->nodes[k].type != CORRAL_JSON_STRING ||
            doc->nodes[k].len == 0 || doc->nodes[k].len > 2048 ||
            memchr(doc->nodes[k].v.s, '\0', doc->nodes[k].len) != NULL) {
            return "each entity is {\"type\": TYPE, \"key\": KEY} with a non-empty key";
        }
        if (entity_type_parse(doc->nodes[t].v.s, doc->nodes[t].len, &u->types[i]) != 0) {
            return "entity type must be one `corral alerts` prints (user, ip, resource, vm, ...)";
        }
        u->keys[i] = strndup(doc->nodes[k].v.s, doc->nodes[k].len);
        if (u->keys[i] == NULL) {
            return "out of memory";
        }
        u->n++;
        if (json != NULL) {
            int first = 1;
            corral_strbuf_puts(json, i > 0 ? ",{" : "{");
            corral_strbuf_json_key(json, &first, "type");
            const char *tn = corral_entity_type_name(u->types[i]);
            corral_strbuf_json_str(json, tn, strlen(tn));
            corral_strbuf_json_key(json, &first, "key");
            corral_strbuf_json_str(json, u->keys[i], strlen(u->keys[i]));
            corral_strbuf_putc(json, '}');
        }
        e = o->next;
    }
    if (json != NULL) {
        corral_strbuf_putc(json, ']');
    }
    return NULL;
}

static corral_err load_one(void *ctx, int64_t id, const char *scope, const char *alert_type,
                           const char *conditions, corral_time expires)
{
    void **c = ctx;
    corral_server *s = c[0];
    corral_json_parser *jp = c[1];
    struct supp *n = realloc(s->supps, (s->n_supps + 1) * sizeof(*n));
    if (n == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    s->supps = n;
    struct supp *u = &s->supps[s->n_supps++];
    memset(u, 0, sizeof(*u));
    u->id = id;
    u->expires = expires;
    u->scope = strdup(scope);
    u->alert_type = strdup(alert_type);
    struct corral_json_doc doc;
    struct corral_diag diag;
    if (u->scope == NULL || u->alert_type == NULL ||
        corral_json_parse(jp, conditions, strlen(conditions), 0, &doc, &diag) != CORRAL_OK ||
        parse_conditions(&doc, 0, u, NULL) != NULL) {
        return CORRAL_ERR_DATA;
    }
    return CORRAL_OK;
}

/* (Re)load the rules from the store; with write_lock held or before serving. */
static corral_err load_supps(corral_server *s)
{
    supps_free(s);
    corral_json_parser *jp = corral_json_parser_new(1 << 20, 8);
    if (jp == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    void *ctx[2] = {s, jp};
    corral_err err = corral_store_each_suppression(s->writer, load_one, ctx);
    corral_json_parser_free(jp);
    return err;
}

/* The id of the first live rule that suppresses alert, or 0. */
static int64_t suppressed_by(const corral_server *s, const struct corral_alert *a, corral_time now)
{
    for (size_t i = 0; i < s->n_supps; i++) {
        const struct supp *u = &s->supps[i];
        if ((u->expires != CORRAL_TIME_NONE && u->expires <= now) ||
            (strcmp(u->scope, "*") != 0 && strcmp(u->scope, a->scope) != 0) ||
            (strcmp(u->alert_type, "*") != 0 && strcmp(u->alert_type, a->alert_type) != 0)) {
            continue;
        }
        uint32_t k = 0;
        for (; k < u->n; k++) {
            uint32_t e = 0;
            while (e < a->n_entities && !(a->entities[e].type == u->types[k] &&
                                          strcmp(a->entities[e].key, u->keys[k]) == 0)) {
                e++;
            }
            if (e == a->n_entities) {
                break;
            }
        }
        if (k == u->n) {
            return u->id;
        }
    }
    return 0;
}

/* May this caller write alerts of scope? Scopes in tokens are [a-z0-9._-] only. */
static int scope_allowed(const struct corral_principal *who, const char *scope)
{
    if (who->all_scopes) {
        return 1;
    }
    size_t n = strlen(scope);
    if (n == 0 || n > 128) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = scope[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
              ch == '_')) {
            return 0;
        }
    }
    char quoted[134];
    snprintf(quoted, sizeof(quoted), "\"%s\"", scope);
    return strstr(who->scopes_json, quoted) != NULL;
}

static void on_alert(void *ctx, const struct corral_alert *alert, size_t line)
{
    struct ingest *in = ctx;
    if (in->err != CORRAL_OK) {
        return;
    }
    if (!scope_allowed(&in->r->who, alert->scope)) {
        add_error(in, line, "this token may not write alerts of that scope");
        return;
    }
    enum corral_put_result res;
    corral_time now = wall_ticks();
    int64_t supp = suppressed_by(in->s, alert, now);
    in->err = corral_store_put_alert(in->s->writer, alert, supp, now, &res);
    if (in->err != CORRAL_OK) {
        return;
    }
    if (res == CORRAL_PUT_CONFLICT) {
        add_error(in, line, "systemAlertId is already used by an alert of another scope");
        return;
    }
    if (supp != 0) {
        atomic_fetch_add(&in->s->alerts_suppressed, 1);
    } else if (res == CORRAL_PUT_NEW) {
        in->err = corral_engine_add(in->s->engine, alert);
    } else {
        atomic_fetch_add(&in->s->alerts_updated, 1);
    }
    in->accepted++;
    in->index++;
}

static void on_problem(void *ctx, const char *source, const struct corral_diag *diag, int rejected)
{
    (void)source;
    struct ingest *in = ctx;
    if (rejected) {
        add_error(in, diag->line, diag->msg[0] ? diag->msg : corral_strerror(diag->code));
    }
}

static void on_skipped(void *ctx, const char *what)
{
    (void)what;
    (void)ctx;
}

static enum MHD_Result post_alerts(corral_server *s, struct MHD_Connection *c, struct request *r)
{
    if (r->body.len == 0) {
        return send_error(s, c, r, MHD_HTTP_BAD_REQUEST,
                          "empty body: send alerts as JSON (NDJSON, an array, a REST list or one object)");
    }
    struct ingest in;
    memset(&in, 0, sizeof(in));
    in.s = s;
    in.r = r;
    corral_strbuf_init(&in.errors);
    struct corral_decode_sink sink = {
        .ctx = &in, .alert = on_alert, .problem = on_problem, .skipped = on_skipped};
    struct corral_ingest_stats st;
    memset(&st, 0, sizeof(st));
    char errbuf[256] = "";
    int rebuilt_fail = 0;
    pthread_mutex_lock(&s->write_lock);
    clear_pending(s);
    corral_err e = corral_store_begin(s->writer);
    if (e == CORRAL_OK) {
        e = corral_ingest_memory("request", r->body.data, r->body.len, &s->opts.reader_limits,
                                 s->decoder, &sink, &st);
        if (e == CORRAL_OK) {
            e = in.err != CORRAL_OK ? in.err : write_pending(s);
        }
        if (e == CORRAL_OK && corral_strbuf_status(&in.errors) != CORRAL_OK) {
            e = CORRAL_ERR_NOMEM;
        }
        if (e == CORRAL_OK) {
            e = corral_store_commit(s->writer);
        } else {
            corral_store_rollback(s->writer);
        }
        if (e != CORRAL_OK) {
            /* The engine saw alerts the store does not have: rebuild it from the store. */
            snprintf(errbuf, sizeof(errbuf), "%s", corral_store_errmsg(s->writer));
            char rb[256];
            if (rebuild_engine(s, rb, sizeof(rb)) != CORRAL_OK) {
                rebuilt_fail = 1;
                fprintf(stderr, "corral serve: %s\n", rb);
            }
        }
    } else {
        snprintf(errbuf, sizeof(errbuf), "%s", corral_store_errmsg(s->writer));
    }
    clear_pending(s);
    pthread_mutex_unlock(&s->write_lock);
    if (e != CORRAL_OK) {
        corral_strbuf_release(&in.errors);
        fprintf(stderr, "corral serve: ingest failed, nothing of the request kept: %s: %s%s\n",
                corral_strerror(e), errbuf, rebuilt_fail ? " (engine not rebuilt)" : "");
        return send_error(s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "the alerts could not be stored; nothing of this request was kept; retry");
    }
    atomic_fetch_add(&s->alerts_in, in.accepted);
    atomic_fetch_add(&s->alerts_rejected, in.rejected);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    corral_strbuf_printf(&out, "{\"accepted\":%llu,\"rejected\":%llu,\"errors\":[",
                         (unsigned long long)in.accepted, (unsigned long long)in.rejected);
    if (in.errors.len > 0) {
        corral_strbuf_append(&out, in.errors.data, in.errors.len);
    }
    corral_strbuf_puts(&out, "]}");
    corral_strbuf_release(&in.errors);
    /* Nothing usable at all (not JSON, no alert in it): the request itself is bad. */
    unsigned code = in.accepted == 0 && in.rejected > 0 ? MHD_HTTP_BAD_REQUEST
                    : in.accepted == 0                  ? MHD_HTTP_UNPROCESSABLE_CONTENT
                                                        : MHD_HTTP_OK;
    return send_buf(s, c, r, code, &out, "application/json");
}

/* A JSON string node as a NUL-terminated copy of at most max bytes; -1 if too long or has NUL. */
static int node_str(const struct corral_json_node *n, char *out, size_t max)
{
    if (n->type != CORRAL_JSON_STRING || n->len >= max || memchr(n->v.s, '\0', n->len) != NULL) {
        return -1;
    }
    memcpy(out, n->v.s, n->len);
    out[n->len] = '\0';
    return 0;
}

static enum MHD_Result patch_incident(corral_server *s, struct MHD_Connection *c,
                                      struct request *r)
{
    corral_json_parser *jp = corral_json_parser_new(r->body.len + 65536, 8);
    if (jp == NULL) {
        return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    struct corral_json_doc doc;
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    char err[512];
    static char empty[] = "";
    enum MHD_Result ret;
    if (corral_json_parse(jp, r->body.len ? r->body.data : empty, r->body.len, 0, &doc, &diag) !=
        CORRAL_OK) {
        snprintf(err, sizeof(err), "the body is not valid JSON (line %zu, column %zu): %s",
                 diag.line, diag.col, diag.msg);
        ret = send_error(s, c, r, MHD_HTTP_BAD_REQUEST, err);
        goto out;
    }
    if (doc.nodes[0].type != CORRAL_JSON_OBJECT) {
        ret = send_error(s, c, r, MHD_HTTP_BAD_REQUEST, "the body must be a JSON object");
        goto out;
    }
    struct corral_incident_patch p = {.status = -1, .actor = r->who.id};
    char *as = calloc(1, 257), *cm = calloc(1, 8193);
    if (as == NULL || cm == NULL) {
        free(as);
        free(cm);
        ret = send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        goto out;
    }
    const char *bad = NULL;
    int changes = 0;
    for (uint32_t k = 1; k < doc.nodes[0].next && bad == NULL;) {
        const struct corral_json_node *key = &doc.nodes[k];
        const struct corral_json_node *val = &doc.nodes[k + 1];
        if (corral_json_key_is(key, "status") && key->len == 6) {
            char st[32];
            if (node_str(val, st, sizeof(st)) != 0 ||
                (strcmp(st, "Active") != 0 && strcmp(st, "InProgress") != 0 &&
                 strcmp(st, "Resolved") != 0 && strcmp(st, "Dismissed") != 0)) {
                bad = "status must be Active, InProgress, Resolved or Dismissed";
            } else {
                enum corral_status es;
                corral_status_parse(st, strlen(st), &es);
                p.status = (int)es;
                changes++;
            }
        } else if (corral_json_key_is(key, "assignee") && key->len == 8) {
            if (val->type == CORRAL_JSON_NULL) {
                p.assignee = "";
            } else if (node_str(val, as, 257) != 0) {
                bad = "assignee must be a string of at most 256 bytes, or null";
            } else {
                p.assignee = as;
            }
            changes++;
        } else if (corral_json_key_is(key, "comment") && key->len == 7) {
            if (node_str(val, cm, 8193) != 0 || val->len == 0) {
                bad = "comment must be a non-empty string of at most 8192 bytes";
            } else {
                p.comment = cm;
                changes++;
            }
        } else if (corral_json_key_is(key, "dismissalerts") && key->len == 13) {
            if (val->type != CORRAL_JSON_TRUE && val->type != CORRAL_JSON_FALSE) {
                bad = "dismissAlerts must be true or false";
            } else {
                p.dismiss_alerts = val->type == CORRAL_JSON_TRUE;
            }
        } else {
            bad = "unknown field: the fields are status, assignee, comment and dismissAlerts";
        }
        k = val->next;
    }
    if (bad == NULL && changes == 0) {
        bad = "nothing to change: give status, assignee or comment";
    }
    if (bad == NULL && p.dismiss_alerts && p.status != CORRAL_STATUS_DISMISSED) {
        bad = "dismissAlerts goes with status Dismissed";
    }
    if (bad != NULL) {
        ret = send_error(s, c, r, MHD_HTTP_BAD_REQUEST, bad);
    } else {
        struct corral_scopes sc = scopes_of(r);
        int found = 0;
        pthread_mutex_lock(&s->write_lock);
        corral_err e = corral_store_patch_incident(s->writer, &sc, r->id, &p, wall_ticks(), &found);
        pthread_mutex_unlock(&s->write_lock);
        if (e != CORRAL_OK) {
            ret = send_error(s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "the change could not be stored");
        } else if (!found) {
            ret = send_error(s, c, r, MHD_HTTP_NOT_FOUND, "no such incident");
        } else {
            ret = get_one(s, c, r);
        }
    }
    free(as);
    free(cm);
out:
    corral_json_parser_free(jp);
    return ret;
}

static enum MHD_Result suppressions(corral_server *s, struct MHD_Connection *c, struct request *r,
                                    const char *method)
{
    struct corral_scopes sc = scopes_of(r);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    if (r->route == R_SUPPRESSIONS && strcmp(method, "POST") != 0) {
        int ri = reader_take(s);
        corral_err e = corral_store_list_suppressions(s->readers[ri], &sc, &out);
        reader_give(s, ri);
        if (e != CORRAL_OK) {
            corral_strbuf_release(&out);
            return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
        }
        return send_buf(s, c, r, MHD_HTTP_OK, &out, "application/json");
    }
    if (r->route == R_SUPPRESSION) {
        char *end = NULL;
        long long id = strtoll(r->id, &end, 10);
        int found = 0;
        corral_err e = CORRAL_OK;
        if (*end == '\0' && id > 0) {
            pthread_mutex_lock(&s->write_lock);
            e = corral_store_delete_suppression(s->writer, &sc, id, &found);
            if (e == CORRAL_OK && found) {
                e = load_supps(s);
            }
            pthread_mutex_unlock(&s->write_lock);
        }
        if (e != CORRAL_OK) {
            return send_error(s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "the store failed");
        }
        if (!found) {
            return send_error(s, c, r, MHD_HTTP_NOT_FOUND, "no such suppression rule");
        }
        corral_strbuf_puts(&out, "{\"deleted\":");
        corral_strbuf_json_int(&out, id);
        corral_strbuf_putc(&out, '}');
        return send_buf(s, c, r, MHD_HTTP_OK, &out, "application/json");
    }
    /* POST: {"scope", "alertType", "entities", "reason", "expires"}. */
    corral_json_parser *jp = corral_json_parser_new(r->body.len + 65536, 8);
    if (jp == NULL) {
        return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    struct corral_json_doc doc;
    struct corral_diag diag;
    memset(&diag, 0, sizeof(diag));
    static const char empty[] = "";
    const char *bad = NULL;
    struct supp u;
    memset(&u, 0, sizeof(u));
    char scope[130] = "", type[257] = "", reason[1025] = "";
    corral_time expires = CORRAL_TIME_NONE;
    struct corral_strbuf cond;
    corral_strbuf_init(&cond);
    if (corral_json_parse(jp, r->body.len ? r->body.data : empty, r->body.len, 0, &doc, &diag) !=
        CORRAL_OK) {
        bad = "the body is not valid JSON";
    } else if (doc.nodes[0].type != CORRAL_JSON_OBJECT) {
        bad = "the body must be a JSON object";
    } else {
        uint32_t n_scope = corral_json_get(&doc, 0, "scope"), n_type = corral_json_get(&doc, 0, "alerttype"),
                 n_ent = corral_json_get(&doc, 0, "entities"), n_reason = corral_json_get(&doc, 0, "reason"),
                 n_exp = corral_json_get(&doc, 0, "expires");
        unsigned known = (n_scope != 0) + (n_type != 0) + (n_ent != 0) + (n_reason != 0) + (n_exp != 0);
        if (known != doc.nodes[0].len) {
            bad = "unknown field: the fields are scope, alertType, entities, reason and expires";
        } else if (n_scope == 0 || node_str(&doc.nodes[n_scope], scope, sizeof(scope)) != 0 || !scope[0]) {
            bad = "scope: the tenant or subscription the rule applies to ('*' for all)";
        } else if (strcmp(scope, "*") == 0 ? !r->who.all_scopes : !scope_allowed(&r->who, scope)) {
            bad = "scope: this token may only make rules for its own scopes";
        } else if (n_type == 0 || node_str(&doc.nodes[n_type], type, sizeof(type)) != 0 || !type[0]) {
            bad = "alertType: an alert type, or '*' for any";
        } else if (n_reason == 0 || node_str(&doc.nodes[n_reason], reason, sizeof(reason)) != 0 ||
                   !reason[0]) {
            bad = "reason: a non-empty string of at most 1024 bytes";
        } else if (n_exp != 0 && doc.nodes[n_exp].type != CORRAL_JSON_NULL &&
                   (doc.nodes[n_exp].type != CORRAL_JSON_STRING ||
                    corral_time_parse(doc.nodes[n_exp].v.s, doc.nodes[n_exp].len, &expires) != 0)) {
            bad = "expires: an ISO 8601 time, or null for never";
        } else if (n_ent != 0) {
            bad = parse_conditions(&doc, n_ent, &u, &cond);
        } else {
            corral_strbuf_puts(&cond, "[]");
        }
        if (bad == NULL && strcmp(type, "*") == 0 && u.n == 0) {
            bad = "a rule for any alert type needs at least one entity condition";
        }
    }
    enum MHD_Result ret;
    if (bad != NULL) {
        ret = send_error(s, c, r, MHD_HTTP_BAD_REQUEST, bad);
    } else {
        int64_t id = 0;
        pthread_mutex_lock(&s->write_lock);
        corral_err e = corral_store_add_suppression(s->writer, scope, type, cond.data, reason,
                                                    expires, wall_ticks(), &id);
        if (e == CORRAL_OK) {
            e = load_supps(s);
        }
        pthread_mutex_unlock(&s->write_lock);
        if (e != CORRAL_OK) {
            ret = send_error(s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "the rule could not be stored");
        } else {
            corral_strbuf_puts(&out, "{\"id\":");
            corral_strbuf_json_int(&out, id);
            corral_strbuf_putc(&out, '}');
            ret = send_buf(s, c, r, MHD_HTTP_CREATED, &out, "application/json");
        }
    }
    for (uint32_t k = 0; k < u.n; k++) {
        free(u.keys[k]);
    }
    free(u.keys);
    free(u.types);
    corral_strbuf_release(&cond);
    corral_strbuf_release(&out);
    corral_json_parser_free(jp);
    return ret;
}

static enum MHD_Result metrics(corral_server *s, struct MHD_Connection *c, struct request *r)
{
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    corral_strbuf_printf(&out,
                         "# HELP corral_alerts_in_total Alerts accepted through the API.\n"
                         "# TYPE corral_alerts_in_total counter\ncorral_alerts_in_total %llu\n"
                         "# HELP corral_alerts_rejected_total Records rejected.\n"
                         "# TYPE corral_alerts_rejected_total counter\ncorral_alerts_rejected_total %llu\n"
                         "# HELP corral_alerts_updated_total Alerts sent again (status updated).\n"
                         "# TYPE corral_alerts_updated_total counter\ncorral_alerts_updated_total %llu\n"
                         "# HELP corral_alerts_suppressed_total Alerts dismissed by a suppression rule.\n"
                         "# TYPE corral_alerts_suppressed_total counter\ncorral_alerts_suppressed_total %llu\n"
                         "# HELP corral_http_requests_total Requests answered.\n"
                         "# TYPE corral_http_requests_total counter\ncorral_http_requests_total %llu\n"
                         "# HELP corral_http_errors_total Requests answered with an error.\n"
                         "# TYPE corral_http_errors_total counter\n"
                         "corral_http_errors_total{class=\"4xx\"} %llu\n"
                         "corral_http_errors_total{class=\"5xx\"} %llu\n",
                         (unsigned long long)atomic_load(&s->alerts_in),
                         (unsigned long long)atomic_load(&s->alerts_rejected),
                         (unsigned long long)atomic_load(&s->alerts_updated),
                         (unsigned long long)atomic_load(&s->alerts_suppressed),
                         (unsigned long long)atomic_load(&s->requests),
                         (unsigned long long)atomic_load(&s->errors_4xx),
                         (unsigned long long)atomic_load(&s->errors_5xx));
    corral_strbuf_puts(&out, "# HELP corral_http_request_duration_seconds Request latency.\n"
                             "# TYPE corral_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int b = 0; b <= N_BUCKETS; b++) {
        cum += atomic_load(&s->lat_buckets[b]);
        if (b < N_BUCKETS) {
            corral_strbuf_printf(&out, "corral_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                                 bucket_le[b], cum);
        } else {
            corral_strbuf_printf(&out, "corral_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                                       "corral_http_request_duration_seconds_sum %.6f\n"
                                       "corral_http_request_duration_seconds_count %llu\n",
                                 cum, (double)atomic_load(&s->lat_sum_us) / 1e6, cum);
        }
    }
    int ri = reader_take(s);
    corral_err e = corral_store_metrics(s->readers[ri], &out);
    reader_give(s, ri);
    if (e != CORRAL_OK) {
        corral_strbuf_release(&out);
        return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
    }
    return send_buf(s, c, r, MHD_HTTP_OK, &out, "text/plain; version=0.0.4");
}

/* ---- the access handler ---- */

static enum MHD_Result authenticate(corral_server *s, struct MHD_Connection *c, struct request *r,
                                    const char *method)
{
    int need = role_needed(r->route, method);
    if (need < 0) {
        return MHD_YES;
    }
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        send_error(s, c, r, MHD_HTTP_UNAUTHORIZED, "an Authorization: Bearer TOKEN header is required");
        return MHD_NO;
    }
    int ok = 0;
    int ri = reader_take(s);
    corral_err e = corral_token_check(s->readers[ri], h + 7, strlen(h + 7), &ok, &r->who);
    reader_give(s, ri);
    if (e != CORRAL_OK) {
        send_error(s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot check the token now");
        return MHD_NO;
    }
    if (!ok) {
        send_error(s, c, r, MHD_HTTP_UNAUTHORIZED, "the token is not valid (unknown or revoked)");
        return MHD_NO;
    }
    /* Metrics count every scope's alerts and incidents: for all-scope admins only. */
    if (!role_allows(r->who.role, need, r->route, method) ||
        (r->route == R_METRICS && !r->who.all_scopes)) {
        send_error(s, c, r, MHD_HTTP_FORBIDDEN, "this token's role may not do that");
        return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    corral_server *s = cls;
    struct request *r = *con_cls;
    if (r == NULL) {
        /* First call: headers are in. Route, authenticate and check the size now. */
        r = calloc(1, sizeof(*r));
        if (r == NULL) {
            return MHD_NO;
        }
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        corral_strbuf_init(&r->body);
        *con_cls = r;
        r->route = route_of(url, r);
        if (r->route == R_NONE) {
            send_error(s, c, r, MHD_HTTP_NOT_FOUND, "no such route (see /api/v1/openapi.json)");
            r->route = R_NONE;
            r->too_large = -1; /* answered */
            return MHD_YES;
        }
        if (!method_ok(r->route, method)) {
            send_error(s, c, r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed on this route");
            r->too_large = -1;
            return MHD_YES;
        }
        if (authenticate(s, c, r, method) != MHD_YES) {
            r->too_large = -1;
            return MHD_YES;
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > s->opts.max_body) {
            char msg[128];
            snprintf(msg, sizeof(msg), "the body is larger than the limit of %zu bytes",
                     s->opts.max_body);
            send_error(s, c, r, MHD_HTTP_CONTENT_TOO_LARGE, msg);
            r->too_large = -1;
            return MHD_YES;
        }
        return MHD_YES;
    }
    if (r->too_large < 0) {
        *upload_data_size = 0; /* already answered: drop what still comes */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (r->too_large || r->body.len + *upload_data_size > s->opts.max_body) {
            r->too_large = 1;
            corral_strbuf_release(&r->body);
            corral_strbuf_init(&r->body);
        } else {
            corral_strbuf_append(&r->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the body is larger than the limit of %zu bytes",
                 s->opts.max_body);
        return send_error(s, c, r, MHD_HTTP_CONTENT_TOO_LARGE, msg);
    }
    if (corral_strbuf_status(&r->body) != CORRAL_OK) {
        return send_error(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    switch (r->route) {
    case R_HEALTHZ: {
        struct corral_strbuf b;
        corral_strbuf_init(&b);
        corral_strbuf_puts(&b, "{\"status\":\"ok\"}");
        return send_buf(s, c, r, MHD_HTTP_OK, &b, "application/json");
    }
    case R_OPENAPI: {
        struct corral_strbuf b;
        corral_strbuf_init(&b);
        corral_strbuf_append(&b, corral_openapi_json, corral_openapi_json_len);
        return send_buf(s, c, r, MHD_HTTP_OK, &b, "application/json");
    }
    case R_METRICS:
        return metrics(s, c, r);
    case R_ALERTS:
        return is_get ? get_list(s, c, r) : post_alerts(s, c, r);
    case R_INCIDENTS:
        return get_list(s, c, r);
    case R_ALERT:
        return get_one(s, c, r);
    case R_INCIDENT:
        return is_get ? get_one(s, c, r) : patch_incident(s, c, r);
    case R_SUPPRESSIONS:
    case R_SUPPRESSION:
        return suppressions(s, c, r, method);
    default:
        return send_error(s, c, r, MHD_HTTP_NOT_FOUND, "no such route");
    }
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct request *r = *con_cls;
    if (r != NULL) {
        corral_strbuf_release(&r->body);
        free(r);
        *con_cls = NULL;
    }
}

__attribute__((format(printf, 2, 0))) static void log_mhd(void *cls, const char *fmt,
                                                         va_list ap)
{
    corral_server *s = cls;
    if (!s->opts.quiet) {
        fputs("corral serve: ", stderr);
        vfprintf(stderr, fmt, ap);
    }
}

/* ---- checkpoints ---- */

/*
 * The writer never checkpoints (wal_autocheckpoint = 0), so that a commit
 * costs one fsync of the WAL and nothing more; this thread copies committed
 * pages into the database file every second, and truncates the WAL when it
 * grows past 256 MiB and no reader holds it.
 */
static void *checkpointer(void *arg)
{
    corral_server *s = arg;
    pthread_mutex_lock(&s->pool_lock);
    while (!s->ckpt_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->ckpt_cond, &s->pool_lock, &until);
        if (s->ckpt_stop) {
            break;
        }
        pthread_mutex_unlock(&s->pool_lock);
        corral_store_checkpoint(s->ckpt_store, &s->write_lock);
        pthread_mutex_lock(&s->pool_lock);
    }
    pthread_mutex_unlock(&s->pool_lock);
    return NULL;
}

/* ---- start / stop ---- */

corral_err corral_server_start(const struct corral_server_opts *opts, corral_server **out,
                               char *errbuf, size_t errlen)
{
    *out = NULL;
    if ((opts->tls_cert_pem == NULL) != (opts->tls_key_pem == NULL)) {
        snprintf(errbuf, errlen, "TLS needs both a certificate and a key");
        return CORRAL_ERR_USAGE;
    }
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
    memset(&addr, 0, sizeof(addr));
    int v6 = 0;
    if (inet_pton(AF_INET, opts->host, &addr.v4.sin_addr) == 1) {
        addr.v4.sin_family = AF_INET;
        addr.v4.sin_port = htons((uint16_t)opts->port);
    } else if (inet_pton(AF_INET6, opts->host, &addr.v6.sin6_addr) == 1) {
        addr.v6.sin6_family = AF_INET6;
        addr.v6.sin6_port = htons((uint16_t)opts->port);
        v6 = 1;
    } else {
        snprintf(errbuf, errlen, "'%s' is not a numeric IPv4 or IPv6 address", opts->host);
        return CORRAL_ERR_USAGE;
    }
    corral_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return CORRAL_ERR_NOMEM;
    }
    s->opts = *opts;
    if (s->opts.readers == 0 || s->opts.readers > MAX_READERS) {
        s->opts.readers = 8;
    }
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_cond, NULL);
    pthread_cond_init(&s->ckpt_cond, NULL);
    corral_err err = corral_store_open(opts->db_path, &s->writer, errbuf, errlen);
    if (err != CORRAL_OK) {
        goto fail;
    }
    for (unsigned i = 0; i < s->opts.readers; i++) {
        err = corral_store_open(opts->db_path, &s->readers[i], errbuf, errlen);
        if (err != CORRAL_OK) {
            goto fail;
        }
        s->free_readers[s->n_free++] = (int)i;
        s->n_readers++;
    }
    s->decoder = corral_decoder_new(opts->catalog, &opts->decoder_limits);
    s->pending_ids = corral_map_new();
    if (s->decoder == NULL || s->pending_ids == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        err = CORRAL_ERR_NOMEM;
        goto fail;
    }
    err = rebuild_engine(s, errbuf, errlen);
    if (err == CORRAL_OK && (err = load_supps(s)) != CORRAL_OK) {
        snprintf(errbuf, errlen, "cannot load the suppression rules: %s", corral_strerror(err));
    }
    if (err != CORRAL_OK) {
        goto fail;
    }
    corral_store_set_autocheckpoint(s->writer, 0);
    err = corral_store_open(opts->db_path, &s->ckpt_store, errbuf, errlen);
    if (err != CORRAL_OK) {
        goto fail;
    }
    if (pthread_create(&s->ckpt_thread, NULL, checkpointer, s) != 0) {
        snprintf(errbuf, errlen, "cannot start the checkpoint thread");
        err = CORRAL_ERR_NOMEM;
        goto fail;
    }
    s->ckpt_started = 1;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) |
                     (opts->tls_cert_pem != NULL ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opts->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opts->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (opts->tls_cert_pem == NULL) {
        tls[0].option = MHD_OPTION_END;
    }
    /* The read buffer holds the request line and headers: its size bounds them. */
    size_t memory = s->opts.max_header < 4096 ? 4096 : s->opts.max_header;
    errno = 0;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, s,
        MHD_OPTION_SOCK_ADDR, &addr.sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->opts.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->opts.timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (s->daemon == NULL) {
        if (opts->tls_cert_pem != NULL) {
            snprintf(errbuf, errlen, "cannot serve HTTPS on %s port %u: the port is taken, or the "
                     "TLS certificate or key was refused (see above)", opts->host, opts->port);
        } else {
            snprintf(errbuf, errlen, "cannot listen on %s port %u: %s", opts->host, opts->port,
                     errno ? strerror(errno) : "libmicrohttpd refused the options");
        }
        err = CORRAL_ERR_IO;
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : opts->port;
    *out = s;
    return CORRAL_OK;
fail:
    corral_server_stop(s);
    return err;
}

unsigned corral_server_port(const corral_server *s)
{
    return s->port;
}

void corral_server_stop(corral_server *s)
{
    if (s == NULL) {
        return;
    }
    if (s->daemon != NULL) {
        MHD_stop_daemon(s->daemon);
    }
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->pool_lock);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->ckpt_cond);
        pthread_mutex_unlock(&s->pool_lock);
        pthread_join(s->ckpt_thread, NULL);
    }
    corral_store_free(s->ckpt_store);
    corral_engine_free(s->engine);
    corral_decoder_free(s->decoder);
    for (size_t i = 0; i < s->cap_pending; i++) {
        corral_strbuf_release(&s->pending[i].buf);
        free(s->pending[i].o_members);
        free(s->pending[i].roles);
        free(s->pending[i].entities);
    }
    free(s->pending);
    supps_free(s);
    corral_map_free(s->pending_ids);
    for (unsigned i = 0; i < s->n_readers; i++) {
        corral_store_free(s->readers[i]);
    }
    corral_store_free(s->writer);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cond);
    pthread_cond_destroy(&s->ckpt_cond);
    free(s);
}
