/*
 * test_samples.c - Microsoft's public samples, end to end through the pipeline.
 *
 * Every file of tests/data/samples/ is read with corral_ingest_path() and the
 * decoder, with the shipped catalog (data/alert-types.tsv), and what comes out
 * is checked field by field: the REST list inside a Swagger example, the
 * continuous-export stream with its non-alert records and its $id/$ref quirks,
 * the Sentinel alert list and incident, and the JSON Schemas (skipped, never
 * rejected). A sample added to the folder without expectations here fails the
 * test, so that nobody forgets to say what it must decode to.
 */
#include <dirent.h>
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
#include "ingest/pipeline.h"
#include "util/time.h"

#include "got_alerts.h"

struct fixture {
    char root[1024];
    corral_catalog *catalog;
    corral_decoder *dec;
    struct got *got;
};

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = NULL;
    const char *root = getenv("CORRAL_SOURCE_ROOT");
    copy(f->root, sizeof f->root, root != NULL && root[0] != '\0' ? root : ".");
    char path[1200];
    snprintf(path, sizeof path, "%s/data/alert-types.tsv", f->root);
    struct corral_diag diag;
    memset(&diag, 0, sizeof diag);
    corral_err err = corral_catalog_load(path, &f->catalog, &diag);
    if (err != CORRAL_OK) {
        print_error("%s:%zu: %s (is CORRAL_SOURCE_ROOT the repository?)\n", path, diag.line,
                    diag.msg);
        free(f);
        return -1;
    }
    struct corral_decoder_limits limits = {.max_record = 16u << 20, .max_depth = 64};
    f->dec = corral_decoder_new(f->catalog, &limits);
    assert_non_null(f->dec);
    f->got = calloc(1, sizeof *f->got);
    assert_non_null(f->got);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL) {
        return 0; /* setup failed and said why */
    }
    corral_decoder_free(f->dec);
    corral_catalog_free(f->catalog);
    free(f->got);
    free(f);
    return 0;
}

/* Read one sample through the pipeline into f->got. */
static void ingest(struct fixture *f, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tests/data/samples/%s", f->root, name);
    memset(f->got, 0, sizeof *f->got);
    struct corral_reader_limits limits = {.max_record = 16u << 20, .max_document = 1u << 30};
    struct corral_decode_sink sink = got_sink(f->got);
    assert_int_equal(corral_ingest_path(path, &limits, f->dec, &sink, &f->got->stats), CORRAL_OK);
    for (unsigned i = 0; i < f->got->n_problems; i++) {
        print_message("# %s:%zu: %s: %s\n", name, f->got->problems[i].line,
                      f->got->problems[i].rejected ? "error" : "warning", f->got->problems[i].msg);
    }
    /* The pipeline's counts agree with what reached the sink. */
    assert_int_equal(f->got->stats.alerts, f->got->n_alerts);
    assert_int_equal(f->got->stats.skipped, f->got->n_skipped);
    assert_int_equal(f->got->stats.rejected + f->got->stats.warnings, f->got->n_problems);
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

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL) {
        print_error("\"%s\" does not contain \"%s\"\n", text, part);
        fail();
    }
}

#define SUB_EXAMPLE "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
#define VM1                                                                                        \
    "/subscriptions/" SUB_EXAMPLE                                                                  \
    "/resourcegroups/myrg1/providers/microsoft.compute/virtualmachines/vm1"
#define VM2                                                                                        \
    "/subscriptions/" SUB_EXAMPLE                                                                  \
    "/resourcegroups/myrg2/providers/microsoft.compute/virtualmachines/vm2"
#define SAMPLE_VM                                                                                  \
    "/subscriptions/12cabcb4-86e8-404f-a3d2-1dc9982f45ca/resourcegroups/sample-rg/providers/"      \
    "microsoft.compute/virtualmachines/sample-vm"

static void rest_list_in_swagger_example(void **state)
{
    struct fixture *f = *state;
    ingest(f, "GetAlertsSubscription_example.json");
    struct got *g = f->got;
    assert_int_equal(g->n_problems, 0);
    assert_int_equal(g->n_skipped, 0);
    assert_int_equal(g->stats.records, 1);
    assert_int_equal(g->n_alerts, 2);

    const struct got_alert *a = &g->alerts[0];
    assert_string_equal(a->id, "2518298467986649999_4d25bfef-2d77-4a08-adc0-3e35715cc92a");
    assert_string_equal(a->type, "VM_EICAR");
    assert_string_equal(a->name, "Azure Security Center test alert (not a threat)");
    assert_int_equal(a->shape, CORRAL_SHAPE_REST);
    assert_int_equal(a->plan, CORRAL_PLAN_SERVERS);
    assert_string_equal(a->scope, SUB_EXAMPLE);
    assert_int_equal(a->severity, CORRAL_SEV_HIGH);
    assert_int_equal(a->status, CORRAL_STATUS_ACTIVE);
    assert_int_equal(a->tactics, 1u << CORRAL_TAC_EXECUTION);
    assert_int_equal(a->stages, 1u << 8);
    assert_time(a->start, "2020-02-22T00:00:00.0000000Z");
    assert_time(a->end, "2020-02-22T00:00:00.0000000Z");
    assert_time(a->generated, "2020-02-23T13:47:58.0000000Z");
    assert_entity(a, "ip", "192.0.2.1");
    assert_entity(a, "vm", VM1);
    assert_entity(a, "resource", VM1);
    assert_int_equal(a->n_entities, 3); /* the envelope's id is not a resource */
    assert_int_equal(a->signals & CORRAL_SIG_ACCOUNT, 0);
    assert_int_equal(a->line, 1);

    a = &g->alerts[1];
    /* The sample repeats the first alert's systemAlertId: kept as given. */
    assert_string_equal(a->id, "2518298467986649999_4d25bfef-2d77-4a08-adc0-3e35715cc92a");
    assert_string_equal(a->type, "VM_SuspiciousScreenSaver");
    assert_int_equal(a->shape, CORRAL_SHAPE_REST);
    assert_int_equal(a->plan, CORRAL_PLAN_SERVERS);
    assert_string_equal(a->scope, SUB_EXAMPLE);
    assert_int_equal(a->severity, CORRAL_SEV_MEDIUM);
    assert_int_equal(a->status, CORRAL_STATUS_ACTIVE);
    assert_int_equal(a->tactics, 1u << CORRAL_TAC_EXECUTION);
    assert_int_equal(a->stages, 1u << 8);
    assert_time(a->start, "2019-05-07T13:51:45.0045913Z");
    assert_time(a->generated, "2019-05-07T13:51:48.3810457Z");
    assert_entity(a, "vm", VM2);
    assert_entity(a, "resource", VM2);
    assert_entity(a, "vm", VM1);
    assert_entity(a, "resource", VM1);
    assert_entity(a, "user", "vm2\\contosouser");
    /* Its processes have no host of their own and the alert names two vms: no S1 key;
     * no image file: no S2 key. */
    assert_int_equal(a->n_entities, 5);
    assert_true(a->signals & CORRAL_SIG_ACCOUNT);
}

static void continuous_export_stream(void **state)
{
    struct fixture *f = *state;
    ingest(f, "test-alert.log");
    struct got *g = f->got;
    assert_int_equal(g->stats.records, 5);
    assert_int_equal(g->n_skipped, 4);
    assert_string_equal(g->skipped[0], "Microsoft.Security/regulatoryComplianceStandards/"
                                       "regulatoryComplianceControls/"
                                       "regulatoryComplianceAssessments");
    assert_string_equal(g->skipped[1], "Microsoft.Security/assessments");
    assert_string_equal(g->skipped[2], "Microsoft.Security/secureScores/secureScoreControls");
    assert_string_equal(g->skipped[3], "Microsoft.Security/assessments/subAssessments");
    assert_int_equal(g->stats.rejected, 0);

    assert_int_equal(g->n_alerts, 1);
    const struct got_alert *a = &g->alerts[0];
    assert_string_equal(a->id, "2517184898549829577_cdcf9f94-ec53-47a6-ab87-76130f87218d");
    assert_string_equal(a->type, "ARM_AnomalousServiceOperation.CredentialAccess");
    assert_string_equal(a->name, "[SAMPLE ALERT] Login from a suspicious IP");
    assert_int_equal(a->line, 5);
    assert_int_equal(a->shape, CORRAL_SHAPE_EXPORT);
    assert_int_equal(a->plan, CORRAL_PLAN_RESOURCEMANAGER);
    assert_string_equal(a->scope, "aa40685b-417d-4664-b4ec-8f7640719adb");
    assert_int_equal(a->severity, CORRAL_SEV_MEDIUM);
    assert_int_equal(a->status, CORRAL_STATUS_ACTIVE);        /* "New" */
    assert_int_equal(a->tactics, 1u << CORRAL_TAC_PREATTACK); /* the record's, not the catalog's */
    assert_int_equal(a->stages, 1u << 0);
    assert_time(a->start, "2023-05-11T13:15:45.0170422Z");
    assert_time(a->end, "2023-05-11T13:15:45.0170422Z");
    assert_time(a->generated, "2023-05-11T13:17:09.0170422Z");

    /* Entities, after $ref resolution (nearest definition before, else first after). */
    assert_entity(a, "ip", "81.2.69.142");
    assert_entity(a, "vm", SAMPLE_VM);
    assert_entity(a, "resource", SAMPLE_VM);
    /* $id 13's account: NTDomain + Name; its Host $ref "5" resolves to a dns entity. */
    assert_entity(a, "user", "sample-vm\\sample-account");
    /* AadUserId is all zeros (a placeholder): the UPN names the user. */
    assert_entity(a, "user", "sample@contoso.com");
    /* Process 0x1e99b: Host $ref "5" is the Sample-VM host just before it; ImageFile $ref "8"
     * has no definition before it and resolves to the first after, a filehash (no path). */
    assert_entity(a, "process", SAMPLE_VM "|125339|2023-05-11T13:17:49.1333596Z");
    assert_entity(a, "domain", "sample.domain");
    assert_entity(a, "filehash", "md5:sample-sha");
    assert_int_equal(a->n_entities, 8);
    assert_true(a->signals & CORRAL_SIG_ACCOUNT);

    /* Exactly two warnings, both on line 5, the alert delivered. */
    assert_int_equal(g->n_problems, 2);
    assert_int_equal(g->stats.warnings, 2);
    assert_int_equal(g->problems[0].rejected, 0);
    assert_int_equal(g->problems[0].line, 5);
    assert_int_equal(g->problems[0].code, CORRAL_ERR_REF);
    assert_contains(g->problems[0].msg, "duplicate $id");
    assert_contains(g->problems[0].msg, "nearest definition");
    assert_contains(g->problems[0].msg, "2517184898549829577_cdcf9f94-ec53-47a6-ab87-76130f87218d");
    assert_int_equal(g->problems[1].rejected, 0);
    assert_int_equal(g->problems[1].line, 5);
    assert_int_equal(g->problems[1].code, CORRAL_ERR_REF);
    assert_contains(g->problems[1].msg, "$ref \"4\" with no $id definition");
    assert_contains(g->problems[1].msg, "3 references treated as absent");
    assert_contains(g->problems[1].msg, "2517184898549829577_cdcf9f94-ec53-47a6-ab87-76130f87218d");
}

static void sentinel_incident_alerts(void **state)
{
    struct fixture *f = *state;
    ingest(f, "GetAllIncidentAlerts.json");
    struct got *g = f->got;
    assert_int_equal(g->n_problems, 0);
    assert_int_equal(g->n_skipped, 0);
    assert_int_equal(g->n_alerts, 1);
    const struct got_alert *a = &g->alerts[0];
    assert_string_equal(a->id, "baa8a239-6fde-4ab7-a093-d09f7b75c58c");
    assert_string_equal(a->type, "myAlert");
    assert_int_equal(a->shape, CORRAL_SHAPE_REST);
    assert_string_equal(a->scope, "bd794837-4d29-4647-9105-6339bfdb4e6a");
    assert_int_equal(a->status, CORRAL_STATUS_ACTIVE);
    assert_int_equal(a->severity, CORRAL_SEV_LOW);
    assert_int_equal(a->tactics, 0); /* "tactics": [] and an unknown type */
    assert_int_equal(a->stages, 0);
    assert_int_equal(a->plan, CORRAL_PLAN_UNKNOWN);
    assert_time(a->start, "2020-07-20T18:21:53.6158361Z");
    assert_time(a->generated, "2020-07-20T18:21:53.6158361Z");
    assert_int_equal(a->n_entities, 0);
}

static void sentinel_incident_is_not_an_alert(void **state)
{
    struct fixture *f = *state;
    ingest(f, "GetIncidentById.json");
    struct got *g = f->got;
    assert_int_equal(g->n_alerts, 0);
    assert_int_equal(g->n_problems, 0);
    assert_int_equal(g->n_skipped, 1);
    assert_string_equal(g->skipped[0], "Microsoft.SecurityInsights/incidents");
}

static void schemas_are_skipped(void **state)
{
    struct fixture *f = *state;
    static const char *const schemas[] = {"SecurityAlert.schema.json",
                                          "ActivityLogAlert.schema.json"};
    for (size_t i = 0; i < 2; i++) {
        ingest(f, schemas[i]);
        struct got *g = f->got;
        assert_int_equal(g->n_alerts, 0);
        assert_int_equal(g->n_problems, 0);
        assert_int_equal(g->stats.rejected, 0);
        assert_int_equal(g->n_skipped, 1);
        assert_string_equal(g->skipped[0], "json-schema");
    }
}

/* Every sample in the folder has expectations above. */
static void every_sample_is_checked(void **state)
{
    struct fixture *f = *state;
    static const char *const known[] = {
        "GetAlertsSubscription_example.json", "test-alert.log",
        "GetAllIncidentAlerts.json",          "GetIncidentById.json",
        "SecurityAlert.schema.json",          "ActivityLogAlert.schema.json",
    };
    char path[1200];
    snprintf(path, sizeof path, "%s/tests/data/samples", f->root);
    DIR *dir = opendir(path);
    assert_non_null(dir);
    unsigned seen = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        int found = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            found |= strcmp(e->d_name, known[i]) == 0;
        }
        if (!found) {
            print_error("sample %s has no expectations in test_samples.c\n", e->d_name);
        }
        assert_true(found);
        seen++;
        /* Whatever it is, no sample stops the pipeline or is rejected outright. */
        ingest(f, e->d_name);
        assert_int_equal(f->got->stats.rejected, 0);
    }
    closedir(dir);
    assert_int_equal(seen, sizeof known / sizeof known[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rest_list_in_swagger_example),
        cmocka_unit_test(continuous_export_stream),
        cmocka_unit_test(sentinel_incident_alerts),
        cmocka_unit_test(sentinel_incident_is_not_an_alert),
        cmocka_unit_test(schemas_are_skipped),
        cmocka_unit_test(every_sample_is_checked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
