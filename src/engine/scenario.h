/*
 * scenario.h - does a session of alerts sharing an entity satisfy a scenario,
 * and which of them did it?
 *
 * A pure function over a sorted slice of alerts: the engine calls it when a
 * session closes (and, with --stream, each time the session grows). On
 * success it fills one link per alert: the alerts that satisfied the rule
 * (the `following` pair, one alert per requirement, enough distinct plans,
 * vms and alerts, each the earliest that fits) have role RULE, the others
 * joined as CONTEXT.
 */
#ifndef CORRAL_ENGINE_SCENARIO_H
#define CORRAL_ENGINE_SCENARIO_H

#include <stdint.h>

#include "engine/ealert.h"
#include "model/incident.h"
#include "rules/rule.h"

/*
 * Evaluate s over alerts[0..n) (sorted by corral_ealert_cmp, all naming the
 * shared entity type/key). req_text[i] names requirement i for the why.
 * Returns 1 and fills links[0..n) when satisfied, else 0.
 */
int corral_scenario_eval(const struct corral_scenario *s, struct corral_ealert *const *alerts,
                         uint32_t n, enum corral_entity_type type, const char *key,
                         const char *const *req_text, struct corral_link *links);

/* The scenario in words, for the why: "resource: crypto_mining following account; 2+ ..." */
void corral_scenario_describe(const struct corral_scenario *s, char *buf, size_t size);
/* One condition in words: "signal crypto_mining", "plan KeyVault", "another plan". */
void corral_cond_describe(const struct corral_cond *c, char *buf, size_t size);

#endif
