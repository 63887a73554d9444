/*
 * build.h - assemble a corral_incident from its members and links.
 *
 * Everything derived from the members is computed here, in one place, the
 * same way for entity rules and machine chains: the deterministic id, plans,
 * tactics, first and last activity, the distinct entities, and the severity.
 */
#ifndef CORRAL_ENGINE_BUILD_H
#define CORRAL_ENGINE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ealert.h"
#include "model/incident.h"
#include "rules/rule.h"
#include "util/error.h"

/* The id of an incident: a GUID-shaped text of a 128-bit hash of the parts (NUL-separated). */
void corral_incident_id(char out[40], const char *const *parts, size_t n);

/*
 * Fill inc (id, plans, tactics, times, severity, entities) from links[0..n)
 * whose alerts are corral_ealert copies. The entity array is malloc'd into
 * *entities_out (the caller frees it). kind/scenario/entity fields and links
 * must be set by the caller beforehand; id_parts name the incident.
 */
corral_err corral_incident_build(struct corral_incident *inc, const struct corral_rule *rule,
                                 const char *const *id_parts, size_t n_id_parts,
                                 struct corral_entity **entities_out);

#endif
