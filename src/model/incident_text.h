/*
 * incident_text.h - an incident as readable text, alert by alert, with the why.
 */
#ifndef CORRAL_MODEL_INCIDENT_TEXT_H
#define CORRAL_MODEL_INCIDENT_TEXT_H

#include "model/incident.h"
#include "util/strbuf.h"

/* Append the incident as several lines of text (ending in a newline) to sb. */
void corral_incident_text(struct corral_strbuf *sb, const struct corral_incident *inc);

#endif
