/* heap.c - array-backed binary heap; elements are moved with memcpy. */
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

static void swap(struct corral_heap *h, size_t i, size_t j)
{
    unsigned char tmp[256];
    unsigned char *a = AT(h, i);
    unsigned char *b = AT(h, j);
    size_t left = h->size;
    /* Elements are small; swap through a stack buffer in pieces if ever larger. */
    while (left > 0) {
        size_t n = left < sizeof(tmp) ? left : sizeof(tmp);
        memcpy(tmp, a, n);
        memcpy(a, b, n);
        memcpy(b, tmp, n);
        a += n;
        b += n;
        left -= n;
    }
}

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
    size_t i = h->count++;
    memcpy(AT(h, i), elem, h->size);
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!h->less(AT(h, i), AT(h, parent))) {
            break;
        }
        swap(h, i, parent);
        i = parent;
    }
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
    memcpy(AT(h, 0), AT(h, h->count), h->size);
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        size_t r = l + 1;
        size_t m = i;
        if (l < h->count && h->less(AT(h, l), AT(h, m))) {
            m = l;
        }
        if (r < h->count && h->less(AT(h, r), AT(h, m))) {
            m = r;
        }
        if (m == i) {
            break;
        }
        swap(h, i, m);
        i = m;
    }
    return 1;
}
