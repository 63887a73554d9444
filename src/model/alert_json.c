/*
 * alert_json.c - write a normalized alert as JSON. Signals, tactics and
 * stages come out in enum (kill-chain) order; entities in the order the
 * decoder sorted them, (type, key).
 *
 * `corral alerts` writes one line per alert read, so like incident_json.c
 * the fixed text goes out as literals with its separators, corral's own
 * names without escaping, and only the alert's strings through the escaper.
 */
#include "model/alert_json.h"

#include <string.h>

#include "util/time.h"

#define LIT(sb, s) CORRAL_STRBUF_LIT(sb, s)

static const char *signal_at(unsigned bit)
{
    return corral_signal_name((enum corral_signal)(1u << bit));
}

static const char *tactic_at(unsigned bit)
{
    return corral_tactic_name((enum corral_tactic)bit);
}

/* The set bits of mask as a JSON array: names from name(bit), or bit numbers when name is NULL. */
static void put_bits(struct corral_strbuf *sb, uint32_t mask, unsigned nbits,
                     const char *(*name)(unsigned bit))
{
    corral_strbuf_putc(sb, '[');
    int inner = 1;
    for (unsigned i = 0; i < nbits; i++) {
        if ((mask & (1u << i)) == 0) {
            continue;
        }
        if (!inner) {
            corral_strbuf_putc(sb, ',');
        }
        inner = 0;
        if (name == NULL) {
            corral_strbuf_json_uint(sb, i);
        } else {
            corral_strbuf_json_name(sb, name(i));
        }
    }
    corral_strbuf_putc(sb, ']');
}

void corral_alert_json(struct corral_strbuf *sb, const struct corral_alert *a, const char *source,
                       size_t line)
{
    LIT(sb, "{\"systemAlertId\":");
    corral_strbuf_json_cstr(sb, a->id);
    LIT(sb, ",\"alertType\":");
    corral_strbuf_json_cstr(sb, a->alert_type);
    LIT(sb, ",\"displayName\":");
    corral_strbuf_json_cstr(sb, a->display_name);
    LIT(sb, ",\"shape\":");
    corral_strbuf_json_name(sb, corral_shape_name(a->shape));
    LIT(sb, ",\"scope\":");
    corral_strbuf_json_cstr(sb, a->scope);
    LIT(sb, ",\"plan\":");
    corral_strbuf_json_name(sb, corral_plan_name(a->plan));
    LIT(sb, ",\"productComponentName\":");
    corral_strbuf_json_cstr(sb, a->product_component);

    LIT(sb, ",\"signals\":");
    put_bits(sb, a->signals, CORRAL_SIG_COUNT, signal_at);
    LIT(sb, ",\"tactics\":");
    put_bits(sb, a->tactics, CORRAL_TAC_COUNT, tactic_at);
    LIT(sb, ",\"stages\":");
    put_bits(sb, a->stages, CORRAL_STAGE_COUNT, NULL);
    LIT(sb, ",\"severity\":");
    corral_strbuf_json_name(sb, corral_severity_name(a->severity));
    LIT(sb, ",\"status\":");
    corral_strbuf_json_name(sb, corral_status_name(a->status));
    LIT(sb, ",\"startTimeUtc\":");
    corral_time_json(sb, a->start);
    LIT(sb, ",\"endTimeUtc\":");
    corral_time_json(sb, a->end);
    LIT(sb, ",\"timeGeneratedUtc\":");
    corral_time_json(sb, a->generated);

    LIT(sb, ",\"entities\":[");
    for (uint32_t i = 0; i < a->n_entities; i++) {
        const struct corral_entity *e = &a->entities[i];
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        LIT(sb, "{\"type\":");
        corral_strbuf_json_name(sb, corral_entity_type_name(e->type));
        LIT(sb, ",\"key\":");
        corral_strbuf_json_str(sb, e->key, e->len);
        corral_strbuf_putc(sb, '}');
    }
    corral_strbuf_putc(sb, ']');

    if (source != NULL) {
        /* "file:line": the line number needs no escape, so it goes inside the quotes as is. */
        LIT(sb, ",\"source\":");
        corral_strbuf_json_cstr(sb, source);
        if (corral_strbuf_status(sb) == CORRAL_OK) {
            sb->len--; /* the closing quote */
            corral_strbuf_putc(sb, ':');
            corral_strbuf_json_uint(sb, line);
            corral_strbuf_putc(sb, '"');
        }
    }
    corral_strbuf_putc(sb, '}');
}
