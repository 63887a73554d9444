/*
 * test_rules.c - rules files: the shipped data/rules.yaml (its 24 kinds and
 * their scenario structure), every class of error the loader reports, each
 * at its exact line and column, several errors in one file, the limits that
 * protect the loader, merging a user's file over the built-ins, and
 * corral_cond_match. The repository is found through CORRAL_SOURCE_ROOT
 * ("." when unset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "rules/rules_file.h"

#define HOUR (3600LL * CORRAL_TICKS_PER_SECOND)

/* ---- helpers ---- */

static char *source_path(const char *rel)
{
    const char *root = getenv("CORRAL_SOURCE_ROOT");
    if (root == NULL || root[0] == '\0') {
        root = ".";
    }
    size_t n = strlen(root) + 1 + strlen(rel) + 1;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", root, rel);
    return p;
}

static struct corral_ruleset *load_builtins(void)
{
    char *path = source_path("data/rules.yaml");
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    corral_err err = corral_rules_load(path, &rs, &errs);
    if (err != CORRAL_OK) {
        corral_rules_errors_print(&errs, stderr);
        fail_msg("cannot load %s: %s (set CORRAL_SOURCE_ROOT to the repository)", path,
                 corral_strerror(err));
    }
    assert_int_equal(corral_rules_errors_total(&errs), 0);
    corral_rules_errors_release(&errs);
    free(path);
    return rs;
}

static struct corral_ruleset *load_ok(const char *text)
{
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    corral_err err = corral_rules_load_buffer("t.yaml", text, strlen(text), &rs, &errs);
    if (err != CORRAL_OK) {
        corral_rules_errors_print(&errs, stderr);
        fail_msg("expected a valid file: %s", corral_strerror(err));
    }
    assert_int_equal(errs.count, 0);
    corral_rules_errors_release(&errs);
    assert_non_null(rs);
    return rs;
}

/*
 * The text must give exactly n errors; want[i] is "LINE:COL: part of the
 * message": the position must be equal and the message must contain the rest.
 */
static void expect_errors_(const char *text, size_t len, corral_err want_err,
                           const char *const *want, size_t n)
{
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    corral_err err = corral_rules_load_buffer("t.yaml", text, len, &rs, &errs);
    assert_null(rs);
    if (err != want_err || errs.count != n) {
        corral_rules_errors_print(&errs, stderr);
        fail_msg("expected %s and %zu errors, got %s and %zu", corral_strerror(want_err), n,
                 corral_strerror(err), errs.count);
    }
    for (size_t i = 0; i < n; i++) {
        const struct corral_rules_error *e = &errs.items[i];
        char got[1200];
        snprintf(got, sizeof(got), "%zu:%zu: %s", e->line, e->col, e->message);
        const char *sep = strstr(want[i], ": ");
        assert_non_null(sep);
        size_t plen = (size_t)(sep - want[i]) + 2;
        if (strncmp(got, want[i], plen) != 0 || strstr(got + plen, sep + 2) == NULL) {
            corral_rules_errors_print(&errs, stderr);
            fail_msg("error %zu: expected \"%s\", got \"%s\"", i, want[i], got);
        }
        assert_string_equal(e->file, "t.yaml");
    }
    corral_rules_errors_release(&errs);
}

#define EXPECT_ERRORS(text, ...)                                                                   \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                 \
        expect_errors_((text), strlen(text), CORRAL_ERR_DATA, want_,                               \
                       sizeof(want_) / sizeof(want_[0]));                                          \
    } while (0)

/* A valid file's head; rule bodies follow at two spaces of indentation. */
#define HEAD "version: 1\nrules:\n"
/* A valid rule, lines 3-9 after HEAD. */
#define RULE(kind)                                                                                 \
    "  - kind: " kind "\n"                                                                         \
    "    title: T\n"                                                                               \
    "    severity: High\n"                                                                         \
    "    scenarios:\n"                                                                             \
    "      - entity: ip\n"                                                                         \
    "        description: D\n"

static const struct corral_rule *by_number(const struct corral_ruleset *rs, unsigned number)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (rs->rules[i].number == number) {
            return &rs->rules[i];
        }
    }
    fail_msg("no rule number %u", number);
    return NULL;
}

#define ENT(t) (1u << CORRAL_ENT_##t)
#define PLAN(p) (1u << CORRAL_PLAN_##p)

/* ---- the shipped rules ---- */

static void builtins_load(void **state)
{
    (void)state;
    struct corral_ruleset *rs = load_builtins();
    assert_int_equal(rs->n_rules, 24);
    assert_int_equal(rs->default_window, CORRAL_DEFAULT_WINDOW);
    assert_int_equal(rs->max_span, CORRAL_DEFAULT_MAX_SPAN);
    assert_string_equal(corral_ruleset_name(rs) + strlen(corral_ruleset_name(rs)) - 10,
                        "rules.yaml");
    static const unsigned order[24] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                       13, 14, 15, 16, 17, 18, 19, 20, 22, 21, 23, 24};
    static const unsigned n_scenarios[25] = {0, 1, 1, 2, 3, 1, 2, 2, 1, 1, 3, 1, 1,
                                             2, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 2};
    for (size_t i = 0; i < 24; i++) {
        const struct corral_rule *r = &rs->rules[i];
        assert_int_equal(r->number, order[i]);
        assert_int_equal(r->is_chain, r->number >= 18 && r->number <= 23);
        assert_int_equal(r->n_scenarios, n_scenarios[r->number]);
        assert_non_null(strstr(r->display_name, "Security incident"));
        assert_null(strstr(r->display_name, "Preview"));
        enum corral_severity_rule sev = r->number >= 18   ? CORRAL_SEVRULE_MEDIUM_HIGH
                                        : r->number == 15 ? CORRAL_SEVRULE_MEDIUM
                                                          : CORRAL_SEVRULE_HIGH;
        assert_int_equal(r->severity, sev);
        unsigned spec = (r->number == 1 || r->number == 2) ? 0 : r->number == 7 ? 1 : 2;
        assert_int_equal(r->specificity, spec);
        for (unsigned s = 0; s < r->n_scenarios; s++) {
            const struct corral_scenario *sc = &r->scenarios[s];
            assert_int_equal(sc->number, s + 1);
            assert_int_equal(sc->window, CORRAL_DEFAULT_WINDOW);
            assert_int_equal(sc->min_alerts, 2);
            assert_int_equal(sc->min_plans, r->number == 11 ? 1 : 2);
            assert_non_null(sc->description);
            assert_true(strncmp(sc->description, "This incident indicates", 23) == 0);
            assert_null(strstr(sc->description, "Scenario"));
            assert_null(strchr(sc->description, '\n'));
        }
        if (r->is_chain) {
            assert_true(strncmp(r->chain_description, "This incident indicates", 23) == 0);
            assert_int_equal(r->chain.window, CORRAL_DEFAULT_WINDOW);
        }
    }

    /* Kind 1: title and description word for word. */
    const struct corral_rule *r = by_number(rs, 1);
    assert_string_equal(r->kind, "suspicious-user-activity");
    assert_string_equal(r->display_name, "Security incident detected suspicious user activity");
    assert_string_equal(
        r->scenarios[0].description,
        "This incident indicates suspicious user operations in your environment. Multiple alerts "
        "from different Defender for Cloud plans have been triggered by this user, which "
        "increases the fidelity of malicious activity in your environment. While this activity "
        "may be legitimate, a threat actor might utilize such operations to compromise resources "
        "in your environment. This might indicate that the account is compromised and is being "
        "used with malicious intent.");
    assert_int_equal(r->scenarios[0].entity_types, ENT(USER));
    assert_int_equal(by_number(rs, 2)->scenarios[0].entity_types, ENT(SERVICE_PRINCIPAL));

    /* Kind 3 S2: the vm, crypto_mining following brute_force. */
    const struct corral_scenario *sc = &by_number(rs, 3)->scenarios[1];
    assert_int_equal(sc->entity_types, ENT(VM));
    assert_true(sc->has_following);
    assert_int_equal(sc->first.signals, CORRAL_SIG_BRUTE_FORCE);
    assert_int_equal(sc->then.signals, CORRAL_SIG_CRYPTO_MINING);
    assert_int_equal(sc->first.plans | sc->then.plans | sc->then.other_plan, 0);
    assert_int_equal(sc->n_require, 0);
    assert_true(strncmp(sc->description,
                        "This incident indicates that suspicious crypto mining activity has been "
                        "detected following a brute force attack",
                        110) == 0);
    assert_int_equal(by_number(rs, 3)->scenarios[0].first.signals, CORRAL_SIG_ACCOUNT);
    assert_int_equal(by_number(rs, 3)->scenarios[0].entity_types, ENT(RESOURCE));

    /* Kind 4: a KeyVault alert in every scenario; S1 user or service principal, S2 ip, S3 resource.
     */
    r = by_number(rs, 4);
    assert_int_equal(r->scenarios[0].entity_types, ENT(USER) | ENT(SERVICE_PRINCIPAL));
    assert_int_equal(r->scenarios[1].entity_types, ENT(IP));
    assert_int_equal(r->scenarios[2].entity_types, ENT(RESOURCE));
    for (unsigned s = 0; s < 3; s++) {
        assert_int_equal(r->scenarios[s].n_require, 1);
        assert_int_equal(r->scenarios[s].require[0].plans, PLAN(KEYVAULT));
        assert_int_equal(r->scenarios[s].require[0].signals, 0);
        assert_false(r->scenarios[s].has_following);
    }

    /* Kind 5: another plan following sas. */
    sc = &by_number(rs, 5)->scenarios[0];
    assert_int_equal(sc->entity_types, ENT(RESOURCE));
    assert_int_equal(sc->first.signals, CORRAL_SIG_SAS);
    assert_int_equal(sc->then.other_plan, 1);
    assert_int_equal(sc->then.signals | sc->then.plans | sc->then.entity_types, 0);

    /* Kinds 7, 9, 10 S3, 11, 13 S2, 14. */
    assert_int_equal(by_number(rs, 7)->scenarios[1].require[0].signals, CORRAL_SIG_SUSPICIOUS_IP);
    assert_int_equal(by_number(rs, 7)->scenarios[1].entity_types,
                     ENT(USER) | ENT(SERVICE_PRINCIPAL));
    sc = &by_number(rs, 9)->scenarios[0];
    assert_int_equal(sc->entity_types, ENT(IP));
    assert_int_equal(sc->require[0].signals, CORRAL_SIG_DDOS);
    sc = &by_number(rs, 10)->scenarios[2];
    assert_int_equal(sc->entity_types, ENT(IP));
    assert_int_equal(sc->first.signals, CORRAL_SIG_PASSWORD_RESET);
    assert_int_equal(sc->then.signals, CORRAL_SIG_EXFILTRATION);
    sc = &by_number(rs, 11)->scenarios[0];
    assert_int_equal(sc->entity_types, ENT(RESOURCE));
    assert_int_equal(sc->require[0].plans, PLAN(APIS));
    assert_int_equal(sc->min_plans, 1);
    sc = &by_number(rs, 13)->scenarios[1];
    assert_int_equal(sc->entity_types, ENT(IP));
    assert_int_equal(sc->first.signals, CORRAL_SIG_ACCOUNT);
    assert_int_equal(sc->then.plans, PLAN(STORAGE));
    sc = &by_number(rs, 14)->scenarios[0];
    assert_int_equal(sc->first.signals, CORRAL_SIG_AZURE_TOOLKIT);
    assert_int_equal(sc->then.other_plan, 1);

    /* Kind 12: a Containers alert following an account alert that names a user. */
    sc = &by_number(rs, 12)->scenarios[0];
    assert_int_equal(sc->entity_types, ENT(CLUSTER));
    assert_int_equal(sc->first.signals, CORRAL_SIG_ACCOUNT);
    assert_int_equal(sc->first.entity_types, ENT(USER));
    assert_int_equal(sc->first.plans, 0);
    assert_int_equal(sc->then.plans, PLAN(CONTAINERS));

    /* Kind 15: Medium, a DNS alert. */
    assert_int_equal(by_number(rs, 15)->scenarios[1].require[0].plans, PLAN(DNS));

    /* Kind 24: one process; then one image on 2+ vms. */
    r = by_number(rs, 24);
    assert_int_equal(r->scenarios[0].entity_types, ENT(PROCESS));
    assert_int_equal(r->scenarios[0].min_vms, 0);
    assert_int_equal(r->scenarios[1].entity_types, ENT(PROCESS_IMAGE));
    assert_int_equal(r->scenarios[1].min_vms, 2);

    /* The chain rules, in the order that makes "first match wins" right. */
    static const struct {
        unsigned number, min_vms, max_vms;
        enum corral_chain_with with;
        int min_stage;
    } chains[] = {
        {18, 1, 1, CORRAL_CHAIN_BOTNET, -1},   {19, 2, 0, CORRAL_CHAIN_BOTNET, -1},
        {20, 1, 1, CORRAL_CHAIN_OUTGOING, -1}, {22, 2, 0, CORRAL_CHAIN_OUTGOING, -1},
        {21, 1, 0, CORRAL_CHAIN_NEITHER, 2},   {23, 2, 0, CORRAL_CHAIN_ANY, -1},
    };
    for (size_t i = 0; i < 6; i++) {
        r = &rs->rules[17 + i];
        assert_int_equal(r->number, chains[i].number);
        assert_int_equal(r->chain.min_vms, chains[i].min_vms);
        assert_int_equal(r->chain.max_vms, chains[i].max_vms);
        assert_int_equal(r->chain.with, chains[i].with);
        assert_int_equal(r->chain.min_stage, chains[i].min_stage);
    }
    assert_string_equal(by_number(rs, 23)->kind, "multiple-machines");
    assert_string_equal(by_number(rs, 23)->display_name,
                        "Security incident detected on multiple machines");
    assert_ptr_equal(corral_ruleset_find(rs, "shared-process"), by_number(rs, 24));
    assert_null(corral_ruleset_find(rs, "no-such-kind"));
    corral_ruleset_free(rs);
}

/* ---- valid forms ---- */

static void valid_forms(void **state)
{
    (void)state;
    struct corral_ruleset *rs =
        load_ok("version: 1\n"
                "window: 90m\n"
                "rules:\n"
                "  - kind: my-rule-2\n"
                "    title: '  My rule  '\n"
                "    severity: medium/high\n"
                "    specificity: 5\n"
                "    scenarios:\n"
                "      - scenario: 3\n"
                "        entity: [ip, Resource]\n"
                "        require:\n"
                "          - {signal: [geo, suspicious_ip], plan: [Key Vault, SQL]}\n"
                "          - entity: [domain, url]\n"
                "        following: {first: {signal: exploit}, then: {signal: fileless, "
                "other_plan: true}}\n"
                "        min_alerts: 3\n"
                "        min_plans: 1\n"
                "        min_vms: 0\n"
                "        description: >\n"
                "          Two lines\n"
                "          folded.\n"
                "      - entity: vm\n"
                "        window: 2d\n"
                "        description: |\n"
                "          kept\n"
                "          lines\n"
                "  - kind: my-chain\n"
                "    title: C\n"
                "    severity: Medium\n"
                "    chain: {vms: 3, with: Neither, min_stage: Persistence, window: 3600s}\n"
                "    description: chain\n"
                "  - kind: my-chain-2\n"
                "    title: C2\n"
                "    severity: High\n"
                "    chain: {}\n"
                "    description: chain\n");
    assert_int_equal(rs->n_rules, 3);
    assert_int_equal(rs->default_window, 90 * 60 * CORRAL_TICKS_PER_SECOND);
    const struct corral_rule *r = &rs->rules[0];
    assert_string_equal(r->kind, "my-rule-2");
    assert_string_equal(r->display_name, "My rule");
    assert_int_equal(r->number, 0);
    assert_int_equal(r->severity, CORRAL_SEVRULE_MEDIUM_HIGH);
    assert_int_equal(r->specificity, 5);
    assert_int_equal(r->line, 4);
    assert_int_equal(r->n_scenarios, 2);
    const struct corral_scenario *sc = &r->scenarios[0];
    assert_int_equal(sc->number, 3);
    assert_int_equal(sc->line, 9);
    assert_int_equal(sc->entity_types, ENT(IP) | ENT(RESOURCE));
    assert_int_equal(sc->n_require, 2);
    assert_int_equal(sc->require[0].signals, CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    assert_int_equal(sc->require[0].plans, PLAN(KEYVAULT) | PLAN(SQL));
    assert_int_equal(sc->require[1].entity_types, ENT(DOMAIN) | ENT(URL));
    assert_int_equal(sc->first.signals, CORRAL_SIG_EXPLOIT);
    assert_int_equal(sc->then.signals, CORRAL_SIG_FILELESS);
    assert_int_equal(sc->then.other_plan, 1);
    assert_int_equal(sc->min_alerts, 3);
    assert_int_equal(sc->min_plans, 1);
    assert_int_equal(sc->window, 90 * 60 * CORRAL_TICKS_PER_SECOND);
    assert_string_equal(sc->description, "Two lines folded.");
    sc = &r->scenarios[1];
    assert_int_equal(sc->number, 2); /* by position */
    assert_int_equal(sc->window, 48 * HOUR);
    assert_string_equal(sc->description, "kept\nlines");
    r = &rs->rules[1];
    assert_true(r->is_chain);
    assert_int_equal(r->chain.min_vms, 3);
    assert_int_equal(r->chain.max_vms, 3);
    assert_int_equal(r->chain.with, CORRAL_CHAIN_NEITHER);
    assert_int_equal(r->chain.min_stage, 2);
    assert_int_equal(r->chain.window, HOUR);
    assert_string_equal(r->chain_description, "chain");
    r = &rs->rules[2];
    assert_int_equal(r->chain.min_vms, 1);
    assert_int_equal(r->chain.max_vms, 0);
    assert_int_equal(r->chain.with, CORRAL_CHAIN_ANY);
    assert_int_equal(r->chain.min_stage, -1);
    assert_int_equal(r->chain.window, 90 * 60 * CORRAL_TICKS_PER_SECOND);
    corral_ruleset_free(rs);

    /* An empty list of rules is a valid (if useless) file; the window defaults to 24h. */
    rs = load_ok("version: 1\nrules: []\n");
    assert_int_equal(rs->n_rules, 0);
    assert_int_equal(rs->default_window, CORRAL_DEFAULT_WINDOW);
    corral_ruleset_free(rs);
    corral_ruleset_free(NULL);
}

/* The forms of a chain's `vms`: N, N+, and what is refused. */
static void chain_vms_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned min, max; /* 0, 0: refused */
    } cases[] = {
        {"1", 1, 1},  {"2+", 2, 0},    {"1+", 1, 0},   {"'7'", 7, 7}, {"1000+", 1000, 0},
        {"0", 0, 0},  {"0+", 0, 0},    {"1001", 0, 0}, {"+", 0, 0},   {"2++", 0, 0},
        {"-1", 0, 0}, {"'2 +'", 0, 0}, {"[2]", 0, 0},  {"", 0, 0},    {"99999999999999", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "version: 1\nrules:\n  - kind: c\n    title: T\n    severity: High\n"
                 "    chain:\n      vms: %s\n    description: D\n",
                 cases[i].text);
        struct corral_ruleset *rs = NULL;
        struct corral_rules_errors errs = {0};
        corral_err err = corral_rules_load_buffer("t.yaml", text, strlen(text), &rs, &errs);
        if (cases[i].min == 0) {
            assert_int_equal(err, CORRAL_ERR_DATA);
            assert_int_equal(errs.count, 1);
            assert_int_equal(errs.items[0].line, 7);
            assert_non_null(strstr(errs.items[0].message, "'vms' must be 1, 2+ or 1+"));
        } else {
            assert_int_equal(err, CORRAL_OK);
            assert_int_equal(rs->rules[0].chain.min_vms, cases[i].min);
            assert_int_equal(rs->rules[0].chain.max_vms, cases[i].max);
        }
        corral_rules_errors_release(&errs);
        corral_ruleset_free(rs);
    }
}

/* ---- errors, one class at a time ---- */

static void errors_top_level(void **state)
{
    (void)state;
    EXPECT_ERRORS("rules: []\n", "1:1: the file needs 'version: 1' at the top level");
    EXPECT_ERRORS("version: 2\nrules: []\n",
                  "1:10: unsupported version 2: this corral reads version 1");
    EXPECT_ERRORS("version: one\nrules: []\n", "1:10: 'version' must be a whole number, not 'one'");
    EXPECT_ERRORS("version: 1\n", "1:1: the file needs 'rules': the list of rules");
    EXPECT_ERRORS("version: 1\nrules: {a: 1}\n",
                  "2:8: 'rules' must be a list of rules, not a mapping");
    EXPECT_ERRORS("version: 1\nrule: []\n", "1:1: the file needs 'rules'",
                  "2:1: unknown key 'rule' at the top level (did you mean 'rules'?)");
    EXPECT_ERRORS("- a\n- b\n", "1:1: a rules file is a mapping with 'version: 1' and 'rules', "
                                "not a list");
    EXPECT_ERRORS("version: 1\nbase: &b {title: T}\nrules:\n  - <<: *b\n",
                  "2:1: unknown key 'base' at the top level; expected one of: version, window, "
                  "max_span, rules",
                  "4:5: YAML merge keys ('<<') are not supported", "4:5: a rule needs 'kind'",
                  "4:5: a rule needs a 'title'", "4:5: a rule needs a 'severity'",
                  "4:5: a rule needs 'scenarios'");
    EXPECT_ERRORS("version: 1\nmax_span: 0d\nrules: []\n", "2:11: 'max_span' must be longer than 0");
    EXPECT_ERRORS("version: 1\nmax_span: 400d\nrules: []\n",
                  "2:11: 'max_span' of 400d is longer than the limit of 365d");
    EXPECT_ERRORS("version: 1\nversion: 1\nrules: []\n",
                  "2:1: 'version' is given twice at the top level (first at line 1)");
    EXPECT_ERRORS(HEAD "  - 7\n", "3:5: a rule is a mapping (kind, title, severity, scenarios or "
                                  "chain), not a number");
    EXPECT_ERRORS("", "1:1: the file is empty");
    EXPECT_ERRORS("# only a comment\n", "1:1: the file is empty");
    EXPECT_ERRORS("version: 1\nrules: []\n---\nversion: 1\n",
                  "3:1: a rules file holds one YAML document; a second one starts here");
}

static void errors_unknown_keys(void **state)
{
    (void)state;
    /* At every level, with the key that was probably meant. */
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    titel: T\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    scenarios:\n"
                       "      - entity: ip\n"
                       "        Description: D\n"
                       "        description: D\n"
                       "        min_plan: 1\n"
                       "        require: [{signals: geo}]\n"
                       "        following: {first: {signal: geo}, than: {signal: geo}}\n"
                       "  - kind: b\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    chain: {vm: 1}\n"
                       "    description: D\n"
                       "    colour: red\n",
                  "4:5: unknown key 'titel' in a rule (did you mean 'title'?)",
                  "9:9: unknown key 'Description' in a scenario (did you mean 'description'?)",
                  "11:9: unknown key 'min_plan' in a scenario (did you mean 'min_plans'?)",
                  "12:20: unknown key 'signals' in a 'require' condition (did you mean 'signal'?)",
                  /* (no "empty condition" too: one mistake, one error) */
                  "13:20: 'following' needs 'then'",
                  "13:43: unknown key 'than' in 'following' (did you mean 'then'?)",
                  "17:13: unknown key 'vm' in 'chain' (did you mean 'vms'?)",
                  "19:5: unknown key 'colour' in a rule; expected one of: kind, number, title, "
                  "severity, specificity, scenarios, chain, description");
}

static void errors_types(void **state)
{
    (void)state;
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: [T]\n"
                       "    severity: {High: 1}\n"
                       "    specificity: lots\n"
                       "    scenarios: ip\n",
                  "4:12: 'title' must be text, not a list",
                  "5:15: 'severity' must be High, Medium or Medium/High, not a mapping",
                  "6:18: 'specificity' must be a whole number, not 'lots'",
                  "7:16: 'scenarios' must be a list of 1 to 3 scenarios, not a string");
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title:\n"
                       "    severity: High\n"
                       "    scenarios:\n"
                       "      - entity: {ip: 1}\n"
                       "        require: {plan: SQL}\n"
                       "        following: [a]\n"
                       "        min_alerts: 1\n"
                       "        min_vms: -1\n"
                       "        description: D\n"
                       "      - 5\n",
                  "4:11: 'title' must be text, not empty",
                  "7:17: 'entity' must be a name or a list of names, not a mapping",
                  "8:18: 'require' must be a list of conditions, e.g. [{plan: KeyVault}], not a "
                  "mapping",
                  "9:20: 'following' must be a mapping {first: COND, then: COND}, not a list",
                  "10:21: 'min_alerts' must be from 2 to 1000, not 1",
                  "11:18: 'min_vms' must be from 0 to 1000, not -1",
                  "13:9: a scenario is a mapping (entity, description, ...), not a number");
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    scenarios:\n"
                       "      - entity: ip\n"
                       "        following: {first: {plan: SQL}, then: {other_plan: yes}}\n"
                       "        description: \"two\\nlines\\u0001\"\n"
                       "  - kind: b\n"
                       "    title: \"two\\nlines\"\n"
                       "    severity: High\n"
                       "    chain: [1]\n"
                       "    description: D\n",
                  "8:60: 'other_plan' must be true or false, not 'yes'",
                  "9:22: 'description' contains a control character (0x01)",
                  "11:12: 'title' must be one line",
                  "13:12: 'chain' must be a mapping (vms, with, min_stage), not a list");
}

static void errors_names(void **state)
{
    (void)state;
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    scenarios:\n"
                       "      - entity: [user, host, domain]\n"
                       "        require:\n"
                       "          - {signal: cryptomining}\n"
                       "          - {signal: [geo, brutforce, teleport]}\n"
                       "          - {plan: KeyVolt}\n"
                       "          - {plan: 'SQL, Storage'}\n"
                       "          - {entity: procces}\n"
                       "        description: D\n",
                  "7:24: unknown entity type 'host'; expected one of: user, service_principal, "
                  "ip, resource, vm, cluster, process, process_image",
                  "7:30: 'domain' cannot be the shared entity of a scenario",
                  "9:22: unknown signal 'cryptomining' (did you mean 'crypto_mining'?)",
                  "10:28: unknown signal 'brutforce' (did you mean 'brute_force'?)",
                  "10:39: unknown signal 'teleport'; expected one of: account, crypto_mining, "
                  "brute_force, exploit, fileless, sas, geo, suspicious_ip, ddos, exfiltration, "
                  "password_reset, botnet, outgoing, azure_toolkit",
                  "11:20: unknown plan 'KeyVolt' (did you mean 'KeyVault'?)",
                  "12:20: 'plan' is one name or a list of names, written [a, b], not 'SQL, "
                  "Storage'",
                  "13:13: 'require' has more than 4 conditions");
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: T\n"
                       "    severity: Critical\n"
                       "    chain: {vms: 0, with: botnets, min_stage: 13}\n"
                       "    description: D\n"
                       "  - kind: b\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    chain: {vms: two, with: [botnet], min_stage: Lunch}\n"
                       "    description: D\n",
                  "5:15: unknown severity 'Critical'; expected High, Medium or Medium/High",
                  "6:18: 'vms' must be 1, 2+ or 1+",
                  "6:27: unknown 'with' value 'botnets' (did you mean 'botnet'?)",
                  "6:47: 'min_stage' must be from 0 to 12, not 13",
                  "11:18: 'vms' must be 1, 2+ or 1+ (N machines, or N+ for N or more, N from 1 "
                  "to 1000), not 'two'",
                  "11:29: 'with' must be botnet, outgoing, neither or any, not a list",
                  "11:50: 'min_stage' must be a kill-chain stage from 0 to 12 or a tactic such "
                  "as Persistence, not 'Lunch'");
}

static void errors_kinds_and_numbers(void **state)
{
    (void)state;
    EXPECT_ERRORS(HEAD RULE("dup") RULE("dup") "  - kind: Foo Bar\n"
                                               "    number: 25\n"
                                               "    title: T\n"
                                               "    severity: High\n"
                                               "    scenarios: [{entity: ip, description: D}]\n"
                                               "  - kind: x\n"
                                               "    number: 3\n"
                                               "    title: T\n"
                                               "    severity: High\n"
                                               "    scenarios: [{entity: ip, description: D}]\n"
                                               "  - kind: y\n"
                                               "    number: 3\n"
                                               "    title: T\n"
                                               "    severity: High\n"
                                               "    scenarios: [{entity: ip, description: D}]\n"
                                               "  - title: T\n"
                                               "    severity: High\n"
                                               "    scenarios: [{entity: ip, description: D}]\n",
                  "9:11: kind 'dup' is defined twice (first at line 3)",
                  "15:11: 'kind' must be lower-case letters, digits and '-' between words, "
                  "starting with a letter: 'Foo Bar' (e.g. 'foo-bar')",
                  "16:13: 'number' is the kind's number in Microsoft's list, 1 to 24, not 25",
                  "26:13: number 3 is already used by kind 'x' (line 20)",
                  "30:5: a rule needs 'kind'");
}

static void errors_scenarios(void **state)
{
    (void)state;
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    description: D\n"
                       "    scenarios:\n"
                       "      - {scenario: 2, entity: ip, description: D}\n"
                       "      - {scenario: 2, entity: ip, description: D}\n"
                       "      - {scenario: 4, entity: ip, description: D}\n"
                       "      - {entity: ip, description: D}\n"
                       "  - kind: b\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    scenarios: []\n"
                       "  - kind: c\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    scenarios:\n"
                       "      - {require: [{}], following: {first: {other_plan: true}}}\n",
                  "6:5: the description of a rule with scenarios goes in each scenario",
                  "9:20: scenario 2 is defined twice in this rule (first at line 8)",
                  "10:20: 'scenario' must be 1, 2 or 3, not 4",
                  "11:9: a rule has at most 3 scenarios",
                  "15:16: 'scenarios' is empty: a rule has 1 to 3 scenarios",
                  "20:9: a scenario needs 'entity'", "20:9: a scenario needs a 'description'",
                  "20:20: empty condition: give 'signal', 'plan' or 'entity'",
                  "20:36: 'following' needs 'then'",
                  "20:45: 'other_plan' is only allowed in the 'then' condition of 'following'");
    /* other_plan in `require`, and an empty `then` (which may use other_plan). */
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    scenarios:\n"
                       "      - entity: ip\n"
                       "        require: [{plan: SQL, other_plan: true}]\n"
                       "        following: {first: {plan: SQL}, then: {}}\n"
                       "        description: D\n",
                  "8:31: 'other_plan' is only allowed in the 'then' condition",
                  "9:47: empty condition: give 'signal', 'plan' or 'entity' (or 'other_plan: "
                  "true')");
}

static void errors_rule_shape(void **state)
{
    (void)state;
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    chain: {vms: 1}\n"
                       "    scenarios: [{entity: ip, description: D}]\n"
                       "    description: D\n"
                       "  - kind: b\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "  - kind: c\n"
                       "    chain: {vms: 1}\n",
                  "7:5: a rule has either 'scenarios' (alerts sharing an entity) or 'chain' (a "
                  "machine chain), not both",
                  "8:5: the description of a rule with scenarios goes in each scenario",
                  "9:5: a rule needs 'scenarios' (alerts sharing an entity) or 'chain' (a "
                  "machine chain)",
                  "12:5: a rule needs a 'title'", "12:5: a rule needs a 'severity'",
                  "12:5: a chain rule needs a 'description'");
}

static void errors_durations(void **state)
{
    (void)state;
    EXPECT_ERRORS("version: 1\n"
                  "window: 90\n"
                  "rules:\n"
                  "  - kind: a\n"
                  "    title: T\n"
                  "    severity: High\n"
                  "    scenarios:\n"
                  "      - {entity: ip, description: D, window: 1.5h}\n"
                  "      - {entity: ip, description: D, window: 0m}\n"
                  "      - {entity: ip, description: D, window: 366d}\n"
                  "  - kind: b\n"
                  "    title: T\n"
                  "    severity: High\n"
                  "    chain: {window: 24H}\n"
                  "    description: D\n",
                  "2:9: 'window' needs a unit: write 90s for seconds, or 90m, 90h or 90d",
                  "8:46: 'window' must be a whole number and a unit, s, m, h or d (e.g. 24h, "
                  "90m, 2d, 3600s), not '1.5h'",
                  "9:46: 'window' must be longer than 0",
                  "10:46: 'window' of 366d is longer than the limit of 365d",
                  "14:21: 'window' must be a whole number and a unit");
    /* Twelve digits of days: refused, not overflowed. */
    EXPECT_ERRORS("version: 1\nwindow: 999999999999d\nrules: []\n",
                  "2:9: 'window' of 999999999999d is longer than the limit of 365d");
    corral_time t = 0;
    assert_int_equal(corral_rules_parse_duration("90m", 3, &t), 0);
    assert_int_equal(t, 90 * 60 * CORRAL_TICKS_PER_SECOND);
    assert_int_equal(corral_rules_parse_duration("3600s", 5, &t), 0);
    assert_int_equal(t, HOUR);
    assert_int_equal(corral_rules_parse_duration("24hx", 3, &t), 0); /* only len bytes */
    assert_int_equal(t, 24 * HOUR);
    static const char *const bad[] = {
        "",    "h",  "90", "0s", "1.5h", "24H", "-1h", "366d", "99999999999999d", "999999999999d",
        " 1h", "1h "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = 7;
        assert_int_equal(corral_rules_parse_duration(bad[i], strlen(bad[i]), &t), -1);
        assert_int_equal(t, 7);
    }
    struct corral_ruleset *rs = load_ok("version: 1\nwindow: 365d\nrules: []\n");
    assert_int_equal(rs->default_window, CORRAL_RULES_MAX_WINDOW);
    corral_ruleset_free(rs);
}

static void errors_syntax(void **state)
{
    (void)state;
    /* An unclosed flow mapping: reported where libyaml noticed, with its context. */
    EXPECT_ERRORS(HEAD "  - kind: a\n"
                       "    chain: {vms: 1\n"
                       "    title: T\n",
                  "5:10: YAML syntax error: did not find expected ',' or '}' (while parsing a "
                  "flow mapping at line 4, column 12)");
    EXPECT_ERRORS("version: 1\nrules:\n\t- kind: a\n",
                  "3:1: YAML syntax error: found character that cannot start any token (while "
                  "scanning for the next token at line 3, column 1); YAML does not allow tabs for "
                  "indentation");
}

/* A quoted string left open, bytes that are not UTF-8, an undefined alias. */
static void errors_syntax_more(void **state)
{
    (void)state;
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    const char *text = "version: 1\nrules:\n  - kind: 'a\n";
    assert_int_equal(corral_rules_load_buffer("t.yaml", text, strlen(text), &rs, &errs),
                     CORRAL_ERR_DATA);
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].line, 4);
    assert_non_null(strstr(errs.items[0].message, "YAML syntax error"));
    assert_non_null(strstr(errs.items[0].message, "quoted scalar at line 3, column 11"));
    corral_rules_errors_release(&errs);

    /* Bytes that are not UTF-8: reported at their position. */
    const char bad[] = "version: 1\nrules: [\xff]\n";
    expect_errors_(bad, sizeof(bad) - 1, CORRAL_ERR_DATA,
                   (const char *const[]){"2:9: not valid YAML text: invalid leading UTF-8 octet "
                                         "(byte 0xFF)"},
                   1);
    /* An alias to an anchor that does not exist. */
    EXPECT_ERRORS("version: 1\nrules: [*nope]\n", "2:9: YAML syntax error: found undefined alias");
}

static void errors_limits(void **state)
{
    (void)state;
    /* Larger than 4 MiB: refused before parsing. */
    size_t big = CORRAL_RULES_MAX_FILE + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '#', big);
    expect_errors_(text, big, CORRAL_ERR_TOO_LARGE,
                   (const char *const[]){"0:0: the file is 4194305 bytes; a rules file is at "
                                         "most 4194304 bytes (4 MiB)"},
                   1);
    free(text);

    /* Nesting. */
    char deep[400];
    size_t o = (size_t)snprintf(deep, sizeof(deep), "version: 1\nrules: ");
    for (int i = 0; i < 70; i++) {
        deep[o++] = '[';
    }
    deep[o] = '\0';
    EXPECT_ERRORS(deep, "2:71: YAML nesting deeper than 64 levels");

    /* Too many nodes, even in one flat list: the 500,001st (5 come before the list). */
    size_t cap = 2 * (CORRAL_RULES_MAX_NODES + 10) + 64;
    text = malloc(cap);
    assert_non_null(text);
    o = (size_t)snprintf(text, cap, "version: 1\nrules: [");
    for (unsigned i = 0; i < CORRAL_RULES_MAX_NODES + 5; i++) {
        text[o++] = 'a';
        text[o++] = ',';
    }
    text[o++] = ']';
    text[o] = '\0';
    EXPECT_ERRORS(text, "2:999999: more than 500000 YAML nodes in the file");
    free(text);

    /* 1025 rules. */
    cap = 1100 * 120;
    text = malloc(cap);
    assert_non_null(text);
    o = (size_t)snprintf(text, cap, "version: 1\nrules:\n");
    for (int i = 0; i < 1025; i++) {
        o += (size_t)snprintf(text + o, cap - o,
                              "  - {kind: k%d, title: T, severity: High, chain: {}, "
                              "description: D}\n",
                              i);
    }
    EXPECT_ERRORS(text, "1027:5: too many rules: a file has at most 1024");
    free(text);

    /* Aliases that expand far beyond the file: stopped, not walked forever. */
    cap = 1 << 20;
    text = malloc(cap);
    assert_non_null(text);
    o = (size_t)snprintf(text, cap,
                         "version: 1\nrules:\n  - kind: k\n    title: T\n"
                         "    severity: High\n    scenarios:\n"
                         "      - entity: ip\n        description: D\n"
                         "        require: [{signal: &s [");
    for (int i = 0; i < 1000; i++) {
        o += (size_t)snprintf(text + o, cap - o, "%sgeo", i > 0 ? ", " : "");
    }
    o += (size_t)snprintf(text + o, cap - o, "]}]\n");
    for (int i = 0; i < 1000; i++) {
        o += (size_t)snprintf(text + o, cap - o,
                              "  - {kind: a%d, title: T, severity: High, scenarios: [{entity: ip,"
                              " description: D, require: [{signal: *s}, {signal: *s}, "
                              "{signal: *s}, {signal: *s}]}]}\n",
                              i);
    }
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    assert_int_equal(corral_rules_load_buffer("t.yaml", text, o, &rs, &errs), CORRAL_ERR_DATA);
    assert_null(rs);
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.items[0].message, "expands, through aliases"));
    corral_rules_errors_release(&errs);
    free(text);

    /* At most CORRAL_RULES_MAX_ERRORS are kept; the rest are counted. */
    cap = 1 << 20;
    text = malloc(cap);
    assert_non_null(text);
    o = (size_t)snprintf(text, cap, "version: 1\nrules:\n");
    for (int i = 0; i < 1010; i++) {
        o += (size_t)snprintf(text + o, cap - o, "  - {kind: k%d, bogus: 1}\n", i);
    }
    assert_int_equal(corral_rules_load_buffer("t.yaml", text, o, &rs, &errs), CORRAL_ERR_DATA);
    assert_int_equal(errs.count, CORRAL_RULES_MAX_ERRORS);
    /* each: unknown key, no title, no severity, no scenarios or chain */
    assert_int_equal(corral_rules_errors_total(&errs), 1010 * 4);
    corral_rules_errors_release(&errs);
    free(text);
}

/* Several errors in one file: all of them, in file order, whatever order they were found in. */
static void errors_many_in_one_file(void **state)
{
    (void)state;
    const char *text = "version: 1\n"
                       "window: 24hours\n"
                       "rules:\n"
                       "  - kind: first\n"
                       "    title: T\n"
                       "    severity: Hihg\n"
                       "    scenarios:\n"
                       "      - entity: ipaddress\n"
                       "        following:\n"
                       "          first: {signal: acount}\n"
                       "          then: {plan: Storage}\n"
                       "  - kind: first\n"
                       "    title: T\n"
                       "    severity: High\n"
                       "    chain: {vms: 2+, with: neither, min_stage: 2}\n"
                       "    description: D\n";
    EXPECT_ERRORS(text, "2:9: 'window' must be a whole number and a unit",
                  "6:15: unknown severity 'Hihg'", "8:9: a scenario needs a 'description'",
                  "8:17: unknown entity type 'ipaddress'",
                  "10:27: unknown signal 'acount' (did you mean 'account'?)",
                  "12:11: kind 'first' is defined twice (first at line 4)");

    /* And printed as file:line:col: message, one a line. */
    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    assert_int_equal(corral_rules_load_buffer("my rules.yaml", text, strlen(text), &rs, &errs),
                     CORRAL_ERR_DATA);
    assert_int_equal(corral_rules_load("/nonexistent/rules.yaml", &rs, &errs), CORRAL_ERR_IO);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    assert_non_null(f);
    corral_rules_errors_print(&errs, f);
    fclose(f);
    assert_true(strncmp(out,
                        "my rules.yaml:2:9: 'window' must be a whole number and a unit, s, m, h or "
                        "d (e.g. 24h, 90m, 2d, 3600s), not '24hours'\n"
                        "my rules.yaml:6:15: unknown severity 'Hihg'; expected High, Medium or "
                        "Medium/High\n",
                        strlen("my rules.yaml:2:9: 'window' must be a whole number and a unit, "
                               "s, m, h or d (e.g. 24h, 90m, 2d, 3600s), not '24hours'\n"
                               "my rules.yaml:6:15: unknown severity 'Hihg'; expected High, "
                               "Medium or Medium/High\n")) == 0);
    assert_non_null(strstr(out, "\n/nonexistent/rules.yaml: cannot open: No such file or "
                                "directory\n"));
    free(out);
    corral_rules_errors_release(&errs);
    corral_rules_errors_release(NULL);
}

/* Through corral_rules_load: a file, a directory, a file over the size limit. */
static void load_from_files(void **state)
{
    (void)state;
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/corral-rules-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    fputs("version: 1\nrules:\n" RULE("from-a-file"), f);
    assert_int_equal(fclose(f), 0);

    struct corral_ruleset *rs = NULL;
    struct corral_rules_errors errs = {0};
    assert_int_equal(corral_rules_load(path, &rs, &errs), CORRAL_OK);
    assert_string_equal(corral_ruleset_name(rs), path);
    assert_string_equal(rs->rules[0].kind, "from-a-file");
    corral_ruleset_free(rs);

    /* One byte over 4 MiB (a comment, so only the size is wrong). */
    f = fopen(path, "ab");
    assert_non_null(f);
    static char pad[1 << 16];
    memset(pad, '#', sizeof(pad));
    pad[0] = '\n';
    for (size_t n = 0; n <= CORRAL_RULES_MAX_FILE; n += sizeof(pad)) {
        assert_int_equal(fwrite(pad, 1, sizeof(pad), f), sizeof(pad));
    }
    assert_int_equal(fclose(f), 0);
    assert_int_equal(corral_rules_load(path, &rs, &errs), CORRAL_ERR_TOO_LARGE);
    assert_null(rs);
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].line, 0);
    assert_non_null(strstr(errs.items[0].message, "larger than 4194304 bytes (4 MiB)"));
    unlink(path);

    /* A directory cannot be read; the error names it. */
    assert_int_equal(corral_rules_load(dir != NULL && dir[0] ? dir : "/tmp", &rs, &errs),
                     CORRAL_ERR_IO);
    assert_int_equal(errs.count, 2);
    assert_non_null(strstr(errs.items[1].message, "cannot read: Is a directory"));
    corral_rules_errors_release(&errs);

    /* Misuse is refused, not crashed on. */
    assert_int_equal(corral_rules_load(NULL, &rs, NULL), CORRAL_ERR_USAGE);
    assert_int_equal(corral_rules_load_buffer("x", NULL, 3, &rs, NULL), CORRAL_ERR_USAGE);
    assert_int_equal(corral_rules_load_buffer("x", "", 0, NULL, NULL), CORRAL_ERR_USAGE);
}

/* ---- merging ---- */

static void merge_add_and_replace(void **state)
{
    (void)state;
    struct corral_ruleset *base = load_builtins();
    struct corral_ruleset *user =
        load_ok("version: 1\n"
                "window: 2h\n"
                "rules:\n"
                "  - kind: my-vm-activity\n"
                "    title: My VM activity\n"
                "    severity: Medium\n"
                "    scenarios: [{entity: vm, description: Mine., min_plans: 1}]\n"
                "  - kind: suspicious-dns-activity\n"
                "    title: Security incident detected suspicious DNS activity\n"
                "    severity: High\n"
                "    scenarios: [{entity: ip, require: [{plan: DNS}], description: Only by IP.}]\n"
                "  - kind: my-chain\n"
                "    title: My chain\n"
                "    severity: High\n"
                "    chain: {vms: 3+, with: botnet}\n"
                "    description: Three machines.\n");
    assert_int_equal(corral_rules_merge(base, user, NULL), CORRAL_OK);
    corral_ruleset_free(user); /* the merged set owns copies */
    assert_int_equal(base->n_rules, 26);

    /* Replaced in place, keeping the built-in number. */
    const struct corral_rule *r = &base->rules[14];
    assert_string_equal(r->kind, "suspicious-dns-activity");
    assert_int_equal(r->number, 15);
    assert_int_equal(r->severity, CORRAL_SEVRULE_HIGH);
    assert_int_equal(r->n_scenarios, 1);
    assert_int_equal(r->scenarios[0].entity_types, ENT(IP));
    assert_int_equal(r->scenarios[0].window, 2 * HOUR);
    assert_string_equal(r->scenarios[0].description, "Only by IP.");
    /* The added chain rule is tried before the built-in ones. */
    assert_string_equal(base->rules[17].kind, "my-chain");
    assert_int_equal(base->rules[17].number, 0);
    assert_int_equal(base->rules[17].chain.min_vms, 3);
    assert_string_equal(base->rules[17].chain_description, "Three machines.");
    assert_int_equal(base->rules[18].number, 18);
    assert_int_equal(base->rules[23].number, 23);
    /* The added entity rule comes last. */
    assert_string_equal(base->rules[24].kind, "shared-process");
    r = &base->rules[25];
    assert_string_equal(r->kind, "my-vm-activity");
    assert_string_equal(r->display_name, "My VM activity");
    assert_int_equal(r->scenarios[0].min_plans, 1);
    assert_int_equal(r->scenarios[0].window, 2 * HOUR);
    /* The built-ins keep their own window. */
    assert_int_equal(base->default_window, CORRAL_DEFAULT_WINDOW);
    assert_int_equal(base->rules[0].scenarios[0].window, CORRAL_DEFAULT_WINDOW);

    /* A replacement can give the kind's own number; a new kind cannot take another's. */
    user = load_ok("version: 1\n"
                   "rules:\n"
                   "  - kind: suspicious-user-activity\n"
                   "    number: 1\n"
                   "    title: T\n"
                   "    severity: Medium\n"
                   "    scenarios: [{entity: user, description: D}]\n"
                   "  - kind: copy-of-crypto\n"
                   "    number: 3\n"
                   "    title: T\n"
                   "    severity: High\n"
                   "    scenarios: [{entity: vm, description: D}]\n"
                   "  - kind: suspicious-sas-activity\n"
                   "    number: 6\n"
                   "    title: T\n"
                   "    severity: High\n"
                   "    scenarios: [{entity: resource, description: D}]\n");
    struct corral_rules_errors errs = {0};
    assert_int_equal(corral_rules_merge(base, user, &errs), CORRAL_ERR_DATA);
    assert_int_equal(errs.count, 2);
    assert_string_equal(errs.items[0].file, "t.yaml");
    assert_int_equal(errs.items[0].line, 9);
    assert_int_equal(errs.items[0].col, 13);
    assert_non_null(
        strstr(errs.items[0].message, "number 3 is kind 'suspicious-crypto-mining-activity' in "));
    assert_non_null(strstr(errs.items[0].message,
                           "to replace that kind write 'kind: suspicious-crypto-mining-activity'"));
    assert_int_equal(errs.items[1].line, 14);
    assert_non_null(strstr(errs.items[1].message, "number 6 is kind "
                                                  "'anomalous-geographical-location-activity'"));
    corral_rules_errors_release(&errs);
    /* Nothing changed. */
    assert_int_equal(base->n_rules, 26);
    assert_int_equal(base->rules[0].severity, CORRAL_SEVRULE_HIGH);
    corral_ruleset_free(user);

    /* Merging the built-ins over themselves changes nothing. */
    struct corral_ruleset *again = load_builtins();
    assert_int_equal(corral_rules_merge(base, again, NULL), CORRAL_OK);
    assert_int_equal(base->n_rules, 26);
    assert_int_equal(base->rules[14].severity, CORRAL_SEVRULE_MEDIUM);
    assert_int_equal(base->rules[14].n_scenarios, 2);
    corral_ruleset_free(again);
    corral_ruleset_free(base);
}

/* ---- corral_cond_match ---- */

static void cond_match(void **state)
{
    (void)state;
    struct corral_entity ents[] = {
        {CORRAL_ENT_USER, 5, "alice"},
        {CORRAL_ENT_IP, 8, "10.0.0.1"},
    };
    struct corral_alert a = {
        .id = "a1",
        .plan = CORRAL_PLAN_KEYVAULT,
        .signals = CORRAL_SIG_ACCOUNT | CORRAL_SIG_GEO,
        .entities = ents,
        .n_entities = 2,
    };
    struct corral_cond c = {0};
    assert_true(corral_cond_match(&c, &a)); /* nothing asked */
    c.signals = CORRAL_SIG_GEO | CORRAL_SIG_DDOS;
    assert_true(corral_cond_match(&c, &a)); /* any of the signals */
    c.plans = PLAN(KEYVAULT) | PLAN(SQL);
    assert_true(corral_cond_match(&c, &a));
    c.entity_types = ENT(USER);
    assert_true(corral_cond_match(&c, &a));
    c.other_plan = 1; /* the caller's business */
    assert_true(corral_cond_match(&c, &a));

    c.entity_types = ENT(SERVICE_PRINCIPAL) | ENT(VM);
    assert_false(corral_cond_match(&c, &a));
    c.entity_types = ENT(IP);
    assert_true(corral_cond_match(&c, &a));
    c.plans = PLAN(STORAGE);
    assert_false(corral_cond_match(&c, &a));
    c.plans = 0;
    c.signals = CORRAL_SIG_CRYPTO_MINING;
    assert_false(corral_cond_match(&c, &a));

    /* An alert of unknown plan meets no plan condition; an alert with no entities no entity one. */
    struct corral_alert b = {.id = "b", .plan = CORRAL_PLAN_UNKNOWN};
    struct corral_cond p = {.plans = PLAN(SERVERS)};
    assert_false(corral_cond_match(&p, &b));
    struct corral_cond e = {.entity_types = ENT(USER)};
    assert_false(corral_cond_match(&e, &b));
    assert_false(corral_cond_match(NULL, &b));

    /* The built-in kind 12 `first`: an account alert that names a user. */
    struct corral_ruleset *rs = load_builtins();
    const struct corral_cond *k12 = &by_number(rs, 12)->scenarios[0].first;
    assert_true(corral_cond_match(k12, &a));
    a.n_entities = 0;
    assert_false(corral_cond_match(k12, &a));
    corral_ruleset_free(rs);
}

static void format_duration(void **state)
{
    (void)state;
    char buf[32];
    corral_rules_format_duration(CORRAL_DEFAULT_WINDOW, buf, sizeof(buf));
    assert_string_equal(buf, "24h");
    corral_rules_format_duration(48 * HOUR, buf, sizeof(buf));
    assert_string_equal(buf, "2d");
    corral_rules_format_duration(90 * 60 * CORRAL_TICKS_PER_SECOND, buf, sizeof(buf));
    assert_string_equal(buf, "90m");
    corral_rules_format_duration(30 * HOUR, buf, sizeof(buf));
    assert_string_equal(buf, "30h");
    corral_rules_format_duration(3601 * CORRAL_TICKS_PER_SECOND, buf, sizeof(buf));
    assert_string_equal(buf, "3601s");
    assert_string_equal(corral_rule_severity_name(CORRAL_SEVRULE_MEDIUM_HIGH), "Medium/High");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_load),
        cmocka_unit_test(valid_forms),
        cmocka_unit_test(chain_vms_forms),
        cmocka_unit_test(errors_top_level),
        cmocka_unit_test(errors_unknown_keys),
        cmocka_unit_test(errors_types),
        cmocka_unit_test(errors_names),
        cmocka_unit_test(errors_kinds_and_numbers),
        cmocka_unit_test(errors_scenarios),
        cmocka_unit_test(errors_rule_shape),
        cmocka_unit_test(errors_durations),
        cmocka_unit_test(errors_syntax),
        cmocka_unit_test(errors_syntax_more),
        cmocka_unit_test(errors_limits),
        cmocka_unit_test(errors_many_in_one_file),
        cmocka_unit_test(load_from_files),
        cmocka_unit_test(merge_add_and_replace),
        cmocka_unit_test(cond_match),
        cmocka_unit_test(format_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
