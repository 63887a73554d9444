/*
 * rule.c - does one alert meet one condition of a rule.
 *
 * The engine asks this for every alert it holds against every `require` and
 * `following` side of every scenario, so it is a few mask tests and a scan of
 * the alert's (short) entity list. other_plan is not decided here: it is a
 * relation between two alerts, which only the caller has.
 */
#include "rules/rule.h"

int corral_cond_match(const struct corral_cond *cond, const struct corral_alert *alert)
{
    if (cond == NULL || alert == NULL) {
        return 0;
    }
    if (cond->signals != 0 && (alert->signals & cond->signals) == 0) {
        return 0;
    }
    if (cond->plans != 0) {
        unsigned plan = (unsigned)alert->plan;
        if (plan >= CORRAL_PLAN_COUNT || (cond->plans & (1u << plan)) == 0) {
            return 0;
        }
    }
    if (cond->entity_types != 0) {
        for (uint32_t i = 0; i < alert->n_entities; i++) {
            unsigned type = (unsigned)alert->entities[i].type;
            if (type < CORRAL_ENT_COUNT && (cond->entity_types & (1u << type)) != 0) {
                return 1;
            }
        }
        return 0;
    }
    return 1;
}
