/*
 * test_scenario.c - entity rules over one session: counts, distinct plans,
 * requirements, `following` (order, equal times, different alerts, another
 * plan), distinct vms, and which alerts are marked as satisfying the rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/scenario.h"

static struct corral_entity vm1 = {CORRAL_ENT_VM, 3, "vm1"};
static struct corral_entity vm2 = {CORRAL_ENT_VM, 3, "vm2"};

/* An alert at minute t with plan and signals, optionally on a vm. */
static struct corral_ealert *mk(const char *id, int t, enum corral_plan plan, uint32_t signals,
                                const struct corral_entity *vm)
{
    struct corral_alert a = {
        .id = id, .alert_type = "", .display_name = "", .product_component = "", .scope = "s",
        .plan = plan, .signals = signals, .start = (corral_time)t * 600000000LL,
        .entities = vm, .n_entities = vm != NULL ? 1 : 0,
    };
    return corral_ealert_new(&a);
}

static struct corral_scenario base(void)
{
    struct corral_scenario s;
    memset(&s, 0, sizeof(s));
    s.number = 1;
    s.entity_types = 1u << CORRAL_ENT_RESOURCE;
    s.min_alerts = 2;
    s.min_plans = 2;
    s.window = 24LL * 3600 * 10000000LL;
    return s;
}

static const char *const req[CORRAL_MAX_REQUIRE] = {"r0", "r1", "r2", "r3"};

static int eval(const struct corral_scenario *s, struct corral_ealert **al, uint32_t n,
                struct corral_link *links)
{
    return corral_scenario_eval(s, al, n, CORRAL_ENT_RESOURCE, "res", req, links);
}

static void free_all(struct corral_ealert **al, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        corral_ealert_free(al[i]);
    }
}

static void two_plans_needed(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    struct corral_link links[4];
    struct corral_ealert *same[] = {mk("a", 1, CORRAL_PLAN_SERVERS, 0, NULL),
                                    mk("b", 2, CORRAL_PLAN_SERVERS, 0, NULL)};
    assert_false(eval(&s, same, 2, links));
    struct corral_ealert *two[] = {mk("c", 1, CORRAL_PLAN_SERVERS, 0, NULL),
                                   mk("d", 2, CORRAL_PLAN_STORAGE, 0, NULL)};
    assert_true(eval(&s, two, 2, links));
    assert_int_equal(links[0].role, CORRAL_LINK_RULE);
    assert_int_equal(links[1].role, CORRAL_LINK_RULE);
    assert_string_equal(links[0].via_key, "res");
    /* One plan suffices when the scenario says so (suspicious API activity). */
    s.min_plans = 1;
    assert_true(eval(&s, same, 2, links));
    free_all(same, 2);
    free_all(two, 2);
}

static void unknown_plan_is_not_a_plan(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    struct corral_link links[2];
    struct corral_ealert *al[] = {mk("a", 1, CORRAL_PLAN_SERVERS, 0, NULL),
                                  mk("b", 2, CORRAL_PLAN_UNKNOWN, 0, NULL)};
    assert_false(eval(&s, al, 2, links));
    free_all(al, 2);
}

static void requirement_met_and_named(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    s.require[0].plans = 1u << CORRAL_PLAN_KEYVAULT;
    s.n_require = 1;
    struct corral_link links[3];
    struct corral_ealert *no[] = {mk("a", 1, CORRAL_PLAN_SERVERS, 0, NULL),
                                  mk("b", 2, CORRAL_PLAN_STORAGE, 0, NULL)};
    assert_false(eval(&s, no, 2, links));
    struct corral_ealert *yes[] = {mk("c", 1, CORRAL_PLAN_SERVERS, 0, NULL),
                                   mk("d", 2, CORRAL_PLAN_SERVERS, 0, NULL),
                                   mk("e", 3, CORRAL_PLAN_KEYVAULT, 0, NULL)};
    assert_true(eval(&s, yes, 3, links));
    assert_string_equal(links[2].requirement, "r0");
    assert_int_equal(links[2].role, CORRAL_LINK_RULE);
    /* The KeyVault alert and the first Servers alert make 2 plans; d is context. */
    assert_int_equal(links[0].role, CORRAL_LINK_RULE);
    assert_int_equal(links[1].role, CORRAL_LINK_CONTEXT);
    free_all(no, 2);
    free_all(yes, 3);
}

static void following_order(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    s.has_following = 1;
    s.first.signals = CORRAL_SIG_ACCOUNT;
    s.then.signals = CORRAL_SIG_CRYPTO_MINING;
    struct corral_link links[3];
    /* Mining before the account alert: wrong order. */
    struct corral_ealert *wrong[] = {mk("a", 1, CORRAL_PLAN_SERVERS, CORRAL_SIG_CRYPTO_MINING, NULL),
                                     mk("b", 2, CORRAL_PLAN_RESOURCEMANAGER, CORRAL_SIG_ACCOUNT,
                                        NULL)};
    assert_false(eval(&s, wrong, 2, links));
    /* Equal start times count as following. */
    struct corral_ealert *equal[] = {mk("c", 5, CORRAL_PLAN_SERVERS, CORRAL_SIG_CRYPTO_MINING, NULL),
                                     mk("d", 5, CORRAL_PLAN_RESOURCEMANAGER, CORRAL_SIG_ACCOUNT,
                                        NULL)};
    assert_true(eval(&s, equal, 2, links));
    assert_string_equal(links[1].following, "first");
    assert_string_equal(links[0].following, "then");
    assert_ptr_equal(links[0].after, &equal[1]->a);
    /* One alert with both signals is not a pair by itself. */
    struct corral_ealert *one[] = {mk("e", 1, CORRAL_PLAN_SERVERS,
                                      CORRAL_SIG_ACCOUNT | CORRAL_SIG_CRYPTO_MINING, NULL),
                                   mk("f", 2, CORRAL_PLAN_STORAGE, 0, NULL)};
    assert_false(eval(&s, one, 2, links));
    /* ...but it pairs with another account alert before it, and context joins. */
    struct corral_ealert *pair[] = {mk("g", 0, CORRAL_PLAN_DNS, 0, NULL),
                                    mk("h", 1, CORRAL_PLAN_STORAGE, CORRAL_SIG_ACCOUNT, NULL),
                                    mk("i", 2, CORRAL_PLAN_SERVERS,
                                       CORRAL_SIG_ACCOUNT | CORRAL_SIG_CRYPTO_MINING, NULL)};
    assert_true(eval(&s, pair, 3, links));
    assert_int_equal(links[0].role, CORRAL_LINK_CONTEXT);
    assert_int_equal(links[1].role, CORRAL_LINK_RULE);
    assert_int_equal(links[2].role, CORRAL_LINK_RULE);
    free_all(wrong, 2);
    free_all(equal, 2);
    free_all(one, 2);
    free_all(pair, 3);
}

static void following_another_plan(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    s.has_following = 1;
    s.first.signals = CORRAL_SIG_SAS;
    s.then.other_plan = 1;
    struct corral_link links[2];
    struct corral_ealert *same[] = {mk("a", 1, CORRAL_PLAN_STORAGE, CORRAL_SIG_SAS, NULL),
                                    mk("b", 2, CORRAL_PLAN_STORAGE, 0, NULL)};
    assert_false(eval(&s, same, 2, links));
    struct corral_ealert *other[] = {mk("c", 1, CORRAL_PLAN_STORAGE, CORRAL_SIG_SAS, NULL),
                                     mk("d", 2, CORRAL_PLAN_KEYVAULT, 0, NULL)};
    assert_true(eval(&s, other, 2, links));
    free_all(same, 2);
    free_all(other, 2);
}

static void distinct_vms(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    s.min_vms = 2;
    struct corral_link links[2];
    struct corral_ealert *one[] = {mk("a", 1, CORRAL_PLAN_SERVERS, 0, &vm1),
                                   mk("b", 2, CORRAL_PLAN_STORAGE, 0, &vm1)};
    assert_false(eval(&s, one, 2, links));
    struct corral_ealert *two[] = {mk("c", 1, CORRAL_PLAN_SERVERS, 0, &vm1),
                                   mk("d", 2, CORRAL_PLAN_STORAGE, 0, &vm2)};
    assert_true(eval(&s, two, 2, links));
    free_all(one, 2);
    free_all(two, 2);
}

static void describe_reads_well(void **state)
{
    (void)state;
    struct corral_scenario s = base();
    s.has_following = 1;
    s.first.signals = CORRAL_SIG_ACCOUNT;
    s.then.signals = CORRAL_SIG_CRYPTO_MINING;
    char buf[256];
    corral_scenario_describe(&s, buf, sizeof(buf));
    assert_string_equal(buf, "resource: signal crypto_mining following signal account; 2+ alerts "
                             "from 2+ plans within 24h");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_plans_needed),
        cmocka_unit_test(unknown_plan_is_not_a_plan),
        cmocka_unit_test(requirement_met_and_named),
        cmocka_unit_test(following_order),
        cmocka_unit_test(following_another_plan),
        cmocka_unit_test(distinct_vms),
        cmocka_unit_test(describe_reads_well),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
