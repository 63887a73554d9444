/*
 * incident_json.c - write an incident. Arrays come out in canonical order
 * (plans and tactics sorted by name, entities by type then key, members and
 * links by start time then id), and nothing depends on the clock, so that
 * the same alerts always give byte-identical lines.
 *
 * A big incident writes every member and its link, thousands of small
 * pieces, so the fixed text is written as literals with their separators
 * ("\",\"role\":\"rule\"" and the like), names that need no escape are
 * copied as they are, and only the strings that come from the alerts and the
 * rules go through the JSON escaper. A time, whose text is never escaped, is
 * copied as it is.
 * What the why repeats (the incident's entity, the member ids of the alerts
 * array) is escaped once and copied from where it was written.
 */
#include "model/incident_json.h"

#include <string.h>

#include "util/time.h"

#define LIT(sb, s) CORRAL_STRBUF_LIT(sb, s)

/* A string from the data (an id, a key, a rule's text), escaped. */
static void put_text(struct corral_strbuf *sb, const char *s)
{
    corral_strbuf_json_cstr(sb, s != NULL ? s : "");
}

/* {"type":"...","key":"..."}, the key of len bytes. */
static void put_entity(struct corral_strbuf *sb, enum corral_entity_type type, const char *key,
                       size_t len)
{
    LIT(sb, "{\"type\":");
    corral_strbuf_json_name(sb, corral_entity_type_name(type));
    LIT(sb, ",\"key\":");
    corral_strbuf_json_str(sb, key, len);
    corral_strbuf_putc(sb, '}');
}

/* The type an incident's shared entity is written as: process images are processes. */
static enum corral_entity_type incident_entity_type(enum corral_entity_type type)
{
    return type == CORRAL_ENT_PROCESS_IMAGE ? CORRAL_ENT_PROCESS : type;
}

const char *corral_incident_entity_type(enum corral_entity_type type)
{
    return corral_entity_type_name(incident_entity_type(type));
}

static const char *plan_at(unsigned p)
{
    return corral_plan_name((enum corral_plan)p);
}

static const char *tactic_at(unsigned t)
{
    return corral_tactic_name((enum corral_tactic)t);
}

/* The names of the set bits of mask as a JSON array, in the given order of names. */
static void put_names(struct corral_strbuf *sb, uint32_t mask, const unsigned char *order,
                      unsigned n, const char *(*name)(unsigned))
{
    corral_strbuf_putc(sb, '[');
    int first = 1;
    for (unsigned i = 0; i < n; i++) {
        if (mask & (1u << order[i])) {
            if (!first) {
                corral_strbuf_putc(sb, ',');
            }
            first = 0;
            corral_strbuf_json_name(sb, name(order[i]));
        }
    }
    corral_strbuf_putc(sb, ']');
}

static void put_event(struct corral_strbuf *sb, const struct corral_incident *inc,
                      const char *event)
{
    if (event != NULL) {
        LIT(sb, ",\"event\":");
        put_text(sb, event);
        LIT(sb, ",\"version\":");
        corral_strbuf_json_uint(sb, inc->version);
    }
}

/* The display name's value, then description, severity and status: the same in both shapes. */
static void put_summary(struct corral_strbuf *sb, const struct corral_incident *inc)
{
    put_text(sb, inc->display_name);
    LIT(sb, ",\"description\":");
    put_text(sb, inc->description);
    LIT(sb, ",\"severity\":");
    corral_strbuf_json_name(sb, corral_severity_name(inc->severity));
    LIT(sb, ",\"status\":");
    corral_strbuf_json_name(sb, corral_status_name(inc->status));
}

/* How many members' ids corral_shape() remembers the place of: those of nearly every incident. */
#define IDS_KEPT 128

/* Where corral_shape() wrote what the why repeats: the incident's entity and the member ids. */
struct written {
    size_t entity_at, entity_len;
    size_t id_at[IDS_KEPT];
    size_t id_len[IDS_KEPT];
};

static void put_why(struct corral_strbuf *sb, const struct corral_incident *inc,
                    const struct written *w)
{
    LIT(sb, ",\"why\":{\"rule\":\"");
    corral_strbuf_append(sb, inc->kind, strlen(inc->kind));
    corral_strbuf_putc(sb, '/');
    corral_strbuf_json_uint(sb, inc->scenario);
    LIT(sb, "\",\"text\":");
    put_text(sb, inc->rule_text);
    LIT(sb, ",\"links\":[");
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_link *l = &inc->links[i];
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        LIT(sb, "{\"alert\":");
        if (i < IDS_KEPT) {
            corral_strbuf_repeat(sb, w->id_at[i], w->id_len[i]);
        } else {
            put_text(sb, l->alert->id);
        }
        if (l->role == CORRAL_LINK_RULE) {
            LIT(sb, ",\"role\":\"rule\",\"entity\":");
        } else {
            LIT(sb, ",\"role\":\"context\",\"entity\":");
        }
        if (l->via_key == inc->entity_key && l->via_type == inc->entity_type) {
            corral_strbuf_repeat(sb, w->entity_at, w->entity_len); /* an entity rule's every link */
        } else {
            put_entity(sb, incident_entity_type(l->via_type), l->via_key, strlen(l->via_key));
        }
        if (l->following != NULL) {
            LIT(sb, ",\"following\":");
            put_text(sb, l->following);
        }
        if (l->after != NULL) {
            LIT(sb, ",\"after\":");
            put_text(sb, l->after->id);
        }
        if (l->requirement != NULL) {
            LIT(sb, ",\"requirement\":");
            put_text(sb, l->requirement);
        }
        if (l->stage >= 0) {
            LIT(sb, ",\"stage\":");
            corral_strbuf_json_int(sb, l->stage);
        }
        corral_strbuf_putc(sb, '}');
    }
    LIT(sb, "]}");
}

static void corral_shape(struct corral_strbuf *sb, const struct corral_incident *inc,
                         const char *event)
{
    LIT(sb, "{\"id\":");
    put_text(sb, inc->id);
    LIT(sb, ",\"kind\":");
    put_text(sb, inc->kind);
    LIT(sb, ",\"scenario\":");
    corral_strbuf_json_uint(sb, inc->scenario);
    LIT(sb, ",\"displayName\":");
    put_summary(sb, inc);
    LIT(sb, ",\"scope\":");
    put_text(sb, inc->scope);
    LIT(sb, ",\"entity\":");
    struct written w;
    w.entity_at = sb->len;
    put_entity(sb, incident_entity_type(inc->entity_type), inc->entity_key,
               strlen(inc->entity_key));
    w.entity_len = sb->len - w.entity_at;
    LIT(sb, ",\"alerts\":[");
    for (uint32_t i = 0; i < inc->n_members; i++) {
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        const size_t at = sb->len;
        put_text(sb, inc->links[i].alert->id);
        if (i < IDS_KEPT) {
            w.id_at[i] = at;
            w.id_len[i] = sb->len - at;
        }
    }
    LIT(sb, "],\"plans\":");
    put_names(sb, inc->plans, corral_plans_by_name, CORRAL_PLAN_COUNT, plan_at);
    LIT(sb, ",\"tactics\":");
    put_names(sb, inc->tactics, corral_tactics_by_name, CORRAL_TAC_COUNT, tactic_at);
    LIT(sb, ",\"firstActivityTimeUtc\":");
    corral_time_json(sb, inc->first_activity);
    LIT(sb, ",\"lastActivityTimeUtc\":");
    corral_time_json(sb, inc->last_activity);
    LIT(sb, ",\"entities\":[");
    for (uint32_t i = 0; i < inc->n_entities; i++) {
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        const struct corral_entity *e = &inc->entities[i];
        put_entity(sb, e->type, e->key, e->len);
    }
    corral_strbuf_putc(sb, ']');
    put_why(sb, inc, &w);
    put_event(sb, inc, event);
    corral_strbuf_putc(sb, '}');
}

/*
 * Defender's own shape for an incident (the REST alert with isIncident
 * true): the member alerts appear as entities of type "SecurityAlert".
 */
static void defender_shape(struct corral_strbuf *sb, const struct corral_incident *inc,
                           const char *event)
{
    LIT(sb, "{\"systemAlertId\":");
    put_text(sb, inc->id);
    LIT(sb, ",\"alertType\":\"corral.");
    corral_strbuf_append(sb, inc->kind, strlen(inc->kind));
    LIT(sb, "\",\"alertDisplayName\":");
    put_summary(sb, inc);
    LIT(sb, ",\"isIncident\":true,\"correlationKey\":");
    put_text(sb, inc->id);
    LIT(sb, ",\"vendorName\":\"corral\",\"productName\":\"corral\",\"startTimeUtc\":");
    corral_time_json(sb, inc->first_activity);
    LIT(sb, ",\"endTimeUtc\":");
    corral_time_json(sb, inc->last_activity);
    LIT(sb, ",\"intent\":");
    put_names(sb, inc->tactics, corral_tactics_by_name, CORRAL_TAC_COUNT, tactic_at);
    LIT(sb, ",\"compromisedEntity\":");
    put_text(sb, inc->entity_key);
    LIT(sb, ",\"entities\":[");
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_alert *a = inc->links[i].alert;
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        LIT(sb, "{\"type\":\"SecurityAlert\",\"systemAlertId\":");
        put_text(sb, a->id);
        LIT(sb, ",\"alertType\":");
        put_text(sb, a->alert_type);
        LIT(sb, ",\"alertDisplayName\":");
        put_text(sb, a->display_name);
        LIT(sb, ",\"startTimeUtc\":");
        corral_time_json(sb, a->start);
        LIT(sb, ",\"severity\":");
        corral_strbuf_json_name(sb, corral_severity_name(a->severity));
        corral_strbuf_putc(sb, '}');
    }
    LIT(sb, "],\"extendedProperties\":{\"kind\":");
    put_text(sb, inc->kind);
    LIT(sb, ",\"scenario\":\"");
    corral_strbuf_json_uint(sb, inc->scenario);
    LIT(sb, "\",\"scope\":");
    put_text(sb, inc->scope);
    LIT(sb, ",\"entityType\":");
    corral_strbuf_json_name(sb, corral_incident_entity_type(inc->entity_type));
    LIT(sb, ",\"entity\":");
    put_text(sb, inc->entity_key);
    corral_strbuf_putc(sb, '}');
    put_event(sb, inc, event);
    corral_strbuf_putc(sb, '}');
}

void corral_incident_json(struct corral_strbuf *sb, const struct corral_incident *inc,
                          enum corral_incident_format format, const char *event)
{
    /*
     * The members came in long before their incident is written, so their ids are
     * cache misses: ask for all of them now rather than wait for each in turn.
     */
    for (uint32_t i = 0; i < inc->n_members; i++) {
        __builtin_prefetch(inc->links[i].alert->id);
    }
    for (uint32_t i = 0; i < inc->n_entities; i++) {
        __builtin_prefetch(inc->entities[i].key);
    }
    if (format == CORRAL_FORMAT_DEFENDER) {
        defender_shape(sb, inc, event);
    } else {
        corral_shape(sb, inc, event);
    }
}
