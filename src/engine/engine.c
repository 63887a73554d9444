/*
 * engine.c - sessions, machine components, watermark, and the order of output.
 *
 * How an alert flows through:
 *
 *   add ──► id index (duplicates stop here; alerts older than the watermark too)
 *       ──► for each entity a rule shares: the entity's sorted alert list (an
 *           entity named by one alert so far has no list: the alert holds it
 *           alone, see "lone entities")
 *       ──► if it is on a vm: the machine component (union-find over vm
 *           alerts tied by the same vm or a shared ip, domain, file hash,
 *           process image or account, each within the window of the other)
 *
 * Each list and component has close events in a heap keyed by "last alert +
 * window" (or "first alert + maximum span", or the end of the component's
 * cell of the maximum span, when that comes first). When the watermark
 * (newest start time - allowed lateness) passes one, no future alert can
 * join: its sessions are evaluated against the rules, incidents are
 * finalized, and the alerts are let go. Final
 * incidents wait in a heap until no open alert can start an earlier one, then
 * leave in (first activity, id) order, after the specific-before-generic
 * check: every alert lists the final incidents that hold it, so "another
 * incident holds all of this one's alerts" is a lookup, not a search.
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/build.h"
#include "engine/chain.h"
#include "engine/ealert.h"
#include "engine/scenario.h"
#include "util/hashmap.h"
#include "util/heap.h"

#define TIME_MAX INT64_MAX

/* --stream reports machine chains live while their component holds at most this many alerts. */
#define CORRAL_STREAM_CHAIN_MAX 64u

/* ---- sorted alert vectors ------------------------------------------------------------ */

/*
 * A sorted vector of alerts. Most lists hold one or two alerts (an entity
 * seen once, a lone machine alert), so the first two live inside the struct
 * and cost no allocation. A struct avec must not be moved once used.
 */
struct avec {
    struct corral_ealert **v;
    uint32_t n, cap;
    struct corral_ealert *small[2];
};

static void avec_release(struct avec *av)
{
    if (av->v != av->small) {
        free(av->v);
    }
    av->v = NULL;
    av->n = 0;
    av->cap = 0;
}

static int avec_insert(struct avec *av, struct corral_ealert *e)
{
    if (av->n == av->cap) {
        if (av->cap == 0) {
            av->v = av->small;
            av->cap = 2;
        } else {
            uint32_t ncap = av->cap * 2;
            struct corral_ealert **nv;
            if (av->v == av->small) {
                nv = malloc(ncap * sizeof(*nv));
                if (nv != NULL) {
                    memcpy(nv, av->small, sizeof(av->small));
                }
            } else {
                nv = realloc(av->v, ncap * sizeof(*nv));
            }
            if (nv == NULL) {
                return -1;
            }
            av->v = nv;
            av->cap = ncap;
        }
    }
    /* Alerts mostly come in time order: search from the end. */
    uint32_t i = av->n;
    while (i > 0 && corral_ealert_cmp(av->v[i - 1], e) > 0) {
        i--;
    }
    memmove(av->v + i + 1, av->v + i, (av->n - i) * sizeof(*av->v));
    av->v[i] = e;
    av->n++;
    return (int)i;
}

/* Remove v[0..k) (already released by the caller). */
static void avec_drop_front(struct avec *av, uint32_t k)
{
    if (k == 0) {
        return; /* also: v may still be NULL */
    }
    memmove(av->v, av->v + k, (av->n - k) * sizeof(*av->v));
    av->n -= k;
}

/*
 * The end of the session that starts at al[from]: the index just past the
 * last alert that starts within w of the one before it and less than span
 * after al[from].
 */
static uint32_t session_end(struct corral_ealert *const *al, uint32_t n, uint32_t from,
                            corral_time w, corral_time span)
{
    uint32_t end = from + 1;
    while (end < n && al[end]->a.start - al[end - 1]->a.start <= w &&
           al[end]->a.start - al[from]->a.start < span) {
        end++;
    }
    return end;
}

/*
 * The last moment at which a session of al[0..end) may still take an alert:
 * it closes once the watermark is past it (see process_entity).
 */
static corral_time session_open_until(struct corral_ealert *const *al, uint32_t end, corral_time w,
                                      corral_time span)
{
    corral_time by_gap = al[end - 1]->a.start + w;
    corral_time by_span = al[0]->a.start + span - 1;
    return by_gap < by_span ? by_gap : by_span;
}

/* ---- scope clocks ------------------------------------------------------------------ */

/*
 * A scope's clock: its newest start time and the close events of its entity
 * lists and machine components. Its watermark is its newest start time less
 * the lateness, but never below the newest start time of any scope less the
 * allowed lag between scopes (opts.scope_lag). Without a lag longer than the
 * lateness every scope shares one clock, and the watermark is the engine's.
 */
struct sclock {
    corral_time max_seen;       /* newest start time of its scopes, INT64_MIN before any */
    struct corral_kheap events; /* close events, see EVENT_TIME_MAX */
    char scope[];               /* the clocks map's key ("" for the shared clock) */
};

/* ---- entities and components ------------------------------------------------------- */

struct eent {
    uint64_t hash; /* corral_map_hash of ckey */
    uint32_t cklen;
    const char *scope; /* inside ckey */
    const char *key;   /* inside ckey */
    uint32_t keylen;
    enum corral_entity_type type;
    struct sclock *clock; /* its scope's */
    struct avec all; /* every alert naming it, for entity rules */
    struct avec vm;  /* alerts on vms naming it, for machine ties */
    uint32_t vm_compacted; /* vm.n after the last full compaction */
    uint32_t pending; /* close events in the heap that point here */
    char ckey[];      /* scope \x1f type \x1f key */
};

struct corral_ecomp {
    struct avec members;
    corral_time last;
    int64_t cell; /* every member starts in [cell * span, (cell + 1) * span) */
    struct sclock *clock; /* its scope's */
    uint32_t pending;
    int dead; /* merged into another, or closed */
    /* --stream: the chain id last reported, and one of a component merged into this one. */
    char stream_id[40], stream_id2[40];
};

/*
 * At equal times components close first, so that entity events see their
 * ties closed; an alert's event lets go of the entities it holds alone.
 */
enum ev_kind { EV_COMP = 0, EV_ENTITY = 1, EV_ALERT = 2 };

/*
 * A close event is a (key, pointer) in a keyed heap: key = time * 4 + kind, so
 * that at equal times components (kind 0) come before entities (kind 1), and
 * those before alerts (kind 2). Times are clamped to EVENT_TIME_MAX, far past
 * any real alert (year 9999 is about 2.5e17 ticks), so the key never overflows.
 */
#define EVENT_TIME_MAX (INT64_MAX / 8)
#define EVENT_KEY(t, kind) ((t) * 4 + (kind))
#define EVENT_KIND(key) ((int)((key) & 3))

struct scen_ref {
    uint32_t rule, scenario;
};

/* What --stream has reported of an incident that is not final yet. */
struct streamed {
    char id[40];
    uint32_t version;
    uint32_t n_members;
    size_t rule_index;
    const void *owner; /* the entity list or component it came from */
};

/* A final incident waiting for its turn. */
struct fin {
    struct corral_incident inc;
    struct corral_link *links;
    struct corral_entity *entities;
    char *entity_key; /* a copy, in the same allocation */
    struct corral_ealert **members;
    uint64_t serial; /* counter << 2 | specificity */
    size_t rule_index;
    int suppressed;
};

struct corral_engine {
    const struct corral_ruleset *rules;
    struct corral_engine_opts opts;
    struct corral_incident_sink sink;
    corral_map *alerts;   /* systemAlertId -> ealert */
    corral_map *ents;     /* ckey -> eent */
    corral_map *waiting;  /* serial -> fin, until released */
    corral_map *streamed; /* --stream: id -> struct streamed, incidents reported but not final */
    struct sclock *shared;  /* the clock of every scope, without a scope lag */
    corral_map *clocks;     /* with a scope lag: scope -> its clock */
    struct corral_kheap floors; /* (a clock's first event key, clock): lazy, see lift_floor */
    corral_time lag;        /* the most a scope's watermark trails the newest alert's */
    int flushing;           /* every watermark is past everything */
    struct corral_kheap alive;  /* (start, ealert) of open alerts */
    struct corral_heap ready; /* fin* by (first activity, id) */
    /* Newest start time of any scope, and the lowest watermark a scope can have (newest - lag). */
    corral_time max_seen, watermark;
    /* Per entity type: the scenarios that share it, and the longest of their windows. */
    struct scen_ref *by_type[CORRAL_ENT_COUNT];
    uint32_t n_by_type[CORRAL_ENT_COUNT];
    corral_time window_of_type[CORRAL_ENT_COUNT];
    /*
     * Types whose entity a lone alert may hold without an entity record (see
     * "lone entities"): every scenario sharing it needs 2+ alerts.
     */
    uint32_t lone_types;
    corral_time chain_window;
    corral_time max_span; /* sessions end this long after their first alert at the latest */
    int has_chains;
    char (*req_text)[CORRAL_MAX_SCENARIOS][CORRAL_MAX_REQUIRE][96]; /* per rule, scenario */
    char (*rule_text)[CORRAL_MAX_SCENARIOS][256];
    char chain_text[256];
    uint64_t next_serial;
    struct corral_link *scratch; /* links of the scenario being evaluated */
    uint32_t scratch_cap;
    struct corral_ealert **tail; /* --stream: an entity list's tail as it was before an alert */
    uint32_t tail_cap;
    uint64_t *rule_counts;
    struct corral_engine_stats stats;
    corral_err failed; /* sticky: first allocation failure */
};

/* Types whose shared value ties alerts on different vms into one machine component. */
static const uint32_t tie_types = (1u << CORRAL_ENT_IP) | (1u << CORRAL_ENT_DOMAIN) |
                                  (1u << CORRAL_ENT_FILEHASH) | (1u << CORRAL_ENT_PROCESS_IMAGE) |
                                  (1u << CORRAL_ENT_USER) |
                                  (1u << CORRAL_ENT_SERVICE_PRINCIPAL) | (1u << CORRAL_ENT_VM);

/*
 * Lone entities. Most entity sessions are one alert (on the bench corpus 78%:
 * an ip, a resource or a user seen once in a day), and a session of one alert
 * satisfies no rule when every scenario sharing its type needs 2+ alerts
 * (en->lone_types). Such an entity gets no record: its slot in the entity
 * index points at the alert itself (tagged, lone_tag), keyed by the alert's
 * own copy of the entity key, and the alert's one close event (EV_ALERT) lets
 * go of every entity it still holds alone. A second alert naming the entity
 * turns the slot into a record holding both (entity_promote), and from there
 * on everything is as for any entity. The lone alert is held as the record's
 * list would hold it: a reference, and an open hold when rules share the type.
 */
static void *lone_tag(struct corral_ealert *y)
{
    return (void *)((uintptr_t)y | 1u);
}

/* The alert holding an entity index slot alone, or NULL when v is an entity record. */
static struct corral_ealert *lone_alert(void *v)
{
    return ((uintptr_t)v & 1u) != 0 ? (struct corral_ealert *)((uintptr_t)v & ~(uintptr_t)1) : NULL;
}

/*
 * How long after its start a lone alert y holds an entity of type t: while a
 * later alert could still share a session with it (t's rules) or tie to it
 * (machine chains, when y is on a vm).
 */
static corral_time lone_window(const corral_engine *en, enum corral_entity_type t,
                               const struct corral_ealert *y)
{
    corral_time w = en->n_by_type[t] > 0 ? en->window_of_type[t] : 0;
    if (y->n_vms > 0 && en->has_chains && (tie_types & (1u << t)) != 0 && en->chain_window > w) {
        w = en->chain_window;
    }
    return w;
}

static int ready_less(const void *a, const void *b)
{
    const struct fin *x = *(struct fin *const *)a, *y = *(struct fin *const *)b;
    if (x->inc.first_activity != y->inc.first_activity) {
        return x->inc.first_activity < y->inc.first_activity;
    }
    return strcmp(x->inc.id, y->inc.id) < 0;
}

static void fail(corral_engine *en, corral_err err)
{
    if (en->failed == CORRAL_OK) {
        en->failed = err;
    }
}

/* ---- alert lifetime ----------------------------------------------------------------------- */

static void unref(struct corral_ealert *e)
{
    if (--e->refs == 0) {
        corral_ealert_free(e);
    }
}

/* ---- construction -------------------------------------------------------------------------- */

corral_engine *corral_engine_new(const struct corral_ruleset *rules,
                                 const struct corral_engine_opts *opts,
                                 const struct corral_incident_sink *sink)
{
    corral_engine *en = calloc(1, sizeof(*en));
    if (en == NULL) {
        return NULL;
    }
    en->rules = rules;
    en->opts = *opts;
    if (en->opts.lateness < 0) {
        en->opts.lateness = 0;
    }
    en->sink = *sink;
    en->alerts = corral_map_new();
    en->ents = corral_map_new();
    en->waiting = corral_map_new();
    en->streamed = corral_map_new();
    corral_kheap_init(&en->floors);
    corral_kheap_init(&en->alive);
    corral_heap_init(&en->ready, sizeof(struct fin *), ready_less);
    en->max_seen = INT64_MIN;
    en->watermark = INT64_MIN;
    int per_scope = en->opts.scope_lag > en->opts.lateness;
    en->lag = per_scope ? en->opts.scope_lag : en->opts.lateness;
    en->shared = calloc(1, sizeof(struct sclock) + 1);
    if (en->shared != NULL) {
        en->shared->max_seen = INT64_MIN;
        corral_kheap_init(&en->shared->events);
    }
    if (per_scope) {
        en->clocks = corral_map_new();
    }
    size_t nr = rules->n_rules > 0 ? rules->n_rules : 1;
    en->rule_counts = calloc(nr, sizeof(uint64_t));
    en->req_text = calloc(nr, sizeof(*en->req_text));
    en->rule_text = calloc(nr, sizeof(*en->rule_text));
    if (en->alerts == NULL || en->ents == NULL || en->waiting == NULL || en->streamed == NULL ||
        en->shared == NULL || (per_scope && en->clocks == NULL) ||
        en->rule_counts == NULL || en->req_text == NULL || en->rule_text == NULL) {
        corral_engine_free(en);
        return NULL;
    }
    en->chain_window = 0;
    for (size_t r = 0; r < rules->n_rules; r++) {
        const struct corral_rule *rule = &rules->rules[r];
        if (rule->is_chain) {
            en->has_chains = 1;
            if (rule->chain.window > en->chain_window) {
                en->chain_window = rule->chain.window;
            }
            continue;
        }
        for (unsigned s = 0; s < rule->n_scenarios; s++) {
            const struct corral_scenario *sc = &rule->scenarios[s];
            corral_scenario_describe(sc, en->rule_text[r][s], sizeof(en->rule_text[r][s]));
            for (unsigned q = 0; q < sc->n_require; q++) {
                corral_cond_describe(&sc->require[q], en->req_text[r][s][q],
                                     sizeof(en->req_text[r][s][q]));
            }
            for (unsigned t = 0; t < CORRAL_ENT_COUNT; t++) {
                if ((sc->entity_types & (1u << t)) == 0) {
                    continue;
                }
                struct scen_ref *nb =
                    realloc(en->by_type[t], (en->n_by_type[t] + 1) * sizeof(struct scen_ref));
                if (nb == NULL) {
                    corral_engine_free(en);
                    return NULL;
                }
                en->by_type[t] = nb;
                nb[en->n_by_type[t]++] = (struct scen_ref){(uint32_t)r, s};
                if (sc->window > en->window_of_type[t]) {
                    en->window_of_type[t] = sc->window;
                }
            }
        }
    }
    if (en->chain_window == 0) {
        en->chain_window = rules->default_window > 0 ? rules->default_window
                                                     : CORRAL_DEFAULT_WINDOW;
    }
    en->lone_types = (1u << CORRAL_ENT_COUNT) - 1;
    for (size_t r = 0; r < rules->n_rules; r++) {
        const struct corral_rule *rule = &rules->rules[r];
        for (unsigned s = 0; !rule->is_chain && s < rule->n_scenarios; s++) {
            if (rule->scenarios[s].min_alerts < 2) {
                en->lone_types &= ~rule->scenarios[s].entity_types;
            }
        }
    }
    en->max_span = opts->max_span > 0      ? opts->max_span
                   : rules->max_span > 0 ? rules->max_span
                                         : CORRAL_DEFAULT_MAX_SPAN;
    snprintf(en->chain_text, sizeof(en->chain_text),
             "machine chain: alerts on vms from 2+ plans whose order by start time never goes "
             "back in the kill chain, covering 2+ stages");
    return en;
}

static void fin_free(struct fin *f)
{
    if (f == NULL) {
        return;
    }
    for (uint32_t i = 0; i < f->inc.n_members; i++) {
        unref(f->members[i]);
    }
    free(f->entities);
    free(f);
}

static void eent_free(struct eent *E)
{
    for (uint32_t i = 0; i < E->all.n; i++) {
        unref(E->all.v[i]);
    }
    for (uint32_t i = 0; i < E->vm.n; i++) {
        unref(E->vm.v[i]);
    }
    avec_release(&E->all);
    avec_release(&E->vm);
    free(E);
}

/* Let go of a clock's close events (a component's last reference may be its event). */
static void drop_events(struct sclock *k)
{
    struct corral_kheap_item ev;
    while (corral_kheap_pop(&k->events, &ev)) {
        if (EVENT_KIND(ev.key) == EV_ALERT) {
            unref(ev.ptr);
        } else if (EVENT_KIND(ev.key) == EV_COMP) {
            struct corral_ecomp *c = ev.ptr;
            if (--c->pending == 0) {
                for (uint32_t i = 0; i < c->members.n; i++) {
                    unref(c->members.v[i]);
                }
                avec_release(&c->members);
                free(c);
            }
        } else {
            ((struct eent *)ev.ptr)->pending--;
        }
    }
    corral_kheap_release(&k->events);
}

void corral_engine_free(corral_engine *en)
{
    if (en == NULL) {
        return;
    }
    /* Events may point at components whose last reference is the event itself. */
    if (en->shared != NULL) {
        drop_events(en->shared);
        free(en->shared);
    }
    if (en->clocks != NULL) {
        size_t pos = 0;
        const void *k;
        size_t kl;
        void *v;
        while (corral_map_next(en->clocks, &pos, &k, &kl, &v)) {
            drop_events(v);
            free(v);
        }
    }
    corral_map_free(en->clocks);
    corral_kheap_release(&en->floors);
    if (en->ents != NULL) {
        size_t pos = 0;
        const void *k;
        size_t kl;
        void *v;
        while (corral_map_next(en->ents, &pos, &k, &kl, &v)) {
            if (lone_alert(v) != NULL) {
                unref(lone_alert(v));
            } else {
                eent_free(v);
            }
        }
    }
    struct fin *f;
    while (corral_heap_pop(&en->ready, &f)) {
        fin_free(f);
    }
    struct corral_kheap_item ae;
    while (corral_kheap_pop(&en->alive, &ae)) {
        unref(ae.ptr);
    }
    if (en->alerts != NULL) {
        size_t pos = 0;
        const void *k;
        size_t kl;
        void *v;
        while (corral_map_next(en->alerts, &pos, &k, &kl, &v)) {
            unref(v);
        }
    }
    corral_map_free(en->alerts);
    corral_map_free(en->ents);
    corral_map_free(en->waiting);
    if (en->streamed != NULL) {
        size_t pos = 0;
        const void *k;
        size_t kl;
        void *v;
        while (corral_map_next(en->streamed, &pos, &k, &kl, &v)) {
            free(v);
        }
    }
    corral_map_free(en->streamed);
    corral_kheap_release(&en->alive);
    corral_heap_release(&en->ready);
    for (unsigned t = 0; t < CORRAL_ENT_COUNT; t++) {
        free(en->by_type[t]);
    }
    free(en->scratch);
    free(en->tail);
    free(en->req_text);
    free(en->rule_text);
    free(en->rule_counts);
    free(en);
}

/* ---- open alerts ----------------------------------------------------------------------- */

/*
 * An alert is open while a session list or a machine component holds it:
 * open[] counts those holders. When it drops to 0 the alert leaves the id
 * index; later copies are then too late anyway.
 */
static void close_holder(corral_engine *en, struct corral_ealert *e)
{
    if (--e->open == 0 && e->in_index) {
        e->in_index = 0;
        corral_map_del_h(en->alerts, e->a.id, e->id_len, e->id_hash);
        if (en->stats.open_alerts > 0) {
            en->stats.open_alerts--;
        }
        unref(e);
    }
}

/* ---- finalizing incidents -------------------------------------------------------------- */

static unsigned serial_spec(uint64_t serial)
{
    return (unsigned)(serial & 3);
}

/* 1 when every member of f is also held by the incident `serial`. */
static int held_by(const struct fin *f, uint64_t serial)
{
    for (uint32_t i = 0; i < f->inc.n_members; i++) {
        if (!corral_ealert_has_serial(f->members[i], serial)) {
            return 0;
        }
    }
    return 1;
}

static void suppress(corral_engine *en, struct fin *f)
{
    if (!f->suppressed) {
        f->suppressed = 1;
        en->stats.suppressed++;
    }
}

/*
 * Take ownership of a built incident: note it on its members, settle
 * specific-before-generic both ways, and queue it for release.
 */
static void finalize(corral_engine *en, struct fin *f, unsigned specificity)
{
    f->serial = (++en->next_serial << 2) | (specificity & 3);
    for (uint32_t i = 0; i < f->inc.n_members; i++) {
        if (corral_ealert_add_serial(f->members[i], f->serial) != 0) {
            fail(en, CORRAL_ERR_NOMEM);
        }
    }
    /* Is this one held whole by a more specific incident finalized before it? */
    const struct corral_ealert *a0 = f->members[0];
    for (uint32_t j = 0; j < a0->n_serials && !f->suppressed; j++) {
        uint64_t other = a0->serials[j];
        if (other != f->serial && serial_spec(other) > specificity && held_by(f, other)) {
            suppress(en, f);
        }
    }
    /* Does it hold whole a less specific one still waiting? */
    if (specificity > 0) {
        for (uint32_t i = 0; i < f->inc.n_members; i++) {
            const struct corral_ealert *m = f->members[i];
            for (uint32_t j = 0; j < m->n_serials; j++) {
                uint64_t other = m->serials[j];
                if (serial_spec(other) >= specificity) {
                    continue;
                }
                struct fin *g = corral_map_get(en->waiting, &other, sizeof(other));
                if (g != NULL && !g->suppressed && held_by(g, f->serial)) {
                    suppress(en, g);
                }
            }
        }
    }
    if (corral_map_put(en->waiting, &f->serial, sizeof(f->serial), f) != CORRAL_OK ||
        corral_heap_push(&en->ready, &f) != CORRAL_OK) {
        fail(en, CORRAL_ERR_NOMEM);
        corral_map_del(en->waiting, &f->serial, sizeof(f->serial));
        fin_free(f);
    }
}

/*
 * A fin for n members, with its links and members arrays and a copy of the
 * shared entity's key, all in one allocation; NULL when out of memory.
 */
static struct fin *fin_new(uint32_t n, const char *key)
{
    size_t keylen = strlen(key);
    size_t size = sizeof(struct fin) + n * sizeof(struct corral_link) +
                  n * sizeof(struct corral_ealert *) + keylen + 1;
    struct fin *f = malloc(size);
    if (f == NULL) {
        return NULL;
    }
    memset(f, 0, sizeof(*f));
    f->links = (struct corral_link *)(f + 1);
    f->members = (struct corral_ealert **)(f->links + n);
    f->entity_key = (char *)(f->members + n);
    memcpy(f->entity_key, key, keylen + 1);
    return f;
}

/* Fill the derived fields and hand the fin to finalize(). */
static void stream_update(corral_engine *en, struct fin *f);

/*
 * Fill the derived fields, then either finalize the incident (its session
 * closed) or, when live (--stream, the session is still open), report it as
 * an update and let it go.
 */
static void complete(corral_engine *en, struct fin *f, size_t rule_index,
                     const char *const *id_parts, size_t n_id_parts, int live)
{
    const struct corral_rule *rule = &en->rules->rules[rule_index];
    f->rule_index = rule_index;
    f->inc.links = f->links;
    f->inc.kind = rule->kind;
    f->inc.number = rule->number;
    f->inc.display_name = rule->display_name;
    f->inc.version = 1;
    for (uint32_t i = 0; i < f->inc.n_members; i++) {
        f->members[i]->refs++;
    }
    if (corral_incident_build(&f->inc, rule, id_parts, n_id_parts, &f->entities) != CORRAL_OK) {
        fail(en, CORRAL_ERR_NOMEM);
        fin_free(f);
        return;
    }
    if (live) {
        stream_update(en, f);
        fin_free(f);
        return;
    }
    finalize(en, f, rule->specificity);
}

#define ENTITY_ID_PARTS 6

/* What an entity incident's id is made of: its rule, scenario, scope, entity and first alert. */
static void entity_id_parts(const char **parts, char scen[12], const struct corral_rule *rule,
                            const struct corral_scenario *sc, const struct eent *E,
                            const struct corral_ealert *first)
{
    snprintf(scen, 12, "%u", sc->number);
    parts[0] = rule->kind;
    parts[1] = scen;
    parts[2] = first->a.scope;
    parts[3] = corral_entity_type_name(E->type);
    parts[4] = E->key;
    parts[5] = first->a.id;
}

/* --stream: was this incident reported already with n members (then it has not grown)? */
/* The id of the incident of rule r, scenario sc, on E, for the session that starts at first. */
static void entity_session_id(char id[40], const corral_engine *en, uint32_t r,
                              const struct corral_scenario *sc, const struct eent *E,
                              const struct corral_ealert *first)
{
    char scen[12];
    const char *parts[ENTITY_ID_PARTS];
    entity_id_parts(parts, scen, &en->rules->rules[r], sc, E, first);
    corral_incident_id(id, parts, ENTITY_ID_PARTS);
}

static int already_streamed(corral_engine *en, uint32_t r, const struct corral_scenario *sc,
                            const struct eent *E, const struct corral_ealert *first, uint32_t n)
{
    char id[40];
    entity_session_id(id, en, r, sc, E, first);
    const struct streamed *st = corral_map_get(en->streamed, id, strlen(id));
    return st != NULL && st->n_members == n && st->rule_index == r;
}

static void entity_incident(corral_engine *en, struct eent *E, uint32_t r, uint32_t s,
                            struct corral_ealert *const *al, uint32_t n, int live)
{
    const struct corral_rule *rule = &en->rules->rules[r];
    const struct corral_scenario *sc = &rule->scenarios[s];
    if (n < sc->min_alerts) {
        return; /* most sessions: a lone alert */
    }
    if (n > en->scratch_cap) {
        struct corral_link *grown = realloc(en->scratch, n * sizeof(*grown));
        if (grown == NULL) {
            fail(en, CORRAL_ERR_NOMEM);
            return;
        }
        en->scratch = grown;
        en->scratch_cap = n;
    }
    const char *req[CORRAL_MAX_REQUIRE];
    for (unsigned q = 0; q < CORRAL_MAX_REQUIRE; q++) {
        req[q] = en->req_text[r][s][q];
    }
    /* Evaluate into scratch space; allocate only for a satisfied scenario. */
    if (!corral_scenario_eval(sc, al, n, E->type, E->key, req, en->scratch)) {
        return;
    }
    if (live && already_streamed(en, r, sc, E, al[0], n)) {
        return; /* reported before with the same members: nothing to build */
    }
    struct fin *f = fin_new(n, E->key);
    if (f == NULL) {
        fail(en, CORRAL_ERR_NOMEM);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        f->links[i] = en->scratch[i];
        f->links[i].via_key = f->entity_key;
    }
    memcpy(f->members, al, n * sizeof(*al));
    f->inc.n_members = n;
    f->inc.scenario = sc->number;
    f->inc.description = sc->description;
    f->inc.scope = al[0]->a.scope;
    f->inc.entity_type = E->type;
    f->inc.entity_key = f->entity_key;
    f->inc.rule_text = en->rule_text[r][s];
    char scen[12];
    const char *parts[ENTITY_ID_PARTS];
    entity_id_parts(parts, scen, rule, sc, E, al[0]);
    complete(en, f, r, parts, ENTITY_ID_PARTS, live);
}

/* Evaluate every scenario sharing E's type over one closed run of E's alerts. */
static void evaluate_run(corral_engine *en, struct eent *E, struct corral_ealert *const *al,
                         uint32_t n)
{
    for (uint32_t k = 0; k < en->n_by_type[E->type]; k++) {
        struct scen_ref ref = en->by_type[E->type][k];
        corral_time w = en->rules->rules[ref.rule].scenarios[ref.scenario].window;
        uint32_t lo = 0;
        while (lo < n) {
            uint32_t hi = session_end(al, n, lo, w, en->max_span);
            entity_incident(en, E, ref.rule, ref.scenario, al + lo, hi - lo, 0);
            lo = hi;
        }
    }
}

/* ---- --stream ------------------------------------------------------------------------- */

static void emit(corral_engine *en, const struct corral_incident *inc,
                 enum corral_incident_event ev)
{
    if (en->sink.incident != NULL) {
        en->sink.incident(en->sink.ctx, inc, ev);
    }
}

/* Report an incident that no longer stands, by id, and forget it. */
static void retract(corral_engine *en, const char *id)
{
    struct streamed *st = corral_map_del(en->streamed, id, strlen(id));
    if (st == NULL) {
        return;
    }
    struct corral_incident gone;
    memset(&gone, 0, sizeof(gone));
    memcpy(gone.id, st->id, sizeof(gone.id));
    gone.version = st->version;
    emit(en, &gone, CORRAL_INC_RETRACT);
    free(st);
}

/* A live incident: report it when it is new or has grown or changed kind. */
static void stream_update(corral_engine *en, struct fin *f)
{
    size_t idlen = strlen(f->inc.id);
    struct streamed *st = corral_map_get(en->streamed, f->inc.id, idlen);
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st != NULL) {
            memcpy(st->id, f->inc.id, idlen + 1); /* the map borrows st->id as its key */
        }
        if (st == NULL || corral_map_put(en->streamed, st->id, idlen, st) != CORRAL_OK) {
            free(st);
            fail(en, CORRAL_ERR_NOMEM);
            return;
        }
    } else if (st->n_members == f->inc.n_members && st->rule_index == f->rule_index) {
        return;
    }
    st->version++;
    st->n_members = f->inc.n_members;
    st->rule_index = f->rule_index;
    f->inc.version = st->version;
    emit(en, &f->inc, CORRAL_INC_UPDATE);
}

/* The version --stream gave an incident that is now final (1 when never reported). */
static uint32_t stream_final(corral_engine *en, const char *id)
{
    struct streamed *st = corral_map_del(en->streamed, id, strlen(id));
    uint32_t v = st != NULL ? st->version : 1;
    free(st);
    return v;
}

/* --stream: the incident reported for the session that started at `first` no longer stands. */
static void retract_session(corral_engine *en, uint32_t r, const struct corral_scenario *sc,
                            const struct eent *E, const struct corral_ealert *first)
{
    char id[40];
    entity_session_id(id, en, r, sc, E, first);
    retract(en, id);
}

/*
 * --stream, after x was added to entity list E at pos: for every scenario
 * sharing E's type, evaluate the sessions that x changed. Sessions are cut
 * from the front of the list, so those before the one holding x stay as they
 * were; from there on, x can move every later cut (the maximum span counts
 * from each session's first alert). The tail is cut again as it was without
 * x: an incident reported under a first alert that no longer starts a
 * session is retracted, and each session that is new or grew is evaluated.
 */
static void stream_entity(corral_engine *en, struct eent *E, uint32_t pos)
{
    struct corral_ealert *const *al = E->all.v;
    uint32_t n = E->all.n;
    corral_time span = en->max_span;
    for (uint32_t k = 0; k < en->n_by_type[E->type]; k++) {
        struct scen_ref ref = en->by_type[E->type][k];
        const struct corral_scenario *sc = &en->rules->rules[ref.rule].scenarios[ref.scenario];
        corral_time w = sc->window;
        uint32_t lo = 0, hi;
        while ((hi = session_end(al, n, lo, w, span)) <= pos) {
            lo = hi;
        }
        uint32_t tn = n - lo - 1; /* the tail without x */
        if (tn > en->tail_cap) {
            struct corral_ealert **grown = realloc(en->tail, tn * sizeof(*grown));
            if (grown == NULL) {
                fail(en, CORRAL_ERR_NOMEM);
                return;
            }
            en->tail = grown;
            en->tail_cap = tn;
        }
        struct corral_ealert **old = en->tail;
        if (tn > 0) {
            memcpy(old, al + lo, (pos - lo) * sizeof(*old));
            memcpy(old + (pos - lo), al + pos + 1, (n - pos - 1) * sizeof(*old));
        }
        uint32_t i = 0;
        for (uint32_t j = lo; j < n;) {
            uint32_t je = session_end(al, n, j, w, span);
            while (i < tn && corral_ealert_cmp(old[i], al[j]) < 0) {
                retract_session(en, ref.rule, sc, E, old[i]);
                i = session_end(old, tn, i, w, span);
            }
            int same = 0;
            if (i < tn && old[i] == al[j]) {
                uint32_t ie = session_end(old, tn, i, w, span);
                same = ie - i == je - j;
                i = ie;
            }
            if (!same) {
                entity_incident(en, E, ref.rule, ref.scenario, al + j, je - j, 1);
            }
            j = je;
        }
        while (i < tn) {
            retract_session(en, ref.rule, sc, E, old[i]);
            i = session_end(old, tn, i, w, span);
        }
    }
}

/* ---- machine chains ------------------------------------------------------------------ */

static const struct corral_entity *first_vm(const struct corral_alert *a)
{
    for (uint32_t i = 0; i < a->n_entities; i++) {
        if (a->entities[i].type == CORRAL_ENT_VM) {
            return &a->entities[i];
        }
    }
    return NULL;
}

static int vm_key_cmp(const void *pa, const void *pb)
{
    const struct corral_entity *a = *(const struct corral_entity *const *)pa;
    const struct corral_entity *b = *(const struct corral_entity *const *)pb;
    return strcmp(a->key, b->key);
}

/* The sorted distinct vm keys of the chosen members, joined by ','; NULL when out of memory. */
static char *chain_vms(struct corral_ealert *const *al, const uint32_t *idx, uint32_t count,
                       unsigned *n_vms)
{
    size_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
        total += al[idx[i]]->n_vms;
    }
    const struct corral_entity **vms = malloc((total > 0 ? total : 1) * sizeof(*vms));
    if (vms == NULL) {
        return NULL;
    }
    size_t k = 0;
    for (uint32_t i = 0; i < count; i++) {
        const struct corral_alert *a = &al[idx[i]]->a;
        for (uint32_t j = 0; j < a->n_entities; j++) {
            if (a->entities[j].type == CORRAL_ENT_VM) {
                vms[k++] = &a->entities[j];
            }
        }
    }
    qsort(vms, k, sizeof(*vms), vm_key_cmp);
    size_t len = 1;
    unsigned distinct = 0;
    for (size_t i = 0; i < k; i++) {
        if (i == 0 || strcmp(vms[i]->key, vms[i - 1]->key) != 0) {
            len += vms[i]->len + 1;
            distinct++;
        }
    }
    char *out = malloc(len);
    if (out != NULL) {
        char *p = out;
        for (size_t i = 0; i < k; i++) {
            if (i == 0 || strcmp(vms[i]->key, vms[i - 1]->key) != 0) {
                if (p != out) {
                    *p++ = ',';
                }
                memcpy(p, vms[i]->key, vms[i]->len);
                p += vms[i]->len;
            }
        }
        *p = '\0';
    }
    free(vms);
    *n_vms = distinct;
    return out;
}

static void chain_incident(corral_engine *en, struct corral_ecomp *c, int live)
{
    uint32_t n = c->members.n;
    struct corral_ealert *const *al = c->members.v;
    uint32_t *idx = NULL;
    uint8_t *stg = NULL;
    uint32_t count = 0;
    struct fin *f = NULL;
    char *vm_keys = NULL;
    size_t rule_index = 0;
    if (n < 2) {
        goto none; /* most components: one alert, no chain, nothing to allocate */
    }
    idx = malloc(n * sizeof(uint32_t));
    stg = malloc(n);
    if (idx == NULL || stg == NULL || corral_chain_find(al, n, idx, stg, &count) != CORRAL_OK) {
        fail(en, CORRAL_ERR_NOMEM);
        count = 0;
    }
    if (count == 0) {
        goto none;
    }
    struct corral_chain_facts facts = {.max_stage = -1};
    for (uint32_t i = 0; i < count; i++) {
        const struct corral_alert *a = &al[idx[i]]->a;
        facts.botnet |= (a->signals & CORRAL_SIG_BOTNET) != 0;
        facts.outgoing |= (a->signals & CORRAL_SIG_OUTGOING) != 0;
        if (stg[i] > facts.max_stage) {
            facts.max_stage = stg[i];
        }
    }
    vm_keys = chain_vms(al, idx, count, &facts.vms);
    if (vm_keys == NULL) {
        fail(en, CORRAL_ERR_NOMEM);
        goto done;
    }
    const struct corral_rule *rule = NULL;
    for (size_t r = 0; r < en->rules->n_rules && rule == NULL; r++) {
        if (en->rules->rules[r].is_chain && corral_chain_fits(&en->rules->rules[r].chain, &facts)) {
            rule = &en->rules->rules[r];
            rule_index = r;
        }
    }
    if (rule == NULL || (f = fin_new(count, vm_keys)) == NULL) {
        if (rule != NULL) {
            fail(en, CORRAL_ERR_NOMEM);
        }
        goto none;
    }
    for (uint32_t i = 0; i < count; i++) {
        const struct corral_ealert *m = al[idx[i]];
        const struct corral_entity *vm = first_vm(&m->a);
        f->members[i] = al[idx[i]];
        f->links[i] = (struct corral_link){
            .alert = &m->a,
            .role = CORRAL_LINK_RULE,
            .via_type = CORRAL_ENT_VM,
            .via_key = vm != NULL ? vm->key : "",
            .stage = stg[i],
        };
    }
    f->inc.n_members = count;
    f->inc.scenario = 1;
    f->inc.description = rule->chain_description;
    f->inc.scope = al[idx[0]]->a.scope;
    f->inc.entity_type = CORRAL_ENT_VM;
    f->inc.entity_key = f->entity_key;
    f->inc.rule_text = en->chain_text;
    const char *parts[] = {"machine-chain", al[idx[0]]->a.scope, al[idx[0]]->a.id};
    if (en->opts.stream) {
        /*
         * A chain keeps its id while its first alert stays; a new first alert, or a
         * component merged into this one, retires the ids reported before (live, or at
         * the close at the latest).
         */
        char id[40];
        corral_incident_id(id, parts, sizeof(parts) / sizeof(parts[0]));
        if (c->stream_id[0] != '\0' && strcmp(c->stream_id, id) != 0) {
            retract(en, c->stream_id);
        }
        if (c->stream_id2[0] != '\0' && strcmp(c->stream_id2, id) != 0) {
            retract(en, c->stream_id2);
        }
        memcpy(c->stream_id, id, sizeof(c->stream_id));
        c->stream_id2[0] = '\0';
    }
    complete(en, f, rule_index, parts, sizeof(parts) / sizeof(parts[0]), live);
    goto done;
none:
    /*
     * No chain, or none that a chain rule names: at the close, whatever --stream
     * reported for this component no longer stands (members and kind can change as a
     * component grows, so a reported chain may end as no incident at all).
     */
    if (!live && en->opts.stream) {
        if (c->stream_id[0] != '\0') {
            retract(en, c->stream_id);
        }
        if (c->stream_id2[0] != '\0') {
            retract(en, c->stream_id2);
        }
        c->stream_id[0] = c->stream_id2[0] = '\0';
    }
done:
    free(vm_keys);
    free(idx);
    free(stg);
}

/* ---- entities, components, events ---------------------------------------------------- */

static void push_event(corral_engine *en, struct sclock *k, corral_time t, int kind, void *ptr);

/* A new entity record for map key ck (hash h), in the index; NULL when out of memory. */
static struct eent *entity_new(corral_engine *en, struct sclock *k, const char *ck, size_t cklen,
                               uint64_t h, const struct corral_entity *ent)
{
    struct eent *E = calloc(1, sizeof(*E) + cklen + 1);
    if (E == NULL) {
        fail(en, CORRAL_ERR_NOMEM);
        return NULL;
    }
    memcpy(E->ckey, ck, cklen);
    E->ckey[cklen] = '\0';
    E->hash = h;
    E->cklen = (uint32_t)cklen;
    E->scope = E->ckey;
    E->key = E->ckey + (cklen - ent->len);
    E->keylen = ent->len;
    E->type = ent->type;
    E->clock = k;
    /* Over a lone alert's slot, this also moves the slot's key into E. */
    if (corral_map_put_h(en->ents, E->ckey, cklen, h, E) != CORRAL_OK) {
        free(E);
        fail(en, CORRAL_ERR_NOMEM);
        return NULL;
    }
    return E;
}

/*
 * A second alert (starting at t) names the entity lone alert y holds: a
 * record takes y over, with the index's reference to y and y's open hold.
 */
static struct eent *entity_promote(corral_engine *en, struct sclock *k, struct corral_ealert *y,
                                   const char *ck, size_t cklen, uint64_t h,
                                   const struct corral_entity *ent, corral_time t)
{
    struct eent *E = entity_new(en, k, ck, cklen, h, ent);
    if (E == NULL) {
        return NULL;
    }
    enum corral_entity_type type = ent->type;
    int in_all = en->n_by_type[type] > 0;
    int in_vm = y->n_vms > 0 && en->has_chains && (tie_types & (1u << type)) != 0 &&
                !y->chain_closed;
    if ((in_all && avec_insert(&E->all, y) < 0) || (in_vm && avec_insert(&E->vm, y) < 0)) {
        fail(en, CORRAL_ERR_NOMEM);
        return E;
    }
    if (in_all && in_vm) {
        y->refs++; /* the index's reference went to E->all, this one is E->vm's */
    } else if (!in_all && !in_vm) {
        unref(y); /* a tie whose chain closed already: nothing to keep */
    }
    corral_time first = y->a.start < t ? y->a.start : t;
    push_event(en, k, first + (in_all ? en->window_of_type[type] : en->chain_window), EV_ENTITY, E);
    return E;
}

/* A clock's watermark: alerts of its scopes that start before it are too late. */
static corral_time clock_watermark(const corral_engine *en, const struct sclock *k)
{
    if (en->flushing) {
        return TIME_MAX;
    }
    corral_time own = k->max_seen == INT64_MIN ? INT64_MIN : k->max_seen - en->opts.lateness;
    return own > en->watermark ? own : en->watermark;
}

/* The clock of a scope's alerts (created at its first alert); NULL when out of memory. */
static struct sclock *clock_of(corral_engine *en, const char *scope)
{
    if (en->clocks == NULL) {
        return en->shared;
    }
    size_t len = strlen(scope);
    struct sclock *k = corral_map_get(en->clocks, scope, len);
    if (k != NULL) {
        return k;
    }
    k = calloc(1, sizeof(*k) + len + 1);
    if (k == NULL) {
        return NULL;
    }
    memcpy(k->scope, scope, len + 1);
    k->max_seen = INT64_MIN;
    corral_kheap_init(&k->events);
    if (corral_map_put(en->clocks, k->scope, len, k) != CORRAL_OK) {
        free(k);
        return NULL;
    }
    return k;
}

static void push_event(corral_engine *en, struct sclock *k, corral_time t, int kind, void *ptr)
{
    if (t > EVENT_TIME_MAX) {
        t = EVENT_TIME_MAX;
    }
    int64_t key = EVENT_KEY(t, kind);
    if (corral_kheap_push(&k->events, key, ptr) != CORRAL_OK) {
        fail(en, CORRAL_ERR_NOMEM);
        return;
    }
    /* A new first event of a scope's own clock: note it for lift_floor. */
    if (en->clocks != NULL && corral_kheap_top(&k->events)->key == key &&
        corral_kheap_push(&en->floors, key, k) != CORRAL_OK) {
        fail(en, CORRAL_ERR_NOMEM);
    }
    if (kind == EV_ENTITY) {
        ((struct eent *)ptr)->pending++;
    } else if (kind == EV_COMP) {
        ((struct corral_ecomp *)ptr)->pending++;
    }
}

static struct corral_ealert *uf_find(struct corral_ealert *e)
{
    while (e->uf_parent != e) {
        e->uf_parent = e->uf_parent->uf_parent;
        e = e->uf_parent;
    }
    return e;
}

/* The cell of the maximum span that t falls in (cells count from 1970-01-01 00:00 UTC). */
static int64_t span_cell(const corral_engine *en, corral_time t)
{
    int64_t q = t / en->max_span;
    return t % en->max_span < 0 ? q - 1 : q;
}

/*
 * The last moment at which component c may still take an alert: the window
 * after its last alert, and never past its cell. Components close when the
 * watermark is past it (process_comp).
 */
static corral_time comp_open_until(const corral_engine *en, const struct corral_ecomp *c)
{
    corral_time by_gap = c->last + en->chain_window;
    corral_time cell_end = c->cell < EVENT_TIME_MAX / en->max_span ? (c->cell + 1) * en->max_span
                                                                    : EVENT_TIME_MAX;
    return by_gap < cell_end - 1 ? by_gap : cell_end - 1;
}

/* Merge the components of a and b (both open, of one cell). */
static void uf_union(corral_engine *en, struct corral_ealert *a, struct corral_ealert *b)
{
    struct corral_ealert *ra = uf_find(a), *rb = uf_find(b);
    if (ra == rb) {
        return;
    }
    struct corral_ecomp *ca = ra->comp, *cb = rb->comp;
    if (ca->members.n < cb->members.n) {
        struct corral_ealert *tr = ra;
        ra = rb;
        rb = tr;
        struct corral_ecomp *tc = ca;
        ca = cb;
        cb = tc;
    }
    /*
     * Merge cb's sorted members into ca's (the larger). A small component
     * joining a large one is the common case: insert its few alerts, mostly at
     * the end, instead of copying the large one.
     */
    if (cb->members.n <= 8) {
        for (uint32_t i = 0; i < cb->members.n; i++) {
            if (avec_insert(&ca->members, cb->members.v[i]) < 0) {
                fail(en, CORRAL_ERR_NOMEM);
                return;
            }
        }
        avec_release(&cb->members);
    } else {
        uint32_t n = ca->members.n + cb->members.n;
        struct corral_ealert **v = malloc(n * sizeof(*v));
        if (v == NULL) {
            fail(en, CORRAL_ERR_NOMEM);
            return;
        }
        uint32_t i = 0, j = 0, k = 0;
        while (i < ca->members.n || j < cb->members.n) {
            if (j == cb->members.n ||
                (i < ca->members.n && corral_ealert_cmp(ca->members.v[i], cb->members.v[j]) < 0)) {
                v[k++] = ca->members.v[i++];
            } else {
                v[k++] = cb->members.v[j++];
            }
        }
        avec_release(&ca->members);
        avec_release(&cb->members);
        ca->members.v = v;
        ca->members.n = n;
        ca->members.cap = n;
    }
    if (cb->last > ca->last) {
        ca->last = cb->last;
    }
    rb->uf_parent = ra;
    rb->comp = NULL;
    if (cb->stream_id[0] != '\0') {
        if (ca->stream_id[0] == '\0') {
            memcpy(ca->stream_id, cb->stream_id, sizeof(ca->stream_id));
        } else {
            if (ca->stream_id2[0] != '\0') {
                retract(en, ca->stream_id2);
            }
            memcpy(ca->stream_id2, cb->stream_id, sizeof(ca->stream_id2));
        }
    }
    cb->dead = 1;
    if (cb->pending == 0) {
        free(cb);
    }
}

/*
 * An entity's close event. Each entity has at most one event in the heap, at
 * the earliest time something of it may close; when it fires, the runs that
 * can no longer grow are evaluated and let go, and the event is put back for
 * what remains.
 */
static void process_entity(corral_engine *en, struct eent *E)
{
    E->pending--;
    corral_time w = en->window_of_type[E->type];
    corral_time wm = clock_watermark(en, E->clock);
    while (E->all.n > 0) {
        uint32_t j = session_end(E->all.v, E->all.n, 0, w, en->max_span);
        if (session_open_until(E->all.v, j, w, en->max_span) >= wm) {
            break;
        }
        evaluate_run(en, E, E->all.v, j);
        for (uint32_t i = 0; i < j; i++) {
            close_holder(en, E->all.v[i]);
            unref(E->all.v[i]);
        }
        avec_drop_front(&E->all, j);
    }
    /*
     * Machine ties: components close roughly in time order, so closed alerts
     * gather at the front; drop those, and compact the whole list whenever it
     * has doubled since the last time, so that stragglers cost O(1) amortized.
     */
    uint32_t front = 0;
    while (front < E->vm.n && E->vm.v[front]->chain_closed) {
        unref(E->vm.v[front++]);
    }
    avec_drop_front(&E->vm, front);
    if (E->vm.n >= 2 * E->vm_compacted + 16) {
        uint32_t kept = 0;
        for (uint32_t i = 0; i < E->vm.n; i++) {
            if (E->vm.v[i]->chain_closed) {
                unref(E->vm.v[i]);
            } else {
                E->vm.v[kept++] = E->vm.v[i];
            }
        }
        E->vm.n = kept;
        E->vm_compacted = kept;
    }
    if (E->all.n == 0 && E->vm.n == 0) {
        if (E->pending == 0) {
            corral_map_del_h(en->ents, E->ckey, E->cklen, E->hash);
            eent_free(E);
        }
        return;
    }
    if (E->pending == 0) {
        corral_time next = TIME_MAX;
        if (E->all.n > 0) {
            uint32_t j = session_end(E->all.v, E->all.n, 0, w, en->max_span);
            next = session_open_until(E->all.v, j, w, en->max_span);
        }
        if (E->vm.n > 0) {
            /* The first tie still open closes with its component. */
            struct corral_ecomp *c = uf_find(E->vm.v[0])->comp;
            corral_time t = c != NULL ? comp_open_until(en, c) : wm;
            if (t < next) {
                next = t;
            }
        }
        /* Never before the watermark: what is due now is already in the heap ahead of this. */
        push_event(en, E->clock, next > wm ? next : wm, EV_ENTITY, E);
    }
}

static void process_comp(corral_engine *en, struct corral_ecomp *c)
{
    c->pending--;
    if (!c->dead && comp_open_until(en, c) >= clock_watermark(en, c->clock)) {
        /* It grew since this event was set: come back when it can close. */
        push_event(en, c->clock, comp_open_until(en, c), EV_COMP, c);
        return;
    }
    if (!c->dead) {
        chain_incident(en, c, 0);
        for (uint32_t i = 0; i < c->members.n; i++) {
            struct corral_ealert *m = c->members.v[i];
            m->chain_closed = 1;
            if (m->comp == c) {
                m->comp = NULL;
            }
            close_holder(en, m);
            unref(m);
        }
        avec_release(&c->members);
        c->dead = 1;
    }
    if (c->dead && c->pending == 0) {
        free(c);
    }
}

/*
 * A lone alert's close event: let go of the entities it still holds alone
 * once no later alert can join them; come back for those that still can.
 */
static void process_alert(corral_engine *en, struct sclock *k, struct corral_ealert *y)
{
    corral_time wm = clock_watermark(en, k);
    corral_time next = TIME_MAX;
    for (uint32_t i = 0; i < y->a.n_entities && i < 32; i++) {
        if ((y->single & (1u << i)) == 0) {
            continue;
        }
        size_t cklen;
        const char *ck = corral_ealert_entity_key(y, i, &cklen);
        if (lone_alert(corral_map_get_h(en->ents, ck, cklen, y->ent_hash[i])) != y) {
            y->single &= ~(1u << i); /* a record took it over */
            continue;
        }
        enum corral_entity_type t = y->a.entities[i].type;
        corral_time until = y->a.start + lone_window(en, t, y);
        if (until >= wm) {
            next = until < next ? until : next;
            continue;
        }
        corral_map_del_h(en->ents, ck, cklen, y->ent_hash[i]);
        y->single &= ~(1u << i);
        if (en->n_by_type[t] > 0) {
            close_holder(en, y);
        }
        unref(y); /* the index's reference; the event's keeps y until the end */
    }
    if (next != TIME_MAX) {
        push_event(en, k, next, EV_ALERT, y); /* the event keeps its reference */
    } else {
        unref(y);
    }
}

static void release(corral_engine *en)
{
    corral_time bound = en->watermark;
    const struct corral_kheap_item *top;
    while ((top = corral_kheap_top(&en->alive)) != NULL &&
           ((struct corral_ealert *)top->ptr)->open == 0) {
        struct corral_kheap_item ae;
        corral_kheap_pop(&en->alive, &ae);
        unref(ae.ptr);
    }
    if (top != NULL && top->key < bound) {
        bound = top->key;
    }
    struct fin *const *next;
    while ((next = corral_heap_top(&en->ready)) != NULL && (*next)->inc.first_activity < bound) {
        struct fin *f;
        corral_heap_pop(&en->ready, &f);
        corral_map_del(en->waiting, &f->serial, sizeof(f->serial));
        if (f->suppressed) {
            retract(en, f->inc.id);
        } else {
            en->stats.incidents++;
            en->rule_counts[f->rule_index]++;
            if (en->opts.stream) {
                f->inc.version = stream_final(en, f->inc.id);
            }
            emit(en, &f->inc, CORRAL_INC_FINAL);
        }
        fin_free(f);
    }
}

/* Process a clock's close events that its watermark has passed. */
static void advance_clock(corral_engine *en, struct sclock *k)
{
    /* Due: time < watermark (at the flush, every time short of the clamp). */
    corral_time wm = clock_watermark(en, k);
    corral_time due = wm < EVENT_TIME_MAX ? wm : EVENT_TIME_MAX;
    const struct corral_kheap_item *top;
    int popped = 0;
    while ((top = corral_kheap_top(&k->events)) != NULL && top->key < EVENT_KEY(due, 0)) {
        popped = 1;
        struct corral_kheap_item ev;
        corral_kheap_pop(&k->events, &ev);
        /* The next event's entity is a cache miss: start loading it now. */
        const struct corral_kheap_item *next = corral_kheap_top(&k->events);
        if (next != NULL) {
            __builtin_prefetch(next->ptr);
        }
        switch (EVENT_KIND(ev.key)) {
        case EV_ENTITY:
            process_entity(en, ev.ptr);
            break;
        case EV_COMP:
            process_comp(en, ev.ptr);
            break;
        default:
            process_alert(en, k, ev.ptr);
            break;
        }
    }
    /* Its first event changed: note the new one for lift_floor (with scopes' own clocks). */
    if (popped && en->clocks != NULL && (top = corral_kheap_top(&k->events)) != NULL &&
        corral_kheap_push(&en->floors, top->key, k) != CORRAL_OK) {
        fail(en, CORRAL_ERR_NOMEM);
    }
}

/*
 * The lowest watermark (newest start time of any scope - lag) rose: every
 * clock with an event before it advances. en->floors holds each clock's first
 * event key as it was when noted; an entry whose clock has moved on is stale.
 */
static void lift_floor(corral_engine *en)
{
    if (en->clocks == NULL) {
        return; /* one shared clock: its watermark is the floor, advance_clock did it all */
    }
    corral_time due = en->watermark < EVENT_TIME_MAX ? en->watermark : EVENT_TIME_MAX;
    const struct corral_kheap_item *top;
    while ((top = corral_kheap_top(&en->floors)) != NULL && top->key < EVENT_KEY(due, 0)) {
        struct corral_kheap_item f;
        corral_kheap_pop(&en->floors, &f);
        struct sclock *k = f.ptr;
        const struct corral_kheap_item *first = corral_kheap_top(&k->events);
        if (first != NULL && first->key == f.key) {
            advance_clock(en, k);
        }
    }
}

/* Put a vm alert into its machine component, tied to its neighbours; es[i]: its entities'. */
static void add_to_machines(corral_engine *en, struct sclock *k, struct corral_ealert *x,
                            struct eent *const *es)
{
    int64_t cell = span_cell(en, x->a.start);
    x->refs++;
    x->open++;
    corral_time w = en->chain_window;
    /*
     * x joins the component of its first tie as a member; later ties merge
     * their components into that one. Only an alert with no tie gets a
     * component of its own (most vm alerts have a tie: no allocation).
     */
    int joined = 0;
    for (uint32_t i = 0; i < x->a.n_entities; i++) {
        const struct corral_entity *ent = &x->a.entities[i];
        struct eent *E = es[i];
        if ((tie_types & (1u << ent->type)) == 0 || E == NULL) {
            continue;
        }
        int pos = avec_insert(&E->vm, x);
        if (pos < 0) {
            fail(en, CORRAL_ERR_NOMEM);
            continue;
        }
        x->refs++;
        struct corral_ealert *near[2] = {pos > 0 ? E->vm.v[pos - 1] : NULL,
                                         (uint32_t)pos + 1 < E->vm.n ? E->vm.v[pos + 1] : NULL};
        for (int side = 0; side < 2; side++) {
            struct corral_ealert *y = near[side];
            corral_time gap = y == NULL ? 0 : side == 0 ? x->a.start - y->a.start
                                                        : y->a.start - x->a.start;
            /* Ties hold within the window, and never across a cell boundary. */
            if (y == NULL || y->chain_closed || gap > w || span_cell(en, y->a.start) != cell) {
                continue;
            }
            if (joined) {
                uf_union(en, x, y);
                continue;
            }
            struct corral_ealert *root = uf_find(y);
            if (avec_insert(&root->comp->members, x) < 0) {
                fail(en, CORRAL_ERR_NOMEM);
                continue;
            }
            x->uf_parent = root;
            joined = 1;
        }
        if (E->pending == 0) {
            push_event(en, k, x->a.start + w, EV_ENTITY, E);
        }
    }
    if (!joined) {
        struct corral_ecomp *c = calloc(1, sizeof(*c));
        if (c == NULL || avec_insert(&c->members, x) < 0) {
            free(c);
            fail(en, CORRAL_ERR_NOMEM);
            return;
        }
        c->cell = cell;
        c->clock = k;
        c->last = x->a.start;
        x->comp = c;
    }
    struct corral_ecomp *root = uf_find(x)->comp;
    if (x->a.start > root->last) {
        root->last = x->a.start;
    }
    /* One close event per component; when it fires early it is put back (process_comp). */
    if (root->pending == 0) {
        push_event(en, k, comp_open_until(en, root), EV_COMP, root);
    }
}

/* --stream: re-evaluate everything x joined. */
static void stream_alert(corral_engine *en, struct corral_ealert *x, struct eent *const *es)
{
    for (uint32_t i = 0; i < x->a.n_entities; i++) {
        struct eent *E = es[i];
        if (en->n_by_type[x->a.entities[i].type] == 0 || E == NULL) {
            continue;
        }
        uint32_t pos = E->all.n;
        while (pos > 0 && E->all.v[pos - 1] != x) {
            pos--;
        }
        if (pos > 0) {
            stream_entity(en, E, pos - 1);
        }
    }
    if (x->n_vms > 0 && en->has_chains && x->uf_parent != NULL && !x->chain_closed) {
        /*
         * The chain of a large component is not recomputed for every alert (that is
         * quadratic): it is reported when the component closes, as in batch mode. An
         * alert that ties vms without a stage may still merge components whose chains
         * were reported: the merged chain is then reported at the next staged alert or
         * at the close.
         */
        struct corral_ecomp *c = uf_find(x)->comp;
        /* An alert without a stage never joins a chain, so it cannot change one. */
        if (c != NULL && x->a.stages != 0 && c->members.n <= CORRAL_STREAM_CHAIN_MAX) {
            chain_incident(en, c, 1);
        }
    }
}

/* 1 when a rule can use the alert: it names an entity some rule shares, or a vm for the chains. */
static int correlatable(const corral_engine *en, const struct corral_alert *a)
{
    for (uint32_t i = 0; i < a->n_entities; i++) {
        enum corral_entity_type t = a->entities[i].type;
        if (en->n_by_type[t] > 0 || (t == CORRAL_ENT_VM && en->has_chains)) {
            return 1;
        }
    }
    return 0;
}

/* An alert of clock k that starts at t was taken: move the watermarks, close what they pass. */
static void take_time(corral_engine *en, struct sclock *k, corral_time t)
{
    if (t > k->max_seen) {
        k->max_seen = t;
    }
    if (t > en->max_seen) {
        en->max_seen = t;
        en->watermark = en->max_seen - en->lag;
    }
    advance_clock(en, k);
    lift_floor(en);
    release(en);
}

corral_err corral_engine_add(corral_engine *en, const struct corral_alert *alert)
{
    if (en->failed != CORRAL_OK) {
        return en->failed;
    }
    size_t idlen = strlen(alert->id);
    uint64_t idh = corral_map_hash(alert->id, idlen);
    if (corral_map_get_h(en->alerts, alert->id, idlen, idh) != NULL) {
        en->stats.duplicates++;
        return CORRAL_OK;
    }
    struct sclock *k = clock_of(en, alert->scope);
    if (k == NULL) {
        fail(en, CORRAL_ERR_NOMEM);
        return en->failed;
    }
    if (alert->start == CORRAL_TIME_NONE || alert->start < clock_watermark(en, k)) {
        en->stats.too_late++;
        return CORRAL_OK;
    }
    if (!correlatable(en, alert)) {
        /* A standalone alert: counted, and its time taken, but never copied. */
        en->stats.alerts++;
        if (en->stats.open_alerts + 1 > en->stats.peak_open_alerts) {
            en->stats.peak_open_alerts = en->stats.open_alerts + 1;
        }
        take_time(en, k, alert->start);
        return en->failed;
    }
    struct corral_ealert *x = corral_ealert_new(alert);
    if (x == NULL || corral_map_put_h(en->alerts, x->a.id, idlen, idh, x) != CORRAL_OK) {
        corral_ealert_free(x);
        return CORRAL_ERR_NOMEM;
    }
    x->id_len = (uint32_t)idlen;
    x->id_hash = idh;
    x->refs = 1;
    x->in_index = 1;
    en->stats.alerts++;
    if (++en->stats.open_alerts > en->stats.peak_open_alerts) {
        en->stats.peak_open_alerts = en->stats.open_alerts;
    }
    /* Each entity is looked up once: entity lists, machine ties and --stream share es[]. */
    struct eent *stack_es[32];
    struct eent **es = x->a.n_entities <= 32 ? stack_es : malloc(x->a.n_entities * sizeof(*es));
    if (es == NULL) {
        fail(en, CORRAL_ERR_NOMEM);
        return en->failed;
    }
    int machines = x->n_vms > 0 && en->has_chains;
    corral_time lone_until = TIME_MAX;
    for (uint32_t i = 0; i < x->a.n_entities; i++) {
        const struct corral_entity *ent = &x->a.entities[i];
        es[i] = NULL;
        if (en->n_by_type[ent->type] == 0 &&
            !(machines && (tie_types & (1u << ent->type)) != 0)) {
            continue; /* no rule and no machine tie uses it */
        }
        size_t cklen;
        const char *ck = corral_ealert_entity_key(x, i, &cklen);
        uint64_t h = x->ent_hash[i] = corral_map_hash(ck, cklen);
        void *v = corral_map_get_h(en->ents, ck, cklen, h);
        struct corral_ealert *y = lone_alert(v);
        if (v == NULL && (en->lone_types & (1u << ent->type)) != 0 && i < 32) {
            /* The first alert of the entity in its window: held alone, no record. */
            if (corral_map_put_h(en->ents, ck, cklen, h, lone_tag(x)) != CORRAL_OK) {
                fail(en, CORRAL_ERR_NOMEM);
                continue;
            }
            x->refs++;
            if (en->n_by_type[ent->type] > 0) {
                x->open++;
            }
            x->single |= 1u << i;
            corral_time until = x->a.start + lone_window(en, ent->type, x);
            lone_until = until < lone_until ? until : lone_until;
        } else if (v == NULL) {
            es[i] = entity_new(en, k, ck, cklen, h, ent);
        } else if (y != NULL) {
            es[i] = entity_promote(en, k, y, ck, cklen, h, ent, x->a.start);
        } else {
            es[i] = v;
        }
    }
    if (lone_until != TIME_MAX) {
        x->refs++;
        push_event(en, k, lone_until, EV_ALERT, x);
    }
    for (uint32_t i = 0; i < x->a.n_entities; i++) {
        const struct corral_entity *ent = &x->a.entities[i];
        struct eent *E = es[i];
        if (en->n_by_type[ent->type] == 0 || E == NULL) {
            continue; /* held alone, or not added (out of memory, noted) */
        }
        if (avec_insert(&E->all, x) < 0) {
            fail(en, CORRAL_ERR_NOMEM);
            continue;
        }
        x->refs++;
        x->open++;
        if (E->pending == 0) {
            push_event(en, k, x->a.start + en->window_of_type[ent->type], EV_ENTITY, E);
        }
    }
    if (machines) {
        add_to_machines(en, k, x, es);
    }
    /* A standalone alert is freed by close_holder(): nothing of x is read after it. */
    const corral_time start = x->a.start;
    const int standalone = x->open == 0;
    if (standalone) {
        /* Only when an entity could not be added (out of memory): let it go. */
        x->open = 1;
        close_holder(en, x);
    } else {
        if (corral_kheap_push(&en->alive, x->a.start, x) != CORRAL_OK) {
            fail(en, CORRAL_ERR_NOMEM);
        } else {
            x->refs++;
        }
    }
    if (en->opts.stream && !standalone) {
        stream_alert(en, x, es);
    }
    if (es != stack_es) {
        free(es);
    }
    take_time(en, k, start);
    return en->failed;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

corral_err corral_engine_flush(corral_engine *en)
{
    en->watermark = TIME_MAX;
    en->flushing = 1;
    advance_clock(en, en->shared);
    if (en->clocks != NULL) {
        size_t pos = 0;
        const void *key;
        size_t len;
        void *value;
        while (corral_map_next(en->clocks, &pos, &key, &len, &value)) {
            advance_clock(en, value);
        }
    }
    release(en);
    /*
     * --stream: every incident reported is now final or retracted; one still open
     * here was reported live and did not stand at the close (a chain whose members
     * changed), so it is retracted rather than left hanging.
     */
    size_t n = corral_map_count(en->streamed);
    char (*ids)[40] = n > 0 ? malloc(n * sizeof(*ids)) : NULL;
    if (n > 0 && ids == NULL) {
        fail(en, CORRAL_ERR_NOMEM);
        return en->failed;
    }
    size_t pos = 0, k = 0;
    const void *key;
    size_t len;
    void *value;
    while (k < n && corral_map_next(en->streamed, &pos, &key, &len, &value)) {
        memcpy(ids[k++], ((struct streamed *)value)->id, sizeof(ids[0]));
    }
    /* In id order: the map's own order depends on its history. */
    if (k > 1) {
        qsort(ids, k, sizeof(ids[0]), id_cmp);
    }
    for (size_t i = 0; i < k; i++) {
        retract(en, ids[i]);
    }
    free(ids);
    return en->failed;
}

void corral_engine_stats(const corral_engine *en, struct corral_engine_stats *out)
{
    *out = en->stats;
}

uint64_t corral_engine_rule_count(const corral_engine *en, size_t rule_index)
{
    return rule_index < en->rules->n_rules ? en->rule_counts[rule_index] : 0;
}
