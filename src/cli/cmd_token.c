/*
 * cmd_token.c - `corral token create|list|revoke`: the API tokens of a
 * service database (src/store/token.h). A new token is printed once, alone
 * on standard output; the database keeps only its hash.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "store/store.h"
#include "store/token.h"

static const char help[] =
    "usage: corral token create --db FILE --role ROLE --scope SCOPE[,SCOPE...]\n"
    "       corral token list --db FILE\n"
    "       corral token revoke --db FILE ID\n"
    "\n"
    "Manage the bearer tokens of `corral serve`. create prints the new token alone\n"
    "on standard output: it is shown once and stored only as a SHA-256 hash. list\n"
    "shows each token's id (the first 12 hex digits of its hash), role, scopes and\n"
    "state; revoke disables a token at once.\n"
    "\n"
    "Roles: ingest (post alerts), reader (read alerts and incidents), responder\n"
    "(read, and change incidents), admin (everything, /metrics included).\n"
    "Scopes: the tenant or subscription ids the token may see, or '*' for all.\n"
    "\n"
    "Exit status: 0 done; 2 usage error, unknown token id, or database error.\n";

int corral_cmd_token(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_ROLE, OPT_SCOPE };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"role", required_argument, NULL, OPT_ROLE},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CORRAL_EXIT_ERROR : CORRAL_EXIT_OK;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "create") != 0 && strcmp(verb, "list") != 0 && strcmp(verb, "revoke") != 0) {
        fprintf(stderr, "corral token: unknown action '%s' (create, list or revoke)\n", verb);
        return CORRAL_EXIT_ERROR;
    }
    const char *db = NULL, *role_text = NULL, *scope = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_ROLE:
            role_text = optarg;
            break;
        case OPT_SCOPE:
            scope = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        default:
            fputs("Try 'corral token --help'.\n", stderr);
            return CORRAL_EXIT_ERROR;
        }
    }
    int rest = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (db == NULL) {
        fprintf(stderr, "corral token %s: --db FILE is required\n", verb);
        return CORRAL_EXIT_ERROR;
    }
    enum corral_role role = CORRAL_ROLE_READER;
    if (strcmp(verb, "create") == 0) {
        if (role_text == NULL || corral_role_parse(role_text, &role) != 0) {
            fprintf(stderr, "corral token create: --role is ingest, reader, responder or admin\n");
            return CORRAL_EXIT_ERROR;
        }
        if (scope == NULL) {
            fprintf(stderr, "corral token create: --scope SCOPE[,SCOPE...] (or '*') is required\n");
            return CORRAL_EXIT_ERROR;
        }
    }
    if ((strcmp(verb, "revoke") == 0) != (rest == 1) || rest > 1) {
        fprintf(stderr, "corral token %s: %s\n", verb,
                strcmp(verb, "revoke") == 0 ? "give the token ID to revoke" : "unexpected argument");
        return CORRAL_EXIT_ERROR;
    }
    char err[512];
    corral_store *store = NULL;
    if (corral_store_open(db, &store, err, sizeof(err)) != CORRAL_OK) {
        fprintf(stderr, "corral token: %s\n", err);
        return CORRAL_EXIT_ERROR;
    }
    int status = CORRAL_EXIT_OK;
    if (strcmp(verb, "create") == 0) {
        char token[CORRAL_TOKEN_TEXT], id[CORRAL_TOKEN_ID];
        if (corral_token_create(store, role, scope, token, id, err, sizeof(err)) != CORRAL_OK) {
            fprintf(stderr, "corral token create: %s\n", err);
            status = CORRAL_EXIT_ERROR;
        } else {
            printf("%s\n", token);
            memset(token, 0, sizeof(token));
            if (fflush(stdout) != 0) {
                status = CORRAL_EXIT_ERROR;
            }
        }
    } else if (strcmp(verb, "list") == 0) {
        struct corral_strbuf out;
        corral_strbuf_init(&out);
        if (corral_token_list(store, &out) != CORRAL_OK) {
            fprintf(stderr, "corral token list: %s\n", corral_store_errmsg(store));
            status = CORRAL_EXIT_ERROR;
        } else {
            fwrite(out.data, 1, out.len, stdout);
        }
        corral_strbuf_release(&out);
    } else {
        int found = 0;
        if (corral_token_revoke(store, args[0], &found) != CORRAL_OK) {
            fprintf(stderr, "corral token revoke: %s\n", corral_store_errmsg(store));
            status = CORRAL_EXIT_ERROR;
        } else if (!found) {
            fprintf(stderr, "corral token revoke: no active token with id '%s'\n", args[0]);
            status = CORRAL_EXIT_ERROR;
        } else {
            fprintf(stderr, "corral token revoke: %s revoked\n", args[0]);
        }
    }
    corral_store_free(store);
    return status;
}
