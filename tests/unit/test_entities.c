/*
 * test_entities.c - entity keys as incidents.md "Entities" defines them.
 *
 * Each rule is tested from both sides: what must become a key (and the exact
 * key text), and what must not (junk, placeholders, built-ins, excluded
 * addresses). Sets are checked whole after corral_entity_set_finish(), so a
 * stray extra entity fails a test as surely as a missing one. The sample ids
 * and fields come from the public samples in tests/data/samples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/entities.h"

#define SUB1 "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
#define SUB2 "12cabcb4-86e8-404f-a3d2-1dc9982f45ca"
#define VM1_RAW                                                                                    \
    "/subscriptions/" SUB1 "/resourceGroups/myRg1/providers/Microsoft.Compute/virtualMachines/vm1"
#define VM1                                                                                        \
    "/subscriptions/" SUB1 "/resourcegroups/myrg1/providers/microsoft.compute/virtualmachines/vm1"
#define SAMPLE_VM_RAW                                                                              \
    "/SUBSCRIPTIONS/" SUB2                                                                         \
    "/RESOURCEGROUPS/Sample-RG/providers/Microsoft.Compute/virtualMachines/"                       \
    "Sample-VM"
#define SAMPLE_VM                                                                                  \
    "/subscriptions/" SUB2                                                                         \
    "/resourcegroups/sample-rg/providers/microsoft.compute/virtualmachines/"                       \
    "sample-vm"
#define RG "/subscriptions/s/resourcegroups/g/providers/"

struct fixture {
    corral_arena *arena;
    struct corral_entity_set set;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof *f);
    if (f == NULL) {
        return -1;
    }
    f->arena = corral_arena_new();
    if (f->arena == NULL) {
        test_free(f);
        return -1;
    }
    corral_entity_set_init(&f->set, f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    corral_arena_free(f->arena);
    test_free(f);
    return 0;
}

static struct corral_str S(const char *s) {
    struct corral_str r = {s, s != NULL ? strlen(s) : 0};
    return r;
}

struct want {
    enum corral_entity_type type;
    const char *key;
};

static const char *type_name(enum corral_entity_type t)
{
    static const char *const names[] = {
        "user",    "service_principal", "ip",     "resource", "vm",  "cluster",
        "process", "process_image",     "domain", "filehash", "url",
    };
    return (unsigned)t < CORRAL_ENT_COUNT ? names[t] : "?";
}

static void dump(const struct corral_entity_set *set)
{
    for (uint32_t i = 0; i < set->n; i++) {
        print_message("#   %s \"%.*s\"\n", type_name(set->items[i].type), (int)set->items[i].len,
                      set->items[i].key);
    }
}

/* Finish the set and require exactly these entities, in this order. */
static void assert_set(struct corral_entity_set *set, const struct want *w, size_t n)
{
    corral_entity_set_finish(set);
    if (set->n != n) {
        dump(set);
        fail_msg("%u entities, want %zu", (unsigned)set->n, n);
    }
    for (size_t i = 0; i < n; i++) {
        const struct corral_entity *e = &set->items[i];
        if (e->type != w[i].type || e->len != strlen(w[i].key) ||
            memcmp(e->key, w[i].key, e->len) != 0) {
            dump(set);
            fail_msg("entity %zu is %s \"%.*s\", want %s \"%s\"", i, type_name(e->type),
                     (int)e->len, e->key, type_name(w[i].type), w[i].key);
        }
        assert_int_equal(e->key[e->len], '\0');
    }
}

#define ASSERT_SET(set, ...)                                                                       \
    do {                                                                                           \
        const struct want w_[] = {__VA_ARGS__};                                                    \
        assert_set((set), w_, sizeof w_ / sizeof *w_);                                             \
    } while (0)

static void assert_empty(struct corral_entity_set *set)
{
    corral_entity_set_finish(set);
    if (set->n != 0) {
        dump(set);
        fail_msg("%u entities, want none", (unsigned)set->n);
    }
}

/* ---- the entity set ---- */

static void test_set_sort_dedupe(void **state)
{
    struct fixture *f = *state;
    struct corral_entity_set *set = &f->set;
    assert_int_equal(set->n, 0);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_IP, "1.2.3.4", 7), 0);
    corral_entity_set_finish(set); /* empty: a no-op */
    assert_int_equal(set->n, 0);

    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_VM, "b", 1), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_IP, "10.0.0.2", 8), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_USER, "zed", 3), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_VM, "ab", 2), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_IP, "10.0.0.1", 8), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_VM, "a", 1), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_VM, "b", 1), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_RESOURCE, "b", 1), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_VM, "B", 1), CORRAL_OK);
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_IP, "10.0.0.1", 8), CORRAL_OK);
    /* Only the given length is a key: "abc" cut at 2 is "ab", a duplicate. */
    assert_int_equal(corral_entity_set_add(set, CORRAL_ENT_VM, "abc", 2), CORRAL_OK);
    assert_int_equal(set->n, 11);
    /* has() works before finish... */
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_VM, "a", 1), 1);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_VM, "abc", 3), 0);
    /* ...and after: sorted by type (enum order), then key bytes, duplicates gone. */
    ASSERT_SET(set, {CORRAL_ENT_USER, "zed"}, {CORRAL_ENT_IP, "10.0.0.1"},
               {CORRAL_ENT_IP, "10.0.0.2"}, {CORRAL_ENT_RESOURCE, "b"}, {CORRAL_ENT_VM, "B"},
               {CORRAL_ENT_VM, "a"}, {CORRAL_ENT_VM, "ab"}, {CORRAL_ENT_VM, "b"});
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_VM, "a", 1), 1);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_VM, "ab", 2), 1);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_VM, "B", 1), 1);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_RESOURCE, "b", 1), 1);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_RESOURCE, "a", 1), 0);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_CLUSTER, "b", 1), 0);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_USER, "ze", 2), 0);
    assert_int_equal(corral_entity_set_has(set, CORRAL_ENT_USER, "zedd", 4), 0);
    /* Finishing again changes nothing. */
    ASSERT_SET(set, {CORRAL_ENT_USER, "zed"}, {CORRAL_ENT_IP, "10.0.0.1"},
               {CORRAL_ENT_IP, "10.0.0.2"}, {CORRAL_ENT_RESOURCE, "b"}, {CORRAL_ENT_VM, "B"},
               {CORRAL_ENT_VM, "a"}, {CORRAL_ENT_VM, "ab"}, {CORRAL_ENT_VM, "b"});
}

static void test_set_add_rejects(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(corral_entity_set_add(&f->set, CORRAL_ENT_IP, "", 0), CORRAL_ERR_BAD_VALUE);
    assert_int_equal(corral_entity_set_add(&f->set, CORRAL_ENT_IP, NULL, 0), CORRAL_ERR_BAD_VALUE);
    assert_int_equal(corral_entity_set_add(&f->set, CORRAL_ENT_IP, NULL, 3), CORRAL_ERR_BAD_VALUE);
    assert_int_equal(corral_entity_set_add(&f->set, CORRAL_ENT_COUNT, "x", 1),
                     CORRAL_ERR_BAD_VALUE);
    assert_int_equal(corral_entity_set_add(&f->set, (enum corral_entity_type) - 1, "x", 1),
                     CORRAL_ERR_BAD_VALUE);
    assert_empty(&f->set);
}

static void test_set_grows_and_copies(void **state)
{
    struct fixture *f = *state;
    char buf[32];
    /* 1000 distinct keys, added in reverse order and twice each. */
    for (int round = 0; round < 2; round++) {
        for (int i = 999; i >= 0; i--) {
            const int n = snprintf(buf, sizeof buf, "host-%04d", i);
            assert_int_equal(corral_entity_set_add(&f->set, CORRAL_ENT_VM, buf, (size_t)n),
                             CORRAL_OK);
        }
    }
    /* Keys are copies: the caller's buffer may change. */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(f->set.n, 2000);
    assert_true(f->set.cap >= 2000);
    corral_entity_set_finish(&f->set);
    assert_int_equal(f->set.n, 1000);
    for (int i = 0; i < 1000; i++) {
        char want[32];
        snprintf(want, sizeof want, "host-%04d", i);
        assert_string_equal(f->set.items[i].key, want);
        assert_int_equal(f->set.items[i].len, 9);
    }
}

/* ---- Azure resource ids ---- */

static enum corral_resource_kind normalize(struct fixture *f, const char *id,
                                           struct corral_str *out, struct corral_str *vm)
{
    return corral_resource_normalize(f->arena, id, strlen(id), out, vm);
}

static void expect_resource(struct fixture *f, const char *id, enum corral_resource_kind kind,
                            const char *key, const char *vm_key)
{
    struct corral_str out;
    struct corral_str vm;
    const enum corral_resource_kind got = normalize(f, id, &out, &vm);
    if (got != kind) {
        fail_msg("\"%s\": kind %d, want %d", id, (int)got, (int)kind);
    }
    assert_int_equal(out.len, strlen(key));
    assert_memory_equal(out.s, key, out.len);
    assert_int_equal(out.s[out.len], '\0');
    assert_int_equal(vm.len, strlen(vm_key));
    assert_memory_equal(vm.s, vm_key, vm.len);
    assert_int_equal(vm.s[vm.len], '\0');
    /* vm_key may be NULL: same kind and key. */
    struct corral_str out2;
    assert_int_equal(normalize(f, id, &out2, NULL), kind);
    assert_int_equal(out2.len, out.len);
    assert_memory_equal(out2.s, out.s, out.len);
}

static void expect_not_resource(struct fixture *f, const char *id, size_t len)
{
    struct corral_str out = {"junk", 4};
    struct corral_str vm = {"junk", 4};
    if (corral_resource_normalize(f->arena, id, len, &out, &vm) != CORRAL_RES_NONE) {
        fail_msg("\"%.*s\" taken for a resource", (int)len, id != NULL ? id : "(null)");
    }
    assert_int_equal(out.len, 0);
    assert_int_equal(vm.len, 0);
}

static void test_resource_samples(void **state)
{
    struct fixture *f = *state;
    expect_resource(f, VM1_RAW, CORRAL_RES_VM, VM1, VM1);
    expect_resource(f, SAMPLE_VM_RAW, CORRAL_RES_VM, SAMPLE_VM, SAMPLE_VM);
    expect_not_resource(f, "/subscriptions/" SUB2, strlen("/subscriptions/" SUB2));
    /* GetAlertsSubscription_example.json host azureID. */
    expect_resource(f,
                    "/subscriptions/" SUB1
                    "/resourcegroups/myRg2/providers/microsoft.compute/virtualmachines/vm2",
                    CORRAL_RES_VM,
                    "/subscriptions/" SUB1
                    "/resourcegroups/myrg2/providers/microsoft.compute/virtualmachines/vm2",
                    "/subscriptions/" SUB1
                    "/resourcegroups/myrg2/providers/microsoft.compute/virtualmachines/vm2");
}

static void test_resource_shapes(void **state)
{
    struct fixture *f = *state;
    /* Segment names in any case; tolerated: one trailing '/', surrounding spaces. */
    expect_resource(f, "/Subscriptions/S/ResourceGroups/G/Providers/NS/Type/Name", CORRAL_RES_OTHER,
                    RG "ns/type/name", RG "ns/type/name");
    expect_resource(f, VM1_RAW "/", CORRAL_RES_VM, VM1, VM1);
    expect_resource(f, "  " VM1_RAW " \n", CORRAL_RES_VM, VM1, VM1);
    /* Child segments and extension providers are dropped. */
    expect_resource(f, VM1_RAW "/extensions/MDE.Linux", CORRAL_RES_VM, VM1, VM1);
    expect_resource(f, VM1_RAW "/providers/Microsoft.Security/assessments/abc/", CORRAL_RES_VM, VM1,
                    VM1);
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/"
                    "Acct/blobServices/default/containers/c1",
                    CORRAL_RES_OTHER, RG "microsoft.storage/storageaccounts/acct",
                    RG "microsoft.storage/storageaccounts/acct");
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/srv/"
                    "databases/db",
                    CORRAL_RES_OTHER, RG "microsoft.sql/servers/srv",
                    RG "microsoft.sql/servers/srv");
    /* Kinds. */
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.HybridCompute/machines/"
                    "ArcBox",
                    CORRAL_RES_VM, RG "microsoft.hybridcompute/machines/arcbox",
                    RG "microsoft.hybridcompute/machines/arcbox");
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/"
                    "Microsoft.ContainerService/managedClusters/aks1",
                    CORRAL_RES_CLUSTER, RG "microsoft.containerservice/managedclusters/aks1",
                    RG "microsoft.containerservice/managedclusters/aks1");
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/"
                    "Microsoft.Kubernetes/connectedClusters/arc-k8s/namespaces/default",
                    CORRAL_RES_CLUSTER, RG "microsoft.kubernetes/connectedclusters/arc-k8s",
                    RG "microsoft.kubernetes/connectedclusters/arc-k8s");
    expect_resource(f, "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv",
                    CORRAL_RES_OTHER, RG "microsoft.keyvault/vaults/kv",
                    RG "microsoft.keyvault/vaults/kv");
    /* Near misses of the vm and cluster types are other resources. */
    expect_resource(f, "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d1",
                    CORRAL_RES_OTHER, RG "microsoft.compute/disks/d1",
                    RG "microsoft.compute/disks/d1");
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                    "virtualMachine/v",
                    CORRAL_RES_OTHER, RG "microsoft.compute/virtualmachine/v",
                    RG "microsoft.compute/virtualmachine/v");
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.ClassicCompute/"
                    "virtualMachines/v",
                    CORRAL_RES_OTHER, RG "microsoft.classiccompute/virtualmachines/v",
                    RG "microsoft.classiccompute/virtualmachines/v");
}

static void test_resource_scale_sets(void **state)
{
    struct fixture *f = *state;
    const char *ss = RG "microsoft.compute/virtualmachinescalesets/pool";
    /* An instance is a vm: resource = the scale set, vm key keeps the instance. */
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/Pool/virtualMachines/3",
                    CORRAL_RES_VM, ss,
                    RG "microsoft.compute/virtualmachinescalesets/pool/"
                       "virtualmachines/3");
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/Pool/virtualMachines/3/networkInterfaces/nic0/",
                    CORRAL_RES_VM, ss,
                    RG "microsoft.compute/virtualmachinescalesets/pool/"
                       "virtualmachines/3");
    /* The scale set itself, or another child of it, is not a vm. */
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/Pool",
                    CORRAL_RES_OTHER, ss, ss);
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/Pool/extensions/x",
                    CORRAL_RES_OTHER, ss, ss);
    expect_resource(f,
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/Pool/virtualMachines",
                    CORRAL_RES_OTHER, ss, ss);
}

static void test_resource_rejects(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "",
        "/",
        "//",
        "   ",
        "/subscriptions",
        "/subscriptions/",
        "/subscriptions/s",
        "/subscriptions/s/",
        "/subscriptions/s/resourceGroups/g",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/",
        /* provider paths without a resource group */
        "/subscriptions/s/providers/Microsoft.Security/locations/centralus/alerts/2518",
        "/subscriptions/s/providers/Microsoft.Security/pricings/VirtualMachines/x/y",
        /* wrong segment names */
        "/subscription/s/resourceGroups/g/providers/ns/t/n",
        "/subscriptions/s/resourceGroup/g/providers/ns/t/n",
        "/subscriptions/s/resourceGroups/g/provider/ns/t/n",
        "/subscriptions/s/resourceGroups/g/x/ns/t/n",
        /* empty segments anywhere */
        "/subscriptions//resourceGroups/g/providers/ns/t/n",
        "/subscriptions/s/resourceGroups//providers/ns/t/n",
        "/subscriptions/s/resourceGroups/g/providers//t/n",
        "/subscriptions/s/resourceGroups/g/providers/ns/t//n",
        "/subscriptions/s/resourceGroups/g/providers/ns/t/n//",
        "/subscriptions/s/resourceGroups/g/providers/ns/t/n//child",
        "//subscriptions/s/resourceGroups/g/providers/ns/t/n",
        /* no leading '/', control characters */
        "subscriptions/s/resourceGroups/g/providers/ns/t/n",
        "/subscriptions/s/resourceGroups/g/providers/ns/t/n\x01",
        "/subscriptions/s/resource\tGroups/g/providers/ns/t/n",
        "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/ns/t/n",
        "not a resource id",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_not_resource(f, bad[i], strlen(bad[i]));
    }
    /* An embedded NUL is junk, not the end of the id. */
    static const char nul[] = "/subscriptions/s/resourceGroups/g/providers/ns/t/n\0x";
    expect_not_resource(f, nul, sizeof nul - 1);
    expect_not_resource(f, NULL, 0);
    /* Only len bytes are read. */
    struct corral_str out;
    assert_int_equal(corral_resource_normalize(f->arena, VM1_RAW "/extensions/x",
                                               strlen(VM1_RAW) - 4, &out, NULL),
                     CORRAL_RES_NONE);
}

static void expect_subscription(const char *id, const char *want)
{
    struct corral_str out = {"junk", 4};
    const int rc = corral_resource_subscription(id, id != NULL ? strlen(id) : 0, &out);
    if (want == NULL) {
        if (rc != -1) {
            fail_msg("\"%s\" has a subscription \"%.*s\"", id != NULL ? id : "(null)", (int)out.len,
                     out.s);
        }
        assert_int_equal(out.len, 0);
        return;
    }
    if (rc != 0) {
        fail_msg("\"%s\": no subscription, want \"%s\"", id, want);
    }
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.s, want, out.len);
}

/* A small deterministic generator (the tests must fail the same way every run). */
static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return *state >> 33;
}

/*
 * The resource-id rules as first written, a byte at a time: the reference for
 * the word-at-a-time parser. Returns the kind; *res_len and *vm_len as
 * corral_resource_normalize() reports them (through its keys' lengths).
 */
static enum corral_resource_kind reference_resource(const char *id, size_t len, size_t *res_len,
                                                    size_t *vm_len)
{
    size_t b0 = 0, e0 = len;
    while (b0 < e0 && strchr(" \t\n\r\v\f", id[b0]) != NULL && id[b0] != '\0') {
        b0++;
    }
    while (e0 > b0 && strchr(" \t\n\r\v\f", id[e0 - 1]) != NULL && id[e0 - 1] != '\0') {
        e0--;
    }
    const char *t = id + b0;
    size_t n = e0 - b0;
    const char *seg[10];
    size_t seg_len[10];
    size_t nseg = 0;
    if (n < 2 || t[0] != '/') {
        return CORRAL_RES_NONE;
    }
    if (t[n - 1] == '/') {
        n--;
    }
    for (size_t i = 1; i <= n;) {
        const size_t b = i;
        while (i < n && t[i] != '/') {
            if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) {
                return CORRAL_RES_NONE;
            }
            i++;
        }
        if (i == b) {
            return CORRAL_RES_NONE;
        }
        if (nseg < 10) {
            seg[nseg] = t + b;
            seg_len[nseg] = i - b;
        }
        nseg++;
        i++;
    }
#define REF_IS(k, lit) (seg_len[k] == strlen(lit) && strncasecmp(seg[k], lit, seg_len[k]) == 0)
    if (nseg < 8 || !REF_IS(0, "subscriptions") || !REF_IS(2, "resourcegroups") ||
        !REF_IS(4, "providers")) {
        return CORRAL_RES_NONE;
    }
    *res_len = (size_t)(seg[7] + seg_len[7] - t);
    *vm_len = *res_len;
    if ((REF_IS(5, "microsoft.compute") && REF_IS(6, "virtualmachines")) ||
        (REF_IS(5, "microsoft.hybridcompute") && REF_IS(6, "machines"))) {
        return CORRAL_RES_VM;
    }
    if (REF_IS(5, "microsoft.compute") && REF_IS(6, "virtualmachinescalesets") && nseg >= 10 &&
        REF_IS(8, "virtualmachines")) {
        *vm_len = (size_t)(seg[9] + seg_len[9] - t);
        return CORRAL_RES_VM;
    }
    if ((REF_IS(5, "microsoft.containerservice") && REF_IS(6, "managedclusters")) ||
        (REF_IS(5, "microsoft.kubernetes") && REF_IS(6, "connectedclusters"))) {
        return CORRAL_RES_CLUSTER;
    }
#undef REF_IS
    return CORRAL_RES_OTHER;
}

/* corral_resource_subscription() as first written, a byte at a time. */
static int reference_subscription(const char *id, size_t len, struct corral_str *out)
{
    size_t b = 0, e = len;
    while (b < e && strchr(" \t\n\r\v\f", id[b]) != NULL && id[b] != '\0') {
        b++;
    }
    while (e > b && strchr(" \t\n\r\v\f", id[e - 1]) != NULL && id[e - 1] != '\0') {
        e--;
    }
    const size_t plen = strlen("/subscriptions/");
    if (e - b <= plen || strncasecmp(id + b, "/subscriptions/", plen) != 0) {
        return -1;
    }
    size_t at = b + plen;
    while (at < e && id[at] != '/') {
        if ((unsigned char)id[at] < 0x20 || id[at] == 0x7f) {
            return -1;
        }
        at++;
    }
    if (at == b + plen) {
        return -1;
    }
    out->s = id + b + plen;
    out->len = at - b - plen;
    return 0;
}

/* Random ids from the pieces real ids are made of, in any case, against the reference. */
static void test_resource_against_reference(void **state)
{
    struct fixture *f = *state;
    /* clang-format off */
    static const char *const pieces[] = {
        "subscriptions", "resourceGroups", "providers", "Microsoft.Compute", "virtualMachines",
        "virtualMachineScaleSets", "Microsoft.HybridCompute", "machines",
        "Microsoft.ContainerService", "managedClusters", "Microsoft.Kubernetes",
        "connectedClusters", "Microsoft.Storage", "storageAccounts", "vm1", "0", "s", "", "a\tb",
        "x\x7fy", "\x01", "Sample-RG", "caf\xc3\xa9", "extensions", "subscription",
        "virtualmachine", "microsoft.computer", "20ff7fc3-e762-44dd-bd96-b71116dcdc23", "a", "ab",
        "abc", "abcd", "abcde", "abcdef", "abcdefg", "\x1f", "\x20", "\x7e", "\x80",
        "20ff7fc3-e762-44dd-bd96\001b71116dcdc23", "20ff7fc3\x7f", "s1", "0123456789abcdef0",
    };
    /* clang-format on */
    const size_t np = sizeof pieces / sizeof *pieces;
    static const int skeleton[] = {0, -1, 1, -1, 2, -1, -1, -1, -1, -1, -1};
    uint64_t seed = 7;
    char id[512];
    for (int iter = 0; iter < 400000; iter++) {
        size_t n = 0;
        if (next_random(&seed) % 8 == 0) {
            id[n++] = ' ';
        }
        const size_t nseg = (size_t)(next_random(&seed) % 12);
        for (size_t k = 0; k < nseg; k++) {
            id[n++] = '/';
            const char *piece = k < 11 && skeleton[k] >= 0 && next_random(&seed) % 8 != 0
                                    ? pieces[skeleton[k]]
                                    : pieces[next_random(&seed) % np];
            if (k == 5 || k == 6 || k == 8) {
                piece = pieces[3 + next_random(&seed) % 10];
            }
            for (size_t c = 0; piece[c] != '\0'; c++) {
                char ch = piece[c];
                if (next_random(&seed) % 3 == 0 && ch >= 'a' && ch <= 'z') {
                    ch = (char)(ch - 'a' + 'A');
                }
                id[n++] = ch;
            }
        }
        switch (next_random(&seed) % 6) {
        case 0:
            id[n++] = '/';
            break;
        case 1:
            id[n++] = '/';
            id[n++] = '/';
            break;
        case 2:
            id[n++] = '\n';
            break;
        default:
            break;
        }
        size_t want_res = 0, want_vm = 0;
        const enum corral_resource_kind want = reference_resource(id, n, &want_res, &want_vm);
        struct corral_str res, vm;
        const enum corral_resource_kind got = corral_resource_normalize(f->arena, id, n, &res, &vm);
        if (got != want || (want != CORRAL_RES_NONE &&
                            (res.len != want_res || vm.len != want_vm || res.s[res.len] != '\0'))) {
            fail_msg("\"%.*s\": got kind %d (%zu, %zu), want %d (%zu, %zu)", (int)n, id, got,
                     res.len, vm.len, want, want_res, want_vm);
        }
        struct corral_str sub = {NULL, 0};
        struct corral_str want_sub = {NULL, 0};
        const int sub_rc = corral_resource_subscription(id, n, &sub);
        if (sub_rc != reference_subscription(id, n, &want_sub) ||
            (sub_rc == 0 && (sub.s != want_sub.s || sub.len != want_sub.len))) {
            fail_msg("\"%.*s\": subscription %d \"%.*s\"", (int)n, id, sub_rc, (int)sub.len,
                     sub.s != NULL ? sub.s : "");
        }
        for (size_t c = 0; c < res.len; c++) {
            char want_c = id[c + (size_t)(strchr(" ", id[0]) != NULL && id[0] != '\0')];
            if (want_c >= 'A' && want_c <= 'Z') {
                want_c = (char)(want_c - 'A' + 'a');
            }
            if (res.s[c] != want_c) {
                fail_msg("\"%.*s\": key byte %zu is '%c'", (int)n, id, c, res.s[c]);
            }
        }
        if (iter % 1000 == 0) {
            corral_arena_reset(f->arena);
        }
    }
}

static void test_resource_subscription(void **state)
{
    (void)state;
    expect_subscription(VM1_RAW, SUB1);
    expect_subscription(SAMPLE_VM_RAW, SUB2);
    expect_subscription("/subscriptions/" SUB2, SUB2);
    expect_subscription("/subscriptions/" SUB2 "/", SUB2);
    expect_subscription(" /Subscriptions/abc/providers/Microsoft.Security/x ", "abc");
    expect_subscription("/subscriptions/abc//", "abc");
    /* The id is borrowed from the input in its own case (see entities.c). */
    expect_subscription("/subscriptions/ABC-def", "ABC-def");
    expect_subscription(NULL, NULL);
    expect_subscription("", NULL);
    expect_subscription("/subscriptions", NULL);
    expect_subscription("/subscriptions/", NULL);
    expect_subscription("/subscriptions//resourceGroups/g", NULL);
    expect_subscription("subscriptions/abc", NULL);
    expect_subscription("/subscription/abc", NULL);
    expect_subscription("/resourceGroups/g/subscriptions/abc", NULL);
    expect_subscription("/subscriptions/a\x02"
                        "bc",
                        NULL);
}

static void test_add_resource(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(corral_entities_add_resource(&f->set, VM1_RAW, strlen(VM1_RAW)), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, VM1}, {CORRAL_ENT_VM, VM1});

    corral_entity_set_init(&f->set, f->arena);
    const char *aks = "/subscriptions/s/resourceGroups/g/providers/"
                      "Microsoft.ContainerService/managedClusters/AKS1/agentPools/np";
    assert_int_equal(corral_entities_add_resource(&f->set, aks, strlen(aks)), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, RG "microsoft.containerservice/managedclusters/aks1"},
               {CORRAL_ENT_CLUSTER, RG "microsoft.containerservice/managedclusters/aks1"});

    corral_entity_set_init(&f->set, f->arena);
    const char *kv = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/KV1";
    assert_int_equal(corral_entities_add_resource(&f->set, kv, strlen(kv)), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, RG "microsoft.keyvault/vaults/kv1"});

    corral_entity_set_init(&f->set, f->arena);
    const char *vmss = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                       "virtualMachineScaleSets/Pool/virtualMachines/7";
    assert_int_equal(corral_entities_add_resource(&f->set, vmss, strlen(vmss)), CORRAL_OK);
    ASSERT_SET(
        &f->set, {CORRAL_ENT_RESOURCE, RG "microsoft.compute/virtualmachinescalesets/pool"},
        {CORRAL_ENT_VM, RG "microsoft.compute/virtualmachinescalesets/pool/virtualmachines/7"});

    /* Not a resource: nothing added, and not an error. */
    corral_entity_set_init(&f->set, f->arena);
    const char *sub = "/subscriptions/" SUB2;
    assert_int_equal(corral_entities_add_resource(&f->set, sub, strlen(sub)), CORRAL_OK);
    assert_int_equal(corral_entities_add_resource(&f->set, "junk", 4), CORRAL_OK);
    assert_int_equal(corral_entities_add_resource(&f->set, NULL, 0), CORRAL_OK);
    assert_empty(&f->set);

    /* Two spellings of one vm are one resource and one vm. */
    corral_entity_set_init(&f->set, f->arena);
    assert_int_equal(corral_entities_add_resource(&f->set, SAMPLE_VM_RAW, strlen(SAMPLE_VM_RAW)),
                     CORRAL_OK);
    assert_int_equal(corral_entities_add_resource(&f->set, SAMPLE_VM, strlen(SAMPLE_VM)),
                     CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, SAMPLE_VM}, {CORRAL_ENT_VM, SAMPLE_VM});
}

/* ---- IP addresses ---- */

static void expect_ip(const char *in, const char *want)
{
    char out[46];
    memset(out, 'x', sizeof out);
    const int n = corral_ip_canonical(in, strlen(in), out);
    if (want == NULL) {
        if (n != -1) {
            fail_msg("\"%s\" taken for an address: \"%s\"", in, out);
        }
        return;
    }
    if (n < 0) {
        fail_msg("\"%s\" rejected, want \"%s\"", in, want);
    }
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_ip_canonical(void **state)
{
    (void)state;
    /* Every address is an entity: public, private, CGNAT, documentation. */
    expect_ip("8.8.8.8", "8.8.8.8");
    expect_ip("10.0.0.1", "10.0.0.1");
    expect_ip("172.16.5.4", "172.16.5.4");
    expect_ip("192.168.1.1", "192.168.1.1");
    expect_ip("100.64.0.1", "100.64.0.1");
    expect_ip("192.0.2.1", "192.0.2.1");
    expect_ip("198.51.100.7", "198.51.100.7");
    expect_ip("203.0.113.9", "203.0.113.9");
    expect_ip("255.255.255.255", "255.255.255.255");
    expect_ip("224.0.0.1", "224.0.0.1");
    expect_ip("0.0.0.1", "0.0.0.1");
    expect_ip(" \t10.1.2.3\r\n", "10.1.2.3");
    /* IPv6: compressed, lower-case. */
    expect_ip("2001:db8::1", "2001:db8::1");
    expect_ip("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
    expect_ip("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329");
    expect_ip("1:0:0:1:0:0:0:1", "1:0:0:1::1");
    expect_ip("fd00::1", "fd00::1");
    expect_ip("FEC0::1", "fec0::1");
    expect_ip("fe7f::1", "fe7f::1");
    expect_ip("::2", "::2");
    expect_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    /* IPv4-mapped IPv6 is the IPv4 address. */
    expect_ip("::ffff:10.1.2.3", "10.1.2.3");
    expect_ip("::FFFF:0a01:0203", "10.1.2.3");
    expect_ip("0:0:0:0:0:ffff:c000:0201", "192.0.2.1");
    /* Loopback, unspecified, link-local: never entities, in either family. */
    expect_ip("127.0.0.1", NULL);
    expect_ip("127.255.255.254", NULL);
    expect_ip("0.0.0.0", NULL);
    expect_ip("169.254.0.0", NULL);
    expect_ip("169.254.169.254", NULL);
    expect_ip("169.254.255.255", NULL);
    expect_ip("::1", NULL);
    expect_ip("0:0:0:0:0:0:0:1", NULL);
    expect_ip("::", NULL);
    expect_ip("fe80::1", NULL);
    expect_ip("FE80::1234:5678", NULL);
    expect_ip("febf:ffff::1", NULL);
    expect_ip("::ffff:127.0.0.1", NULL);
    expect_ip("::ffff:0.0.0.0", NULL);
    expect_ip("::ffff:169.254.1.1", NULL);
    /* ...but their neighbours are. */
    expect_ip("126.255.255.255", "126.255.255.255");
    expect_ip("128.0.0.0", "128.0.0.0");
    expect_ip("169.253.255.255", "169.253.255.255");
    expect_ip("169.255.0.0", "169.255.0.0");
    /* Ports, brackets, zones, prefixes, lists, junk. */
    static const char *const bad[] = {
        "",
        "   ",
        "1.2.3.4:80",
        "[2001:db8::1]",
        "[2001:db8::1]:443",
        "[1.2.3.4]",
        "fe80::1%eth0",
        "2001:db8::1%eth0",
        "2001:db8::1%1",
        "1.2.3.4/24",
        "2001:db8::/32",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.256",
        "1.2.3.-1",
        "0x01020304",
        "16909060",
        "1.2.3.4 5.6.7.8",
        "1.2.3.4,5.6.7.8",
        "1.2.3.4;",
        "a.b.c.d",
        "2001:db8:::1",
        "gggg::1",
        "1:2:3:4:5:6:7:8:9",
        "::ffff:1.2.3",
        "localhost",
        "example.com",
        "1.2.3.4 extra text that makes this longer than any address can be",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_ip(bad[i], NULL);
    }
    char out[46];
    assert_int_equal(corral_ip_canonical("1.2.3.4\0", 8, out), -1);
    assert_int_equal(corral_ip_canonical("1.2.3.4\0"
                                         "5",
                                         9, out),
                     -1);
    assert_int_equal(corral_ip_canonical(NULL, 0, out), -1);
    /* Only len bytes are read. */
    assert_int_equal(corral_ip_canonical("10.0.0.1:8080", 8, out), 8);
    assert_string_equal(out, "10.0.0.1");
}

/*
 * corral_ip_canonical() as it was written first, on inet_pton() and
 * inet_ntop() alone: the reference that the hand-written IPv4 path must
 * agree with, byte for byte, on every input.
 */
static int reference_ip(const char *s, size_t len, char out[46])
{
    size_t b = 0;
    size_t e = s != NULL ? len : 0;
    while (b < e && strchr(" \t\n\r\v\f", s[b]) != NULL && s[b] != '\0') {
        b++;
    }
    while (e > b && strchr(" \t\n\r\v\f", s[e - 1]) != NULL && s[e - 1] != '\0') {
        e--;
    }
    char buf[46];
    unsigned char a[16];
    int family;
    if (e == b || e - b >= sizeof buf || memchr(s + b, '\0', e - b) != NULL) {
        return -1;
    }
    memcpy(buf, s + b, e - b);
    buf[e - b] = '\0';
    if (inet_pton(AF_INET, buf, a) == 1) {
        family = AF_INET;
    } else if (inet_pton(AF_INET6, buf, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        family = AF_INET6;
        if (memcmp(a, mapped, sizeof mapped) == 0) {
            memmove(a, a + 12, 4);
            family = AF_INET;
        }
    } else {
        return -1;
    }
    if (family == AF_INET) {
        if ((a[0] | a[1] | a[2] | a[3]) == 0 || a[0] == 127 || (a[0] == 169 && a[1] == 254)) {
            return -1;
        }
    } else {
        static const unsigned char zero[15] = {0};
        const int low = memcmp(a, zero, sizeof zero) == 0;
        if ((low && (a[15] == 0 || a[15] == 1)) || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
            return -1;
        }
    }
    if (inet_ntop(family, a, out, 46) == NULL) {
        return -1;
    }
    return (int)strlen(out);
}

static void expect_same_ip(const char *in, size_t len)
{
    char got[46], want[46];
    memset(got, 'x', sizeof got);
    const int n = corral_ip_canonical(in, len, got);
    const int m = reference_ip(in, len, want);
    if (n != m || (n >= 0 && strcmp(got, want) != 0)) {
        fail_msg("\"%.*s\": got %d \"%s\", inet_pton/inet_ntop say %d \"%s\"", (int)len, in, n,
                 n >= 0 ? got : "", m, m >= 0 ? want : "");
    }
}

/* The hand-written IPv4 parser and formatter against libc, valid and invalid alike. */
static void test_ip_against_libc(void **state)
{
    (void)state;
    /* Every octet value in every position, and the forms around it. */
    static const char *const parts[] = {
        "",     "0",   "00",  "000", "01",  "010", "1",   "9",   "10",       "99",    "100",
        "199",  "200", "249", "250", "255", "256", "260", "299", "300",      "999",   "1000",
        "0255", "a",   " 1",  "1 ",  "+1",  "-1",  "0x1", "1e1", "\xd9\xa3", "\0001",
    };
    const size_t np = sizeof parts / sizeof *parts;
    char text[64];
    for (size_t i = 0; i < np; i++) {
        for (size_t j = 0; j < np; j++) {
            int n = snprintf(text, sizeof text, "%s.1.%s.2", parts[i], parts[j]);
            expect_same_ip(text, (size_t)n);
            n = snprintf(text, sizeof text, "1.%s.3.%s", parts[i], parts[j]);
            expect_same_ip(text, (size_t)n);
            n = snprintf(text, sizeof text, "%s.%s", parts[i], parts[j]);
            expect_same_ip(text, (size_t)n);
            n = snprintf(text, sizeof text, "::ffff:%s.2.3.%s", parts[i], parts[j]);
            expect_same_ip(text, (size_t)n);
        }
    }
    for (unsigned v = 0; v < 256; v++) {
        int n = snprintf(text, sizeof text, "%u.%u.%u.%u", v, 255 - v, v / 3, v);
        expect_same_ip(text, (size_t)n);
        n = snprintf(text, sizeof text, "%u.0.0.%u", v, v);
        expect_same_ip(text, (size_t)n);
        n = snprintf(text, sizeof text, "169.%u.1.1", v);
        expect_same_ip(text, (size_t)n);
    }
    /* NUL inside, and only len bytes read. */
    expect_same_ip("1.2.3.4\0", 8);
    expect_same_ip("1.2.3.\0"
                   "4",
                   8);
    expect_same_ip("1.2.3.45", 7);
    expect_same_ip("1.2.3.4.", 8);
    expect_same_ip("1.2.3.4..", 9);
    expect_same_ip(".1.2.3.4", 8);
    expect_same_ip("1..2.3.4", 8);
    /* Random text over the characters addresses are made of. */
    static const char alphabet[] = "0123456789..::::abcdefABCDEFx% /\t\n[]";
    uint64_t seed = 42;
    for (int iter = 0; iter < 300000; iter++) {
        size_t len = (size_t)(next_random(&seed) % 24);
        for (size_t k = 0; k < len; k++) {
            text[k] = alphabet[next_random(&seed) % (sizeof alphabet - 1)];
        }
        expect_same_ip(text, len);
    }
    /* Random dotted quads, near-valid: a digit dropped, doubled or changed. */
    for (int iter = 0; iter < 100000; iter++) {
        int n = snprintf(text, sizeof text, "%u.%u.%u.%u", (unsigned)(next_random(&seed) % 300),
                         (unsigned)(next_random(&seed) % 256), (unsigned)(next_random(&seed) % 256),
                         (unsigned)(next_random(&seed) % 260));
        size_t at = (size_t)(next_random(&seed) % (unsigned)n);
        switch (next_random(&seed) % 4) {
        case 0:
            break;
        case 1:
            memmove(text + at, text + at + 1, (size_t)n - at);
            n--;
            break;
        case 2:
            memmove(text + at + 1, text + at, (size_t)n - at + 1);
            n++;
            break;
        default:
            text[at] = alphabet[next_random(&seed) % 12];
            break;
        }
        expect_same_ip(text, (size_t)n);
    }
}

static void test_add_ip(void **state)
{
    struct fixture *f = *state;
    static const char *const in[] = {
        "10.0.0.1", " 10.0.0.1 ", "::ffff:10.0.0.1", "2001:DB8::1", "127.0.0.1",
        "junk",     "",           "fe80::1",
    };
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        assert_int_equal(corral_entities_add_ip(&f->set, in[i], strlen(in[i])), CORRAL_OK);
    }
    assert_int_equal(corral_entities_add_ip(&f->set, NULL, 0), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_IP, "10.0.0.1"}, {CORRAL_ENT_IP, "2001:db8::1"});
}

/* ---- accounts ---- */

static enum corral_entity_type add_account(struct fixture *f, const struct corral_account_fields *a)
{
    enum corral_entity_type added = CORRAL_ENT_URL; /* anything but the answers */
    assert_int_equal(corral_entities_add_account(&f->set, a, &added), CORRAL_OK);
    return added;
}

/* One account alone in a fresh set: its type and key, or nothing. */
static void expect_account(struct fixture *f, const struct corral_account_fields *a,
                           enum corral_entity_type type, const char *key)
{
    corral_entity_set_init(&f->set, f->arena);
    const enum corral_entity_type added = add_account(f, a);
    if (key == NULL) {
        assert_int_equal(added, CORRAL_ENT_COUNT);
        assert_empty(&f->set);
        return;
    }
    assert_int_equal(added, type);
    const struct want w = {type, key};
    assert_set(&f->set, &w, 1);
}

#define ZERO_GUID "00000000-0000-0000-0000-000000000000"
#define AAD "8D1C4C33-5B2F-4A3E-9B3F-0F1E2D3C4B5A"
#define AAD_LC "8d1c4c33-5b2f-4a3e-9b3f-0f1e2d3c4b5a"
#define OID "C0FFEE00-1111-2222-3333-444455556666"
#define OID_LC "c0ffee00-1111-2222-3333-444455556666"
#define DOM_SID "S-1-5-21-2144575486-8928446540-5163864319-500"
#define DOM_SID_LC "s-1-5-21-2144575486-8928446540-5163864319-500"

static void test_account_samples(void **state)
{
    struct fixture *f = *state;
    /* test-alert.log: zero AadUserId (and AadTenantId) is a placeholder. */
    struct corral_account_fields a = {0};
    a.name = S("sample");
    a.upn_suffix = S("contoso.com");
    a.aad_user_id = S(ZERO_GUID);
    expect_account(f, &a, CORRAL_ENT_USER, "sample@contoso.com");
    /* GetAlertsSubscription_example.json: a local account of vm2. */
    struct corral_account_fields b = {0};
    b.name = S("contosoUser");
    b.nt_domain = S("vm2");
    b.sid = S(DOM_SID);
    expect_account(f, &b, CORRAL_ENT_USER, "vm2\\contosouser");
}

static void test_account_keys(void **state)
{
    struct fixture *f = *state;
    struct corral_account_fields a;

    /* Key precedence: AadUserId, ObjectGuid, name@upn, domain\name, Sid. */
    a = (struct corral_account_fields){0};
    a.name = S("Alice");
    a.upn_suffix = S("Contoso.com");
    a.nt_domain = S("CONTOSO");
    a.sid = S(DOM_SID);
    a.object_guid = S(OID);
    a.aad_user_id = S(AAD);
    expect_account(f, &a, CORRAL_ENT_USER, AAD_LC);
    a.aad_user_id = S("");
    expect_account(f, &a, CORRAL_ENT_USER, OID_LC);
    a.object_guid = S(ZERO_GUID);
    expect_account(f, &a, CORRAL_ENT_USER, "alice@contoso.com");
    a.upn_suffix = S(NULL);
    expect_account(f, &a, CORRAL_ENT_USER, "contoso\\alice");
    a.nt_domain = S("  ");
    expect_account(f, &a, CORRAL_ENT_USER, DOM_SID_LC);
    a.name = S(NULL);
    expect_account(f, &a, CORRAL_ENT_USER, DOM_SID_LC);

    /* Fields are trimmed before use. */
    a = (struct corral_account_fields){0};
    a.name = S("  Bob\t");
    a.upn_suffix = S(" Fabrikam.COM ");
    expect_account(f, &a, CORRAL_ENT_USER, "bob@fabrikam.com");

    /* A qualified name: DOMAIN\name and name@suffix; the record's own fields win. */
    a = (struct corral_account_fields){0};
    a.name = S("CONTOSO\\Carol");
    expect_account(f, &a, CORRAL_ENT_USER, "contoso\\carol");
    a.nt_domain = S("Fabrikam");
    expect_account(f, &a, CORRAL_ENT_USER, "fabrikam\\carol");
    a = (struct corral_account_fields){0};
    a.name = S("Carol@Contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, "carol@contoso.com");
    a.upn_suffix = S("contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, "carol@contoso.com");
    a = (struct corral_account_fields){0};
    a.name = S("carol@");
    expect_account(f, &a, CORRAL_ENT_USER, NULL); /* an empty suffix is no domain */

    /* A name with only a DNS domain has no key form: nothing. */
    a = (struct corral_account_fields){0};
    a.name = S("dave");
    a.dns_domain = S("contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    /* A domain with no name, and no id: nothing. */
    a = (struct corral_account_fields){0};
    a.nt_domain = S("CONTOSO");
    a.upn_suffix = S("contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    /* Nothing at all. */
    a = (struct corral_account_fields){0};
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
}

static void test_account_service_principal(void **state)
{
    struct fixture *f = *state;
    struct corral_account_fields a;

    /* An AAD id with no domain and no Sid: a service principal. */
    a = (struct corral_account_fields){0};
    a.name = S("my-automation-app");
    a.aad_user_id = S(AAD);
    expect_account(f, &a, CORRAL_ENT_SERVICE_PRINCIPAL, AAD_LC);
    a = (struct corral_account_fields){0};
    a.object_guid = S(OID);
    expect_account(f, &a, CORRAL_ENT_SERVICE_PRINCIPAL, OID_LC);
    a.aad_user_id = S(AAD);
    expect_account(f, &a, CORRAL_ENT_SERVICE_PRINCIPAL, AAD_LC);
    /* Any of UPNSuffix, NTDomain, DnsDomain or Sid makes it a user. */
    a = (struct corral_account_fields){0};
    a.name = S("eve");
    a.aad_user_id = S(AAD);
    a.upn_suffix = S("contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, AAD_LC);
    a.upn_suffix = S(NULL);
    a.nt_domain = S("CONTOSO");
    expect_account(f, &a, CORRAL_ENT_USER, AAD_LC);
    a.nt_domain = S(NULL);
    a.dns_domain = S("contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, AAD_LC);
    a.dns_domain = S(NULL);
    a.sid = S("S-1-12-1-1111-2222-3333-4444");
    expect_account(f, &a, CORRAL_ENT_USER, AAD_LC);
    /* NT AUTHORITY is no domain: still a service principal. */
    a.sid = S(NULL);
    a.nt_domain = S("NT AUTHORITY");
    expect_account(f, &a, CORRAL_ENT_SERVICE_PRINCIPAL, AAD_LC);
    /* The record says so: a service principal whatever the fields. */
    a = (struct corral_account_fields){0};
    a.name = S("app");
    a.upn_suffix = S("contoso.onmicrosoft.com");
    a.says_service_principal = 1;
    expect_account(f, &a, CORRAL_ENT_SERVICE_PRINCIPAL, "app@contoso.onmicrosoft.com");
    /* Placeholder ids are absent: no id, so no service principal, and a bare name. */
    a = (struct corral_account_fields){0};
    a.name = S("ghost");
    a.aad_user_id = S(ZERO_GUID);
    a.object_guid = S("{00000000-0000-0000-0000-000000000000}");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.says_service_principal = 1;
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    /* A non-zero GUID that merely starts with zeros is real. */
    a = (struct corral_account_fields){0};
    a.aad_user_id = S("00000000-0000-0000-0000-000000000001");
    expect_account(f, &a, CORRAL_ENT_SERVICE_PRINCIPAL, "00000000-0000-0000-0000-000000000001");
}

static void test_account_builtins(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {
        "SYSTEM",          "system",         "root",
        "Administrator",   "LOCAL SYSTEM",   "LOCAL SERVICE",
        "NETWORK SERVICE", "ANONYMOUS",      "ANONYMOUS LOGON",
        "Guest",           "DefaultAccount", "WDAGUtilityAccount",
        " root ",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct corral_account_fields a = {0};
        a.name = S(names[i]);
        expect_account(f, &a, CORRAL_ENT_USER, NULL);
        /* NT AUTHORITY and BUILTIN are no domain. */
        a.nt_domain = S("NT AUTHORITY");
        expect_account(f, &a, CORRAL_ENT_USER, NULL);
        a.nt_domain = S("BUILTIN");
        expect_account(f, &a, CORRAL_ENT_USER, NULL);
        a.nt_domain = S("nt authority");
        a.sid = S(DOM_SID); /* even with a Sid: a built-in with no domain */
        expect_account(f, &a, CORRAL_ENT_USER, NULL);
    }
    struct corral_account_fields a = {0};
    a.name = S("NT AUTHORITY\\SYSTEM");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.sid = S("S-1-5-18");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    /* With a real domain, a built-in name is somebody's. */
    a = (struct corral_account_fields){0};
    a.name = S("Administrator");
    a.nt_domain = S("CONTOSO");
    expect_account(f, &a, CORRAL_ENT_USER, "contoso\\administrator");
    a = (struct corral_account_fields){0};
    a.name = S("root");
    a.upn_suffix = S("contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, "root@contoso.com");
    a = (struct corral_account_fields){0};
    a.name = S("Administrator@contoso.com");
    expect_account(f, &a, CORRAL_ENT_USER, "administrator@contoso.com");
    /* Names that merely contain a built-in word are ordinary names. */
    a = (struct corral_account_fields){0};
    a.name = S("systemadmin");
    a.nt_domain = S("CONTOSO");
    expect_account(f, &a, CORRAL_ENT_USER, "contoso\\systemadmin");
}

static void test_account_bare_and_well_known(void **state)
{
    struct fixture *f = *state;
    struct corral_account_fields a;
    /* A bare local name ties unrelated machines together: nothing. */
    a = (struct corral_account_fields){0};
    a.name = S("admin");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.nt_domain = S("BUILTIN");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.nt_domain = S("NT SERVICE");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.nt_domain = S("IIS APPPOOL");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.nt_domain = S("Window Manager");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.nt_domain = S("Font Driver Host");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a.nt_domain = S("");
    a.upn_suffix = S("");
    a.dns_domain = S(" ");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);
    a = (struct corral_account_fields){0};
    a.name = S("NT SERVICE\\MSSQLSERVER");
    expect_account(f, &a, CORRAL_ENT_USER, NULL);

    /* Well-known SIDs are the same everywhere: not entities. */
    static const char *const wk[] = {
        "S-1-5-18",
        "S-1-5-19",
        "S-1-5-20",
        "S-1-5-7",
        "s-1-5-18",
        " S-1-5-18 ",
        "S-1-5-11",
        "S-1-5-17",
        "S-1-5-32-544",
        "S-1-5-32-545",
        "S-1-1-0",
        "S-1-0-0",
        "S-1-3-0",
        "S-1-2-1",
        "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003",
        "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415",
        "S-1-5-90-0-1",
        "S-1-5-96-0-0",
    };
    for (size_t i = 0; i < sizeof wk / sizeof *wk; i++) {
        a = (struct corral_account_fields){0};
        a.sid = S(wk[i]);
        expect_account(f, &a, CORRAL_ENT_USER, NULL);
        a.name = S("svc");
        expect_account(f, &a, CORRAL_ENT_USER, NULL);
    }
    /* Machine, domain and Entra ID SIDs are accounts. */
    a = (struct corral_account_fields){0};
    a.sid = S(DOM_SID);
    expect_account(f, &a, CORRAL_ENT_USER, DOM_SID_LC);
    a.sid = S("S-1-12-1-1111-2222-3333-4444");
    expect_account(f, &a, CORRAL_ENT_USER, "s-1-12-1-1111-2222-3333-4444");
    /* Numbers too large for any SID are not well-known: the text is still a key. */
    a.sid = S("S-1-5-123456789012345678901234567890");
    expect_account(f, &a, CORRAL_ENT_USER, "s-1-5-123456789012345678901234567890");
    a.sid = S("S-1-99999999999999999999-5");
    expect_account(f, &a, CORRAL_ENT_USER, "s-1-99999999999999999999-5");
    /* A well-known SID does not stop a real key. */
    a = (struct corral_account_fields){0};
    a.name = S("svc");
    a.nt_domain = S("CONTOSO");
    a.sid = S("S-1-5-20");
    expect_account(f, &a, CORRAL_ENT_USER, "contoso\\svc");
}

static void test_account_added_and_dedupe(void **state)
{
    struct fixture *f = *state;
    struct corral_account_fields a = {0};
    a.name = S("alice");
    a.upn_suffix = S("contoso.com");
    /* added may be NULL. */
    assert_int_equal(corral_entities_add_account(&f->set, &a, NULL), CORRAL_OK);
    struct corral_account_fields b = {0};
    b.name = S("ALICE@CONTOSO.COM");
    assert_int_equal(add_account(f, &b), CORRAL_ENT_USER);
    struct corral_account_fields c = {0};
    c.aad_user_id = S(AAD);
    assert_int_equal(add_account(f, &c), CORRAL_ENT_SERVICE_PRINCIPAL);
    struct corral_account_fields d = {0};
    d.name = S("root");
    assert_int_equal(add_account(f, &d), CORRAL_ENT_COUNT);
    ASSERT_SET(&f->set, {CORRAL_ENT_USER, "alice@contoso.com"},
               {CORRAL_ENT_SERVICE_PRINCIPAL, AAD_LC});
}

/* ---- hosts ---- */

static void test_host_azure_id(void **state)
{
    struct fixture *f = *state;
    struct corral_str vm;
    /* GetAlertsSubscription_example.json: AzureID wins over OMSAgentID. */
    struct corral_host_fields h = {0};
    h.azure_id = S("/subscriptions/" SUB1
                   "/resourcegroups/myRg2/providers/microsoft.compute/virtualmachines/vm2");
    h.oms_agent_id = S("45b44640-3b94-4892-a28c-4a5cae27065a");
    h.host_name = S("vm2");
    h.dns_domain = S("");
    assert_int_equal(corral_entities_add_host(&f->set, &h, &vm), CORRAL_OK);
    const char *vm2 = "/subscriptions/" SUB1
                      "/resourcegroups/myrg2/providers/microsoft.compute/virtualmachines/vm2";
    assert_string_equal(vm.s, vm2);
    assert_int_equal(vm.len, strlen(vm2));
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, vm2}, {CORRAL_ENT_VM, vm2});

    /* test-alert.log: upper-case AzureID, zero OMSAgentID. */
    corral_entity_set_init(&f->set, f->arena);
    h = (struct corral_host_fields){0};
    h.azure_id = S(SAMPLE_VM_RAW);
    h.oms_agent_id = S(ZERO_GUID);
    h.host_name = S("Sample-VM");
    assert_int_equal(corral_entities_add_host(&f->set, &h, &vm), CORRAL_OK);
    assert_string_equal(vm.s, SAMPLE_VM);
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, SAMPLE_VM}, {CORRAL_ENT_VM, SAMPLE_VM});

    /* A scale-set instance: resource = the scale set, vm = the instance. */
    corral_entity_set_init(&f->set, f->arena);
    h = (struct corral_host_fields){0};
    h.azure_id = S("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                   "virtualMachineScaleSets/Pool/virtualMachines/2");
    assert_int_equal(corral_entities_add_host(&f->set, &h, &vm), CORRAL_OK);
    assert_string_equal(vm.s,
                        RG "microsoft.compute/virtualmachinescalesets/pool/virtualmachines/2");
    ASSERT_SET(
        &f->set, {CORRAL_ENT_RESOURCE, RG "microsoft.compute/virtualmachinescalesets/pool"},
        {CORRAL_ENT_VM, RG "microsoft.compute/virtualmachinescalesets/pool/virtualmachines/2"});

    /* An AzureID that is another kind of resource: kept as a resource, vm key from the rest. */
    corral_entity_set_init(&f->set, f->arena);
    h = (struct corral_host_fields){0};
    h.azure_id = S("/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/app1");
    h.oms_agent_id = S("45B44640-3B94-4892-A28C-4A5CAE27065A");
    assert_int_equal(corral_entities_add_host(&f->set, &h, &vm), CORRAL_OK);
    assert_string_equal(vm.s, "45b44640-3b94-4892-a28c-4a5cae27065a");
    ASSERT_SET(&f->set, {CORRAL_ENT_RESOURCE, RG "microsoft.web/sites/app1"},
               {CORRAL_ENT_VM, "45b44640-3b94-4892-a28c-4a5cae27065a"});

    /* A junk AzureID is ignored. */
    corral_entity_set_init(&f->set, f->arena);
    h = (struct corral_host_fields){0};
    h.azure_id = S("/subscriptions/" SUB1);
    h.host_name = S("Web01");
    assert_int_equal(corral_entities_add_host(&f->set, &h, &vm), CORRAL_OK);
    assert_string_equal(vm.s, "web01");
    ASSERT_SET(&f->set, {CORRAL_ENT_VM, "web01"});
}

static void expect_host(struct fixture *f, const struct corral_host_fields *h, const char *want)
{
    struct corral_str vm = {"junk", 4};
    corral_entity_set_init(&f->set, f->arena);
    assert_int_equal(corral_entities_add_host(&f->set, h, &vm), CORRAL_OK);
    if (want == NULL) {
        assert_int_equal(vm.len, 0);
        assert_empty(&f->set);
        return;
    }
    assert_int_equal(vm.len, strlen(want));
    assert_memory_equal(vm.s, want, vm.len);
    const struct want w = {CORRAL_ENT_VM, want};
    assert_set(&f->set, &w, 1);
}

static void test_host_fallbacks(void **state)
{
    struct fixture *f = *state;
    struct corral_host_fields h = {0};
    /* OMSAgentID: a non-zero GUID, lower-cased; test-alert.log's ...0001 is one. */
    h.oms_agent_id = S("00000000-0000-0000-0000-000000000001");
    h.host_name = S("Sample-VM");
    expect_host(f, &h, "00000000-0000-0000-0000-000000000001");
    h.oms_agent_id = S(" 45B44640-3B94-4892-A28C-4A5CAE27065A ");
    expect_host(f, &h, "45b44640-3b94-4892-a28c-4a5cae27065a");
    /* Zero or malformed: fall back to the host name. */
    static const char *const bad_oms[] = {
        ZERO_GUID,
        "",
        "not-a-guid",
        "45b44640-3b94-4892-a28c-4a5cae27065", /* 35 chars */
        "45b44640-3b94-4892-a28c-4a5cae27065aa",
        "45b44640x3b94-4892-a28c-4a5cae27065a",
        "g5b44640-3b94-4892-a28c-4a5cae27065a",
        "{45b44640-3b94-4892-a28c-4a5cae27065a}",
    };
    for (size_t i = 0; i < sizeof bad_oms / sizeof *bad_oms; i++) {
        h.oms_agent_id = S(bad_oms[i]);
        expect_host(f, &h, "sample-vm");
    }
    /* hostname[.dnsdomain], lower-cased, trailing dots dropped, never doubled. */
    h = (struct corral_host_fields){0};
    h.host_name = S("WEB01");
    h.dns_domain = S("Contoso.COM");
    expect_host(f, &h, "web01.contoso.com");
    h.dns_domain = S("contoso.com.");
    expect_host(f, &h, "web01.contoso.com");
    h.host_name = S("web01.contoso.com");
    expect_host(f, &h, "web01.contoso.com");
    h.host_name = S("WEB01.CONTOSO.COM.");
    expect_host(f, &h, "web01.contoso.com");
    h.host_name = S("web01contoso.com"); /* not a label boundary: append */
    expect_host(f, &h, "web01contoso.com.contoso.com");
    h.host_name = S("web01.eu");
    expect_host(f, &h, "web01.eu.contoso.com");
    h.dns_domain = S("  ");
    h.host_name = S(" Web01 ");
    expect_host(f, &h, "web01");
    /* Nothing to go on. */
    h = (struct corral_host_fields){0};
    expect_host(f, &h, NULL);
    h.dns_domain = S("contoso.com");
    h.oms_agent_id = S(ZERO_GUID);
    expect_host(f, &h, NULL);
    h.host_name = S(" . ");
    expect_host(f, &h, NULL);
    /* vm_key may be NULL. */
    corral_entity_set_init(&f->set, f->arena);
    h = (struct corral_host_fields){0};
    h.host_name = S("db1");
    assert_int_equal(corral_entities_add_host(&f->set, &h, NULL), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_VM, "db1"});
}

/* ---- processes ---- */

static void test_process_s1(void **state)
{
    struct fixture *f = *state;
    struct corral_process_fields p = {0};
    /* test-alert.log: ProcessId 0x1e49a, CreationTimeUtc 2023-05-11T13:17:49.1333596Z. */
    p.vm_key = S(SAMPLE_VM);
    p.process_id = S("0x1e49a");
    p.creation_time = S("2023-05-11T13:17:49.1333596Z");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    /* The same process, written differently, is the same key. */
    p.process_id = S("124058");
    p.creation_time = S("2023-05-11T15:17:49.1333596+02:00");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.process_id = S(" 0X1E49A ");
    p.creation_time = S(" 2023-05-11t13:17:49.13335960Z ");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_PROCESS, SAMPLE_VM "|124058|2023-05-11T13:17:49.1333596Z"});

    /* Pid forms. */
    static const struct {
        const char *in, *out;
    } pids[] = {
        {"1234", "1234"},
        {"0x4aec", "19180"},
        {"0X4AEC", "19180"},
        {"007", "7"},
        {"0", "0"},
        {"0x0", "0"},
        {"0x0000000000000000001", "1"},
        {"18446744073709551615", "18446744073709551615"},
        {"0xffffffffffffffff", "18446744073709551615"},
    };
    for (size_t i = 0; i < sizeof pids / sizeof *pids; i++) {
        char want[128];
        snprintf(want, sizeof want, "vm|%s|2020-01-01T00:00:00.0000000Z", pids[i].out);
        corral_entity_set_init(&f->set, f->arena);
        p = (struct corral_process_fields){0};
        p.vm_key = S("vm");
        p.process_id = S(pids[i].in);
        p.creation_time = S("2020-01-01T00:00:00Z");
        assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
        const struct want w = {CORRAL_ENT_PROCESS, want};
        assert_set(&f->set, &w, 1);
    }
}

static void test_process_s1_missing(void **state)
{
    struct fixture *f = *state;
    struct corral_process_fields p = {0};
    /* Junk pids: no S1. */
    static const char *const bad_pids[] = {
        "",
        " ",
        "12a",
        "0x",
        "0xg1",
        "x10",
        "1e49a",
        "-5",
        "+5",
        "1 2",
        "1.0",
        "0x-1",
        "18446744073709551616",
        "0x10000000000000000",
        "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad_pids / sizeof *bad_pids; i++) {
        p = (struct corral_process_fields){0};
        p.vm_key = S("vm");
        p.process_id = S(bad_pids[i]);
        p.creation_time = S("2020-01-01T00:00:00Z");
        assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    }
    /* Missing vm, pid or time, or an unparseable time: no S1. */
    p = (struct corral_process_fields){0};
    p.process_id = S("0x3c44");
    p.creation_time = S("2020-01-01T00:00:00Z");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.vm_key = S("  ");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.vm_key = S("vm");
    p.creation_time = S("");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.creation_time = S("2020-02-30T00:00:00Z");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.creation_time = S("yesterday");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.creation_time = S("2020-01-01T00:00:00Z");
    p.process_id = S(NULL);
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    /* GetAlertsSubscription_example.json: a process with only a pid. */
    p = (struct corral_process_fields){0};
    p.process_id = S("0x3c44");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    assert_empty(&f->set);
}

static void test_process_s2(void **state)
{
    struct fixture *f = *state;
    struct corral_process_fields p = {0};
    p.image_path = S("C:\\Windows\\System32\\cmd.exe");
    p.command_line = S("CMD.EXE /c whoami | findstr Admin");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_PROCESS_IMAGE,
                         "c:\\windows\\system32\\cmd.exe|cmd.exe /c whoami | findstr admin"});

    /* An empty command line still makes a key; surrounding spaces are trimmed. */
    corral_entity_set_init(&f->set, f->arena);
    p.image_path = S(" /usr/bin/Python3 ");
    p.command_line = S(NULL);
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.command_line = S("   ");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_PROCESS_IMAGE, "/usr/bin/python3|"});

    /* No image file, no S2, whatever the command line (GetAlertsSubscription_example.json). */
    corral_entity_set_init(&f->set, f->arena);
    p = (struct corral_process_fields){0};
    p.process_id = S("0x4aec");
    p.command_line = S("c:\\users\\contosoUser\\scrsave.scr");
    p.creation_time = S("2018-05-07T13:51:45.0045913Z");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    p.image_path = S("  ");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    assert_empty(&f->set);

    /* Both keys at once; S1 keeps the vm key's case as given, S2 is lower-cased. */
    corral_entity_set_init(&f->set, f->arena);
    p.vm_key = S(VM1);
    p.image_path = S("C:\\Users\\contosoUser\\scrsave.scr");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_PROCESS, VM1 "|19180|2018-05-07T13:51:45.0045913Z"},
               {CORRAL_ENT_PROCESS_IMAGE,
                "c:\\users\\contosouser\\scrsave.scr|c:\\users\\contosouser\\scrsave.scr"});
}

/* ---- domains, file hashes, URLs ---- */

static void test_domain(void **state)
{
    struct fixture *f = *state;
    static const char *const in[] = {
        "Example.COM.", "example.com", " EXAMPLE.com ", "mail.Example.com", "example.com..", "",
        "   ",          ".",           " . ",
    };
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        assert_int_equal(corral_entities_add_domain(&f->set, in[i], strlen(in[i])), CORRAL_OK);
    }
    assert_int_equal(corral_entities_add_domain(&f->set, NULL, 0), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_DOMAIN, "example.com"}, {CORRAL_ENT_DOMAIN, "example.com."},
               {CORRAL_ENT_DOMAIN, "mail.example.com"});
}

static void test_filehash(void **state)
{
    struct fixture *f = *state;
    /* test-alert.log: {"Algorithm":"MD5","Value":"Sample-SHA"}. */
    assert_int_equal(corral_entities_add_filehash(&f->set, "MD5", 3, "Sample-SHA", 10), CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, " SHA256 ", 8, " ABCDEF0123 ", 12),
                     CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, "sha256", 6, "abcdef0123", 10),
                     CORRAL_OK);
    /* Empty value or algorithm: nothing. */
    assert_int_equal(corral_entities_add_filehash(&f->set, "SHA1", 4, "", 0), CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, "SHA1", 4, "  ", 2), CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, "SHA1", 4, NULL, 0), CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, "", 0, "abc", 3), CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, NULL, 0, "abc", 3), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_FILEHASH, "md5:sample-sha"},
               {CORRAL_ENT_FILEHASH, "sha256:abcdef0123"});
}

static void test_url(void **state)
{
    struct fixture *f = *state;
    static const char *const in[] = {
        " https://Example.com/Path?Q=1 ",
        "https://Example.com/Path?Q=1",
        "https://example.com/path?q=1",
        "",
        " \t ",
    };
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        assert_int_equal(corral_entities_add_url(&f->set, in[i], strlen(in[i])), CORRAL_OK);
    }
    assert_int_equal(corral_entities_add_url(&f->set, NULL, 0), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_URL, "https://Example.com/Path?Q=1"},
               {CORRAL_ENT_URL, "https://example.com/path?q=1"});
}

/* ---- extendedProperties keys ---- */

static void test_key_names_ip(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "Client IP address",
        "Attacker IP",
        "IP",
        "ip",
        "source ip",
        "Client IP",
        "ipAddress",
        "IP addresses",
        "Source IP address",
        "client IP address",
        "Client IP Address",
        "IPAddress",
        "IPAddresses",
        "ClientIPAddress",
        "clientIpAddress",
        "callerIpAddress",
        "SourceIp",
        "SrcIP",
        "DestinationIP",
        "IP_address",
        "source-ip",
        "source.ip",
        "Suspicious IPs",
        "IPs",
        "IPv4 address",
        "IPv6",
        "ipv6Address",
        "IPv4Address",
        "ipaddress",
        "IpAddr",
        "Remote IP (attacker)",
        "Attacker source IP",
        "IP address of the attacker",
        "  IP  ",
        "Recipient IP",
        "Zip IP",
    };
    static const char *const no[] = {
        "Client IP location",
        "IP location",
        "ip range",
        "IP Range",
        "description",
        "zip",
        "ZIP code",
        "recipient",
        "script",
        "Script",
        "Relationship",
        "membership",
        "ship",
        "Skip",
        "equip",
        "tip",
        "Multiple",
        "Tipping point",
        "Client IP Country",
        "IP country code",
        "Source IP city",
        "Attacker IP ASN",
        "IP reputation",
        "Number of IPs",
        "IP count",
        "IP subnet",
        "IP version",
        "IP type",
        "IP port",
        "sourceip",
        "clientipaddress",
        "",
        "   ",
        "Client principal name",
        "Client location",
        "Client application",
        "IPLocation",
        "ipRange",
        "IpCountryCode",
        "Location of IP",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (corral_entities_key_names_ip(yes[i], strlen(yes[i])) != 1) {
            fail_msg("\"%s\" should name an IP", yes[i]);
        }
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        if (corral_entities_key_names_ip(no[i], strlen(no[i])) != 0) {
            fail_msg("\"%s\" should not name an IP", no[i]);
        }
    }
    assert_int_equal(corral_entities_key_names_ip(NULL, 0), 0);
    /* Only len bytes are read. */
    assert_int_equal(corral_entities_key_names_ip("Client IP location", 9), 1);
    assert_int_equal(corral_entities_key_names_ip("zip", 2), 0);
}

/* ---- a whole alert ---- */

static void test_alert_entities(void **state)
{
    struct fixture *f = *state;
    /* test-alert.log's entities, in document order, as a decoder would hand them over. */
    struct corral_host_fields h = {0};
    h.azure_id = S(SAMPLE_VM_RAW);
    h.oms_agent_id = S("00000000-0000-0000-0000-000000000001");
    h.host_name = S("Sample-VM");
    struct corral_str vm;
    assert_int_equal(corral_entities_add_host(&f->set, &h, &vm), CORRAL_OK);
    struct corral_account_fields a = {0};
    a.name = S("sample");
    a.upn_suffix = S("contoso.com");
    a.aad_user_id = S(ZERO_GUID);
    enum corral_entity_type added;
    assert_int_equal(corral_entities_add_account(&f->set, &a, &added), CORRAL_OK);
    assert_int_equal(added, CORRAL_ENT_USER);
    struct corral_process_fields p = {0};
    p.vm_key = vm;
    p.process_id = S("0x1e49a");
    p.creation_time = S("2023-05-11T13:17:49.1333596Z");
    p.image_path = S("/usr/bin/sample");
    p.command_line = S("sample --run");
    assert_int_equal(corral_entities_add_process(&f->set, &p), CORRAL_OK);
    assert_int_equal(corral_entities_add_ip(&f->set, "1.2.3.4", 7), CORRAL_OK);
    assert_int_equal(corral_entities_add_filehash(&f->set, "MD5", 3, "Sample-SHA", 10), CORRAL_OK);
    assert_int_equal(corral_entities_add_domain(&f->set, "Sample.Example.", 15), CORRAL_OK);
    assert_int_equal(corral_entities_add_resource(&f->set, SAMPLE_VM_RAW, strlen(SAMPLE_VM_RAW)),
                     CORRAL_OK);
    assert_int_equal(corral_entities_add_ip(&f->set, "127.0.0.1", 9), CORRAL_OK);
    ASSERT_SET(&f->set, {CORRAL_ENT_USER, "sample@contoso.com"}, {CORRAL_ENT_IP, "1.2.3.4"},
               {CORRAL_ENT_RESOURCE, SAMPLE_VM}, {CORRAL_ENT_VM, SAMPLE_VM},
               {CORRAL_ENT_PROCESS, SAMPLE_VM "|124058|2023-05-11T13:17:49.1333596Z"},
               {CORRAL_ENT_PROCESS_IMAGE, "/usr/bin/sample|sample --run"},
               {CORRAL_ENT_DOMAIN, "sample.example"}, {CORRAL_ENT_FILEHASH, "md5:sample-sha"});
    assert_int_equal(corral_entity_set_has(&f->set, CORRAL_ENT_VM, SAMPLE_VM, strlen(SAMPLE_VM)),
                     1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_set_sort_dedupe),
        T(test_set_add_rejects),
        T(test_set_grows_and_copies),
        T(test_resource_samples),
        T(test_resource_shapes),
        T(test_resource_scale_sets),
        T(test_resource_rejects),
        T(test_resource_against_reference),
        T(test_resource_subscription),
        T(test_add_resource),
        T(test_ip_canonical),
        T(test_ip_against_libc),
        T(test_add_ip),
        T(test_account_samples),
        T(test_account_keys),
        T(test_account_service_principal),
        T(test_account_builtins),
        T(test_account_bare_and_well_known),
        T(test_account_added_and_dedupe),
        T(test_host_azure_id),
        T(test_host_fallbacks),
        T(test_process_s1),
        T(test_process_s1_missing),
        T(test_process_s2),
        T(test_domain),
        T(test_filehash),
        T(test_url),
        T(test_key_names_ip),
        T(test_alert_entities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
