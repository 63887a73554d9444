/*
 * test_engine.c - the engine's mechanics: event time and the watermark,
 * duplicates, eviction (memory follows the open window), output order,
 * specific-before-generic, machine components tied across vms, and the same
 * output for any arrival order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "rules/rules_file.h"

#define MIN (60LL * 10000000LL)
#define HOUR (60 * MIN)

static const char rules_yaml[] =
    "version: 1\n"
    "window: 24h\n"
    "rules:\n"
    "  - kind: user-generic\n"
    "    title: generic user\n"
    "    severity: High\n"
    "    specificity: 0\n"
    "    scenarios:\n"
    "      - entity: user\n"
    "        description: d\n"
    "  - kind: user-mining\n"
    "    title: mining after account\n"
    "    severity: High\n"
    "    scenarios:\n"
    "      - entity: user\n"
    "        following: {first: {signal: account}, then: {signal: crypto_mining}}\n"
    "        description: d\n"
    "  - kind: machine-chain\n"
    "    title: chain\n"
    "    severity: Medium/High\n"
    "    chain: {vms: 1+, with: any}\n"
    "    description: d\n";

struct collected {
    char lines[64][256];
    unsigned n;
};

static void collect(void *ctx, const struct corral_incident *inc, enum corral_incident_event ev)
{
    struct collected *c = ctx;
    if (ev != CORRAL_INC_FINAL || c->n == 64) {
        return;
    }
    int len = snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s %s %s:", inc->kind, inc->id,
                       inc->entity_key);
    for (uint32_t i = 0; i < inc->n_members && len < 200; i++) {
        len += snprintf(c->lines[c->n] + len, sizeof(c->lines[0]) - (size_t)len, " %s",
                        inc->links[i].alert->id);
    }
    c->n++;
}

static struct corral_ruleset *rules(void)
{
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs;
    corral_rules_errors_init(&errs);
    corral_err err = corral_rules_load_buffer("test", rules_yaml, sizeof(rules_yaml) - 1, &rs, &errs);
    if (err != CORRAL_OK) {
        corral_rules_errors_print(&errs, stderr);
    }
    corral_rules_errors_release(&errs);
    assert_int_equal(err, CORRAL_OK);
    return rs;
}

struct spec {
    const char *id;
    int minute;
    enum corral_plan plan;
    uint32_t signals;
    const char *user; /* NULL: none */
    const char *vm;   /* NULL: none */
    uint16_t stages;
};

static void add(corral_engine *en, const struct spec *s)
{
    struct corral_entity ents[2];
    uint32_t n = 0;
    if (s->user != NULL) {
        ents[n++] = (struct corral_entity){CORRAL_ENT_USER, (uint32_t)strlen(s->user), s->user};
    }
    if (s->vm != NULL) {
        ents[n++] = (struct corral_entity){CORRAL_ENT_VM, (uint32_t)strlen(s->vm), s->vm};
    }
    struct corral_alert a = {
        .id = s->id, .alert_type = "T", .display_name = "D", .product_component = "",
        .scope = "scope-a", .plan = s->plan, .signals = s->signals, .stages = s->stages,
        .severity = CORRAL_SEV_HIGH, .start = (corral_time)s->minute * MIN, .end = CORRAL_TIME_NONE,
        .generated = CORRAL_TIME_NONE, .entities = ents, .n_entities = n,
    };
    assert_int_equal(corral_engine_add(en, &a), CORRAL_OK);
}

static void run(const struct spec *specs, size_t n, const size_t *order, corral_time lateness,
                struct collected *out, struct corral_engine_stats *stats)
{
    struct corral_ruleset *rs = rules();
    struct corral_engine_opts opts = {.lateness = lateness};
    struct corral_incident_sink sink = {out, collect};
    corral_engine *en = corral_engine_new(rs, &opts, &sink);
    assert_non_null(en);
    for (size_t i = 0; i < n; i++) {
        add(en, &specs[order != NULL ? order[i] : i]);
    }
    assert_int_equal(corral_engine_flush(en), CORRAL_OK);
    if (stats != NULL) {
        corral_engine_stats(en, stats);
    }
    corral_engine_free(en);
    corral_ruleset_free(rs);
}

#define ACC CORRAL_SIG_ACCOUNT
#define MINE CORRAL_SIG_CRYPTO_MINING

static void suppression_and_order(void **state)
{
    (void)state;
    /* u1: account then mining -> user-mining; user-generic holds the same alerts: suppressed.
     * u2: two plans, no mining -> user-generic only. */
    const struct spec s[] = {
        {"a1", 10, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
        {"a2", 20, CORRAL_PLAN_SERVERS, ACC | MINE, "u1", NULL, 0},
        {"b1", 5, CORRAL_PLAN_KEYVAULT, ACC, "u2", NULL, 0},
        {"b2", 30, CORRAL_PLAN_STORAGE, ACC, "u2", NULL, 0},
    };
    struct collected c = {.n = 0};
    struct corral_engine_stats st;
    run(s, 4, NULL, 24 * HOUR, &c, &st);
    assert_int_equal(c.n, 2);
    /* Sorted by first activity: u2's incident (minute 5) before u1's (minute 10). */
    assert_non_null(strstr(c.lines[0], "user-generic"));
    assert_non_null(strstr(c.lines[0], "u2: b1 b2"));
    assert_non_null(strstr(c.lines[1], "user-mining"));
    assert_non_null(strstr(c.lines[1], "u1: a1 a2"));
    assert_int_equal(st.suppressed, 1);
}

static void any_order_same_output(void **state)
{
    (void)state;
    const struct spec s[] = {
        {"a1", 10, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
        {"a2", 20, CORRAL_PLAN_SERVERS, MINE, "u1", "vm1", 1u << 8},
        {"a3", 25, CORRAL_PLAN_STORAGE, ACC, "u1", NULL, 0},
        {"b1", 5, CORRAL_PLAN_KEYVAULT, ACC, "u2", "vm1", 1u << 1},
        {"b2", 30, CORRAL_PLAN_STORAGE, ACC, "u2", NULL, 0},
        {"c1", 40 * 60, CORRAL_PLAN_KEYVAULT, ACC, "u2", NULL, 0},
        {"c2", 41 * 60, CORRAL_PLAN_DNS, ACC, "u2", NULL, 0},
    };
    struct collected ref = {.n = 0};
    run(s, 7, NULL, 1000 * 24 * HOUR, &ref, NULL);
    assert_true(ref.n >= 3);
    size_t order[7] = {0, 1, 2, 3, 4, 5, 6};
    unsigned seed = 12345;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 6; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            size_t j = (seed >> 8) % (i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        struct collected got = {.n = 0};
        run(s, 7, order, 1000 * 24 * HOUR, &got, NULL);
        assert_int_equal(got.n, ref.n);
        for (unsigned k = 0; k < ref.n; k++) {
            assert_string_equal(got.lines[k], ref.lines[k]);
        }
    }
}

static void window_splits_sessions(void **state)
{
    (void)state;
    /* 24h apart exactly: one session; 24h + 1 minute: two sessions, no incident. */
    const struct spec joined[] = {
        {"a1", 0, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
        {"a2", 24 * 60, CORRAL_PLAN_SERVERS, ACC, "u1", NULL, 0},
    };
    struct collected c = {.n = 0};
    run(joined, 2, NULL, 24 * HOUR, &c, NULL);
    assert_int_equal(c.n, 1);
    const struct spec apart[] = {
        {"a1", 0, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
        {"a2", 24 * 60 + 1, CORRAL_PLAN_SERVERS, ACC, "u1", NULL, 0},
    };
    struct collected d = {.n = 0};
    run(apart, 2, NULL, 24 * HOUR, &d, NULL);
    assert_int_equal(d.n, 0);
}

static void duplicates_and_late(void **state)
{
    (void)state;
    const struct spec s[] = {
        {"a1", 0, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
        {"a1", 0, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
        {"a2", 10 * 24 * 60, CORRAL_PLAN_SERVERS, ACC, "u9", NULL, 0},
        {"a3", 1, CORRAL_PLAN_SERVERS, ACC, "u1", NULL, 0}, /* 10 days late */
    };
    struct collected c = {.n = 0};
    struct corral_engine_stats st;
    run(s, 4, NULL, 24 * HOUR, &c, &st);
    assert_int_equal(st.alerts, 2);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.too_late, 1);
    assert_int_equal(c.n, 0);
}

/*
 * 20,000 alerts over 200 days, 100 a day, a new user every per_user alerts:
 * the open alerts must stay about one day's plus the lateness, never the
 * history, and be none after the flush. Returns the incidents found.
 */
static unsigned open_alerts_follow_the_window(int per_user)
{
    struct corral_ruleset *rs = rules();
    struct corral_engine_opts opts = {.lateness = HOUR};
    struct collected c = {.n = 0};
    struct corral_incident_sink sink = {&c, collect};
    corral_engine *en = corral_engine_new(rs, &opts, &sink);
    char id[32], user[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "x%05d", i);
        snprintf(user, sizeof(user), "user%d", i / per_user);
        struct spec s = {id, i * 144 / 10, (i & 1) ? CORRAL_PLAN_SERVERS : CORRAL_PLAN_STORAGE, ACC,
                         user, NULL, 0};
        add(en, &s);
    }
    struct corral_engine_stats st;
    corral_engine_stats(en, &st);
    assert_true(st.peak_open_alerts < 300);
    assert_int_equal(corral_engine_flush(en), CORRAL_OK);
    corral_engine_stats(en, &st);
    assert_int_equal(st.open_alerts, 0);
    corral_engine_free(en);
    corral_ruleset_free(rs);
    return c.n;
}

static void memory_follows_the_window(void **state)
{
    (void)state;
    /* Each user active for a day: an incident each (suppressed or not, 64 are collected). */
    assert_true(open_alerts_follow_the_window(100) > 0);
}

/*
 * Entities named once (held by their lone alert, without an entity record):
 * let go once the window has passed, and taken over by a record when a second
 * alert comes, even one that starts earlier (late but within the lateness).
 */
static void lone_entities(void **state)
{
    (void)state;
    /* Every user named once: no incident, and the lone alerts are let go in time. */
    assert_int_equal(open_alerts_follow_the_window(1), 0);

    /* b2 first, alone; b1 starts 10 hours before it and arrives after: one incident of both. */
    const struct spec late[] = {
        {"b2", 600, CORRAL_PLAN_SERVERS, ACC, "u1", NULL, 0},
        {"b9", 900, CORRAL_PLAN_SERVERS, ACC, "u9", NULL, 0},
        {"b1", 0, CORRAL_PLAN_RESOURCEMANAGER, ACC, "u1", NULL, 0},
    };
    struct collected d = {.n = 0};
    run(late, 3, NULL, 24 * HOUR, &d, NULL);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.lines[0], ": b1 b2"));
}

static void machines_tied_by_user(void **state)
{
    (void)state;
    /* vm1 and vm2 both have alerts naming u7: one component; chain over both vms. */
    const struct spec s[] = {
        {"m1", 0, CORRAL_PLAN_SERVERS, 0, "u7", "vm1", 1u << 1},
        {"m2", 30, CORRAL_PLAN_STORAGE, 0, "u7", "vm2", 1u << 8},
        {"m3", 60, CORRAL_PLAN_SERVERS, 0, NULL, "vm3", 1u << 9},
    };
    struct collected c = {.n = 0};
    run(s, 3, NULL, 24 * HOUR, &c, NULL);
    int found = 0;
    for (unsigned i = 0; i < c.n; i++) {
        if (strstr(c.lines[i], "machine-chain") != NULL) {
            found = 1;
            assert_non_null(strstr(c.lines[i], "vm1,vm2: m1 m2"));
        }
    }
    assert_true(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suppression_and_order),
        cmocka_unit_test(any_order_same_output),
        cmocka_unit_test(window_splits_sessions),
        cmocka_unit_test(duplicates_and_late),
        cmocka_unit_test(memory_follows_the_window),
        cmocka_unit_test(lone_entities),
        cmocka_unit_test(machines_tied_by_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
