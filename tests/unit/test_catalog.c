/*
 * test_catalog.c - the alert-type table: the loader and every error it
 * reports (with line and column), the lookup (case, several rows per type,
 * many types), classification and its fallbacks, the builder, and that
 * building data/defender-alert-catalog.tsv gives data/alert-types.tsv byte
 * for byte. The repository is found through CORRAL_SOURCE_ROOT ("." when
 * unset).
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

#include "classify/catalog.h"

#define HEADER "alert_type\tdisplay_name\tplan\tsignals\ttactics\n"

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

/* The whole file, NUL-terminated; *len is its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s (set CORRAL_SOURCE_ROOT to the repository)", path);
    }
    size_t cap = 1 << 16;
    size_t n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A temporary file holding text[0..len); the caller unlinks and frees the path. */
static char *temp_file(const char *text, size_t len)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0') {
        dir = "/tmp";
    }
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/corral-catalog-XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static corral_err load_text(const char *text, size_t len, corral_catalog **out,
                            struct corral_diag *diag)
{
    char *path = temp_file(text, len);
    corral_err err = corral_catalog_load(path, out, diag);
    unlink(path);
    free(path);
    return err;
}

static corral_catalog *load_ok(const char *text)
{
    corral_catalog *cat = NULL;
    struct corral_diag d = {0};
    corral_err err = load_text(text, strlen(text), &cat, &d);
    if (err != CORRAL_OK) {
        fail_msg("load failed: %zu:%zu: %s", d.line, d.col, d.msg);
    }
    assert_non_null(cat);
    return cat;
}

/* Loading text must fail with CORRAL_ERR_DATA at line:col, leaving *out alone. */
static void expect_load_error(const char *text, size_t line, size_t col, const char *msg_part)
{
    corral_catalog *sentinel = (corral_catalog *)(uintptr_t)0x5e5e;
    corral_catalog *cat = sentinel;
    struct corral_diag d = {0};
    corral_err err = load_text(text, strlen(text), &cat, &d);
    if (err != CORRAL_ERR_DATA || d.line != line || d.col != col ||
        strstr(d.msg, msg_part) == NULL) {
        fail_msg("want DATA at %zu:%zu containing '%s', got %s at %zu:%zu: %s", line, col,
                 msg_part, corral_strerror(err), d.line, d.col, d.msg);
    }
    assert_int_equal(d.code, CORRAL_ERR_DATA);
    assert_ptr_equal(cat, sentinel);
}

static struct corral_classification classify(const corral_catalog *cat, const char *type,
                                             const char *name, const char *component)
{
    struct corral_classification c;
    memset(&c, 0xab, sizeof(c));
    corral_catalog_classify(cat, type, strlen(type), name, strlen(name), component,
                            strlen(component), &c);
    return c;
}

/* Build from text; returns the output (malloc'd) or NULL with *err and diag set. */
static char *build_text(const char *text, corral_err *err, struct corral_diag *diag)
{
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(in);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    *err = corral_catalog_build(in, "test-input", out, diag);
    fclose(in);
    fclose(out);
    if (*err != CORRAL_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void expect_build_error(const char *text, size_t line, size_t col, const char *msg_part)
{
    corral_err err;
    struct corral_diag d = {0};
    char *out = build_text(text, &err, &d);
    if (out != NULL || err != CORRAL_ERR_DATA || d.line != line || d.col != col ||
        strstr(d.msg, msg_part) == NULL) {
        fail_msg("want DATA at %zu:%zu containing '%s', got %s at %zu:%zu: %s", line, col,
                 msg_part, corral_strerror(err), d.line, d.col, d.msg);
    }
    free(out);
}

/* ---- loading ---- */

static void load_simple(void **state)
{
    (void)state;
    corral_catalog *cat = load_ok("# a comment\n" HEADER
                                  "VM_CryptoCoinMinerExecution\tPotential crypto coin miner "
                                  "started\tServers\tcrypto_mining\tExecution\n"
                                  "\n"
                                  "# another comment\n"
                                  "Storage.Blob_TorAnomaly\tAccess from a Tor exit node\tStorage\t"
                                  "geo,suspicious_ip\tPreAttack,InitialAccess\n"
                                  "K8S_X\t\tContainers\t-\t-\n");
    assert_int_equal(corral_catalog_size(cat), 3);
    struct corral_classification c = classify(cat, "Storage.Blob_TorAnomaly", "", "");
    assert_int_equal(c.known, 1);
    assert_int_equal(c.plan, CORRAL_PLAN_STORAGE);
    assert_int_equal(c.signals, CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    assert_int_equal(c.tactics, (1u << CORRAL_TAC_PREATTACK) | (1u << CORRAL_TAC_INITIALACCESS));
    c = classify(cat, "K8S_X", "anything", "");
    assert_int_equal(c.known, 1);
    assert_int_equal(c.plan, CORRAL_PLAN_CONTAINERS);
    assert_int_equal(c.signals, 0);
    assert_int_equal(c.tactics, 0);
    corral_catalog_free(cat);
}

static void load_lenient_forms(void **state)
{
    (void)state;
    /* CR/LF line ends, a byte-order mark, no final newline, spaces in lists, spelled tactics. */
    corral_catalog *cat = load_ok("\xEF\xBB\xBF"
                                  "alert_type\tdisplay_name\tplan\tsignals\ttactics\r\n"
                                  "A_1\tOne\tkeyvault\t geo , DDOS \tPre Attack, command and "
                                  "control\r\n"
                                  "A_2\tTwo\tKey Vault\t-\t-");
    assert_int_equal(corral_catalog_size(cat), 2);
    struct corral_classification c = classify(cat, "A_1", "One", "");
    assert_int_equal(c.plan, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(c.signals, CORRAL_SIG_GEO | CORRAL_SIG_DDOS);
    assert_int_equal(c.tactics,
                     (1u << CORRAL_TAC_PREATTACK) | (1u << CORRAL_TAC_COMMANDANDCONTROL));
    c = classify(cat, "A_2", "Two", "");
    assert_int_equal(c.known, 1);
    assert_int_equal(c.plan, CORRAL_PLAN_KEYVAULT);
    corral_catalog_free(cat);

    /* A very long line is fine. */
    size_t big = 200000;
    char *text = malloc(big + 256);
    assert_non_null(text);
    strcpy(text, HEADER "Long_Type\t");
    size_t n = strlen(text);
    memset(text + n, 'x', big);
    strcpy(text + n + big, "\tServers\tbotnet\tImpact\n");
    cat = load_ok(text);
    free(text);
    c = classify(cat, "Long_Type", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(c.signals, CORRAL_SIG_BOTNET);
    corral_catalog_free(cat);

    /* A header alone is an empty catalog. */
    cat = load_ok(HEADER);
    assert_int_equal(corral_catalog_size(cat), 0);
    c = classify(cat, "VM_CoinMiner", "", "");
    assert_int_equal(c.known, 0);
    corral_catalog_free(cat);
}

static void load_errors(void **state)
{
    (void)state;
    /* Empty file, comments only, and a data row where the header should be. */
    expect_load_error("", 1, 1, "missing header");
    expect_load_error("# one\n# two\n", 3, 1, "missing header");
    expect_load_error("\n\n", 3, 1, "missing header");
    expect_load_error("VM_X\tName\tServers\t-\t-\n", 1, 1, "missing header");
    expect_load_error("# c\nalert_type\tname\tplan\tsignals\ttactics\n", 2, 12, "missing header");
    expect_load_error("alert_type\tdisplay_name\tplan\tsignals\n", 1, 37, "header");

    /* Too few columns: the column is the end of the line; too many: the surplus tab. */
    expect_load_error(HEADER "VM_X\tName\tServers\t-\n", 2, 20, "expected 5");
    expect_load_error(HEADER "VM_X\tName\tServers\t-\t-\textra\n", 2, 22, "found 6");
    expect_load_error(HEADER "VM_X\n", 2, 5, "found 1");
    expect_load_error(HEADER "VM_X\tName\tServers\t-\t-\t\n", 2, 22, "found 6");

    /* Unknown names: the column of the name itself. */
    expect_load_error(HEADER "VM_X\tName\tMainframes\t-\t-\n", 2, 11, "unknown plan");
    expect_load_error(HEADER "VM_X\tName\tUnknown\t-\t-\n", 2, 11, "unknown plan");
    expect_load_error(HEADER "VM_X\tName\t\t-\t-\n", 2, 11, "unknown plan");
    expect_load_error(HEADER "VM_X\tName\tServers\tgeo,teleport\t-\n", 2, 23, "unknown signal");
    expect_load_error(HEADER "VM_X\tName\tServers\tgeo,,ddos\t-\n", 2, 23, "empty signal");
    expect_load_error(HEADER "VM_X\tName\tServers\t\t-\n", 2, 19, "empty signal");
    expect_load_error(HEADER "VM_X\tName\tServers\tgeo,-\t-\n", 2, 23, "unknown signal");
    expect_load_error(HEADER "VM_X\tName\tServers\taccount\t-\n", 2, 19, "account");
    expect_load_error(HEADER "VM_X\tName\tServers\t-\tExecution,Teleport\n", 2, 31,
                      "unknown tactic");
    expect_load_error(HEADER "VM_X\tName\tServers\t-\tUnknown\n", 2, 21, "unknown tactic");
    expect_load_error(HEADER "\tName\tServers\t-\t-\n", 2, 1, "empty alert_type");

    /* Line numbers count comments and blank lines. */
    expect_load_error(HEADER "A\tB\tServers\t-\t-\n\n# c\r\nVM_X\tName\tBad\t-\t-\r\n", 5, 11,
                      "unknown plan");

    /* A NUL byte is reported where it is. */
    static const char with_nul[] = HEADER "VM_X\tNa\0me\tServers\t-\t-\n";
    corral_catalog *cat = NULL;
    struct corral_diag d = {0};
    assert_int_equal(load_text(with_nul, sizeof(with_nul) - 1, &cat, &d), CORRAL_ERR_DATA);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 8);
    assert_null(cat);
}

static void load_io_error(void **state)
{
    (void)state;
    corral_catalog *cat = NULL;
    struct corral_diag d = {0};
    assert_int_equal(corral_catalog_load("/nonexistent/corral/alert-types.tsv", &cat, &d),
                     CORRAL_ERR_IO);
    assert_int_equal(d.code, CORRAL_ERR_IO);
    assert_non_null(strstr(d.msg, "/nonexistent/corral/alert-types.tsv"));
    assert_null(cat);
    /* diag may be NULL. */
    assert_int_equal(corral_catalog_load("/nonexistent/x", &cat, NULL), CORRAL_ERR_IO);
    assert_int_equal(load_text("bad", 3, &cat, NULL), CORRAL_ERR_DATA);
    assert_null(cat);
}

/* ---- lookup and classification ---- */

static const char multi_plan[] =
    HEADER
    "# One type under three plans, with one display name.\n"
    "AzureDNS_ThreatIntelSuspectDomain\tCommunication with suspicious domain identified by threat "
    "intelligence\tServers\t-\tInitialAccess,Execution\n"
    "AzureDNS_ThreatIntelSuspectDomain\tCommunication with suspicious domain identified by threat "
    "intelligence\tAppService\t-\tInitialAccess,CommandAndControl\n"
    "AzureDNS_ThreatIntelSuspectDomain\tCommunication with suspicious domain identified by threat "
    "intelligence\tDNS\t-\tInitialAccess\n"
    "# One type under two plans, with two display names.\n"
    "X_Dual\tName for storage\tStorage\tgeo\tPreAttack\n"
    "X_Dual\tName for sql\tSQL\tbrute_force\tProbing\n"
    "VM_CryptoCoinMinerExecution\tPotential crypto coin miner started\tServers\tcrypto_mining\t"
    "Execution\n"
    "ARM_AzureHound\tAzureHound tool invocation detected\tServers\tazure_toolkit\tDiscovery\n";

#define TI_NAME "Communication with suspicious domain identified by threat intelligence"

static void several_plans_per_type(void **state)
{
    (void)state;
    corral_catalog *cat = load_ok(multi_plan);
    assert_int_equal(corral_catalog_size(cat), 7);
    const char *type = "AzureDNS_ThreatIntelSuspectDomain";

    /* Same display name everywhere: the product component decides. */
    struct corral_classification c = classify(cat, type, TI_NAME, "Dns");
    assert_int_equal(c.known, 1);
    assert_int_equal(c.plan, CORRAL_PLAN_DNS);
    assert_int_equal(c.tactics, 1u << CORRAL_TAC_INITIALACCESS);
    c = classify(cat, type, TI_NAME, "AppServices");
    assert_int_equal(c.plan, CORRAL_PLAN_APPSERVICE);
    assert_int_equal(c.tactics,
                     (1u << CORRAL_TAC_INITIALACCESS) | (1u << CORRAL_TAC_COMMANDANDCONTROL));
    c = classify(cat, type, TI_NAME, "VirtualMachines");
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(c.tactics, (1u << CORRAL_TAC_INITIALACCESS) | (1u << CORRAL_TAC_EXECUTION));
    /* No component, or one the rows do not have: the prefix rule (AzureDNS_). */
    c = classify(cat, type, TI_NAME, "");
    assert_int_equal(c.plan, CORRAL_PLAN_DNS);
    c = classify(cat, type, TI_NAME, "Storage");
    assert_int_equal(c.plan, CORRAL_PLAN_DNS);
    c = classify(cat, type, "", "Mystery");
    assert_int_equal(c.plan, CORRAL_PLAN_DNS);

    /* Different display names: the name decides, before the component. */
    c = classify(cat, "X_Dual", "Name for sql", "Storage");
    assert_int_equal(c.plan, CORRAL_PLAN_SQL);
    assert_int_equal(c.signals, CORRAL_SIG_BRUTE_FORCE);
    assert_int_equal(c.tactics, 1u << CORRAL_TAC_PROBING);
    c = classify(cat, "X_Dual", "  NAME FOR STORAGE ", "SqlServers");
    assert_int_equal(c.plan, CORRAL_PLAN_STORAGE);
    assert_int_equal(c.signals, CORRAL_SIG_GEO);
    /* No name matches: the component, else (no prefix rule for X_) the first row. */
    c = classify(cat, "X_Dual", "Renamed alert", "SqlServers");
    assert_int_equal(c.plan, CORRAL_PLAN_SQL);
    c = classify(cat, "X_Dual", "Renamed alert", "");
    assert_int_equal(c.plan, CORRAL_PLAN_STORAGE);
    assert_int_equal(c.signals, CORRAL_SIG_GEO);

    /* The catalog beats the component and the prefix: Microsoft lists ARM_AzureHound under
     * Defender for Servers. */
    c = classify(cat, "ARM_AzureHound", "AzureHound tool invocation detected", "Arm");
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(c.signals, CORRAL_SIG_AZURE_TOOLKIT);
    corral_catalog_free(cat);
}

static void lookup_forms(void **state)
{
    (void)state;
    corral_catalog *cat = load_ok(multi_plan);
    /* Case-insensitive, surrounding spaces ignored, (pointer, length) honoured. */
    struct corral_classification c = classify(cat, "vm_cryptocoinminerexecution", "", "");
    assert_int_equal(c.known, 1);
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(c.signals, CORRAL_SIG_CRYPTO_MINING);
    assert_int_equal(c.tactics, 1u << CORRAL_TAC_EXECUTION);
    c = classify(cat, " VM_CryptoCoinMinerExecution\t", "", "");
    assert_int_equal(c.known, 1);
    const char *longer = "VM_CryptoCoinMinerExecutionXYZ";
    corral_catalog_classify(cat, longer, 27, "", 0, "", 0, &c);
    assert_int_equal(c.known, 1);
    corral_catalog_classify(cat, longer, 30, "", 0, "", 0, &c);
    assert_int_equal(c.known, 0);
    /* A prefix or a near miss is not the type. */
    c = classify(cat, "VM_CryptoCoinMiner", "", "");
    assert_int_equal(c.known, 0);
    c = classify(cat, "X_Dua", "", "");
    assert_int_equal(c.known, 0);
    corral_catalog_free(cat);
}

static void unknown_type_fallbacks(void **state)
{
    (void)state;
    corral_catalog *cat = load_ok(multi_plan);
    /* Signals from the alert's own type and name; plan from the prefix... */
    struct corral_classification c =
        classify(cat, "KV_NewThing", "Access from a Tor exit node to a key vault", "");
    assert_int_equal(c.known, 0);
    assert_int_equal(c.plan, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(c.signals, CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    assert_int_equal(c.tactics, 0);
    /* ...unless the product component says otherwise. */
    c = classify(cat, "KV_NewThing", "", "StorageAccounts");
    assert_int_equal(c.plan, CORRAL_PLAN_STORAGE);
    assert_int_equal(c.signals, 0);
    c = classify(cat, "VM_NewMinerThing", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(c.signals, CORRAL_SIG_CRYPTO_MINING);
    /* Nothing known at all. */
    c = classify(cat, "Custom_Alert", "Something happened", "");
    assert_int_equal(c.known, 0);
    assert_int_equal(c.plan, CORRAL_PLAN_UNKNOWN);
    assert_int_equal(c.signals, 0);
    c = classify(cat, "", "", "");
    assert_int_equal(c.known, 0);
    assert_int_equal(c.plan, CORRAL_PLAN_UNKNOWN);
    c = classify(cat, "", "Botnet detected", "KeyVaults");
    assert_int_equal(c.plan, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(c.signals, CORRAL_SIG_BOTNET);
    corral_catalog_free(cat);

    /* An empty catalog, and no catalog, fall back the same way. */
    corral_catalog *empty = corral_catalog_new();
    assert_non_null(empty);
    assert_int_equal(corral_catalog_size(empty), 0);
    c = classify(empty, "VM_CryptoCoinMinerExecution", "Potential crypto coin miner started", "");
    assert_int_equal(c.known, 0);
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(c.signals, CORRAL_SIG_CRYPTO_MINING);
    corral_catalog_free(empty);
    c = classify(NULL, "Storage.Blob_X", "Access from an unusual location", "");
    assert_int_equal(c.known, 0);
    assert_int_equal(c.plan, CORRAL_PLAN_STORAGE);
    assert_int_equal(c.signals, CORRAL_SIG_GEO);
    corral_catalog_classify(NULL, NULL, 0, NULL, 0, NULL, 0, &c);
    assert_int_equal(c.known, 0);
    assert_int_equal(c.plan, CORRAL_PLAN_UNKNOWN);
    assert_int_equal(c.signals, 0);
    corral_catalog_free(NULL);
    assert_int_equal(corral_catalog_size(NULL), 0);
}

static void many_types(void **state)
{
    (void)state;
    enum { N = 5000 };
    static const char *const plans[] = {"Servers", "Storage", "SQL", "KeyVault", "DNS"};
    static const enum corral_plan plan_ids[] = {CORRAL_PLAN_SERVERS, CORRAL_PLAN_STORAGE,
                                                CORRAL_PLAN_SQL, CORRAL_PLAN_KEYVAULT,
                                                CORRAL_PLAN_DNS};
    size_t cap = (size_t)N * 64 + 128;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)snprintf(text, cap, "%s", HEADER);
    for (int i = 0; i < N; i++) {
        n += (size_t)snprintf(text + n, cap - n, "Type%05d_x\tName %d\t%s\t-\t-\n", i, i,
                              plans[i % 5]);
    }
    /* The same type in another case joins the group; file order decides among equals. */
    n += (size_t)snprintf(text + n, cap - n, "TYPE00007_X\tOther\tAI\t-\t-\n");
    corral_catalog *cat = load_ok(text);
    free(text);
    assert_int_equal(corral_catalog_size(cat), N + 1);
    char type[32];
    for (int i = 0; i < N; i++) {
        snprintf(type, sizeof(type), "Type%05d_x", i);
        struct corral_classification c = classify(cat, type, "", "");
        assert_int_equal(c.known, 1);
        assert_int_equal(c.plan, plan_ids[i % 5]);
    }
    struct corral_classification c = classify(cat, "type00007_x", "other", "");
    assert_int_equal(c.plan, CORRAL_PLAN_AI);
    c = classify(cat, "type00007_x", "", "");
    assert_int_equal(c.plan, plan_ids[7 % 5]);
    c = classify(cat, "Type99999_x", "", "");
    assert_int_equal(c.known, 0);
    corral_catalog_free(cat);
}

/* ---- building ---- */

static const char reference[] =
    "plan\talert_type\tdisplay_name\ttactics\tseverity\n"
    "Defender for Servers - Linux machines\tVM_CoinMiner\tPotential crypto coin miner started\t"
    "Execution\tHigh\n"
    "Deprecated - Defender for Servers Linux\tVM_CoinMiner\tPotential crypto coin miner started\t"
    "-\tHigh\n"
    "Defender for Servers - Windows machines\t\tNo type here\t-\tLow\n"
    "Security incident (correlation output)\tIncident_X\tSecurity incident detected\t-\tHigh\n"
    "Defender for App Service\tAzureDNS_ThreatIntelSuspectDomain\tCommunication with suspicious "
    "domain\tInitial Access, Command And Control\tMedium\n"
    "DNS (Defender for Servers P2 / legacy Defender for DNS)\tAzureDNS_ThreatIntelSuspectDomain\t"
    "Communication with suspicious domain\tInitial Access\tMedium\n"
    "Defender for Storage\tStorage.Blob_TorAnomaly\tAccess from a Tor exit node [seen multiple "
    "times]\tPre Attack, Unknown\tHigh\n"
    "Defender for Key Vault\tKV_TOR Access\t  Access from a TOR exit node to a key vault  \t"
    "Pre Attack\tMedium\n"
    "Defender for Storage\tStorage.Blob_TorAnomaly\tAccess from a Tor exit node\tInitial Access\t"
    "High\n"
    "Defender for Servers - Linux machines\tVM_CoinMiner\tPotential crypto coin miner started\t"
    "Execution\tHigh\n";

static const char reference_built[] =
    "# Generated by `corral catalog build data/defender-alert-catalog.tsv`: do not edit by hand.\n"
    "alert_type\tdisplay_name\tplan\tsignals\ttactics\n"
    "AzureDNS_ThreatIntelSuspectDomain\tCommunication with suspicious domain\tAppService\t-\t"
    "InitialAccess,CommandAndControl\n"
    "AzureDNS_ThreatIntelSuspectDomain\tCommunication with suspicious domain\tDNS\t-\t"
    "InitialAccess\n"
    "KV_TORAccess\tAccess from a TOR exit node to a key vault\tKeyVault\tgeo,suspicious_ip\t"
    "PreAttack\n"
    "Storage.Blob_TorAnomaly\tAccess from a Tor exit node\tStorage\tgeo,suspicious_ip\t"
    "PreAttack,InitialAccess\n"
    "VM_CoinMiner\tPotential crypto coin miner started\tServers\tcrypto_mining\tExecution\n";

static void build_small(void **state)
{
    (void)state;
    corral_err err;
    struct corral_diag d = {0};
    char *out = build_text(reference, &err, &d);
    if (out == NULL) {
        fail_msg("build failed: %zu:%zu: %s", d.line, d.col, d.msg);
    }
    assert_string_equal(out, reference_built);

    /* What it writes loads, and says what it said. */
    corral_catalog *cat = load_ok(out);
    assert_int_equal(corral_catalog_size(cat), 5);
    struct corral_classification c = classify(cat, "KV_TORAccess", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(c.signals, CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    corral_catalog_free(cat);
    free(out);

    /* CR/LF input gives the same bytes. */
    size_t n = strlen(reference);
    char *crlf = malloc(n * 2 + 1);
    assert_non_null(crlf);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (reference[i] == '\n') {
            crlf[w++] = '\r';
        }
        crlf[w++] = reference[i];
    }
    crlf[w] = '\0';
    out = build_text(crlf, &err, &d);
    assert_non_null(out);
    assert_string_equal(out, reference_built);
    free(out);
    free(crlf);
}

static void build_errors(void **state)
{
    (void)state;
    expect_build_error("", 1, 1, "missing header");
    expect_build_error("Defender for Storage\tStorage.X\tName\t-\tHigh\n", 1, 1, "missing header");
    expect_build_error("plan\talert_type\tdisplay_name\ttactics\n", 1, 37, "header");
    expect_build_error("plan\talert_type\tdisplay_name\ttactics\tseverity\n"
                       "Defender for Storage\tStorage.X\tName\t-\tHigh\n"
                       "Defender for Storage\tStorage.Y\tName\t-\n",
                       3, 38, "expected 5");
    expect_build_error("plan\talert_type\tdisplay_name\ttactics\tseverity\n"
                       "Defender for Mainframes\tMF_X\tName\t-\tHigh\n",
                       2, 1, "no plan");
    expect_build_error("plan\talert_type\tdisplay_name\ttactics\tseverity\n"
                       "Defender for Storage\tStorage.X\tName\tPre Attack, Teleportation\tHigh\n",
                       2, 49, "unknown tactic");
    expect_build_error("plan\talert_type\tdisplay_name\ttactics\tseverity\n"
                       "Defender for Storage\t#Storage.X\tName\t-\tHigh\n",
                       2, 22, "'#'");
    /* A row without a type is skipped before its plan is looked at. */
    corral_err err;
    struct corral_diag d = {0};
    char *out = build_text("plan\talert_type\tdisplay_name\ttactics\tseverity\n"
                           "Defender for Mainframes\t\tName\t-\tHigh\n",
                           &err, &d);
    assert_non_null(out);
    assert_string_equal(out, "# Generated by `corral catalog build "
                             "data/defender-alert-catalog.tsv`: do not edit by hand.\n" HEADER);
    free(out);
}

/* ---- the shipped table ---- */

static void shipped_table_is_reproducible(void **state)
{
    (void)state;
    char *src = source_path("data/defender-alert-catalog.tsv");
    char *dst = source_path("data/alert-types.tsv");
    size_t want_len;
    char *want = slurp(dst, &want_len);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    char *got = NULL;
    size_t got_len = 0;
    FILE *out = open_memstream(&got, &got_len);
    assert_non_null(out);
    struct corral_diag d = {0};
    corral_err err = corral_catalog_build(in, src, out, &d);
    fclose(in);
    fclose(out);
    if (err != CORRAL_OK) {
        fail_msg("build of %s failed: %zu:%zu: %s", src, d.line, d.col, d.msg);
    }
    if (got_len != want_len || memcmp(got, want, want_len) != 0) {
        size_t i = 0;
        while (i < got_len && i < want_len && got[i] == want[i]) {
            i++;
        }
        fail_msg("%s differs from a fresh build at byte %zu (sizes %zu and %zu): run "
                 "`corral catalog build data/defender-alert-catalog.tsv`",
                 dst, i, want_len, got_len);
    }
    free(got);
    free(want);
    free(src);
    free(dst);
}

static void shipped_table_contents(void **state)
{
    (void)state;
    char *path = source_path("data/alert-types.tsv");
    corral_catalog *cat = NULL;
    struct corral_diag d = {0};
    if (corral_catalog_load(path, &cat, &d) != CORRAL_OK) {
        fail_msg("%s:%zu:%zu: %s", path, d.line, d.col, d.msg);
    }
    size_t len;
    char *text = slurp(path, &len);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        lines += text[i] == '\n';
    }
    assert_int_equal(corral_catalog_size(cat), lines - 2); /* comment and header */

    struct corral_classification c = classify(cat, "VM_CryptoCoinMinerExecution", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_SERVERS);
    assert_true(c.signals & CORRAL_SIG_CRYPTO_MINING);
    c = classify(cat, "K8S.NODE_DigitalCurrencyMining", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_CONTAINERS);
    assert_true(c.signals & CORRAL_SIG_CRYPTO_MINING);
    c = classify(cat, "VM_SshBruteForceFailed", "", "");
    assert_true(c.signals & CORRAL_SIG_BRUTE_FORCE);
    c = classify(cat, "SQL.DB_BruteForce", "Suspected brute force attack", "");
    assert_int_equal(c.plan, CORRAL_PLAN_SQL);
    assert_true(c.signals & CORRAL_SIG_BRUTE_FORCE);
    c = classify(cat, "Storage.Blob_TorAnomaly", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_STORAGE);
    assert_int_equal(c.signals, CORRAL_SIG_GEO | CORRAL_SIG_SUSPICIOUS_IP);
    c = classify(cat, "KV_TORAccess", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_KEYVAULT);
    c = classify(cat, "AzureDNS_CurrencyMining", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_DNS);
    c = classify(cat, "AzureDNS_ThreatIntelSuspectDomain", "", "AppServices");
    assert_int_equal(c.plan, CORRAL_PLAN_APPSERVICE);
    c = classify(cat, "AzureDNS_ThreatIntelSuspectDomain", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_DNS);
    c = classify(cat, "ARM_MicroBurst.AzDomainInfo", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_RESOURCEMANAGER);
    assert_int_equal(c.signals, CORRAL_SIG_AZURE_TOOLKIT); /* not also exploit */
    c = classify(cat, "NETWORK_DDOS_DETECTED", "", "");
    assert_int_equal(c.plan, CORRAL_PLAN_NETWORK);
    assert_int_equal(c.signals, CORRAL_SIG_DDOS);
    c = classify(cat, "VM_SshKeyAddition", "New SSH key added", "");
    assert_int_equal(c.tactics, 1u << CORRAL_TAC_PERSISTENCE);
    c = classify(cat, "AppServices_KnownCredentialAccessTools", "", "");
    assert_int_equal(c.known, 1);
    assert_int_equal(c.plan, CORRAL_PLAN_APPSERVICE);

    /* No Storage row is geo because of the word "Storage": only Tor and geo anomalies are. */
    size_t storage_rows = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *f[5] = {0};
        char *p = line;
        for (int i = 0; i < 5 && p != NULL; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            if (p != NULL) {
                *p++ = '\0';
            }
        }
        if (f[2] == NULL || strcmp(f[2], "Storage") != 0) {
            continue;
        }
        storage_rows++;
        if (strstr(f[3], "geo") != NULL && strstr(f[0], "TorAnomaly") == NULL &&
            strstr(f[0], "GeoAnomaly") == NULL) {
            fail_msg("%s is geo", f[0]);
        }
    }
    assert_true(storage_rows > 30);
    free(text);
    corral_catalog_free(cat);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_simple),
        cmocka_unit_test(load_lenient_forms),
        cmocka_unit_test(load_errors),
        cmocka_unit_test(load_io_error),
        cmocka_unit_test(several_plans_per_type),
        cmocka_unit_test(lookup_forms),
        cmocka_unit_test(unknown_type_fallbacks),
        cmocka_unit_test(many_types),
        cmocka_unit_test(build_small),
        cmocka_unit_test(build_errors),
        cmocka_unit_test(shipped_table_is_reproducible),
        cmocka_unit_test(shipped_table_contents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
