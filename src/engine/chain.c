/*
 * chain.c - the largest kill-chain-ordered subset, exactly.
 *
 * State after choosing some alerts: the last stage taken (or none), the plan
 * picture (none yet, one plan p, or 2+ plans) and whether 2+ distinct stages
 * were taken (with stages never going back, that is "the last stage is
 * higher than the first"). best[i][state] = the most alerts that can still be
 * taken from alert i on, ending in a valid chain. Reading it forward and
 * taking an alert whenever that keeps the optimum gives the earliest of the
 * largest subsets. 392 states per alert.
 */
#include "engine/chain.h"

#include <stdlib.h>
#include <string.h>

#define STAGE_NONE 13
#define PLANS_NONE 0
#define PLANS_MANY 13
#define N_STATES (14 * 14 * 2)
#define INVALID INT16_MIN

static unsigned state_of(unsigned last_stage, unsigned plans, unsigned spread)
{
    return (last_stage * 14 + plans) * 2 + spread;
}

static unsigned merge_plans(unsigned plans, enum corral_plan p)
{
    if (p == CORRAL_PLAN_UNKNOWN) {
        return plans;
    }
    if (plans == PLANS_NONE) {
        return (unsigned)p;
    }
    return plans == (unsigned)p ? plans : PLANS_MANY;
}

/* The state after taking an alert of plan p at stage s in state st; -1 when not allowed. */
static int step(unsigned st, unsigned s, enum corral_plan p)
{
    unsigned spread = st & 1;
    unsigned plans = (st / 2) % 14;
    unsigned last = st / 28;
    if (last != STAGE_NONE && s < last) {
        return -1;
    }
    unsigned nspread = spread | (last != STAGE_NONE && s > last);
    return (int)state_of(s, merge_plans(plans, p), nspread);
}

corral_err corral_chain_find(struct corral_ealert *const *alerts, uint32_t n, uint32_t *members,
                             uint8_t *stages, uint32_t *count)
{
    *count = 0;
    /* Most components cannot hold a chain at all: 2+ plans and 2+ stages are needed. */
    uint32_t plan_union = 0, stage_union = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (alerts[i]->a.stages != 0) {
            stage_union |= alerts[i]->a.stages;
            if (alerts[i]->a.plan != CORRAL_PLAN_UNKNOWN) {
                plan_union |= 1u << alerts[i]->a.plan;
            }
        }
    }
    if (__builtin_popcount(plan_union) < 2 || __builtin_popcount(stage_union) < 2) {
        return CORRAL_OK;
    }
    /* Only staged alerts can join; keep their indexes. */
    uint32_t *idx = malloc((n > 0 ? n : 1) * sizeof(uint32_t));
    if (idx == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n && m < CORRAL_CHAIN_MAX_ALERTS; i++) {
        if (alerts[i]->a.stages != 0) {
            idx[m++] = i;
        }
    }
    if (m < 2) {
        free(idx);
        return CORRAL_OK;
    }
    int16_t *best = malloc((size_t)(m + 1) * N_STATES * sizeof(int16_t));
    if (best == NULL) {
        free(idx);
        return CORRAL_ERR_NOMEM;
    }
    int16_t *row = best + (size_t)m * N_STATES;
    for (unsigned st = 0; st < N_STATES; st++) {
        unsigned plans = (st / 2) % 14;
        row[st] = (plans == PLANS_MANY && (st & 1)) ? 0 : INVALID;
    }
    for (uint32_t k = m; k-- > 0;) {
        const struct corral_alert *a = &alerts[idx[k]]->a;
        int16_t *cur = best + (size_t)k * N_STATES;
        const int16_t *next = cur + N_STATES;
        memcpy(cur, next, N_STATES * sizeof(int16_t)); /* skip alert k */
        unsigned p = (unsigned)a->plan;
        for (unsigned s = 0; s < CORRAL_STAGE_COUNT; s++) {
            if ((a->stages & (1u << s)) == 0) {
                continue;
            }
            /* Take alert k at stage s: from every state whose last stage is none or <= s. */
            for (unsigned last = 0; last < 14; last++) {
                if (last != STAGE_NONE && last > s) {
                    continue;
                }
                for (unsigned spread = 0; spread < 2; spread++) {
                    unsigned nspread = spread | (last != STAGE_NONE && s > last);
                    /* With a known plan p, plans none and p go to p; any other to many. */
                    int16_t to_p = p != PLANS_NONE ? next[state_of(s, p, nspread)] : INVALID;
                    int16_t to_many = next[state_of(s, PLANS_MANY, nspread)];
                    for (unsigned plans = 0; plans < 14; plans++) {
                        int16_t t;
                        if (p == PLANS_NONE) {
                            t = next[state_of(s, plans, nspread)]; /* unknown plan: unchanged */
                        } else {
                            t = (plans == PLANS_NONE || plans == p) ? to_p : to_many;
                        }
                        int16_t *c = &cur[state_of(last, plans, spread)];
                        if (t != INVALID && t + 1 > *c) {
                            *c = (int16_t)(t + 1);
                        }
                    }
                }
            }
        }
    }
    unsigned st = state_of(STAGE_NONE, PLANS_NONE, 0);
    if (best[st] != INVALID) {
        for (uint32_t k = 0; k < m; k++) {
            const struct corral_alert *a = &alerts[idx[k]]->a;
            int16_t target = best[(size_t)k * N_STATES + st];
            const int16_t *next = best + (size_t)(k + 1) * N_STATES;
            for (unsigned s = 0; s < CORRAL_STAGE_COUNT; s++) {
                if ((a->stages & (1u << s)) == 0) {
                    continue;
                }
                int ns = step(st, s, a->plan);
                if (ns >= 0 && next[ns] != INVALID && next[ns] + 1 == target) {
                    members[*count] = idx[k];
                    stages[*count] = (uint8_t)s;
                    (*count)++;
                    st = (unsigned)ns;
                    break;
                }
            }
        }
    }
    free(best);
    free(idx);
    return CORRAL_OK;
}

int corral_chain_fits(const struct corral_chain_cond *c, const struct corral_chain_facts *f)
{
    if (f->vms < c->min_vms || (c->max_vms != 0 && f->vms > c->max_vms)) {
        return 0;
    }
    switch (c->with) {
    case CORRAL_CHAIN_BOTNET:
        if (!f->botnet) {
            return 0;
        }
        break;
    case CORRAL_CHAIN_OUTGOING:
        if (f->botnet || !f->outgoing) {
            return 0;
        }
        break;
    case CORRAL_CHAIN_NEITHER:
        if (f->botnet || f->outgoing) {
            return 0;
        }
        break;
    case CORRAL_CHAIN_ANY:
        break;
    }
    return c->min_stage < 0 || f->max_stage >= c->min_stage;
}
