/*
 * alert_json.h - a normalized alert as one line of JSON.
 *
 * What `corral alerts` prints, so that a user can see exactly what corral
 * understood of an alert: its scope, plan, signals, stages and entity keys,
 * which decide whether it correlates. Field names are camelCase like the
 * Defender REST shape; arrays are in a fixed order so output is stable.
 */
#ifndef CORRAL_MODEL_ALERT_JSON_H
#define CORRAL_MODEL_ALERT_JSON_H

#include <stddef.h>

#include "model/alert.h"
#include "util/strbuf.h"

/*
 * Append alert as a JSON object (no newline) to sb. source/line, when source
 * is not NULL, are written as "source": "file:line". Errors show in
 * corral_strbuf_status(sb).
 */
void corral_alert_json(struct corral_strbuf *sb, const struct corral_alert *alert,
                       const char *source, size_t line);

#endif
