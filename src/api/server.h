/*
 * server.h - corral's incident service: the HTTP API over the store and a
 * live engine (docs/api/openapi.json).
 *
 * Alerts posted to /api/v1/alerts are decoded, stored and fed to one engine
 * (stream mode); the incidents the engine creates, grows, finalizes or
 * retracts are written to the store in the same transaction as the alerts
 * that caused them, and the request is answered only after that transaction
 * is durably committed. On start the engine is rebuilt by replaying, in
 * arrival order, the stored alerts that may still be in an open session
 * (corral_store_replay_start), so that after a crash the incidents are those
 * of a run without it.
 *
 * Threads: libmicrohttpd runs one thread per connection; posted alerts are
 * handed to a few ingest threads, which run at normal priority while the
 * connection threads run read_nice lower, so that reads (which a busy client
 * can issue back to back) take the CPU that ingest leaves, not the reverse.
 * Writes (ingest, incident changes) go through one writer connection, the
 * engine has its own lock; reads take one of a few reader connections from a
 * pool. The server
 * holds no global state; everything is reached from the corral_server handle
 * that libmicrohttpd passes back to each callback.
 */
#ifndef CORRAL_API_SERVER_H
#define CORRAL_API_SERVER_H

#include <stddef.h>

#include "classify/catalog.h"
#include "ingest/decode.h"
#include "ingest/reader.h"
#include "model/alert.h"
#include "rules/rule.h"
#include "util/error.h"

typedef struct corral_server corral_server;

struct corral_server_opts {
    const char *db_path;
    const char *host;           /* numeric IPv4 or IPv6 address to listen on */
    unsigned port;              /* 0: any free port (see corral_server_port) */
    const char *tls_cert_pem;   /* both or neither: PEM text, borrowed */
    const char *tls_key_pem;
    size_t max_body;            /* bytes of one request body (default 16 MiB) */
    size_t max_header;          /* bytes of the request line and headers (default 16 KiB) */
    unsigned max_connections;   /* default 256 */
    unsigned timeout_seconds;   /* idle connection timeout (default 30) */
    unsigned readers;           /* reader connections (default 8) */
    int read_nice;              /* request threads run at this nice value above ingest's
                                   (default 19; 0: the same) */
    corral_time lateness;       /* engine lateness (default 24h) */
    corral_time max_span;       /* engine max_span (0: the rules', 7d for the built-ins) */
    corral_time scope_lag;      /* engine scope_lag (0: the lateness, one watermark) */
    /* Borrowed, must outlive the server. */
    const struct corral_ruleset *rules;
    const corral_catalog *catalog;
    struct corral_reader_limits reader_limits;
    struct corral_decoder_limits decoder_limits;
    int quiet; /* no log lines on stderr */
};

void corral_server_opts_init(struct corral_server_opts *opts);

/*
 * Open the store, rebuild the engine from it, start listening. On failure
 * returns CORRAL_ERR_IO / _NOMEM / _USAGE with the reason in errbuf.
 */
corral_err corral_server_start(const struct corral_server_opts *opts, corral_server **out,
                               char *errbuf, size_t errlen);

/* The port listened on. */
unsigned corral_server_port(const corral_server *server);

/* Stop accepting, finish requests in flight, close the store. NULL is a no-op. */
void corral_server_stop(corral_server *server);

#endif
