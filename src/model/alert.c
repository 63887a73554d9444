/*
 * alert.c - names of the normalized alert's enums, both ways.
 *
 * Output uses these exact words (formats.md); input is matched
 * case-insensitively, and tactic names with or without spaces ("Pre Attack",
 * "PreAttack", "Command And Control") since the catalog and the records
 * disagree on spelling.
 */
#include "model/alert.h"

#include <stdbool.h>

static const char *const plan_names[CORRAL_PLAN_COUNT] = {
    "Unknown", "Servers", "AppService", "Storage", "SQL", "CosmosDB", "KeyVault",
    "ResourceManager", "DNS", "Containers", "APIs", "AI", "Network",
};

static const char *const signal_names[CORRAL_SIG_COUNT] = {
    "account", "crypto_mining", "brute_force", "exploit", "fileless",
    "sas", "geo", "suspicious_ip", "ddos", "exfiltration",
    "password_reset", "botnet", "outgoing", "azure_toolkit",
};

static const char *const tactic_names[CORRAL_TAC_COUNT] = {
    "PreAttack", "Probing", "Reconnaissance", "ResourceDevelopment", "InitialAccess",
    "Exploitation", "Persistence", "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess",
    "Discovery", "LateralMovement", "Execution", "Collection", "CommandAndControl",
    "Exfiltration", "Impact",
};

/* The same in the order of their names (strcmp), for output sorted by name; test_alert.c checks it. */
const unsigned char corral_plans_by_name[CORRAL_PLAN_COUNT] = {
    CORRAL_PLAN_AI,       CORRAL_PLAN_APIS,     CORRAL_PLAN_APPSERVICE, CORRAL_PLAN_CONTAINERS,
    CORRAL_PLAN_COSMOSDB, CORRAL_PLAN_DNS,      CORRAL_PLAN_KEYVAULT,   CORRAL_PLAN_NETWORK,
    CORRAL_PLAN_RESOURCEMANAGER, CORRAL_PLAN_SQL, CORRAL_PLAN_SERVERS, CORRAL_PLAN_STORAGE,
    CORRAL_PLAN_UNKNOWN,
};

const unsigned char corral_tactics_by_name[CORRAL_TAC_COUNT] = {
    CORRAL_TAC_COLLECTION,      CORRAL_TAC_COMMANDANDCONTROL,   CORRAL_TAC_CREDENTIALACCESS,
    CORRAL_TAC_DEFENSEEVASION,  CORRAL_TAC_DISCOVERY,           CORRAL_TAC_EXECUTION,
    CORRAL_TAC_EXFILTRATION,    CORRAL_TAC_EXPLOITATION,        CORRAL_TAC_IMPACT,
    CORRAL_TAC_INITIALACCESS,   CORRAL_TAC_LATERALMOVEMENT,     CORRAL_TAC_PERSISTENCE,
    CORRAL_TAC_PREATTACK,       CORRAL_TAC_PRIVILEGEESCALATION, CORRAL_TAC_PROBING,
    CORRAL_TAC_RECONNAISSANCE,  CORRAL_TAC_RESOURCEDEVELOPMENT,
};

static const unsigned char tactic_stage[CORRAL_TAC_COUNT] = {
    0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};

static const char *const severity_names[] = {"", "Informational", "Low", "Medium", "High"};
static const char *const status_names[] = {"Active", "InProgress", "Resolved", "Dismissed"};
static const char *const shape_names[] = {"rest", "export", "sentinel"};
static const char *const entity_names[CORRAL_ENT_COUNT] = {
    "user", "service_principal", "ip", "resource", "vm", "cluster",
    "process", "process_image", "domain", "filehash", "url",
};

const char *corral_plan_name(enum corral_plan plan)
{
    return (unsigned)plan < CORRAL_PLAN_COUNT ? plan_names[plan] : "Unknown";
}

const char *corral_signal_name(enum corral_signal signal)
{
    for (unsigned i = 0; i < CORRAL_SIG_COUNT; i++) {
        if ((unsigned)signal == (1u << i)) {
            return signal_names[i];
        }
    }
    return "";
}

const char *corral_tactic_name(enum corral_tactic tactic)
{
    return (unsigned)tactic < CORRAL_TAC_COUNT ? tactic_names[tactic] : "";
}

unsigned corral_tactic_stage(enum corral_tactic tactic)
{
    return (unsigned)tactic < CORRAL_TAC_COUNT ? tactic_stage[tactic] : 0;
}

const char *corral_severity_name(enum corral_severity sev)
{
    return (unsigned)sev <= CORRAL_SEV_HIGH ? severity_names[sev] : "";
}

const char *corral_status_name(enum corral_status status)
{
    return (unsigned)status <= CORRAL_STATUS_DISMISSED ? status_names[status] : "Active";
}

const char *corral_shape_name(enum corral_shape shape)
{
    return (unsigned)shape <= CORRAL_SHAPE_SENTINEL ? shape_names[shape] : "";
}

const char *corral_entity_type_name(enum corral_entity_type type)
{
    return (unsigned)type < CORRAL_ENT_COUNT ? entity_names[type] : "";
}

/* s[0..len) equals word, ASCII case-insensitively, skipping spaces in s when skip_spaces. */
static bool equal_word(const char *s, size_t len, const char *word, bool skip_spaces)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (skip_spaces && (c == ' ' || c == '_' || c == '-')) {
            continue;
        }
        if (word[j] == '\0') {
            return false;
        }
        char a = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        char b = (word[j] >= 'A' && word[j] <= 'Z') ? (char)(word[j] + 32) : word[j];
        if (a != b) {
            return false;
        }
        j++;
    }
    return word[j] == '\0';
}

static int find_name(const char *const *names, unsigned n, const char *s, size_t len,
                     bool skip_spaces, unsigned *out)
{
    for (unsigned i = 0; i < n; i++) {
        if (names[i][0] != '\0' && equal_word(s, len, names[i], skip_spaces)) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

int corral_plan_parse(const char *s, size_t len, enum corral_plan *out)
{
    unsigned i;
    if (find_name(plan_names + 1, CORRAL_PLAN_COUNT - 1, s, len, true, &i) != 0) {
        return -1;
    }
    *out = (enum corral_plan)(i + 1);
    return 0;
}

int corral_tactic_parse(const char *s, size_t len, enum corral_tactic *out)
{
    unsigned i;
    if (find_name(tactic_names, CORRAL_TAC_COUNT, s, len, true, &i) != 0) {
        return -1;
    }
    *out = (enum corral_tactic)i;
    return 0;
}

int corral_severity_parse(const char *s, size_t len, enum corral_severity *out)
{
    unsigned i;
    if (find_name(severity_names + 1, 4, s, len, false, &i) != 0) {
        return -1;
    }
    *out = (enum corral_severity)(i + 1);
    return 0;
}

int corral_status_parse(const char *s, size_t len, enum corral_status *out)
{
    unsigned i;
    if (equal_word(s, len, "new", false)) {
        *out = CORRAL_STATUS_ACTIVE;
        return 0;
    }
    if (find_name(status_names, 4, s, len, true, &i) != 0) {
        return -1;
    }
    *out = (enum corral_status)i;
    return 0;
}
