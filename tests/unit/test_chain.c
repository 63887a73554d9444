/*
 * test_chain.c - the machine chain: the largest kill-chain-ordered subset from
 * 2+ plans over 2+ stages, the earliest among equals, and the kind rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/chain.h"

#define MAX 16

/* An alert at minute t, with a plan and a stage mask. */
static struct corral_ealert *mk(int t, enum corral_plan plan, uint16_t stages)
{
    static const struct corral_entity vm = {CORRAL_ENT_VM, 3, "vm1"};
    char id[32];
    snprintf(id, sizeof(id), "a%03d", t);
    struct corral_alert a = {
        .id = id, .alert_type = "", .display_name = "", .product_component = "", .scope = "s",
        .plan = plan, .stages = stages, .start = (corral_time)t * 600000000LL,
        .entities = &vm, .n_entities = 1,
    };
    return corral_ealert_new(&a);
}

#define S(n) ((uint16_t)(1u << (n)))

static uint32_t run(struct corral_ealert **al, uint32_t n, uint32_t *idx, uint8_t *stg)
{
    uint32_t count = 99;
    assert_int_equal(corral_chain_find(al, n, idx, stg, &count), CORRAL_OK);
    return count;
}

static void free_all(struct corral_ealert **al, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        corral_ealert_free(al[i]);
    }
}

static void simple_climb(void **state)
{
    (void)state;
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(1)),
                                  mk(2, CORRAL_PLAN_RESOURCEMANAGER, S(5)),
                                  mk(3, CORRAL_PLAN_SERVERS, S(8))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 3, idx, stg), 3);
    assert_int_equal(stg[0], 1);
    assert_int_equal(stg[1], 5);
    assert_int_equal(stg[2], 8);
    free_all(al, 3);
}

static void single_plan_is_no_chain(void **state)
{
    (void)state;
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(1)), mk(2, CORRAL_PLAN_SERVERS, S(5)),
                                  mk(3, CORRAL_PLAN_SERVERS, S(8))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 3, idx, stg), 0);
    free_all(al, 3);
}

static void one_stage_is_no_chain(void **state)
{
    (void)state;
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(8)),
                                  mk(2, CORRAL_PLAN_RESOURCEMANAGER, S(8))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 2, idx, stg), 0);
    free_all(al, 2);
}

static void going_back_is_left_out(void **state)
{
    (void)state;
    /* stage 8, then 2 (back), then 10: the 2 cannot join after the 8. */
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(8)),
                                  mk(2, CORRAL_PLAN_STORAGE, S(2)),
                                  mk(3, CORRAL_PLAN_RESOURCEMANAGER, S(10))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 3, idx, stg), 2);
    /* Two subsets of 2 are valid ({0,2} and {1,2}); the earliest is {0,2}. */
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 2);
    free_all(al, 3);
}

static void longest_must_still_have_two_plans(void **state)
{
    (void)state;
    /* Servers 1,2,3 is longest but single-plan; Servers 1,2 + ResourceManager 2 is valid. */
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(1)), mk(2, CORRAL_PLAN_SERVERS, S(2)),
                                  mk(3, CORRAL_PLAN_SERVERS, S(3)),
                                  mk(4, CORRAL_PLAN_RESOURCEMANAGER, S(2))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 4, idx, stg), 3);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    assert_int_equal(idx[2], 3);
    free_all(al, 4);
}

static void multi_stage_alert_takes_what_fits(void **state)
{
    (void)state;
    /* The middle alert may be stage 1 or 9; 9 would block stage 5 after it. */
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(0)),
                                  mk(2, CORRAL_PLAN_DNS, S(1) | S(9)),
                                  mk(3, CORRAL_PLAN_SERVERS, S(5))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 3, idx, stg), 3);
    assert_int_equal(stg[1], 1);
    free_all(al, 3);
}

static void unstaged_alerts_never_join(void **state)
{
    (void)state;
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(1)), mk(2, CORRAL_PLAN_STORAGE, 0),
                                  mk(3, CORRAL_PLAN_RESOURCEMANAGER, S(4))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 3, idx, stg), 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 2);
    free_all(al, 3);
}

static void equal_stages_allowed(void **state)
{
    (void)state;
    /* Staying on a stage is not going back. */
    struct corral_ealert *al[] = {mk(1, CORRAL_PLAN_SERVERS, S(4)),
                                  mk(2, CORRAL_PLAN_STORAGE, S(4)),
                                  mk(3, CORRAL_PLAN_SERVERS, S(6))};
    uint32_t idx[MAX];
    uint8_t stg[MAX];
    assert_int_equal(run(al, 3, idx, stg), 3);
    free_all(al, 3);
}

static void kind_conditions(void **state)
{
    (void)state;
    struct corral_chain_cond one_botnet = {1, 1, CORRAL_CHAIN_BOTNET, -1, 0};
    struct corral_chain_cond many_out = {2, 0, CORRAL_CHAIN_OUTGOING, -1, 0};
    struct corral_chain_cond neither_p = {1, 0, CORRAL_CHAIN_NEITHER, 2, 0};
    struct corral_chain_facts f = {.vms = 1, .botnet = 1, .outgoing = 1, .max_stage = 5};
    assert_true(corral_chain_fits(&one_botnet, &f));
    f.vms = 2;
    assert_false(corral_chain_fits(&one_botnet, &f));
    assert_false(corral_chain_fits(&many_out, &f)); /* botnet wins over outgoing */
    f.botnet = 0;
    assert_true(corral_chain_fits(&many_out, &f));
    assert_false(corral_chain_fits(&neither_p, &f));
    f.outgoing = 0;
    assert_true(corral_chain_fits(&neither_p, &f));
    f.max_stage = 1;
    assert_false(corral_chain_fits(&neither_p, &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_climb),
        cmocka_unit_test(single_plan_is_no_chain),
        cmocka_unit_test(one_stage_is_no_chain),
        cmocka_unit_test(going_back_is_left_out),
        cmocka_unit_test(longest_must_still_have_two_plans),
        cmocka_unit_test(multi_stage_alert_takes_what_fits),
        cmocka_unit_test(unstaged_alerts_never_join),
        cmocka_unit_test(equal_stages_allowed),
        cmocka_unit_test(kind_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
