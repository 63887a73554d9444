/* test_heap.c - the heaps (binary, and the 4-ary keyed one) against sorting, with duplicates
 * and interleaved pops. */
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

/*
 * The keyed heap against a plain array: random pushes (negative keys and
 * many duplicates) and pops in runs, across several growths; each pop is the
 * least key left, and its pointer is one pushed with that key.
 */
static void kheap_against_array(void **state)
{
    (void)state;
    struct corral_kheap h;
    corral_kheap_init(&h);
    assert_null(corral_kheap_top(&h));
    assert_int_equal(corral_kheap_pop(&h, NULL), 0);
    enum { N = 20000 };
    int64_t *left = malloc(N * sizeof(int64_t)); /* keys still in the heap, unordered */
    size_t n_left = 0;
    uint64_t x = 99;
    for (int round = 0; round < N; round++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t key = (int64_t)((x >> 33) % 2001) - 1000;
        /* The pointer carries the key, so that a pop can check it came with it. */
        assert_int_equal(corral_kheap_push(&h, key, (void *)(intptr_t)(key * 16)), CORRAL_OK);
        left[n_left++] = key;
        int pops = (x >> 20) % 7 == 0 ? (int)((x >> 24) % 40) : 0; /* runs of pops */
        for (int p = 0; p < pops && n_left > 0; p++) {
            size_t least = 0;
            for (size_t i = 1; i < n_left; i++) {
                if (left[i] < left[least]) {
                    least = i;
                }
            }
            const struct corral_kheap_item *top = corral_kheap_top(&h);
            assert_non_null(top);
            assert_int_equal(top->key, left[least]);
            struct corral_kheap_item out;
            assert_int_equal(corral_kheap_pop(&h, &out), 1);
            assert_int_equal(out.key, left[least]);
            assert_int_equal((intptr_t)out.ptr, out.key * 16);
            left[least] = left[--n_left];
        }
        assert_int_equal(h.count, n_left);
    }
    qsort(left, n_left, sizeof(int64_t), cmp_i64);
    for (size_t i = 0; i < n_left; i++) {
        struct corral_kheap_item out;
        assert_int_equal(corral_kheap_pop(&h, &out), 1);
        assert_int_equal(out.key, left[i]);
    }
    assert_null(corral_kheap_top(&h));
    free(left);
    corral_kheap_release(&h);
    corral_kheap_release(&h); /* twice is fine: released is empty */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_order),
        cmocka_unit_test(interleaved),
        cmocka_unit_test(kheap_against_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
