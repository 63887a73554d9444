/* test_hashmap.c - the map against a plain array under random puts, gets and deletes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/hashmap.h"

enum { KEYS = 3000 };

static void random_operations(void **state)
{
    (void)state;
    static char keys[KEYS][16];
    static int present[KEYS];
    static int values[KEYS];
    for (int i = 0; i < KEYS; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key-%d", i * 7919);
    }
    corral_map *m = corral_map_new();
    assert_non_null(m);
    uint64_t x = 99;
    size_t count = 0;
    for (int op = 0; op < 200000; op++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)((x >> 33) % KEYS);
        int what = (int)((x >> 20) % 3);
        size_t len = strlen(keys[k]);
        if (what == 0) {
            assert_int_equal(corral_map_put(m, keys[k], len, &values[k]), CORRAL_OK);
            count += !present[k];
            present[k] = 1;
        } else if (what == 1) {
            void *v = corral_map_del(m, keys[k], len);
            assert_ptr_equal(v, present[k] ? &values[k] : NULL);
            count -= present[k];
            present[k] = 0;
        } else {
            assert_ptr_equal(corral_map_get(m, keys[k], len), present[k] ? &values[k] : NULL);
        }
        assert_int_equal(corral_map_count(m), count);
    }
    /* Iteration sees exactly the present keys. */
    size_t pos = 0, seen = 0;
    const void *key;
    size_t len;
    void *value;
    while (corral_map_next(m, &pos, &key, &len, &value)) {
        int k = (int)((int *)value - values);
        assert_true(present[k]);
        assert_memory_equal(key, keys[k], len);
        seen++;
    }
    assert_int_equal(seen, count);
    corral_map_free(m);
}

static void prefix_keys_are_distinct(void **state)
{
    (void)state;
    corral_map *m = corral_map_new();
    int a, b;
    corral_map_put(m, "abc", 3, &a);
    corral_map_put(m, "abcd", 4, &b);
    assert_ptr_equal(corral_map_get(m, "abc", 3), &a);
    assert_ptr_equal(corral_map_get(m, "abcd", 4), &b);
    assert_null(corral_map_get(m, "ab", 2));
    assert_true(corral_hash("abc", 3, 0) != corral_hash("abc", 3, 1));
    corral_map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_operations),
        cmocka_unit_test(prefix_keys_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
