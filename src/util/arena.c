/*
 * arena.c - chunked bump allocator. Chunks grow geometrically; a reset keeps
 * the largest chunk only, so memory follows the largest record seen.
 */
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16u
#define FIRST_CHUNK 16384u

struct chunk {
    struct chunk *prev;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct corral_arena {
    struct chunk *head;
    size_t used_total;
};

corral_arena *corral_arena_new(void)
{
    return calloc(1, sizeof(corral_arena));
}

static void free_chunks(struct chunk *c)
{
    while (c != NULL) {
        struct chunk *prev = c->prev;
        free(c);
        c = prev;
    }
}

void corral_arena_free(corral_arena *arena)
{
    if (arena == NULL) {
        return;
    }
    free_chunks(arena->head);
    free(arena);
}

void corral_arena_reset(corral_arena *arena)
{
    if (arena->head != NULL) {
        /* Keep the newest chunk: it is the largest. */
        free_chunks(arena->head->prev);
        arena->head->prev = NULL;
        arena->head->used = 0;
    }
    arena->used_total = 0;
}

void *corral_arena_alloc(corral_arena *arena, size_t size)
{
    size_t need = (size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    if (need < size) {
        return NULL;
    }
    struct chunk *c = arena->head;
    if (c == NULL || c->size - c->used < need) {
        size_t sz = c != NULL ? c->size * 2 : FIRST_CHUNK;
        while (sz < need) {
            if (sz > SIZE_MAX / 2) {
                return NULL;
            }
            sz *= 2;
        }
        struct chunk *n = malloc(sizeof(struct chunk) + sz);
        if (n == NULL) {
            return NULL;
        }
        n->prev = c;
        n->size = sz;
        n->used = 0;
        arena->head = n;
        c = n;
    }
    void *p = c->data + c->used;
    c->used += need;
    arena->used_total += need;
    return p;
}

char *corral_arena_strndup(corral_arena *arena, const char *s, size_t len)
{
    char *p = corral_arena_alloc(arena, len + 1);
    if (p == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(p, s, len);
    }
    p[len] = '\0';
    return p;
}

size_t corral_arena_used(const corral_arena *arena)
{
    return arena->used_total;
}
