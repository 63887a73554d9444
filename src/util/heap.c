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
