/*
 * incident_text.c - an incident for a person to read: what fired, on what,
 * and every member alert with the link that tied it in. Used by `corral
 * explain` and `corral correlate --format text`.
 */
#include "model/incident_text.h"

#include <string.h>

#include "model/incident_json.h"
#include "util/time.h"

static void fmt_time(corral_time t, char out[CORRAL_TIME_TEXT])
{
    corral_time_format(t, out);
    out[10] = ' '; /* "2026-11-01 10:00:00.0000000Z": easier on the eye */
}

void corral_incident_text(struct corral_strbuf *sb, const struct corral_incident *inc)
{
    char t1[CORRAL_TIME_TEXT], t2[CORRAL_TIME_TEXT];
    fmt_time(inc->first_activity, t1);
    fmt_time(inc->last_activity, t2);
    corral_strbuf_printf(sb, "Incident %s\n%s\n", inc->id, inc->display_name);
    corral_strbuf_printf(sb, "  kind        %s, scenario %u\n", inc->kind, inc->scenario);
    corral_strbuf_printf(sb, "  severity    %s (%s)\n", corral_severity_name(inc->severity),
                         corral_status_name(inc->status));
    corral_strbuf_printf(sb, "  scope       %s\n", inc->scope[0] != '\0' ? inc->scope : "(empty)");
    corral_strbuf_printf(sb, "  entity      %s %s\n", corral_incident_entity_type(inc->entity_type),
                         inc->entity_key);
    corral_strbuf_printf(sb, "  activity    %s .. %s\n", t1, t2);
    corral_strbuf_printf(sb, "  rule        %s/%u: %s\n", inc->kind, inc->scenario,
                         inc->rule_text != NULL ? inc->rule_text : "");
    if (inc->description != NULL && inc->description[0] != '\0') {
        corral_strbuf_printf(sb, "\n  %s\n", inc->description);
    }
    corral_strbuf_printf(sb, "\n%u member alerts:\n", inc->n_members);
    for (uint32_t i = 0; i < inc->n_members; i++) {
        const struct corral_link *l = &inc->links[i];
        const struct corral_alert *a = l->alert;
        char ts[CORRAL_TIME_TEXT];
        fmt_time(a->start, ts);
        corral_strbuf_printf(sb, "\n %2u. %s  %-7s %s\n", i + 1, ts,
                             l->role == CORRAL_LINK_RULE ? "rule" : "context", a->id);
        corral_strbuf_printf(sb, "     %s: %s [%s, %s]\n", a->alert_type, a->display_name,
                             corral_plan_name(a->plan), corral_severity_name(a->severity));
        corral_strbuf_printf(sb, "     tied by %s %s\n", corral_incident_entity_type(l->via_type),
                             l->via_key);
        if (l->following != NULL && strcmp(l->following, "first") == 0) {
            corral_strbuf_puts(sb, "     the earlier alert of the ordered pair\n");
        }
        if (l->after != NULL) {
            corral_strbuf_printf(sb, "     follows %s\n", l->after->id);
        }
        if (l->requirement != NULL) {
            corral_strbuf_printf(sb, "     meets the requirement: %s\n", l->requirement);
        }
        if (l->stage >= 0) {
            corral_strbuf_printf(sb, "     kill-chain stage %d\n", l->stage);
        }
    }
}
