/*
 * decode.c - one JSON record in, normalized alerts out.
 *
 * This is the hot path of corral after the JSON parser itself: a user replays
 * months of exports through it, so each alert is decoded in a few passes over
 * the flat node array of json.h, with no per-field rescans of an object and
 * no malloc (everything an alert needs lives in one arena, reset per alert).
 *
 *   1. The record is parsed once. Its alerts are found by shape: an array, a
 *      REST list {"value":[...]}, a Swagger example (responses/200/body), a
 *      REST envelope {id,name,type,properties:{...}} or a flat object.
 *   2. One pass over the alert object's members (and its "properties", for a
 *      REST envelope) looks each key up, case-insensitively, in a hash of the
 *      names we read, and files the value under the field it names; aliases
 *      (DisplayName/AlertName, StartTime...) are picked afterwards in a fixed
 *      order of preference.
 *   3. Sentinel rows carry Entities and ExtendedProperties as JSON inside a
 *      string: those are parsed again with a second parser, so that the
 *      record's strings stay valid meanwhile.
 *   4. Json.NET references: every {"$id":"n"} object of the alert is
 *      registered first; {"$ref":"n"} then resolves to the nearest definition
 *      before it in document order, else the first after it (public samples
 *      define the same $id several times). A $ref to nothing is a warning and
 *      reads as absent: Microsoft's own sample export has one, and a real
 *      alert must not be lost over a dangling sub-reference.
 *   5. The entities are walked from the alert's entity list through every
 *      nested object (Host, ImageFile, FileHashes[], IpAdresses[] ...), each
 *      object once; an object met again on the current path is a cycle, and
 *      rejects the alert. Processes are keyed last, once the alert's vm is
 *      known.
 *   6. Scope, plan, signals, tactics, stages, severity, status and times are
 *      normalized as ../spec/incidents.md says, and the alert goes to the
 *      sink, preceded by at most one warning of each kind.
 *
 * A bad alert is reported and skipped; the other alerts of its record are
 * still delivered. Nothing here aborts on bad input. Between records the
 * decoder keeps only its parsers, its arena, its key tables and three memos
 * (which extendedProperties keys name an IP; how the catalog classified
 * recent types it does not know; the tactics of recent intent strings);
 * there is no global state.
 */
#include "ingest/decode.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/entities.h"
#include "ingest/json.h"
#include "util/arena.h"
#include "util/ascii.h"
#include "util/time.h"

#define DEFAULT_MAX_RECORD (16u << 20)
#define DEFAULT_MAX_DEPTH 64u
#define MAX_ENTITIES 10000u /* entity objects (and entity keys) in one alert */
#define KEY_MAX 32u         /* longer keys name no field we read; <= CORRAL_JSON_STRING_SLACK */
#define ID_SHOWN 80         /* bytes of a systemAlertId quoted in a message */
#define VALUE_SHOWN 60      /* bytes of a bad value quoted in a message */
#define DANGLING_SHOWN 3    /* distinct dangling $ref names quoted in a warning */
#define MAX_WARNINGS 4

/* ---- key tables: the lower-case names of the fields we read ---- */

struct keyname {
    const char *name;
    uint8_t len;
    uint8_t field;
};

/* Members of an alert object (or of a REST envelope's properties, or of a list). */
enum afield {
    A_ID,
    A_SYSTEMALERTID,
    A_ALERTTYPE,
    A_ALERTDISPLAYNAME,
    A_DISPLAYNAME,
    A_ALERTNAME,
    A_PRODUCTCOMPONENTNAME,
    A_SEVERITY,
    A_ALERTSEVERITY,
    A_REPORTEDSEVERITY,
    A_STATUS,
    A_INTENT,
    A_TACTICS,
    A_KILLCHAININTENT,
    A_STARTTIMEUTC,
    A_STARTTIME,
    A_ENDTIMEUTC,
    A_ENDTIME,
    A_TIMEGENERATEDUTC,
    A_TIMEGENERATED,
    A_ENTITIES,
    A_EXTENDEDPROPERTIES,
    A_EXTENDEDLINKS,
    A_REMEDIATIONSTEPS,
    A_RESOURCEIDENTIFIERS,
    A_AZURERESOURCEID,
    A_RESOURCEID,
    A_TENANTID,
    A_WORKSPACESUBSCRIPTIONID,
    A_PROPERTIES,
    A_VALUE,
    A_RESPONSES,
    A_TYPE,
    A_DOLLARTYPE,
    A_SCHEMA,
    A_COUNT
};

/* clang-format off */
#define K(s, f) {s, (uint8_t)(sizeof(s) - 1), (uint8_t)(f)}
/* clang-format on */

static const struct keyname alert_keys[] = {
    K("id", A_ID),
    K("systemalertid", A_SYSTEMALERTID),
    K("alerttype", A_ALERTTYPE),
    K("alertdisplayname", A_ALERTDISPLAYNAME),
    K("displayname", A_DISPLAYNAME),
    K("alertname", A_ALERTNAME),
    K("productcomponentname", A_PRODUCTCOMPONENTNAME),
    K("severity", A_SEVERITY),
    K("alertseverity", A_ALERTSEVERITY),
    K("reportedseverity", A_REPORTEDSEVERITY),
    K("status", A_STATUS),
    K("intent", A_INTENT),
    K("tactics", A_TACTICS),
    K("killchainintent", A_KILLCHAININTENT),
    K("starttimeutc", A_STARTTIMEUTC),
    K("starttime", A_STARTTIME),
    K("endtimeutc", A_ENDTIMEUTC),
    K("endtime", A_ENDTIME),
    K("timegeneratedutc", A_TIMEGENERATEDUTC),
    K("timegenerated", A_TIMEGENERATED),
    K("entities", A_ENTITIES),
    K("extendedproperties", A_EXTENDEDPROPERTIES),
    K("extendedlinks", A_EXTENDEDLINKS),
    K("remediationsteps", A_REMEDIATIONSTEPS),
    K("resourceidentifiers", A_RESOURCEIDENTIFIERS),
    K("azureresourceid", A_AZURERESOURCEID),
    K("resourceid", A_RESOURCEID),
    K("tenantid", A_TENANTID),
    K("workspacesubscriptionid", A_WORKSPACESUBSCRIPTIONID),
    K("properties", A_PROPERTIES),
    K("value", A_VALUE),
    K("responses", A_RESPONSES),
    K("type", A_TYPE),
    K("$type", A_DOLLARTYPE),
    K("$schema", A_SCHEMA),
};

/* Members of an entity object that some entity type reads. */
enum efield {
    E_TYPE,
    E_NAME,
    E_NTDOMAIN,
    E_DNSDOMAIN,
    E_UPNSUFFIX,
    E_SID,
    E_AADUSERID,
    E_OBJECTGUID,
    E_OBJECTTYPE,
    E_ACCOUNTTYPE,
    E_IDENTITYTYPE,
    E_HOSTNAME,
    E_AZUREID,
    E_OMSAGENTID,
    E_ADDRESS,
    E_PROCESSID,
    E_COMMANDLINE,
    E_CREATIONTIMEUTC,
    E_IMAGEFILE,
    E_HOST,
    E_DIRECTORY,
    E_ALGORITHM,
    E_VALUE,
    E_DOMAINNAME,
    E_URL,
    E_RESOURCEID,
    E_CLOUDRESOURCE,
    E_STORAGERESOURCE,
    E_COUNT
};

static const struct keyname entity_keys[] = {
    K("type", E_TYPE),
    K("name", E_NAME),
    K("ntdomain", E_NTDOMAIN),
    K("dnsdomain", E_DNSDOMAIN),
    K("upnsuffix", E_UPNSUFFIX),
    K("sid", E_SID),
    K("aaduserid", E_AADUSERID),
    K("objectguid", E_OBJECTGUID),
    K("objecttype", E_OBJECTTYPE),
    K("accounttype", E_ACCOUNTTYPE),
    K("identitytype", E_IDENTITYTYPE),
    K("hostname", E_HOSTNAME),
    K("azureid", E_AZUREID),
    K("omsagentid", E_OMSAGENTID),
    K("address", E_ADDRESS),
    K("processid", E_PROCESSID),
    K("commandline", E_COMMANDLINE),
    K("creationtimeutc", E_CREATIONTIMEUTC),
    K("imagefile", E_IMAGEFILE),
    K("host", E_HOST),
    K("directory", E_DIRECTORY),
    K("algorithm", E_ALGORITHM),
    K("value", E_VALUE),
    K("domainname", E_DOMAINNAME),
    K("url", E_URL),
    K("resourceid", E_RESOURCEID),
    K("cloudresource", E_CLOUDRESOURCE),
    K("storageresource", E_STORAGERESOURCE),
};

/* Entity types that yield keys; every other type is walked but adds nothing itself. */
enum etype {
    T_OTHER,
    T_ACCOUNT,
    T_HOST,
    T_IP,
    T_PROCESS,
    T_FILEHASH,
    T_DNS,
    T_URL,
    T_AZURE_RESOURCE,
    T_K8S_CLUSTER,
    T_BLOB,
};

static const struct keyname entity_types[] = {
    K("account", T_ACCOUNT),
    K("host", T_HOST),
    K("ip", T_IP),
    K("process", T_PROCESS),
    K("filehash", T_FILEHASH),
    K("dns", T_DNS),
    K("url", T_URL),
    K("azure-resource", T_AZURE_RESOURCE),
    K("k8s-cluster", T_K8S_CLUSTER),
    K("blob-container", T_BLOB),
    K("blob", T_BLOB),
};

/* Members of a resourceIdentifiers item. */
enum rfield {
    R_TYPE,
    R_AZURERESOURCEID,
    R_AZURERESOURCETENANTID,
    R_AADTENANTID,
    R_WORKSPACESUBSCRIPTIONID,
    R_SUBSCRIPTIONID,
    R_COUNT
};

static const struct keyname ident_keys[] = {
    K("type", R_TYPE),
    K("azureresourceid", R_AZURERESOURCEID),
    K("azureresourcetenantid", R_AZURERESOURCETENANTID),
    K("aadtenantid", R_AADTENANTID),
    K("workspacesubscriptionid", R_WORKSPACESUBSCRIPTIONID),
    K("subscriptionid", R_SUBSCRIPTIONID),
};

#undef K

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Each table becomes a perfect hash of its lower-case names: a record's keys
 * are looked up millions of times a second, most of them to learn that we do
 * not read them. A key's length and four of its bytes (its first two and its
 * last two, each with bit 0x20 set so that case does not matter; the names
 * of each table differ in those) are packed into one word and multiplied by
 * the table's seed; the top bits pick a bucket.
 * corral_decoder_new() tries seeds in a fixed order until the table's names
 * land in distinct buckets, so a lookup is one hash, one bucket and at most
 * one comparison, with no probing: a key that is not in the table fails on
 * an empty bucket or on the length.
 */
#define KH_BITS 8u
#define KH_BUCKETS (1u << KH_BITS)
#define KH_NAMES 40u /* names per table, at most */
#define KH_EMPTY 0xffu

/*
 * A name zero-padded to KEY_MAX bytes; care has 0xdf where the name has a letter (case may
 * differ), 0xff at its other bytes and 0 past its end, so that a key compares a word at a time
 * with no branch on its length (json.h: a parsed string is followed by readable bytes).
 */
struct kname {
    uint8_t len;
    uint8_t field;
    unsigned char name[KEY_MAX];
    unsigned char care[KEY_MAX];
};

_Static_assert(KEY_MAX <= CORRAL_JSON_STRING_SLACK, "key_equal() reads KEY_MAX bytes of a key");

struct khash {
    uint64_t seed;
    uint8_t bucket[KH_BUCKETS]; /* index into names, or KH_EMPTY */
    struct kname names[KH_NAMES];
};

/*
 * What corral_entities_key_names_ip() said about recent extendedProperties
 * keys. A stream repeats the same few keys in every alert, and splitting a key
 * into words costs more than the rest of the alert's properties together.
 */
#define IPKEY_SLOTS 64u
#define IPKEY_MAX 46u

struct ipkey_memo {
    uint8_t len; /* 0 = empty */
    uint8_t names_ip;
    char key[IPKEY_MAX];
};

/*
 * What the catalog said about recent alert types it does not know. Their
 * signals come from the text rules, which cut the type and display name into
 * words and match some fifty phrases: thousands of instructions, where a
 * known type costs one hash lookup. A stream repeats each new type many
 * times, so the answer is remembered per (type, display name, component),
 * compared in full, in a small direct-mapped table.
 */
#define CLS_BITS 6u
#define CLS_SLOTS (1u << CLS_BITS)
#define CLS_TEXT 184u /* type + name + component bytes that a slot can hold */

struct cls_memo {
    uint16_t type_len, name_len, comp_len; /* all 0 = empty (an empty type is never kept) */
    struct corral_classification cls;
    char text[CLS_TEXT];
};

/* The tactics that recent intent strings name (a stream repeats a few of them). */
#define TACTIC_BITS 6u
#define TACTIC_TEXT 59u

struct tactic_memo {
    uint8_t len; /* 0 = empty */
    char text[TACTIC_TEXT];
    uint32_t bits;
};

struct corral_decoder {
    const corral_catalog *catalog;
    struct corral_decoder_limits limits;
    corral_json_parser *record; /* the record */
    corral_json_parser *column; /* JSON-in-string columns, so the record's strings stay valid */
    corral_arena *arena;        /* one alert's allocations; reset per alert */
    struct khash alert_keys, entity_keys, entity_types, ident_keys;
    struct ipkey_memo ipkeys[IPKEY_SLOTS];
    struct cls_memo classes[CLS_SLOTS];
    struct tactic_memo tactics[1u << TACTIC_BITS];
};

static unsigned char lower_ascii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/*
 * A hash of the length and three lower-cased bytes (first, middle, last): it
 * costs the same for every key, and the names of one table differ in those.
 * A full comparison confirms every hit.
 */
static uint32_t key_hash(const char *s, size_t len)
{
    uint32_t h = (uint32_t)len * 0x9e3779b1u;
    h ^= lower_ascii((unsigned char)s[0]);
    h = h * 0x01000193u ^ lower_ascii((unsigned char)s[len / 2]);
    h = h * 0x01000193u ^ lower_ascii((unsigned char)s[len - 1]);
    return h ^ (h >> 15);
}

static uint64_t load64(const void *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

static uint32_t load32(const void *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

static uint16_t load16(const void *p)
{
    uint16_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Bytes p[0..len) of a 1..8-byte string in one word, as two overlapping loads (never past len). */
static uint64_t load_short(const void *p, size_t len)
{
    const unsigned char *b = p;
    if (len >= 4) {
        return load32(b) | (uint64_t)load32(b + len - 4) << 32;
    }
    if (len >= 2) {
        return load16(b) | (uint64_t)load16(b + len - 2) << 16;
    }
    return b[0];
}

/* The bucket of key[0..len) (1..KEY_MAX bytes) under seed. */
static uint32_t key_bucket(uint64_t seed, const char *key, size_t len)
{
    uint32_t ends = len >= 2 ? load16(key) | (uint32_t)load16(key + len - 2) << 16
                             : (uint32_t)(unsigned char)key[0] * 0x01010101u;
    uint64_t x = (uint64_t)(ends | 0x20202020u) | (uint64_t)len << 32;
    return (uint32_t)((x * seed) >> (64 - KH_BITS));
}

/* Fill h with the n (<= KH_NAMES) names of tab; 0, or -1 when no seed separates them. */
static int khash_build(struct khash *h, const struct keyname *tab, size_t n)
{
    memset(h, 0, sizeof *h);
    if (n > KH_NAMES) {
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        /* Names are 1..KEY_MAX bytes of lower-case ASCII. */
        struct kname *e = &h->names[k];
        e->len = tab[k].len;
        e->field = tab[k].field;
        memcpy(e->name, tab[k].name, tab[k].len);
        for (size_t j = 0; j < tab[k].len; j++) {
            e->care[j] = (tab[k].name[j] >= 'a' && tab[k].name[j] <= 'z') ? 0xdf : 0xff;
        }
    }
    /* Odd seeds from a fixed sequence: the first that works, the same in every run. */
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (unsigned tries = 0; tries < 100000; tries++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t odd = seed | 1;
        memset(h->bucket, KH_EMPTY, sizeof h->bucket);
        size_t k = 0;
        for (; k < n; k++) {
            uint32_t b = key_bucket(odd, tab[k].name, tab[k].len);
            if (h->bucket[b] != KH_EMPTY) {
                break;
            }
            h->bucket[b] = (uint8_t)k;
        }
        if (k == n) {
            h->seed = odd;
            return 0;
        }
    }
    return -1;
}

/*
 * key[0..len) equals the name (len being the name's length), ASCII case-insensitively: a byte
 * may differ from the name only in bit 0x20 and only where the name has a letter (so 'T'
 * matches 't', but '\r' never matches '-'). The bytes past len are read and ignored: a key is
 * a parsed string, followed by CORRAL_JSON_STRING_SLACK (>= KEY_MAX) readable bytes.
 */
static inline __attribute__((always_inline)) int key_equal(const struct kname *e, const char *key,
                                                           size_t len)
{
    uint64_t diff = ((load64(key) ^ load64(e->name)) & load64(e->care)) |
                    ((load64(key + 8) ^ load64(e->name + 8)) & load64(e->care + 8));
    if (len > 16) {
        diff |= ((load64(key + 16) ^ load64(e->name + 16)) & load64(e->care + 16)) |
                ((load64(key + 24) ^ load64(e->name + 24)) & load64(e->care + 24));
    }
    return diff == 0;
}

/* The field a key names (case-insensitive), or -1. */
static inline __attribute__((always_inline)) int lookup(const struct khash *h, const char *key,
                                                        size_t len)
{
    if (len == 0 || len > KEY_MAX) {
        return -1;
    }
    uint8_t at = h->bucket[key_bucket(h->seed, key, len)];
    if (at == KH_EMPTY) {
        return -1;
    }
    const struct kname *e = &h->names[at];
    return e->len == len && key_equal(e, key, len) ? e->field : -1;
}

/* ---- small helpers over nodes ---- */

typedef struct corral_json_node jnode;

static struct corral_str mkstr(const char *s, size_t len)
{
    struct corral_str r = {s, len};
    return r;
}

/* The string at node i, or empty when i is 0 or not a string. */
static struct corral_str str_at(const jnode *nodes, uint32_t i)
{
    if (i == 0 || nodes[i].type != CORRAL_JSON_STRING) {
        return mkstr(NULL, 0);
    }
    return mkstr(nodes[i].v.s, nodes[i].len);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static struct corral_str trim(struct corral_str s)
{
    while (s.len > 0 && is_space(s.s[0])) {
        s.s++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.s[s.len - 1])) {
        s.len--;
    }
    return s;
}

/* Case-insensitive equality with a lower-case literal, ignoring spaces in s. */
static int names(struct corral_str s, const char *lower)
{
    size_t j = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = lower_ascii((unsigned char)s.s[i]);
        if (c == ' ') {
            continue;
        }
        if (lower[j] == '\0' || c != (unsigned char)lower[j]) {
            return 0;
        }
        j++;
    }
    return lower[j] == '\0';
}

/*
 * Fill slots[field] (all 0 on entry) with the value index of each member of obj that tab names
 * (first wins). For the alert's keys, *camel_alert_type is set when the member that gave the
 * alert type is spelled "alertType" exactly (its key is the node before its value).
 */
static void scan_members(const jnode *nodes, uint32_t obj, const struct khash *tab, uint32_t *slots,
                         int *camel_alert_type)
{
    uint32_t j = obj + 1;
    for (uint32_t m = 0; m < nodes[obj].len; m++) {
        const jnode *k = &nodes[j];
        int f = lookup(tab, k->v.s, k->len);
        if (f >= 0 && slots[f] == 0) {
            slots[f] = j + 1;
        }
        j = nodes[j + 1].next;
    }
    if (camel_alert_type != NULL && slots[A_ALERTTYPE] != 0) {
        const jnode *k = &nodes[slots[A_ALERTTYPE] - 1];
        if (k->len == 9 && memcmp(k->v.s, "alertType", 9) == 0) {
            *camel_alert_type = 1;
        }
    }
}

/* The value of member `lower` of obj (0 when absent); a small-object helper off the hot path. */
static uint32_t member(const jnode *nodes, uint32_t obj, const char *lower)
{
    if (nodes[obj].type != CORRAL_JSON_OBJECT) {
        return 0;
    }
    uint32_t j = obj + 1;
    for (uint32_t m = 0; m < nodes[obj].len; m++) {
        if (corral_json_key_is(&nodes[j], lower)) {
            return j + 1;
        }
        j = nodes[j + 1].next;
    }
    return 0;
}

/* ---- one document of an alert: the record, or a JSON-in-string column ---- */

struct iddef {
    const char *name;
    uint32_t len;
    uint32_t node; /* the object that carries "$id" */
};

enum { MARK_NONE = 0, MARK_PATH, MARK_DONE };

struct wdoc {
    const jnode *nodes;
    uint32_t lo, hi;    /* the alert's node range in this document */
    uint8_t *mark;      /* walk marks of nodes lo..hi-1 */
    struct iddef *defs; /* $id definitions sorted by (name, node) */
    uint32_t n_defs;
};

/* A process entity, keyed once the alert's vm is known. */
struct pending {
    struct wdoc *doc;
    uint32_t node;
    uint32_t f[E_COUNT]; /* its fields, as the walk found them */
};

/* A host entity already added, and its vm key, for the processes that name it. */
struct host_seen {
    const struct wdoc *doc;
    uint32_t node;
    struct corral_str vm;
};

/*
 * The last few ids or addresses added: one alert repeats the same resource id
 * (AzureResourceId, its identifier, a host's AzureID, an azure-resource
 * entity), often in another case, and the same address (an ip entity,
 * extendedProperties), and normalizing costs more than comparing. Resource
 * ids that differ only in ASCII case name the same entities (normalizing
 * lower-cases them and matches their segments case-insensitively), so they
 * are compared that way; addresses are compared as written.
 */
#define RECENT 4

struct recent {
    struct corral_str s[RECENT];
    uint32_t n;
};

/* 1 when s was noted lately (ASCII case ignored when nocase); else notes it and returns 0. */
static int seen_recently(struct recent *r, struct corral_str s, int nocase)
{
    for (uint32_t i = 0; i < r->n && i < RECENT; i++) {
        if (r->s[i].len == s.len && (nocase ? corral_ascii_equal_nocase(r->s[i].s, s.s, s.len)
                                            : memcmp(r->s[i].s, s.s, s.len) == 0)) {
            return 1;
        }
    }
    r->s[r->n++ % RECENT] = s;
    return 0;
}

struct actx {
    corral_decoder *dec;
    const struct corral_decode_sink *sink;
    const char *source;
    size_t line;
    unsigned index;       /* position in its record's list; 0 for a lone alert */
    struct corral_str id; /* systemAlertId, once known */
    struct corral_entity_set set;
    uint32_t n_objects; /* entity objects walked */
    struct pending *procs;
    uint32_t n_procs, cap_procs;
    struct host_seen *hosts;
    uint32_t n_hosts, cap_hosts;
    struct recent resources, ips;
    /* $id / $ref findings over all documents of the alert */
    uint32_t n_dup_names;
    struct corral_str dup_name;
    uint32_t n_dangling_refs, n_dangling_names;
    struct corral_str dangling[DANGLING_SHOWN];
    /* outcome */
    int nomem;
    unsigned n_warn;
    /* Not zeroed per alert (decode_alert() clears up to here): reject() and warn() fill them. */
    struct corral_diag error;
    struct corral_diag warn[MAX_WARNINGS];
};

/* The message prefix that says which alert: "alert #2 (id): ", "alert id: " or "". */
static void alert_prefix(const struct actx *a, char *out, size_t size)
{
    int idlen = a->id.len > ID_SHOWN ? ID_SHOWN : (int)a->id.len;
    if (a->index > 0 && idlen > 0) {
        snprintf(out, size, "alert #%u (%.*s): ", a->index, idlen, a->id.s);
    } else if (a->index > 0) {
        snprintf(out, size, "alert #%u: ", a->index);
    } else if (idlen > 0) {
        snprintf(out, size, "alert %.*s: ", idlen, a->id.s);
    } else {
        out[0] = '\0';
    }
}

__attribute__((format(printf, 4, 0))) static void
describe(const struct actx *a, struct corral_diag *dg, corral_err code, const char *fmt, va_list ap)
{
    char prefix[128];
    char reason[224];
    alert_prefix(a, prefix, sizeof prefix);
    vsnprintf(reason, sizeof reason, fmt, ap);
    corral_diag_set(dg, code, a->line, 0, "%s%s", prefix, reason);
}

/* Reject the alert: fills a->error; returns -1 for the caller to pass up. */
__attribute__((format(printf, 3, 4))) static int reject(struct actx *a, corral_err code,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    describe(a, &a->error, code, fmt, ap);
    va_end(ap);
    return -1;
}

/* Note a warning, emitted only if the alert is delivered. */
__attribute__((format(printf, 3, 4))) static void warn(struct actx *a, corral_err code,
                                                       const char *fmt, ...)
{
    if (a->n_warn == MAX_WARNINGS) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    describe(a, &a->warn[a->n_warn++], code, fmt, ap);
    va_end(ap);
}

static int oom(struct actx *a)
{
    a->nomem = 1;
    return -1;
}

/* Pass on what an entities.h function said: only out-of-memory (or a 4 GiB key) stops us. */
static int check(struct actx *a, corral_err err)
{
    if (err == CORRAL_OK) {
        return 0;
    }
    if (err == CORRAL_ERR_NOMEM) {
        return oom(a);
    }
    return reject(a, err, "an entity key is too large");
}

/* ---- $id / $ref ---- */

static int key_is_dollar(const jnode *k, const char *lower_rest, size_t rest)
{
    if (k->len != rest + 1 || k->v.s[0] != '$') {
        return 0;
    }
    for (size_t i = 0; i < rest; i++) {
        if (lower_ascii((unsigned char)k->v.s[i + 1]) != (unsigned char)lower_rest[i]) {
            return 0;
        }
    }
    return 1;
}

/* When obj is {"$ref":"n"} (its only member), *name = n and 1. */
static int is_ref(const jnode *nodes, uint32_t obj, struct corral_str *name)
{
    if (nodes[obj].type != CORRAL_JSON_OBJECT || nodes[obj].len != 1 ||
        !key_is_dollar(&nodes[obj + 1], "ref", 3) || nodes[obj + 2].type != CORRAL_JSON_STRING) {
        return 0;
    }
    *name = mkstr(nodes[obj + 2].v.s, nodes[obj + 2].len);
    return 1;
}

static int compare_def(const void *x, const void *y)
{
    const struct iddef *a = x;
    const struct iddef *b = y;
    if (a->len != b->len) {
        return a->len < b->len ? -1 : 1;
    }
    int c = a->len == 0 ? 0 : memcmp(a->name, b->name, a->len);
    if (c != 0) {
        return c;
    }
    return a->node < b->node ? -1 : (a->node > b->node ? 1 : 0);
}

/* Sort by (name, node): insertion sort for the usual handful, qsort beyond. */
static void sort_defs(struct iddef *defs, uint32_t n)
{
    if (n > 32) {
        qsort(defs, n, sizeof *defs, compare_def);
        return;
    }
    for (uint32_t i = 1; i < n; i++) {
        struct iddef x = defs[i];
        uint32_t j = i;
        while (j > 0 && compare_def(&defs[j - 1], &x) > 0) {
            defs[j] = defs[j - 1];
            j--;
        }
        defs[j] = x;
    }
}

/*
 * The $id object that a {"$ref":name} at node `at` stands for: the nearest
 * definition before it, else the first after it; 0 when there is none.
 */
static uint32_t find_def(const struct wdoc *d, struct corral_str name, uint32_t at)
{
    struct iddef key = {name.s, (uint32_t)name.len, at};
    size_t lo = 0;
    size_t hi = d->n_defs;
    while (lo < hi) { /* first def >= (name, at) */
        size_t mid = lo + (hi - lo) / 2;
        if (compare_def(&d->defs[mid], &key) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo > 0 && d->defs[lo - 1].len == name.len &&
        (name.len == 0 || memcmp(d->defs[lo - 1].name, name.s, name.len) == 0)) {
        return d->defs[lo - 1].node;
    }
    if (lo < d->n_defs && d->defs[lo].len == name.len &&
        (name.len == 0 || memcmp(d->defs[lo].name, name.s, name.len) == 0)) {
        return d->defs[lo].node;
    }
    return 0;
}

/* Node i itself, or the object it refers to when it is a $ref; 0 for a dangling $ref. */
static uint32_t deref(const struct wdoc *d, uint32_t i)
{
    struct corral_str name;
    if (i == 0 || !is_ref(d->nodes, i, &name)) {
        return i;
    }
    return find_def(d, name, i);
}

/* Grow an arena array of `size`-byte items to hold one more. */
static void *grow(corral_arena *arena, void *items, uint32_t n, uint32_t *cap, size_t size)
{
    if (n < *cap) {
        return items;
    }
    uint32_t ncap = *cap == 0 ? 16 : *cap * 2;
    void *p = corral_arena_alloc(arena, (size_t)ncap * size);
    if (p == NULL) {
        return NULL;
    }
    if (n > 0) {
        memcpy(p, items, (size_t)n * size);
    }
    *cap = ncap;
    return p;
}

static void note_dangling(struct actx *a, struct corral_str name)
{
    a->n_dangling_refs++;
    for (uint32_t i = 0; i < a->n_dangling_names && i < DANGLING_SHOWN; i++) {
        if (a->dangling[i].len == name.len &&
            (name.len == 0 || memcmp(a->dangling[i].s, name.s, name.len) == 0)) {
            return;
        }
    }
    if (a->n_dangling_names < DANGLING_SHOWN) {
        a->dangling[a->n_dangling_names] = name;
    }
    a->n_dangling_names++;
}

/*
 * Set up a document of the alert: walk marks for nodes lo..hi-1, and every
 * $id in that range registered; duplicates and $refs to nothing noted. The
 * parser listed the members whose key starts with '$' (most exports have
 * none), so only those are visited.
 */
static int prepare_doc(struct actx *a, struct wdoc *d, const jnode *nodes, uint32_t lo, uint32_t hi,
                       const corral_json_parser *parser)
{
    corral_arena *arena = a->dec->arena;
    d->nodes = nodes;
    d->lo = lo;
    d->hi = hi;
    d->defs = NULL;
    d->n_defs = 0;
    d->mark = corral_arena_alloc(arena, hi - lo);
    if (d->mark == NULL) {
        return oom(a);
    }
    memset(d->mark, MARK_NONE, hi - lo);

    uint32_t n_dollar = 0;
    const struct corral_json_member *dollar = corral_json_dollar_members(parser, &n_dollar);
    uint32_t cap_defs = 0;
    uint32_t *refs = NULL;
    uint32_t n_refs = 0;
    uint32_t cap_refs = 0;
    /* The list is in document order: find the range's first member (its keys lie in the range
     * exactly when their objects do, the range being a whole value). */
    uint32_t first = 0;
    uint32_t past = n_dollar;
    while (first < past) {
        const uint32_t mid = first + (past - first) / 2;
        if (dollar[mid].key <= lo) {
            first = mid + 1;
        } else {
            past = mid;
        }
    }
    for (uint32_t at = first; at < n_dollar && dollar[at].key < hi; at++) {
        const uint32_t i = dollar[at].object;
        const jnode *k = &nodes[dollar[at].key];
        const jnode *v = k + 1;
        /* Lengths first: they are in the node, the key's bytes are elsewhere. */
        if ((k->len == 3 || k->len == 4) && k->v.s[0] == '$' && v->type == CORRAL_JSON_STRING) {
            if (key_is_dollar(k, "id", 2)) {
                d->defs = grow(arena, d->defs, d->n_defs, &cap_defs, sizeof *d->defs);
                if (d->defs == NULL) {
                    return oom(a);
                }
                d->defs[d->n_defs++] = (struct iddef){v->v.s, v->len, i};
            } else if (nodes[i].len == 1 && key_is_dollar(k, "ref", 3)) {
                refs = grow(arena, refs, n_refs, &cap_refs, sizeof *refs);
                if (refs == NULL) {
                    return oom(a);
                }
                refs[n_refs++] = i;
            }
        }
    }
    if (d->n_defs > 1) {
        sort_defs(d->defs, d->n_defs);
        /* Each run of one name past its first definition is a duplicate; the warning names
         * the one redefined first in document order. */
        uint32_t first_dup = UINT32_MAX;
        uint32_t n_dup = 0;
        for (uint32_t i = 1; i < d->n_defs; i++) {
            const struct iddef *p = &d->defs[i - 1];
            const struct iddef *q = &d->defs[i];
            int same = p->len == q->len && (p->len == 0 || memcmp(p->name, q->name, p->len) == 0);
            int second =
                i < 2 || !(d->defs[i - 2].len == p->len &&
                           (p->len == 0 || memcmp(d->defs[i - 2].name, p->name, p->len) == 0));
            if (same && second) {
                n_dup++;
                if (q->node < first_dup) {
                    first_dup = q->node;
                    if (a->n_dup_names == 0) {
                        a->dup_name = mkstr(q->name, q->len);
                    }
                }
            }
        }
        a->n_dup_names += n_dup;
    }
    for (uint32_t r = 0; r < n_refs; r++) {
        struct corral_str name = mkstr(nodes[refs[r] + 2].v.s, nodes[refs[r] + 2].len);
        if (find_def(d, name, refs[r]) == 0) {
            note_dangling(a, name);
        }
    }
    return 0;
}

/* ---- entities ---- */

static struct corral_str estr(const struct wdoc *d, const uint32_t *f, enum efield e)
{
    return str_at(d->nodes, f[e]);
}

static enum etype entity_type(const corral_decoder *dec, struct corral_str type)
{
    int t = lookup(&dec->entity_types, type.s, type.len);
    return t < 0 ? T_OTHER : (enum etype)t;
}

/* A resource id given as a string, or as an object (azure-resource entity) with ResourceId. */
static struct corral_str resource_of(const struct wdoc *d, uint32_t v)
{
    v = deref(d, v);
    if (v == 0) {
        return mkstr(NULL, 0);
    }
    if (d->nodes[v].type == CORRAL_JSON_STRING) {
        return str_at(d->nodes, v);
    }
    return str_at(d->nodes, member(d->nodes, v, "resourceid"));
}

/* Add the entities of a resource id, unless the same text was just added. */
static int add_resource(struct actx *a, struct corral_str id)
{
    if (id.len == 0 || seen_recently(&a->resources, id, 1)) {
        return 0;
    }
    return check(a, corral_entities_add_resource(&a->set, id.s, id.len));
}

/* Add an address, unless the same text was just added. */
static int add_ip(struct actx *a, struct corral_str ip)
{
    if (ip.len == 0 || seen_recently(&a->ips, ip, 0)) {
        return 0;
    }
    return check(a, corral_entities_add_ip(&a->set, ip.s, ip.len));
}

static int says_service_principal(struct corral_str s)
{
    return names(s, "serviceprincipal") || names(s, "application");
}

static int add_account(struct actx *a, const struct wdoc *d, const uint32_t *f)
{
    struct corral_account_fields af = {
        .name = estr(d, f, E_NAME),
        .nt_domain = estr(d, f, E_NTDOMAIN),
        .dns_domain = estr(d, f, E_DNSDOMAIN),
        .upn_suffix = estr(d, f, E_UPNSUFFIX),
        .sid = estr(d, f, E_SID),
        .aad_user_id = estr(d, f, E_AADUSERID),
        .object_guid = estr(d, f, E_OBJECTGUID),
        .says_service_principal = says_service_principal(estr(d, f, E_OBJECTTYPE)) ||
                                  says_service_principal(estr(d, f, E_ACCOUNTTYPE)) ||
                                  says_service_principal(estr(d, f, E_IDENTITYTYPE)),
    };
    return check(a, corral_entities_add_account(&a->set, &af, NULL));
}

static int add_host(struct actx *a, const struct wdoc *d, const uint32_t *f,
                    struct corral_str *vm_key)
{
    struct corral_host_fields hf = {
        .azure_id = estr(d, f, E_AZUREID),
        .oms_agent_id = estr(d, f, E_OMSAGENTID),
        .host_name = estr(d, f, E_HOSTNAME),
        .dns_domain = estr(d, f, E_DNSDOMAIN),
    };
    /* The AzureID adds what the same id adds through add_resource(): no need to add it again. */
    if (hf.azure_id.len > 0) {
        (void)seen_recently(&a->resources, hf.azure_id, 1);
    }
    return check(a, corral_entities_add_host(&a->set, &hf, vm_key));
}

/* The keys one entity object yields by itself (nested entities are walked separately). */
static int add_entity(struct actx *a, struct wdoc *d, uint32_t obj, const uint32_t *f)
{
    struct corral_str s;
    switch (entity_type(a->dec, estr(d, f, E_TYPE))) {
    case T_ACCOUNT:
        return add_account(a, d, f);
    case T_HOST: {
        struct corral_str vm = {NULL, 0};
        if (add_host(a, d, f, &vm) != 0) {
            return -1;
        }
        a->hosts = grow(a->dec->arena, a->hosts, a->n_hosts, &a->cap_hosts, sizeof *a->hosts);
        if (a->hosts == NULL) {
            return oom(a);
        }
        a->hosts[a->n_hosts++] = (struct host_seen){d, obj, vm};
        return 0;
    }
    case T_IP:
        return add_ip(a, estr(d, f, E_ADDRESS));
    case T_PROCESS:
        a->procs = grow(a->dec->arena, a->procs, a->n_procs, &a->cap_procs, sizeof *a->procs);
        if (a->procs == NULL) {
            return oom(a);
        }
        a->procs[a->n_procs].doc = d;
        a->procs[a->n_procs].node = obj;
        memcpy(a->procs[a->n_procs].f, f, sizeof a->procs[a->n_procs].f);
        a->n_procs++;
        return 0;
    case T_FILEHASH: {
        struct corral_str alg = estr(d, f, E_ALGORITHM);
        s = estr(d, f, E_VALUE);
        return check(a, corral_entities_add_filehash(&a->set, alg.s, alg.len, s.s, s.len));
    }
    case T_DNS:
        s = estr(d, f, E_DOMAINNAME);
        return check(a, corral_entities_add_domain(&a->set, s.s, s.len));
    case T_URL:
        s = estr(d, f, E_URL);
        return check(a, corral_entities_add_url(&a->set, s.s, s.len));
    case T_AZURE_RESOURCE:
        return add_resource(a, estr(d, f, E_RESOURCEID));
    case T_K8S_CLUSTER:
        s = trim(resource_of(d, f[E_CLOUDRESOURCE]));
        if (s.len > 0) {
            return add_resource(a, s);
        }
        s = trim(estr(d, f, E_NAME));
        if (s.len > 0) {
            char *low = corral_arena_alloc(a->dec->arena, s.len);
            if (low == NULL) {
                return oom(a);
            }
            corral_ascii_copy_lower(low, s.s, s.len);
            return check(a, corral_entity_set_add(&a->set, CORRAL_ENT_CLUSTER, low, s.len));
        }
        return 0;
    case T_BLOB:
        return add_resource(a, trim(resource_of(d, f[E_STORAGERESOURCE])));
    case T_OTHER:
        break;
    }
    return 0;
}

/*
 * Walk node i and everything nested in it (following $refs), adding the keys
 * of each entity object once. An object met again while it is still on the
 * path is a cycle.
 */
static int walk(struct actx *a, struct wdoc *d, uint32_t i, unsigned depth)
{
    const jnode *nodes = d->nodes;
    if (depth > a->dec->limits.max_depth) {
        return reject(a, CORRAL_ERR_DEPTH,
                      "entities nest deeper than the limit of %u levels through $ref",
                      a->dec->limits.max_depth);
    }
    if (nodes[i].type == CORRAL_JSON_ARRAY) {
        uint32_t j = i + 1;
        for (uint32_t m = 0; m < nodes[i].len; m++) {
            if (walk(a, d, j, depth + 1) != 0) {
                return -1;
            }
            j = nodes[j].next;
        }
        return 0;
    }
    if (nodes[i].type != CORRAL_JSON_OBJECT) {
        return 0;
    }
    struct corral_str ref = {NULL, 0};
    if (is_ref(nodes, i, &ref)) {
        i = find_def(d, ref, i);
        if (i == 0) {
            return 0; /* dangling: noted once per alert, read as absent */
        }
    }
    uint8_t *mark = &d->mark[i - d->lo];
    if (*mark == MARK_DONE) {
        return 0;
    }
    if (*mark == MARK_PATH) {
        if (ref.s == NULL) {
            return reject(a, CORRAL_ERR_REF, "cycle of nested entities");
        }
        return reject(a, CORRAL_ERR_REF,
                      "cycle of $ref \"%.*s\": an entity refers back to itself through it",
                      ref.len > VALUE_SHOWN ? VALUE_SHOWN : (int)ref.len, ref.s);
    }
    *mark = MARK_PATH;

    /*
     * Entity objects are those whose (first) Type is a string. Nearly every
     * object walked is one, so its fields are read in one pass, without a
     * first pass that looks for the Type alone.
     */
    uint32_t f[E_COUNT] = {0};
    scan_members(nodes, i, &a->dec->entity_keys, f, NULL);
    if (str_at(nodes, f[E_TYPE]).len > 0) {
        if (++a->n_objects > MAX_ENTITIES) {
            return reject(a, CORRAL_ERR_TOO_LARGE, "more than %u entities", MAX_ENTITIES);
        }
        if (add_entity(a, d, i, f) != 0) {
            return -1;
        }
    }
    /*
     * An object of 2 * len + 1 nodes has one-node values only: scalars or empty containers,
     * which hold no entity and, within the depth limit, cannot be refused. Most entities are
     * such flat objects; their members need no second look.
     */
    if (nodes[i].next == i + 1 + 2 * nodes[i].len && depth < a->dec->limits.max_depth) {
        *mark = MARK_DONE;
        return 0;
    }
    uint32_t j = i + 1;
    for (uint32_t m = 0; m < nodes[i].len; m++) {
        uint32_t v = j + 1;
        if (nodes[v].type == CORRAL_JSON_OBJECT || nodes[v].type == CORRAL_JSON_ARRAY) {
            if (walk(a, d, v, depth + 1) != 0) {
                return -1;
            }
        }
        j = nodes[v].next;
    }
    *mark = MARK_DONE;
    return 0;
}

/* The alert's vm key when it names exactly one vm; empty otherwise. */
static struct corral_str single_vm(const struct actx *a)
{
    struct corral_str vm = {NULL, 0};
    for (uint32_t i = 0; i < a->set.n; i++) {
        const struct corral_entity *e = &a->set.items[i];
        if (e->type != CORRAL_ENT_VM) {
            continue;
        }
        if (vm.s == NULL) {
            vm = mkstr(e->key, e->len);
        } else if (vm.len != e->len || memcmp(vm.s, e->key, e->len) != 0) {
            return mkstr(NULL, 0);
        }
    }
    return vm;
}

/* ImageFile's Directory + separator + Name, or Name alone; empty when there is no file. */
static int image_path(struct actx *a, const struct wdoc *d, uint32_t image, struct corral_str *out)
{
    *out = mkstr(NULL, 0);
    image = deref(d, image);
    if (image == 0 || d->nodes[image].type != CORRAL_JSON_OBJECT) {
        return 0;
    }
    uint32_t f[E_COUNT] = {0};
    scan_members(d->nodes, image, &a->dec->entity_keys, f, NULL);
    struct corral_str dir = trim(estr(d, f, E_DIRECTORY));
    struct corral_str name = trim(estr(d, f, E_NAME));
    if (name.len == 0) {
        return 0;
    }
    if (dir.len == 0) {
        *out = name;
        return 0;
    }
    char sep = memchr(dir.s, '\\', dir.len) != NULL ? '\\' : '/';
    int has_sep = dir.s[dir.len - 1] == '\\' || dir.s[dir.len - 1] == '/';
    char *p = corral_arena_alloc(a->dec->arena, dir.len + 1 + name.len);
    if (p == NULL) {
        return oom(a);
    }
    memcpy(p, dir.s, dir.len);
    size_t at = dir.len;
    if (!has_sep) {
        p[at++] = sep;
    }
    memcpy(p + at, name.s, name.len);
    *out = mkstr(p, at + name.len);
    return 0;
}

static int add_process(struct actx *a, const struct pending *p, struct corral_str alert_vm)
{
    const struct wdoc *d = p->doc;
    const uint32_t *f = p->f;

    struct corral_process_fields pf = {.vm_key = alert_vm};
    uint32_t host = deref(d, f[E_HOST]);
    int known = 0;
    for (uint32_t i = 0; i < a->n_hosts && host != 0; i++) {
        if (a->hosts[i].doc == d && a->hosts[i].node == host) {
            known = 1;
            if (a->hosts[i].vm.len > 0) {
                pf.vm_key = a->hosts[i].vm;
            }
            break;
        }
    }
    if (!known && host != 0 && d->nodes[host].type == CORRAL_JSON_OBJECT) {
        /* A host object without a Type of its own: the walk did not take it for a host. */
        uint32_t hf[E_COUNT] = {0};
        scan_members(d->nodes, host, &a->dec->entity_keys, hf, NULL);
        if (estr(d, hf, E_TYPE).len == 0) {
            struct corral_str vm = {NULL, 0};
            if (add_host(a, d, hf, &vm) != 0) {
                return -1;
            }
            if (vm.len > 0) {
                pf.vm_key = vm;
            }
        }
    }
    char number[32];
    const jnode *pid = f[E_PROCESSID] != 0 ? &d->nodes[f[E_PROCESSID]] : NULL;
    if (pid != NULL && pid->type == CORRAL_JSON_STRING) {
        pf.process_id = mkstr(pid->v.s, pid->len);
    } else if (pid != NULL && pid->type == CORRAL_JSON_INT) {
        int n = snprintf(number, sizeof number, "%lld", (long long)pid->v.i);
        pf.process_id = mkstr(number, (size_t)n);
    } else if (pid != NULL && pid->type == CORRAL_JSON_UINT) {
        int n = snprintf(number, sizeof number, "%llu", (unsigned long long)pid->v.u);
        pf.process_id = mkstr(number, (size_t)n);
    }
    pf.creation_time = estr(d, f, E_CREATIONTIMEUTC);
    pf.command_line = estr(d, f, E_COMMANDLINE);
    if (image_path(a, d, f[E_IMAGEFILE], &pf.image_path) != 0) {
        return -1;
    }
    return check(a, corral_entities_add_process(&a->set, &pf));
}

/* What separates addresses in an extendedProperties value ("1.2.3.4, 5.6.7.8", a JSON list). */
static int is_ip_separator(char c)
{
    return c == ',' || c == ';' || c == '[' || c == ']' || c == '"' || is_space(c);
}

/* The high bit of each byte of w (case folded) that is an 'i' followed by a 'p' in w. */
static uint64_t ip_pairs(uint64_t w)
{
    w |= CORRAL_ASCII_ONES * 0x20; /* only 'I' and 'i' fold to 'i', 'P' and 'p' to 'p' */
    return corral_ascii_bytes_equal(w, 'i') & (corral_ascii_bytes_equal(w, 'p') >> 8);
}

/* A cheap first look: every key that names an IP has "ip" in it (any case). */
static int may_name_ip(const char *k, size_t len)
{
    if (len >= 8) {
        /* Seven bytes apart, so that every pair lies whole in some word. */
        for (size_t i = 0; i + 8 <= len; i += 7) {
            if (ip_pairs(corral_ascii_load64(k + i)) != 0) {
                return 1;
            }
        }
        return ip_pairs(corral_ascii_load64(k + len - 8)) != 0;
    }
    for (size_t i = 0; i + 1 < len; i++) {
        if ((k[i] | 0x20) == 'i' && (k[i + 1] | 0x20) == 'p') {
            return 1;
        }
    }
    return 0;
}

/* corral_entities_key_names_ip(), remembered per decoder for short keys (exact bytes: case
 * matters). */
static int key_names_ip(corral_decoder *dec, const char *k, size_t len)
{
    if (!may_name_ip(k, len)) {
        return 0;
    }
    if (len > IPKEY_MAX) {
        return corral_entities_key_names_ip(k, len);
    }
    struct ipkey_memo *m = &dec->ipkeys[key_hash(k, len) & (IPKEY_SLOTS - 1)];
    if (m->len == len && memcmp(m->key, k, len) == 0) {
        return m->names_ip;
    }
    m->len = (uint8_t)len;
    memcpy(m->key, k, len);
    m->names_ip = corral_entities_key_names_ip(k, len) ? 1 : 0;
    return m->names_ip;
}

/* extendedProperties: every value of a key that names an IP, split into addresses. */
static int add_property_ips(struct actx *a, const jnode *nodes, uint32_t obj)
{
    uint32_t j = obj + 1;
    for (uint32_t m = 0; m < nodes[obj].len; m++) {
        const jnode *k = &nodes[j];
        const jnode *v = &nodes[j + 1];
        if (v->type == CORRAL_JSON_STRING && key_names_ip(a->dec, k->v.s, k->len)) {
            const char *s = v->v.s;
            size_t i = 0;
            while (i < v->len) {
                while (i < v->len && is_ip_separator(s[i])) {
                    i++;
                }
                size_t b = i;
                while (i < v->len && !is_ip_separator(s[i])) {
                    i++;
                }
                if (i > b && add_ip(a, mkstr(s + b, i - b)) != 0) {
                    return -1;
                }
            }
        }
        j = v->next;
    }
    return 0;
}

/* ---- scope ---- */

struct scope_found {
    struct corral_str tenant;       /* tenantId / TenantId */
    struct corral_str res_tenant;   /* AzureResource identifier's AzureResourceTenantId */
    struct corral_str aad_tenant;   /* AAD identifier's AadTenantId */
    struct corral_str sub_resource; /* AzureResourceId's subscription */
    struct corral_str sub_ident;    /* identifiers' azureResourceId subscription */
    struct corral_str sub_ws;       /* workspace subscription ids */
    struct corral_str sub_resid;    /* ResourceId's subscription (Sentinel) */
    struct corral_str sub_envelope; /* the REST envelope's own id */
};

static void set_once(struct corral_str *slot, struct corral_str s)
{
    s = trim(s);
    if (slot->len == 0 && s.len > 0) {
        *slot = s;
    }
}

/* A tenant decides the scope before any subscription: then those need not be looked for. */
static int have_tenant(const struct scope_found *sc)
{
    return sc->tenant.len > 0 || sc->res_tenant.len > 0 || sc->aad_tenant.len > 0;
}

static void set_subscription(const struct scope_found *sc, struct corral_str *slot,
                             struct corral_str id)
{
    struct corral_str sub;
    if (slot->len == 0 && !have_tenant(sc) &&
        corral_resource_subscription(id.s, id.len, &sub) == 0) {
        set_once(slot, sub);
    }
}

static int resource_identifiers(struct actx *a, const struct wdoc *d, uint32_t list,
                                struct scope_found *sc)
{
    const jnode *nodes = d->nodes;
    if (list == 0 || nodes[list].type != CORRAL_JSON_ARRAY) {
        return 0;
    }
    uint32_t j = list + 1;
    for (uint32_t m = 0; m < nodes[list].len; m++, j = nodes[j].next) {
        uint32_t item = deref(d, j);
        if (item == 0 || nodes[item].type != CORRAL_JSON_OBJECT) {
            continue;
        }
        uint32_t f[R_COUNT] = {0};
        scan_members(nodes, item, &a->dec->ident_keys, f, NULL);
        struct corral_str type = str_at(nodes, f[R_TYPE]);
        struct corral_str rid = str_at(nodes, f[R_AZURERESOURCEID]);
        if (rid.len > 0 && (type.len == 0 || names(type, "azureresource"))) {
            if (add_resource(a, rid) != 0) {
                return -1;
            }
            set_once(&sc->res_tenant, str_at(nodes, f[R_AZURERESOURCETENANTID]));
            set_subscription(sc, &sc->sub_ident, rid);
        }
        if (names(type, "aad")) {
            set_once(&sc->aad_tenant, str_at(nodes, f[R_AADTENANTID]));
        }
        set_once(&sc->sub_ws, str_at(nodes, f[R_WORKSPACESUBSCRIPTIONID]));
        if (names(type, "loganalytics")) {
            set_once(&sc->sub_ws, str_at(nodes, f[R_SUBSCRIPTIONID]));
        }
    }
    return 0;
}

/* ---- the alert's own fields ---- */

/* The first field of the list that holds a non-empty string. */
static struct corral_str first_str(const jnode *nodes, const uint32_t *f, const int *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct corral_str s = str_at(nodes, f[list[i]]);
        if (trim(s).len > 0) {
            return s;
        }
    }
    return mkstr(NULL, 0);
}

/* The first field of the list that is present and not null (0 when none). */
static uint32_t first_present(const jnode *nodes, const uint32_t *f, const int *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f[list[i]] != 0 && nodes[f[list[i]]].type != CORRAL_JSON_NULL) {
            return f[list[i]];
        }
    }
    return 0;
}

/* Tactic names separated by commas, possibly as the text of a JSON array. */
static uint32_t tactics_text(const char *s, size_t len)
{
    uint32_t bits = 0;
    size_t i = 0;
    while (i <= len) {
        size_t b = i;
        while (i < len && s[i] != ',') {
            i++;
        }
        struct corral_str t = mkstr(s + b, i - b);
        while (t.len > 0 && (is_space(t.s[0]) || t.s[0] == '"' || t.s[0] == '[')) {
            t.s++;
            t.len--;
        }
        while (t.len > 0 &&
               (is_space(t.s[t.len - 1]) || t.s[t.len - 1] == '"' || t.s[t.len - 1] == ']')) {
            t.len--;
        }
        enum corral_tactic tac;
        if (t.len > 0 && corral_tactic_parse(t.s, t.len, &tac) == 0) {
            bits |= 1u << tac;
        }
        i++;
    }
    return bits;
}

/* tactics_text(), remembered per decoder: a stream repeats a few intent strings. */
static uint32_t tactics_memo(corral_decoder *dec, const char *s, size_t len)
{
    if (len == 0 || len > TACTIC_TEXT) {
        return tactics_text(s, len);
    }
    uint64_t h = len < 8 ? load_short(s, len) : load64(s) ^ load64(s + len - 8) * 31;
    h = (h ^ len) * 0x9e3779b97f4a7c15u;
    struct tactic_memo *m = &dec->tactics[h >> (64 - TACTIC_BITS)];
    if (m->len == len && memcmp(m->text, s, len) == 0) {
        return m->bits;
    }
    m->bits = tactics_text(s, len);
    m->len = (uint8_t)len;
    memcpy(m->text, s, len);
    return m->bits;
}

static uint32_t tactics_of(corral_decoder *dec, const jnode *nodes, uint32_t v)
{
    if (v == 0) {
        return 0;
    }
    if (nodes[v].type == CORRAL_JSON_STRING) {
        return tactics_memo(dec, nodes[v].v.s, nodes[v].len);
    }
    uint32_t bits = 0;
    if (nodes[v].type == CORRAL_JSON_ARRAY) {
        uint32_t j = v + 1;
        for (uint32_t m = 0; m < nodes[v].len; m++, j = nodes[j].next) {
            if (nodes[j].type == CORRAL_JSON_STRING) {
                bits |= tactics_memo(dec, nodes[j].v.s, nodes[j].len);
            }
        }
    }
    return bits;
}

/* The key (as spelled in the record) of the member whose value is node v. */
static struct corral_str key_of(const jnode *nodes, uint32_t v)
{
    return mkstr(nodes[v - 1].v.s, nodes[v - 1].len);
}

static int show_len(size_t len)
{
    return len > VALUE_SHOWN ? VALUE_SHOWN : (int)len;
}

/* An optional time: CORRAL_TIME_NONE when absent, or (with a warning) when not a time. */
static corral_time optional_time(struct actx *a, const jnode *nodes, uint32_t v)
{
    corral_time t;
    if (v == 0) {
        return CORRAL_TIME_NONE;
    }
    struct corral_str key = key_of(nodes, v);
    struct corral_str s = str_at(nodes, v);
    if (nodes[v].type != CORRAL_JSON_STRING || corral_time_parse(s.s, s.len, &t) != 0) {
        if (nodes[v].type == CORRAL_JSON_STRING) {
            warn(a, CORRAL_ERR_BAD_VALUE, "%.*s \"%.*s\" is not an ISO 8601 time; ignored",
                 show_len(key.len), key.s, show_len(s.len), s.s);
        } else {
            warn(a, CORRAL_ERR_BAD_VALUE, "%.*s is not a string; ignored", show_len(key.len),
                 key.s);
        }
        return CORRAL_TIME_NONE;
    }
    return t;
}

/*
 * Parse a JSON-in-string column into the column parser. *present = 0 when the
 * string is empty (an empty column is an absent one).
 */
static int parse_column(struct actx *a, const jnode *nodes, uint32_t v, struct corral_json_doc *doc,
                        int *present)
{
    struct corral_str key = key_of(nodes, v);
    struct corral_str text = trim(str_at(nodes, v));
    *present = 0;
    if (text.len == 0) {
        return 0;
    }
    size_t pad = corral_json_padding();
    char *buf = corral_arena_alloc(a->dec->arena, text.len + pad);
    if (buf == NULL) {
        return oom(a);
    }
    memcpy(buf, text.s, text.len);
    memset(buf + text.len, 0, pad);
    struct corral_diag dg;
    dg.code = CORRAL_OK; /* every failure fills it whole; only the fields read are cleared */
    dg.line = 0;
    dg.col = 0;
    dg.msg[0] = '\0';
    corral_err err = corral_json_parse(a->dec->column, buf, text.len, 1, doc, &dg);
    if (err == CORRAL_ERR_NOMEM) {
        return oom(a);
    }
    if (err != CORRAL_OK) {
        return reject(a, CORRAL_ERR_BAD_VALUE,
                      "%.*s is a string but not valid JSON: %s (line %zu, col %zu of its text)",
                      show_len(key.len), key.s, dg.msg, dg.line, dg.col);
    }
    *present = 1;
    return 0;
}

/*
 * s as a NUL-terminated string: copied into the arena, lower-cased when lower. s is (part of) a
 * string of the record, whose next byte is readable (json.h); when that byte is the NUL simdjson
 * ends its strings with, s is the same C string as its copy, and it outlives the alert's
 * delivery (the record's parser is not used again before the next record): no copy then.
 */
static const char *arena_text(struct actx *a, struct corral_str s, int lower)
{
    if (!lower) {
        if (s.len > 0 && s.s[s.len] == '\0') {
            return s.s;
        }
        return corral_arena_strndup(a->dec->arena, s.len > 0 ? s.s : "", s.len);
    }
    char *p = corral_arena_alloc(a->dec->arena, s.len + 1);
    if (p != NULL) {
        corral_ascii_copy_lower(p, s.s, s.len);
        p[s.len] = '\0';
    }
    return p;
}

static void emit_ref_warnings(struct actx *a)
{
    if (a->n_dup_names > 0) {
        if (a->n_dup_names == 1) {
            warn(a, CORRAL_ERR_REF,
                 "duplicate $id \"%.*s\": each $ref resolved to the nearest definition",
                 show_len(a->dup_name.len), a->dup_name.s);
        } else {
            warn(a, CORRAL_ERR_REF,
                 "duplicate $id \"%.*s\" and %u more: each $ref resolved to the nearest "
                 "definition",
                 show_len(a->dup_name.len), a->dup_name.s, a->n_dup_names - 1);
        }
    }
    if (a->n_dangling_refs > 0) {
        char names_text[160];
        size_t at = 0;
        names_text[0] = '\0';
        for (uint32_t i = 0; i < a->n_dangling_names && i < DANGLING_SHOWN; i++) {
            int n =
                snprintf(names_text + at, sizeof names_text - at, "%s\"%.*s\"", i > 0 ? ", " : "",
                         a->dangling[i].len > 24 ? 24 : (int)a->dangling[i].len, a->dangling[i].s);
            if (n < 0 || (size_t)n >= sizeof names_text - at) {
                break;
            }
            at += (size_t)n;
        }
        warn(a, CORRAL_ERR_REF,
             "$ref %s%s with no $id definition in the alert: %u reference%s treated as absent",
             names_text, a->n_dangling_names > DANGLING_SHOWN ? " and more" : "",
             a->n_dangling_refs, a->n_dangling_refs == 1 ? "" : "s");
    }
}

/* corral_catalog_classify(), remembered for the types the catalog does not know. */
static void classify(corral_decoder *dec, struct corral_str type, struct corral_str name,
                     struct corral_str comp, struct corral_classification *out)
{
    const size_t total = type.len + name.len + comp.len;
    struct cls_memo *m = NULL;
    if (type.len > 0 && total <= CLS_TEXT) {
        /* The type picks the slot: a few words of it, mixed with the other lengths. */
        uint64_t h = (uint64_t)type.len * 0x9e3779b97f4a7c15u ^ name.len << 8 ^ comp.len << 16;
        h ^= load_short(type.s, type.len < 8 ? type.len : 8);
        if (type.len > 8) {
            h = h * 0x9e3779b97f4a7c15u ^ load64(type.s + type.len - 8);
        }
        h *= 0x9e3779b97f4a7c15u;
        m = &dec->classes[h >> (64 - CLS_BITS)];
        if (m->type_len == type.len && m->name_len == name.len && m->comp_len == comp.len &&
            memcmp(m->text, type.s, type.len) == 0 &&
            (name.len == 0 || memcmp(m->text + type.len, name.s, name.len) == 0) &&
            (comp.len == 0 || memcmp(m->text + type.len + name.len, comp.s, comp.len) == 0)) {
            *out = m->cls;
            return;
        }
    }
    corral_catalog_classify(dec->catalog, type.s, type.len, name.s, name.len, comp.s, comp.len,
                            out);
    if (m != NULL && !out->known) {
        m->type_len = (uint16_t)type.len;
        m->name_len = (uint16_t)name.len;
        m->comp_len = (uint16_t)comp.len;
        m->cls = *out;
        memcpy(m->text, type.s, type.len);
        if (name.len > 0) {
            memcpy(m->text + type.len, name.s, name.len);
        }
        if (comp.len > 0) {
            memcpy(m->text + type.len + name.len, comp.s, comp.len);
        }
    }
}

/*
 * The usual spellings of severities and statuses, byte for byte: what
 * corral_severity_parse() and corral_status_parse() (case-insensitive, the
 * reference) answer for them, without their search of every name.
 */
struct spelling {
    const char *text;
    uint8_t len;
    uint8_t value;
};

static const struct spelling severity_spellings[] = {
    {"High", 4, CORRAL_SEV_HIGH},
    {"Medium", 6, CORRAL_SEV_MEDIUM},
    {"Low", 3, CORRAL_SEV_LOW},
    {"Informational", 13, CORRAL_SEV_INFORMATIONAL},
};

static const struct spelling status_spellings[] = {
    {"Active", 6, CORRAL_STATUS_ACTIVE},       {"New", 3, CORRAL_STATUS_ACTIVE},
    {"Resolved", 8, CORRAL_STATUS_RESOLVED},   {"InProgress", 10, CORRAL_STATUS_INPROGRESS},
    {"Dismissed", 9, CORRAL_STATUS_DISMISSED},
};

/* The value of s when it is one of the spellings exactly, else -1. */
static int spelled_value(struct corral_str s, const struct spelling *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s.len == list[i].len && memcmp(s.s, list[i].text, s.len) == 0) {
            return list[i].value;
        }
    }
    return -1;
}

/* Everything but delivery: fills *out or rejects (a->error) or runs out of memory. */
static int build_alert(struct actx *a, const jnode *nodes, uint32_t obj, uint32_t *f,
                       int from_properties, int camel, struct corral_alert *out)
{
    corral_decoder *dec = a->dec;

    /* Identity and time first: without them there is no alert to speak of. */
    uint32_t idv = f[A_SYSTEMALERTID];
    if (idv != 0 && nodes[idv].type != CORRAL_JSON_STRING && nodes[idv].type != CORRAL_JSON_NULL) {
        return reject(a, CORRAL_ERR_BAD_VALUE, "systemAlertId is not a string");
    }
    a->id = trim(str_at(nodes, idv));
    if (a->id.len == 0) {
        return reject(a, CORRAL_ERR_MISSING, "missing systemAlertId");
    }
    static const int start_fields[] = {A_STARTTIMEUTC, A_STARTTIME};
    uint32_t sv = first_present(nodes, f, start_fields, COUNT_OF(start_fields));
    if (sv == 0) {
        return reject(a, CORRAL_ERR_MISSING, "missing startTimeUtc (the alert's start time)");
    }
    struct corral_str stext = str_at(nodes, sv);
    struct corral_str skey = key_of(nodes, sv);
    if (nodes[sv].type != CORRAL_JSON_STRING ||
        corral_time_parse(stext.s, stext.len, &out->start) != 0) {
        if (nodes[sv].type != CORRAL_JSON_STRING) {
            return reject(a, CORRAL_ERR_BAD_VALUE, "%.*s is not a string", show_len(skey.len),
                          skey.s);
        }
        return reject(a, CORRAL_ERR_BAD_VALUE, "%.*s \"%.*s\" is not a valid ISO 8601 time",
                      show_len(skey.len), skey.s, show_len(stext.len), stext.s);
    }

    /* Sentinel: JSON text inside string columns. */
    int sentinel = 0;
    static const int text_columns[] = {A_ENTITIES, A_EXTENDEDPROPERTIES, A_EXTENDEDLINKS,
                                       A_REMEDIATIONSTEPS};
    for (size_t i = 0; i < COUNT_OF(text_columns); i++) {
        if (f[text_columns[i]] != 0 && nodes[f[text_columns[i]]].type == CORRAL_JSON_STRING) {
            sentinel = 1;
        }
    }
    struct wdoc record;
    if (prepare_doc(a, &record, nodes, obj, nodes[obj].next, dec->record) != 0) {
        return -1;
    }
    struct corral_json_doc cdoc;
    int present = 0;
    uint32_t ep = f[A_EXTENDEDPROPERTIES];
    if (ep != 0 && nodes[ep].type == CORRAL_JSON_STRING) {
        if (parse_column(a, nodes, ep, &cdoc, &present) != 0) {
            return -1;
        }
        if (present && cdoc.nodes[0].type == CORRAL_JSON_OBJECT &&
            add_property_ips(a, cdoc.nodes, 0) != 0) {
            return -1;
        }
        a->ips.n = 0; /* its strings die with the next column parsed */
    } else if (ep != 0 && nodes[ep].type == CORRAL_JSON_OBJECT) {
        if (add_property_ips(a, nodes, ep) != 0) {
            return -1;
        }
    }

    /* Entities: the record's list, or the Entities column (parsed last: it stays alive). */
    struct wdoc column;
    uint32_t ev = f[A_ENTITIES];
    if (ev != 0 && nodes[ev].type == CORRAL_JSON_STRING) {
        if (parse_column(a, nodes, ev, &cdoc, &present) != 0) {
            return -1;
        }
        if (present) {
            if (prepare_doc(a, &column, cdoc.nodes, 0, cdoc.count, dec->column) != 0 ||
                walk(a, &column, 0, 0) != 0) {
                return -1;
            }
        }
    } else if (ev != 0 && walk(a, &record, ev, 0) != 0) {
        return -1;
    }

    /* Resources of the alert itself, and what decides its scope. */
    struct scope_found sc;
    memset(&sc, 0, sizeof sc);
    set_once(&sc.tenant, str_at(nodes, f[A_TENANTID]));
    if (resource_identifiers(a, &record, f[A_RESOURCEIDENTIFIERS], &sc) != 0) {
        return -1;
    }
    struct corral_str azid = str_at(nodes, f[A_AZURERESOURCEID]);
    struct corral_str resid = str_at(nodes, f[A_RESOURCEID]);
    if (add_resource(a, azid) != 0 || add_resource(a, resid) != 0) {
        return -1;
    }
    set_subscription(&sc, &sc.sub_resource, azid);
    set_once(&sc.sub_ws, str_at(nodes, f[A_WORKSPACESUBSCRIPTIONID]));
    set_subscription(&sc, &sc.sub_resid, resid);
    set_subscription(&sc, &sc.sub_envelope, str_at(nodes, f[A_ID]));

    /* Processes last: one without a host of its own runs on the alert's vm, if it has one. */
    struct corral_str alert_vm = single_vm(a);
    for (uint32_t i = 0; i < a->n_procs; i++) {
        if (add_process(a, &a->procs[i], alert_vm) != 0) {
            return -1;
        }
    }
    corral_entity_set_finish(&a->set);
    if (a->set.n > MAX_ENTITIES) {
        return reject(a, CORRAL_ERR_TOO_LARGE, "more than %u entities", MAX_ENTITIES);
    }

    const struct corral_str scope_chain[] = {sc.tenant,       sc.res_tenant,  sc.aad_tenant,
                                             sc.sub_resource, sc.sub_ident,   sc.sub_ws,
                                             sc.sub_resid,    sc.sub_envelope};
    struct corral_str scope = {NULL, 0};
    for (size_t i = 0; i < COUNT_OF(scope_chain) && scope.len == 0; i++) {
        scope = scope_chain[i];
    }

    /* Names, classification, tactics. */
    static const int name_fields[] = {A_ALERTDISPLAYNAME, A_DISPLAYNAME, A_ALERTNAME};
    static const int sev_fields[] = {A_SEVERITY, A_ALERTSEVERITY, A_REPORTEDSEVERITY};
    static const int end_fields[] = {A_ENDTIMEUTC, A_ENDTIME};
    static const int gen_fields[] = {A_TIMEGENERATEDUTC, A_TIMEGENERATED};
    struct corral_str type = trim(str_at(nodes, f[A_ALERTTYPE]));
    struct corral_str name = trim(first_str(nodes, f, name_fields, COUNT_OF(name_fields)));
    struct corral_str component = trim(str_at(nodes, f[A_PRODUCTCOMPONENTNAME]));
    struct corral_classification cls;
    classify(dec, type, name, component, &cls);

    out->id = arena_text(a, a->id, 0);
    out->alert_type = arena_text(a, type, 0);
    out->display_name = arena_text(a, name, 0);
    out->product_component = arena_text(a, component, 0);
    out->scope = arena_text(a, scope, 1);
    if (out->id == NULL || out->alert_type == NULL || out->display_name == NULL ||
        out->product_component == NULL || out->scope == NULL) {
        return oom(a);
    }
    if (sentinel || (sc.tenant.len > 0 &&
                     (f[A_ALERTNAME] != 0 || f[A_ALERTSEVERITY] != 0 || f[A_STARTTIME] != 0))) {
        out->shape = CORRAL_SHAPE_SENTINEL;
    } else if (from_properties || camel) {
        out->shape = CORRAL_SHAPE_REST;
    } else {
        out->shape = CORRAL_SHAPE_EXPORT;
    }
    out->plan = cls.plan;
    out->signals = cls.signals;
    out->entities = a->set.items;
    out->n_entities = a->set.n;
    for (uint32_t i = 0; i < a->set.n; i++) {
        if (a->set.items[i].type == CORRAL_ENT_USER ||
            a->set.items[i].type == CORRAL_ENT_SERVICE_PRINCIPAL) {
            out->signals |= CORRAL_SIG_ACCOUNT;
            break;
        }
    }
    out->tactics = tactics_of(dec, nodes, f[A_INTENT]) | tactics_of(dec, nodes, f[A_TACTICS]) |
                   tactics_of(dec, nodes, f[A_KILLCHAININTENT]);
    if (out->tactics == 0) {
        out->tactics = cls.tactics;
    }
    out->stages = 0;
    for (unsigned t = 0; t < CORRAL_TAC_COUNT; t++) {
        if (out->tactics & (1u << t)) {
            out->stages |= (uint16_t)(1u << corral_tactic_stage((enum corral_tactic)t));
        }
    }
    struct corral_str sev = trim(first_str(nodes, f, sev_fields, COUNT_OF(sev_fields)));
    int spelled = spelled_value(sev, severity_spellings, COUNT_OF(severity_spellings));
    if (spelled >= 0) {
        out->severity = (enum corral_severity)spelled;
    } else if (corral_severity_parse(sev.s, sev.len, &out->severity) != 0) {
        out->severity = CORRAL_SEV_UNKNOWN;
    }
    struct corral_str status = trim(str_at(nodes, f[A_STATUS]));
    spelled = spelled_value(status, status_spellings, COUNT_OF(status_spellings));
    if (spelled >= 0) {
        out->status = (enum corral_status)spelled;
    } else if (corral_status_parse(status.s, status.len, &out->status) != 0) {
        out->status = CORRAL_STATUS_ACTIVE;
    }
    out->end = optional_time(a, nodes, first_present(nodes, f, end_fields, COUNT_OF(end_fields)));
    out->generated =
        optional_time(a, nodes, first_present(nodes, f, gen_fields, COUNT_OF(gen_fields)));
    emit_ref_warnings(a);
    return 0;
}

/* ---- records ---- */

struct rctx {
    corral_decoder *dec;
    const struct corral_decode_sink *sink;
    const char *source;
    const jnode *nodes;
    size_t line;
    unsigned counter; /* list elements seen so far in the record */
};

static corral_err decode_alert(struct rctx *r, uint32_t obj, uint32_t *f, int from_properties,
                               int camel, unsigned index)
{
    corral_decoder *dec = r->dec;
    struct actx a;
    memset(&a, 0, offsetof(struct actx, error));
    a.dec = dec;
    a.sink = r->sink;
    a.source = r->source;
    a.line = r->line;
    a.index = index;
    corral_arena_reset(dec->arena);
    corral_entity_set_init(&a.set, dec->arena);

    struct corral_alert alert;
    memset(&alert, 0, sizeof alert);
    int rc = build_alert(&a, r->nodes, obj, f, from_properties, camel, &alert);
    if (a.nomem) {
        return CORRAL_ERR_NOMEM;
    }
    if (rc != 0) {
        if (r->sink->problem != NULL) {
            r->sink->problem(r->sink->ctx, r->source, &a.error, 1);
        }
        return CORRAL_OK;
    }
    for (unsigned i = 0; i < a.n_warn && r->sink->problem != NULL; i++) {
        r->sink->problem(r->sink->ctx, r->source, &a.warn[i], 0);
    }
    if (r->sink->alert != NULL) {
        r->sink->alert(r->sink->ctx, &alert, r->line);
    }
    return CORRAL_OK;
}

static void skipped(struct rctx *r, struct corral_str what)
{
    char text[128];
    what = trim(what);
    if (what.len == 0) {
        what = mkstr("unknown", 7);
    }
    int n = what.len >= sizeof text ? (int)sizeof text - 1 : (int)what.len;
    memcpy(text, what.s, (size_t)n);
    text[n] = '\0';
    if (r->sink->skipped != NULL) {
        r->sink->skipped(r->sink->ctx, text);
    }
}

static int is_str(const jnode *nodes, uint32_t v)
{
    return v != 0 && nodes[v].type == CORRAL_JSON_STRING;
}

static corral_err decode_value(struct rctx *r, uint32_t idx, unsigned index);

static corral_err decode_list(struct rctx *r, uint32_t list)
{
    const jnode *nodes = r->nodes;
    uint32_t j = list + 1;
    for (uint32_t m = 0; m < nodes[list].len; m++, j = nodes[j].next) {
        corral_err err = decode_value(r, j, ++r->counter);
        if (err != CORRAL_OK) {
            return err;
        }
    }
    return CORRAL_OK;
}

/* Find the alerts in the value at idx: a list, a REST list, a Swagger example, or one object. */
static corral_err decode_value(struct rctx *r, uint32_t idx, unsigned index)
{
    const jnode *nodes = r->nodes;
    if (nodes[idx].type == CORRAL_JSON_ARRAY) {
        return decode_list(r, idx);
    }
    if (nodes[idx].type != CORRAL_JSON_OBJECT) {
        skipped(r, mkstr(NULL, 0));
        return CORRAL_OK;
    }
    uint32_t f[A_COUNT] = {0};
    int camel = 0;
    scan_members(nodes, idx, &r->dec->alert_keys, f, &camel);
    if (f[A_SCHEMA] != 0) {
        skipped(r, mkstr("json-schema", 11));
        return CORRAL_OK;
    }
    if (is_str(nodes, f[A_SYSTEMALERTID]) || is_str(nodes, f[A_ALERTTYPE])) {
        return decode_alert(r, idx, f, 0, camel, index);
    }
    if (f[A_VALUE] != 0 && nodes[f[A_VALUE]].type == CORRAL_JSON_ARRAY) {
        return decode_list(r, f[A_VALUE]);
    }
    if (f[A_RESPONSES] != 0) {
        uint32_t body = member(nodes, member(nodes, f[A_RESPONSES], "200"), "body");
        if (body != 0) {
            return decode_value(r, body, index);
        }
    }
    uint32_t props = f[A_PROPERTIES];
    if (props != 0 && nodes[props].type == CORRAL_JSON_OBJECT) {
        uint32_t p[A_COUNT] = {0};
        int pcamel = 0;
        scan_members(nodes, props, &r->dec->alert_keys, p, &pcamel);
        if (is_str(nodes, p[A_SYSTEMALERTID]) || is_str(nodes, p[A_ALERTTYPE])) {
            /* A REST envelope: its fields are in properties; its own id is only the envelope's. */
            for (int i = 0; i < A_COUNT; i++) {
                if (i != A_ID && p[i] != 0) {
                    f[i] = p[i];
                }
            }
            return decode_alert(r, idx, f, 1, camel || pcamel, index);
        }
    }
    struct corral_str what = str_at(nodes, f[A_TYPE]);
    if (trim(what).len == 0) {
        what = str_at(nodes, f[A_DOLLARTYPE]);
    }
    skipped(r, what);
    return CORRAL_OK;
}

/* ---- public ---- */

corral_decoder *corral_decoder_new(const corral_catalog *catalog,
                                   const struct corral_decoder_limits *limits)
{
    corral_decoder *dec = calloc(1, sizeof *dec);
    if (dec == NULL) {
        return NULL;
    }
    dec->catalog = catalog;
    dec->limits.max_record =
        limits != NULL && limits->max_record > 0 ? limits->max_record : DEFAULT_MAX_RECORD;
    dec->limits.max_depth =
        limits != NULL && limits->max_depth > 0 ? limits->max_depth : DEFAULT_MAX_DEPTH;
    if (khash_build(&dec->alert_keys, alert_keys, COUNT_OF(alert_keys)) != 0 ||
        khash_build(&dec->entity_keys, entity_keys, COUNT_OF(entity_keys)) != 0 ||
        khash_build(&dec->entity_types, entity_types, COUNT_OF(entity_types)) != 0 ||
        khash_build(&dec->ident_keys, ident_keys, COUNT_OF(ident_keys)) != 0) {
        free(dec); /* the tables are fixed: unit tests make sure this never happens */
        return NULL;
    }
    dec->record = corral_json_parser_new(dec->limits.max_record, dec->limits.max_depth);
    dec->column = corral_json_parser_new(dec->limits.max_record, dec->limits.max_depth);
    dec->arena = corral_arena_new();
    if (dec->record == NULL || dec->column == NULL || dec->arena == NULL) {
        corral_decoder_free(dec);
        return NULL;
    }
    return dec;
}

void corral_decoder_free(corral_decoder *decoder)
{
    if (decoder == NULL) {
        return;
    }
    corral_json_parser_free(decoder->record);
    corral_json_parser_free(decoder->column);
    corral_arena_free(decoder->arena);
    free(decoder);
}

/*
 * A JSON fault of the whole record, placed in the source. The reason gets the
 * error's name in front ("invalid JSON: trailing comma in object") unless it
 * already says it ("invalid UTF-8 byte").
 */
static void report_json_error(struct rctx *r, corral_err err, const struct corral_diag *dg,
                              size_t col)
{
    struct corral_diag out;
    size_t line = r->line;
    size_t at_col = 0;
    if (dg->line > 0) {
        line = r->line + dg->line - 1;
        at_col = dg->line == 1 ? col + dg->col - 1 : dg->col;
    }
    const char *says = err == CORRAL_ERR_UTF8        ? "utf-8"
                       : err == CORRAL_ERR_DEPTH     ? "deep"
                       : err == CORRAL_ERR_TOO_LARGE ? "limit"
                                                     : NULL;
    if (says != NULL && strcasestr(dg->msg, says) != NULL) {
        corral_diag_set(&out, err, line, at_col, "%s", dg->msg);
    } else {
        corral_diag_set(&out, err, line, at_col, "%s: %s", corral_strerror(err), dg->msg);
    }
    if (r->sink->problem != NULL) {
        r->sink->problem(r->sink->ctx, r->source, &out, 1);
    }
}

corral_err corral_decode(corral_decoder *decoder, const char *source, const char *buf, size_t len,
                         int padded, size_t line, size_t col, const struct corral_decode_sink *sink)
{
    struct rctx r = {decoder, sink, source, NULL, line, 0};
    struct corral_json_doc doc;
    struct corral_diag dg;
    dg.code = CORRAL_OK; /* every failure fills it whole; only the fields read are cleared */
    dg.line = 0;
    dg.col = 0;
    dg.msg[0] = '\0';
    corral_err err = corral_json_parse(decoder->record, buf, len, padded, &doc, &dg);
    if (err == CORRAL_ERR_NOMEM) {
        return err;
    }
    if (err != CORRAL_OK) {
        report_json_error(&r, err, &dg, col > 0 ? col : 1);
        return CORRAL_OK;
    }
    r.nodes = doc.nodes;
    return decode_value(&r, 0, 0);
}
