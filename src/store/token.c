/*
 * token.c - API tokens (see token.h): random, hashed, compared in constant time.
 */
#include "store/token.h"
#include "store/store_impl.h"

#include <ctype.h>
#include <errno.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/time.h"

static const char *const role_names[] = {"ingest", "reader", "responder", "admin"};

const char *corral_role_name(enum corral_role role)
{
    return (unsigned)role < 4 ? role_names[role] : "?";
}

int corral_role_parse(const char *s, enum corral_role *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum corral_role)i;
            return 0;
        }
    }
    return -1;
}

int corral_scopes_parse(const char *text, char *json, size_t size, int *all, char *errbuf,
                        size_t errlen)
{
    *all = 0;
    if (strcmp(text, "*") == 0) {
        *all = 1;
        snprintf(json, size, "[]");
        return 0;
    }
    size_t n = 0;
    json[n++] = '[';
    const char *p = text;
    int count = 0;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len > 128) {
            snprintf(errbuf, errlen, "a scope is a tenant or subscription id (1 to 128 characters),"
                                     " scopes separated by ',', or '*' for all");
            return -1;
        }
        if (n + len + 4 >= size) {
            snprintf(errbuf, errlen, "too many scopes");
            return -1;
        }
        if (count++ > 0) {
            json[n++] = ',';
        }
        json[n++] = '"';
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
                snprintf(errbuf, errlen, "scope '%.*s': only letters, digits, '-', '.' and '_'",
                         (int)len, p);
                return -1;
            }
            json[n++] = (char)tolower(c);
        }
        json[n++] = '"';
        if (e == NULL) {
            break;
        }
        p = e + 1;
    }
    json[n++] = ']';
    json[n] = '\0';
    return 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void digest(const char *token, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)token);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

static int64_t now_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 10000000 + ts.tv_nsec / 100;
}

corral_err corral_token_create(corral_store *store, enum corral_role role, const char *scopes_text,
                               char token[CORRAL_TOKEN_TEXT], char id[CORRAL_TOKEN_ID],
                               char *errbuf, size_t errlen)
{
    char scopes[CORRAL_SCOPES_JSON_MAX];
    int all;
    if (corral_scopes_parse(scopes_text, scopes, sizeof(scopes), &all, errbuf, errlen) != 0) {
        return CORRAL_ERR_BAD_VALUE;
    }
    unsigned char secret[32];
    size_t got = 0;
    while (got < sizeof(secret)) {
        ssize_t r = getrandom(secret + got, sizeof(secret) - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            snprintf(errbuf, errlen, "getrandom: %s", strerror(errno));
            return CORRAL_ERR_IO;
        }
        got += (size_t)r;
    }
    memcpy(token, "corral_", 7);
    hex(secret, sizeof(secret), token + 7);
    uint8_t h[SHA256_DIGEST_SIZE];
    digest(token, strlen(token), h);
    char hh[2 * SHA256_DIGEST_SIZE + 1];
    hex(h, sizeof(h), hh);
    memcpy(id, hh, CORRAL_TOKEN_ID - 1);
    id[CORRAL_TOKEN_ID - 1] = '\0';
    sqlite3 *db = corral_store_db(store);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO tokens(id, hash, role, scopes, created)"
                           " VALUES(?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s", sqlite3_errmsg(db));
        return CORRAL_ERR_IO;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, h, sizeof(h), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, corral_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, all ? "*" : scopes, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ticks());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    memset(secret, 0, sizeof(secret));
    if (rc != SQLITE_DONE) {
        snprintf(errbuf, errlen, "cannot store the token: %s", sqlite3_errmsg(db));
        memset(token, 0, CORRAL_TOKEN_TEXT);
        return CORRAL_ERR_IO;
    }
    return CORRAL_OK;
}

corral_err corral_token_check(corral_store *store, const char *token, size_t len, int *ok,
                              struct corral_principal *who)
{
    *ok = 0;
    if (len != 7 + 64 || memcmp(token, "corral_", 7) != 0) {
        return CORRAL_OK;
    }
    uint8_t h[SHA256_DIGEST_SIZE];
    digest(token, len, h);
    char hh[2 * SHA256_DIGEST_SIZE + 1];
    hex(h, sizeof(h), hh);
    hh[CORRAL_TOKEN_ID - 1] = '\0';
    /* Every request asks: the statement is kept (store_impl.h). */
    sqlite3_stmt *st = corral_store_prepare(
        store, "SELECT hash, role, scopes FROM tokens WHERE id = ?1 AND revoked = 0");
    if (st == NULL) {
        return CORRAL_ERR_IO;
    }
    sqlite3_bind_text(st, 1, hh, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    corral_err err = CORRAL_OK;
    if (rc == SQLITE_ROW) {
        const void *stored = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        const char *role = (const char *)sqlite3_column_text(st, 1);
        const char *scopes = (const char *)sqlite3_column_text(st, 2);
        if (n == SHA256_DIGEST_SIZE && stored != NULL && memeql_sec(stored, h, sizeof(h)) &&
            role != NULL && scopes != NULL && corral_role_parse(role, &who->role) == 0 &&
            strlen(scopes) < sizeof(who->scopes_json)) {
            *ok = 1;
            memcpy(who->id, hh, CORRAL_TOKEN_ID);
            who->all_scopes = strcmp(scopes, "*") == 0;
            snprintf(who->scopes_json, sizeof(who->scopes_json), "%s",
                     who->all_scopes ? "[]" : scopes);
        }
    } else if (rc != SQLITE_DONE) {
        err = CORRAL_ERR_IO;
    }
    corral_store_finish(store, st);
    return err;
}

corral_err corral_token_list(corral_store *store, struct corral_strbuf *out)
{
    sqlite3 *db = corral_store_db(store);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, role, scopes, created, revoked FROM tokens"
                           " ORDER BY created, id", -1, &st, NULL) != SQLITE_OK) {
        return CORRAL_ERR_IO;
    }
    int rc;
    corral_strbuf_printf(out, "%-12s  %-9s  %-28s  %-8s  %s\n", "ID", "ROLE", "CREATED", "STATE",
                         "SCOPES");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char t[CORRAL_TIME_TEXT];
        corral_time_format(sqlite3_column_int64(st, 3), t);
        corral_strbuf_printf(out, "%-12s  %-9s  %-28s  %-8s  %s\n", sqlite3_column_text(st, 0),
                             sqlite3_column_text(st, 1), t,
                             sqlite3_column_int(st, 4) ? "revoked" : "active",
                             sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? corral_strbuf_status(out) : CORRAL_ERR_IO;
}

corral_err corral_token_revoke(corral_store *store, const char *id, int *found)
{
    sqlite3 *db = corral_store_db(store);
    sqlite3_stmt *st = NULL;
    *found = 0;
    if (sqlite3_prepare_v2(db, "UPDATE tokens SET revoked = 1 WHERE id = ?1 AND revoked = 0", -1,
                           &st, NULL) != SQLITE_OK) {
        return CORRAL_ERR_IO;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return CORRAL_ERR_IO;
    }
    *found = sqlite3_changes(db) > 0;
    return CORRAL_OK;
}
