/*
 * ealert.h - an alert as the engine holds it: one owned copy, reference counted.
 *
 * The decoder's alert lives in an arena that is reset for the next record;
 * the engine keeps what it correlates for as long as an open session, a
 * machine chain or a pending incident needs it, in one allocation per alert.
 */
#ifndef CORRAL_ENGINE_EALERT_H
#define CORRAL_ENGINE_EALERT_H

#include <stdint.h>

#include "model/alert.h"

struct corral_ecomp; /* a machine component (chain.h) */

struct corral_ealert {
    struct corral_alert a; /* strings and entities point into this allocation */
    uint32_t refs;         /* holders: id index, sessions, components, pending incidents */
    uint32_t in_index;     /* still in the engine's id index */
    uint32_t open;         /* open session lists and machine components holding it */
    int chain_closed;      /* its machine component has closed */
    struct corral_ealert *uf_parent; /* machine components: union-find over vm alerts */
    struct corral_ecomp *comp;       /* at a union-find root: its component */
    uint64_t *serials;     /* final incidents that hold this alert (for suppression) */
    uint32_t n_serials, cap_serials;
    uint64_t serials_small[2]; /* serials points here until a third one comes */
    uint32_t n_vms;        /* vm entities it names */
    uint32_t id_len;       /* strlen(a.id) */
    uint64_t id_hash;      /* corral_map_hash of a.id, for the engine's id index */
    uint64_t *ent_hash;    /* per entity: corral_map_hash of its entity key (the engine sets it) */
    uint32_t single;       /* entities (the first 32) it holds alone in the engine's entity index */
    uint32_t scope_len;    /* strlen(a.scope) */
};

/*
 * A deep copy of a; NULL when out of memory. refs starts at 0. Each entity
 * key is stored as the tail of its entity key: scope \x1f type \x1f key
 * (corral_ealert_entity_key).
 */
struct corral_ealert *corral_ealert_new(const struct corral_alert *a);

/*
 * The entity key of e's entity i, "scope \x1f ('a' + type) \x1f key": the key
 * the engine indexes entities by (the same text for the same entity in any
 * alert of a scope). Points into e; *len gets its length.
 */
static inline const char *corral_ealert_entity_key(const struct corral_ealert *e, uint32_t i,
                                                   size_t *len)
{
    *len = e->scope_len + 3 + e->a.entities[i].len;
    return e->a.entities[i].key - e->scope_len - 3;
}
void corral_ealert_free(struct corral_ealert *e); /* NULL is a no-op */

/* Order of alerts everywhere in corral: start time, then systemAlertId. <0, 0, >0. */
int corral_ealert_cmp(const struct corral_ealert *x, const struct corral_ealert *y);

/* 1 when the alert names an entity of this type (and key, when key is not NULL). */
int corral_ealert_names(const struct corral_ealert *e, enum corral_entity_type type,
                        const char *key, uint32_t len);

/* Note that final incident `serial` holds this alert; -1 when out of memory. */
int corral_ealert_add_serial(struct corral_ealert *e, uint64_t serial);
int corral_ealert_has_serial(const struct corral_ealert *e, uint64_t serial);

#endif
