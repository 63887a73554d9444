/*
 * engine.h - the correlation engine: normalized alerts in, incidents out.
 *
 * One engine owns a set of scopes (tenants / subscriptions): alerts of
 * different scopes never meet, so a deployment can run many engines side by
 * side, each fed the scopes of its shard, and rebuild any engine's state by
 * replaying a window of alerts into a new one. The engine holds no global
 * state and does no I/O: incidents go to a sink.
 *
 * Time is event time (each alert's start time), not arrival time. The
 * watermark is the newest start time seen minus the allowed lateness (per
 * scope with opts.scope_lag, never below the newest of all less the lag); an
 * alert older than the watermark can no longer change anything and is
 * counted as too late. A session (alerts sharing an entity, each within the
 * window of the previous, and within the maximum span of the first) closes
 * when the watermark passes its last alert plus the window, or its first
 * alert plus the maximum span; its incidents are then final, and its alerts
 * are freed, so memory follows the open window, not the history. Machine
 * components are cut the same way, at cells of the maximum span counted from
 * 1970-01-01 00:00 UTC, so that ties through common entities cannot chain
 * them through the whole history (docs/decisions.md).
 *
 * Determinism: the same alerts, in any arrival order that keeps every alert
 * within the allowed lateness, give the same final incidents, with the same
 * ids, members and why, emitted in the same order: by first activity, then
 * id. A duplicate alert (same systemAlertId) never counts twice: a later
 * copy only updates its status.
 */
#ifndef CORRAL_ENGINE_ENGINE_H
#define CORRAL_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "model/alert.h"
#include "model/incident.h"
#include "rules/rule.h"
#include "util/error.h"

typedef struct corral_engine corral_engine;

struct corral_engine_opts {
    corral_time lateness; /* allowed lateness, ticks (default: CORRAL_DEFAULT_LATENESS) */
    int stream;           /* also emit CORRAL_INC_UPDATE each time an incident appears or grows */
    corral_time max_span; /* the longest session, ticks; 0: the rule set's max_span */
    corral_time scope_lag; /* how far a scope may trail the newest alert of any scope; up to
                              the lateness (the default, 0) all scopes share one watermark */
};

#define CORRAL_TICKS_PER_SECOND 10000000LL
#define CORRAL_DEFAULT_WINDOW (24LL * 3600 * CORRAL_TICKS_PER_SECOND)
#define CORRAL_DEFAULT_LATENESS (24LL * 3600 * CORRAL_TICKS_PER_SECOND)
#define CORRAL_DEFAULT_MAX_SPAN (7LL * 24 * 3600 * CORRAL_TICKS_PER_SECOND)

enum corral_incident_event {
    CORRAL_INC_UPDATE = 0, /* --stream: created or grew (version says which) */
    CORRAL_INC_FINAL,      /* its session closed: this is the incident */
    CORRAL_INC_RETRACT,    /* --stream: an incident emitted earlier no longer stands (merged,
                              re-keyed or suppressed) */
};

struct corral_incident_sink {
    void *ctx;
    void (*incident)(void *ctx, const struct corral_incident *inc, enum corral_incident_event ev);
};

struct corral_engine_stats {
    uint64_t alerts;       /* distinct alerts taken */
    uint64_t duplicates;   /* alerts seen again (same systemAlertId) */
    uint64_t too_late;     /* alerts older than the watermark */
    uint64_t open_alerts;  /* alerts held now */
    uint64_t peak_open_alerts;
    uint64_t incidents;    /* final incidents emitted */
    uint64_t suppressed;   /* incidents not reported: a more specific one holds all their alerts */
};

/* The rule set and sink are borrowed and must outlive the engine. NULL when out of memory. */
corral_engine *corral_engine_new(const struct corral_ruleset *rules,
                                 const struct corral_engine_opts *opts,
                                 const struct corral_incident_sink *sink);
void corral_engine_free(corral_engine *engine); /* NULL is a no-op */

/* Take one alert (copied; the caller's may go away). CORRAL_ERR_NOMEM is the only failure. */
corral_err corral_engine_add(corral_engine *engine, const struct corral_alert *alert);

/* End of input: close every session, emit every remaining final incident in order. */
corral_err corral_engine_flush(corral_engine *engine);

void corral_engine_stats(const corral_engine *engine, struct corral_engine_stats *out);
/* Final incidents emitted so far for the rule at index i of the rule set. */
uint64_t corral_engine_rule_count(const corral_engine *engine, size_t rule_index);

#endif
