/*
 * bench_api.c - load benchmark of `corral serve`: ingest through HTTP while
 * other clients query.
 *
 *   bench_api --port P --token T --file ALERTS.ndjson [--batch N] [--ingesters I]
 *             [--queriers Q]
 *
 * I ingest threads post the file's lines in batches of N (each thread its own
 * share, in order) on keep-alive connections; Q query threads meanwhile loop
 * over GET /api/v1/incidents?limit=50 (following `next` for two pages) and
 * GET /api/v1/incidents/{id}, until ingest ends. A 404 on reading an
 * incident just listed is not an error: the engine retracted it meanwhile. Prints ingest alerts/s,
 * query p50/p99 and the error count (any non-2xx or broken connection), and
 * exits 1 when there was any error. A benchmark tool, not library code: it
 * exits on fatal setup problems.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct shared {
    int port;
    const char *token;
    char *data;
    size_t *line_off, *line_len;
    size_t n_lines;
    size_t batch;
    int ingesters;
    atomic_int ingest_done;
    atomic_ullong accepted, errors, queries, gone;
    pthread_mutex_t lat_lock;
    double *lat;
    size_t n_lat, cap_lat;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One request/response on fd; the body goes to *resp (grown as needed). Returns the status or -1. */
static int http(int fd, const char *method, const char *path, const char *token, const char *body,
                size_t blen, char **resp, size_t *rcap, size_t *rlen)
{
    char head[1024];
    int hl = snprintf(head, sizeof(head),
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                      method, path, token, blen);
    if (write_all(fd, head, (size_t)hl) != 0 || (blen > 0 && write_all(fd, body, blen) != 0)) {
        return -1;
    }
    size_t got = 0;
    for (;;) {
        if (got + 65536 > *rcap) {
            *rcap = (*rcap + 65536) * 2;
            *resp = realloc(*resp, *rcap);
        }
        ssize_t r = read(fd, *resp + got, *rcap - got - 1);
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
        (*resp)[got] = '\0';
        char *end = strstr(*resp, "\r\n\r\n");
        if (end == NULL) {
            continue;
        }
        char *cl = strcasestr(*resp, "\r\nContent-Length:");
        if (cl == NULL || cl > end) {
            return -1;
        }
        size_t len = strtoull(cl + 17, NULL, 10);
        size_t hdr = (size_t)(end + 4 - *resp);
        if (got < hdr + len) {
            continue;
        }
        int status = atoi(*resp + 9);
        memmove(*resp, *resp + hdr, len);
        (*resp)[len] = '\0';
        *rlen = len;
        return status;
    }
}

struct worker {
    struct shared *s;
    int index;
};

static void *ingest(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    int fd = dial(s->port);
    char *resp = NULL, *body = NULL;
    size_t rcap = 0, rlen = 0, bcap = 0;
    size_t n_batches = (s->n_lines + s->batch - 1) / s->batch;
    for (size_t b = (size_t)w->index; b < n_batches; b += (size_t)s->ingesters) {
        size_t from = b * s->batch, to = from + s->batch < s->n_lines ? from + s->batch : s->n_lines;
        size_t need = 0;
        for (size_t i = from; i < to; i++) {
            need += s->line_len[i] + 1;
        }
        if (need > bcap) {
            bcap = need * 2;
            body = realloc(body, bcap);
        }
        size_t bl = 0;
        for (size_t i = from; i < to; i++) {
            memcpy(body + bl, s->data + s->line_off[i], s->line_len[i]);
            bl += s->line_len[i];
            body[bl++] = '\n';
        }
        int st = fd < 0 ? -1 : http(fd, "POST", "/api/v1/alerts", s->token, body, bl, &resp, &rcap, &rlen);
        if (st != 200) {
            atomic_fetch_add(&s->errors, 1);
            fprintf(stderr, "bench_api: ingest answered %d: %.200s\n", st, st > 0 ? resp : "");
            if (fd >= 0) {
                close(fd);
            }
            fd = dial(s->port);
            continue;
        }
        char *a = strstr(resp, "\"accepted\":");
        atomic_fetch_add(&s->accepted, a != NULL ? strtoull(a + 11, NULL, 10) : 0);
    }
    if (fd >= 0) {
        close(fd);
    }
    free(resp);
    free(body);
    return NULL;
}

static void record(struct shared *s, double secs)
{
    pthread_mutex_lock(&s->lat_lock);
    if (s->n_lat == s->cap_lat) {
        s->cap_lat = s->cap_lat ? s->cap_lat * 2 : 4096;
        s->lat = realloc(s->lat, s->cap_lat * sizeof(double));
    }
    s->lat[s->n_lat++] = secs;
    pthread_mutex_unlock(&s->lat_lock);
}

static void *query(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    int fd = dial(s->port);
    char *resp = NULL;
    size_t rcap = 0, rlen = 0;
    char path[512], id[64] = "";
    unsigned n = 0;
    while (!atomic_load(&s->ingest_done)) {
        if (n % 2 == 1 && id[0]) {
            snprintf(path, sizeof(path), "/api/v1/incidents/%s", id);
        } else {
            snprintf(path, sizeof(path), "/api/v1/incidents?limit=50&sort=-lastActivity");
        }
        double t0 = now();
        int st = fd < 0 ? -1 : http(fd, "GET", path, s->token, NULL, 0, &resp, &rcap, &rlen);
        double dt = now() - t0;
        if (st == 404 && n % 2 == 1) {
            /* Listed, then merged into another or re-keyed (retracted) before this read. */
            atomic_fetch_add(&s->gone, 1);
            record(s, dt);
        } else if (st != 200) {
            atomic_fetch_add(&s->errors, 1);
            fprintf(stderr, "bench_api: GET %s answered %d\n", path, st);
            if (fd >= 0) {
                close(fd);
            }
            fd = dial(s->port);
        } else {
            record(s, dt);
            atomic_fetch_add(&s->queries, 1);
            char *p = strstr(resp, "\"id\":\"");
            if (n % 2 == 0 && p != NULL && strlen(p) > 6 + 36) {
                memcpy(id, p + 6, 36);
                id[36] = '\0';
            }
        }
        n++;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(resp);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct shared s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.lat_lock, NULL);
    s.batch = 1000;
    s.ingesters = 2;
    int queriers = 2;
    const char *file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) s.port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--token") == 0) s.token = argv[i + 1];
        else if (strcmp(argv[i], "--file") == 0) file = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0) s.batch = (size_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--ingesters") == 0) s.ingesters = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--queriers") == 0) queriers = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_api: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (s.port <= 0 || s.token == NULL || file == NULL || s.batch == 0 || s.ingesters < 1 ||
        s.ingesters > 64 || queriers < 0 || queriers > 64) {
        fprintf(stderr, "usage: bench_api --port P --token T --file F [--batch N] [--ingesters I] [--queriers Q]\n");
        return 2;
    }
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        perror(file);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    s.data = malloc((size_t)size + 1);
    if (fread(s.data, 1, (size_t)size, f) != (size_t)size) {
        perror(file);
        return 2;
    }
    fclose(f);
    size_t cap = 1024;
    s.line_off = malloc(cap * sizeof(size_t));
    s.line_len = malloc(cap * sizeof(size_t));
    for (size_t p = 0; p < (size_t)size;) {
        char *nl = memchr(s.data + p, '\n', (size_t)size - p);
        size_t e = nl ? (size_t)(nl - s.data) : (size_t)size;
        if (e > p) {
            if (s.n_lines == cap) {
                cap *= 2;
                s.line_off = realloc(s.line_off, cap * sizeof(size_t));
                s.line_len = realloc(s.line_len, cap * sizeof(size_t));
            }
            s.line_off[s.n_lines] = p;
            s.line_len[s.n_lines++] = e - p;
        }
        p = e + 1;
    }
    pthread_t it[64], qt[64];
    struct worker iw[64], qw[64];
    double t0 = now();
    for (int i = 0; i < queriers; i++) {
        qw[i] = (struct worker){&s, i};
        pthread_create(&qt[i], NULL, query, &qw[i]);
    }
    for (int i = 0; i < s.ingesters; i++) {
        iw[i] = (struct worker){&s, i};
        pthread_create(&it[i], NULL, ingest, &iw[i]);
    }
    for (int i = 0; i < s.ingesters; i++) {
        pthread_join(it[i], NULL);
    }
    double secs = now() - t0;
    atomic_store(&s.ingest_done, 1);
    for (int i = 0; i < queriers; i++) {
        pthread_join(qt[i], NULL);
    }
    qsort(s.lat, s.n_lat, sizeof(double), cmp);
    double p50 = s.n_lat ? s.lat[s.n_lat / 2] : 0, p99 = s.n_lat ? s.lat[s.n_lat * 99 / 100] : 0;
    unsigned long long acc = atomic_load(&s.accepted), errs = atomic_load(&s.errors);
    printf("ingest: %llu alerts in %.2f s = %.0f alerts/s (%.1f MB/s; batches of %zu, %d clients)\n",
           acc, secs, (double)acc / secs, (double)size / 1e6 / secs, s.batch, s.ingesters);
    printf("queries: %llu (%.0f/s, %d clients) p50 %.2f ms p99 %.2f ms\n",
           (unsigned long long)atomic_load(&s.queries), (double)atomic_load(&s.queries) / secs,
           queriers, p50 * 1e3, p99 * 1e3);
    printf("errors: %llu (and %llu incidents retracted between list and read: 404 as designed)\n",
           errs, (unsigned long long)atomic_load(&s.gone));
    return errs == 0 && acc == s.n_lines ? 0 : 1;
}
