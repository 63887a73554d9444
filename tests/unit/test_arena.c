/* test_arena.c - the bump allocator: alignment, growth, reset reuse, strndup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"

static void alignment_and_independence(void **state)
{
    (void)state;
    corral_arena *a = corral_arena_new();
    assert_non_null(a);
    char *p1 = corral_arena_alloc(a, 1);
    char *p2 = corral_arena_alloc(a, 3);
    uint64_t *p3 = corral_arena_alloc(a, sizeof(uint64_t) * 4);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_non_null(p3);
    assert_int_equal((uintptr_t)p1 % 16, 0);
    assert_int_equal((uintptr_t)p2 % 16, 0);
    assert_int_equal((uintptr_t)p3 % 16, 0);
    memset(p1, 'a', 1);
    memset(p2, 'b', 3);
    memset(p3, 0xff, sizeof(uint64_t) * 4);
    assert_int_equal(p1[0], 'a');
    assert_int_equal(p2[2], 'b');
    assert_int_equal(corral_arena_used(a), 16 + 16 + 32);
    corral_arena_free(a);
}

static void grows_past_chunk_size(void **state)
{
    (void)state;
    corral_arena *a = corral_arena_new();
    /* Larger than the first chunk, and many small ones after it. */
    char *big = corral_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    memset(big, 7, 1 << 20);
    char *last = NULL;
    for (int i = 0; i < 10000; i++) {
        last = corral_arena_alloc(a, 100);
        assert_non_null(last);
        memset(last, i & 0xff, 100);
    }
    assert_int_equal(big[(1 << 20) - 1], 7);
    assert_int_equal((unsigned char)last[99], 9999 & 0xff);
    corral_arena_free(a);
}

static void reset_reuses_memory(void **state)
{
    (void)state;
    corral_arena *a = corral_arena_new();
    for (int i = 0; i < 100; i++) {
        assert_non_null(corral_arena_alloc(a, 1000));
    }
    corral_arena_reset(a);
    assert_int_equal(corral_arena_used(a), 0);
    char *p = corral_arena_alloc(a, 10);
    assert_non_null(p);
    assert_int_equal(corral_arena_used(a), 16);
    corral_arena_free(a);
}

static void strndup_copies_and_terminates(void **state)
{
    (void)state;
    corral_arena *a = corral_arena_new();
    const char src[] = "Storage.Blob_TorAnomaly-and-more";
    char *s = corral_arena_strndup(a, src, 23);
    assert_string_equal(s, "Storage.Blob_TorAnomaly");
    char *e = corral_arena_strndup(a, NULL, 0);
    assert_string_equal(e, "");
    corral_arena_free(a);
}

static void free_null_is_noop(void **state)
{
    (void)state;
    corral_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alignment_and_independence),
        cmocka_unit_test(grows_past_chunk_size),
        cmocka_unit_test(reset_reuses_memory),
        cmocka_unit_test(strndup_copies_and_terminates),
        cmocka_unit_test(free_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
