/*
 * ealert.c - the engine's copy of an alert. Everything the alert points to
 * (strings, the entity array and its keys) is laid out after the struct in
 * the same allocation, so freeing an alert is one free().
 */
#include "engine/ealert.h"

#include <stdlib.h>
#include <string.h>

static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 1;
}

static char *put_str(char **cursor, const char *s)
{
    char *dst = *cursor;
    size_t n = s != NULL ? strlen(s) : 0;
    if (n > 0) {
        memcpy(dst, s, n);
    }
    dst[n] = '\0';
    *cursor += n + 1;
    return dst;
}

struct corral_ealert *corral_ealert_new(const struct corral_alert *a)
{
    size_t slen = a->scope != NULL ? strlen(a->scope) : 0;
    size_t size = sizeof(struct corral_ealert);
    size += a->n_entities * (sizeof(struct corral_entity) + sizeof(uint64_t));
    size += str_size(a->id) + str_size(a->alert_type) + str_size(a->display_name) +
            str_size(a->product_component) + str_size(a->scope);
    for (uint32_t i = 0; i < a->n_entities; i++) {
        size += slen + 3 + (size_t)a->entities[i].len + 1;
    }
    struct corral_ealert *e = malloc(size);
    if (e == NULL) {
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    e->a = *a;
    /* e, the entity hashes, the entities, then the strings: 8-byte members stay aligned. */
    e->ent_hash = (uint64_t *)(e + 1);
    struct corral_entity *ents = (struct corral_entity *)(e->ent_hash + a->n_entities);
    char *cursor = (char *)(ents + a->n_entities);
    e->a.id = put_str(&cursor, a->id);
    e->a.alert_type = put_str(&cursor, a->alert_type);
    e->a.display_name = put_str(&cursor, a->display_name);
    e->a.product_component = put_str(&cursor, a->product_component);
    e->a.scope = put_str(&cursor, a->scope);
    e->scope_len = (uint32_t)slen;
    for (uint32_t i = 0; i < a->n_entities; i++) {
        ents[i].type = a->entities[i].type;
        ents[i].len = a->entities[i].len;
        memcpy(cursor, e->a.scope, slen);
        cursor[slen] = '\x1f';
        cursor[slen + 1] = (char)('a' + ents[i].type);
        cursor[slen + 2] = '\x1f';
        cursor += slen + 3;
        memcpy(cursor, a->entities[i].key, a->entities[i].len);
        cursor[a->entities[i].len] = '\0';
        ents[i].key = cursor;
        cursor += a->entities[i].len + 1;
        if (ents[i].type == CORRAL_ENT_VM) {
            e->n_vms++;
        }
    }
    e->a.entities = ents;
    e->uf_parent = e;
    return e;
}

void corral_ealert_free(struct corral_ealert *e)
{
    if (e == NULL) {
        return;
    }
    if (e->serials != e->serials_small) {
        free(e->serials);
    }
    free(e);
}

int corral_ealert_cmp(const struct corral_ealert *x, const struct corral_ealert *y)
{
    if (x->a.start != y->a.start) {
        return x->a.start < y->a.start ? -1 : 1;
    }
    return strcmp(x->a.id, y->a.id);
}

int corral_ealert_names(const struct corral_ealert *e, enum corral_entity_type type,
                        const char *key, uint32_t len)
{
    for (uint32_t i = 0; i < e->a.n_entities; i++) {
        const struct corral_entity *en = &e->a.entities[i];
        if (en->type == type &&
            (key == NULL || (en->len == len && memcmp(en->key, key, len) == 0))) {
            return 1;
        }
    }
    return 0;
}

int corral_ealert_add_serial(struct corral_ealert *e, uint64_t serial)
{
    if (e->cap_serials == 0) {
        e->serials = e->serials_small;
        e->cap_serials = 2;
    }
    if (e->n_serials == e->cap_serials) {
        uint32_t ncap = e->cap_serials * 2;
        uint64_t *n;
        if (e->serials == e->serials_small) {
            n = malloc(ncap * sizeof(uint64_t));
            if (n != NULL) {
                memcpy(n, e->serials_small, sizeof(e->serials_small));
            }
        } else {
            n = realloc(e->serials, ncap * sizeof(uint64_t));
        }
        if (n == NULL) {
            return -1;
        }
        e->serials = n;
        e->cap_serials = ncap;
    }
    e->serials[e->n_serials++] = serial;
    return 0;
}

int corral_ealert_has_serial(const struct corral_ealert *e, uint64_t serial)
{
    for (uint32_t i = 0; i < e->n_serials; i++) {
        if (e->serials[i] == serial) {
            return 1;
        }
    }
    return 0;
}
