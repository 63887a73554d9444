/*
 * test_build.c - the derived fields of an incident (build.c): the id against
 * the printf format it is written in, and the entity union against a sort of
 * every member's entities with the repeats dropped, whether the members'
 * lists are sorted as alert.h says or not, short or past the stack's room.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/build.h"
#include "util/hashmap.h"

static void id_is_the_printf_format(void **state)
{
    (void)state;
    char scen[12], key[32];
    for (unsigned i = 0; i < 500; i++) {
        snprintf(scen, sizeof scen, "%u", i % 7);
        snprintf(key, sizeof key, "10.0.%u.%u", i / 256, i % 256);
        const char *parts[] = {"kind", scen, i % 3 ? "scope" : "", "ip", key};
        char got[40];
        corral_incident_id(got, parts, 5);

        /* The hash as build.c chains it, written the way it always was. */
        uint64_t h1 = 0x9e3779b97f4a7c15ULL, h2 = 0x6a09e667f3bcc909ULL;
        for (size_t p = 0; p < 5; p++) {
            size_t len = strlen(parts[p]);
            h1 = corral_hash(parts[p], len, h1 ^ (uint64_t)len);
            h2 = corral_hash(parts[p], len, h2 + (uint64_t)len * 0x100000001b3ULL);
        }
        char want[40];
        snprintf(want, sizeof want, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(h1 >> 32),
                 (unsigned)(h1 >> 16) & 0xffff, (unsigned)h1 & 0xffff, (unsigned)(h2 >> 48),
                 (unsigned long long)(h2 & 0xffffffffffffULL));
        assert_string_equal(got, want);
    }
}

#define MEMBERS 40
#define PER_ALERT 16

/* Members whose entities are drawn from a small pool, so that many repeat. */
struct members {
    char keys[64][8];
    struct corral_entity ents[MEMBERS][PER_ALERT];
    struct corral_alert alerts[MEMBERS];
    struct corral_link links[MEMBERS];
    struct corral_incident inc;
    size_t total;
};

static int ref_cmp(const void *pa, const void *pb)
{
    const struct corral_entity *a = pa;
    const struct corral_entity *b = pb;
    if (a->type != b->type) {
        return a->type < b->type ? -1 : 1;
    }
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

/* n members of up to per entities each; sorted: each member's list sorted and distinct. */
static void make_members(struct members *m, uint32_t n, uint32_t per, int sorted, unsigned seed)
{
    memset(m, 0, sizeof *m);
    for (unsigned k = 0; k < 64; k++) {
        /* Keys of different lengths that share prefixes: "k", "k1", "k12"... */
        snprintf(m->keys[k], sizeof m->keys[k], "k%u", k % 9 == 0 ? k / 9 : k * 7);
    }
    srand(seed);
    m->total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t count = (uint32_t)rand() % (per + 1);
        for (uint32_t j = 0; j < count; j++) {
            const char *key = m->keys[rand() % 64];
            m->ents[i][j] = (struct corral_entity){(enum corral_entity_type)(rand() % 3),
                                                   (uint32_t)strlen(key), key};
        }
        if (sorted && count > 1) {
            qsort(m->ents[i], count, sizeof(struct corral_entity), ref_cmp);
            uint32_t w = 1;
            for (uint32_t r = 1; r < count; r++) {
                if (ref_cmp(&m->ents[i][w - 1], &m->ents[i][r]) != 0) {
                    m->ents[i][w++] = m->ents[i][r];
                }
            }
            count = w;
        }
        m->alerts[i] = (struct corral_alert){.id = "a",
                                             .scope = "s",
                                             .start = (corral_time)(i * 10),
                                             .entities = m->ents[i],
                                             .n_entities = count};
        m->links[i] = (struct corral_link){.alert = &m->alerts[i], .stage = -1};
        m->total += count;
    }
    m->inc.links = m->links;
    m->inc.n_members = n;
}

/* The union built, checked against every member's entities sorted with the repeats dropped. */
static void check_union(struct members *m)
{
    struct corral_rule rule;
    memset(&rule, 0, sizeof rule);
    rule.severity = CORRAL_SEVRULE_HIGH;
    const char *parts[] = {"x"};
    struct corral_entity *owned = NULL;
    assert_int_equal(corral_incident_build(&m->inc, &rule, parts, 1, &owned), CORRAL_OK);
    assert_non_null(owned);
    assert_ptr_equal(owned, m->inc.entities);

    struct corral_entity *want = malloc((m->total > 0 ? m->total : 1) * sizeof(*want));
    assert_non_null(want);
    size_t k = 0;
    for (uint32_t i = 0; i < m->inc.n_members; i++) {
        for (uint32_t j = 0; j < m->alerts[i].n_entities; j++) {
            want[k++] = m->alerts[i].entities[j];
        }
    }
    qsort(want, k, sizeof(*want), ref_cmp);
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        if (n == 0 || ref_cmp(&want[n - 1], &want[i]) != 0) {
            want[n++] = want[i];
        }
    }
    assert_int_equal(m->inc.n_entities, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ref_cmp(&m->inc.entities[i], &want[i]), 0);
    }
    free(want);
    free(owned);
}

/* Fifty incidents of 1..MEMBERS members, their lists sorted (as alert.h says) or not. */
static void union_of_random_members(int sorted)
{
    static struct members m;
    for (unsigned seed = 1; seed <= 50; seed++) {
        make_members(&m, 1 + seed % MEMBERS, 1 + seed % PER_ALERT, sorted, seed);
        check_union(&m);
    }
}

static void union_of_sorted_lists(void **state)
{
    (void)state;
    union_of_random_members(1);
}

static void union_of_lists_out_of_order(void **state)
{
    (void)state;
    union_of_random_members(0);
}

static void union_past_the_stack(void **state)
{
    (void)state;
    static struct members m;
    make_members(&m, MEMBERS, PER_ALERT, 0, 7); /* about 40 * 8 entities */
    for (unsigned seed = 100; m.total <= 256; seed++) {
        make_members(&m, MEMBERS, PER_ALERT, seed % 2, seed);
    }
    check_union(&m);
}

static void union_of_none(void **state)
{
    (void)state;
    static struct members m;
    make_members(&m, 3, 0, 1, 1);
    assert_int_equal(m.total, 0);
    check_union(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(id_is_the_printf_format),
        cmocka_unit_test(union_of_sorted_lists),
        cmocka_unit_test(union_of_lists_out_of_order),
        cmocka_unit_test(union_past_the_stack),
        cmocka_unit_test(union_of_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
