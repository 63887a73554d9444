/*
 * got_alerts.c - the decode sink of got_alerts.h. It also checks what every
 * decoded alert promises: its entities sorted by (type, key), and a source
 * named with every problem.
 */
#include "got_alerts.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

static void on_alert(void *ctx, const struct corral_alert *a, size_t line)
{
    struct got *g = ctx;
    if (g->n_alerts == MAX_GOT) {
        return;
    }
    struct got_alert *o = &g->alerts[g->n_alerts++];
    copy(o->id, sizeof o->id, a->id);
    copy(o->type, sizeof o->type, a->alert_type);
    copy(o->name, sizeof o->name, a->display_name);
    copy(o->component, sizeof o->component, a->product_component);
    copy(o->scope, sizeof o->scope, a->scope);
    o->shape = a->shape;
    o->plan = a->plan;
    o->signals = a->signals;
    o->tactics = a->tactics;
    o->stages = a->stages;
    o->severity = a->severity;
    o->status = a->status;
    o->start = a->start;
    o->end = a->end;
    o->generated = a->generated;
    o->n_entities = a->n_entities;
    o->line = line;
    size_t at = 0;
    for (uint32_t i = 0; i < a->n_entities; i++) {
        /* Sorted by (type, key), as decode.h promises. */
        if (i > 0) {
            const struct corral_entity *p = &a->entities[i - 1];
            const struct corral_entity *e = &a->entities[i];
            assert_true(p->type < e->type || (p->type == e->type && strcmp(p->key, e->key) < 0));
        }
        int n = snprintf(o->entities + at, sizeof o->entities - at, "\n%s=%s",
                         corral_entity_type_name(a->entities[i].type), a->entities[i].key);
        if (n > 0 && (size_t)n < sizeof o->entities - at) {
            at += (size_t)n;
        }
    }
    if (at + 1 < sizeof o->entities) {
        o->entities[at] = '\n';
        o->entities[at + 1] = '\0';
    }
}

static void on_problem(void *ctx, const char *source, const struct corral_diag *d, int rejected)
{
    struct got *g = ctx;
    assert_non_null(source);
    if (g->n_problems == MAX_GOT) {
        return;
    }
    struct got_problem *p = &g->problems[g->n_problems++];
    p->code = d->code;
    p->line = d->line;
    p->col = d->col;
    copy(p->msg, sizeof p->msg, d->msg);
    p->rejected = rejected;
}

static void on_skipped(void *ctx, const char *what)
{
    struct got *g = ctx;
    if (g->n_skipped < MAX_GOT) {
        copy(g->skipped[g->n_skipped], sizeof g->skipped[0], what);
    }
    g->n_skipped++;
}

struct corral_decode_sink got_sink(struct got *g)
{
    struct corral_decode_sink sink = {g, on_alert, on_problem, on_skipped};
    return sink;
}
