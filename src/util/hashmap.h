/*
 * hashmap.h - an open-addressing hash map from byte strings to pointers.
 *
 * The engine indexes alerts by systemAlertId and entities by (scope, type,
 * key): millions of lookups a second, so the map is flat (one array, linear
 * probing, the hash kept beside each slot) and borrows its keys: a key must
 * stay valid, unchanged, while it is in the map (the engine keeps keys inside
 * the values they map to).
 */
#ifndef CORRAL_UTIL_HASHMAP_H
#define CORRAL_UTIL_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct corral_map corral_map;

corral_map *corral_map_new(void); /* NULL when out of memory */
void corral_map_free(corral_map *map); /* NULL is a no-op; values are not freed */

/* The 64-bit hash corral uses for strings (also for deterministic ids). */
uint64_t corral_hash(const void *key, size_t len, uint64_t seed);

/*
 * The _h variants take the key's map hash, corral_map_hash(key, len), for a
 * caller that keeps it: a key looked up, inserted and later removed is then
 * hashed once.
 */
uint64_t corral_map_hash(const void *key, size_t len);
void *corral_map_get_h(const corral_map *map, const void *key, size_t len, uint64_t h);
corral_err corral_map_put_h(corral_map *map, const void *key, size_t len, uint64_t h, void *value);
void *corral_map_del_h(corral_map *map, const void *key, size_t len, uint64_t h);

/* The value for key, or NULL. */
void *corral_map_get(const corral_map *map, const void *key, size_t len);
/* Insert or replace; the key is borrowed. CORRAL_ERR_NOMEM on failure (map unchanged). */
corral_err corral_map_put(corral_map *map, const void *key, size_t len, void *value);
/* Remove key; returns its value, or NULL when absent. */
void *corral_map_del(corral_map *map, const void *key, size_t len);
size_t corral_map_count(const corral_map *map);

/* Iterate: start with *pos = 0; returns 0 at the end. Do not change the map while iterating. */
int corral_map_next(const corral_map *map, size_t *pos, const void **key, size_t *len,
                    void **value);

#endif
