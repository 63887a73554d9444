/*
 * heap.h - a binary min-heap of fixed-size elements with a caller's order.
 *
 * The engine keeps three: pending session closes by time, live alerts by
 * start time (what may still be emitted before what), and final incidents
 * waiting for their turn in (first activity, id) order.
 */
#ifndef CORRAL_UTIL_HEAP_H
#define CORRAL_UTIL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct corral_heap {
    unsigned char *data;
    size_t size; /* bytes per element */
    size_t count;
    size_t cap;
    int (*less)(const void *a, const void *b); /* non-zero when a comes before b */
};

void corral_heap_init(struct corral_heap *h, size_t elem_size, int (*less)(const void *, const void *));
void corral_heap_release(struct corral_heap *h);
corral_err corral_heap_push(struct corral_heap *h, const void *elem); /* copied in */
/* The least element (borrowed until the next change), or NULL when empty. */
const void *corral_heap_top(const struct corral_heap *h);
/* Remove the least element, copying it to out when out is not NULL; 0 when empty. */
int corral_heap_pop(struct corral_heap *h, void *out);

#endif

/*
 * A min-heap of (int64 key, pointer) pairs compared inline: the engine's
 * busiest heaps (close events, open alerts) pop a few times per alert, and a
 * comparison through a function pointer per level was most of their cost.
 * It is 4-ary, its items laid out so that the four children of an item share
 * one 64-byte cache line: half the levels of a binary heap, one line each.
 * Equal keys come out in no particular order.
 */
struct corral_kheap_item {
    int64_t key;
    void *ptr;
};

struct corral_kheap {
    struct corral_kheap_item *items; /* 3 items into a 64-byte aligned block */
    size_t count;
    size_t cap;
};

void corral_kheap_init(struct corral_kheap *h);
void corral_kheap_release(struct corral_kheap *h);
corral_err corral_kheap_push(struct corral_kheap *h, int64_t key, void *ptr);
/* The least item (borrowed until the next change), or NULL when empty. */
const struct corral_kheap_item *corral_kheap_top(const struct corral_kheap *h);
/* Remove the least item into *out (when not NULL); 0 when empty. */
int corral_kheap_pop(struct corral_kheap *h, struct corral_kheap_item *out);
