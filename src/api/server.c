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
 * the engine side under engine_lock, the writer connection under
 * store_lock, the reader and decoder pools under their own locks, and
 * counters updated atomically. Lock order: store_lock before engine_lock.
 *
 * Ingest (post_alerts) runs in stages that overlap: decoding, on an ingest
 * thread with no lock held; the engine stage, under engine_lock, which takes
 * the request's alerts chunk by chunk, decides each alert's fate (new,
 * re-sent, conflicting), feeds the new ones to the engine, keeps the last
 * version of every incident the chunk changed and writes their documents,
 * then hands the chunk over; and the store stage, on the one store thread,
 * which writes each chunk as soon as it is handed over, all the chunks of a
 * request in one transaction, requests in the order the engine took them.
 * So the store writes a request's first chunk while the engine works on its
 * second, and the next request's engine stage runs while this one commits.
 * A request is answered only after its transaction is committed; when one
 * fails, the engine is rebuilt from the store and the requests that went
 * through the engine after it fail too (503: nothing of them is kept).
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
#include <sys/resource.h>
#include <unistd.h>

#include "api/openapi_doc.h"
#include "engine/engine.h"
#include "ingest/json.h"
#include "ingest/pipeline.h"
#include "store/store.h"
#include "store/token.h"
#include "model/incident_json.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/time.h"

#define MAX_READERS 32
#define MAX_ERRORS_LISTED 1000
#define N_BUCKETS 12

static const double bucket_le[N_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

#define MAX_DECODERS 4
#define INGEST_THREADS 3

struct corral_server {
    struct corral_server_opts opts;
    struct MHD_Daemon *daemon;
    unsigned port;
    /*
     * The engine side, under engine_lock: the engine; the request it works
     * for (NULL while replaying: those incidents are stored already); a
     * read-only connection that says whether an alert is stored; the alerts
     * of requests that went through the engine but are not committed yet;
     * the suppression rules.
     */
    pthread_mutex_t engine_lock;
    corral_engine *engine;
    struct corral_incident_sink sink; /* borrowed by the engine */
    struct batch *cur;
    corral_store *probe;
    corral_map *inflight; /* systemAlertId -> struct balert * */
    unsigned epoch;       /* +1 at each rebuild: requests of an older engine fail */
    struct supp *supps;
    size_t n_supps;
    corral_time window; /* the longest session gap of any rule (for the replay bound) */
    /* The store side, under store_lock: the writer connection. */
    pthread_mutex_t store_lock;
    corral_store *writer;
    /*
     * The store thread and its queue, under pipe_lock: requests in the order the
     * engine took them; pipe_cond says a request was queued, a chunk handed
     * over, or a request committed.
     */
    pthread_t store_thread;
    int store_started, store_stop;
    pthread_mutex_t pipe_lock;
    pthread_cond_t pipe_cond;
    struct batch *queue, *queue_tail;
    /* Decoders (each keeps caches): one per request being decoded. */
    pthread_mutex_t dec_lock;
    pthread_cond_t dec_cond;
    corral_decoder *decoders[MAX_DECODERS];
    unsigned n_dec, n_dec_free;
    corral_decoder *dec_free[MAX_DECODERS];
    /* Ingest threads and the requests waiting for them (post_alerts). */
    pthread_t ingest_threads[INGEST_THREADS];
    unsigned n_ingest_threads;
    pthread_mutex_t job_lock;
    pthread_cond_t job_cond;
    struct job *jobs, *jobs_tail;
    int jobs_stop;
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
    atomic_ullong alerts_in, alerts_rejected, alerts_suppressed, alerts_updated, requests,
        errors_4xx, errors_5xx;
    atomic_ullong lat_buckets[N_BUCKETS + 1];
    atomic_ullong lat_sum_us;
};

/* One alert of a request, copied out of the decoder into the request's arena. */
struct balert {
    struct corral_alert a;
    uint64_t index; /* its position among the request's records (errors name it) */
    size_t line;
    enum corral_put_result fate;
    int64_t suppressed; /* the suppression rule that holds it, or 0 */
};

/* A record or alert the request is told about. */
struct berror {
    uint64_t index;
    size_t line;
    const char *reason;
};

/* What the engine last reported, in this request, about one incident. */
struct pend {
    const char *id;
    size_t chunk; /* the chunk it was last changed in */
    struct corral_incident *inc; /* a copy in the arena; NULL: retracted */
    int final;
    int high_if_any_high;
    const char *json; /* its document, made before the store stage (render_docs) */
    size_t json_len;
};

/* Alerts [a0, a1) of a batch and the incidents they changed, for one store step. */
struct chunk {
    size_t a0, a1;
    struct pend **pend;
    size_t n_pend;
};

/* A posted request handed to an ingest thread; the connection thread waits for done. */
struct job {
    struct request *r;
    struct batch *b;
    corral_err err;
    char errbuf[256];
    int done;
    pthread_cond_t cond;
    struct job *next;
};

/* One POST /api/v1/alerts on its way through the stages. */
struct batch {
    corral_arena *arena;
    struct balert *alerts;
    size_t n_alerts, cap_alerts;
    struct berror *errs;
    size_t n_errs, cap_errs;
    uint64_t index; /* records seen so far */
    /* The incidents the current chunk changed (pend_ids: id -> struct pend *). */
    struct pend **pend;
    size_t n_pend, cap_pend;
    corral_map *pend_ids;
    /* Chunks handed to the store thread, under pipe_lock. */
    struct chunk *chunks;
    size_t n_chunks, cap_chunks;
    int queued;      /* on the store thread's queue */
    int engine_done; /* every chunk handed over (or engine_err) */
    corral_err engine_err;
    int done;        /* the store thread is through with it: result */
    corral_err result;
    char errbuf[256];
    struct batch *next;
    unsigned epoch;
    uint64_t accepted, suppressed, updated;
    corral_err err;
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
    o->read_nice = 19;
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

/* ---- decoders ---- */

static corral_decoder *decoder_take(corral_server *s)
{
    pthread_mutex_lock(&s->dec_lock);
    while (s->n_dec_free == 0 && s->n_dec == MAX_DECODERS) {
        pthread_cond_wait(&s->dec_cond, &s->dec_lock);
    }
    corral_decoder *d = NULL;
    if (s->n_dec_free > 0) {
        d = s->dec_free[--s->n_dec_free];
    } else if ((d = corral_decoder_new(s->opts.catalog, &s->opts.decoder_limits)) != NULL) {
        s->decoders[s->n_dec++] = d;
    }
    pthread_mutex_unlock(&s->dec_lock);
    return d;
}

static void decoder_give(corral_server *s, corral_decoder *d)
{
    pthread_mutex_lock(&s->dec_lock);
    s->dec_free[s->n_dec_free++] = d;
    pthread_cond_signal(&s->dec_cond);
    pthread_mutex_unlock(&s->dec_lock);
}

/* ---- requests in flight ---- */

static corral_err batch_init(struct batch *b)
{
    memset(b, 0, sizeof(*b));
    b->arena = corral_arena_new();
    b->pend_ids = corral_map_new();
    return b->arena != NULL && b->pend_ids != NULL ? CORRAL_OK : CORRAL_ERR_NOMEM;
}

static void batch_release(struct batch *b)
{
    corral_arena_free(b->arena);
    corral_map_free(b->pend_ids);
    free(b->alerts);
    free(b->errs);
    free(b->pend);
    free(b->chunks);
}

static const char *adup(corral_arena *ar, const char *text)
{
    return text != NULL ? corral_arena_strndup(ar, text, strlen(text)) : NULL;
}

/*
 * Array p (capacity *cap, elements of size bytes) with room for element n:
 * moved or not. When out of memory, p as it was, and *failed set.
 */
static void *grow(void *p, size_t *cap, size_t n, size_t size, int *failed)
{
    if (n < *cap) {
        return p;
    }
    size_t ncap = *cap ? *cap * 2 : 64;
    void *np = realloc(p, ncap * size);
    if (np == NULL) {
        *failed = 1;
        return p;
    }
    *cap = ncap;
    return np;
}

/* Note a problem with record index (line, when known); the reason is copied. */
static void batch_error_at(struct batch *b, uint64_t index, size_t line, const char *reason)
{
    const char *r = adup(b->arena, reason);
    int failed = 0;
    b->errs = grow(b->errs, &b->cap_errs, b->n_errs, sizeof(*b->errs), &failed);
    if (r == NULL || failed) {
        b->err = CORRAL_ERR_NOMEM;
        return;
    }
    b->errs[b->n_errs++] = (struct berror){index, line, r};
}

/*
 * A copy of inc in the arena, as the store needs it (store.h,
 * corral_incident_change): strings the engine owns are copied, the rule
 * set's are borrowed (it outlives the server); member alerts keep their id,
 * start, plan, tactics and severity. NULL when out of memory.
 */
static struct corral_incident *copy_incident(corral_arena *ar, const struct corral_incident *inc)
{
    uint32_t n = inc->n_members, m = inc->n_entities;
    struct corral_incident *c = corral_arena_alloc(ar, sizeof(*c));
    struct corral_link *links = corral_arena_alloc(ar, (n ? n : 1) * sizeof(*links));
    struct corral_alert *alerts = corral_arena_alloc(ar, (n ? n : 1) * sizeof(*alerts));
    struct corral_entity *ents = corral_arena_alloc(ar, (m ? m : 1) * sizeof(*ents));
    if (c == NULL || links == NULL || alerts == NULL || ents == NULL) {
        return NULL;
    }
    *c = *inc;
    c->scope = adup(ar, inc->scope);
    c->entity_key = adup(ar, inc->entity_key);
    c->rule_text = adup(ar, inc->rule_text);
    int ok = c->scope != NULL && c->entity_key != NULL;
    for (uint32_t i = 0; i < n && ok; i++) {
        const struct corral_link *l = &inc->links[i];
        const struct corral_alert *a = l->alert;
        memset(&alerts[i], 0, sizeof(alerts[i]));
        alerts[i].id = adup(ar, a->id);
        alerts[i].scope = c->scope;
        alerts[i].start = a->start;
        alerts[i].plan = a->plan;
        alerts[i].tactics = a->tactics;
        alerts[i].severity = a->severity;
        links[i] = *l;
        links[i].alert = &alerts[i];
        links[i].via_key = adup(ar, l->via_key);
        links[i].following = adup(ar, l->following);
        links[i].requirement = adup(ar, l->requirement);
        ok = alerts[i].id != NULL && (l->via_key == NULL || links[i].via_key != NULL) &&
             (l->following == NULL || links[i].following != NULL) &&
             (l->requirement == NULL || links[i].requirement != NULL);
        if (l->after != NULL) {
            struct corral_alert *after = corral_arena_alloc(ar, sizeof(*after));
            if (after == NULL) {
                return NULL;
            }
            memset(after, 0, sizeof(*after));
            after->id = adup(ar, l->after->id);
            after->start = l->after->start;
            links[i].after = after;
            ok = ok && after->id != NULL;
        }
    }
    for (uint32_t i = 0; i < m && ok; i++) {
        ents[i] = inc->entities[i];
        ents[i].key = corral_arena_strndup(ar, inc->entities[i].key, inc->entities[i].len);
        ok = ents[i].key != NULL;
    }
    c->links = links;
    c->entities = ents;
    return ok ? c : NULL;
}

/* Is inc's rule one whose severity is High when any member is High (else Medium)? */
static int high_if_any_high(const corral_server *s, const struct corral_incident *inc)
{
    const struct corral_ruleset *rs = s->opts.rules;
    for (size_t r = 0; r < rs->n_rules; r++) {
        if (rs->rules[r].kind == inc->kind || strcmp(rs->rules[r].kind, inc->kind) == 0) {
            return rs->rules[r].severity == CORRAL_SEVRULE_MEDIUM_HIGH;
        }
    }
    return 0;
}

/* The engine's sink: keep the last version of each incident the request changed. */
static void on_incident(void *ctx, const struct corral_incident *inc, enum corral_incident_event ev)
{
    corral_server *s = ctx;
    struct batch *b = s->cur;
    if (b == NULL || b->err != CORRAL_OK) {
        return; /* replaying: what the replay reports is in the store already */
    }
    /* One entry per incident and chunk: an incident changed again in a later chunk gets another. */
    size_t idlen = strlen(inc->id);
    struct pend *p = corral_map_get(b->pend_ids, inc->id, idlen);
    if (p == NULL || p->chunk != b->n_chunks) {
        p = corral_arena_alloc(b->arena, sizeof(*p));
        int failed = 0;
        b->pend = grow(b->pend, &b->cap_pend, b->n_pend, sizeof(*b->pend), &failed);
        if (p == NULL || failed) {
            b->err = CORRAL_ERR_NOMEM;
            return;
        }
        memset(p, 0, sizeof(*p));
        p->chunk = b->n_chunks;
        p->id = corral_arena_strndup(b->arena, inc->id, idlen);
        if (p->id == NULL || corral_map_put(b->pend_ids, p->id, idlen, p) != CORRAL_OK) {
            b->err = CORRAL_ERR_NOMEM;
            return;
        }
        b->pend[b->n_pend++] = p;
    }
    if (ev == CORRAL_INC_RETRACT) {
        p->inc = NULL;
        p->final = 0;
        return;
    }
    p->inc = copy_incident(b->arena, inc);
    p->final = ev == CORRAL_INC_FINAL;
    p->high_if_any_high = high_if_any_high(s, inc);
    if (p->inc == NULL) {
        b->err = CORRAL_ERR_NOMEM;
    }
}

static corral_err replay_one(void *ctx, const struct corral_alert *alert)
{
    corral_server *s = ctx;
    return corral_engine_add(s->engine, alert);
}

/*
 * The longest time one engine session or machine component may span, for the
 * replay bound (store.h, corral_replay_window). 0: no bound the replay may
 * use. The engine does cap sessions at max_span, but from each session's
 * first alert, so where an entity that never goes quiet has its sessions cut
 * depends on its first alert, however long ago: a replay that starts later
 * would cut them elsewhere. So only the sweep of corral_store_replay_start,
 * back to a window with no shared entity across it, limits the replay.
 */
static corral_time engine_max_span(const struct corral_engine_opts *eo)
{
    (void)eo;
    return 0;
}

/* The longest session gap of any rule: entity sessions and machine chains (engine.c). */
static corral_time longest_window(const struct corral_ruleset *rs)
{
    corral_time w = rs->default_window > 0 ? rs->default_window : CORRAL_DEFAULT_WINDOW;
    for (size_t r = 0; r < rs->n_rules; r++) {
        const struct corral_rule *rule = &rs->rules[r];
        if (rule->is_chain && rule->chain.window > w) {
            w = rule->chain.window;
        }
        for (unsigned k = 0; !rule->is_chain && k < rule->n_scenarios; k++) {
            if (rule->scenarios[k].window > w) {
                w = rule->scenarios[k].window;
            }
        }
    }
    return w;
}

/*
 * (Re)build the engine from the store: replay the stored alerts that may
 * still be in an open session, in arrival order. With store_lock and
 * engine_lock held, or before serving.
 */
static corral_err rebuild_engine(corral_server *s, char *errbuf, size_t errlen)
{
    corral_engine_free(s->engine);
    struct corral_engine_opts eo = {.lateness = s->opts.lateness,
                                    .stream = 1,
                                    .max_span = s->opts.max_span,
                                    .scope_lag = s->opts.scope_lag};
    s->sink.ctx = s;
    s->sink.incident = on_incident;
    s->cur = NULL;
    s->engine = corral_engine_new(s->opts.rules, &eo, &s->sink);
    if (s->engine == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return CORRAL_ERR_NOMEM;
    }
    /* With a scope lag, a scope's open sessions may trail the newest alert by the lag. */
    corral_time behind = eo.scope_lag > eo.lateness ? eo.scope_lag : eo.lateness;
    struct corral_replay_window w = {.lateness = behind, .window = s->window,
                                     .max_span = engine_max_span(&eo)};
    corral_time from = CORRAL_TIME_NONE;
    uint64_t scanned = 0, n = 0;
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    corral_err err = corral_store_replay_start(s->writer, &w, &from, &scanned);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (err == CORRAL_OK) {
        err = corral_store_replay(s->writer, from, replay_one, s, &n);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (err != CORRAL_OK) {
        snprintf(errbuf, errlen, "cannot replay the stored alerts: %s (%s)", corral_strerror(err),
                 corral_store_errmsg(s->writer));
        return err;
    }
    if (!s->opts.quiet) {
        char t[CORRAL_TIME_TEXT] = "the first one";
        if (from != CORRAL_TIME_NONE) {
            corral_time_format(from, t);
        }
        fprintf(stderr,
                "corral serve: engine rebuilt from %llu stored alerts, from %s on (chosen in %.2f s"
                " reading %llu; replayed in %.2f s)\n",
                (unsigned long long)n, t,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                (unsigned long long)scanned,
                (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
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
        double secs =
            (double)(t1.tv_sec - r->t0.tv_sec) + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
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

/* ---- suppression rules ---- */

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

/* Rules being loaded (load_supps). */
struct supp_list {
    struct supp *v;
    size_t n;
    corral_json_parser *jp;
};

static void supp_list_free(struct supp *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct supp *u = &v[i];
        for (uint32_t k = 0; k < u->n; k++) {
            free(u->keys[k]);
        }
        free(u->keys);
        free(u->types);
        free(u->scope);
        free(u->alert_type);
    }
    free(v);
}

static corral_err load_one(void *ctx, int64_t id, const char *scope, const char *alert_type,
                           const char *conditions, corral_time expires)
{
    struct supp_list *l = ctx;
    struct supp *n = realloc(l->v, (l->n + 1) * sizeof(*n));
    if (n == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    l->v = n;
    struct supp *u = &l->v[l->n++];
    memset(u, 0, sizeof(*u));
    u->id = id;
    u->expires = expires;
    u->scope = strdup(scope);
    u->alert_type = strdup(alert_type);
    struct corral_json_doc doc;
    struct corral_diag diag;
    if (u->scope == NULL || u->alert_type == NULL ||
        corral_json_parse(l->jp, conditions, strlen(conditions), 0, &doc, &diag) != CORRAL_OK ||
        parse_conditions(&doc, 0, u, NULL) != NULL) {
        return CORRAL_ERR_DATA;
    }
    return CORRAL_OK;
}

/*
 * (Re)load the rules from the store: read with store_lock held (or before
 * serving), then swapped in under engine_lock.
 */
static corral_err load_supps(corral_server *s)
{
    struct supp_list l = {NULL, 0, corral_json_parser_new(1 << 20, 8)};
    if (l.jp == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    corral_err err = corral_store_each_suppression(s->writer, load_one, &l);
    corral_json_parser_free(l.jp);
    if (err != CORRAL_OK) {
        supp_list_free(l.v, l.n);
        return err;
    }
    pthread_mutex_lock(&s->engine_lock);
    supp_list_free(s->supps, s->n_supps);
    s->supps = l.v;
    s->n_supps = l.n;
    pthread_mutex_unlock(&s->engine_lock);
    return CORRAL_OK;
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

/* ---- ingest ---- */

/* The decoder's sink while a request is decoded: copy each alert of an allowed scope. */
struct decoding {
    struct request *r;
    struct batch *b;
};

static void on_alert(void *ctx, const struct corral_alert *alert, size_t line)
{
    struct decoding *d = ctx;
    struct batch *b = d->b;
    if (b->err != CORRAL_OK) {
        return;
    }
    if (!scope_allowed(&d->r->who, alert->scope)) {
        batch_error_at(b, b->index++, line, "this token may not write alerts of that scope");
        return;
    }
    int failed = 0;
    b->alerts = grow(b->alerts, &b->cap_alerts, b->n_alerts, sizeof(*b->alerts), &failed);
    if (failed) {
        b->err = CORRAL_ERR_NOMEM;
        return;
    }
    corral_arena *ar = b->arena;
    struct balert *x = &b->alerts[b->n_alerts];
    memset(x, 0, sizeof(*x));
    x->a = *alert;
    x->a.id = adup(ar, alert->id);
    x->a.alert_type = adup(ar, alert->alert_type);
    x->a.display_name = adup(ar, alert->display_name);
    x->a.product_component = adup(ar, alert->product_component);
    x->a.scope = adup(ar, alert->scope);
    struct corral_entity *ents =
        corral_arena_alloc(ar, (alert->n_entities ? alert->n_entities : 1) * sizeof(*ents));
    int ok = x->a.id != NULL && x->a.alert_type != NULL && x->a.display_name != NULL &&
             x->a.product_component != NULL && x->a.scope != NULL && ents != NULL;
    for (uint32_t i = 0; ok && i < alert->n_entities; i++) {
        ents[i] = alert->entities[i];
        ents[i].key = corral_arena_strndup(ar, alert->entities[i].key, alert->entities[i].len);
        ok = ents[i].key != NULL;
    }
    if (!ok) {
        b->err = CORRAL_ERR_NOMEM;
        return;
    }
    x->a.entities = ents;
    x->index = b->index++;
    x->line = line;
    b->n_alerts++;
}

static void on_problem(void *ctx, const char *source, const struct corral_diag *diag, int rejected)
{
    (void)source;
    struct decoding *d = ctx;
    if (rejected) {
        batch_error_at(d->b, d->b->index++, diag->line,
                       diag->msg[0] ? diag->msg : corral_strerror(diag->code));
    }
}

static void on_skipped(void *ctx, const char *what)
{
    (void)what;
    (void)ctx;
}

/*
 * Alerts a chunk holds: the store writes one while the engine works on the
 * next. Each chunk writes the incidents it changed, so an incident changed in
 * two chunks is written twice: chunks are large, and only large requests are
 * cut (measured: 500-alert chunks cost 10% more CPU for the same alerts).
 */
#define CHUNK_ALERTS 4096

/*
 * Write the documents of the incidents the chunk changed (store.h takes them
 * made), so that the store thread only stores them.
 */
static void render_docs(struct batch *b, struct pend *const *pend, size_t n)
{
    struct corral_strbuf doc;
    corral_strbuf_init(&doc);
    for (size_t i = 0; i < n && b->err == CORRAL_OK; i++) {
        struct pend *p = pend[i];
        if (p->inc == NULL) {
            continue;
        }
        corral_strbuf_clear(&doc);
        corral_incident_json(&doc, p->inc, CORRAL_FORMAT_CORRAL, NULL);
        char *copy = corral_strbuf_status(&doc) == CORRAL_OK
                         ? corral_arena_strndup(b->arena, doc.data, doc.len)
                         : NULL;
        if (copy == NULL) {
            b->err = CORRAL_ERR_NOMEM;
        }
        p->json = copy;
        p->json_len = doc.len;
    }
    corral_strbuf_release(&doc);
}

/* Hand alerts [a0, a1) and the incidents they changed to the store thread. */
static void hand_over(corral_server *s, struct batch *b, size_t a0, size_t a1)
{
    struct pend **pend = NULL;
    if (b->err == CORRAL_OK) {
        render_docs(b, b->pend, b->n_pend);
        pend = corral_arena_alloc(b->arena, (b->n_pend ? b->n_pend : 1) * sizeof(*pend));
        if (pend == NULL) {
            b->err = CORRAL_ERR_NOMEM;
        } else {
            if (b->n_pend > 0) {
                memcpy(pend, b->pend, b->n_pend * sizeof(*pend));
            }
        }
    }
    pthread_mutex_lock(&s->pipe_lock);
    int failed = 0;
    if (b->err == CORRAL_OK) {
        b->chunks = grow(b->chunks, &b->cap_chunks, b->n_chunks, sizeof(*b->chunks), &failed);
    }
    if (failed) {
        b->err = CORRAL_ERR_NOMEM;
    }
    if (b->err == CORRAL_OK) {
        b->chunks[b->n_chunks++] = (struct chunk){a0, a1, pend, b->n_pend};
    }
    b->n_pend = 0;
    pthread_cond_broadcast(&s->pipe_cond);
    pthread_mutex_unlock(&s->pipe_lock);
}

/*
 * The engine stage: queue the request for the store thread, decide each
 * alert's fate, feed the new ones to the engine, hand chunks over as they are
 * done. A request that failed before (decoding) is not queued.
 */
static void engine_stage(corral_server *s, struct batch *b)
{
    if (b->err != CORRAL_OK) {
        return;
    }
    pthread_mutex_lock(&s->engine_lock);
    if (s->engine == NULL) {
        b->err = CORRAL_ERR_NOMEM; /* the last rebuild failed: it needs a restart */
    }
    b->epoch = s->epoch;
    pthread_mutex_lock(&s->pipe_lock);
    b->queued = 1;
    if (s->queue_tail != NULL) {
        s->queue_tail->next = b;
    } else {
        s->queue = b;
    }
    s->queue_tail = b;
    pthread_cond_broadcast(&s->pipe_cond);
    pthread_mutex_unlock(&s->pipe_lock);
    s->cur = b;
    corral_time now = wall_ticks();
    /* One snapshot for every lookup: what is committed, plus the requests in flight. */
    corral_err e = corral_store_read_begin(s->probe);
    size_t a0 = 0;
    for (size_t i = 0; i < b->n_alerts && e == CORRAL_OK && b->err == CORRAL_OK; i++) {
        struct balert *x = &b->alerts[i];
        size_t idlen = strlen(x->a.id);
        const struct balert *prev = corral_map_get(s->inflight, x->a.id, idlen);
        if (prev != NULL) {
            x->fate = strcmp(prev->a.scope, x->a.scope) == 0 ? CORRAL_PUT_UPDATED
                                                             : CORRAL_PUT_CONFLICT;
        } else if ((e = corral_store_find_alert(s->probe, x->a.id, x->a.scope, &x->fate)) !=
                   CORRAL_OK) {
            break;
        }
        if (x->fate == CORRAL_PUT_CONFLICT) {
            batch_error_at(b, x->index, x->line,
                           "systemAlertId is already used by an alert of another scope");
        } else {
            x->suppressed = suppressed_by(s, &x->a, now);
            b->accepted++;
            if (x->suppressed != 0) {
                b->suppressed++;
            } else if (x->fate == CORRAL_PUT_UPDATED) {
                b->updated++;
            }
            if (x->fate == CORRAL_PUT_NEW &&
                (e = corral_map_put(s->inflight, x->a.id, idlen, x)) == CORRAL_OK &&
                x->suppressed == 0) {
                e = corral_engine_add(s->engine, &x->a);
            }
        }
        if (e == CORRAL_OK && (i + 1 - a0 == CHUNK_ALERTS || i + 1 == b->n_alerts)) {
            hand_over(s, b, a0, i + 1);
            a0 = i + 1;
        }
    }
    if (b->n_alerts == 0 && e == CORRAL_OK) {
        hand_over(s, b, 0, 0);
    }
    corral_store_read_end(s->probe);
    s->cur = NULL;
    pthread_mutex_lock(&s->pipe_lock);
    b->engine_err = b->err != CORRAL_OK ? b->err : e;
    b->engine_done = 1;
    pthread_cond_broadcast(&s->pipe_cond);
    pthread_mutex_unlock(&s->pipe_lock);
    pthread_mutex_unlock(&s->engine_lock);
}

/* Write chunk c of b (alerts first: the incidents' members refer to them). */
static corral_err write_chunk(corral_server *s, const struct batch *b, const struct chunk *c,
                              corral_time now)
{
    corral_err e = CORRAL_OK;
    for (size_t i = c->a0; i < c->a1 && e == CORRAL_OK; i++) {
        const struct balert *x = &b->alerts[i];
        e = corral_store_write_alert(s->writer, &x->a, x->suppressed, now, x->fate);
    }
    for (size_t i = 0; i < c->n_pend && e == CORRAL_OK; i++) {
        const struct pend *p = c->pend[i];
        struct corral_incident_change ch = {.id = p->id, .inc = p->inc, .final = p->final,
                                            .high_if_any_high = p->high_if_any_high,
                                            .json = p->json, .json_len = p->json_len};
        e = corral_store_apply_incident(s->writer, &ch, now);
    }
    return e;
}

/*
 * The store stage of b, on the store thread: one transaction, each chunk
 * written as soon as the engine stage hands it over. On failure the engine
 * has seen alerts the store does not have: it is rebuilt from the store, and
 * every request that went through the old engine after this one fails in turn
 * (its epoch is old) without writing.
 */
static corral_err store_stage(corral_server *s, struct batch *b, char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&s->store_lock);
    int stale = b->epoch != s->epoch;
    corral_err e = stale ? CORRAL_ERR_IO : corral_store_begin(s->writer);
    if (stale) {
        snprintf(errbuf, errlen, "an earlier request failed and the engine was rebuilt");
    }
    corral_time now = wall_ticks();
    for (size_t k = 0; e == CORRAL_OK;) {
        pthread_mutex_lock(&s->pipe_lock);
        while (k == b->n_chunks && !b->engine_done) {
            pthread_cond_wait(&s->pipe_cond, &s->pipe_lock);
        }
        int have = k < b->n_chunks;
        struct chunk c = have ? b->chunks[k] : (struct chunk){0, 0, NULL, 0}; /* chunks grow */
        corral_err engine_err = b->engine_err;
        pthread_mutex_unlock(&s->pipe_lock);
        if (!have) {
            e = engine_err;
            break;
        }
        e = write_chunk(s, b, &c, now);
        k++;
    }
    if (!stale) {
        if (e == CORRAL_OK) {
            e = corral_store_commit(s->writer);
        } else {
            corral_store_rollback(s->writer);
        }
        if (e != CORRAL_OK && errbuf[0] == '\0') {
            snprintf(errbuf, errlen, "%s", corral_store_errmsg(s->writer));
        }
    }
    if (e != CORRAL_OK && !stale) {
        /* Rebuilt once the engine stage of this request (or of one after it) lets go. */
        pthread_mutex_lock(&s->engine_lock);
        s->epoch++;
        corral_map_free(s->inflight);
        s->inflight = corral_map_new();
        char rb[256];
        if (s->inflight == NULL || rebuild_engine(s, rb, sizeof(rb)) != CORRAL_OK) {
            /* Every later request fails at its engine stage until a rebuild works. */
            fprintf(stderr, "corral serve: the engine could not be rebuilt: %s\n",
                    s->inflight == NULL ? "out of memory" : rb);
        }
        pthread_mutex_unlock(&s->engine_lock);
    }
    pthread_mutex_unlock(&s->store_lock);
    return e;
}

/* The store thread: the queued requests' store stages, one after the other. */
static void *store_thread(void *arg)
{
    corral_server *s = arg;
    pthread_mutex_lock(&s->pipe_lock);
    for (;;) {
        while (s->queue == NULL && !s->store_stop) {
            pthread_cond_wait(&s->pipe_cond, &s->pipe_lock);
        }
        struct batch *b = s->queue;
        if (b == NULL) {
            break;
        }
        s->queue = b->next;
        if (s->queue == NULL) {
            s->queue_tail = NULL;
        }
        pthread_mutex_unlock(&s->pipe_lock);
        char errbuf[sizeof(b->errbuf)] = "";
        corral_err e = store_stage(s, b, errbuf, sizeof(errbuf));
        pthread_mutex_lock(&s->pipe_lock);
        memcpy(b->errbuf, errbuf, sizeof(errbuf));
        b->result = e;
        b->done = 1;
        pthread_cond_broadcast(&s->pipe_cond);
    }
    pthread_mutex_unlock(&s->pipe_lock);
    return NULL;
}

static int berror_cmp(const void *pa, const void *pb)
{
    const struct berror *a = pa, *b = pb;
    return (a->index > b->index) - (a->index < b->index);
}

/* Decode, engine stage, then wait for the store thread: one posted request, on an ingest thread. */
static corral_err ingest(corral_server *s, struct request *r, struct batch *b, char *errbuf,
                         size_t errlen)
{
    corral_err e;
    corral_decoder *dec = decoder_take(s);
    if (dec == NULL) {
        e = CORRAL_ERR_NOMEM;
    } else {
        struct decoding d = {r, b};
        struct corral_decode_sink sink = {
            .ctx = &d, .alert = on_alert, .problem = on_problem, .skipped = on_skipped};
        struct corral_ingest_stats st;
        memset(&st, 0, sizeof(st));
        e = corral_ingest_memory("request", r->body.data, r->body.len, &s->opts.reader_limits,
                                 dec, &sink, &st);
        decoder_give(s, dec);
    }
    if (b->err == CORRAL_OK) {
        b->err = e;
    }
    engine_stage(s, b);
    if (!b->queued) {
        return b->err;
    }
    pthread_mutex_lock(&s->pipe_lock);
    while (!b->done) {
        pthread_cond_wait(&s->pipe_cond, &s->pipe_lock);
    }
    e = b->result;
    snprintf(errbuf, errlen, "%s", b->errbuf);
    pthread_mutex_unlock(&s->pipe_lock);
    if (e == CORRAL_OK) {
        /* Committed: from now on the probe finds them. */
        pthread_mutex_lock(&s->engine_lock);
        for (size_t i = 0; i < b->n_alerts; i++) {
            const struct balert *x = &b->alerts[i];
            if (x->fate == CORRAL_PUT_NEW && s->inflight != NULL &&
                corral_map_get(s->inflight, x->a.id, strlen(x->a.id)) == x) {
                corral_map_del(s->inflight, x->a.id, strlen(x->a.id));
            }
        }
        pthread_mutex_unlock(&s->engine_lock);
    }
    return e;
}

static void *ingest_thread(void *arg)
{
    corral_server *s = arg;
    pthread_mutex_lock(&s->job_lock);
    for (;;) {
        while (s->jobs == NULL && !s->jobs_stop) {
            pthread_cond_wait(&s->job_cond, &s->job_lock);
        }
        struct job *j = s->jobs;
        if (j == NULL) {
            break; /* stopping, and nothing left */
        }
        s->jobs = j->next;
        if (s->jobs == NULL) {
            s->jobs_tail = NULL;
        }
        pthread_mutex_unlock(&s->job_lock);
        corral_err e = ingest(s, j->r, j->b, j->errbuf, sizeof(j->errbuf));
        pthread_mutex_lock(&s->job_lock);
        j->err = e;
        j->done = 1;
        pthread_cond_signal(&j->cond);
    }
    pthread_mutex_unlock(&s->job_lock);
    return NULL;
}

/* Hand j to an ingest thread and wait until it is done. */
static corral_err run_job(corral_server *s, struct job *j)
{
    pthread_cond_init(&j->cond, NULL);
    pthread_mutex_lock(&s->job_lock);
    if (s->jobs_tail != NULL) {
        s->jobs_tail->next = j;
    } else {
        s->jobs = j;
    }
    s->jobs_tail = j;
    pthread_cond_signal(&s->job_cond);
    while (!j->done) {
        pthread_cond_wait(&j->cond, &s->job_lock);
    }
    pthread_mutex_unlock(&s->job_lock);
    pthread_cond_destroy(&j->cond);
    return j->err;
}

static enum MHD_Result post_alerts(corral_server *s, struct MHD_Connection *c, struct request *r)
{
    if (r->body.len == 0) {
        return send_error(
            s, c, r, MHD_HTTP_BAD_REQUEST,
            "empty body: send alerts as JSON (NDJSON, an array, a REST list or one object)");
    }
    struct batch b;
    struct job job = {.r = r, .b = &b};
    corral_err e = batch_init(&b);
    if (e == CORRAL_OK) {
        e = run_job(s, &job);
    }
    const char *errbuf = job.errbuf;
    if (e != CORRAL_OK) {
        batch_release(&b);
        fprintf(stderr, "corral serve: ingest failed, nothing of the request kept: %s%s%s\n",
                corral_strerror(e), errbuf[0] ? ": " : "", errbuf);
        return send_error(
            s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE,
            "the alerts could not be stored; nothing of this request was kept; retry");
    }
    atomic_fetch_add(&s->alerts_in, b.accepted);
    atomic_fetch_add(&s->alerts_rejected, b.n_errs);
    atomic_fetch_add(&s->alerts_suppressed, b.suppressed);
    atomic_fetch_add(&s->alerts_updated, b.updated);
    /* Errors in record order: decoding found some, the engine stage the conflicts. */
    if (b.n_errs > 1) {
        qsort(b.errs, b.n_errs, sizeof(*b.errs), berror_cmp);
    }
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    corral_strbuf_printf(&out, "{\"accepted\":%llu,\"rejected\":%llu,\"errors\":[",
                         (unsigned long long)b.accepted, (unsigned long long)b.n_errs);
    for (size_t i = 0; i < b.n_errs && i < MAX_ERRORS_LISTED; i++) {
        int first = 1;
        corral_strbuf_puts(&out, i > 0 ? ",{" : "{");
        corral_strbuf_json_key(&out, &first, "index");
        corral_strbuf_json_int(&out, (int64_t)b.errs[i].index);
        if (b.errs[i].line > 0) {
            corral_strbuf_json_key(&out, &first, "line");
            corral_strbuf_json_int(&out, (int64_t)b.errs[i].line);
        }
        corral_strbuf_json_key(&out, &first, "reason");
        corral_strbuf_json_str(&out, b.errs[i].reason, strlen(b.errs[i].reason));
        corral_strbuf_putc(&out, '}');
    }
    corral_strbuf_puts(&out, "]}");
    /* Nothing usable at all (not JSON, no alert in it): the request itself is bad. */
    unsigned code = b.accepted == 0 && b.n_errs > 0 ? MHD_HTTP_BAD_REQUEST
                    : b.accepted == 0               ? MHD_HTTP_UNPROCESSABLE_CONTENT
                                                    : MHD_HTTP_OK;
    batch_release(&b);
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
        pthread_mutex_lock(&s->store_lock);
        corral_err e = corral_store_patch_incident(s->writer, &sc, r->id, &p, wall_ticks(), &found);
        pthread_mutex_unlock(&s->store_lock);
        if (e != CORRAL_OK) {
            ret =
                send_error(s, c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "the change could not be stored");
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
            pthread_mutex_lock(&s->store_lock);
            e = corral_store_delete_suppression(s->writer, &sc, id, &found);
            if (e == CORRAL_OK && found) {
                e = load_supps(s);
            }
            pthread_mutex_unlock(&s->store_lock);
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
        uint32_t n_scope = corral_json_get(&doc, 0, "scope"),
                 n_type = corral_json_get(&doc, 0, "alerttype"),
                 n_ent = corral_json_get(&doc, 0, "entities"),
                 n_reason = corral_json_get(&doc, 0, "reason"),
                 n_exp = corral_json_get(&doc, 0, "expires");
        unsigned known =
            (n_scope != 0) + (n_type != 0) + (n_ent != 0) + (n_reason != 0) + (n_exp != 0);
        if (known != doc.nodes[0].len) {
            bad = "unknown field: the fields are scope, alertType, entities, reason and expires";
        } else if (n_scope == 0 || node_str(&doc.nodes[n_scope], scope, sizeof(scope)) != 0 ||
                   !scope[0]) {
            bad = "scope: the tenant or subscription the rule applies to ('*' for all)";
        } else if (strcmp(scope, "*") == 0 ? !r->who.all_scopes : !scope_allowed(&r->who, scope)) {
            bad = "scope: this token may only make rules for its own scopes";
        } else if (n_type == 0 || node_str(&doc.nodes[n_type], type, sizeof(type)) != 0 ||
                   !type[0]) {
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
        pthread_mutex_lock(&s->store_lock);
        corral_err e = corral_store_add_suppression(s->writer, scope, type, cond.data, reason,
                                                    expires, wall_ticks(), &id);
        if (e == CORRAL_OK) {
            e = load_supps(s);
        }
        pthread_mutex_unlock(&s->store_lock);
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
    corral_strbuf_printf(
        &out,
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
            corral_strbuf_printf(&out,
                                 "corral_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                                 bucket_le[b], cum);
        } else {
            corral_strbuf_printf(&out,
                                 "corral_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
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
        send_error(s, c, r, MHD_HTTP_UNAUTHORIZED,
                   "an Authorization: Bearer TOKEN header is required");
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

/*
 * Run this connection thread read_nice below the ingest threads, once, at its
 * first request that is not posting alerts (from then on it also receives
 * posted alerts at that priority). Best effort: a system that refuses leaves
 * it as it is. The flag is the thread's own (libmicrohttpd gives each
 * connection a thread).
 */
static void lower_priority(const corral_server *s)
{
    static _Thread_local int lowered;
    if (!lowered && s->opts.read_nice > 0) {
        lowered = 1;
        errno = 0;
        int now = getpriority(PRIO_PROCESS, (id_t)gettid());
        if (errno == 0) {
            setpriority(PRIO_PROCESS, (id_t)gettid(), now + s->opts.read_nice);
        }
    }
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
    if (r->route != R_ALERTS || is_get) {
        lower_priority(s); /* a connection that only posts alerts keeps receiving them at speed */
    }
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
 * grows past 64 MiB and no reader holds it.
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
        corral_store_checkpoint(s->ckpt_store, &s->store_lock);
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
    corral_store_init_library();
    corral_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return CORRAL_ERR_NOMEM;
    }
    s->opts = *opts;
    if (s->opts.readers == 0 || s->opts.readers > MAX_READERS) {
        s->opts.readers = 8;
    }
    pthread_mutex_init(&s->job_lock, NULL);
    pthread_cond_init(&s->job_cond, NULL);
    pthread_mutex_init(&s->engine_lock, NULL);
    pthread_mutex_init(&s->store_lock, NULL);
    pthread_mutex_init(&s->pipe_lock, NULL);
    pthread_cond_init(&s->pipe_cond, NULL);
    pthread_mutex_init(&s->dec_lock, NULL);
    pthread_cond_init(&s->dec_cond, NULL);
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
    err = corral_store_open(opts->db_path, &s->probe, errbuf, errlen);
    if (err != CORRAL_OK) {
        goto fail;
    }
    s->inflight = corral_map_new();
    if (s->inflight == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        err = CORRAL_ERR_NOMEM;
        goto fail;
    }
    s->window = longest_window(opts->rules);
    err = rebuild_engine(s, errbuf, errlen);
    if (err == CORRAL_OK && (err = load_supps(s)) != CORRAL_OK) {
        snprintf(errbuf, errlen, "cannot load the suppression rules: %s", corral_strerror(err));
    }
    if (err != CORRAL_OK) {
        goto fail;
    }
    if (pthread_create(&s->store_thread, NULL, store_thread, s) != 0) {
        snprintf(errbuf, errlen, "cannot start the store thread");
        err = CORRAL_ERR_NOMEM;
        goto fail;
    }
    s->store_started = 1;
    for (unsigned i = 0; i < INGEST_THREADS; i++) {
        if (pthread_create(&s->ingest_threads[i], NULL, ingest_thread, s) != 0) {
            snprintf(errbuf, errlen, "cannot start the ingest threads");
            err = CORRAL_ERR_NOMEM;
            goto fail;
        }
        s->n_ingest_threads++;
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
    if (s->n_ingest_threads > 0) {
        pthread_mutex_lock(&s->job_lock);
        s->jobs_stop = 1;
        pthread_cond_broadcast(&s->job_cond);
        pthread_mutex_unlock(&s->job_lock);
        for (unsigned i = 0; i < s->n_ingest_threads; i++) {
            pthread_join(s->ingest_threads[i], NULL);
        }
    }
    if (s->store_started) {
        pthread_mutex_lock(&s->pipe_lock);
        s->store_stop = 1;
        pthread_cond_broadcast(&s->pipe_cond);
        pthread_mutex_unlock(&s->pipe_lock);
        pthread_join(s->store_thread, NULL);
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
    for (unsigned i = 0; i < s->n_dec; i++) {
        corral_decoder_free(s->decoders[i]);
    }
    supp_list_free(s->supps, s->n_supps);
    corral_map_free(s->inflight);
    corral_store_free(s->probe);
    for (unsigned i = 0; i < s->n_readers; i++) {
        corral_store_free(s->readers[i]);
    }
    corral_store_free(s->writer);
    pthread_mutex_destroy(&s->job_lock);
    pthread_cond_destroy(&s->job_cond);
    pthread_mutex_destroy(&s->engine_lock);
    pthread_mutex_destroy(&s->store_lock);
    pthread_mutex_destroy(&s->pipe_lock);
    pthread_cond_destroy(&s->pipe_cond);
    pthread_mutex_destroy(&s->dec_lock);
    pthread_cond_destroy(&s->dec_cond);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cond);
    pthread_cond_destroy(&s->ckpt_cond);
    free(s);
}
