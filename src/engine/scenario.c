/*
 * scenario.c - entity rules over one session.
 *
 * `following` is checked in O(n * plans): the earliest two alerts meeting
 * `first` are kept per plan (two, because the `then` alert must be a
 * different alert and may itself meet `first`), then each alert meeting
 * `then`, in order, looks for a partner no later than itself. Equal start
 * times count as following (incidents.md).
 */
#include "engine/scenario.h"

#include <stdio.h>
#include <string.h>

#define NO_INDEX UINT32_MAX

static int plan_counts(enum corral_plan p)
{
    return p != CORRAL_PLAN_UNKNOWN;
}

/* Find the `following` pair; 0 when there is none. */
static int find_following(const struct corral_scenario *s, struct corral_ealert *const *al,
                          uint32_t n, uint32_t *first_out, uint32_t *then_out)
{
    uint32_t first1[CORRAL_PLAN_COUNT], first2[CORRAL_PLAN_COUNT];
    for (unsigned p = 0; p < CORRAL_PLAN_COUNT; p++) {
        first1[p] = first2[p] = NO_INDEX;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!corral_cond_match(&s->first, &al[i]->a)) {
            continue;
        }
        unsigned p = al[i]->a.plan;
        if (first1[p] == NO_INDEX) {
            first1[p] = i;
        } else if (first2[p] == NO_INDEX) {
            first2[p] = i;
        }
    }
    for (uint32_t b = 0; b < n; b++) {
        if (!corral_cond_match(&s->then, &al[b]->a)) {
            continue;
        }
        uint32_t best = NO_INDEX;
        for (unsigned p = 0; p < CORRAL_PLAN_COUNT; p++) {
            if (s->then.other_plan && (p == al[b]->a.plan || p == CORRAL_PLAN_UNKNOWN)) {
                continue;
            }
            uint32_t cand = first1[p] != b ? first1[p] : first2[p];
            if (cand == NO_INDEX || al[cand]->a.start > al[b]->a.start) {
                continue;
            }
            if (best == NO_INDEX || cand < best) {
                best = cand;
            }
        }
        if (best != NO_INDEX) {
            *first_out = best;
            *then_out = b;
            return 1;
        }
    }
    return 0;
}

/* The i-th vm key of an alert (n-th VM entity), or NULL. */
static const struct corral_entity *vm_entity(const struct corral_ealert *e, uint32_t nth)
{
    for (uint32_t i = 0; i < e->a.n_entities; i++) {
        if (e->a.entities[i].type == CORRAL_ENT_VM && nth-- == 0) {
            return &e->a.entities[i];
        }
    }
    return NULL;
}

#define MAX_VMS_TRACKED 16

struct vmset {
    const struct corral_entity *vms[MAX_VMS_TRACKED];
    unsigned n;
};

/* Add the alert's vms to set; returns how many were new. */
static unsigned vmset_add(struct vmset *set, const struct corral_ealert *e)
{
    unsigned added = 0;
    for (uint32_t k = 0; k < e->n_vms; k++) {
        const struct corral_entity *v = vm_entity(e, k);
        unsigned j;
        for (j = 0; j < set->n; j++) {
            if (set->vms[j]->len == v->len && memcmp(set->vms[j]->key, v->key, v->len) == 0) {
                break;
            }
        }
        if (j == set->n && set->n < MAX_VMS_TRACKED) {
            set->vms[set->n++] = v;
            added++;
        }
    }
    return added;
}

/* The alerts marked as satisfying the rule so far, and what they add up to. */
struct marker {
    struct corral_link *links;
    struct corral_ealert *const *al;
    uint32_t plans, count;
    struct vmset vms;
};

static void mark(struct marker *m, uint32_t i)
{
    if (m->links[i].role == CORRAL_LINK_RULE) {
        return;
    }
    m->links[i].role = CORRAL_LINK_RULE;
    m->count++;
    if (plan_counts(m->al[i]->a.plan)) {
        m->plans |= 1u << m->al[i]->a.plan;
    }
    vmset_add(&m->vms, m->al[i]);
}

int corral_scenario_eval(const struct corral_scenario *s, struct corral_ealert *const *al,
                         uint32_t n, enum corral_entity_type type, const char *key,
                         const char *const *req_text, struct corral_link *links)
{
    if (n < s->min_alerts || n < 1) {
        return 0;
    }
    /* Cheap totals first: most sessions fail here. */
    uint32_t plans = 0;
    struct vmset vms = {.n = 0};
    for (uint32_t i = 0; i < n; i++) {
        if (plan_counts(al[i]->a.plan)) {
            plans |= 1u << al[i]->a.plan;
        }
        if (s->min_vms > 0) {
            vmset_add(&vms, al[i]);
        }
    }
    if ((unsigned)__builtin_popcount(plans) < s->min_plans || vms.n < s->min_vms) {
        return 0;
    }
    uint32_t req_at[CORRAL_MAX_REQUIRE];
    for (unsigned r = 0; r < s->n_require; r++) {
        req_at[r] = NO_INDEX;
        for (uint32_t i = 0; i < n && req_at[r] == NO_INDEX; i++) {
            if (corral_cond_match(&s->require[r], &al[i]->a)) {
                req_at[r] = i;
            }
        }
        if (req_at[r] == NO_INDEX) {
            return 0;
        }
    }
    uint32_t fa = NO_INDEX, tb = NO_INDEX;
    if (s->has_following && !find_following(s, al, n, &fa, &tb)) {
        return 0;
    }

    /* Satisfied: mark the alerts that did it, earliest first. */
    for (uint32_t i = 0; i < n; i++) {
        links[i] = (struct corral_link){
            .alert = &al[i]->a,
            .role = CORRAL_LINK_CONTEXT,
            .via_type = type,
            .via_key = key,
            .stage = -1,
        };
    }
    struct marker m = {.links = links, .al = al};
    if (fa != NO_INDEX) {
        mark(&m, fa);
        mark(&m, tb);
        links[fa].following = "first";
        links[tb].following = "then";
        links[tb].after = &al[fa]->a;
    }
    for (unsigned r = 0; r < s->n_require; r++) {
        mark(&m, req_at[r]);
        if (links[req_at[r]].requirement == NULL) {
            links[req_at[r]].requirement = req_text[r];
        }
    }
    for (uint32_t i = 0; i < n && (unsigned)__builtin_popcount(m.plans) < s->min_plans; i++) {
        if (plan_counts(al[i]->a.plan) && (m.plans & (1u << al[i]->a.plan)) == 0) {
            mark(&m, i);
        }
    }
    for (uint32_t i = 0; i < n && m.vms.n < s->min_vms; i++) {
        struct vmset probe = m.vms;
        if (vmset_add(&probe, al[i]) > 0) {
            mark(&m, i);
        }
    }
    for (uint32_t i = 0; i < n && m.count < s->min_alerts; i++) {
        mark(&m, i);
    }
    return 1;
}

static void append(char *buf, size_t size, size_t *len, const char *text)
{
    int w = snprintf(buf + *len, size > *len ? size - *len : 0, "%s", text);
    if (w > 0) {
        *len += (size_t)w;
        if (*len >= size) {
            *len = size - 1;
        }
    }
}

static void append_names(char *buf, size_t size, size_t *len, uint32_t mask, unsigned count,
                         const char *(*name)(unsigned), const char *sep)
{
    int first = 1;
    for (unsigned i = 0; i < count; i++) {
        if (mask & (1u << i)) {
            if (!first) {
                append(buf, size, len, sep);
            }
            first = 0;
            append(buf, size, len, name(i));
        }
    }
}

static const char *signal_at(unsigned bit)
{
    return corral_signal_name((enum corral_signal)(1u << bit));
}

static const char *plan_at(unsigned p)
{
    return corral_plan_name((enum corral_plan)p);
}

static const char *entity_at(unsigned t)
{
    return corral_entity_type_name((enum corral_entity_type)t);
}

void corral_cond_describe(const struct corral_cond *c, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    if (c->signals != 0) {
        append(buf, size, &len, "signal ");
        append_names(buf, size, &len, c->signals, CORRAL_SIG_COUNT, signal_at, "|");
    }
    if (c->plans != 0) {
        append(buf, size, &len, len > 0 ? " plan " : "plan ");
        append_names(buf, size, &len, c->plans, CORRAL_PLAN_COUNT, plan_at, "|");
    }
    if (c->entity_types != 0) {
        append(buf, size, &len, len > 0 ? " naming a " : "naming a ");
        append_names(buf, size, &len, c->entity_types, CORRAL_ENT_COUNT, entity_at, "|");
    }
    if (c->other_plan) {
        append(buf, size, &len, len > 0 ? " from another plan" : "an alert of another plan");
    }
    if (len == 0) {
        append(buf, size, &len, "any alert");
    }
}

void corral_scenario_describe(const struct corral_scenario *s, char *buf, size_t size)
{
    size_t len = 0;
    char tmp[128];
    buf[0] = '\0';
    append_names(buf, size, &len, s->entity_types, CORRAL_ENT_COUNT, entity_at, " or ");
    append(buf, size, &len, ":");
    for (unsigned r = 0; r < s->n_require; r++) {
        corral_cond_describe(&s->require[r], tmp, sizeof(tmp));
        append(buf, size, &len, " 1+ ");
        append(buf, size, &len, tmp);
        append(buf, size, &len, ";");
    }
    if (s->has_following) {
        append(buf, size, &len, " ");
        corral_cond_describe(&s->then, tmp, sizeof(tmp));
        append(buf, size, &len, tmp);
        append(buf, size, &len, " following ");
        corral_cond_describe(&s->first, tmp, sizeof(tmp));
        append(buf, size, &len, tmp);
        append(buf, size, &len, ";");
    }
    snprintf(tmp, sizeof(tmp), " %u+ alerts", s->min_alerts);
    append(buf, size, &len, tmp);
    if (s->min_plans > 1) {
        snprintf(tmp, sizeof(tmp), " from %u+ plans", s->min_plans);
        append(buf, size, &len, tmp);
    }
    if (s->min_vms > 0) {
        snprintf(tmp, sizeof(tmp), " on %u+ vms", s->min_vms);
        append(buf, size, &len, tmp);
    }
    long long minutes = (long long)(s->window / (60LL * 10000000LL));
    if (minutes % (24 * 60) == 0 && minutes >= 2 * 24 * 60) {
        snprintf(tmp, sizeof(tmp), " within %lldd", minutes / (24 * 60));
    } else if (minutes % 60 == 0) {
        snprintf(tmp, sizeof(tmp), " within %lldh", minutes / 60);
    } else {
        snprintf(tmp, sizeof(tmp), " within %lldm", minutes);
    }
    append(buf, size, &len, tmp);
}
