/*
 * token.h - API tokens: who may call the incident service, with which role,
 * over which scopes.
 *
 * A token is "corral_" followed by 64 hex digits (32 bytes from getrandom()).
 * It is shown once, when created; the store keeps only its SHA-256 (nettle),
 * and its id: the first 12 hex digits of that hash, which names the token in
 * `corral token list|revoke` and in the activity log without revealing it.
 * Checking a token looks the id up, then compares the whole hash in
 * constant time. Revoking takes effect on the next request.
 */
#ifndef CORRAL_STORE_TOKEN_H
#define CORRAL_STORE_TOKEN_H

#include <stddef.h>

#include "store/store.h"
#include "util/error.h"
#include "util/strbuf.h"

enum corral_role {
    CORRAL_ROLE_INGEST = 0, /* POST alerts only */
    CORRAL_ROLE_READER,     /* read alerts and incidents */
    CORRAL_ROLE_RESPONDER,  /* read, and change incidents */
    CORRAL_ROLE_ADMIN,      /* everything, metrics included */
};

#define CORRAL_TOKEN_TEXT 72 /* "corral_" + 64 hex + NUL, rounded */
#define CORRAL_TOKEN_ID 13   /* 12 hex + NUL */
#define CORRAL_SCOPES_JSON_MAX 4096

/* "ingest", "reader", "responder", "admin" <-> enum; parse returns -1 when unknown. */
const char *corral_role_name(enum corral_role role);
int corral_role_parse(const char *s, enum corral_role *out);

/*
 * Turn "a,b,c" (or "*") into the JSON array stored with a token (lower-cased,
 * each a non-empty run of [A-Za-z0-9._-]); *all for "*". -1 with a reason
 * in errbuf when bad.
 */
int corral_scopes_parse(const char *text, char *json, size_t size, int *all, char *errbuf,
                        size_t errlen);

/* Create a token; writes the token text (shown once) and its id. */
corral_err corral_token_create(corral_store *store, enum corral_role role, const char *scopes_text,
                               char token[CORRAL_TOKEN_TEXT], char id[CORRAL_TOKEN_ID],
                               char *errbuf, size_t errlen);

/* The caller a valid token stands for. */
struct corral_principal {
    char id[CORRAL_TOKEN_ID];
    enum corral_role role;
    int all_scopes;
    char scopes_json[CORRAL_SCOPES_JSON_MAX];
};

/*
 * Check token[0..len): *ok = 1 and *who filled when it is a live token;
 * *ok = 0 when unknown, malformed or revoked. CORRAL_ERR_IO on a database error.
 */
corral_err corral_token_check(corral_store *store, const char *token, size_t len, int *ok,
                              struct corral_principal *who);

/* One line per token: id, role, scopes, created, revoked. */
corral_err corral_token_list(corral_store *store, struct corral_strbuf *out);

/* *found = 0 when no live token has that id. */
corral_err corral_token_revoke(corral_store *store, const char *id, int *found);

#endif
