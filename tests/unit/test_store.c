/*
 * test_store.c - the SQLite store: migrations, alerts kept once and updated
 * by re-sends, incidents upserted and retracted, scope isolation in every
 * read, paging cursors, incident management and its activity log, replay
 * giving back exactly the alerts stored, API tokens; successors of closed
 * incidents, retractions that keep what an analyst touched, the replay bound,
 * and the migration of a first-version database.
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
#include <sqlite3.h>

#include "store/store.h"
#include "store/token.h"

#define HOUR (3600LL * 10000000LL)

struct fixture {
    char dir[64];
    char path[96];
    corral_store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/corral-test-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/c.db", f->dir);
    char err[256];
    if (corral_store_open(f->path, &f->s, err, sizeof(err)) != CORRAL_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    corral_store_free(f->s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static const struct corral_entity ents_a[] = {
    {CORRAL_ENT_IP, 11, "203.0.113.7"},
    {CORRAL_ENT_VM, 3, "vm1"},
};

static struct corral_alert make_alert(const char *id, const char *scope, corral_time start)
{
    struct corral_alert a;
    memset(&a, 0, sizeof(a));
    a.id = id;
    a.alert_type = "VM_Test";
    a.display_name = "Test alert";
    a.product_component = "Servers";
    a.scope = scope;
    a.shape = CORRAL_SHAPE_EXPORT;
    a.plan = CORRAL_PLAN_SERVERS;
    a.signals = CORRAL_SIG_BRUTE_FORCE;
    a.tactics = 1u << CORRAL_TAC_EXECUTION;
    a.stages = 1u << 6;
    a.severity = CORRAL_SEV_HIGH;
    a.status = CORRAL_STATUS_ACTIVE;
    a.start = start;
    a.end = CORRAL_TIME_NONE;
    a.generated = start + 5;
    a.entities = ents_a;
    a.n_entities = 2;
    return a;
}

static void put(corral_store *s, const struct corral_alert *a, enum corral_put_result want)
{
    enum corral_put_result r;
    assert_int_equal(corral_store_put_alert(s, a, 0, 1, &r), CORRAL_OK);
    assert_int_equal(r, want);
}

static void test_reopen_is_migrated_once(void **state)
{
    struct fixture *f = *state;
    corral_store *again = NULL;
    char err[256];
    assert_int_equal(corral_store_open(f->path, &again, err, sizeof(err)), CORRAL_OK);
    corral_store_free(again);
    /* A file that is not SQLite is refused with a reason. */
    char bad[128];
    snprintf(bad, sizeof(bad), "%s/bad.db", f->dir);
    FILE *fp = fopen(bad, "w");
    fputs("this is not a database, not even close, it is just some text...........", fp);
    fclose(fp);
    assert_int_not_equal(corral_store_open(bad, &again, err, sizeof(err)), CORRAL_OK);
    assert_null(again);
    assert_true(strlen(err) > 0);
}

static void test_alert_resend_updates_status(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    struct corral_alert a = make_alert("A1", "tenant-a", 10 * HOUR);
    put(f->s, &a, CORRAL_PUT_NEW);
    a.status = CORRAL_STATUS_RESOLVED;
    put(f->s, &a, CORRAL_PUT_UPDATED);
    struct corral_alert b = make_alert("A1", "tenant-b", 10 * HOUR);
    put(f->s, &b, CORRAL_PUT_CONFLICT);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);

    struct corral_scopes sa = {0, "[\"tenant-a\"]"}, sb = {0, "[\"tenant-b\"]"};
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    int found = 0;
    assert_int_equal(corral_store_get_alert(f->s, &sa, "A1", &out, &found), CORRAL_OK);
    assert_int_equal(found, 1);
    assert_non_null(strstr(out.data, "\"status\":\"Resolved\""));
    assert_non_null(strstr(out.data, "\"key\":\"203.0.113.7\""));
    assert_non_null(strstr(out.data, "\"incidents\":[]"));
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_get_alert(f->s, &sb, "A1", &out, &found), CORRAL_OK);
    assert_int_equal(found, 0);
    assert_int_equal(out.len, 0);

    /* Listed once, for its own scope only. */
    struct corral_alert_query q = {.from = CORRAL_TIME_NONE, .to = CORRAL_TIME_NONE};
    char err[256];
    assert_int_equal(corral_store_list_alerts(f->s, &sb, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_string_equal(out.data, "{\"alerts\":[],\"next\":null}");
    corral_strbuf_release(&out);
}

static struct corral_incident make_incident(const char *id, const char *scope,
                                            const struct corral_link *links, uint32_t n,
                                            corral_time first)
{
    struct corral_incident inc;
    memset(&inc, 0, sizeof(inc));
    snprintf(inc.id, sizeof(inc.id), "%s", id);
    inc.kind = "test-kind";
    inc.scenario = 1;
    inc.display_name = "Test incident";
    inc.description = "d";
    inc.severity = CORRAL_SEV_HIGH;
    inc.scope = scope;
    inc.entity_type = CORRAL_ENT_VM;
    inc.entity_key = "vm1";
    inc.links = links;
    inc.n_members = n;
    inc.first_activity = first;
    inc.last_activity = first + HOUR;
    inc.entities = ents_a;
    inc.n_entities = 2;
    inc.rule_text = "why";
    inc.version = n;
    return inc;
}

static void test_incidents_scopes_paging_patch(void **state)
{
    struct fixture *f = *state;
    struct corral_alert a[6];
    char ids[6][8];
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    for (int i = 0; i < 6; i++) {
        snprintf(ids[i], sizeof(ids[i]), "X%d", i);
        a[i] = make_alert(ids[i], i < 4 ? "ta" : "tb", (i + 1) * HOUR);
        put(f->s, &a[i], CORRAL_PUT_NEW);
    }
    struct corral_link links[6];
    memset(links, 0, sizeof(links));
    for (int i = 0; i < 6; i++) {
        links[i].alert = &a[i];
        links[i].stage = -1;
        links[i].via_type = CORRAL_ENT_VM;
        links[i].via_key = "vm1";
    }
    /* Three incidents in ta (2 members each at different times), one in tb. */
    struct corral_incident i1 = make_incident("00000000-0000-0000-0000-000000000001", "ta", links, 2, 1 * HOUR);
    struct corral_incident i2 = make_incident("00000000-0000-0000-0000-000000000002", "ta", links + 1, 2, 2 * HOUR);
    struct corral_incident i3 = make_incident("00000000-0000-0000-0000-000000000003", "ta", links + 2, 2, 3 * HOUR);
    struct corral_incident i4 = make_incident("00000000-0000-0000-0000-000000000004", "tb", links + 4, 2, 5 * HOUR);
    assert_int_equal(corral_store_put_incident(f->s, &i1, 0, 7), CORRAL_OK);
    assert_int_equal(corral_store_put_incident(f->s, &i2, 0, 7), CORRAL_OK);
    assert_int_equal(corral_store_put_incident(f->s, &i3, 1, 7), CORRAL_OK);
    assert_int_equal(corral_store_put_incident(f->s, &i4, 1, 7), CORRAL_OK);
    /* An update replaces membership; a retraction removes the incident. */
    i2.n_members = 3;
    i2.version = 3;
    assert_int_equal(corral_store_put_incident(f->s, &i2, 0, 8), CORRAL_OK);
    struct corral_incident gone = make_incident("00000000-0000-0000-0000-0000000000ff", "ta", links, 1, HOUR);
    assert_int_equal(corral_store_put_incident(f->s, &gone, 0, 7), CORRAL_OK);
    assert_int_equal(corral_store_delete_incident(f->s, gone.id), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);

    struct corral_scopes ta = {0, "[\"ta\"]"}, tb = {0, "[\"tb\"]"}, all = {1, NULL};
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    char err[256];
    struct corral_incident_query q = {.from = CORRAL_TIME_NONE, .to = CORRAL_TIME_NONE, .limit = 2};
    assert_int_equal(corral_store_list_incidents(f->s, &ta, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_non_null(strstr(out.data, "000000000001"));
    assert_non_null(strstr(out.data, "000000000002"));
    assert_null(strstr(out.data, "000000000003"));
    assert_null(strstr(out.data, "000000000004"));
    const char *next = strstr(out.data, "\"next\":\"");
    assert_non_null(next);
    char cursor[300];
    snprintf(cursor, sizeof(cursor), "%s", next + 8);
    *strchr(cursor, '"') = '\0';
    corral_strbuf_clear(&out);
    q.cursor = cursor;
    assert_int_equal(corral_store_list_incidents(f->s, &ta, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_non_null(strstr(out.data, "000000000003"));
    assert_non_null(strstr(out.data, "\"next\":null"));
    assert_null(strstr(out.data, "000000000004"));
    /* The same cursor under another scope shows nothing of ta, and nothing of tb before it. */
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(f->s, &tb, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_null(strstr(out.data, "000000000003"));
    /* A forged cursor is refused. */
    q.cursor = "zz.1.x";
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(f->s, &ta, &q, &out, err, sizeof(err)),
                     CORRAL_ERR_BAD_VALUE);
    /* A filter naming another scope finds nothing. */
    q.cursor = NULL;
    q.scope = "tb";
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(f->s, &ta, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_string_equal(out.data, "{\"incidents\":[],\"next\":null}");
    q.scope = NULL;
    /* Descending by first activity, all scopes. */
    q.sort = "-firstActivity";
    q.limit = 10;
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(f->s, &all, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_true(strstr(out.data, "000000000004") < strstr(out.data, "000000000001"));
    assert_null(strstr(out.data, "0000000000ff"));

    /* Management: foreign id is not found and unchanged. */
    struct corral_incident_patch p = {.status = CORRAL_STATUS_DISMISSED, .dismiss_alerts = 1,
                                      .assignee = "ana", .comment = "noise", .actor = "tok1"};
    int found = 1;
    assert_int_equal(corral_store_patch_incident(f->s, &tb, i1.id, &p, 9, &found), CORRAL_OK);
    assert_int_equal(found, 0);
    assert_int_equal(corral_store_patch_incident(f->s, &ta, i1.id, &p, 9, &found), CORRAL_OK);
    assert_int_equal(found, 1);
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_get_incident(f->s, &ta, i1.id, &out, &found), CORRAL_OK);
    assert_int_equal(found, 1);
    assert_non_null(strstr(out.data, "\"status\":\"Dismissed\""));
    assert_non_null(strstr(out.data, "\"assignee\":\"ana\""));
    assert_non_null(strstr(out.data, "\"action\":\"status\",\"from\":\"Active\",\"to\":\"Dismissed\""));
    assert_non_null(strstr(out.data, "\"action\":\"comment\",\"text\":\"noise\""));
    assert_non_null(strstr(out.data, "\"action\":\"dismiss-alerts\",\"to\":\"2\""));
    assert_non_null(strstr(out.data, "\"alertRecords\":[{\"systemAlertId\":\"X0\""));
    /* The member alerts were dismissed too; an engine update with no new alert changes nothing. */
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    i1.version = 5;
    assert_int_equal(corral_store_put_incident(f->s, &i1, 0, 10), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_get_incident(f->s, &ta, i1.id, &out, &found), CORRAL_OK);
    assert_non_null(strstr(out.data, "\"status\":\"Dismissed\""));
    assert_non_null(strstr(out.data, "\"version\":2"));
    assert_non_null(strstr(out.data, "\"next\":null"));
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_get_alert(f->s, &ta, "X1", &out, &found), CORRAL_OK);
    assert_non_null(strstr(out.data, "\"status\":\"Dismissed\""));
    assert_non_null(strstr(out.data, "\"incidents\":[\"00000000-0000-0000-0000-000000000001\",\"00000000-0000-0000-0000-000000000002\"]"));
    /* Entity filter and status filter. */
    q.sort = NULL;
    q.entity = "vm1";
    q.status = "Dismissed";
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(f->s, &all, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_non_null(strstr(out.data, "000000000001"));
    assert_null(strstr(out.data, "000000000002"));
    q.status = "Closed";
    assert_int_equal(corral_store_list_incidents(f->s, &all, &q, &out, err, sizeof(err)),
                     CORRAL_ERR_BAD_VALUE);
    corral_strbuf_release(&out);
}

struct replayed {
    int n;
    char ids[8][8];
    uint32_t n_ents[8];
    char last_key[64];
};

static corral_err on_replay(void *ctx, const struct corral_alert *a)
{
    struct replayed *r = ctx;
    if (r->n < 8) {
        snprintf(r->ids[r->n], sizeof(r->ids[0]), "%s", a->id);
        r->n_ents[r->n] = a->n_entities;
        if (a->n_entities > 0) {
            snprintf(r->last_key, sizeof(r->last_key), "%s", a->entities[a->n_entities - 1].key);
        }
    }
    r->n++;
    return CORRAL_OK;
}

/* Replay the alerts from start time from on into got; the count. */
static uint64_t replay_into(corral_store *s, corral_time from, struct replayed *got)
{
    memset(got, 0, sizeof(*got));
    uint64_t count = 0;
    assert_int_equal(corral_store_replay(s, from, on_replay, got, &count), CORRAL_OK);
    return count;
}

static void test_replay_in_arrival_order_without_suppressed(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    struct corral_alert a = make_alert("R2", "t", 5 * HOUR);
    struct corral_alert b = make_alert("R1", "t", 1 * HOUR);
    struct corral_alert c = make_alert("R3", "t", 1 * HOUR);
    b.n_entities = 0;
    enum corral_put_result r;
    assert_int_equal(corral_store_put_alert(f->s, &a, 0, 1, &r), CORRAL_OK);
    assert_int_equal(corral_store_put_alert(f->s, &b, 0, 1, &r), CORRAL_OK);
    assert_int_equal(corral_store_put_alert(f->s, &c, 7, 1, &r), CORRAL_OK); /* suppressed */
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    /* A rolled-back batch leaves nothing behind. */
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    struct corral_alert d = make_alert("R4", "t", 1 * HOUR);
    assert_int_equal(corral_store_put_alert(f->s, &d, 0, 1, &r), CORRAL_OK);
    corral_store_rollback(f->s);

    struct replayed got;
    assert_int_equal(replay_into(f->s, CORRAL_TIME_NONE, &got), 2);
    assert_string_equal(got.ids[0], "R2");
    assert_string_equal(got.ids[1], "R1");
    assert_int_equal(got.n_ents[0], 2);
    assert_int_equal(got.n_ents[1], 0);
    assert_string_equal(got.last_key, "vm1");
    assert_true(corral_store_size(f->s) > 0);
}


/* The value of "key":"..." in json (first occurrence), copied into out; "" when absent. */
static void json_field(const char *json, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    out[0] = '\0';
    if (p != NULL) {
        p += strlen(pat);
        size_t n = (size_t)(strchr(p, '"') - p);
        snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
    }
}

static void get_incident(corral_store *s, const char *id, struct corral_strbuf *out, int want)
{
    struct corral_scopes all = {1, NULL};
    int found = -1;
    corral_strbuf_clear(out);
    assert_int_equal(corral_store_get_incident(s, &all, id, out, &found), CORRAL_OK);
    assert_int_equal(found, want);
}

static void set_status(corral_store *s, const char *id, enum corral_status st)
{
    struct corral_scopes all = {1, NULL};
    struct corral_incident_patch p = {.status = (int)st, .actor = "t"};
    int found = 0;
    assert_int_equal(corral_store_patch_incident(s, &all, id, &p, 9, &found), CORRAL_OK);
    assert_int_equal(found, 1);
}

/* The engine reports inc's first n links (its rule: high_if_any_high), in a batch of its own. */
static void engine_reports(corral_store *s, struct corral_incident *inc, uint32_t n,
                           uint32_t version, int final, int high)
{
    inc->n_members = n;
    inc->version = version;
    struct corral_incident_change ch = {.id = inc->id, .inc = inc, .final = final,
                                        .high_if_any_high = high};
    assert_int_equal(corral_store_begin(s), CORRAL_OK);
    assert_int_equal(corral_store_apply_incident(s, &ch, version), CORRAL_OK);
    assert_int_equal(corral_store_commit(s), CORRAL_OK);
}

static void test_closed_incident_grows_into_successors(void **state)
{
    struct fixture *f = *state;
    struct corral_alert a[5];
    char ids[5][8];
    struct corral_link links[5];
    memset(links, 0, sizeof(links));
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof(ids[i]), "S%d", i);
        a[i] = make_alert(ids[i], "ta", (i + 1) * HOUR);
        a[i].severity = i == 3 ? CORRAL_SEV_HIGH : CORRAL_SEV_LOW;
        put(f->s, &a[i], CORRAL_PUT_NEW);
        links[i] = (struct corral_link){.alert = &a[i], .stage = -1, .via_type = CORRAL_ENT_VM,
                                        .via_key = "vm1"};
    }
    const char *origin = "00000000-0000-0000-0000-0000000000a1";
    struct corral_incident inc = make_incident(origin, "ta", links, 2, HOUR);
    inc.version = 1;
    assert_int_equal(corral_store_put_incident(f->s, &inc, 0, 7), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    set_status(f->s, origin, CORRAL_STATUS_RESOLVED);

    /* The engine grows it: the resolved one stays; the new alert starts generation 1. */
    engine_reports(f->s, &inc, 3, 2, 0, 0);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    get_incident(f->s, origin, &out, 1);
    char next[64], prev[64];
    json_field(out.data, "next", next, sizeof(next));
    assert_int_equal(strlen(next), 36);
    assert_non_null(strstr(out.data, "\"alerts\":[\"S0\",\"S1\"]"));
    assert_non_null(strstr(out.data, "\"version\":1,"));
    assert_non_null(strstr(out.data, "\"status\":\"Resolved\""));
    assert_non_null(strstr(out.data, "\"previous\":null"));
    get_incident(f->s, next, &out, 1);
    json_field(out.data, "previous", prev, sizeof(prev));
    assert_string_equal(prev, origin);
    assert_non_null(strstr(out.data, "\"alerts\":[\"S2\"]"));
    assert_non_null(strstr(out.data, "\"status\":\"Active\""));
    assert_non_null(strstr(out.data, "\"next\":null"));
    assert_non_null(strstr(out.data, "\"alertRecords\":[{\"systemAlertId\":\"S2\""));
    /* Derived from its own members: times (and below, severity by the rule). */
    assert_non_null(strstr(out.data, "\"firstActivityTimeUtc\":\"1970-01-01T03:00:00.0000000Z\""));
    char first_successor[64];
    snprintf(first_successor, sizeof(first_successor), "%s", next);

    /* It grows again: generation 1 takes it (only what generation 0 does not hold). */
    engine_reports(f->s, &inc, 4, 3, 0, 1);
    get_incident(f->s, first_successor, &out, 1);
    assert_non_null(strstr(out.data, "\"alerts\":[\"S2\",\"S3\"]"));
    assert_non_null(strstr(out.data, "\"severity\":\"High\""));
    assert_non_null(strstr(out.data, "\"version\":2,"));

    /* Dismissed too: the last alert starts generation 2, linked to generation 1. */
    set_status(f->s, first_successor, CORRAL_STATUS_DISMISSED);
    engine_reports(f->s, &inc, 5, 4, 1, 1);
    get_incident(f->s, first_successor, &out, 1);
    json_field(out.data, "next", next, sizeof(next));
    assert_int_equal(strlen(next), 36);
    assert_string_not_equal(next, first_successor);
    assert_non_null(strstr(out.data, "\"alerts\":[\"S2\",\"S3\"]"));
    get_incident(f->s, next, &out, 1);
    assert_non_null(strstr(out.data, "\"alerts\":[\"S4\"]"));
    assert_non_null(strstr(out.data, "\"final\":true"));
    json_field(out.data, "previous", prev, sizeof(prev));
    assert_string_equal(prev, first_successor);
    char second_successor[64];
    snprintf(second_successor, sizeof(second_successor), "%s", next);


    /* Retracted: the closed generations stay, marked; the untouched last one goes. */
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    assert_int_equal(corral_store_delete_incident(f->s, origin), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    get_incident(f->s, second_successor, &out, 0);
    get_incident(f->s, first_successor, &out, 1);
    assert_non_null(strstr(out.data, "\"retracted\":true"));
    assert_non_null(strstr(out.data, "\"next\":null"));
    assert_non_null(
        strstr(out.data, "\"action\":\"status\",\"from\":\"Active\",\"to\":\"Dismissed\""));
    get_incident(f->s, origin, &out, 1);
    assert_non_null(strstr(out.data, "\"retracted\":true"));
    assert_non_null(strstr(out.data, "\"status\":\"Resolved\""));
    corral_strbuf_release(&out);
}

static void test_retraction_keeps_touched_incidents(void **state)
{
    struct fixture *f = *state;
    struct corral_alert a[2] = {make_alert("R0", "ta", HOUR), make_alert("R1", "ta", 2 * HOUR)};
    struct corral_link links[2];
    memset(links, 0, sizeof(links));
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    for (int i = 0; i < 2; i++) {
        put(f->s, &a[i], CORRAL_PUT_NEW);
        links[i] = (struct corral_link){.alert = &a[i], .stage = -1, .via_type = CORRAL_ENT_VM,
                                        .via_key = "vm1"};
    }
    struct corral_incident j = make_incident("00000000-0000-0000-0000-0000000000b1", "ta", links,
                                             2, HOUR);
    struct corral_incident k = make_incident("00000000-0000-0000-0000-0000000000b2", "ta", links,
                                             2, HOUR);
    assert_int_equal(corral_store_put_incident(f->s, &j, 0, 7), CORRAL_OK);
    assert_int_equal(corral_store_put_incident(f->s, &k, 0, 7), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    /* Only assigned and commented: still Active, but touched. */
    struct corral_scopes all = {1, NULL};
    struct corral_incident_patch p = {.status = -1, .assignee = "ana", .comment = "mine",
                                      .actor = "t"};
    int found = 0;
    assert_int_equal(corral_store_patch_incident(f->s, &all, j.id, &p, 9, &found), CORRAL_OK);
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    assert_int_equal(corral_store_delete_incident(f->s, j.id), CORRAL_OK);
    assert_int_equal(corral_store_delete_incident(f->s, k.id), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    get_incident(f->s, k.id, &out, 0);
    get_incident(f->s, j.id, &out, 1);
    assert_non_null(strstr(out.data, "\"status\":\"Active\""));
    assert_non_null(strstr(out.data, "\"retracted\":true"));
    assert_non_null(strstr(out.data, "\"assignee\":\"ana\""));
    assert_non_null(strstr(out.data, "\"action\":\"comment\",\"text\":\"mine\""));
    assert_non_null(strstr(out.data, "\"alertRecords\":[{\"systemAlertId\":\"R0\""));
    /* Listed, and found by its entity. */
    struct corral_incident_query q = {.from = CORRAL_TIME_NONE, .to = CORRAL_TIME_NONE,
                                      .entity = "203.0.113.7"};
    char err[256];
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(f->s, &all, &q, &out, err, sizeof(err)),
                     CORRAL_OK);
    assert_non_null(strstr(out.data, j.id));
    assert_null(strstr(out.data, k.id));
    /* The engine reports it again: it stands again. */
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    j.version = 3;
    assert_int_equal(corral_store_put_incident(f->s, &j, 0, 10), CORRAL_OK);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    get_incident(f->s, j.id, &out, 1);
    assert_non_null(strstr(out.data, "\"retracted\":false"));
    assert_non_null(strstr(out.data, "\"version\":3,"));
    corral_strbuf_release(&out);
}

/* Put an alert of scope "t" at day d (in hours) naming one ip. */
static void put_at(corral_store *s, const char *id, double hours, const char *ip, int64_t supp)
{
    struct corral_entity *e = malloc(sizeof(*e));
    e->type = CORRAL_ENT_IP;
    e->key = ip;
    e->len = (uint32_t)strlen(ip);
    struct corral_alert a = make_alert(id, "t", (corral_time)(hours * (double)HOUR));
    a.entities = e;
    a.n_entities = 1;
    enum corral_put_result r;
    assert_int_equal(corral_store_put_alert(s, &a, supp, 1, &r), CORRAL_OK);
    free(e);
}

static void test_replay_starts_where_no_session_crosses(void **state)
{
    struct fixture *f = *state;
    struct corral_replay_window w = {.lateness = 24 * HOUR, .window = 24 * HOUR};
    corral_time from = 0;
    uint64_t scanned = 0;
    /* An empty store: everything (nothing). */
    assert_int_equal(corral_store_replay_start(f->s, &w, &from, &scanned), CORRAL_OK);
    assert_true(from == CORRAL_TIME_NONE);
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    put_at(f->s, "A", 0, "10.0.0.1", 0);
    put_at(f->s, "B", 12, "10.0.0.1", 0);
    put_at(f->s, "C", 72, "10.0.0.2", 0);
    put_at(f->s, "D", 120, "10.0.0.2", 0);
    put_at(f->s, "Z", 500, "10.0.0.9", 3); /* suppressed: never seen by the engine */
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    /* Newest 120h: sessions may be open from 120 - 24 - 24 = 72h on; nothing ties to before. */
    assert_int_equal(corral_store_replay_start(f->s, &w, &from, &scanned), CORRAL_OK);
    assert_true(from == 72 * HOUR);
    /* An alert at 60h on C's ip ties to C: the start moves to it, not further (B is unrelated). */
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    put_at(f->s, "E", 60, "10.0.0.2", 0);
    put_at(f->s, "F", 50, "10.0.0.1", 0); /* within a window of E, but another entity */
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    assert_int_equal(corral_store_replay_start(f->s, &w, &from, &scanned), CORRAL_OK);
    assert_true(from == 60 * HOUR);
    /* A chain of ties reaches back to the first alert: everything. */
    assert_int_equal(corral_store_begin(f->s), CORRAL_OK);
    put_at(f->s, "G", 40, "10.0.0.2", 0);
    put_at(f->s, "H", 30, "10.0.0.1", 0);
    put_at(f->s, "I", 45, "10.0.0.1", 0);
    put_at(f->s, "J", 41, "10.0.0.2", 0);
    assert_int_equal(corral_store_commit(f->s), CORRAL_OK);
    /* I ties to F, F was not tied to anything kept but is now within the cut; G and J tie
       to E, H to I, B to H, A to B. */
    assert_int_equal(corral_store_replay_start(f->s, &w, &from, &scanned), CORRAL_OK);
    assert_true(from == 0);
    /* A bound on sessions' span caps how far back a restart reads. */
    w.max_span = 12 * HOUR;
    assert_int_equal(corral_store_replay_start(f->s, &w, &from, &scanned), CORRAL_OK);
    assert_true(from == 48 * HOUR - 1);
    /* And the replay gives the alerts from there on, in arrival order, suppressed ones left out. */
    struct replayed got;
    assert_int_equal(replay_into(f->s, from, &got), 4);
    assert_string_equal(got.ids[0], "C");
    assert_string_equal(got.ids[1], "D");
    assert_string_equal(got.ids[2], "E");
    assert_string_equal(got.ids[3], "F");
}

static void test_first_version_database_is_migrated(void **state)
{
    struct fixture *f = *state;
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/v1.db", f->dir);
    assert_int_equal(corral_store_create_version(path, 1, err, sizeof(err)), CORRAL_OK);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *rows =
        "INSERT INTO alerts(seq, id, scope, alert_type, display_name, product_component, shape,"
        " plan, signals, tactics, stages, severity, status, start, ents, received)"
        " VALUES(7, 'M1', 'ta', 'T', 'd', '', 0, 0, 0, 0, 0, 0, 0, 36000000000, x'', 1);"
        "INSERT INTO incidents(seq, id, scope, kind, severity, entity_type, entity_key, first,"
        " last, version, final, n_members, json, created, updated) VALUES(3, 'I1', 'ta', 'k',"
        " 0, 0, 'vm1', 1, 2, 1, 0, 1, '{\"id\":\"I1\",\"status\":\"Active\",\"entities\":"
        "[{\"type\":\"vm\",\"key\":\"vm1\"}]}', 1, 1);"
        "INSERT INTO incident_alerts VALUES(3, 'M1', 0);"
        "INSERT INTO entities VALUES(5, 3, 'vm1');"
        "INSERT INTO incident_entities VALUES(3, 5);";
    assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    corral_store *s = NULL;
    assert_int_equal(corral_store_open(path, &s, err, sizeof(err)), CORRAL_OK);
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    get_incident(s, "I1", &out, 1);
    assert_non_null(strstr(out.data, "\"alertRecords\":[{\"systemAlertId\":\"M1\""));
    assert_non_null(strstr(out.data, "\"previous\":null,\"next\":null,\"retracted\":false"));
    struct corral_scopes all = {1, NULL};
    int found = 0;
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_get_alert(s, &all, "M1", &out, &found), CORRAL_OK);
    assert_non_null(strstr(out.data, "\"incidents\":[\"I1\"]"));
    struct corral_incident_query q = {.from = CORRAL_TIME_NONE, .to = CORRAL_TIME_NONE,
                                      .entity = "vm1"};
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(s, &all, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_non_null(strstr(out.data, "\"id\":\"I1\""));
    q.entity = "vm2";
    corral_strbuf_clear(&out);
    assert_int_equal(corral_store_list_incidents(s, &all, &q, &out, err, sizeof(err)), CORRAL_OK);
    assert_string_equal(out.data, "{\"incidents\":[],\"next\":null}");
    corral_strbuf_release(&out);
    corral_store_free(s);
}

static void test_tokens(void **state)
{
    struct fixture *f = *state;
    char token[CORRAL_TOKEN_TEXT], id[CORRAL_TOKEN_ID], err[256];
    assert_int_equal(corral_token_create(f->s, CORRAL_ROLE_READER, "Tenant-A,tb", token, id, err,
                                         sizeof(err)), CORRAL_OK);
    assert_int_equal(strlen(token), 71);
    assert_memory_equal(token, "corral_", 7);
    int ok = 0;
    struct corral_principal who;
    assert_int_equal(corral_token_check(f->s, token, strlen(token), &ok, &who), CORRAL_OK);
    assert_int_equal(ok, 1);
    assert_int_equal(who.role, CORRAL_ROLE_READER);
    assert_int_equal(who.all_scopes, 0);
    assert_string_equal(who.scopes_json, "[\"tenant-a\",\"tb\"]");
    assert_string_equal(who.id, id);
    /* The token itself is not stored anywhere. */
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    assert_int_equal(corral_token_list(f->s, &out), CORRAL_OK);
    assert_non_null(strstr(out.data, id));
    assert_null(strstr(out.data, token + 7));
    corral_strbuf_release(&out);
    /* One changed character, a short token, a revoked token: all refused. */
    char bad[CORRAL_TOKEN_TEXT];
    memcpy(bad, token, sizeof(bad));
    bad[40] = bad[40] == 'a' ? 'b' : 'a';
    assert_int_equal(corral_token_check(f->s, bad, strlen(bad), &ok, &who), CORRAL_OK);
    assert_int_equal(ok, 0);
    assert_int_equal(corral_token_check(f->s, token, 20, &ok, &who), CORRAL_OK);
    assert_int_equal(ok, 0);
    int found = 0;
    assert_int_equal(corral_token_revoke(f->s, id, &found), CORRAL_OK);
    assert_int_equal(found, 1);
    assert_int_equal(corral_token_revoke(f->s, id, &found), CORRAL_OK);
    assert_int_equal(found, 0);
    assert_int_equal(corral_token_check(f->s, token, strlen(token), &ok, &who), CORRAL_OK);
    assert_int_equal(ok, 0);
    /* Bad scopes and '*'. */
    assert_int_equal(corral_token_create(f->s, CORRAL_ROLE_ADMIN, "a,,b", token, id, err,
                                         sizeof(err)), CORRAL_ERR_BAD_VALUE);
    assert_int_equal(corral_token_create(f->s, CORRAL_ROLE_ADMIN, "a\"b", token, id, err,
                                         sizeof(err)), CORRAL_ERR_BAD_VALUE);
    assert_int_equal(corral_token_create(f->s, CORRAL_ROLE_ADMIN, "*", token, id, err,
                                         sizeof(err)), CORRAL_OK);
    assert_int_equal(corral_token_check(f->s, token, strlen(token), &ok, &who), CORRAL_OK);
    assert_int_equal(ok, 1);
    assert_int_equal(who.all_scopes, 1);
    enum corral_role role;
    assert_int_equal(corral_role_parse("responder", &role), 0);
    assert_int_equal(role, CORRAL_ROLE_RESPONDER);
    assert_int_equal(corral_role_parse("root", &role), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reopen_is_migrated_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_resend_updates_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incidents_scopes_paging_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_in_arrival_order_without_suppressed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_incident_grows_into_successors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retraction_keeps_touched_incidents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_starts_where_no_session_crosses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_first_version_database_is_migrated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
