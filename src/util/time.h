/*
 * time.h - ISO 8601 timestamps <-> corral_time (100 ns ticks since the Unix epoch).
 *
 * Defender writes 7-digit fractions ("2020-02-22T00:00:00.0000000Z"); others
 * write 3 digits, none, or an offset instead of Z. All are accepted; output is
 * always UTC with 7 digits so that ordering by text equals ordering by time.
 */
#ifndef CORRAL_UTIL_TIME_H
#define CORRAL_UTIL_TIME_H

#include <stddef.h>

#include "model/alert.h"
#include "util/strbuf.h"

/*
 * Parse s[0..len): YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]
 * ('t' or ' ' also separate date and time; no zone means UTC; fractions
 * beyond 7 digits are truncated). Checks field ranges, including the days of
 * the month and leap years. Returns 0 and sets *out, or -1.
 */
int corral_time_parse(const char *s, size_t len, corral_time *out);

#define CORRAL_TIME_TEXT 29 /* "YYYY-MM-DDTHH:MM:SS.fffffffZ" + NUL */

/* Write t as "YYYY-MM-DDTHH:MM:SS.fffffffZ" into out (CORRAL_TIME_TEXT bytes). Returns out. */
char *corral_time_format(corral_time t, char out[CORRAL_TIME_TEXT]);

/* t as a JSON string (its text needs no escape), or null when t is CORRAL_TIME_NONE. */
void corral_time_json(struct corral_strbuf *sb, corral_time t);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
long long corral_days_from_civil(long long y, unsigned m, unsigned d);

#endif
