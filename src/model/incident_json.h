/*
 * incident_json.h - an incident as one line of JSON, in corral's shape or
 * Defender's (docs/output.md).
 */
#ifndef CORRAL_MODEL_INCIDENT_JSON_H
#define CORRAL_MODEL_INCIDENT_JSON_H

#include "model/incident.h"
#include "util/strbuf.h"

enum corral_incident_format {
    CORRAL_FORMAT_CORRAL = 0, /* formats.md "Output: an incident", with the why */
    CORRAL_FORMAT_DEFENDER,   /* alert-shaped, isIncident: true, members as entities */
};

/*
 * Append inc as a JSON object (no newline). event is NULL for plain output,
 * else "update" or "final" (with the version) for --stream. Errors show in
 * corral_strbuf_status(sb).
 */
void corral_incident_json(struct corral_strbuf *sb, const struct corral_incident *inc,
                          enum corral_incident_format format, const char *event);

/* The JSON type name of an incident's shared entity (process images are "process"). */
const char *corral_incident_entity_type(enum corral_entity_type type);

#endif
