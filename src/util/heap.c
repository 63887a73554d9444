/* heap.c - array-backed binary heap; sifting moves a hole, so each level costs one copy. */
#include "util/heap.h"

#include <stdlib.h>
#include <string.h>

void corral_heap_init(struct corral_heap *h, size_t elem_size,
                      int (*less)(const void *, const void *))
{
    h->data = NULL;
    h->size = elem_size;
    h->count = 0;
    h->cap = 0;
    h->less = less;
}

void corral_heap_release(struct corral_heap *h)
{
    free(h->data);
    h->data = NULL;
    h->count = 0;
    h->cap = 0;
}

#define AT(h, i) ((h)->data + (i) * (h)->size)

corral_err corral_heap_push(struct corral_heap *h, const void *elem)
{
    if (h->count == h->cap) {
        size_t ncap = h->cap != 0 ? h->cap * 2 : 64;
        unsigned char *nd = realloc(h->data, ncap * h->size);
        if (nd == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        h->data = nd;
        h->cap = ncap;
    }
    /* Sift up with a hole: move parents down, write the new element once. */
    size_t i = h->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!h->less(elem, AT(h, parent))) {
            break;
        }
        memcpy(AT(h, i), AT(h, parent), h->size);
        i = parent;
    }
    memcpy(AT(h, i), elem, h->size);
    return CORRAL_OK;
}

const void *corral_heap_top(const struct corral_heap *h)
{
    return h->count > 0 ? h->data : NULL;
}

int corral_heap_pop(struct corral_heap *h, void *out)
{
    if (h->count == 0) {
        return 0;
    }
    if (out != NULL) {
        memcpy(out, h->data, h->size);
    }
    h->count--;
    if (h->count == 0) {
        return 1;
    }
    /* Sift the last element down from the root with a hole. */
    const unsigned char *last = AT(h, h->count);
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= h->count) {
            break;
        }
        size_t m = l;
        if (l + 1 < h->count && h->less(AT(h, l + 1), AT(h, l))) {
            m = l + 1;
        }
        if (!h->less(AT(h, m), last)) {
            break;
        }
        memcpy(AT(h, i), AT(h, m), h->size);
        i = m;
    }
    memmove(AT(h, i), last, h->size);
    return 1;
}

/* Items before items[0] in the block, so that items 4i+1 .. 4i+4 start a cache line. */
#define KHEAP_PAD 3

void corral_kheap_init(struct corral_kheap *h)
{
    h->items = NULL;
    h->count = 0;
    h->cap = 0;
}

void corral_kheap_release(struct corral_kheap *h)
{
    if (h->items != NULL) {
        free(h->items - KHEAP_PAD);
    }
    corral_kheap_init(h);
}

corral_err corral_kheap_push(struct corral_kheap *h, int64_t key, void *ptr)
{
    if (h->count == h->cap) {
        size_t ncap = h->cap != 0 ? h->cap * 2 : 61; /* 64 items with the padding */
        size_t bytes = (ncap + KHEAP_PAD) * sizeof(struct corral_kheap_item);
        struct corral_kheap_item *block = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
        if (block == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        if (h->items != NULL) {
            memcpy(block + KHEAP_PAD, h->items, h->count * sizeof(*block));
            free(h->items - KHEAP_PAD);
        }
        h->items = block + KHEAP_PAD;
        h->cap = ncap;
    }
    struct corral_kheap_item *it = h->items;
    size_t i = h->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (it[parent].key <= key) {
            break;
        }
        it[i] = it[parent];
        i = parent;
    }
    it[i].key = key;
    it[i].ptr = ptr;
    return CORRAL_OK;
}

const struct corral_kheap_item *corral_kheap_top(const struct corral_kheap *h)
{
    return h->count > 0 ? &h->items[0] : NULL;
}

int corral_kheap_pop(struct corral_kheap *h, struct corral_kheap_item *out)
{
    if (h->count == 0) {
        return 0;
    }
    struct corral_kheap_item *it = h->items;
    if (out != NULL) {
        *out = it[0];
    }
    struct corral_kheap_item last = it[--h->count];
    size_t n = h->count, i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) {
            break;
        }
        /* The least of up to four children, all in one cache line. */
        size_t m = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t j = c + 1; j < end; j++) {
            if (it[j].key < it[m].key) {
                m = j;
            }
        }
        if (it[m].key >= last.key) {
            break;
        }
        it[i] = it[m];
        i = m;
    }
    if (n > 0) {
        it[i] = last;
    }
    return 1;
}
