/*
 * test_decode.c - the decoder on small inline records: each input shape, keys
 * in any case, tactics in every form, times with offsets, $id/$ref resolution,
 * every reason to reject an alert and every warning, multi-alert records,
 * the scope precedence chain, and the entity keys of each entity type.
 *
 * Records are written with single quotes for readability; q() turns them into
 * double quotes (a \' becomes \", for the JSON inside Sentinel strings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/catalog.h"
#include "ingest/decode.h"
#include "ingest/json.h"
#include "util/time.h"

#include "got_alerts.h"

struct fixture {
    corral_catalog *catalog;
    corral_decoder *dec;
    struct got *got;
    struct corral_decode_sink sink;
    char *text; /* the last q() result */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->catalog = corral_catalog_new();
    assert_non_null(f->catalog);
    struct corral_decoder_limits limits = {.max_record = 16u << 20, .max_depth = 64};
    f->dec = corral_decoder_new(f->catalog, &limits);
    assert_non_null(f->dec);
    f->got = calloc(1, sizeof *f->got);
    assert_non_null(f->got);
    f->sink = got_sink(f->got);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    corral_decoder_free(f->dec);
    corral_catalog_free(f->catalog);
    free(f->got);
    free(f->text);
    free(f);
    return 0;
}

/* The record with ' turned into " (and \' into \"). Owned by the fixture. */
static const char *q(struct fixture *f, const char *text)
{
    free(f->text);
    f->text = strdup(text);
    assert_non_null(f->text);
    for (char *p = f->text; *p != '\0'; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    return f->text;
}

/* Decode one record (quotes as in q()) at the given line and column. */
static void decode_at(struct fixture *f, const char *record, size_t line, size_t col)
{
    memset(f->got, 0, sizeof *f->got);
    const char *text = q(f, record);
    assert_int_equal(corral_decode(f->dec, "test", text, strlen(text), 0, line, col, &f->sink),
                     CORRAL_OK);
}

static void decode(struct fixture *f, const char *record)
{
    decode_at(f, record, 1, 1);
}

/* The record as given, without quote conversion (for raw bytes and generated records). */
static void decode_raw(struct fixture *f, const char *text, size_t len)
{
    memset(f->got, 0, sizeof *f->got);
    assert_int_equal(corral_decode(f->dec, "test", text, len, 0, 1, 1, &f->sink), CORRAL_OK);
}

static int has_entity(const struct got_alert *a, const char *type, const char *key)
{
    char want[512];
    snprintf(want, sizeof want, "\n%s=%s\n", type, key);
    return strstr(a->entities, want) != NULL;
}

static void assert_entity(const struct got_alert *a, const char *type, const char *key)
{
    if (!has_entity(a, type, key)) {
        print_error("entity %s=%s not in:%s", type, key, a->entities);
        fail();
    }
}

static void assert_time(corral_time t, const char *text)
{
    char buf[CORRAL_TIME_TEXT];
    assert_string_equal(corral_time_format(t, buf), text);
}

/* Exactly one alert and no problem. */
static const struct got_alert *one_alert(struct fixture *f)
{
    for (unsigned i = 0; i < f->got->n_problems; i++) {
        print_error("unexpected problem: %s\n", f->got->problems[i].msg);
    }
    assert_int_equal(f->got->n_problems, 0);
    assert_int_equal(f->got->n_alerts, 1);
    return &f->got->alerts[0];
}

/* Exactly one problem, a rejection with this code, and no alert; returns its message. */
static const struct got_problem *one_rejection(struct fixture *f, corral_err code)
{
    assert_int_equal(f->got->n_alerts, 0);
    assert_int_equal(f->got->n_problems, 1);
    const struct got_problem *p = &f->got->problems[0];
    if (p->code != code) {
        print_error("got %s: %s\n", corral_strerror(p->code), p->msg);
    }
    assert_int_equal(p->code, code);
    assert_int_equal(p->rejected, 1);
    return p;
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL) {
        print_error("\"%s\" does not contain \"%s\"\n", text, part);
        fail();
    }
}

#define SUB1 "11111111-1111-1111-1111-111111111111"
#define SUB2 "22222222-2222-2222-2222-222222222222"
#define SUB3 "33333333-3333-3333-3333-333333333333"
#define VM1                                                                                        \
    "/subscriptions/" SUB1 "/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"
#define VM1_MIXED                                                                                  \
    "/SUBSCRIPTIONS/" SUB1 "/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1"
#define START "'StartTimeUtc':'2026-01-02T03:04:05.1234567Z'"

/* ---- shapes ---- */

static void rest_envelope(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'id':'/subscriptions/" SUB1 "/resourceGroups/rg/providers/Microsoft.Security/"
              "locations/westeurope/alerts/a1','name':'a1','type':'Microsoft.Security/Locations/"
              "alerts','properties':{'systemAlertId':'a1','alertType':'VM_EICAR',"
              "'alertDisplayName':'Test alert','productComponentName':'testName',"
              "'severity':'High','status':'Resolved','intent':'Execution',"
              "'startTimeUtc':'2026-01-02T03:04:05.1234567Z','endTimeUtc':'2026-01-02T04:00:00Z',"
              "'timeGeneratedUtc':'2026-01-02T05:00:00.5Z',"
              "'entities':[{'address':'203.0.113.9','type':'ip'}]}}");
    const struct got_alert *a = one_alert(f);
    assert_string_equal(a->id, "a1");
    assert_string_equal(a->type, "VM_EICAR");
    assert_string_equal(a->name, "Test alert");
    assert_string_equal(a->component, "testName");
    assert_int_equal(a->shape, CORRAL_SHAPE_REST);
    assert_int_equal(a->plan, CORRAL_PLAN_SERVERS);
    assert_int_equal(a->severity, CORRAL_SEV_HIGH);
    assert_int_equal(a->status, CORRAL_STATUS_RESOLVED);
    assert_int_equal(a->tactics, 1u << CORRAL_TAC_EXECUTION);
    assert_int_equal(a->stages, 1u << 8);
    assert_time(a->start, "2026-01-02T03:04:05.1234567Z");
    assert_time(a->end, "2026-01-02T04:00:00.0000000Z");
    assert_time(a->generated, "2026-01-02T05:00:00.5000000Z");
    /* Nothing decides the scope but the envelope's own id; that id is never a resource. */
    assert_string_equal(a->scope, SUB1);
    assert_int_equal(a->n_entities, 1);
    assert_entity(a, "ip", "203.0.113.9");
    assert_int_equal(a->line, 1);
}

static void az_cli_flat(void **state)
{
    struct fixture *f = *state;
    decode(f,
           "[{'id':'/subscriptions/" SUB1 "/resourceGroups/rg/providers/Microsoft.Security/"
           "locations/westeurope/alerts/b1','name':'b1','type':'Microsoft.Security/Locations/"
           "alerts','systemAlertId':'b1','alertType':'KV_AccountVolumeAnomaly',"
           "'startTimeUtc':'2026-01-02T03:04:05Z','severity':'low',"
           "'resourceIdentifiers':[{'type':'AzureResource','azureResourceId':'/subscriptions/" SUB2
           "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KV1'}]}]");
    const struct got_alert *a = one_alert(f);
    assert_string_equal(a->id, "b1");
    assert_int_equal(a->shape, CORRAL_SHAPE_REST);
    assert_int_equal(a->plan, CORRAL_PLAN_KEYVAULT);
    assert_int_equal(a->severity, CORRAL_SEV_LOW);
    assert_int_equal(a->status, CORRAL_STATUS_ACTIVE);
    assert_int_equal(a->end, CORRAL_TIME_NONE);
    assert_int_equal(a->generated, CORRAL_TIME_NONE);
    assert_string_equal(a->scope, SUB2);
    assert_int_equal(a->n_entities, 1);
    assert_entity(a, "resource",
                  "/subscriptions/" SUB2
                  "/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv1");
}

static void export_shape(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'e1','AlertType':'VM_SuspiciousScreenSaver',"
              "'AlertDisplayName':'Suspicious Screensaver','Severity':'Medium','Status':'New',"
              "'Intent':'Persistence'," START ",'EndTimeUtc':'2026-01-02T03:05:00Z',"
              "'TimeGenerated':'2026-01-02T03:06:00Z',"
              "'AzureResourceId':'" VM1_MIXED "',"
              "'Entities':[{'$id':'4','HostName':'vm1','AzureID':'" VM1_MIXED "','Type':'host'},"
              "{'$id':'5','Name':'Alice','NTDomain':'CONTOSO','Host':{'$ref':'4'},"
              "'Type':'account'},"
              "{'$id':'6','Directory':'C:\\\\Windows\\\\System32','Name':'cmd.exe','Type':'file'},"
              "{'$id':'7','ProcessId':'0x1f4','CommandLine':'cmd.exe /c whoami',"
              "'CreationTimeUtc':'2026-01-02T03:00:00Z','ImageFile':{'$ref':'6'},"
              "'Host':{'$ref':'4'},'Account':{'$ref':'5'},'Type':'process'}]}");
    const struct got_alert *a = one_alert(f);
    assert_int_equal(a->shape, CORRAL_SHAPE_EXPORT);
    assert_int_equal(a->status, CORRAL_STATUS_ACTIVE);
    assert_int_equal(a->severity, CORRAL_SEV_MEDIUM);
    assert_int_equal(a->tactics, 1u << CORRAL_TAC_PERSISTENCE);
    assert_int_equal(a->stages, 1u << 2);
    assert_time(a->end, "2026-01-02T03:05:00.0000000Z");
    assert_time(a->generated, "2026-01-02T03:06:00.0000000Z");
    assert_string_equal(a->scope, SUB1);
    assert_entity(a, "vm", VM1);
    assert_entity(a, "resource", VM1);
    assert_entity(a, "user", "contoso\\alice");
    assert_entity(a, "process", VM1 "|500|2026-01-02T03:00:00.0000000Z");
    assert_entity(a, "process_image", "c:\\windows\\system32\\cmd.exe|cmd.exe /c whoami");
    assert_int_equal(a->n_entities, 5);
    assert_true(a->signals & CORRAL_SIG_ACCOUNT);
}

static void sentinel_row(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'TenantId':'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE','SystemAlertId':'s1',"
              "'DisplayName':'Suspicious login','AlertName':'Other name',"
              "'AlertType':'SQL.DB_GeoAnomaly','AlertSeverity':'High','Status':'InProgress',"
              "'StartTime':'2026-01-02T03:04:05Z','EndTime':'2026-01-02T03:04:06Z',"
              "'TimeGenerated':'2026-01-02T03:04:07Z','Tactics':'InitialAccess, Persistence',"
              "'ResourceId':'/subscriptions/" SUB2 "/resourceGroups/rg/providers/Microsoft.Sql/"
              "servers/sql1/databases/db1',"
              "'Entities':'[{\\'$id\\':\\'2\\',\\'Address\\':\\'203.0.113.7\\',"
              "\\'Type\\':\\'ip\\'},{\\'$id\\':\\'3\\',\\'DomainName\\':\\'Evil.Example.\\',"
              "\\'IpAdresses\\':[{\\'$ref\\':\\'2\\'}],\\'Type\\':\\'dns\\'}]',"
              "'ExtendedProperties':'{\\'Client IP address\\':\\'198.51.100.7, 198.51.100.8\\',"
              "\\'Client application\\':\\'10.0.0.1\\'}',"
              "'ExtendedLinks':'not json at all','RemediationSteps':'[\\'do this\\']'}");
    const struct got_alert *a = one_alert(f);
    assert_string_equal(a->id, "s1");
    assert_string_equal(a->name, "Suspicious login");
    assert_int_equal(a->shape, CORRAL_SHAPE_SENTINEL);
    assert_int_equal(a->plan, CORRAL_PLAN_SQL);
    assert_int_equal(a->severity, CORRAL_SEV_HIGH);
    assert_int_equal(a->status, CORRAL_STATUS_INPROGRESS);
    assert_int_equal(a->tactics, (1u << CORRAL_TAC_INITIALACCESS) | (1u << CORRAL_TAC_PERSISTENCE));
    assert_int_equal(a->stages, (1u << 1) | (1u << 2));
    assert_time(a->start, "2026-01-02T03:04:05.0000000Z");
    assert_time(a->end, "2026-01-02T03:04:06.0000000Z");
    assert_time(a->generated, "2026-01-02T03:04:07.0000000Z");
    assert_string_equal(a->scope, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_entity(a, "ip", "203.0.113.7");
    assert_entity(a, "ip", "198.51.100.7");
    assert_entity(a, "ip", "198.51.100.8");
    assert_false(has_entity(a, "ip", "10.0.0.1")); /* "Client application" names no IP */
    assert_entity(a, "domain", "evil.example");
    assert_entity(a, "resource",
                  "/subscriptions/" SUB2 "/resourcegroups/rg/providers/microsoft.sql/servers/sql1");
    assert_int_equal(a->n_entities, 5);
}

static void sentinel_without_string_columns(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'TenantId':'" SUB3 "','SystemAlertId':'s2','AlertName':'x','AlertType':'VM_X',"
              "'StartTime':'2026-01-02T03:04:05Z'}");
    assert_int_equal(one_alert(f)->shape, CORRAL_SHAPE_SENTINEL);
    /* A tenant alone does not make a Sentinel row. */
    decode(f, "{'TenantId':'" SUB3 "','SystemAlertId':'s3','AlertType':'VM_X'," START "}");
    assert_int_equal(one_alert(f)->shape, CORRAL_SHAPE_EXPORT);
    /* camelCase alertType at the top level is the az CLI form. */
    decode(f, "{'systemAlertId':'s4','alertType':'VM_X','startTimeUtc':'2026-01-02T03:04:05Z'}");
    assert_int_equal(one_alert(f)->shape, CORRAL_SHAPE_REST);
}

static void keys_in_any_case(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SYSTEMALERTID':'c1','aLeRtTyPe':'VM_X','STARTTIMEUTC':'2026-01-02T03:04:05Z',"
              "'SEVERITY':'high','sTaTuS':'DISMISSED','INTENT':'execution',"
              "'ENTITIES':[{'TYPE':'IP','ADDRESS':'203.0.113.1'},"
              "{'type':'HOST','HOSTNAME':'Web01','DNSDOMAIN':'Contoso.com'}],"
              "'RESOURCEIDENTIFIERS':[{'TYPE':'AZURERESOURCE','AZURERESOURCEID':'" VM1_MIXED "',"
              "'AZURERESOURCETENANTID':'" SUB3 "'}]}");
    const struct got_alert *a = one_alert(f);
    assert_string_equal(a->id, "c1");
    assert_string_equal(a->type, "VM_X");
    assert_int_equal(a->severity, CORRAL_SEV_HIGH);
    assert_int_equal(a->status, CORRAL_STATUS_DISMISSED);
    assert_int_equal(a->tactics, 1u << CORRAL_TAC_EXECUTION);
    assert_string_equal(a->scope, SUB3);
    assert_entity(a, "ip", "203.0.113.1");
    assert_entity(a, "vm", "web01.contoso.com");
    assert_entity(a, "vm", VM1);
    assert_entity(a, "resource", VM1);
    assert_int_equal(a->shape, CORRAL_SHAPE_EXPORT);
}

/* ---- tactics and times ---- */

static void tactics_forms(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'t1','AlertType':'VM_X'," START
              ",'Intent':'Execution, Persistence,Unknown'}");
    assert_int_equal(one_alert(f)->tactics,
                     (1u << CORRAL_TAC_EXECUTION) | (1u << CORRAL_TAC_PERSISTENCE));
    decode(f, "{'SystemAlertId':'t2','AlertType':'VM_X'," START
              ",'Tactics':['InitialAccess','Impact','Unknown']}");
    const struct got_alert *a = one_alert(f);
    assert_int_equal(a->tactics, (1u << CORRAL_TAC_INITIALACCESS) | (1u << CORRAL_TAC_IMPACT));
    assert_int_equal(a->stages, (1u << 1) | (1u << 12));
    decode(f, "{'SystemAlertId':'t3','AlertType':'VM_X'," START
              ",'Tactics':'[\\'Discovery\\', \\'Pre Attack\\']'}");
    a = one_alert(f);
    assert_int_equal(a->tactics, (1u << CORRAL_TAC_DISCOVERY) | (1u << CORRAL_TAC_PREATTACK));
    assert_int_equal(a->stages, (1u << 0) | (1u << 6));
    decode(f, "{'SystemAlertId':'t4','AlertType':'VM_X'," START
              ",'killChainIntent':'LateralMovement'}");
    assert_int_equal(one_alert(f)->stages, 1u << 7);
    /* Only "Unknown", or none at all: no tactic, no stage (the empty catalog has none). */
    decode(f, "{'SystemAlertId':'t5','AlertType':'VM_X'," START ",'Intent':'Unknown'}");
    assert_int_equal(one_alert(f)->tactics, 0);
    assert_int_equal(f->got->alerts[0].stages, 0);
}

static void catalog_tactics_when_none_recorded(void **state)
{
    struct fixture *f = *state;
    char path[] = "/tmp/corral-test-catalog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    assert_non_null(out);
    fputs("alert_type\tdisplay_name\tplan\tsignals\ttactics\n"
          "VM_Catalogued\tA catalogued alert\tServers\tcrypto_mining\tExecution,Impact\n",
          out);
    fclose(out);
    corral_catalog *cat = NULL;
    struct corral_diag diag;
    assert_int_equal(corral_catalog_load(path, &cat, &diag), CORRAL_OK);
    remove(path);
    corral_decoder *dec = corral_decoder_new(cat, NULL);
    assert_non_null(dec);
    corral_decoder *saved = f->dec;
    f->dec = dec;

    decode(f, "{'SystemAlertId':'k1','AlertType':'VM_Catalogued'," START "}");
    const struct got_alert *a = one_alert(f);
    assert_int_equal(a->tactics, (1u << CORRAL_TAC_EXECUTION) | (1u << CORRAL_TAC_IMPACT));
    assert_int_equal(a->stages, (1u << 8) | (1u << 12));
    assert_int_equal(a->signals, CORRAL_SIG_CRYPTO_MINING);
    /* The record's own tactics win over the catalog's. */
    decode(f, "{'SystemAlertId':'k2','AlertType':'VM_Catalogued'," START ",'Intent':'Probing'}");
    assert_int_equal(one_alert(f)->tactics, 1u << CORRAL_TAC_PROBING);

    f->dec = saved;
    corral_decoder_free(dec);
    corral_catalog_free(cat);
}

static void times_with_offsets(void **state)
{
    struct fixture *f = *state;
    decode(f,
           "{'SystemAlertId':'o1','AlertType':'VM_X','StartTimeUtc':'2026-03-01T02:30:00+05:30',"
           "'EndTimeUtc':'2026-03-01T00:00:00.123-01:00','TimeGenerated':'2026-03-01 10:00:00'}");
    const struct got_alert *a = one_alert(f);
    assert_time(a->start, "2026-02-28T21:00:00.0000000Z");
    assert_time(a->end, "2026-03-01T01:00:00.1230000Z");
    assert_time(a->generated, "2026-03-01T10:00:00.0000000Z");
    /* StartTimeUtc wins over StartTime. */
    decode(f, "{'SystemAlertId':'o2','AlertType':'VM_X','StartTime':'2020-01-01T00:00:00Z',"
              "'StartTimeUtc':'2021-01-01T00:00:00Z'}");
    assert_time(one_alert(f)->start, "2021-01-01T00:00:00.0000000Z");
}

/* ---- rejections ---- */

static void reject_missing_id(void **state)
{
    struct fixture *f = *state;
    decode_at(f, "{'AlertType':'VM_CoinMiner'," START "}", 5, 1);
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_MISSING);
    assert_contains(p->msg, "systemAlertId");
    assert_int_equal(p->line, 5);
    decode(f, "{'SystemAlertId':'  ','AlertType':'VM_CoinMiner'," START "}");
    assert_contains(one_rejection(f, CORRAL_ERR_MISSING)->msg, "missing systemAlertId");
    decode(f, "{'SystemAlertId':12,'AlertType':'VM_CoinMiner'," START "}");
    assert_contains(one_rejection(f, CORRAL_ERR_BAD_VALUE)->msg, "systemAlertId");
}

static void reject_start_time(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'m1','AlertType':'VM_X'}");
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_MISSING);
    assert_contains(p->msg, "m1");
    assert_contains(p->msg, "startTimeUtc");
    decode(f, "{'SystemAlertId':'m2','AlertType':'VM_X','StartTimeUtc':null}");
    one_rejection(f, CORRAL_ERR_MISSING);
    decode(f, "{'SystemAlertId':'m3','AlertType':'VM_X','StartTimeUtc':'2026-13-45T99:00:00Z'}");
    p = one_rejection(f, CORRAL_ERR_BAD_VALUE);
    assert_contains(p->msg, "\"2026-13-45T99:00:00Z\" is not a valid ISO 8601 time");
    assert_contains(p->msg, "StartTimeUtc");
    decode(f, "{'SystemAlertId':'m4','AlertType':'VM_X','StartTime':1700000000}");
    assert_contains(one_rejection(f, CORRAL_ERR_BAD_VALUE)->msg, "StartTime is not a string");
}

static void reject_ref_cycle(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'cy1','AlertType':'VM_X'," START ",'Entities':[{'$id':'1',"
              "'ProcessId':'12','Type':'process','ParentProcess':{'$ref':'1'}}]}");
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_REF);
    assert_contains(p->msg, "cycle of $ref \"1\"");
    assert_contains(p->msg, "cy1");
    /* Through two objects, the inner one nested in the outer. */
    decode(f, "{'SystemAlertId':'cy2','AlertType':'VM_X'," START ",'Entities':[{'$id':'1',"
              "'Type':'process','ParentProcess':{'$id':'2','Type':'process',"
              "'ParentProcess':{'$ref':'1'}}}]}");
    one_rejection(f, CORRAL_ERR_REF);
    /* Inside a Sentinel Entities column too. */
    decode(f, "{'TenantId':'t','SystemAlertId':'cy4','AlertName':'x','AlertType':'VM_X'," START
              ",'Entities':'[{\\'$id\\':\\'3\\',\\'Type\\':\\'account\\',"
              "\\'Host\\':{\\'$ref\\':\\'3\\'}}]'}");
    assert_contains(one_rejection(f, CORRAL_ERR_REF)->msg, "cycle of $ref \"3\"");
    /* Two entities sharing one host are not a cycle. */
    decode(f, "{'SystemAlertId':'cy3','AlertType':'VM_X'," START ",'Entities':["
              "{'$id':'1','HostName':'h1','Type':'host'},"
              "{'$id':'2','Type':'process','Host':{'$ref':'1'}},"
              "{'$id':'3','Type':'account','Name':'bob','NTDomain':'d','Host':{'$ref':'1'}},"
              "{'$ref':'2'},{'$ref':'1'}]}");
    const struct got_alert *a = one_alert(f);
    assert_entity(a, "vm", "h1");
    assert_entity(a, "user", "d\\bob");
}

static void reject_bad_json_in_string(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'j1','AlertName':'x','AlertType':'VM_X'," START
              ",'Entities':'[{\\'Type\\':\\'ip\\','}");
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_BAD_VALUE);
    assert_contains(p->msg, "Entities is a string but not valid JSON");
    assert_contains(p->msg, "j1");
    decode(f, "{'SystemAlertId':'j2','AlertType':'VM_X'," START ",'ExtendedProperties':'{oops}'}");
    assert_contains(one_rejection(f, CORRAL_ERR_BAD_VALUE)->msg, "ExtendedProperties");
    /* Empty columns are absent ones; ExtendedLinks and RemediationSteps are never parsed. */
    decode(f, "{'SystemAlertId':'j3','AlertType':'VM_X'," START ",'Entities':' ',"
              "'ExtendedProperties':'','ExtendedLinks':'[{','RemediationSteps':'1. do'}");
    const struct got_alert *a = one_alert(f);
    assert_int_equal(a->n_entities, 0);
    assert_int_equal(a->shape, CORRAL_SHAPE_SENTINEL);
}

static void reject_too_many_entities(void **state)
{
    struct fixture *f = *state;
    size_t cap = 64 + 10001 * 64;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t at = (size_t)snprintf(buf, cap,
                                 "{\"SystemAlertId\":\"big\",\"AlertType\":\"VM_X\","
                                 "\"StartTimeUtc\":\"2026-01-02T03:04:05Z\",\"Entities\":[");
    for (int i = 0; i < 10001; i++) {
        at += (size_t)snprintf(buf + at, cap - at, "%s{\"Type\":\"ip\",\"Address\":\"10.%d.%d.1\"}",
                               i > 0 ? "," : "", i / 256, i % 256);
    }
    at += (size_t)snprintf(buf + at, cap - at, "]}");
    decode_raw(f, buf, at);
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_TOO_LARGE);
    assert_contains(p->msg, "more than 10000 entities");
    /* 10000 is fine. */
    char *last = strstr(buf, ",{\"Type\":\"ip\",\"Address\":\"10.39.16.1\"}");
    assert_non_null(last);
    memcpy(last, "]}", 3);
    decode_raw(f, buf, strlen(buf));
    assert_int_equal(one_alert(f)->n_entities, 10000);
    free(buf);
}

static void reject_nesting(void **state)
{
    struct fixture *f = *state;
    struct corral_decoder_limits limits = {.max_record = 1u << 20, .max_depth = 16};
    corral_decoder *dec = corral_decoder_new(f->catalog, &limits);
    assert_non_null(dec);
    corral_decoder *saved = f->dec;
    f->dec = dec;

    /* JSON nested deeper than the limit: the whole record is refused. */
    char deep[256];
    snprintf(deep, sizeof deep,
             "{'SystemAlertId':'n1','AlertType':'VM_X'," START
             ",'Junk':[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}");
    decode(f, deep);
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_DEPTH);
    assert_true(strstr(p->msg, "deep") != NULL || strstr(p->msg, "nest") != NULL);
    assert_int_equal(p->line, 1);

    /* A chain of $ref longer than the limit (each entity refers to the next, defined after it). */
    char chain[8192];
    size_t at = (size_t)snprintf(chain, sizeof chain,
                                 "{'SystemAlertId':'n2','AlertType':'VM_X'," START ",'Entities':[");
    for (int i = 1; i <= 30; i++) {
        at += (size_t)snprintf(chain + at, sizeof chain - at,
                               "%s{'$id':'%d','Type':'process','ParentProcess':{'$ref':'%d'}}",
                               i > 1 ? "," : "", i, i + 1);
    }
    snprintf(chain + at, sizeof chain - at, ",{'$id':'31','Type':'process'}]}");
    decode(f, chain);
    p = one_rejection(f, CORRAL_ERR_DEPTH);
    assert_contains(p->msg, "$ref");
    assert_contains(p->msg, "n2");

    f->dec = saved;
    corral_decoder_free(dec);
}

/* ---- warnings ---- */

static void warning_dangling_ref(void **state)
{
    struct fixture *f = *state;
    decode_at(f,
              "{'SystemAlertId':'good-5','AlertType':'VM_X'," START ",'Entities':[{'$id':'1',"
              "'Address':'198.51.100.4','Type':'ip'},{'$ref':'99'},"
              "{'Type':'process','ProcessId':'1','Host':{'$ref':'99'}},"
              "{'Type':'K8s-cluster','CloudResource':{'$ref':'77'}}]}",
              10, 1);
    assert_int_equal(f->got->n_alerts, 1);
    assert_int_equal(f->got->n_problems, 1);
    const struct got_problem *p = &f->got->problems[0];
    assert_int_equal(p->rejected, 0);
    assert_int_equal(p->code, CORRAL_ERR_REF);
    assert_int_equal(p->line, 10);
    assert_contains(p->msg, "\"99\"");
    assert_contains(p->msg, "\"77\"");
    assert_contains(p->msg, "good-5");
    assert_contains(p->msg, "3 references treated as absent");
    const struct got_alert *a = &f->got->alerts[0];
    assert_int_equal(a->n_entities, 1);
    assert_entity(a, "ip", "198.51.100.4");
}

static void warning_duplicate_ids_once(void **state)
{
    struct fixture *f = *state;
    /*
     * $ref "1" takes the nearest definition before it; "9" has none before,
     * so it takes the first after. Two names are defined twice: one warning.
     */
    decode(f, "{'SystemAlertId':'d1','AlertType':'VM_X'," START ",'Entities':["
              "{'$id':'1','Type':'host','HostName':'first'},"
              "{'$id':'2','Type':'process','ProcessId':'1',"
              "'CreationTimeUtc':'2026-01-01T00:00:00Z','Host':{'$ref':'1'}},"
              "{'$id':'1','Type':'host','HostName':'second'},"
              "{'$id':'2','Type':'process','ProcessId':'2',"
              "'CreationTimeUtc':'2026-01-01T00:00:00Z','Host':{'$ref':'1'}},"
              "{'$id':'3','Type':'process','ProcessId':'3',"
              "'CreationTimeUtc':'2026-01-01T00:00:00Z','Host':{'$ref':'9'}},"
              "{'$id':'9','Type':'host','HostName':'later'}]}");
    assert_int_equal(f->got->n_alerts, 1);
    assert_int_equal(f->got->n_problems, 1);
    const struct got_problem *p = &f->got->problems[0];
    assert_int_equal(p->rejected, 0);
    assert_contains(p->msg, "duplicate $id");
    assert_contains(p->msg, "nearest definition");
    assert_contains(p->msg, "d1");
    const struct got_alert *a = &f->got->alerts[0];
    assert_entity(a, "process", "first|1|2026-01-01T00:00:00.0000000Z");
    assert_entity(a, "process", "second|2|2026-01-01T00:00:00.0000000Z");
    assert_entity(a, "process", "later|3|2026-01-01T00:00:00.0000000Z");
}

static void warning_bad_optional_times(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'w1','AlertType':'VM_X'," START ",'EndTimeUtc':'yesterday',"
              "'TimeGenerated':42}");
    assert_int_equal(f->got->n_alerts, 1);
    assert_int_equal(f->got->n_problems, 2);
    assert_int_equal(f->got->problems[0].rejected, 0);
    assert_contains(f->got->problems[0].msg, "EndTimeUtc \"yesterday\" is not an ISO 8601 time");
    assert_contains(f->got->problems[1].msg, "TimeGenerated is not a string");
    assert_int_equal(f->got->alerts[0].end, CORRAL_TIME_NONE);
    assert_int_equal(f->got->alerts[0].generated, CORRAL_TIME_NONE);
    /* null is simply absent. */
    decode(f, "{'SystemAlertId':'w2','AlertType':'VM_X'," START ",'EndTimeUtc':null}");
    assert_int_equal(one_alert(f)->end, CORRAL_TIME_NONE);
}

/* ---- records ---- */

static void multi_alert_record(void **state)
{
    struct fixture *f = *state;
    decode_at(f,
              "{'value':[{'id':'x','properties':{'systemAlertId':'r1','alertType':'VM_X',"
              "'startTimeUtc':'2026-01-01T00:00:00Z'}},"
              "{'id':'y','properties':{'systemAlertId':'r2','alertType':'VM_X'}},"
              "{'type':'Microsoft.Security/assessments','properties':{}},"
              "{'id':'z','properties':{'systemAlertId':'r3','alertType':'VM_X',"
              "'startTimeUtc':'2026-01-01T00:00:00Z'}}],'nextLink':null}",
              3, 1);
    assert_int_equal(f->got->n_alerts, 2);
    assert_string_equal(f->got->alerts[0].id, "r1");
    assert_string_equal(f->got->alerts[1].id, "r3");
    assert_int_equal(f->got->alerts[0].line, 3);
    assert_int_equal(f->got->alerts[1].line, 3);
    const struct got_problem *p = &f->got->problems[0];
    assert_int_equal(f->got->n_problems, 1);
    assert_int_equal(p->rejected, 1);
    assert_int_equal(p->line, 3);
    assert_contains(p->msg, "alert #2 (r2): missing startTimeUtc");
    assert_int_equal(f->got->n_skipped, 1);
    assert_string_equal(f->got->skipped[0], "Microsoft.Security/assessments");

    /* A bare array, a Swagger example wrapping a list, and nested arrays. */
    decode(f,
           "[{'SystemAlertId':'a1','AlertType':'VM_X'," START "},"
           "{'SystemAlertId':'a2'},"
           "{'SystemAlertId':'a3','AlertType':'VM_X'," START "},"
           "[{'AlertType':'VM_X'," START "},{'SystemAlertId':'a5','AlertType':'VM_X'," START "}]]");
    assert_int_equal(f->got->n_alerts, 3);
    assert_string_equal(f->got->alerts[2].id, "a5");
    assert_int_equal(f->got->n_problems, 2);
    assert_contains(f->got->problems[0].msg, "alert #2 (a2): missing startTimeUtc");
    assert_contains(f->got->problems[1].msg, "alert #5: missing systemAlertId");
    decode(f, "{'parameters':{},'responses':{'200':{'body':{'value':["
              "{'properties':{'systemAlertId':'sw1','alertType':'VM_X','startTimeUtc':"
              "'2026-01-01T00:00:00Z'}}]}}}}");
    assert_string_equal(one_alert(f)->id, "sw1");
}

static void skipped_records(void **state)
{
    struct fixture *f = *state;
    decode(f,
           "{'id':'/subscriptions/x/providers/Microsoft.Security/assessments/1',"
           "'type':'Microsoft.Security/assessments','properties':{'status':{'code':'Healthy'}}}");
    assert_int_equal(f->got->n_skipped, 1);
    assert_string_equal(f->got->skipped[0], "Microsoft.Security/assessments");
    assert_int_equal(f->got->n_problems, 0);
    decode(f, "{'$type':'subAssessmentEvent','Id':'x'}");
    assert_string_equal(f->got->skipped[0], "subAssessmentEvent");
    decode(f, "{'foo':1}");
    assert_string_equal(f->got->skipped[0], "unknown");
    decode(f, "42");
    assert_string_equal(f->got->skipped[0], "unknown");
    /* A JSON Schema of alerts names SystemAlertId and AlertType, but as schemas. */
    decode(f, "{'$schema':'http://json-schema.org/draft-07/schema#','type':'object',"
              "'properties':{'SystemAlertId':{'type':'string'},'AlertType':{'type':'string'}}}");
    assert_int_equal(f->got->n_alerts, 0);
    assert_int_equal(f->got->n_problems, 0);
    assert_int_equal(f->got->n_skipped, 1);
    assert_string_equal(f->got->skipped[0], "json-schema");
    /* A Swagger example whose body is an incident, not an alert. */
    decode(f, "{'parameters':{},'responses':{'200':{'body':{'id':'i','type':"
              "'Microsoft.SecurityInsights/incidents','properties':{'title':'t'}}}}}");
    assert_int_equal(f->got->n_skipped, 1);
    assert_string_equal(f->got->skipped[0], "Microsoft.SecurityInsights/incidents");
}

static void json_errors_placed(void **state)
{
    struct fixture *f = *state;
    /* On the record's first line the column adds to the record's own column. */
    size_t line = 0, col = 0;
    const char *reason = NULL;
    const char *text = q(f, "{'a': 1,}");
    assert_int_equal(corral_json_locate_error(text, strlen(text), 64, &line, &col, &reason),
                     CORRAL_ERR_JSON);
    assert_int_equal(line, 1);
    decode_at(f, "{'a': 1,}", 7, 5);
    const struct got_problem *p = one_rejection(f, CORRAL_ERR_JSON);
    assert_int_equal(p->line, 7);
    assert_int_equal(p->col, 5 + col - 1);
    assert_contains(p->msg, "invalid JSON: ");
    assert_contains(p->msg, reason);
    /* On later lines it is the line's own. */
    text = q(f, "{\n  'a': tru\n}");
    assert_int_equal(corral_json_locate_error(text, strlen(text), 64, &line, &col, &reason),
                     CORRAL_ERR_JSON);
    assert_int_equal(line, 2);
    decode_at(f, "{\n  'a': tru\n}", 7, 5);
    p = one_rejection(f, CORRAL_ERR_JSON);
    assert_int_equal(p->line, 8);
    assert_int_equal(p->col, col);
    const char bad[] = "{\"SystemAlertId\":\"x\",\"AlertType\":\"VM_\xff\xfe\"}";
    decode_raw(f, bad, sizeof bad - 1);
    p = one_rejection(f, CORRAL_ERR_UTF8);
    assert_contains(p->msg, "UTF-8");
    assert_int_equal(p->line, 1);
}

/* ---- scope ---- */

static void scope_chain(void **state)
{
    struct fixture *f = *state;
    static const char *const envelope = "'id':'/subscriptions/99999999-9999-9999-9999-999999999999"
                                        "/providers/Microsoft.Security/alerts/x'";
    char rec[2048];
#define ALERT(members)                                                                             \
    snprintf(rec, sizeof rec,                                                                      \
             "{%s,'properties':{'systemAlertId':'sc','alertType':'VM_X',"                          \
             "'startTimeUtc':'2026-01-01T00:00:00Z'%s}}",                                          \
             envelope, members)
    static const char idents[] =
        ",'resourceIdentifiers':[{'type':'AzureResource','azureResourceId':'/subscriptions/"
        "44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/Microsoft.Web/sites/w',"
        "'AzureResourceTenantId':'55555555-5555-5555-5555-555555555555'},"
        "{'type':'AAD','AadTenantId':'66666666-6666-6666-6666-666666666666'},"
        "{'type':'LogAnalytics','workspaceSubscriptionId':'77777777-7777-7777-7777-777777777777'}]";
    char members[1024];

    /* 1. the record's own tenant */
    snprintf(members, sizeof members,
             ",'tenantId':'ABCDEF00-0000-0000-0000-000000000000',"
             "'azureResourceId':'" VM1 "'%s",
             idents);
    ALERT(members);
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, "abcdef00-0000-0000-0000-000000000000");
    /* 2. the AzureResource identifier's tenant */
    snprintf(members, sizeof members, ",'azureResourceId':'" VM1 "'%s", idents);
    ALERT(members);
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, "55555555-5555-5555-5555-555555555555");
    /* 3. the AAD identifier's tenant */
    ALERT(",'resourceIdentifiers':[{'type':'AAD','AadTenantId':'66666666-6666-6666-6666-"
          "666666666666'},{'type':'AzureResource','azureResourceId':'/subscriptions/" SUB2
          "/resourceGroups/rg/providers/Microsoft.Web/sites/w'}],'azureResourceId':'" VM1 "'");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, "66666666-6666-6666-6666-666666666666");
    /* 4. AzureResourceId's subscription, before the identifiers' */
    ALERT(",'resourceIdentifiers':[{'type':'AzureResource','azureResourceId':'/subscriptions/" SUB2
          "/resourceGroups/rg/providers/Microsoft.Web/sites/w'}],'AzureResourceId':'" VM1_MIXED
          "','workspaceSubscriptionId':'" SUB3 "'");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, SUB1);
    /* 5. the identifiers' azureResourceId, before workspace subscriptions */
    ALERT(",'resourceIdentifiers':[{'type':'LogAnalytics','workspaceSubscriptionId':'" SUB3 "'},"
          "{'type':'AzureResource','azureResourceId':'/SUBSCRIPTIONS/" SUB2
          "/resourceGroups/rg/providers/Microsoft.Web/sites/w'}]");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, SUB2);
    /* 6. the workspace subscription (an identifier's, the top-level one, LogAnalytics') */
    ALERT(",'resourceIdentifiers':[{'type':'LogAnalytics','workspaceSubscriptionId':'" SUB3 "'}],"
          "'ResourceId':'/subscriptions/" SUB2
          "/resourceGroups/rg/providers/Microsoft.Web/sites/w'");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, SUB3);
    ALERT(",'WorkspaceSubscriptionId':'" SUB3 "'");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, SUB3);
    ALERT(",'resourceIdentifiers':[{'type':'LogAnalytics','workspaceId':'w','subscriptionId':'" SUB3
          "'}]");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, SUB3);
    /* 7. Sentinel's ResourceId */
    ALERT(",'ResourceId':'/subscriptions/" SUB2 "/resourceGroups/rg/providers/Microsoft.Web/"
          "sites/w'");
    decode(f, rec);
    assert_string_equal(one_alert(f)->scope, SUB2);
    /* 8. last, the envelope's own id; an account's AadTenantId never decides */
    ALERT(",'entities':[{'type':'account','aadTenantId':'" SUB1 "','aadUserId':'u1',"
          "'name':'n'}]");
    decode(f, rec);
    const struct got_alert *a = one_alert(f);
    assert_string_equal(a->scope, "99999999-9999-9999-9999-999999999999");
    assert_entity(a, "service_principal", "u1");
    assert_int_equal(a->n_entities, 1); /* the envelope's id is not a resource */
    /* 9. nothing: the empty scope */
    decode(f, "{'SystemAlertId':'e','AlertType':'VM_X'," START ",'Entities':[{'Type':'account',"
              "'AadTenantId':'" SUB1 "','AadUserId':'u1','Name':'n'}]}");
    assert_string_equal(one_alert(f)->scope, "");
#undef ALERT
}

static void references_in_resource_identifiers(void **state)
{
    struct fixture *f = *state;
    /* Json.NET may write an identifier once and refer to it again. */
    decode(f, "{'$id':'1','SystemAlertId':'ri','AlertType':'VM_X'," START
              ",'ResourceIdentifiers':[{'$id':'2','AzureResourceId':'" VM1_MIXED "',"
              "'Type':'AzureResource'},{'$ref':'2'},{'$ref':'3'}],"
              "'Extra':{'$id':'3','Type':'AAD','AadTenantId':'" SUB3 "'}}");
    const struct got_alert *a = one_alert(f);
    assert_string_equal(a->scope, SUB3);
    assert_entity(a, "vm", VM1);
    assert_int_equal(a->n_entities, 2);
}

static void envelope_id_never_a_resource(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'id':'/subscriptions/" SUB1 "/resourceGroups/rg/providers/Microsoft.Compute/"
              "virtualMachines/vm9','name':'n','type':'Microsoft.Security/Locations/alerts',"
              "'properties':{'systemAlertId':'env','alertType':'VM_X',"
              "'startTimeUtc':'2026-01-01T00:00:00Z'}}");
    const struct got_alert *a = one_alert(f);
    assert_int_equal(a->n_entities, 0);
    assert_string_equal(a->scope, SUB1);
    decode(f, "{'id':'/subscriptions/" SUB1 "/resourceGroups/rg/providers/Microsoft.Compute/"
              "virtualMachines/vm9','systemAlertId':'env2','alertType':'VM_X',"
              "'startTimeUtc':'2026-01-01T00:00:00Z'}");
    assert_int_equal(one_alert(f)->n_entities, 0);
}

/* ---- entities ---- */

static void entity_types(void **state)
{
    struct fixture *f = *state;
    decode(f,
           "{'SystemAlertId':'en','AlertType':'K8S_X'," START ",'Entities':["
           "{'Type':'account','AadUserId':'AAAA0000-0000-0000-0000-00000000000A','Name':'app',"
           "'UPNSuffix':'contoso.com','ObjectType':'Service Principal'},"
           "{'Type':'account','Name':'Carol','UPNSuffix':'Contoso.com'},"
           "{'Type':'K8s-cluster','Name':'MyCluster'},"
           "{'Type':'K8s-cluster','CloudResource':{'Type':'azure-resource','ResourceId':"
           "'/subscriptions/" SUB1 "/resourceGroups/rg/providers/Microsoft.ContainerService/"
           "managedClusters/AKS1'}},"
           "{'Type':'blob-container','Name':'c','StorageResource':'/subscriptions/" SUB1
           "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/SA1'},"
           "{'Type':'dns','DomainName':'Evil.Example.','IpAdresses':[{'Type':'ip',"
           "'Address':'192.0.2.44'}],'DnsServerIp':{'Type':'ip','Address':'192.0.2.53'}},"
           "{'Type':'file','Name':'x.exe','FileHashes':[{'Type':'filehash','Algorithm':'SHA256',"
           "'Value':'ABCDEF'}]},"
           "{'Type':'url','Url':'https://Example.com/Path'},"
           "{'Type':'network-connection','SourceAddress':{'Type':'ip','Address':'198.51.100.1'},"
           "'DestinationAddress':{'Type':'ip','Address':'127.0.0.1'}},"
           "{'Type':'malware','Name':'m','Files':[{'Type':'file','FileHashes':[{'Type':'filehash',"
           "'Algorithm':'MD5','Value':'00ff'}]}]},"
           "{'Type':'registry-key','Key':'HKLM'}]}");
    const struct got_alert *a = one_alert(f);
    assert_entity(a, "service_principal", "aaaa0000-0000-0000-0000-00000000000a");
    assert_entity(a, "user", "carol@contoso.com");
    assert_entity(a, "cluster", "mycluster");
    assert_entity(a, "cluster",
                  "/subscriptions/" SUB1 "/resourcegroups/rg/providers/microsoft.containerservice/"
                  "managedclusters/aks1");
    assert_entity(a, "resource",
                  "/subscriptions/" SUB1 "/resourcegroups/rg/providers/microsoft.containerservice/"
                  "managedclusters/aks1");
    assert_entity(a, "resource",
                  "/subscriptions/" SUB1 "/resourcegroups/rg/providers/microsoft.storage/"
                  "storageaccounts/sa1");
    assert_entity(a, "domain", "evil.example");
    assert_entity(a, "ip", "192.0.2.44");
    assert_entity(a, "ip", "192.0.2.53");
    assert_entity(a, "ip", "198.51.100.1");
    assert_entity(a, "filehash", "sha256:abcdef");
    assert_entity(a, "filehash", "md5:00ff");
    assert_entity(a, "url", "https://Example.com/Path");
    assert_int_equal(a->n_entities, 13);
    assert_true(a->signals & CORRAL_SIG_ACCOUNT);
    assert_int_equal(a->plan, CORRAL_PLAN_CONTAINERS);
}

static void process_keys(void **state)
{
    struct fixture *f = *state;
    /* No host of its own: the alert's single vm; a JSON number pid; a '/' directory. */
    decode(f, "{'SystemAlertId':'p1','AlertType':'VM_X'," START ",'AzureResourceId':'" VM1_MIXED
              "','Entities':[{'Type':'process','ProcessId':4242,"
              "'CreationTimeUtc':'2026-01-01T00:00:00+01:00','CommandLine':'/usr/bin/Curl x',"
              "'ImageFile':{'Type':'file','Directory':'/usr/bin','Name':'curl'}},"
              "{'Type':'process','ProcessId':'0x10','CreationTimeUtc':'2026-01-01T00:00:00Z',"
              "'ImageFile':{'Type':'file','Name':'a.exe'}}]}");
    const struct got_alert *a = one_alert(f);
    assert_entity(a, "process", VM1 "|4242|2025-12-31T23:00:00.0000000Z");
    assert_entity(a, "process_image", "/usr/bin/curl|/usr/bin/curl x");
    assert_entity(a, "process", VM1 "|16|2026-01-01T00:00:00.0000000Z");
    assert_entity(a, "process_image", "a.exe|");
    /* Two vms and no host of its own: no S1 key. */
    decode(f, "{'SystemAlertId':'p2','AlertType':'VM_X'," START ",'AzureResourceId':'" VM1_MIXED
              "','Entities':[{'Type':'host','HostName':'other'},{'Type':'process','ProcessId':'7',"
              "'CreationTimeUtc':'2026-01-01T00:00:00Z'}]}");
    a = one_alert(f);
    assert_int_equal(a->n_entities, 3);
    assert_entity(a, "vm", "other");
}

static void extended_properties_ips(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'x1','AlertType':'VM_X'," START ",'ExtendedProperties':{"
              "'Attacker IP':'203.0.113.5; 203.0.113.6 2001:DB8::1','client IP location':"
              "'203.0.113.99','Compromised Host':'203.0.113.77','Source IPs':'[\\'203.0.113.8\\']',"
              "'Client IP address':'not an ip, 127.0.0.1'}}");
    const struct got_alert *a = one_alert(f);
    assert_entity(a, "ip", "203.0.113.5");
    assert_entity(a, "ip", "203.0.113.6");
    assert_entity(a, "ip", "2001:db8::1");
    assert_entity(a, "ip", "203.0.113.8");
    assert_int_equal(a->n_entities, 4);
    /* Keys are judged by their exact spelling, alert after alert: an all-lower-case
     * compound is not split into words, a camelCase one is. */
    for (int round = 0; round < 2; round++) {
        decode(f, "{'SystemAlertId':'x2','AlertType':'VM_X'," START
                  ",'ExtendedProperties':{'sourceip':'203.0.113.1'}}");
        assert_int_equal(one_alert(f)->n_entities, 0);
        decode(f, "{'SystemAlertId':'x3','AlertType':'VM_X'," START
                  ",'ExtendedProperties':{'SourceIP':'203.0.113.2'}}");
        assert_entity(one_alert(f), "ip", "203.0.113.2");
    }
    /* The word "IP" (any case) anywhere in keys of every length up to 40 bytes. */
    static const char *const spellings[] = {"IP", "ip", "Ip"}; /* "iP" is two words: i, P */
    for (int before = 0; before < 16; before++) {
        for (int after = 0; after < 12; after++) {
            char key[64];
            char record[256];
            size_t n = 0;
            for (int i = 0; i < before; i++) { /* "aaa " then the word: at every position */
                key[n++] = 'a';
            }
            if (before > 0) {
                key[n++] = ' ';
            }
            memcpy(key + n, spellings[(before + after) % 3], 2);
            n += 2;
            for (int i = 0; i < after; i++) {
                key[n++] = i % 2 == 0 ? ' ' : 'b';
            }
            key[n] = '\0';
            snprintf(record, sizeof record,
                     "{'SystemAlertId':'x4','AlertType':'VM_X'," START
                     ",'ExtendedProperties':{'%s':'198.51.100.%d','zip%s':'198.51.100.1'}}",
                     key, before * 12 + after + 2, key + (before > 0 ? 1 : 0));
            decode(f, record);
            a = one_alert(f);
            char want[32];
            snprintf(want, sizeof want, "198.51.100.%d", before * 12 + after + 2);
            assert_entity(a, "ip", want);
        }
    }
}

/*
 * The decoder remembers the classification of types the catalog does not
 * know, and the tactics of intent strings; remembering must never change an
 * answer. The same alerts decoded in another order, with other alerts in
 * between, and with far more distinct texts than the memos hold, must come
 * out as a fresh decoder decodes them one by one.
 */
static void memos_change_nothing(void **state)
{
    struct fixture *f = *state;
    static const char *const types[] = {"Foo_TorThing", "VM_NewMinerV2", "KV_Unseen", "", "X"};
    static const char *const names[] = {"Access from a Tor exit node", "Digital currency mining",
                                        "Brute force attack", "", "Possible exploitation"};
    static const char *const components[] = {"", "Storage", "KeyVaults", "vm"};
    static const char *const intents[] = {"Execution", "PreAttack, Impact",
                                          "[\\'Discovery\\', \\'Pre Attack\\']", "Unknown",
                                          "Probing"};
    struct expected {
        enum corral_plan plan;
        uint32_t signals, tactics;
    } want[5][5][4];
    char record[1024];
    /* What a fresh decoder says about each combination, decoded alone. */
    for (int t = 0; t < 5; t++) {
        for (int n = 0; n < 5; n++) {
            for (int c = 0; c < 4; c++) {
                corral_decoder *fresh = corral_decoder_new(f->catalog, NULL);
                assert_non_null(fresh);
                corral_decoder *saved = f->dec;
                f->dec = fresh;
                snprintf(record, sizeof record,
                         "{'SystemAlertId':'m','AlertType':'%s','AlertDisplayName':'%s',"
                         "'ProductComponentName':'%s','Intent':'%s'," START "}",
                         types[t], names[n], components[c], intents[(t + n + c) % 5]);
                decode(f, record);
                const struct got_alert *a = one_alert(f);
                want[t][n][c] = (struct expected){a->plan, a->signals, a->tactics};
                f->dec = saved;
                corral_decoder_free(fresh);
            }
        }
    }
    /* One decoder, every combination many times in a scrambled order, with noise between. */
    uint64_t seed = 5;
    for (int i = 0; i < 3000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        const int t = (int)((seed >> 33) % 5);
        const int n = (int)((seed >> 40) % 5);
        const int c = (int)((seed >> 50) % 4);
        if (i % 3 == 0) { /* a distinct unknown type and intent: the memos fill and collide */
            snprintf(record, sizeof record,
                     "{'SystemAlertId':'n','AlertType':'Noise_%d','AlertDisplayName':'Tor %d',"
                     "'Intent':'Exfiltration,%d'," START "}",
                     i, i, i);
            decode(f, record);
            assert_int_equal(one_alert(f)->signals, CORRAL_SIG_GEO);
        }
        snprintf(record, sizeof record,
                 "{'SystemAlertId':'m','AlertType':'%s','AlertDisplayName':'%s',"
                 "'ProductComponentName':'%s','Intent':'%s'," START "}",
                 types[t], names[n], components[c], intents[(t + n + c) % 5]);
        decode(f, record);
        const struct got_alert *a = one_alert(f);
        if (a->plan != want[t][n][c].plan || a->signals != want[t][n][c].signals ||
            a->tactics != want[t][n][c].tactics) {
            fail_msg("%s / %s / %s: plan %d signals %#x tactics %#x, alone %d %#x %#x", types[t],
                     names[n], components[c], a->plan, a->signals, a->tactics, want[t][n][c].plan,
                     want[t][n][c].signals, want[t][n][c].tactics);
        }
    }
}

/* Severities and statuses in their usual spelling and in any other. */
static void severity_and_status_spellings(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *text;
        enum corral_severity sev;
    } sevs[] = {
        {"High", CORRAL_SEV_HIGH},
        {"high", CORRAL_SEV_HIGH},
        {" HIGH ", CORRAL_SEV_HIGH},
        {"Medium", CORRAL_SEV_MEDIUM},
        {"Low", CORRAL_SEV_LOW},
        {"Informational", CORRAL_SEV_INFORMATIONAL},
        {"informational", CORRAL_SEV_INFORMATIONAL},
        {"Critical", CORRAL_SEV_UNKNOWN},
        {"Hig", CORRAL_SEV_UNKNOWN},
        {"", CORRAL_SEV_UNKNOWN},
    };
    static const struct {
        const char *text;
        enum corral_status status;
    } statuses[] = {
        {"Active", CORRAL_STATUS_ACTIVE},
        {"New", CORRAL_STATUS_ACTIVE},
        {"new", CORRAL_STATUS_ACTIVE},
        {"InProgress", CORRAL_STATUS_INPROGRESS},
        {"In Progress", CORRAL_STATUS_INPROGRESS},
        {"Resolved", CORRAL_STATUS_RESOLVED},
        {"RESOLVED", CORRAL_STATUS_RESOLVED},
        {"Dismissed", CORRAL_STATUS_DISMISSED},
        {"Closed", CORRAL_STATUS_ACTIVE},
        {"", CORRAL_STATUS_ACTIVE},
    };
    char record[512];
    for (size_t i = 0; i < sizeof sevs / sizeof *sevs; i++) {
        for (size_t j = 0; j < sizeof statuses / sizeof *statuses; j++) {
            snprintf(record, sizeof record,
                     "{'SystemAlertId':'s','AlertType':'VM_X','Severity':'%s','Status':'%s'," START
                     "}",
                     sevs[i].text, statuses[j].text);
            decode(f, record);
            const struct got_alert *a = one_alert(f);
            assert_int_equal(a->severity, sevs[i].sev);
            assert_int_equal(a->status, statuses[j].status);
        }
    }
}

/* One resource written in several cases (and as a host's AzureID) is one set of entities. */
static void resource_in_several_cases(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'SystemAlertId':'rc','AlertType':'VM_X'," START ",'AzureResourceId':'" VM1_MIXED
              "','ResourceId':'" VM1 "','Entities':[{'Type':'host','HostName':'h',"
              "'AzureID':'" VM1_MIXED "/'},{'Type':'azure-resource','ResourceId':'" VM1
              "'},{'Type':'azure-resource','ResourceId':'  " VM1_MIXED "  '}]}");
    const struct got_alert *a = one_alert(f);
    assert_entity(a, "resource", VM1);
    assert_entity(a, "vm", VM1);
    assert_int_equal(a->n_entities, 2);
    /* Ids that only look alike stay apart. */
    decode(f, "{'SystemAlertId':'rd','AlertType':'VM_X'," START ",'AzureResourceId':'" VM1
              "','ResourceId':'" VM1 "2','Entities':[{'Type':'azure-resource',"
              "'ResourceId':'" VM1 "/extensions/e'}]}");
    a = one_alert(f);
    assert_entity(a, "resource", VM1);
    assert_entity(a, "resource", VM1 "2");
    assert_int_equal(a->n_entities, 4);
}

/* In a list, each alert resolves its $refs among its own $ids, wherever they are. */
static void references_per_alert_in_a_list(void **state)
{
    struct fixture *f = *state;
    decode(f, "{'value':["
              "{'properties':{'systemAlertId':'l1','alertType':'VM_X','startTimeUtc':"
              "'2026-01-01T00:00:00Z','entities':[{'$id':'1','Type':'host','HostName':'a'},"
              "{'$id':'2','Type':'process','ProcessId':'1','CreationTimeUtc':"
              "'2026-01-01T00:00:00Z','Host':{'$ref':'1'}}]}},"
              "{'properties':{'systemAlertId':'l2','alertType':'VM_X','startTimeUtc':"
              "'2026-01-01T00:00:00Z','entities':[{'$id':'2','Type':'process','ProcessId':'2',"
              "'CreationTimeUtc':'2026-01-01T00:00:00Z','Host':{'$ref':'1'}},"
              "{'$id':'1','Type':'host','HostName':'b'}]}},"
              "{'properties':{'systemAlertId':'l3','alertType':'VM_X','startTimeUtc':"
              "'2026-01-01T00:00:00Z','entities':[{'Type':'process','ProcessId':'3',"
              "'CreationTimeUtc':'2026-01-01T00:00:00Z','Host':{'$ref':'1'}}]}}]}");
    assert_int_equal(f->got->n_alerts, 3);
    assert_entity(&f->got->alerts[0], "process", "a|1|2026-01-01T00:00:00.0000000Z");
    assert_entity(&f->got->alerts[1], "process", "b|2|2026-01-01T00:00:00.0000000Z");
    assert_int_equal(f->got->alerts[2].n_entities, 0);
    /* The third alert's $ref names nothing of its own: a warning, not another alert's host. */
    assert_int_equal(f->got->n_problems, 1);
    assert_contains(f->got->problems[0].msg, "l3");
    assert_contains(f->got->problems[0].msg, "$ref \"1\"");
}

static void reused_decoder_after_bad_record(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 3; i++) {
        decode(f, "{'SystemAlertId':'bad'");
        one_rejection(f, CORRAL_ERR_JSON);
        decode(f, "{'SystemAlertId':'ok','AlertType':'VM_X'," START ",'Entities':[{'Type':'ip',"
                  "'Address':'203.0.113.1'}]}");
        assert_string_equal(one_alert(f)->id, "ok");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rest_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(az_cli_flat, setup, teardown),
        cmocka_unit_test_setup_teardown(export_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(sentinel_row, setup, teardown),
        cmocka_unit_test_setup_teardown(sentinel_without_string_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(keys_in_any_case, setup, teardown),
        cmocka_unit_test_setup_teardown(tactics_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(catalog_tactics_when_none_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(times_with_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_missing_id, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_start_time, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_ref_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_bad_json_in_string, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_too_many_entities, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(warning_dangling_ref, setup, teardown),
        cmocka_unit_test_setup_teardown(warning_duplicate_ids_once, setup, teardown),
        cmocka_unit_test_setup_teardown(warning_bad_optional_times, setup, teardown),
        cmocka_unit_test_setup_teardown(multi_alert_record, setup, teardown),
        cmocka_unit_test_setup_teardown(skipped_records, setup, teardown),
        cmocka_unit_test_setup_teardown(json_errors_placed, setup, teardown),
        cmocka_unit_test_setup_teardown(scope_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(references_in_resource_identifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(envelope_id_never_a_resource, setup, teardown),
        cmocka_unit_test_setup_teardown(entity_types, setup, teardown),
        cmocka_unit_test_setup_teardown(process_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(extended_properties_ips, setup, teardown),
        cmocka_unit_test_setup_teardown(reused_decoder_after_bad_record, setup, teardown),
        cmocka_unit_test_setup_teardown(memos_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(severity_and_status_spellings, setup, teardown),
        cmocka_unit_test_setup_teardown(resource_in_several_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(references_per_alert_in_a_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
