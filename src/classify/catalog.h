/*
 * catalog.h - alertType -> plan, signals, tactics, from a data file.
 *
 * corral ships data/alert-types.tsv, resolved from Microsoft's public alert
 * reference (data/defender-alert-catalog.tsv) by `corral catalog build`. It is
 * loaded at start, never compiled in, so a user can update it without a
 * rebuild. Alert types it does not know fall back to the text rules of
 * signals.h and plan.h, as incidents.md says.
 *
 * File format (UTF-8, tab-separated, '#' starts a comment line, first
 * non-comment line is the header):
 *   alert_type  display_name  plan  signals  tactics
 * signals and tactics are comma-separated names, or "-" for none.
 */
#ifndef CORRAL_CLASSIFY_CATALOG_H
#define CORRAL_CLASSIFY_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/alert.h"
#include "util/error.h"

typedef struct corral_catalog corral_catalog;

/* What the catalog and the text rules say about one alert. */
struct corral_classification {
    enum corral_plan plan;
    uint32_t signals; /* enum corral_signal flags; never ACCOUNT, which comes from entities */
    uint32_t tactics; /* catalog tactics (1u << enum corral_tactic), for records naming none */
    int known;        /* 1 when the alert type was found in the catalog */
};

/* An empty catalog (every lookup falls back to the text rules). NULL when out of memory. */
corral_catalog *corral_catalog_new(void);
void corral_catalog_free(corral_catalog *cat); /* NULL is a no-op */

/*
 * Load a resolved table (the format above) from path. Every malformed line is
 * an error: on failure returns CORRAL_ERR_DATA (or _IO, _NOMEM) with diag
 * naming the first bad line and column, and *out is left untouched.
 */
corral_err corral_catalog_load(const char *path, corral_catalog **out, struct corral_diag *diag);

/* Number of alert-type rows loaded. */
size_t corral_catalog_size(const corral_catalog *cat);

/*
 * Classify one alert. Plan: the catalog row of the type (when a type has rows
 * under several plans: the row whose display name equals the alert's, else
 * the product component, else the prefix rule); else the product component;
 * else the alertType prefix. Signals: the catalog row's, else the text rules
 * on the alert's own type and display name. Strings are (pointer, length),
 * and may be empty. Never fails.
 */
void corral_catalog_classify(const corral_catalog *cat, const char *alert_type, size_t type_len,
                             const char *display_name, size_t name_len, const char *component,
                             size_t component_len, struct corral_classification *out);

/*
 * Resolve Microsoft's reference table (columns: plan, alert_type,
 * display_name, tactics, severity) into the shipped format, written to out in
 * a stable order. Rows without an alert type and "Security incident" rows are
 * left out. CORRAL_ERR_DATA with diag on a malformed line.
 */
corral_err corral_catalog_build(FILE *in, const char *in_name, FILE *out, struct corral_diag *diag);

#endif
