/*
 * build.c - the derived fields of an incident. The entity list is the sorted
 * union of the members' (already sorted) entity lists.
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

static int entity_cmp(const void *pa, const void *pb)
{
    const struct corral_entity *a = *(const struct corral_entity *const *)pa;
    const struct corral_entity *b = *(const struct corral_entity *const *)pb;
    if (a->type != b->type) {
        return a->type < b->type ? -1 : 1;
    }
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);
    if (c != 0) {
        return c;
    }
    return a->len < b->len ? -1 : (a->len > b->len);
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

    const struct corral_entity **all = malloc((total > 0 ? total : 1) * sizeof(*all));
    struct corral_entity *out = malloc((total > 0 ? total : 1) * sizeof(*out));
    if (all == NULL || out == NULL) {
        free(all);
        free(out);
        return CORRAL_ERR_NOMEM;
    }
    size_t k = 0;
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        for (uint32_t j = 0; j < a->n_entities; j++) {
            all[k++] = &a->entities[j];
        }
    }
    qsort(all, k, sizeof(*all), entity_cmp);
    uint32_t n = 0;
    for (size_t i = 0; i < k; i++) {
        if (n == 0 || entity_cmp(&all[i], &all[i - 1]) != 0) {
            out[n++] = *all[i];
        }
    }
    free(all);
    inc->entities = out;
    inc->n_entities = n;
    *entities_out = out;
    return CORRAL_OK;
}
