/*
 * incident_json.c - write an incident. Arrays come out in canonical order
 * (plans and tactics sorted by name, entities by type then key, members and
 * links by start time then id), and nothing depends on the clock, so that
 * the same alerts always give byte-identical lines.
 */
#include "model/incident_json.h"

#include <stdlib.h>
#include <string.h>

#include "util/time.h"

static void put_str(struct corral_strbuf *sb, int *first, const char *key, const char *value)
{
    corral_strbuf_json_key(sb, first, key);
    corral_strbuf_json_str(sb, value, strlen(value));
}

static void put_time(struct corral_strbuf *sb, int *first, const char *key, corral_time t)
{
    char text[CORRAL_TIME_TEXT];
    put_str(sb, first, key, corral_time_format(t, text));
}

static void put_entity(struct corral_strbuf *sb, const char *type, const char *key)
{
    int first = 1;
    corral_strbuf_putc(sb, '{');
    put_str(sb, &first, "type", type);
    put_str(sb, &first, "key", key);
    corral_strbuf_putc(sb, '}');
}

const char *corral_incident_entity_type(enum corral_entity_type type)
{
    return type == CORRAL_ENT_PROCESS_IMAGE ? "process" : corral_entity_type_name(type);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the set bits, sorted alphabetically, as a JSON array. */
static void put_sorted_names(struct corral_strbuf *sb, int *first, const char *key,
                             uint32_t mask, unsigned nbits, const char *(*name)(unsigned))
{
    const char *names[32];
    size_t n = 0;
    for (unsigned i = 0; i < nbits && i < 32; i++) {
        if (mask & (1u << i)) {
            names[n++] = name(i);
        }
    }
    qsort(names, n, sizeof(names[0]), name_cmp);
    corral_strbuf_json_key(sb, first, key);
    corral_strbuf_putc(sb, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        corral_strbuf_json_str(sb, names[i], strlen(names[i]));
    }
    corral_strbuf_putc(sb, ']');
}

static const char *plan_at(unsigned p)
{
    return corral_plan_name((enum corral_plan)p);
}

static const char *tactic_at(unsigned t)
{
    return corral_tactic_name((enum corral_tactic)t);
}

static void put_why(struct corral_strbuf *sb, int *first, const struct corral_incident *inc)
{
    corral_strbuf_json_key(sb, first, "why");
    int wf = 1;
    corral_strbuf_putc(sb, '{');
    corral_strbuf_json_key(sb, &wf, "rule");
    corral_strbuf_printf(sb, "\"%s/%u\"", inc->kind, inc->scenario);
    put_str(sb, &wf, "text", inc->rule_text != NULL ? inc->rule_text : "");
    corral_strbuf_json_key(sb, &wf, "links");
    corral_strbuf_putc(sb, '[');
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_link *l = &inc->links[i];
        int lf = 1;
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        corral_strbuf_putc(sb, '{');
        put_str(sb, &lf, "alert", l->alert->id);
        put_str(sb, &lf, "role", l->role == CORRAL_LINK_RULE ? "rule" : "context");
        corral_strbuf_json_key(sb, &lf, "entity");
        put_entity(sb, corral_incident_entity_type(l->via_type), l->via_key);
        if (l->following != NULL) {
            put_str(sb, &lf, "following", l->following);
        }
        if (l->after != NULL) {
            put_str(sb, &lf, "after", l->after->id);
        }
        if (l->requirement != NULL) {
            put_str(sb, &lf, "requirement", l->requirement);
        }
        if (l->stage >= 0) {
            corral_strbuf_json_key(sb, &lf, "stage");
            corral_strbuf_json_int(sb, l->stage);
        }
        corral_strbuf_putc(sb, '}');
    }
    corral_strbuf_puts(sb, "]}");
}

static void corral_shape(struct corral_strbuf *sb, const struct corral_incident *inc,
                         const char *event)
{
    int first = 1;
    corral_strbuf_putc(sb, '{');
    put_str(sb, &first, "id", inc->id);
    put_str(sb, &first, "kind", inc->kind);
    corral_strbuf_json_key(sb, &first, "scenario");
    corral_strbuf_json_int(sb, inc->scenario);
    put_str(sb, &first, "displayName", inc->display_name);
    put_str(sb, &first, "description", inc->description != NULL ? inc->description : "");
    put_str(sb, &first, "severity", corral_severity_name(inc->severity));
    put_str(sb, &first, "status", corral_status_name(inc->status));
    put_str(sb, &first, "scope", inc->scope);
    corral_strbuf_json_key(sb, &first, "entity");
    put_entity(sb, corral_incident_entity_type(inc->entity_type), inc->entity_key);
    corral_strbuf_json_key(sb, &first, "alerts");
    corral_strbuf_putc(sb, '[');
    for (uint32_t i = 0; i < inc->n_members; i++) {
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        corral_strbuf_json_str(sb, inc->links[i].alert->id, strlen(inc->links[i].alert->id));
    }
    corral_strbuf_putc(sb, ']');
    put_sorted_names(sb, &first, "plans", inc->plans, CORRAL_PLAN_COUNT, plan_at);
    put_sorted_names(sb, &first, "tactics", inc->tactics, CORRAL_TAC_COUNT, tactic_at);
    put_time(sb, &first, "firstActivityTimeUtc", inc->first_activity);
    put_time(sb, &first, "lastActivityTimeUtc", inc->last_activity);
    corral_strbuf_json_key(sb, &first, "entities");
    corral_strbuf_putc(sb, '[');
    for (uint32_t i = 0; i < inc->n_entities; i++) {
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        put_entity(sb, corral_entity_type_name(inc->entities[i].type), inc->entities[i].key);
    }
    corral_strbuf_putc(sb, ']');
    put_why(sb, &first, inc);
    if (event != NULL) {
        put_str(sb, &first, "event", event);
        corral_strbuf_json_key(sb, &first, "version");
        corral_strbuf_json_int(sb, inc->version);
    }
    corral_strbuf_putc(sb, '}');
}

/*
 * Defender's own shape for an incident (the REST alert with isIncident
 * true): the member alerts appear as entities of type "SecurityAlert".
 */
static void defender_shape(struct corral_strbuf *sb, const struct corral_incident *inc,
                           const char *event)
{
    int first = 1;
    corral_strbuf_putc(sb, '{');
    put_str(sb, &first, "systemAlertId", inc->id);
    corral_strbuf_json_key(sb, &first, "alertType");
    corral_strbuf_printf(sb, "\"corral.%s\"", inc->kind);
    put_str(sb, &first, "alertDisplayName", inc->display_name);
    put_str(sb, &first, "description", inc->description != NULL ? inc->description : "");
    put_str(sb, &first, "severity", corral_severity_name(inc->severity));
    put_str(sb, &first, "status", corral_status_name(inc->status));
    corral_strbuf_json_key(sb, &first, "isIncident");
    corral_strbuf_puts(sb, "true");
    put_str(sb, &first, "correlationKey", inc->id);
    put_str(sb, &first, "vendorName", "corral");
    put_str(sb, &first, "productName", "corral");
    put_time(sb, &first, "startTimeUtc", inc->first_activity);
    put_time(sb, &first, "endTimeUtc", inc->last_activity);
    put_sorted_names(sb, &first, "intent", inc->tactics, CORRAL_TAC_COUNT, tactic_at);
    put_str(sb, &first, "compromisedEntity", inc->entity_key);
    corral_strbuf_json_key(sb, &first, "entities");
    corral_strbuf_putc(sb, '[');
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        int ef = 1;
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        corral_strbuf_putc(sb, '{');
        put_str(sb, &ef, "type", "SecurityAlert");
        put_str(sb, &ef, "systemAlertId", a->id);
        put_str(sb, &ef, "alertType", a->alert_type);
        put_str(sb, &ef, "alertDisplayName", a->display_name);
        put_time(sb, &ef, "startTimeUtc", a->start);
        put_str(sb, &ef, "severity", corral_severity_name(a->severity));
        corral_strbuf_putc(sb, '}');
    }
    corral_strbuf_putc(sb, ']');
    corral_strbuf_json_key(sb, &first, "extendedProperties");
    int xf = 1;
    corral_strbuf_putc(sb, '{');
    put_str(sb, &xf, "kind", inc->kind);
    corral_strbuf_json_key(sb, &xf, "scenario");
    corral_strbuf_printf(sb, "\"%u\"", inc->scenario);
    put_str(sb, &xf, "scope", inc->scope);
    put_str(sb, &xf, "entityType", corral_incident_entity_type(inc->entity_type));
    put_str(sb, &xf, "entity", inc->entity_key);
    corral_strbuf_putc(sb, '}');
    if (event != NULL) {
        put_str(sb, &first, "event", event);
        corral_strbuf_json_key(sb, &first, "version");
        corral_strbuf_json_int(sb, inc->version);
    }
    corral_strbuf_putc(sb, '}');
}

void corral_incident_json(struct corral_strbuf *sb, const struct corral_incident *inc,
                          enum corral_incident_format format, const char *event)
{
    if (format == CORRAL_FORMAT_DEFENDER) {
        defender_shape(sb, inc, event);
    } else {
        corral_shape(sb, inc, event);
    }
}
