/*
 * cmd_incidents.c - `corral incidents list|show|set-status`: the incidents of
 * a service database, read and managed from the command line. Works on the
 * database file directly (as its owner, so over every scope), safely beside
 * a running `corral serve`: SQLite's WAL lets both at once. Output is the
 * API's JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "store/store.h"
#include "util/time.h"

static const char help[] =
    "usage: corral incidents list --db FILE [--status S] [--kind K] [--severity S]\n"
    "                              [--scope ID] [--entity KEY] [--sort F] [--limit N]\n"
    "       corral incidents show --db FILE ID\n"
    "       corral incidents set-status --db FILE ID STATUS [--assignee NAME]\n"
    "                              [--comment TEXT] [--dismiss-alerts]\n"
    "\n"
    "list prints {\"incidents\": [...], \"next\": CURSOR} as GET /api/v1/incidents\n"
    "does (--cursor CURSOR for the next page); show prints one incident with its\n"
    "member alerts and activity; set-status sets an incident's status (Active,\n"
    "InProgress, Resolved, Dismissed), logged with actor \"cli\". A Resolved or\n"
    "Dismissed incident does not grow again: later related alerts start its\n"
    "successor (its \"next\"; docs/api/README.md).\n"
    "\n"
    "Exit status: 0 done; 2 usage error, unknown incident, or database error.\n";

int corral_cmd_incidents(int argc, char **argv)
{
    enum {
        OPT_DB = 256, OPT_STATUS, OPT_KIND, OPT_SEVERITY, OPT_SCOPE, OPT_ENTITY, OPT_SORT,
        OPT_LIMIT, OPT_CURSOR, OPT_ASSIGNEE, OPT_COMMENT, OPT_DISMISS
    };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"status", required_argument, NULL, OPT_STATUS},
        {"kind", required_argument, NULL, OPT_KIND},
        {"severity", required_argument, NULL, OPT_SEVERITY},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"entity", required_argument, NULL, OPT_ENTITY},
        {"sort", required_argument, NULL, OPT_SORT},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"cursor", required_argument, NULL, OPT_CURSOR},
        {"assignee", required_argument, NULL, OPT_ASSIGNEE},
        {"comment", required_argument, NULL, OPT_COMMENT},
        {"dismiss-alerts", no_argument, NULL, OPT_DISMISS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CORRAL_EXIT_ERROR : CORRAL_EXIT_OK;
    }
    const char *verb = argv[1];
    int is_list = strcmp(verb, "list") == 0, is_show = strcmp(verb, "show") == 0,
        is_set = strcmp(verb, "set-status") == 0;
    if (!is_list && !is_show && !is_set) {
        fprintf(stderr, "corral incidents: unknown action '%s' (list, show or set-status)\n", verb);
        return CORRAL_EXIT_ERROR;
    }
    const char *db = NULL;
    struct corral_incident_query q = {.from = CORRAL_TIME_NONE, .to = CORRAL_TIME_NONE, .limit = 100};
    struct corral_incident_patch p = {.status = -1, .actor = "cli"};
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        char *end;
        long n;
        switch (c) {
        case OPT_DB: db = optarg; break;
        case OPT_STATUS: q.status = optarg; break;
        case OPT_KIND: q.kind = optarg; break;
        case OPT_SEVERITY: q.severity = optarg; break;
        case OPT_SCOPE: q.scope = optarg; break;
        case OPT_ENTITY: q.entity = optarg; break;
        case OPT_SORT: q.sort = optarg; break;
        case OPT_CURSOR: q.cursor = optarg; break;
        case OPT_ASSIGNEE: p.assignee = optarg; break;
        case OPT_COMMENT: p.comment = optarg; break;
        case OPT_DISMISS: p.dismiss_alerts = 1; break;
        case OPT_LIMIT:
            n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 1000) {
                fprintf(stderr, "corral incidents: --limit is a number from 1 to 1000\n");
                return CORRAL_EXIT_ERROR;
            }
            q.limit = (unsigned)n;
            break;
        case 'h':
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        default:
            fputs("Try 'corral incidents --help'.\n", stderr);
            return CORRAL_EXIT_ERROR;
        }
    }
    int rest = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (db == NULL) {
        fprintf(stderr, "corral incidents %s: --db FILE is required\n", verb);
        return CORRAL_EXIT_ERROR;
    }
    if ((is_list && rest != 0) || (is_show && rest != 1) || (is_set && rest != 2)) {
        fprintf(stderr, "corral incidents %s: %s\n", verb,
                is_list ? "unexpected argument" : is_show ? "give the incident ID"
                                                          : "give the incident ID and a STATUS");
        return CORRAL_EXIT_ERROR;
    }
    if (is_set) {
        enum corral_status st;
        const char *s = args[1];
        if ((strcmp(s, "Active") != 0 && strcmp(s, "InProgress") != 0 &&
             strcmp(s, "Resolved") != 0 && strcmp(s, "Dismissed") != 0) ||
            corral_status_parse(s, strlen(s), &st) != 0) {
            fprintf(stderr, "corral incidents set-status: STATUS is Active, InProgress, Resolved "
                            "or Dismissed\n");
            return CORRAL_EXIT_ERROR;
        }
        p.status = (int)st;
        if (p.dismiss_alerts && st != CORRAL_STATUS_DISMISSED) {
            fprintf(stderr, "corral incidents set-status: --dismiss-alerts goes with Dismissed\n");
            return CORRAL_EXIT_ERROR;
        }
    }
    char err[512];
    corral_store *store = NULL;
    if (corral_store_open(db, &store, err, sizeof(err)) != CORRAL_OK) {
        fprintf(stderr, "corral incidents: %s\n", err);
        return CORRAL_EXIT_ERROR;
    }
    struct corral_scopes all = {1, NULL};
    struct corral_strbuf out;
    corral_strbuf_init(&out);
    int status = CORRAL_EXIT_OK, found = 1;
    corral_err e;
    if (is_list) {
        e = corral_store_list_incidents(store, &all, &q, &out, err, sizeof(err));
    } else {
        if (is_set) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            corral_time now = (corral_time)ts.tv_sec * 10000000 + ts.tv_nsec / 100;
            e = corral_store_patch_incident(store, &all, args[0], &p, now, &found);
        } else {
            e = CORRAL_OK;
        }
        if (e == CORRAL_OK && found) {
            e = corral_store_get_incident(store, &all, args[0], &out, &found);
        }
        snprintf(err, sizeof(err), "%s", corral_store_errmsg(store));
    }
    if (e != CORRAL_OK) {
        fprintf(stderr, "corral incidents %s: %s\n", verb, err);
        status = CORRAL_EXIT_ERROR;
    } else if (!found) {
        fprintf(stderr, "corral incidents %s: no incident '%s'\n", verb, args[0]);
        status = CORRAL_EXIT_ERROR;
    } else {
        corral_strbuf_putc(&out, '\n');
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
            status = CORRAL_EXIT_ERROR;
        }
    }
    corral_strbuf_release(&out);
    corral_store_free(store);
    return status;
}
