/*
 * alert.h - the normalized alert: what every input shape is decoded into.
 *
 * Whatever shape an alert arrived in (REST envelope, continuous export,
 * Sentinel row), the rest of corral sees only this: identity, scope, plan,
 * signals, kill-chain stages, severity, status, times and entity keys, all
 * normalized as ../spec/incidents.md says. Plain data: the strings and arrays
 * belong to whoever filled the struct (the decoder fills it from an arena).
 */
#ifndef CORRAL_MODEL_ALERT_H
#define CORRAL_MODEL_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Time: 100-nanosecond ticks since 1970-01-01T00:00:00Z (the 7-digit fractions of .NET). */
typedef int64_t corral_time;
#define CORRAL_TIME_NONE INT64_MIN

enum corral_plan {
    CORRAL_PLAN_UNKNOWN = 0,
    CORRAL_PLAN_SERVERS,
    CORRAL_PLAN_APPSERVICE,
    CORRAL_PLAN_STORAGE,
    CORRAL_PLAN_SQL,
    CORRAL_PLAN_COSMOSDB,
    CORRAL_PLAN_KEYVAULT,
    CORRAL_PLAN_RESOURCEMANAGER,
    CORRAL_PLAN_DNS,
    CORRAL_PLAN_CONTAINERS,
    CORRAL_PLAN_APIS,
    CORRAL_PLAN_AI,
    CORRAL_PLAN_NETWORK,
    CORRAL_PLAN_COUNT
};

/* Signals: what an alert is about (bit flags, see incidents.md "Signals"). */
enum corral_signal {
    CORRAL_SIG_ACCOUNT = 1u << 0,
    CORRAL_SIG_CRYPTO_MINING = 1u << 1,
    CORRAL_SIG_BRUTE_FORCE = 1u << 2,
    CORRAL_SIG_EXPLOIT = 1u << 3,
    CORRAL_SIG_FILELESS = 1u << 4,
    CORRAL_SIG_SAS = 1u << 5,
    CORRAL_SIG_GEO = 1u << 6,
    CORRAL_SIG_SUSPICIOUS_IP = 1u << 7,
    CORRAL_SIG_DDOS = 1u << 8,
    CORRAL_SIG_EXFILTRATION = 1u << 9,
    CORRAL_SIG_PASSWORD_RESET = 1u << 10,
    CORRAL_SIG_BOTNET = 1u << 11,
    CORRAL_SIG_OUTGOING = 1u << 12,
    CORRAL_SIG_AZURE_TOOLKIT = 1u << 13,
};
#define CORRAL_SIG_COUNT 14

/*
 * Tactics as recorded (bit flags, in kill-chain order). The stage of a tactic
 * is given by corral_tactic_stage(); several tactics share stage 0 and 1.
 */
enum corral_tactic {
    CORRAL_TAC_PREATTACK = 0,
    CORRAL_TAC_PROBING,
    CORRAL_TAC_RECONNAISSANCE,
    CORRAL_TAC_RESOURCEDEVELOPMENT,
    CORRAL_TAC_INITIALACCESS,
    CORRAL_TAC_EXPLOITATION,
    CORRAL_TAC_PERSISTENCE,
    CORRAL_TAC_PRIVILEGEESCALATION,
    CORRAL_TAC_DEFENSEEVASION,
    CORRAL_TAC_CREDENTIALACCESS,
    CORRAL_TAC_DISCOVERY,
    CORRAL_TAC_LATERALMOVEMENT,
    CORRAL_TAC_EXECUTION,
    CORRAL_TAC_COLLECTION,
    CORRAL_TAC_COMMANDANDCONTROL,
    CORRAL_TAC_EXFILTRATION,
    CORRAL_TAC_IMPACT,
    CORRAL_TAC_COUNT
};
#define CORRAL_STAGE_COUNT 13

enum corral_severity {
    CORRAL_SEV_UNKNOWN = 0,
    CORRAL_SEV_INFORMATIONAL,
    CORRAL_SEV_LOW,
    CORRAL_SEV_MEDIUM,
    CORRAL_SEV_HIGH,
};

enum corral_status {
    CORRAL_STATUS_ACTIVE = 0, /* also "New" */
    CORRAL_STATUS_INPROGRESS,
    CORRAL_STATUS_RESOLVED,
    CORRAL_STATUS_DISMISSED,
};

/* Which input shape the alert came in (formats.md). */
enum corral_shape {
    CORRAL_SHAPE_REST = 0, /* camelCase envelope {id,name,type,properties}, or az CLI flat */
    CORRAL_SHAPE_EXPORT,   /* continuous export / workflow automation, PascalCase */
    CORRAL_SHAPE_SENTINEL, /* Log Analytics SecurityAlert row, JSON-in-string columns */
};

enum corral_entity_type {
    CORRAL_ENT_USER = 0,
    CORRAL_ENT_SERVICE_PRINCIPAL,
    CORRAL_ENT_IP,
    CORRAL_ENT_RESOURCE,
    CORRAL_ENT_VM,
    CORRAL_ENT_CLUSTER,
    CORRAL_ENT_PROCESS,       /* S1 key: vm + "|" + pid (decimal) + "|" + creation time */
    CORRAL_ENT_PROCESS_IMAGE, /* S2 key: image path + "|" + command line, lower-cased */
    CORRAL_ENT_DOMAIN,
    CORRAL_ENT_FILEHASH, /* algorithm + ":" + value, lower-cased */
    CORRAL_ENT_URL,
    CORRAL_ENT_COUNT
};

/* One normalized entity key. key is NUL-terminated; len excludes the NUL. */
struct corral_entity {
    enum corral_entity_type type;
    uint32_t len;
    const char *key;
};

struct corral_alert {
    const char *id;            /* systemAlertId as given (required) */
    const char *alert_type;    /* "" when absent */
    const char *display_name;  /* "" when absent */
    const char *product_component; /* "" when absent */
    const char *scope;         /* tenant or subscription id, lower-case; "" = the empty scope */
    enum corral_shape shape;
    enum corral_plan plan;
    uint32_t signals;          /* enum corral_signal flags */
    uint32_t tactics;          /* 1u << enum corral_tactic */
    uint16_t stages;           /* 1u << stage (0..12), derived from tactics */
    enum corral_severity severity;
    enum corral_status status;
    corral_time start;         /* startTimeUtc (required) */
    corral_time end;           /* CORRAL_TIME_NONE when absent */
    corral_time generated;     /* timeGenerated(Utc), CORRAL_TIME_NONE when absent */
    const struct corral_entity *entities; /* distinct, sorted by corral_entity_cmp */
    uint32_t n_entities;
};

/*
 * The order of every entity list: by type, then key bytes, a key before
 * the longer keys it begins. <0, 0, >0. Inline: incidents merge members'
 * lists with it.
 */
static inline int corral_entity_cmp(const struct corral_entity *a, const struct corral_entity *b)
{
    if (a->type != b->type) {
        return a->type < b->type ? -1 : 1;
    }
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    if (c != 0) {
        return c;
    }
    return a->len < b->len ? -1 : (a->len > b->len);
}

/* Names for output: stable lower-case or canonical words. Never NULL. */
const char *corral_plan_name(enum corral_plan plan);         /* "Servers", "KeyVault", ... */
const char *corral_signal_name(enum corral_signal signal);   /* "crypto_mining", ... one bit */
const char *corral_tactic_name(enum corral_tactic tactic);   /* "PreAttack", "InitialAccess", ... */
unsigned corral_tactic_stage(enum corral_tactic tactic);     /* 0..12 */
const char *corral_severity_name(enum corral_severity sev);  /* "High", ...; "" for unknown */
const char *corral_status_name(enum corral_status status);   /* "Active", ... */
const char *corral_shape_name(enum corral_shape shape);      /* "rest", "export", "sentinel" */
const char *corral_entity_type_name(enum corral_entity_type type); /* "user", "ip", ... */

/* Every plan and every tactic, ordered by name (strcmp of the names above): output sorted by name. */
extern const unsigned char corral_plans_by_name[CORRAL_PLAN_COUNT];
extern const unsigned char corral_tactics_by_name[CORRAL_TAC_COUNT];

/* Lookups from text, case-insensitive; return 0 on success, -1 when the text is not known. */
int corral_plan_parse(const char *s, size_t len, enum corral_plan *out);
int corral_tactic_parse(const char *s, size_t len, enum corral_tactic *out); /* spaces ignored */
int corral_severity_parse(const char *s, size_t len, enum corral_severity *out);
int corral_status_parse(const char *s, size_t len, enum corral_status *out); /* New = Active */

#endif
