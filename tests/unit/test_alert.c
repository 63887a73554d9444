/*
 * test_alert.c - the names of the normalized alert's enums and their parsers
 * (src/model/alert.c): exact output words, case-insensitive input, tactic
 * spellings with and without spaces, "New" as Active, and the kill-chain
 * stage of every tactic as incidents.md "Stage" orders them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/alert.h"

static void plan_names(void **state)
{
    (void)state;
    static const char *const want[CORRAL_PLAN_COUNT] = {
        "Unknown", "Servers", "AppService", "Storage", "SQL", "CosmosDB", "KeyVault",
        "ResourceManager", "DNS", "Containers", "APIs", "AI", "Network",
    };
    for (int p = 0; p < CORRAL_PLAN_COUNT; p++) {
        assert_string_equal(corral_plan_name((enum corral_plan)p), want[p]);
    }
    assert_string_equal(corral_plan_name(CORRAL_PLAN_COUNT), "Unknown");
}

static int plan(const char *s, enum corral_plan *out)
{
    return corral_plan_parse(s, strlen(s), out);
}

static void plan_parse(void **state)
{
    (void)state;
    enum corral_plan p = CORRAL_PLAN_UNKNOWN;
    /* Every name parses back to itself. */
    for (int i = 1; i < CORRAL_PLAN_COUNT; i++) {
        assert_int_equal(plan(corral_plan_name((enum corral_plan)i), &p), 0);
        assert_int_equal(p, i);
    }
    assert_int_equal(plan("keyvault", &p), 0);
    assert_int_equal(p, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(plan("Key Vault", &p), 0);
    assert_int_equal(p, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(plan("resource_manager", &p), 0);
    assert_int_equal(p, CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(plan("APP-SERVICE", &p), 0);
    assert_int_equal(p, CORRAL_PLAN_APPSERVICE);
    assert_int_equal(plan("sql", &p), 0);
    assert_int_equal(p, CORRAL_PLAN_SQL);

    p = CORRAL_PLAN_AI;
    assert_int_equal(plan("Unknown", &p), -1); /* not a plan anything can be in */
    assert_int_equal(plan("", &p), -1);
    assert_int_equal(plan("Server", &p), -1);
    assert_int_equal(plan("KeyVaults", &p), -1); /* components are plan.c's business */
    assert_int_equal(plan("Defender for Storage", &p), -1);
    assert_int_equal(p, CORRAL_PLAN_AI); /* untouched on failure */
    assert_int_equal(corral_plan_parse("DNSX", 3, &p), 0);
    assert_int_equal(p, CORRAL_PLAN_DNS);
}

static void signal_names(void **state)
{
    (void)state;
    static const char *const want[CORRAL_SIG_COUNT] = {
        "account", "crypto_mining", "brute_force", "exploit", "fileless",
        "sas", "geo", "suspicious_ip", "ddos", "exfiltration",
        "password_reset", "botnet", "outgoing", "azure_toolkit",
    };
    for (unsigned i = 0; i < CORRAL_SIG_COUNT; i++) {
        assert_string_equal(corral_signal_name((enum corral_signal)(1u << i)), want[i]);
    }
    assert_string_equal(corral_signal_name(CORRAL_SIG_GEO), "geo");
    assert_string_equal(corral_signal_name(CORRAL_SIG_AZURE_TOOLKIT), "azure_toolkit");
    /* Exactly one bit, or nothing. */
    assert_string_equal(corral_signal_name((enum corral_signal)0), "");
    assert_string_equal(corral_signal_name((enum corral_signal)(CORRAL_SIG_GEO | CORRAL_SIG_SAS)),
                        "");
    assert_string_equal(corral_signal_name((enum corral_signal)(1u << CORRAL_SIG_COUNT)), "");
}

static void tactic_names(void **state)
{
    (void)state;
    static const char *const want[CORRAL_TAC_COUNT] = {
        "PreAttack", "Probing", "Reconnaissance", "ResourceDevelopment", "InitialAccess",
        "Exploitation", "Persistence", "PrivilegeEscalation", "DefenseEvasion",
        "CredentialAccess", "Discovery", "LateralMovement", "Execution", "Collection",
        "CommandAndControl", "Exfiltration", "Impact",
    };
    for (int t = 0; t < CORRAL_TAC_COUNT; t++) {
        assert_string_equal(corral_tactic_name((enum corral_tactic)t), want[t]);
    }
    assert_string_equal(corral_tactic_name(CORRAL_TAC_COUNT), "");
}

/* incidents.md "Stage": 0 PreAttack, Probing, Reconnaissance, Resource Development;
 * 1 InitialAccess, Exploitation; 2 Persistence ... 12 Impact. */
static void tactic_stages(void **state)
{
    (void)state;
    static const struct {
        enum corral_tactic tactic;
        unsigned stage;
    } want[] = {
        {CORRAL_TAC_PREATTACK, 0},
        {CORRAL_TAC_PROBING, 0},
        {CORRAL_TAC_RECONNAISSANCE, 0},
        {CORRAL_TAC_RESOURCEDEVELOPMENT, 0},
        {CORRAL_TAC_INITIALACCESS, 1},
        {CORRAL_TAC_EXPLOITATION, 1},
        {CORRAL_TAC_PERSISTENCE, 2},
        {CORRAL_TAC_PRIVILEGEESCALATION, 3},
        {CORRAL_TAC_DEFENSEEVASION, 4},
        {CORRAL_TAC_CREDENTIALACCESS, 5},
        {CORRAL_TAC_DISCOVERY, 6},
        {CORRAL_TAC_LATERALMOVEMENT, 7},
        {CORRAL_TAC_EXECUTION, 8},
        {CORRAL_TAC_COLLECTION, 9},
        {CORRAL_TAC_COMMANDANDCONTROL, 10},
        {CORRAL_TAC_EXFILTRATION, 11},
        {CORRAL_TAC_IMPACT, 12},
    };
    assert_int_equal(sizeof(want) / sizeof(want[0]), CORRAL_TAC_COUNT);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(corral_tactic_stage(want[i].tactic), want[i].stage);
        assert_true(want[i].stage < CORRAL_STAGE_COUNT);
    }
    assert_int_equal(CORRAL_STAGE_COUNT, 13);
    /* Stages never go down in enum order: the enum is in kill-chain order. */
    for (int t = 1; t < CORRAL_TAC_COUNT; t++) {
        assert_true(corral_tactic_stage((enum corral_tactic)t) >=
                    corral_tactic_stage((enum corral_tactic)(t - 1)));
    }
}

static int tactic(const char *s, enum corral_tactic *out)
{
    return corral_tactic_parse(s, strlen(s), out);
}

static void tactic_parse(void **state)
{
    (void)state;
    enum corral_tactic t = CORRAL_TAC_IMPACT;
    for (int i = 0; i < CORRAL_TAC_COUNT; i++) {
        assert_int_equal(tactic(corral_tactic_name((enum corral_tactic)i), &t), 0);
        assert_int_equal(t, i);
    }
    /* The catalog's spelling, the records' spelling, any case. */
    assert_int_equal(tactic("Pre Attack", &t), 0);
    assert_int_equal(t, CORRAL_TAC_PREATTACK);
    assert_int_equal(tactic("PreAttack", &t), 0);
    assert_int_equal(t, CORRAL_TAC_PREATTACK);
    assert_int_equal(tactic("preattack", &t), 0);
    assert_int_equal(t, CORRAL_TAC_PREATTACK);
    assert_int_equal(tactic("command and control", &t), 0);
    assert_int_equal(t, CORRAL_TAC_COMMANDANDCONTROL);
    assert_int_equal(tactic("Command And Control", &t), 0);
    assert_int_equal(t, CORRAL_TAC_COMMANDANDCONTROL);
    assert_int_equal(tactic("Resource Development", &t), 0);
    assert_int_equal(t, CORRAL_TAC_RESOURCEDEVELOPMENT);
    assert_int_equal(tactic("Initial Access", &t), 0);
    assert_int_equal(t, CORRAL_TAC_INITIALACCESS);
    assert_int_equal(tactic("credential_access", &t), 0);
    assert_int_equal(t, CORRAL_TAC_CREDENTIALACCESS);
    assert_int_equal(tactic("Lateral-Movement", &t), 0);
    assert_int_equal(t, CORRAL_TAC_LATERALMOVEMENT);
    assert_int_equal(tactic("IMPACT", &t), 0);
    assert_int_equal(t, CORRAL_TAC_IMPACT);

    t = CORRAL_TAC_PROBING;
    assert_int_equal(tactic("Unknown", &t), -1); /* Unknown has no stage: not a tactic */
    assert_int_equal(tactic("", &t), -1);
    assert_int_equal(tactic("-", &t), -1);
    assert_int_equal(tactic("Pre", &t), -1);
    assert_int_equal(tactic("PreAttacks", &t), -1);
    assert_int_equal(tactic("Pre Attack, Probing", &t), -1); /* one at a time */
    assert_int_equal(tactic("Teleportation", &t), -1);
    assert_int_equal(t, CORRAL_TAC_PROBING); /* untouched on failure */
    assert_int_equal(corral_tactic_parse("ImpactXYZ", 6, &t), 0);
    assert_int_equal(t, CORRAL_TAC_IMPACT);
}

static void severity(void **state)
{
    (void)state;
    assert_string_equal(corral_severity_name(CORRAL_SEV_UNKNOWN), "");
    assert_string_equal(corral_severity_name(CORRAL_SEV_INFORMATIONAL), "Informational");
    assert_string_equal(corral_severity_name(CORRAL_SEV_LOW), "Low");
    assert_string_equal(corral_severity_name(CORRAL_SEV_MEDIUM), "Medium");
    assert_string_equal(corral_severity_name(CORRAL_SEV_HIGH), "High");
    assert_string_equal(corral_severity_name((enum corral_severity)99), "");

    enum corral_severity s = CORRAL_SEV_UNKNOWN;
    assert_int_equal(corral_severity_parse("High", 4, &s), 0);
    assert_int_equal(s, CORRAL_SEV_HIGH);
    assert_int_equal(corral_severity_parse("medium", 6, &s), 0);
    assert_int_equal(s, CORRAL_SEV_MEDIUM);
    assert_int_equal(corral_severity_parse("LOW", 3, &s), 0);
    assert_int_equal(s, CORRAL_SEV_LOW);
    assert_int_equal(corral_severity_parse("Informational", 13, &s), 0);
    assert_int_equal(s, CORRAL_SEV_INFORMATIONAL);

    s = CORRAL_SEV_LOW;
    assert_int_equal(corral_severity_parse("", 0, &s), -1);
    assert_int_equal(corral_severity_parse("Critical", 8, &s), -1);
    assert_int_equal(corral_severity_parse("Medium/High", 11, &s), -1);
    assert_int_equal(corral_severity_parse("Hi gh", 5, &s), -1);
    assert_int_equal(s, CORRAL_SEV_LOW);
}

static void status(void **state)
{
    (void)state;
    assert_string_equal(corral_status_name(CORRAL_STATUS_ACTIVE), "Active");
    assert_string_equal(corral_status_name(CORRAL_STATUS_INPROGRESS), "InProgress");
    assert_string_equal(corral_status_name(CORRAL_STATUS_RESOLVED), "Resolved");
    assert_string_equal(corral_status_name(CORRAL_STATUS_DISMISSED), "Dismissed");

    enum corral_status s = CORRAL_STATUS_DISMISSED;
    assert_int_equal(corral_status_parse("New", 3, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_ACTIVE);
    s = CORRAL_STATUS_DISMISSED;
    assert_int_equal(corral_status_parse("new", 3, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_ACTIVE);
    assert_int_equal(corral_status_parse("Active", 6, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_ACTIVE);
    assert_int_equal(corral_status_parse("InProgress", 10, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_INPROGRESS);
    assert_int_equal(corral_status_parse("In Progress", 11, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_INPROGRESS);
    assert_int_equal(corral_status_parse("resolved", 8, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_RESOLVED);
    assert_int_equal(corral_status_parse("DISMISSED", 9, &s), 0);
    assert_int_equal(s, CORRAL_STATUS_DISMISSED);

    s = CORRAL_STATUS_RESOLVED;
    assert_int_equal(corral_status_parse("", 0, &s), -1);
    assert_int_equal(corral_status_parse("Closed", 6, &s), -1);
    assert_int_equal(corral_status_parse("News", 4, &s), -1);
    assert_int_equal(s, CORRAL_STATUS_RESOLVED);
}

static void shapes_and_entities(void **state)
{
    (void)state;
    assert_string_equal(corral_shape_name(CORRAL_SHAPE_REST), "rest");
    assert_string_equal(corral_shape_name(CORRAL_SHAPE_EXPORT), "export");
    assert_string_equal(corral_shape_name(CORRAL_SHAPE_SENTINEL), "sentinel");
    assert_string_equal(corral_shape_name((enum corral_shape)7), "");

    static const char *const want[CORRAL_ENT_COUNT] = {
        "user", "service_principal", "ip", "resource", "vm", "cluster",
        "process", "process_image", "domain", "filehash", "url",
    };
    for (int e = 0; e < CORRAL_ENT_COUNT; e++) {
        assert_string_equal(corral_entity_type_name((enum corral_entity_type)e), want[e]);
    }
    assert_string_equal(corral_entity_type_name(CORRAL_ENT_COUNT), "");
}

/* order lists every value of 0..n-1 once, in strictly increasing strcmp order of name(). */
static void check_by_name(const unsigned char *order, unsigned n, const char *(*name)(unsigned))
{
    unsigned seen = 0;
    for (unsigned i = 0; i < n; i++) {
        assert_true(order[i] < n);
        assert_false(seen & (1u << order[i]));
        seen |= 1u << order[i];
        if (i > 0) {
            assert_true(strcmp(name(order[i - 1]), name(order[i])) < 0);
        }
    }
    assert_int_equal(seen, (1u << n) - 1);
}

static const char *plan_at(unsigned p)
{
    return corral_plan_name((enum corral_plan)p);
}

static const char *tactic_at(unsigned t)
{
    return corral_tactic_name((enum corral_tactic)t);
}

static void orders_by_name(void **state)
{
    (void)state;
    check_by_name(corral_plans_by_name, CORRAL_PLAN_COUNT, plan_at);
    check_by_name(corral_tactics_by_name, CORRAL_TAC_COUNT, tactic_at);
    assert_string_equal(plan_at(corral_plans_by_name[0]), "AI");
    assert_string_equal(tactic_at(corral_tactics_by_name[CORRAL_TAC_COUNT - 1]),
                        "ResourceDevelopment");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_names),
        cmocka_unit_test(plan_parse),
        cmocka_unit_test(signal_names),
        cmocka_unit_test(tactic_names),
        cmocka_unit_test(tactic_stages),
        cmocka_unit_test(tactic_parse),
        cmocka_unit_test(severity),
        cmocka_unit_test(status),
        cmocka_unit_test(shapes_and_entities),
        cmocka_unit_test(orders_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
