/*
 * rule.h - a correlation rule, compiled: what the engine evaluates.
 *
 * Rules are data (data/rules.yaml, see rules_file.h); this is their in-memory
 * form. Two families:
 *
 *   - entity rules: alerts of one scope that share an entity (a user, an
 *     IP...) within a session window, and that together show what a scenario
 *     needs: enough alerts, enough distinct plans, some required alerts, and
 *     optionally one alert `following` another;
 *   - chain rules: alerts on machines that climb the kill chain (incidents.md
 *     "Machine chain"); the first chain rule, in file order, whose conditions
 *     fit a chain's members names its kind.
 */
#ifndef CORRAL_RULES_RULE_H
#define CORRAL_RULES_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "model/alert.h"

/* One alert that a scenario asks for. Every non-zero field must hold. */
struct corral_cond {
    uint32_t signals;      /* the alert has one of these signals (enum corral_signal flags) */
    uint32_t plans;        /* the alert's plan is one of these (1u << enum corral_plan) */
    uint32_t entity_types; /* the alert names an entity of one of these types (1u << type) */
    int other_plan;        /* `then` side of `following` only: a plan other than the first's */
};

#define CORRAL_MAX_REQUIRE 4

struct corral_scenario {
    unsigned number;       /* 1, 2 or 3 */
    uint32_t entity_types; /* the shared entity: 1u << enum corral_entity_type */
    const char *description;
    unsigned min_alerts;   /* members needed (default 2) */
    unsigned min_plans;    /* distinct plans among members (default 2) */
    unsigned min_vms;      /* distinct vms the members are on (default 0) */
    struct corral_cond require[CORRAL_MAX_REQUIRE]; /* each met by at least one member */
    unsigned n_require;
    int has_following;     /* an alert meeting `then` starts no earlier than one meeting `first` */
    struct corral_cond first, then;
    corral_time window;    /* session gap, in ticks */
    size_t line;           /* where it was defined, for messages */
};

enum corral_severity_rule {
    CORRAL_SEVRULE_HIGH = 0,
    CORRAL_SEVRULE_MEDIUM,
    CORRAL_SEVRULE_MEDIUM_HIGH, /* High when any member is High, else Medium */
};

enum corral_chain_with {
    CORRAL_CHAIN_ANY = 0,
    CORRAL_CHAIN_BOTNET,   /* a member has the botnet signal */
    CORRAL_CHAIN_OUTGOING, /* a member has outgoing, none has botnet (botnet wins) */
    CORRAL_CHAIN_NEITHER,  /* no member has botnet or outgoing */
};

struct corral_chain_cond {
    unsigned min_vms, max_vms; /* max_vms 0 = no upper bound */
    enum corral_chain_with with;
    int min_stage;             /* the chain reaches at least this stage; -1 = any */
    corral_time window;
};

#define CORRAL_MAX_SCENARIOS 3

struct corral_rule {
    const char *kind;         /* slug, e.g. "suspicious-user-activity" */
    unsigned number;          /* the seed's number (1..24), 0 for a user's own rule */
    const char *display_name;
    enum corral_severity_rule severity;
    unsigned specificity;     /* given way to by: a more specific incident holding all its alerts */
    int is_chain;
    struct corral_scenario scenarios[CORRAL_MAX_SCENARIOS]; /* entity rules */
    unsigned n_scenarios;
    struct corral_chain_cond chain;                          /* chain rules */
    const char *chain_description;
    size_t line;
};

/* A loaded rule set; strings and rules are owned by it. */
struct corral_ruleset {
    struct corral_rule *rules;
    size_t n_rules;
    corral_time default_window;
    corral_time max_span; /* a session ends this long after its first alert at the latest */
    void *owner; /* private: the storage behind the strings */
};

/* 1 when the alert meets cond (the other_plan part is checked by the caller). */
int corral_cond_match(const struct corral_cond *cond, const struct corral_alert *alert);

#endif
