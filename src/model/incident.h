/*
 * incident.h - a security incident: what the engine finds and explains.
 *
 * Plain data handed to an incident sink; pointers are borrowed from the
 * engine for the duration of the callback. Members are in (start time,
 * systemAlertId) order; entities sorted by (type, key); plans and tactics as
 * bit sets (written sorted by name). Nothing here depends on wall-clock time
 * or arrival order, so the same alerts always give the same incident.
 */
#ifndef CORRAL_MODEL_INCIDENT_H
#define CORRAL_MODEL_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "model/alert.h"

/* Why one member alert is in the incident. */
enum corral_link_role {
    CORRAL_LINK_RULE = 0, /* one of the alerts that satisfied the rule */
    CORRAL_LINK_CONTEXT,  /* shares the entity within the session, joined as context */
};

struct corral_link {
    const struct corral_alert *alert;
    enum corral_link_role role;
    /* The entity that tied it in (for chains: the vm it is on). */
    enum corral_entity_type via_type;
    const char *via_key;
    /* `following`: this alert is the `then` side, after `after` (or the `first` side: after = NULL). */
    const char *following; /* "first" or "then" or NULL */
    const struct corral_alert *after;
    int stage; /* machine chains: the kill-chain stage it takes, else -1 */
    const char *requirement; /* which requirement it met ("plan KeyVault", "signal geo"...), or NULL */
};

struct corral_incident {
    char id[40];            /* deterministic, see engine.h */
    const char *kind;       /* slug */
    unsigned number;        /* the seed's kind number, 0 for user rules */
    unsigned scenario;
    const char *display_name;
    const char *description;
    enum corral_severity severity;
    enum corral_status status;
    const char *scope;
    enum corral_entity_type entity_type;
    const char *entity_key; /* several vms: sorted keys joined by ',' */
    const struct corral_link *links; /* one per member, in member order */
    uint32_t n_members;
    uint32_t plans;   /* 1u << enum corral_plan */
    uint32_t tactics; /* 1u << enum corral_tactic */
    corral_time first_activity, last_activity;
    const struct corral_entity *entities; /* distinct entities of the members */
    uint32_t n_entities;
    const char *rule_text; /* the scenario in words, for the why */
    uint32_t version;      /* 1 when created, +1 each time it grows (for --stream) */
};

#endif
