/*
 * plan.c - which Defender plan raised an alert, from three kinds of text.
 *
 * The shipped catalog decides the plan of every alert type it knows; these
 * rules cover the rest (incidents.md "Plan"), and turn the first column of
 * Microsoft's reference table into a plan when the catalog is built.
 *
 * - productComponentName: Microsoft spells the same plan several ways
 *   ("KeyVaults", "Key Vault", "StorageAccounts"), so the value is compared
 *   with case, spaces, '-' and '_' ignored, against a generous table.
 * - alertType prefix: the fixed list of incidents.md, compared
 *   case-insensitively ("Arm_..." is a Resource Manager alert too).
 * - catalog column: matched by its words, most specific first, so that
 *   "DNS (Defender for Servers P2 / legacy Defender for DNS)" is DNS, not
 *   Servers, and "Security incident (correlation output)" is no plan at all.
 */
#include "classify/plan.h"
#include "util/ascii.h"

#include <stdbool.h>

static bool is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static size_t cstr_len(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* productComponentName values, folded: lower-case, without ' ', '-', '_', '.'. */
struct component {
    const char *name;
    enum corral_plan plan;
};

static const struct component components[] = {
    {"servers", CORRAL_PLAN_SERVERS},
    {"server", CORRAL_PLAN_SERVERS},
    {"virtualmachines", CORRAL_PLAN_SERVERS},
    {"virtualmachine", CORRAL_PLAN_SERVERS},
    {"vm", CORRAL_PLAN_SERVERS},
    {"vms", CORRAL_PLAN_SERVERS},
    {"machines", CORRAL_PLAN_SERVERS},
    {"virtualmachinescalesets", CORRAL_PLAN_SERVERS},
    {"hybridmachines", CORRAL_PLAN_SERVERS},
    {"arcmachines", CORRAL_PLAN_SERVERS},
    {"defenderforservers", CORRAL_PLAN_SERVERS},
    {"appservices", CORRAL_PLAN_APPSERVICE},
    {"appservice", CORRAL_PLAN_APPSERVICE},
    {"webapps", CORRAL_PLAN_APPSERVICE},
    {"webapp", CORRAL_PLAN_APPSERVICE},
    {"defenderforappservice", CORRAL_PLAN_APPSERVICE},
    {"storage", CORRAL_PLAN_STORAGE},
    {"storageaccounts", CORRAL_PLAN_STORAGE},
    {"storageaccount", CORRAL_PLAN_STORAGE},
    {"defenderforstorage", CORRAL_PLAN_STORAGE},
    {"sql", CORRAL_PLAN_SQL},
    {"sqlservers", CORRAL_PLAN_SQL},
    {"sqlserver", CORRAL_PLAN_SQL},
    {"sqldatabases", CORRAL_PLAN_SQL},
    {"sqldatabase", CORRAL_PLAN_SQL},
    {"sqlmanagedinstances", CORRAL_PLAN_SQL},
    {"sqlmanagedinstance", CORRAL_PLAN_SQL},
    {"sqlservervirtualmachines", CORRAL_PLAN_SQL},
    {"sqlservervirtualmachine", CORRAL_PLAN_SQL},
    {"sqlserversonmachines", CORRAL_PLAN_SQL},
    {"opensourcerelationaldatabases", CORRAL_PLAN_SQL},
    {"opensourcerelationaldatabase", CORRAL_PLAN_SQL},
    {"opensourcedatabases", CORRAL_PLAN_SQL},
    {"postgresql", CORRAL_PLAN_SQL},
    {"mysql", CORRAL_PLAN_SQL},
    {"mariadb", CORRAL_PLAN_SQL},
    {"synapse", CORRAL_PLAN_SQL},
    {"defenderforsql", CORRAL_PLAN_SQL},
    {"cosmosdbs", CORRAL_PLAN_COSMOSDB},
    {"cosmosdb", CORRAL_PLAN_COSMOSDB},
    {"azurecosmosdb", CORRAL_PLAN_COSMOSDB},
    {"defenderforazurecosmosdb", CORRAL_PLAN_COSMOSDB},
    {"keyvaults", CORRAL_PLAN_KEYVAULT},
    {"keyvault", CORRAL_PLAN_KEYVAULT},
    {"defenderforkeyvault", CORRAL_PLAN_KEYVAULT},
    {"arm", CORRAL_PLAN_RESOURCEMANAGER},
    {"resourcemanager", CORRAL_PLAN_RESOURCEMANAGER},
    {"azureresourcemanager", CORRAL_PLAN_RESOURCEMANAGER},
    {"defenderforresourcemanager", CORRAL_PLAN_RESOURCEMANAGER},
    {"dns", CORRAL_PLAN_DNS},
    {"azuredns", CORRAL_PLAN_DNS},
    {"defenderfordns", CORRAL_PLAN_DNS},
    {"containers", CORRAL_PLAN_CONTAINERS},
    {"container", CORRAL_PLAN_CONTAINERS},
    {"kubernetesservice", CORRAL_PLAN_CONTAINERS},
    {"kubernetesservices", CORRAL_PLAN_CONTAINERS},
    {"kubernetes", CORRAL_PLAN_CONTAINERS},
    {"containerregistry", CORRAL_PLAN_CONTAINERS},
    {"containerregistries", CORRAL_PLAN_CONTAINERS},
    {"defenderforcontainers", CORRAL_PLAN_CONTAINERS},
    {"api", CORRAL_PLAN_APIS},
    {"apis", CORRAL_PLAN_APIS},
    {"apimanagement", CORRAL_PLAN_APIS},
    {"defenderforapis", CORRAL_PLAN_APIS},
    {"ai", CORRAL_PLAN_AI},
    {"aiservices", CORRAL_PLAN_AI},
    {"azureai", CORRAL_PLAN_AI},
    {"openai", CORRAL_PLAN_AI},
    {"azureopenai", CORRAL_PLAN_AI},
    {"cognitiveservices", CORRAL_PLAN_AI},
    {"defenderforaiservices", CORRAL_PLAN_AI},
    {"network", CORRAL_PLAN_NETWORK},
    {"networklayer", CORRAL_PLAN_NETWORK},
    {"azurenetworklayer", CORRAL_PLAN_NETWORK},
    {"ddos", CORRAL_PLAN_NETWORK},
    {"ddosprotection", CORRAL_PLAN_NETWORK},
    {"azureddosprotection", CORRAL_PLAN_NETWORK},
};

/* Longer than any name above: the value is not a component we know. */
#define COMPONENT_MAX 64

enum corral_plan corral_plan_from_component(const char *s, size_t len)
{
    if (s == NULL) {
        return CORRAL_PLAN_UNKNOWN;
    }
    char folded[COMPONENT_MAX];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t') {
            continue;
        }
        if (n == sizeof(folded)) {
            return CORRAL_PLAN_UNKNOWN;
        }
        folded[n++] = to_lower(c);
    }
    if (n == 0) {
        return CORRAL_PLAN_UNKNOWN;
    }
    for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
        if (corral_ascii_same_nocase(folded, n, components[i].name,
                                     cstr_len(components[i].name))) {
            return components[i].plan;
        }
    }
    return CORRAL_PLAN_UNKNOWN;
}

/* incidents.md "Plan": the alertType prefixes, in its order. */
struct prefix {
    const char *text;
    enum corral_plan plan;
};

static const struct prefix prefixes[] = {
    {"VM_", CORRAL_PLAN_SERVERS},
    {"ARM_", CORRAL_PLAN_RESOURCEMANAGER},
    {"RM_", CORRAL_PLAN_RESOURCEMANAGER},
    {"Storage.", CORRAL_PLAN_STORAGE},
    {"KV_", CORRAL_PLAN_KEYVAULT},
    {"SQL.", CORRAL_PLAN_SQL},
    {"Synapse.", CORRAL_PLAN_SQL},
    {"CosmosDB_", CORRAL_PLAN_COSMOSDB},
    {"AzureDNS_", CORRAL_PLAN_DNS},
    {"K8S", CORRAL_PLAN_CONTAINERS},
    {"AppServices_", CORRAL_PLAN_APPSERVICE},
    {"API_", CORRAL_PLAN_APIS},
    {"AI.", CORRAL_PLAN_AI},
    {"Network_", CORRAL_PLAN_NETWORK},
};

enum corral_plan corral_plan_from_prefix(const char *alert_type, size_t len)
{
    if (alert_type == NULL) {
        return CORRAL_PLAN_UNKNOWN;
    }
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = cstr_len(prefixes[i].text);
        if (len >= n && corral_ascii_same_nocase(alert_type, n, prefixes[i].text, n)) {
            return prefixes[i].plan;
        }
    }
    return CORRAL_PLAN_UNKNOWN;
}

/* The next word of s[0..len) at or after *pos (split at anything not a letter or digit). */
static bool next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *n)
{
    size_t i = *pos;
    while (i < len && !is_alnum(s[i])) {
        i++;
    }
    if (i >= len) {
        return false;
    }
    size_t e = i;
    while (e < len && is_alnum(s[e])) {
        e++;
    }
    *pos = e;
    *start = i;
    *n = e - i;
    return true;
}

/* Do the space-separated words of phrase occur as consecutive words of s? */
static bool has_phrase(const char *s, size_t len, const char *phrase)
{
    size_t plen = cstr_len(phrase);
    size_t at = 0;
    size_t ws;
    size_t wn;
    for (;;) {
        size_t t = at;
        if (!next_word(s, len, &at, &ws, &wn)) {
            return false;
        }
        size_t p = 0;
        size_t ps;
        size_t pn;
        bool ok = true;
        while (ok && next_word(phrase, plen, &p, &ps, &pn)) {
            size_t ts;
            size_t tn;
            ok = next_word(s, len, &t, &ts, &tn) &&
                 corral_ascii_same_nocase(s + ts, tn, phrase + ps, pn);
        }
        if (ok) {
            return true;
        }
    }
}

/* The catalog's first column, most specific rule first; the first phrase found decides. */
struct column_rule {
    const char *phrase;
    enum corral_plan plan;
};

static const struct column_rule column_rules[] = {
    {"security incident", CORRAL_PLAN_UNKNOWN}, /* correlation output, not an alert of a plan */
    {"dns", CORRAL_PLAN_DNS},                   /* "DNS (Defender for Servers P2 / ...)" */
    {"containers", CORRAL_PLAN_CONTAINERS},
    {"container", CORRAL_PLAN_CONTAINERS},
    {"kubernetes", CORRAL_PLAN_CONTAINERS},
    {"network layer", CORRAL_PLAN_NETWORK},
    {"ddos", CORRAL_PLAN_NETWORK},
    {"sql", CORRAL_PLAN_SQL},
    {"open source relational databases", CORRAL_PLAN_SQL},
    {"relational databases", CORRAL_PLAN_SQL},
    {"servers", CORRAL_PLAN_SERVERS},
    {"app service", CORRAL_PLAN_APPSERVICE},
    {"app services", CORRAL_PLAN_APPSERVICE},
    {"appservice", CORRAL_PLAN_APPSERVICE},
    {"cosmos db", CORRAL_PLAN_COSMOSDB},
    {"cosmosdb", CORRAL_PLAN_COSMOSDB},
    {"key vault", CORRAL_PLAN_KEYVAULT},
    {"keyvault", CORRAL_PLAN_KEYVAULT},
    {"resource manager", CORRAL_PLAN_RESOURCEMANAGER},
    {"storage", CORRAL_PLAN_STORAGE},
    {"apis", CORRAL_PLAN_APIS},
    {"api", CORRAL_PLAN_APIS},
    {"ai", CORRAL_PLAN_AI},
};

enum corral_plan corral_plan_from_catalog_column(const char *s, size_t len)
{
    if (s == NULL) {
        return CORRAL_PLAN_UNKNOWN;
    }
    for (size_t i = 0; i < sizeof(column_rules) / sizeof(column_rules[0]); i++) {
        if (has_phrase(s, len, column_rules[i].phrase)) {
            return column_rules[i].plan;
        }
    }
    /* A bare plan or component name ("KeyVault", "Servers") is fine too. */
    enum corral_plan plan;
    if (corral_plan_parse(s, len, &plan) == 0) {
        return plan;
    }
    return corral_plan_from_component(s, len);
}
