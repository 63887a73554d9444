/* test_heap.c - the binary heap against sorting, with duplicates and interleaved pops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/heap.h"

struct item {
    int64_t key;
    uint32_t tag;
};

static int item_less(const void *a, const void *b)
{
    return ((const struct item *)a)->key < ((const struct item *)b)->key;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void pops_in_order(void **state)
{
    (void)state;
    struct corral_heap h;
    corral_heap_init(&h, sizeof(struct item), item_less);
    assert_null(corral_heap_top(&h));
    assert_int_equal(corral_heap_pop(&h, NULL), 0);
    enum { N = 5000 };
    int64_t *keys = malloc(N * sizeof(int64_t));
    uint64_t x = 42;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        keys[i] = (int64_t)(x >> 40) % 1000; /* many duplicates */
        struct item it = {keys[i], (uint32_t)i};
        assert_int_equal(corral_heap_push(&h, &it), CORRAL_OK);
    }
    qsort(keys, N, sizeof(int64_t), cmp_i64);
    for (int i = 0; i < N; i++) {
        const struct item *top = corral_heap_top(&h);
        assert_non_null(top);
        assert_int_equal(top->key, keys[i]);
        struct item out;
        assert_int_equal(corral_heap_pop(&h, &out), 1);
        assert_int_equal(out.key, keys[i]);
    }
    assert_int_equal(h.count, 0);
    free(keys);
    corral_heap_release(&h);
}

static void interleaved(void **state)
{
    (void)state;
    /* Push and pop alternately; the popped sequence never goes below what is left. */
    struct corral_heap h;
    corral_heap_init(&h, sizeof(struct item), item_less);
    uint64_t x = 7;
    int64_t last = INT64_MIN;
    for (int round = 0; round < 20000; round++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        struct item it = {last + (int64_t)((x >> 33) % 100), 0};
        corral_heap_push(&h, &it);
        if (round % 3 == 2) {
            struct item out;
            assert_int_equal(corral_heap_pop(&h, &out), 1);
            assert_true(out.key >= last);
            last = out.key;
        }
    }
    corral_heap_release(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_order),
        cmocka_unit_test(interleaved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
