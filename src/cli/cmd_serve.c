/*
 * cmd_serve.c - `corral serve`: the incident service (src/api/server.h).
 *
 * Loads the catalog and rules as `corral correlate` does, starts the server
 * on the store, and waits for SIGTERM or SIGINT. The signals are blocked in
 * every thread (libmicrohttpd's threads inherit the mask) and taken here with
 * sigwait(), so no signal handler and no global flag are needed. Stopping
 * finishes the requests in flight; every acknowledged alert is already
 * committed, and open sessions are rebuilt from the store on the next start.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "cli/commands.h"
#include "cli/setup.h"
#include "engine/engine.h"
#include "rules/rules_file.h"

static const char help[] =
    "usage: corral serve [OPTIONS]\n"
    "\n"
    "Run the incident service: alerts posted to the HTTP API are stored and\n"
    "correlated at once; incidents are kept in the database and managed through\n"
    "the API (docs/api/openapi.json). Every call needs a bearer token made with\n"
    "`corral token create`. Serves until SIGTERM or SIGINT.\n"
    "\n"
    "Options:\n"
    "  --db FILE                 the SQLite database (default corral.db; created)\n"
    "  --listen HOST:PORT        address to listen on (default 127.0.0.1:8080;\n"
    "                            IPv6 as [::1]:8080)\n"
    "  --tls-cert FILE           serve HTTPS with this PEM certificate (with --tls-key)\n"
    "  --tls-key FILE            the PEM private key of --tls-cert\n"
    "  --max-body SIZE           largest request body (default 16M)\n"
    "  --max-header SIZE         largest request line + headers (default 16k)\n"
    "  --max-connections N       connections at once (default 256)\n"
    "  --timeout SECONDS         idle connection timeout (default 30)\n"
    "  --read-nice N             run request threads N nice levels below ingest\n"
    "                            (default 19; 0: the same), so that back-to-back\n"
    "                            reads take what CPU ingest leaves\n"
    "  --rules FILE              add rules as for `corral correlate` (repeatable)\n"
    "  --no-builtin-rules        only the --rules files\n"
    "  --window DURATION         every rule's session window\n"
    "  --lateness DURATION       how late an alert may arrive (default 24h)\n"
    "  --scope-lag DURATION      how far one tenant's alerts may trail the newest of\n"
    "                            any tenant and still count (default: the lateness)\n"
    "  --max-span DURATION       the longest an incident's session may last from its\n"
    "                            first alert (default: the rules' max_span, 7d)\n"
    "  --catalog FILE, --max-record-size SIZE, --max-depth N   as for `corral correlate`\n"
    "  -q, --quiet               no log lines\n"
    "  -h, --help                show this help\n"
    "\n"
    "The rules must stay the same across restarts of one database: the engine is\n"
    "rebuilt on start by replaying the stored alerts through them.\n"
    "\n"
    "Exit status: 0 stopped by a signal; 2 usage error or the service could not start.\n"
    "\n"
    "Example:\n"
    "  corral token create --db corral.db --role admin --scope '*'\n"
    "  corral serve --db corral.db --listen 127.0.0.1:8080\n";

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (cap + 4096) * 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL || cap > (1u << 20)) {
                free(nb != NULL ? nb : buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* "HOST:PORT", "[V6]:PORT" into host (buffer) and port. */
static int parse_listen(const char *text, char *host, size_t size, unsigned *port)
{
    const char *colon;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - text - 1) >= size) {
            return -1;
        }
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL || (size_t)(colon - text) >= size || colon == text) {
            return -1;
        }
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || p < 0 || p > 65535) {
        return -1;
    }
    *port = (unsigned)p;
    return 0;
}

int corral_cmd_serve(int argc, char **argv)
{
    enum {
        OPT_DB = 256, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_MAX_BODY, OPT_MAX_HEADER, OPT_MAX_CONN,
        OPT_TIMEOUT, OPT_RULES, OPT_NO_BUILTIN, OPT_WINDOW, OPT_LATENESS, OPT_READ_NICE,
        OPT_MAX_SPAN, OPT_SCOPE_LAG
    };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"tls-cert", required_argument, NULL, OPT_CERT},
        {"tls-key", required_argument, NULL, OPT_KEY},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"max-header", required_argument, NULL, OPT_MAX_HEADER},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"read-nice", required_argument, NULL, OPT_READ_NICE},
        {"rules", required_argument, NULL, OPT_RULES},
        {"no-builtin-rules", no_argument, NULL, OPT_NO_BUILTIN},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"lateness", required_argument, NULL, OPT_LATENESS},
        {"max-span", required_argument, NULL, OPT_MAX_SPAN},
        {"scope-lag", required_argument, NULL, OPT_SCOPE_LAG},
        CORRAL_INPUT_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prog = "corral serve";
    struct corral_input_opts in;
    corral_input_opts_init(&in);
    struct corral_server_opts so;
    corral_server_opts_init(&so);
    so.db_path = "corral.db";
    char host[128] = "127.0.0.1";
    const char *cert_path = NULL, *key_path = NULL;
    char *rule_files[64];
    int n_rule_files = 0, builtin = 1;
    corral_time window = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        size_t size;
        char *end;
        long n;
        switch (c) {
        case OPT_DB:
            so.db_path = optarg;
            break;
        case OPT_LISTEN:
            if (parse_listen(optarg, host, sizeof(host), &so.port) != 0) {
                fprintf(stderr, "%s: --listen is HOST:PORT or [IPV6]:PORT, e.g. 127.0.0.1:8080\n",
                        prog);
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_CERT:
            cert_path = optarg;
            break;
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_MAX_BODY:
        case OPT_MAX_HEADER:
            if (corral_parse_size(optarg, &size) != 0) {
                fprintf(stderr, "%s: '%s' is not a size (e.g. 16M, 64k)\n", prog, optarg);
                return CORRAL_EXIT_ERROR;
            }
            *(c == OPT_MAX_BODY ? &so.max_body : &so.max_header) = size;
            break;
        case OPT_MAX_CONN:
        case OPT_TIMEOUT:
            n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 100000) {
                fprintf(stderr, "%s: '%s' is not a number from 1 to 100000\n", prog, optarg);
                return CORRAL_EXIT_ERROR;
            }
            *(c == OPT_MAX_CONN ? &so.max_connections : &so.timeout_seconds) = (unsigned)n;
            break;
        case OPT_READ_NICE:
            n = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || n < 0 || n > 19) {
                fprintf(stderr, "%s: --read-nice is a number from 0 to 19\n", prog);
                return CORRAL_EXIT_ERROR;
            }
            so.read_nice = (int)n;
            break;
        case OPT_RULES:
            if (n_rule_files == 64) {
                fprintf(stderr, "%s: at most 64 --rules files\n", prog);
                return CORRAL_EXIT_ERROR;
            }
            rule_files[n_rule_files++] = optarg;
            break;
        case OPT_NO_BUILTIN:
            builtin = 0;
            break;
        case OPT_WINDOW:
            if (corral_duration_arg(prog, "--window", optarg, &window) != 0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_SCOPE_LAG:
            if (corral_duration_arg(prog, "--scope-lag", optarg, &so.scope_lag) != 0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_MAX_SPAN:
            if (corral_duration_arg(prog, "--max-span", optarg, &so.max_span) != 0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case OPT_LATENESS:
            if (corral_duration_arg(prog, "--lateness", optarg, &so.lateness) != 0) {
                return CORRAL_EXIT_ERROR;
            }
            break;
        case 'h':
            fputs(help, stdout);
            return CORRAL_EXIT_OK;
        default:
            if (corral_input_option(c, optarg, &in, prog) != 0) {
                fputs("Try 'corral serve --help'.\n", stderr);
                return CORRAL_EXIT_ERROR;
            }
            break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\nTry 'corral serve --help'.\n", prog,
                argv[optind]);
        return CORRAL_EXIT_ERROR;
    }
    if ((cert_path == NULL) != (key_path == NULL)) {
        fprintf(stderr, "%s: --tls-cert and --tls-key go together\n", prog);
        return CORRAL_EXIT_ERROR;
    }
    so.host = host;
    so.quiet = in.quiet;
    so.reader_limits = in.reader;
    so.decoder_limits = in.decoder;
    int status = CORRAL_EXIT_ERROR;
    char *cert = NULL, *key = NULL;
    corral_catalog *cat = NULL;
    corral_server *server = NULL;
    struct corral_ruleset *rules = corral_load_rules(rule_files, n_rule_files, window, builtin);
    if (rules == NULL) {
        return CORRAL_EXIT_ERROR;
    }
    if (cert_path != NULL) {
        cert = read_file(cert_path);
        key = read_file(key_path);
        if (cert == NULL || key == NULL) {
            fprintf(stderr, "%s: cannot read %s\n", prog, cert == NULL ? cert_path : key_path);
            goto out;
        }
        so.tls_cert_pem = cert;
        so.tls_key_pem = key;
    }
    cat = corral_load_catalog(&in);
    if (cat == NULL) {
        goto out;
    }
    so.rules = rules;
    so.catalog = cat;
    /* Block the stop signals before any thread starts, so that all inherit the mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    char err[512];
    if (corral_server_start(&so, &server, err, sizeof(err)) != CORRAL_OK) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    if (!in.quiet) {
        fprintf(stderr, "%s: listening on %s://%s%s%s:%u (database %s)\n", prog,
                cert != NULL ? "https" : "http", strchr(host, ':') ? "[" : "", host,
                strchr(host, ':') ? "]" : "", corral_server_port(server), so.db_path);
    }
    int sig = 0;
    sigwait(&stop, &sig);
    if (!in.quiet) {
        fprintf(stderr, "%s: %s: stopping\n", prog, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    corral_server_stop(server);
    status = CORRAL_EXIT_OK;
out:
    corral_catalog_free(cat);
    corral_ruleset_free(rules);
    if (key != NULL) {
        memset(key, 0, strlen(key));
    }
    free(cert);
    free(key);
    return status;
}
