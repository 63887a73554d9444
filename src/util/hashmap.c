/*
 * hashmap.c - linear probing with backward-shift deletion (no tombstones, so
 * a map that sees constant churn, like the engine's open window, never
 * degrades). Capacity is a power of two, load factor at most 3/4.
 */
#include "util/hashmap.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    uint64_t hash; /* 0 = empty; real hashes are forced non-zero */
    const void *key;
    size_t len;
    void *value;
};

struct corral_map {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

uint64_t corral_hash(const void *key, size_t len, uint64_t seed)
{
    /* 64-bit FNV-1a over 8-byte words, finished with a splitmix64 avalanche. */
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        h = (h ^ *p++) * 0x100000001b3ULL;
        len--;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static uint64_t slot_hash(const void *key, size_t len)
{
    uint64_t h = corral_hash(key, len, 0);
    return h != 0 ? h : 1;
}

corral_map *corral_map_new(void)
{
    corral_map *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof(struct slot));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void corral_map_free(corral_map *map)
{
    if (map == NULL) {
        return;
    }
    free(map->slots);
    free(map);
}

static size_t find(const corral_map *m, uint64_t h, const void *key, size_t len)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        const struct slot *s = &m->slots[i];
        if (s->hash == 0) {
            return i;
        }
        /* The same pointer is common (a record deleting its own key): no need to read the key. */
        if (s->hash == h && s->len == len && (s->key == key || memcmp(s->key, key, len) == 0)) {
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow(corral_map *m)
{
    size_t ncap = m->cap * 2;
    struct slot *ns = calloc(ncap, sizeof(struct slot));
    if (ns == NULL) {
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        struct slot *s = &m->slots[i];
        if (s->hash == 0) {
            continue;
        }
        size_t j = (size_t)s->hash & (ncap - 1);
        while (ns[j].hash != 0) {
            j = (j + 1) & (ncap - 1);
        }
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

uint64_t corral_map_hash(const void *key, size_t len)
{
    return slot_hash(key, len);
}

void *corral_map_get(const corral_map *map, const void *key, size_t len)
{
    return corral_map_get_h(map, key, len, slot_hash(key, len));
}

corral_err corral_map_put(corral_map *map, const void *key, size_t len, void *value)
{
    return corral_map_put_h(map, key, len, slot_hash(key, len), value);
}

void *corral_map_del(corral_map *map, const void *key, size_t len)
{
    return corral_map_del_h(map, key, len, slot_hash(key, len));
}

void *corral_map_get_h(const corral_map *map, const void *key, size_t len, uint64_t h)
{
    const struct slot *s = &map->slots[find(map, h, key, len)];
    return s->hash != 0 ? s->value : NULL;
}

corral_err corral_map_put_h(corral_map *map, const void *key, size_t len, uint64_t h, void *value)
{
    if ((map->count + 1) * 4 > map->cap * 3 && grow(map) != 0) {
        return CORRAL_ERR_NOMEM;
    }
    struct slot *s = &map->slots[find(map, h, key, len)];
    if (s->hash == 0) {
        map->count++;
    }
    s->hash = h;
    s->key = key;
    s->len = len;
    s->value = value;
    return CORRAL_OK;
}

void *corral_map_del_h(corral_map *map, const void *key, size_t len, uint64_t h)
{
    size_t mask = map->cap - 1;
    size_t i = find(map, h, key, len);
    if (map->slots[i].hash == 0) {
        return NULL;
    }
    void *value = map->slots[i].value;
    /* Backward-shift: pull later members of the probe run into the hole. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        struct slot *s = &map->slots[j];
        if (s->hash == 0) {
            break;
        }
        size_t home = (size_t)s->hash & mask;
        /* s may move to i when i lies cyclically in [home, j). */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            map->slots[i] = *s;
            i = j;
        }
    }
    map->slots[i].hash = 0;
    map->count--;
    return value;
}

size_t corral_map_count(const corral_map *map)
{
    return map->count;
}

int corral_map_next(const corral_map *map, size_t *pos, const void **key, size_t *len,
                    void **value)
{
    while (*pos < map->cap) {
        const struct slot *s = &map->slots[(*pos)++];
        if (s->hash != 0) {
            *key = s->key;
            *len = s->len;
            *value = s->value;
            return 1;
        }
    }
    return 0;
}
