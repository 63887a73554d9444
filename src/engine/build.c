/*
 * build.c - the derived fields of an incident. The entity list is the sorted
 * union of the members' entity lists.
 *
 * Each member's list is sorted already (alert.h), so the union is a merge,
 * not a sort: the members' lists laid end to end are cut into their sorted
 * runs, which are merged two by two, each merge dropping what both sides
 * hold. Runs are found by comparing neighbours rather than trusted from the
 * alerts, so a list out of order only makes more, shorter runs: the result
 * is the same sorted, distinct union whatever the input.
 */
#include "engine/build.h"

#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

/* The low 4 * digits bits of v as that many lower-case hex digits at out. */
static void put_hex(char *out, uint64_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = digits; i-- > 0; v >>= 4) {
        out[i] = hex[v & 15];
    }
}

void corral_incident_id(char out[40], const char *const *parts, size_t n)
{
    uint64_t h1 = 0x9e3779b97f4a7c15ULL, h2 = 0x6a09e667f3bcc909ULL;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(parts[i]);
        /* Chain the parts, with their lengths, so that ("ab","c") != ("a","bc"). */
        h1 = corral_hash(parts[i], len, h1 ^ (uint64_t)len);
        h2 = corral_hash(parts[i], len, h2 + (uint64_t)len * 0x100000001b3ULL);
    }
    /* "%08x-%04x-%04x-%04x-%012llx" of h1 >> 32, h1 >> 16, h1, h2 >> 48 and h2, without printf. */
    put_hex(out, h1 >> 32, 8);
    out[8] = '-';
    put_hex(out + 9, h1 >> 16, 4);
    out[13] = '-';
    put_hex(out + 14, h1, 4);
    out[18] = '-';
    put_hex(out + 19, h2 >> 48, 4);
    out[23] = '-';
    put_hex(out + 24, h2, 12);
    out[36] = '\0';
}

/*
 * Merge the sorted, distinct runs a[0..na) and b[0..nb) into out, an entity
 * both hold once (a's: a is the earlier run); returns how many were written.
 */
static size_t merge_runs(const struct corral_entity **out, const struct corral_entity *const *a,
                         size_t na, const struct corral_entity *const *b, size_t nb)
{
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        int c = corral_entity_cmp(a[i], b[j]);
        if (c <= 0) {
            out[n++] = a[i++];
            j += c == 0;
        } else {
            out[n++] = b[j++];
        }
    }
    memcpy(out + n, a + i, (na - i) * sizeof(*out));
    n += na - i;
    memcpy(out + n, b + j, (nb - j) * sizeof(*out));
    return n + nb - j;
}

/* Entities whose union needs no allocation but its result: most incidents. */
#define UNION_ON_STACK 256

/*
 * The sorted, distinct union of the members' total entities, as a malloc'd
 * array in *out (never NULL, even for none) of *n_out. Of equal entities the
 * first member's is kept, as a stable sort would.
 */
static corral_err entity_union(const struct corral_incident *inc, size_t total,
                               struct corral_entity **out, uint32_t *n_out)
{
    const struct corral_entity *stack_ptrs[2 * UNION_ON_STACK];
    size_t stack_ends[UNION_ON_STACK];
    const struct corral_entity **cur = stack_ptrs;
    size_t *ends = stack_ends;
    void *heap = NULL;
    if (total > UNION_ON_STACK) {
        heap = malloc(total * (2 * sizeof(*cur) + sizeof(*ends)));
        if (heap == NULL) {
            return CORRAL_ERR_NOMEM;
        }
        cur = heap;
        ends = (size_t *)(cur + 2 * total);
    }
    const struct corral_entity **next = cur + total;

    /* The members came in long ago: ask for all their keys before the first compare waits. */
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        for (uint32_t j = 0; j < a->n_entities; j++) {
            __builtin_prefetch(a->entities[j].key);
        }
    }
    /* The runs: each entity that does not come after its neighbour starts one; equal ones go. */
    size_t k = 0, runs = 0;
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        for (uint32_t j = 0; j < a->n_entities; j++) {
            const struct corral_entity *e = &a->entities[j];
            if (k > 0) {
                int c = corral_entity_cmp(cur[k - 1], e);
                if (c == 0) {
                    continue;
                }
                if (c > 0) {
                    ends[runs++] = k;
                }
            }
            cur[k++] = e;
        }
    }
    if (k > 0) {
        ends[runs++] = k;
    }
    /* Merge neighbouring runs two by two until one is left. */
    while (runs > 1) {
        size_t start = 0, w = 0, merged = 0;
        for (size_t r = 0; r < runs; r += 2) {
            size_t mid = ends[r];
            size_t end = r + 1 < runs ? ends[r + 1] : mid;
            w += merge_runs(next + w, cur + start, mid - start, cur + mid, end - mid);
            ends[merged++] = w;
            start = end;
        }
        runs = merged;
        const struct corral_entity **t = cur;
        cur = next;
        next = t;
        k = w;
    }

    struct corral_entity *ents = malloc((k > 0 ? k : 1) * sizeof(*ents));
    if (ents != NULL) {
        for (size_t i = 0; i < k; i++) {
            ents[i] = *cur[i];
        }
    }
    free(heap);
    if (ents == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    *out = ents;
    *n_out = (uint32_t)k;
    return CORRAL_OK;
}

corral_err corral_incident_build(struct corral_incident *inc, const struct corral_rule *rule,
                                 const char *const *id_parts, size_t n_id_parts,
                                 struct corral_entity **entities_out)
{
    *entities_out = NULL;
    corral_incident_id(inc->id, id_parts, n_id_parts);
    inc->plans = 0;
    inc->tactics = 0;
    inc->first_activity = inc->links[0].alert->start;
    inc->last_activity = inc->links[0].alert->start;
    int any_high = 0;
    size_t total = 0;
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        if (a->plan != CORRAL_PLAN_UNKNOWN) {
            inc->plans |= 1u << a->plan;
        }
        inc->tactics |= a->tactics;
        if (a->start < inc->first_activity) {
            inc->first_activity = a->start;
        }
        if (a->start > inc->last_activity) {
            inc->last_activity = a->start;
        }
        any_high |= a->severity == CORRAL_SEV_HIGH;
        total += a->n_entities;
    }
    switch (rule->severity) {
    case CORRAL_SEVRULE_HIGH:
        inc->severity = CORRAL_SEV_HIGH;
        break;
    case CORRAL_SEVRULE_MEDIUM:
        inc->severity = CORRAL_SEV_MEDIUM;
        break;
    case CORRAL_SEVRULE_MEDIUM_HIGH:
        inc->severity = any_high ? CORRAL_SEV_HIGH : CORRAL_SEV_MEDIUM;
        break;
    }
    inc->status = CORRAL_STATUS_ACTIVE;

    struct corral_entity *out;
    uint32_t n;
    corral_err err = entity_union(inc, total, &out, &n);
    if (err != CORRAL_OK) {
        return err;
    }
    inc->entities = out;
    inc->n_entities = n;
    *entities_out = out;
    return CORRAL_OK;
}
