/*
 * signals.h - the text rules: signals from an alert type and display name.
 *
 * incidents.md "Signals": phrases match whole words of the display name, or
 * of the alertType split at '_', '.' and case changes ("Tor" is a word, so
 * "Storage" does not match); code fragments match as case-insensitive
 * substrings of the alertType. Used to build the shipped table, and at run
 * time for alert types the table does not know.
 */
#ifndef CORRAL_CLASSIFY_SIGNALS_H
#define CORRAL_CLASSIFY_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

/* enum corral_signal flags; never CORRAL_SIG_ACCOUNT. */
uint32_t corral_signals_from_text(const char *alert_type, size_t type_len, const char *display_name,
                                  size_t name_len);

/* Parse "a,b,c" or "-" into flags; 0 on success, -1 on an unknown name. */
int corral_signals_parse(const char *s, size_t len, uint32_t *out);

#endif
