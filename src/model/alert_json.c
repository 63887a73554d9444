/*
 * alert_json.c - write a normalized alert as JSON. Signals, tactics and
 * stages come out in enum (kill-chain) order; entities in the order the
 * decoder sorted them, (type, key).
 */
#include "model/alert_json.h"

#include <string.h>

#include "util/time.h"

static void put_str(struct corral_strbuf *sb, int *first, const char *key, const char *value)
{
    corral_strbuf_json_key(sb, first, key);
    corral_strbuf_json_str(sb, value, strlen(value));
}

static void put_time(struct corral_strbuf *sb, int *first, const char *key, corral_time t)
{
    corral_strbuf_json_key(sb, first, key);
    if (t == CORRAL_TIME_NONE) {
        corral_strbuf_puts(sb, "null");
        return;
    }
    char text[CORRAL_TIME_TEXT];
    corral_strbuf_json_str(sb, corral_time_format(t, text), CORRAL_TIME_TEXT - 1);
}

static const char *signal_at(unsigned bit)
{
    return corral_signal_name((enum corral_signal)(1u << bit));
}

static const char *tactic_at(unsigned bit)
{
    return corral_tactic_name((enum corral_tactic)bit);
}

/* The set bits of mask as a JSON array: names from name(bit), or bit numbers when name is NULL. */
static void put_bits(struct corral_strbuf *sb, int *first, const char *key, uint32_t mask,
                     unsigned nbits, const char *(*name)(unsigned bit))
{
    corral_strbuf_json_key(sb, first, key);
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
            corral_strbuf_json_int(sb, i);
        } else {
            const char *text = name(i);
            corral_strbuf_json_str(sb, text, strlen(text));
        }
    }
    corral_strbuf_putc(sb, ']');
}

void corral_alert_json(struct corral_strbuf *sb, const struct corral_alert *a, const char *source,
                       size_t line)
{
    int first = 1;
    corral_strbuf_putc(sb, '{');
    put_str(sb, &first, "systemAlertId", a->id);
    put_str(sb, &first, "alertType", a->alert_type);
    put_str(sb, &first, "displayName", a->display_name);
    put_str(sb, &first, "shape", corral_shape_name(a->shape));
    put_str(sb, &first, "scope", a->scope);
    put_str(sb, &first, "plan", corral_plan_name(a->plan));
    put_str(sb, &first, "productComponentName", a->product_component);

    put_bits(sb, &first, "signals", a->signals, CORRAL_SIG_COUNT, signal_at);
    put_bits(sb, &first, "tactics", a->tactics, CORRAL_TAC_COUNT, tactic_at);
    put_bits(sb, &first, "stages", a->stages, CORRAL_STAGE_COUNT, NULL);
    put_str(sb, &first, "severity", corral_severity_name(a->severity));
    put_str(sb, &first, "status", corral_status_name(a->status));
    put_time(sb, &first, "startTimeUtc", a->start);
    put_time(sb, &first, "endTimeUtc", a->end);
    put_time(sb, &first, "timeGeneratedUtc", a->generated);

    corral_strbuf_json_key(sb, &first, "entities");
    corral_strbuf_putc(sb, '[');
    for (uint32_t i = 0; i < a->n_entities; i++) {
        const struct corral_entity *e = &a->entities[i];
        if (i > 0) {
            corral_strbuf_putc(sb, ',');
        }
        int ef = 1;
        corral_strbuf_putc(sb, '{');
        put_str(sb, &ef, "type", corral_entity_type_name(e->type));
        corral_strbuf_json_key(sb, &ef, "key");
        corral_strbuf_json_str(sb, e->key, e->len);
        corral_strbuf_putc(sb, '}');
    }
    corral_strbuf_putc(sb, ']');

    if (source != NULL) {
        corral_strbuf_json_key(sb, &first, "source");
        struct corral_strbuf tmp;
        corral_strbuf_init(&tmp);
        corral_strbuf_printf(&tmp, "%s:%zu", source, line);
        corral_strbuf_json_str(sb, tmp.data != NULL ? tmp.data : "", tmp.len);
        if (tmp.failed) {
            sb->failed = 1;
        }
        corral_strbuf_release(&tmp);
    }
    corral_strbuf_putc(sb, '}');
}
