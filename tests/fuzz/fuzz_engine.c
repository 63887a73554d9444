/*
 * fuzz_engine.c - libFuzzer target: the engine, against itself in another order.
 *
 * The input is a program of alerts, 8 bytes each: a start time that moves
 * forward or back by minutes or hours, a plan, signals, stages, a scope, and
 * entities from small pools (users, service principals, ips, resources, vms,
 * a cluster, process images, file hashes), so that sessions, windows, the
 * 7-day span, lone entities, promotions and machine chains all meet often.
 * The built-in rules run over it (data/rules.yaml, from CORRAL_DATA_DIR or
 * ./data). The lateness is 3 days, so that sessions, lone entities and
 * components close while alerts still come. What must hold:
 *   - the final incidents (id, kind, entity, members) are the same in time
 *     order, in time order with every stretch shorter than the lateness
 *     reversed, with --stream, with a clock per scope (--scope-lag), one
 *     engine per scope (shards), and in the program's own order when none of
 *     its alerts came too late there; and with sessions of at most a day
 *     (--max-span 1d), the same in time order and shuffled;
 *   - no alert is open after the flush;
 *   - no crash, no leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "rules/rules_file.h"
#include "check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ALERTS 256
#define MINUTE (60LL * CORRAL_TICKS_PER_SECOND)
#define LATENESS (3LL * 24 * 60 * MINUTE)

static struct corral_ruleset *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("CORRAL_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/rules.yaml", dir != NULL ? dir : "data");
    struct corral_rules_errors errs;
    corral_rules_errors_init(&errs);
    if (corral_rules_load(path, &rules, &errs) != CORRAL_OK) {
        corral_rules_errors_print(&errs, stderr);
        fprintf(stderr, "fuzz_engine: cannot load %s (set CORRAL_DATA_DIR)\n", path);
        abort();
    }
    corral_rules_errors_release(&errs);
    return 0;
}

/* One alert of the program, with room for its entities and their keys. */
struct palert {
    struct corral_alert a;
    struct corral_entity ents[10];
    char keys[10][48];
    char id[16];
};

static int entity_cmp(const void *a, const void *b)
{
    return corral_entity_cmp(a, b);
}

/* An entity whose key is prefix, k, suffix. */
static void add_entity(struct palert *p, enum corral_entity_type type, const char *prefix,
                       unsigned k, const char *suffix)
{
    uint32_t n = p->a.n_entities;
    snprintf(p->keys[n], sizeof(p->keys[n]), "%s%u%s", prefix, k, suffix);
    p->ents[n] = (struct corral_entity){type, (uint32_t)strlen(p->keys[n]), p->keys[n]};
    p->a.n_entities = n + 1;
}

static void decode_program(const uint8_t *d, size_t n_alerts, struct palert *out)
{
    corral_time t = 1736121600LL * CORRAL_TICKS_PER_SECOND; /* 2025-01-06 */
    for (size_t i = 0; i < n_alerts; i++, d += 8) {
        struct palert *p = &out[i];
        memset(p, 0, sizeof(*p));
        /* Time: up to 127 minutes or 127 hours, forward, or back (late arrivals). */
        corral_time step = (corral_time)(d[0] & 0x7f) * ((d[0] & 0x80) ? 60 * MINUTE : MINUTE);
        t += (d[1] & 0x20) ? -step / 2 : step;
        snprintf(p->id, sizeof(p->id), "a%03zu", i);
        p->a.id = p->id;
        p->a.alert_type = "T";
        p->a.display_name = "D";
        p->a.product_component = "";
        p->a.scope = (d[1] & 0x10) ? "scope-b" : "scope-a";
        p->a.plan = (enum corral_plan)((d[1] & 0x0f) % CORRAL_PLAN_COUNT);
        p->a.severity = (d[1] & 0x40) ? CORRAL_SEV_HIGH : CORRAL_SEV_MEDIUM;
        p->a.signals = ((uint32_t)d[2] | (uint32_t)d[3] << 8) & ((1u << CORRAL_SIG_COUNT) - 1);
        uint32_t stages = ((uint32_t)d[4] | (uint32_t)d[5] << 8) & 0x1fff;
        p->a.stages = (d[4] & 0x80) ? 0 : (uint16_t)stages;
        p->a.start = t;
        p->a.end = CORRAL_TIME_NONE;
        p->a.generated = CORRAL_TIME_NONE;
        /* Entities: d[6] says which kinds, d[7] which of each pool. */
        unsigned sel = d[6], k = d[7];
        if (sel & 0x01) {
            add_entity(p, CORRAL_ENT_USER, "user", k & 3, "");
        }
        if (sel & 0x02) {
            add_entity(p, CORRAL_ENT_SERVICE_PRINCIPAL, "sp", (k >> 2) & 1, "");
        }
        if (sel & 0x04) {
            add_entity(p, CORRAL_ENT_IP, "10.0.0.", (k >> 2) & 3, "");
        }
        if (sel & 0x08) {
            add_entity(p, CORRAL_ENT_RESOURCE, "/subscriptions/s/kv", (k >> 4) & 3, "");
        }
        if (sel & 0x10) { /* on a vm: the vm is also its resource */
            add_entity(p, CORRAL_ENT_VM, "/subscriptions/s/vm", (k >> 6) & 3, "");
            add_entity(p, CORRAL_ENT_RESOURCE, "/subscriptions/s/vm", (k >> 6) & 3, "");
        }
        if (sel & 0x20) {
            add_entity(p, CORRAL_ENT_CLUSTER, "/subscriptions/s/aks", k & 1, "");
        }
        if (sel & 0x40) {
            add_entity(p, CORRAL_ENT_PROCESS_IMAGE, "c:\\tools\\p", (k >> 1) & 1, ".exe|p");
            add_entity(p, CORRAL_ENT_PROCESS, "/subscriptions/s/vm0|", (k >> 3) & 1, "|t");
        }
        if (sel & 0x80) {
            add_entity(p, CORRAL_ENT_FILEHASH, "sha256:", (k >> 5) & 1, "");
        }
        qsort(p->ents, p->a.n_entities, sizeof(p->ents[0]), entity_cmp);
        p->a.entities = p->ents;
    }
}

/* What a run found: its final incidents as text, sorted. */
struct found {
    char (*lines)[1600];
    size_t n, cap;
    int overflow;
};

static void collect(void *ctx, const struct corral_incident *inc, enum corral_incident_event ev)
{
    struct found *f = ctx;
    if (ev != CORRAL_INC_FINAL) {
        return;
    }
    if (f->n == f->cap) {
        size_t ncap = f->cap > 0 ? f->cap * 2 : 64;
        void *grown = realloc(f->lines, ncap * sizeof(*f->lines));
        CHECK(grown != NULL);
        f->lines = grown;
        f->cap = ncap;
    }
    char *line = f->lines[f->n++];
    int len = snprintf(line, sizeof(*f->lines), "%s %s %u %s:", inc->id, inc->kind,
                       inc->scenario, inc->entity_key);
    for (uint32_t i = 0; i < inc->n_members && len > 0 && (size_t)len < sizeof(*f->lines); i++) {
        len += snprintf(line + len, sizeof(*f->lines) - (size_t)len, " %s",
                        inc->links[i].alert->id);
    }
    f->overflow |= len < 0 || (size_t)len >= sizeof(*f->lines);
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Run the program in this order; the alerts that came too late. */
static uint64_t run(const struct palert *prog, const size_t *order, size_t n,
                    struct corral_engine_opts opts, struct found *out)
{
    opts.lateness = LATENESS;
    struct corral_incident_sink sink = {out, collect};
    corral_engine *en = corral_engine_new(rules, &opts, &sink);
    CHECK(en != NULL);
    for (size_t i = 0; i < n; i++) {
        CHECK(corral_engine_add(en, &prog[order[i]].a) == CORRAL_OK);
    }
    CHECK(corral_engine_flush(en) == CORRAL_OK);
    struct corral_engine_stats st;
    corral_engine_stats(en, &st);
    CHECK(st.alerts + st.too_late == n && st.duplicates == 0);
    CHECK(st.open_alerts == 0);
    corral_engine_free(en);
    qsort(out->lines, out->n, sizeof(*out->lines), line_cmp);
    return st.too_late;
}

static void same(const struct found *a, const struct found *b)
{
    if (a->overflow || b->overflow) {
        return; /* a line was cut: comparing would not be fair */
    }
    CHECK(a->n == b->n);
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->lines[i], b->lines[i]) != 0) {
            fprintf(stderr, "fuzz_engine: %s\n         vs %s\n", a->lines[i], b->lines[i]);
            CHECK(0);
        }
    }
}

static const struct palert *by_time_prog;

static int by_time(const void *pa, const void *pb)
{
    const struct corral_alert *x = &by_time_prog[*(const size_t *)pa].a;
    const struct corral_alert *y = &by_time_prog[*(const size_t *)pb].a;
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    return strcmp(x->id, y->id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size / 8;
    if (n > MAX_ALERTS) {
        n = MAX_ALERTS;
    }
    struct palert *prog = malloc((n > 0 ? n : 1) * sizeof(*prog));
    size_t *order = malloc((n > 0 ? n : 1) * sizeof(*order));
    CHECK(prog != NULL && order != NULL);
    decode_program(data, n, prog);

    struct found given = {0}, timed = {0}, shuffled = {0}, streamed = {0}, clocks = {0},
                 shards = {0}, timed_day = {0}, shuffled_day = {0};
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
    }
    const struct corral_engine_opts plain = {0}, stream = {.stream = 1},
                                    clock_each = {.scope_lag = 2 * LATENESS},
                                    one_day = {.max_span = 24 * 60 * MINUTE};
    uint64_t late = run(prog, order, n, plain, &given);
    by_time_prog = prog;
    qsort(order, n, sizeof(*order), by_time);
    CHECK(run(prog, order, n, plain, &timed) == 0);
    CHECK(run(prog, order, n, stream, &streamed) == 0);
    CHECK(run(prog, order, n, clock_each, &clocks) == 0);
    CHECK(run(prog, order, n, one_day, &timed_day) == 0);
    /* One engine per scope: what each finds, together, is what one engine finds. */
    size_t *part = malloc((n > 0 ? n : 1) * sizeof(*part));
    CHECK(part != NULL);
    for (int scope = 0; scope < 2; scope++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if ((strcmp(prog[order[i]].a.scope, "scope-b") == 0) == scope) {
                part[m++] = order[i];
            }
        }
        CHECK(run(prog, part, m, plain, &shards) == 0);
    }
    free(part);
    qsort(shards.lines, shards.n, sizeof(*shards.lines), line_cmp);
    /* Reverse each stretch of time-ordered alerts shorter than the lateness: none is late. */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && prog[order[j]].a.start - prog[order[i]].a.start < LATENESS) {
            j++;
        }
        for (size_t lo = i, hi = j - 1; lo < hi; lo++, hi--) {
            size_t tmp = order[lo];
            order[lo] = order[hi];
            order[hi] = tmp;
        }
        i = j;
    }
    CHECK(run(prog, order, n, plain, &shuffled) == 0);
    CHECK(run(prog, order, n, one_day, &shuffled_day) == 0);

    same(&timed, &shuffled);
    same(&timed, &streamed);
    same(&timed, &clocks);
    same(&timed, &shards);
    same(&timed_day, &shuffled_day);
    if (late == 0) {
        same(&timed, &given);
    }
    free(given.lines);
    free(timed.lines);
    free(shuffled.lines);
    free(clocks.lines);
    free(shards.lines);
    free(timed_day.lines);
    free(shuffled_day.lines);
    free(streamed.lines);
    free(prog);
    free(order);
    return 0;
}
