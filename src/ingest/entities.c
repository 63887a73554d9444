/*
 * entities.c - entity keys, normalized as incidents.md "Entities" says.
 *
 * Two alerts correlate when they name the same entity, so every key here must
 * be the same text for the same thing, whichever shape or spelling the alert
 * used, and must never tie together things that merely look alike (a local
 * "admin", NT AUTHORITY\SYSTEM, 127.0.0.1 exist on every machine). Each
 * corral_entities_add_*() takes the raw fields the decoder found, trims them,
 * and either adds the normalized key(s) or adds nothing: fields that name no
 * entity (junk, placeholders, built-ins) are not errors, since one odd field
 * must not cost the whole alert. The functions fail only with
 * CORRAL_ERR_NOMEM (the arena is full) or CORRAL_ERR_TOO_LARGE (a key beyond
 * 4 GiB).
 *
 * Case: keys are lower-cased with ASCII rules only (no locale); other bytes
 * are kept as they are. URLs keep their case: paths and queries are
 * case-sensitive.
 *
 * Process keys join their parts with '|':
 *   S1 (CORRAL_ENT_PROCESS)        vm key | decimal pid | creation time (corral_time_format)
 *   S2 (CORRAL_ENT_PROCESS_IMAGE)  image path | command line
 * '|' never occurs in a vm key (resource ids, GUIDs and host names do not
 * allow it), a decimal pid or a formatted time, so S1 splits unambiguously;
 * Windows paths cannot contain '|' either, so S2 splits at its first '|' even
 * when the command line holds pipes. A separator that command lines do not
 * use (a control character) would make keys awkward to print and log, for no
 * gain on the machines Defender watches.
 *
 * The entity set is an arena array that grows by doubling (the old array is
 * left in the arena: per-alert sets are small and the arena is reset per
 * record). Adding does not deduplicate; corral_entity_set_finish() sorts by
 * (type, key bytes) and drops duplicates once, which is cheaper than
 * searching on every add.
 *
 * Speed: every alert names a resource id or two, some 150 bytes each, so ids
 * are cut into segments sixteen bytes at a time where SSE2 exists and eight
 * elsewhere (util/ascii.h), and lower-cased once: the resource, vm and
 * cluster keys of one id share that copy. Dotted IPv4 addresses, the common
 * case, are read and written by hand, exactly as inet_pton() and inet_ntop()
 * would; IPv6 still goes through them.
 */
#include "ingest/entities.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "util/time.h"

#define SET_FIRST_CAP 16u
#define SORT_BY_INSERTION 24u /* entities sorted without qsort */

/* ---- small string helpers (ASCII only, no locale) ---- */

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned char to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    c = to_lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static struct corral_str mkstr(const char *s, size_t len)
{
    struct corral_str r = {s, len};
    return r;
}

/* s without surrounding ASCII whitespace; {NULL, 0} stays so. */
static struct corral_str trim(struct corral_str in)
{
    const unsigned char *p = (const unsigned char *)in.s;
    size_t b = 0;
    size_t e = in.len;
    if (p == NULL) {
        return mkstr(NULL, 0);
    }
    while (b < e && is_space(p[b])) {
        b++;
    }
    while (e > b && is_space(p[e - 1])) {
        e--;
    }
    return mkstr(in.s + b, e - b);
}

/* Case-insensitive equality of s[0..len) with a lower-case literal. */
static bool ieq(const char *s, size_t len, const char *lit)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (lit[i] == '\0' || to_lower((unsigned char)s[i]) != (unsigned char)lit[i]) {
            return false;
        }
    }
    return lit[i] == '\0';
}

static bool ieq_any(struct corral_str s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ieq(s.s, s.len, list[i])) {
            return true;
        }
    }
    return false;
}

/* Case-insensitive: does s end with suffix? */
static bool iends_with(struct corral_str s, struct corral_str suffix)
{
    if (suffix.len > s.len) {
        return false;
    }
    const char *t = s.s + (s.len - suffix.len);
    for (size_t i = 0; i < suffix.len; i++) {
        if (to_lower((unsigned char)t[i]) != to_lower((unsigned char)suffix.s[i])) {
            return false;
        }
    }
    return true;
}

/* ---- eight bytes at a time (util/ascii.h) ---- */

/* Case-insensitive equality of s[0..len) with a lower-case literal of lit_len bytes. */
static bool ieq_n(const char *s, size_t len, const char *lit, size_t lit_len)
{
    if (len != lit_len) {
        return false;
    }
    if (len < 8) {
        return ieq(s, len, lit);
    }
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        if (corral_ascii_lower8(corral_ascii_load64(s + i)) != corral_ascii_load64(lit + i)) {
            return false;
        }
    }
    return i == len || corral_ascii_lower8(corral_ascii_load64(s + len - 8)) ==
                           corral_ascii_load64(lit + len - 8);
}

#define IEQ_LIT(s, len, lit) ieq_n((s), (len), (lit), sizeof(lit) - 1)

/* ---- the entity set ---- */

void corral_entity_set_init(struct corral_entity_set *set, corral_arena *arena)
{
    set->arena = arena;
    set->items = NULL;
    set->n = 0;
    set->cap = 0;
}

static corral_err reserve_one(struct corral_entity_set *set)
{
    if (set->n < set->cap) {
        return CORRAL_OK;
    }
    if (set->cap > UINT32_MAX / 2) {
        return CORRAL_ERR_TOO_LARGE;
    }
    const uint32_t cap = set->cap == 0 ? SET_FIRST_CAP : set->cap * 2;
    struct corral_entity *items = corral_arena_alloc(set->arena, (size_t)cap * sizeof *items);
    if (items == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    if (set->n > 0) {
        memcpy(items, set->items, (size_t)set->n * sizeof *items);
    }
    set->items = items;
    set->cap = cap;
    return CORRAL_OK;
}

/*
 * Add the concatenation of parts[0..n) as one key, lower-cased when lower.
 * Empty keys are not added. *stored (may be NULL) receives the arena copy.
 */
static corral_err push(struct corral_entity_set *set, enum corral_entity_type type,
                       const struct corral_str *parts, size_t n, bool lower,
                       struct corral_str *stored)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len > UINT32_MAX - total) {
            return CORRAL_ERR_TOO_LARGE;
        }
        total += parts[i].len;
    }
    if (total == 0) {
        return CORRAL_OK;
    }
    corral_err err = reserve_one(set);
    if (err != CORRAL_OK) {
        return err;
    }
    char *key = corral_arena_alloc(set->arena, total + 1);
    if (key == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len == 0) {
            continue;
        }
        if (lower) {
            corral_ascii_copy_lower(key + at, parts[i].s, parts[i].len);
        } else {
            memcpy(key + at, parts[i].s, parts[i].len);
        }
        at += parts[i].len;
    }
    key[total] = '\0';
    struct corral_entity *e = &set->items[set->n++];
    e->type = type;
    e->len = (uint32_t)total;
    e->key = key;
    if (stored != NULL) {
        *stored = mkstr(key, total);
    }
    return CORRAL_OK;
}

corral_err corral_entity_set_add(struct corral_entity_set *set, enum corral_entity_type type,
                                 const char *key, size_t len)
{
    if ((unsigned)type >= CORRAL_ENT_COUNT || len == 0 || key == NULL) {
        return CORRAL_ERR_BAD_VALUE;
    }
    const struct corral_str part = mkstr(key, len);
    return push(set, type, &part, 1, false, NULL);
}

static int compare_entities(const void *a, const void *b)
{
    return corral_entity_cmp(a, b);
}

void corral_entity_set_finish(struct corral_entity_set *set)
{
    if (set->n < 2) {
        return;
    }
    if (set->n <= SORT_BY_INSERTION) {
        /* An alert names a handful of entities: insertion sort beats qsort's calls. */
        for (uint32_t i = 1; i < set->n; i++) {
            const struct corral_entity x = set->items[i];
            uint32_t j = i;
            while (j > 0 && compare_entities(&set->items[j - 1], &x) > 0) {
                set->items[j] = set->items[j - 1];
                j--;
            }
            set->items[j] = x;
        }
    } else {
        qsort(set->items, set->n, sizeof *set->items, compare_entities);
    }
    uint32_t w = 1;
    for (uint32_t r = 1; r < set->n; r++) {
        if (compare_entities(&set->items[w - 1], &set->items[r]) != 0) {
            set->items[w++] = set->items[r];
        }
    }
    set->n = w;
}

int corral_entity_set_has(const struct corral_entity_set *set, enum corral_entity_type type,
                          const char *key, size_t len)
{
    /*
     * A linear scan: the set may not be finished yet, and an alert names a
     * few dozen entities at most. Type and length rule out nearly all.
     */
    for (uint32_t i = 0; i < set->n; i++) {
        const struct corral_entity *e = &set->items[i];
        if (e->type == type && e->len == len && (len == 0 || memcmp(e->key, key, len) == 0)) {
            return 1;
        }
    }
    return 0;
}

/* ---- Azure resource ids ---- */

struct resource_layout {
    enum corral_resource_kind kind;
    const char *start; /* the trimmed id */
    size_t res_len;    /* bytes of start that make the top-level resource */
    size_t vm_len;     /* bytes that make the vm key (res_len unless a scale-set instance) */
};

#define SEG_KEEP 10 /* segments whose position we need: 8 for a resource, 10 for a scale-set vm */

/* Segment k of a parsed id: between slash[k] and slash[k + 1] (or the end). */
struct segments {
    const char *s;
    size_t end;                 /* the id's length, without a trailing '/' */
    size_t n;                   /* segments in all */
    size_t slash[SEG_KEEP + 1]; /* positions of the first slashes */
};

static struct corral_str segment(const struct segments *g, size_t k)
{
    const size_t b = g->slash[k] + 1;
    const size_t e = k + 1 < g->n && k + 1 <= SEG_KEEP ? g->slash[k + 1] : g->end;
    return mkstr(g->s + b, e - b);
}

static bool segment_is(const struct segments *g, size_t k, const char *lit, size_t lit_len)
{
    const struct corral_str seg = segment(g, k);
    return ieq_n(seg.s, seg.len, lit, lit_len);
}

#define SEG_IS(g, k, lit) segment_is((g), (k), (lit), sizeof(lit) - 1)

static bool is_kind(const struct segments *g, const char *ns, size_t ns_len, const char *type,
                    size_t type_len)
{
    return segment_is(g, 5, ns, ns_len) && segment_is(g, 6, type, type_len);
}

#define IS_KIND(g, ns, type) is_kind((g), (ns), sizeof(ns) - 1, (type), sizeof(type) - 1)

/* Note the slashes of mask m (bit k << shift for byte k) of a block that starts at position at. */
static void note_slashes(struct segments *g, uint64_t m, size_t at, unsigned shift)
{
    for (; m != 0 && g->n <= SEG_KEEP; m &= m - 1) {
        g->slash[g->n++] = at + (size_t)((unsigned)__builtin_ctzll(m) >> shift);
    }
    g->n += (size_t)__builtin_popcountll(m);
}

/*
 * Cut s[0..n) (which starts with '/') into segments: -1 when a segment is
 * empty (two slashes in a row, or one at the end) or a byte is a control
 * character. Eight bytes at a time; the last, partial word is read again
 * from n - 8, its bytes already seen masked out of the slash count.
 */
static int cut_segments_words(const char *s, size_t n, struct segments *g)
{
    g->s = s;
    g->end = n;
    g->n = 0;
    if (n < 8) {
        for (size_t i = 0; i < n; i++) {
            const unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f || (c == '/' && i > 0 && s[i - 1] == '/')) {
                return -1;
            }
            if (c == '/') {
                note_slashes(g, 1, i, 0);
            }
        }
        return s[n - 1] == '/' ? -1 : 0;
    }
    uint64_t bad = 0;
    uint64_t prev_last = 0; /* 0x80 when the previous word ended with a slash */
    for (size_t i = 0; i < n; i += 8) {
        size_t at = i;
        uint64_t fresh = ~UINT64_C(0);
        if (i + 8 > n) {
            at = n - 8;
            fresh <<= 8 * (i - at);
            prev_last = 0; /* the word holds the byte before i: pairs are found inside it */
        }
        const uint64_t w = corral_ascii_load64(s + at);
        const uint64_t slashes = corral_ascii_bytes_equal(w, '/');
        /* Two slashes in a row, inside this word or across the last one. */
        bad |= corral_ascii_control_bytes(w) | (slashes & (slashes << 8)) | (slashes & prev_last);
        note_slashes(g, slashes & fresh, at, 3);
        prev_last = (slashes >> 56) & 0x80;
    }
    return (bad != 0 || s[n - 1] == '/') ? -1 : 0;
}

#if CORRAL_ASCII_SSE2
/* The same, sixteen bytes at a time (a resource id is some 150 bytes long). */
static int cut_segments(const char *s, size_t n, struct segments *g)
{
    if (n < 16) {
        return cut_segments_words(s, n, g);
    }
    const __m128i slash = _mm_set1_epi8('/');
    const __m128i space_minus_one = _mm_set1_epi8(0x1f);
    const __m128i del = _mm_set1_epi8(0x7f);
    unsigned bad = 0;
    unsigned prev_last = 0; /* 1 when the previous block ended with a slash */
    g->s = s;
    g->end = n;
    g->n = 0;
    for (size_t i = 0; i < n; i += 16) {
        size_t at = i;
        unsigned fresh = 0xffffu;
        if (i + 16 > n) {
            at = n - 16;
            fresh = (0xffffu << (i - at)) & 0xffffu;
            prev_last = 0; /* the block holds the byte before i: pairs are found inside it */
        }
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
        const unsigned slashes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, slash));
        const __m128i below_space = _mm_cmpeq_epi8(_mm_min_epu8(v, space_minus_one), v);
        const __m128i control = _mm_or_si128(below_space, _mm_cmpeq_epi8(v, del));
        bad |= (unsigned)_mm_movemask_epi8(control) | (slashes & (slashes << 1)) |
               (slashes & prev_last);
        note_slashes(g, slashes & fresh, at, 0);
        prev_last = (slashes >> 15) & 1;
    }
    return (bad != 0 || s[n - 1] == '/') ? -1 : 0;
}
#else
#define cut_segments cut_segments_words
#endif

/*
 * Find the top-level resource in an id without copying it. Segment names are
 * matched case-insensitively; one trailing '/' is tolerated; an empty segment
 * or a control character anywhere makes the id junk.
 */
static enum corral_resource_kind parse_resource(const char *id, size_t len,
                                                struct resource_layout *lay)
{
    const struct corral_str t = trim(mkstr(id, len));
    struct segments g;

    lay->kind = CORRAL_RES_NONE;
    lay->start = t.s;
    lay->res_len = 0;
    lay->vm_len = 0;
    size_t n = t.len;
    if (n < 2 || t.s[0] != '/') {
        return CORRAL_RES_NONE;
    }
    if (t.s[n - 1] == '/') {
        n--;
    }
    if (cut_segments(t.s, n, &g) != 0) {
        return CORRAL_RES_NONE;
    }
    if (g.n < 8 || !SEG_IS(&g, 0, "subscriptions") || !SEG_IS(&g, 2, "resourcegroups") ||
        !SEG_IS(&g, 4, "providers")) {
        return CORRAL_RES_NONE;
    }
    const struct corral_str seg7 = segment(&g, 7);
    lay->res_len = (size_t)(seg7.s + seg7.len - t.s);
    lay->vm_len = lay->res_len;
    if (IS_KIND(&g, "microsoft.compute", "virtualmachines") ||
        IS_KIND(&g, "microsoft.hybridcompute", "machines")) {
        lay->kind = CORRAL_RES_VM;
    } else if (IS_KIND(&g, "microsoft.compute", "virtualmachinescalesets") && g.n >= 10 &&
               SEG_IS(&g, 8, "virtualmachines")) {
        const struct corral_str seg9 = segment(&g, 9);
        lay->kind = CORRAL_RES_VM;
        lay->vm_len = (size_t)(seg9.s + seg9.len - t.s);
    } else if (IS_KIND(&g, "microsoft.containerservice", "managedclusters") ||
               IS_KIND(&g, "microsoft.kubernetes", "connectedclusters")) {
        lay->kind = CORRAL_RES_CLUSTER;
    } else {
        lay->kind = CORRAL_RES_OTHER;
    }
    return lay->kind;
}

static char *lower_dup(corral_arena *arena, const char *s, size_t len)
{
    char *p = corral_arena_alloc(arena, len + 1);
    if (p == NULL) {
        return NULL;
    }
    corral_ascii_copy_lower(p, s, len);
    p[len] = '\0';
    return p;
}

/* On NOMEM this returns CORRAL_RES_NONE: the signature has no other way to say so. */
enum corral_resource_kind corral_resource_normalize(corral_arena *arena, const char *id, size_t len,
                                                    struct corral_str *out,
                                                    struct corral_str *vm_key)
{
    struct resource_layout lay;
    *out = mkstr(NULL, 0);
    if (vm_key != NULL) {
        *vm_key = mkstr(NULL, 0);
    }
    if (parse_resource(id, len, &lay) == CORRAL_RES_NONE) {
        return CORRAL_RES_NONE;
    }
    char *res = lower_dup(arena, lay.start, lay.res_len);
    if (res == NULL) {
        return CORRAL_RES_NONE;
    }
    char *vm = res;
    if (vm_key != NULL && lay.vm_len != lay.res_len) {
        vm = lower_dup(arena, lay.start, lay.vm_len);
        if (vm == NULL) {
            return CORRAL_RES_NONE;
        }
    }
    *out = mkstr(res, lay.res_len);
    if (vm_key != NULL) {
        *vm_key = mkstr(vm, lay.vm_len);
    }
    return lay.kind;
}

/*
 * The id is borrowed from the input, in the input's case: the header's
 * promise of lower case cannot be kept without somewhere to write it (no
 * arena parameter), so callers lower-case it when they copy it.
 */
int corral_resource_subscription(const char *id, size_t len, struct corral_str *out)
{
    const struct corral_str t = trim(mkstr(id, len));
    static const char prefix[] = "/subscriptions/";
    const size_t plen = sizeof prefix - 1;
    *out = mkstr(NULL, 0);
    if (t.len <= plen || !IEQ_LIT(t.s, plen, prefix)) {
        return -1;
    }
    /* The id runs to the next '/' (or the end), without a control character. */
    size_t e = plen;
    for (; e + 8 <= t.len; e += 8) {
        const uint64_t w = corral_ascii_load64(t.s + e);
        const uint64_t slashes = corral_ascii_bytes_equal(w, '/');
        const uint64_t controls = corral_ascii_control_bytes(w);
        if ((slashes | controls) != 0) {
            const uint64_t first_slash = slashes & -slashes; /* 0 when there is none */
            if (controls != 0 && (first_slash == 0 || (controls & (first_slash - 1)) != 0)) {
                return -1; /* a control character before the slash */
            }
            e += (size_t)(__builtin_ctzll(slashes) >> 3);
            goto found;
        }
    }
    while (e < t.len && t.s[e] != '/') {
        if ((unsigned char)t.s[e] < 0x20 || t.s[e] == 0x7f) {
            return -1;
        }
        e++;
    }
found:
    if (e == plen) {
        return -1;
    }
    *out = mkstr(t.s + plen, e - plen);
    return 0;
}

/* Add a key already in the arena, normalized and NUL-terminated (keys may share their text). */
static corral_err push_stored(struct corral_entity_set *set, enum corral_entity_type type,
                              const char *key, size_t len)
{
    if (len > UINT32_MAX) {
        return CORRAL_ERR_TOO_LARGE;
    }
    corral_err err = reserve_one(set);
    if (err != CORRAL_OK) {
        return err;
    }
    struct corral_entity *e = &set->items[set->n++];
    e->type = type;
    e->len = (uint32_t)len;
    e->key = key;
    return CORRAL_OK;
}

/*
 * Add the entities of a parsed resource; *vm receives the stored vm key when
 * one was added. The id is lower-cased once: the resource, cluster and
 * (unless it is a scale-set instance) vm keys are the same text.
 */
static corral_err add_layout(struct corral_entity_set *set, const struct resource_layout *lay,
                             struct corral_str *vm)
{
    char *res = corral_arena_alloc(set->arena, lay->res_len + 1);
    if (res == NULL) {
        return CORRAL_ERR_NOMEM;
    }
    corral_ascii_copy_lower(res, lay->start, lay->res_len);
    res[lay->res_len] = '\0';
    corral_err err = push_stored(set, CORRAL_ENT_RESOURCE, res, lay->res_len);
    if (err != CORRAL_OK) {
        return err;
    }
    if (lay->kind == CORRAL_RES_VM) {
        if (lay->vm_len == lay->res_len) {
            if (vm != NULL) {
                *vm = mkstr(res, lay->res_len);
            }
            return push_stored(set, CORRAL_ENT_VM, res, lay->res_len);
        }
        const struct corral_str vmk = mkstr(lay->start, lay->vm_len);
        return push(set, CORRAL_ENT_VM, &vmk, 1, true, vm);
    }
    if (lay->kind == CORRAL_RES_CLUSTER) {
        return push_stored(set, CORRAL_ENT_CLUSTER, res, lay->res_len);
    }
    return CORRAL_OK;
}

corral_err corral_entities_add_resource(struct corral_entity_set *set, const char *id, size_t len)
{
    struct resource_layout lay;
    if (parse_resource(id, len, &lay) == CORRAL_RES_NONE) {
        return CORRAL_OK;
    }
    return add_layout(set, &lay, NULL);
}

/* ---- IP addresses ---- */

/*
 * Dotted-quad IPv4 exactly as inet_pton(AF_INET) reads it: four parts of one
 * to three decimal digits, each at most 255 and without a leading zero ("0"
 * is fine, "01" is not), and nothing else. inet_pton costs a copy to a NUL-
 * terminated buffer and inet_ntop a sprintf; this is the common case, and
 * test_entities.c checks it against both on many valid and invalid inputs.
 */
static bool parse_ipv4(const char *s, size_t len, unsigned char a[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i == len || s[i] != '.') {
                return false;
            }
            i++;
        }
        const size_t b = i;
        unsigned v = 0;
        while (i < len && i - b < 3 && is_digit((unsigned char)s[i])) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == b || v > 255 || (s[b] == '0' && i - b > 1)) {
            return false;
        }
        if (i < len && is_digit((unsigned char)s[i])) {
            return false; /* a fourth digit */
        }
        a[part] = (unsigned char)v;
    }
    return i == len;
}

/* inet_ntop(AF_INET) text of a: "%u.%u.%u.%u". Returns the length. */
static int format_ipv4(const unsigned char a[4], char out[16])
{
    int n = 0;
    for (int part = 0; part < 4; part++) {
        const unsigned v = a[part];
        if (part > 0) {
            out[n++] = '.';
        }
        if (v >= 100) {
            out[n++] = (char)('0' + v / 100);
        }
        if (v >= 10) {
            out[n++] = (char)('0' + v / 10 % 10);
        }
        out[n++] = (char)('0' + v % 10);
    }
    out[n] = '\0';
    return n;
}

/* Loopback, unspecified and link-local IPv4 addresses are never entities. */
static bool ipv4_is_local(const unsigned char a[4])
{
    const bool unspecified = (a[0] | a[1] | a[2] | a[3]) == 0;
    return unspecified || a[0] == 127 || (a[0] == 169 && a[1] == 254);
}

int corral_ip_canonical(const char *s, size_t len, char out[46])
{
    const struct corral_str t = trim(mkstr(s, len));
    char buf[46];
    unsigned char a[16];
    int family;

    if (t.len == 0 || t.len >= sizeof buf) {
        return -1;
    }
    if (parse_ipv4(t.s, t.len, a)) {
        return ipv4_is_local(a) ? -1 : format_ipv4(a, out);
    }
    if (memchr(t.s, '\0', t.len) != NULL) {
        return -1;
    }
    memcpy(buf, t.s, t.len);
    buf[t.len] = '\0';
    /*
     * inet_pton refuses ports, brackets, zone ids ("%eth0"), prefixes and
     * octal-looking IPv4 parts, which is what we want: a zone only means
     * something on link-scoped addresses, and those are excluded anyway.
     */
    if (inet_pton(AF_INET6, buf, a) == 1) {
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
        return ipv4_is_local(a) ? -1 : format_ipv4(a, out);
    }
    static const unsigned char zero[15] = {0};
    const bool low = memcmp(a, zero, sizeof zero) == 0;
    if ((low && (a[15] == 0 || a[15] == 1)) || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
        return -1;
    }
    if (inet_ntop(family, a, out, 46) == NULL) {
        return -1;
    }
    return (int)strlen(out);
}

corral_err corral_entities_add_ip(struct corral_entity_set *set, const char *s, size_t len)
{
    char text[46];
    const int n = corral_ip_canonical(s, len, text);
    if (n <= 0) {
        return CORRAL_OK;
    }
    const struct corral_str part = mkstr(text, (size_t)n);
    return push(set, CORRAL_ENT_IP, &part, 1, false, NULL);
}

/* ---- accounts ---- */

/* Names that exist on every machine: with no domain they identify nothing. */
static const char *const builtin_names[] = {
    "system",
    "root",
    "administrator",
    "local system",
    "local service",
    "network service",
    "anonymous",
    "anonymous logon",
    "guest",
    "defaultaccount",
    "wdagutilityaccount",
};

/*
 * NT domains that are not domains: the local machine's built-in and virtual
 * accounts (NT SERVICE\x, IIS APPPOOL\x, Window Manager\DWM-1, Font Driver
 * Host\UMFD-0) have the same name on every machine.
 */
static const char *const local_domains[] = {
    "nt authority", "builtin", "nt service", "iis apppool", "window manager", "font driver host",
};

/* GUID text of only zeros (with any '-' or braces): a placeholder, not an id. */
static bool is_zero_guid(struct corral_str s)
{
    bool any = false;
    for (size_t i = 0; i < s.len; i++) {
        const char c = s.s[i];
        if (c == '0') {
            any = true;
        } else if (c != '-' && c != '{' && c != '}') {
            return false;
        }
    }
    return any;
}

/* Parse the decimal number after a SID's "S-1-" at s[*at]; -1 when there is none. */
static long long sid_number(struct corral_str s, size_t *at)
{
    long long v = 0;
    const size_t b = *at;
    while (*at < s.len && is_digit((unsigned char)s.s[*at])) {
        if (v > 1000000000000LL) {
            return -1;
        }
        v = v * 10 + (s.s[*at] - '0');
        (*at)++;
    }
    return *at == b ? -1 : v;
}

/*
 * A SID that is the same on every Windows machine, so it identifies nobody:
 * the null, world, local and creator authorities (S-1-0..3-*), the NT
 * authority's single-RID accounts (S-1-5-7 ANONYMOUS, S-1-5-18 SYSTEM,
 * S-1-5-19 LOCAL SERVICE, S-1-5-20 NETWORK SERVICE, S-1-5-11...), BUILTIN
 * aliases (S-1-5-32-*) and virtual accounts whose SID derives from their name
 * (S-1-5-80 NT SERVICE, S-1-5-82 IIS APPPOOL, S-1-5-90 DWM, S-1-5-96 UMFD).
 * Domain, machine and Entra ID accounts (S-1-5-21-*, S-1-12-1-*) are kept.
 */
static bool is_well_known_sid(struct corral_str s)
{
    if (s.len < 4 || to_lower((unsigned char)s.s[0]) != 's' || s.s[1] != '-' || s.s[2] != '1' ||
        s.s[3] != '-') {
        return false;
    }
    size_t at = 4;
    const long long authority = sid_number(s, &at);
    if (authority < 0) {
        return false;
    }
    if (authority <= 3) {
        return true;
    }
    if (authority != 5) {
        return false;
    }
    if (at == s.len || s.s[at] != '-') {
        return false; /* "S-1-5" alone is malformed, not well-known */
    }
    at++;
    const long long first = sid_number(s, &at);
    if (first < 0) {
        return false;
    }
    if (at == s.len) {
        return true; /* S-1-5-N */
    }
    return first == 32 || first == 80 || first == 82 || first == 90 || first == 96;
}

struct account {
    struct corral_str name, nt_domain, dns_domain, upn_suffix, sid, aad, oid;
};

static struct corral_str present_id(struct corral_str s)
{
    s = trim(s);
    return is_zero_guid(s) ? mkstr(NULL, 0) : s;
}

static void normalize_account(const struct corral_account_fields *f, struct account *a)
{
    a->name = trim(f->name);
    a->nt_domain = trim(f->nt_domain);
    a->dns_domain = trim(f->dns_domain);
    a->upn_suffix = trim(f->upn_suffix);
    a->sid = trim(f->sid);
    a->aad = present_id(f->aad_user_id);
    a->oid = present_id(f->object_guid);

    /* A qualified name: "DOMAIN\name" or "name@suffix"; the record's own fields win. */
    const char *bs = a->name.len > 0 ? memchr(a->name.s, '\\', a->name.len) : NULL;
    if (bs != NULL) {
        const struct corral_str dom = trim(mkstr(a->name.s, (size_t)(bs - a->name.s)));
        if (a->nt_domain.len == 0) {
            a->nt_domain = dom;
        }
        a->name = trim(mkstr(bs + 1, a->name.len - (size_t)(bs - a->name.s) - 1));
    }
    for (size_t i = a->name.len; i > 0; i--) {
        if (a->name.s[i - 1] == '@') {
            const struct corral_str suffix = trim(mkstr(a->name.s + i, a->name.len - i));
            if (a->upn_suffix.len == 0) {
                a->upn_suffix = suffix;
            }
            a->name = trim(mkstr(a->name.s, i - 1));
            break;
        }
    }
    if (ieq_any(a->nt_domain, local_domains, sizeof local_domains / sizeof *local_domains)) {
        a->nt_domain = mkstr(NULL, 0);
    }
    if (is_well_known_sid(a->sid)) {
        a->sid = mkstr(NULL, 0);
    }
}

corral_err corral_entities_add_account(struct corral_entity_set *set,
                                       const struct corral_account_fields *f,
                                       enum corral_entity_type *added)
{
    struct account a;
    if (added != NULL) {
        *added = CORRAL_ENT_COUNT;
    }
    normalize_account(f, &a);

    const bool has_domain = a.nt_domain.len > 0 || a.dns_domain.len > 0 || a.upn_suffix.len > 0;
    const bool has_id = a.aad.len > 0 || a.oid.len > 0;
    if (!has_domain &&
        ieq_any(a.name, builtin_names, sizeof builtin_names / sizeof *builtin_names)) {
        return CORRAL_OK;
    }
    if (!has_domain && !has_id && a.sid.len == 0) {
        return CORRAL_OK; /* a bare local name ties unrelated machines together */
    }

    struct corral_str parts[3];
    size_t n;
    if (a.aad.len > 0) {
        parts[0] = a.aad;
        n = 1;
    } else if (a.oid.len > 0) {
        parts[0] = a.oid;
        n = 1;
    } else if (a.name.len > 0 && a.upn_suffix.len > 0) {
        parts[0] = a.name;
        parts[1] = mkstr("@", 1);
        parts[2] = a.upn_suffix;
        n = 3;
    } else if (a.name.len > 0 && a.nt_domain.len > 0) {
        parts[0] = a.nt_domain;
        parts[1] = mkstr("\\", 1);
        parts[2] = a.name;
        n = 3;
    } else if (a.sid.len > 0) {
        parts[0] = a.sid;
        n = 1;
    } else {
        return CORRAL_OK; /* e.g. a name with only a DnsDomain: no key form for it */
    }

    const bool sp =
        f->says_service_principal || (has_id && a.upn_suffix.len == 0 && a.nt_domain.len == 0 &&
                                      a.dns_domain.len == 0 && a.sid.len == 0);
    const enum corral_entity_type type = sp ? CORRAL_ENT_SERVICE_PRINCIPAL : CORRAL_ENT_USER;
    corral_err err = push(set, type, parts, n, true, NULL);
    if (err == CORRAL_OK && added != NULL) {
        *added = type;
    }
    return err;
}

/* ---- hosts ---- */

/* 8-4-4-4-12 hexadecimal digits. */
static bool is_guid(struct corral_str s)
{
    if (s.len != 36) {
        return false;
    }
    for (size_t i = 0; i < 36; i++) {
        const unsigned char c = (unsigned char)s.s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (hex_value(c) < 0) {
            return false;
        }
    }
    return true;
}

static struct corral_str drop_trailing_dot(struct corral_str s)
{
    if (s.len > 0 && s.s[s.len - 1] == '.') {
        s.len--;
    }
    return s;
}

corral_err corral_entities_add_host(struct corral_entity_set *set,
                                    const struct corral_host_fields *f, struct corral_str *vm_key)
{
    struct corral_str dummy = {NULL, 0};
    struct corral_str *vm = vm_key != NULL ? vm_key : &dummy;
    *vm = mkstr(NULL, 0);

    struct resource_layout lay;
    if (parse_resource(f->azure_id.s, f->azure_id.len, &lay) != CORRAL_RES_NONE) {
        /* A non-vm AzureID is still a resource; the vm key then comes from the rest. */
        corral_err err = add_layout(set, &lay, vm);
        if (err != CORRAL_OK || lay.kind == CORRAL_RES_VM) {
            return err;
        }
    }

    const struct corral_str oms = trim(f->oms_agent_id);
    if (is_guid(oms) && !is_zero_guid(oms)) {
        return push(set, CORRAL_ENT_VM, &oms, 1, true, vm);
    }

    const struct corral_str host = drop_trailing_dot(trim(f->host_name));
    if (host.len == 0) {
        return CORRAL_OK;
    }
    const struct corral_str domain = drop_trailing_dot(trim(f->dns_domain));
    struct corral_str parts[3] = {host, mkstr(".", 1), domain};
    size_t n = 3;
    if (domain.len == 0 || (host.len > domain.len && host.s[host.len - domain.len - 1] == '.' &&
                            iends_with(host, domain))) {
        n = 1; /* no domain, or the host name is already qualified with it */
    }
    return push(set, CORRAL_ENT_VM, parts, n, true, vm);
}

/* ---- processes ---- */

/* "0x1e49a" (hex) or "1234" (decimal) into decimal text; 0 and the length, or -1. */
static int pid_decimal(struct corral_str s, char out[24])
{
    unsigned long long v = 0;
    size_t i = 0;
    s = trim(s);
    if (s.len > 2 && s.s[0] == '0' && (s.s[1] == 'x' || s.s[1] == 'X')) {
        for (i = 2; i < s.len; i++) {
            const int h = hex_value((unsigned char)s.s[i]);
            if (h < 0 || v > (UINT64_MAX >> 4)) {
                return -1;
            }
            v = (v << 4) | (unsigned)h;
        }
    } else {
        if (s.len == 0) {
            return -1;
        }
        for (i = 0; i < s.len; i++) {
            const unsigned char c = (unsigned char)s.s[i];
            if (!is_digit(c) || v > (UINT64_MAX - (c - '0')) / 10) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
    }
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t k = 0; k < n; k++) {
        out[k] = tmp[n - 1 - k];
    }
    out[n] = '\0';
    return (int)n;
}

corral_err corral_entities_add_process(struct corral_entity_set *set,
                                       const struct corral_process_fields *f)
{
    const struct corral_str vm = trim(f->vm_key);
    char pid[24];
    const int pid_len = pid_decimal(f->process_id, pid);
    const struct corral_str ct = trim(f->creation_time);
    corral_time when;
    if (vm.len > 0 && pid_len > 0 && corral_time_parse(ct.s, ct.len, &when) == 0) {
        char text[CORRAL_TIME_TEXT];
        corral_time_format(when, text);
        const struct corral_str parts[5] = {
            vm,
            mkstr("|", 1),
            mkstr(pid, (size_t)pid_len),
            mkstr("|", 1),
            mkstr(text, CORRAL_TIME_TEXT - 1),
        };
        corral_err err = push(set, CORRAL_ENT_PROCESS, parts, 5, false, NULL);
        if (err != CORRAL_OK) {
            return err;
        }
    }

    const struct corral_str image = trim(f->image_path);
    if (image.len > 0) {
        const struct corral_str parts[3] = {image, mkstr("|", 1), trim(f->command_line)};
        return push(set, CORRAL_ENT_PROCESS_IMAGE, parts, 3, true, NULL);
    }
    return CORRAL_OK;
}

/* ---- domains, file hashes, URLs ---- */

corral_err corral_entities_add_domain(struct corral_entity_set *set, const char *s, size_t len)
{
    const struct corral_str d = drop_trailing_dot(trim(mkstr(s, len)));
    return push(set, CORRAL_ENT_DOMAIN, &d, 1, true, NULL);
}

corral_err corral_entities_add_filehash(struct corral_entity_set *set, const char *algorithm,
                                        size_t alen, const char *value, size_t vlen)
{
    const struct corral_str alg = trim(mkstr(algorithm, alen));
    const struct corral_str val = trim(mkstr(value, vlen));
    if (alg.len == 0 || val.len == 0) {
        return CORRAL_OK;
    }
    const struct corral_str parts[3] = {alg, mkstr(":", 1), val};
    return push(set, CORRAL_ENT_FILEHASH, parts, 3, true, NULL);
}

corral_err corral_entities_add_url(struct corral_entity_set *set, const char *s, size_t len)
{
    const struct corral_str u = trim(mkstr(s, len));
    return push(set, CORRAL_ENT_URL, &u, 1, false, NULL);
}

/* ---- extendedProperties keys ---- */

/* A lower-case word and its length. */
struct word {
    const char *text;
    uint8_t len;
};

/* clang-format off */
#define WORD(s) {s, (uint8_t)(sizeof(s) - 1)}
/* clang-format on */
#define WORD_MAX 12 /* the longest word below */

/* Words that, next to "IP", say the value is about an address rather than one. */
static const struct word ip_meta_words[] = {
    WORD("location"),   WORD("locations"),   WORD("geo"),    WORD("geolocation"),  WORD("country"),
    WORD("countries"),  WORD("countrycode"), WORD("city"),   WORD("region"),       WORD("state"),
    WORD("asn"),        WORD("isp"),         WORD("org"),    WORD("organization"), WORD("owner"),
    WORD("range"),      WORD("ranges"),      WORD("subnet"), WORD("subnets"),      WORD("mask"),
    WORD("prefix"),     WORD("cidr"),        WORD("block"),  WORD("count"),        WORD("number"),
    WORD("reputation"), WORD("score"),       WORD("type"),   WORD("version"),      WORD("port"),
    WORD("ports"),      WORD("category"),
};

/* Words that are an IP address (lower-case; camelCase and spaces already split). */
static const struct word ip_words[] = {
    WORD("ip"),        WORD("ips"),         WORD("ipv4"),   WORD("ipv6"),
    WORD("ipaddress"), WORD("ipaddresses"), WORD("ipaddr"),
};

/* Is lower[0..len) one of the words? */
static bool word_in(const char *lower, size_t len, const struct word *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i].len == len && list[i].text[0] == lower[0] &&
            memcmp(list[i].text, lower, len) == 0) {
            return true;
        }
    }
    return false;
}

/* After an acronym, "v4"/"v6" (a version) or a lone "s" (a plural) belongs to it. */
static bool acronym_tail(const unsigned char *p, size_t len)
{
    if (p[0] == 'v' && len >= 2 && is_digit(p[1])) {
        return true;
    }
    return p[0] == 's' && (len == 1 || !is_lower(p[1]));
}

/*
 * Split a key into words: at anything but letters and digits, and at case
 * changes ("clientIPAddress" -> client IP Address), keeping "IPv4" and "IPs"
 * whole. A key names an IP when one word is "ip" (or a form of it) and no
 * word says it is about the address (its location, range, count...). A word
 * boundary is what keeps "zip", "script", "recipient" and "Relationship" out;
 * an all-lower-case compound such as "sourceip" is not split, so not matched.
 */
int corral_entities_key_names_ip(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key;
    bool ip = false;
    size_t i = 0;
    if (key == NULL) {
        return 0;
    }
    while (i < len) {
        while (i < len && !is_alpha(p[i]) && !is_digit(p[i])) {
            i++;
        }
        if (i == len) {
            break;
        }
        const size_t b = i++;
        while (i < len && (is_alpha(p[i]) || is_digit(p[i]))) {
            if ((is_lower(p[i - 1]) || is_digit(p[i - 1])) && is_upper(p[i])) {
                break; /* fooBar, v4Address */
            }
            if (is_upper(p[i - 1]) && is_upper(p[i]) && i + 1 < len && is_lower(p[i + 1]) &&
                !acronym_tail(p + i + 1, len - i - 1)) {
                break; /* IPAddress -> IP Address, but IPv4 and IPs stay whole */
            }
            i++;
        }
        /* Lower-cased once, then compared with the words of the same length (none is longer
         * than WORD_MAX). */
        const size_t n = i - b;
        if (n <= WORD_MAX) {
            char lower[WORD_MAX];
            corral_ascii_copy_lower(lower, key + b, n);
            if (word_in(lower, n, ip_meta_words, sizeof ip_meta_words / sizeof *ip_meta_words)) {
                return 0;
            }
            if (word_in(lower, n, ip_words, sizeof ip_words / sizeof *ip_words)) {
                ip = true;
            }
        }
    }
    return ip ? 1 : 0;
}
