/*
 * test_incident_json.c - an incident and an alert as JSON (incident_json.c,
 * alert_json.c): every field in its place and order, both incident shapes,
 * --stream's event and version, plans and tactics sorted by name, escapes in
 * every string that comes from the data (ids, keys, the rule's text), and the
 * fields that may be absent. The end-to-end cases compare whole runs byte for
 * byte; these pin the writers' text on their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/alert_json.h"
#include "model/incident_json.h"
#include "util/strbuf.h"
#include "util/time.h"

static corral_time at(const char *text)
{
    corral_time t = 0;
    assert_int_equal(corral_time_parse(text, strlen(text), &t), 0);
    return t;
}

/* Two member alerts, one with a quote in its id, on a vm whose key needs no escape. */
struct sample {
    struct corral_entity ents_a[2], ents_inc[3];
    struct corral_alert a, b;
    struct corral_link links[2];
    struct corral_incident inc;
};

static void make_sample(struct sample *s)
{
    memset(s, 0, sizeof *s);
    s->ents_a[0] = (struct corral_entity){CORRAL_ENT_IP, 11, "203.0.113.7"};
    s->ents_a[1] = (struct corral_entity){CORRAL_ENT_VM, 3, "vm1"};
    s->a = (struct corral_alert){
        .id = "a-1",
        .alert_type = "VM_Brute",
        .display_name = "Brute \"force\"",
        .product_component = "",
        .scope = "t1",
        .shape = CORRAL_SHAPE_EXPORT,
        .plan = CORRAL_PLAN_SERVERS,
        .signals = CORRAL_SIG_BRUTE_FORCE | CORRAL_SIG_ACCOUNT,
        .tactics = 1u << CORRAL_TAC_PREATTACK | 1u << CORRAL_TAC_CREDENTIALACCESS,
        .stages = 1u << 0 | 1u << 5,
        .severity = CORRAL_SEV_HIGH,
        .status = CORRAL_STATUS_ACTIVE,
        .start = at("2026-11-01T10:00:00Z"),
        .end = CORRAL_TIME_NONE,
        .generated = at("2026-11-01T10:05:00.5Z"),
        .entities = s->ents_a,
        .n_entities = 2,
    };
    s->b = s->a;
    s->b.id = "b\"2";
    s->b.alert_type = "ARM_X";
    s->b.display_name = "Other";
    s->b.severity = CORRAL_SEV_UNKNOWN;
    s->b.start = at("2026-11-01T12:00:00Z");
    s->links[0] = (struct corral_link){&s->a, CORRAL_LINK_RULE, CORRAL_ENT_VM, "vm1", "first",
                                       NULL, -1, NULL};
    s->links[1] = (struct corral_link){&s->b, CORRAL_LINK_CONTEXT, CORRAL_ENT_PROCESS_IMAGE,
                                       "c:\\x.exe|x", "then", &s->a, 3, "plan \"Servers\""};
    s->ents_inc[0] = (struct corral_entity){CORRAL_ENT_IP, 11, "203.0.113.7"};
    s->ents_inc[1] = (struct corral_entity){CORRAL_ENT_VM, 3, "vm1"};
    s->ents_inc[2] = (struct corral_entity){CORRAL_ENT_PROCESS_IMAGE, 10, "c:\\x.exe|x"};
    s->inc = (struct corral_incident){
        .id = "5f0c8a2e-1b7d-4e31-9a0c-2d4e6f8a1b3c",
        .kind = "crypto",
        .number = 3,
        .scenario = 2,
        .display_name = "Security incident",
        .description = "Line one\nline \"two\"",
        .severity = CORRAL_SEV_HIGH,
        .status = CORRAL_STATUS_ACTIVE,
        .scope = "t1",
        .entity_type = CORRAL_ENT_VM,
        .entity_key = "vm1",
        .links = s->links,
        .n_members = 2,
        .plans = 1u << CORRAL_PLAN_SERVERS | 1u << CORRAL_PLAN_RESOURCEMANAGER |
                 1u << CORRAL_PLAN_AI,
        .tactics = 1u << CORRAL_TAC_PREATTACK | 1u << CORRAL_TAC_EXECUTION |
                   1u << CORRAL_TAC_COLLECTION,
        .first_activity = s->a.start,
        .last_activity = s->b.start,
        .entities = s->ents_inc,
        .n_entities = 3,
        .rule_text = "vm: a\tthen b",
        .version = 4,
    };
}

static void corral_shape(void **state)
{
    (void)state;
    struct sample s;
    make_sample(&s);
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_incident_json(&sb, &s.inc, CORRAL_FORMAT_CORRAL, NULL);
    assert_int_equal(corral_strbuf_status(&sb), CORRAL_OK);
    assert_string_equal(
        sb.data,
        "{\"id\":\"5f0c8a2e-1b7d-4e31-9a0c-2d4e6f8a1b3c\",\"kind\":\"crypto\",\"scenario\":2,"
        "\"displayName\":\"Security incident\",\"description\":\"Line one\\nline \\\"two\\\"\","
        "\"severity\":\"High\",\"status\":\"Active\",\"scope\":\"t1\","
        "\"entity\":{\"type\":\"vm\",\"key\":\"vm1\"},\"alerts\":[\"a-1\",\"b\\\"2\"],"
        "\"plans\":[\"AI\",\"ResourceManager\",\"Servers\"],"
        "\"tactics\":[\"Collection\",\"Execution\",\"PreAttack\"],"
        "\"firstActivityTimeUtc\":\"2026-11-01T10:00:00.0000000Z\","
        "\"lastActivityTimeUtc\":\"2026-11-01T12:00:00.0000000Z\","
        "\"entities\":[{\"type\":\"ip\",\"key\":\"203.0.113.7\"},{\"type\":\"vm\",\"key\":\"vm1\"},"
        "{\"type\":\"process_image\",\"key\":\"c:\\\\x.exe|x\"}],"
        "\"why\":{\"rule\":\"crypto/2\",\"text\":\"vm: a\\tthen b\",\"links\":["
        "{\"alert\":\"a-1\",\"role\":\"rule\",\"entity\":{\"type\":\"vm\",\"key\":\"vm1\"},"
        "\"following\":\"first\"},"
        "{\"alert\":\"b\\\"2\",\"role\":\"context\","
        "\"entity\":{\"type\":\"process\",\"key\":\"c:\\\\x.exe|x\"},\"following\":\"then\","
        "\"after\":\"a-1\",\"requirement\":\"plan \\\"Servers\\\"\",\"stage\":3}]}}");

    /* --stream: the event and version close the object; no description or rule text is "". */
    s.inc.description = NULL;
    s.inc.rule_text = NULL;
    s.inc.plans = 0;
    corral_strbuf_clear(&sb);
    corral_incident_json(&sb, &s.inc, CORRAL_FORMAT_CORRAL, "update");
    assert_non_null(strstr(sb.data, ",\"description\":\"\",\"severity\":"));
    assert_non_null(strstr(sb.data, ",\"plans\":[],\"tactics\":"));
    assert_non_null(strstr(sb.data, "\"why\":{\"rule\":\"crypto/2\",\"text\":\"\",\"links\":["));
    const char *tail = "\"stage\":3}]},\"event\":\"update\",\"version\":4}";
    assert_string_equal(sb.data + sb.len - strlen(tail), tail);
    corral_strbuf_release(&sb);
}

static void defender_shape(void **state)
{
    (void)state;
    struct sample s;
    make_sample(&s);
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_incident_json(&sb, &s.inc, CORRAL_FORMAT_DEFENDER, "final");
    assert_string_equal(
        sb.data,
        "{\"systemAlertId\":\"5f0c8a2e-1b7d-4e31-9a0c-2d4e6f8a1b3c\",\"alertType\":\"corral.crypto\","
        "\"alertDisplayName\":\"Security incident\",\"description\":\"Line one\\nline \\\"two\\\"\","
        "\"severity\":\"High\",\"status\":\"Active\",\"isIncident\":true,"
        "\"correlationKey\":\"5f0c8a2e-1b7d-4e31-9a0c-2d4e6f8a1b3c\",\"vendorName\":\"corral\","
        "\"productName\":\"corral\",\"startTimeUtc\":\"2026-11-01T10:00:00.0000000Z\","
        "\"endTimeUtc\":\"2026-11-01T12:00:00.0000000Z\","
        "\"intent\":[\"Collection\",\"Execution\",\"PreAttack\"],\"compromisedEntity\":\"vm1\","
        "\"entities\":[{\"type\":\"SecurityAlert\",\"systemAlertId\":\"a-1\",\"alertType\":"
        "\"VM_Brute\",\"alertDisplayName\":\"Brute \\\"force\\\"\",\"startTimeUtc\":"
        "\"2026-11-01T10:00:00.0000000Z\",\"severity\":\"High\"},"
        "{\"type\":\"SecurityAlert\",\"systemAlertId\":\"b\\\"2\",\"alertType\":\"ARM_X\","
        "\"alertDisplayName\":\"Other\",\"startTimeUtc\":\"2026-11-01T12:00:00.0000000Z\","
        "\"severity\":\"\"}],"
        "\"extendedProperties\":{\"kind\":\"crypto\",\"scenario\":\"2\",\"scope\":\"t1\","
        "\"entityType\":\"vm\",\"entity\":\"vm1\"},\"event\":\"final\",\"version\":4}");
    corral_strbuf_release(&sb);
}

/*
 * Every entity type under corral_entity_type_name()'s name, and a why whose
 * links repeat the incident's entity and the members' ids (the writer copies
 * them), for more members than it keeps the place of.
 */
static void repeats_and_every_type(void **state)
{
    (void)state;
    enum { N = 300 };
    static struct sample s;
    static struct corral_alert al[N];
    static struct corral_link links[N];
    static char ids[N][16];
    make_sample(&s);
    static char key[] = "h\"ost";
    struct corral_entity ents[CORRAL_ENT_COUNT + 1];
    for (unsigned t = 0; t <= CORRAL_ENT_COUNT; t++) {
        ents[t] = (struct corral_entity){(enum corral_entity_type)t, 1, "k"};
    }
    for (unsigned i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "a\\%u", i);
        al[i] = s.a;
        al[i].id = ids[i];
        links[i] = (struct corral_link){.alert = &al[i],
                                        .role = i % 2 ? CORRAL_LINK_CONTEXT : CORRAL_LINK_RULE,
                                        .via_type = CORRAL_ENT_PROCESS_IMAGE,
                                        .via_key = i % 3 ? key : "other",
                                        .stage = -1};
    }
    s.inc.entity_type = CORRAL_ENT_PROCESS_IMAGE;
    s.inc.entity_key = key;
    s.inc.links = links;
    s.inc.n_members = N;
    s.inc.entities = ents;
    s.inc.n_entities = CORRAL_ENT_COUNT + 1;

    struct corral_strbuf sb, want;
    corral_strbuf_init(&sb);
    corral_strbuf_init(&want);
    corral_incident_json(&sb, &s.inc, CORRAL_FORMAT_CORRAL, NULL);
    assert_int_equal(corral_strbuf_status(&sb), CORRAL_OK);

    corral_strbuf_puts(&want, ",\"entities\":[");
    for (unsigned t = 0; t <= CORRAL_ENT_COUNT; t++) {
        corral_strbuf_printf(&want, "%s{\"type\":\"%s\",\"key\":\"k\"}", t > 0 ? "," : "",
                             corral_entity_type_name((enum corral_entity_type)t));
    }
    corral_strbuf_puts(&want, "],\"why\":");
    assert_non_null(strstr(sb.data, want.data));

    corral_strbuf_clear(&want);
    corral_strbuf_puts(&want, "\"links\":[");
    for (unsigned i = 0; i < N; i++) {
        corral_strbuf_printf(&want,
                             "%s{\"alert\":\"a\\\\%u\",\"role\":\"%s\",\"entity\":{\"type\":"
                             "\"process\",\"key\":\"%s\"}}",
                             i > 0 ? "," : "", i, i % 2 ? "context" : "rule",
                             i % 3 ? "h\\\"ost" : "other");
    }
    corral_strbuf_puts(&want, "]}}");
    assert_string_equal(sb.data + sb.len - want.len, want.data);
    assert_non_null(strstr(sb.data, ",\"entity\":{\"type\":\"process\",\"key\":\"h\\\"ost\"},"));
    corral_strbuf_release(&want);
    corral_strbuf_release(&sb);
}

static void alert_shape(void **state)
{
    (void)state;
    struct sample s;
    make_sample(&s);
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_alert_json(&sb, &s.a, "dir/we\"ird.json", 12);
    assert_string_equal(
        sb.data,
        "{\"systemAlertId\":\"a-1\",\"alertType\":\"VM_Brute\",\"displayName\":"
        "\"Brute \\\"force\\\"\",\"shape\":\"export\",\"scope\":\"t1\",\"plan\":\"Servers\","
        "\"productComponentName\":\"\",\"signals\":[\"account\",\"brute_force\"],"
        "\"tactics\":[\"PreAttack\",\"CredentialAccess\"],\"stages\":[0,5],\"severity\":\"High\","
        "\"status\":\"Active\",\"startTimeUtc\":\"2026-11-01T10:00:00.0000000Z\","
        "\"endTimeUtc\":null,\"timeGeneratedUtc\":\"2026-11-01T10:05:00.5000000Z\","
        "\"entities\":[{\"type\":\"ip\",\"key\":\"203.0.113.7\"},{\"type\":\"vm\",\"key\":\"vm1\"}],"
        "\"source\":\"dir/we\\\"ird.json:12\"}");
    /* Without a source, and appended after what the buffer held. */
    corral_strbuf_clear(&sb);
    corral_strbuf_putc(&sb, '[');
    s.b.n_entities = 0;
    s.b.signals = 0;
    corral_alert_json(&sb, &s.b, NULL, 0);
    const char *tail = "\"signals\":[],";
    assert_non_null(strstr(sb.data, tail));
    assert_non_null(strstr(sb.data, "\"severity\":\"\","));
    assert_string_equal(sb.data + sb.len - strlen("\"entities\":[]}"), "\"entities\":[]}");
    assert_int_equal(sb.data[0], '[');
    corral_strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corral_shape),
        cmocka_unit_test(defender_shape),
        cmocka_unit_test(repeats_and_every_type),
        cmocka_unit_test(alert_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
