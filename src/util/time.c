/*
 * time.c - ISO 8601 timestamps <-> corral_time (100 ns ticks since the Unix epoch).
 *
 * Every alert carries two to four timestamps, so parsing is on the hot path:
 * digits are read at fixed positions by hand, with no sscanf, strptime, timegm,
 * mktime or locale, no allocation and no libc state. What is accepted:
 *
 *   YYYY-MM-DD{T|t| }HH:MM:SS[{.|,}fraction][Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM]
 *
 * - Fields have exactly the digits shown; the year is 0001..9999, the day is
 *   checked against the month (leap years by the Gregorian rule).
 * - The fraction has one digit or more; digits beyond the 7th are truncated
 *   (never rounded up into the next second). ',' is ISO 8601's own decimal
 *   sign, so it is accepted like '.'.
 * - No zone means UTC. Offsets are HH 00..23 and MM 00..59; "-00:00" is UTC.
 *   An offset of hours alone ("+05") is rejected: the header promises four digits.
 * - Second 60 is a leap second and is accepted only where one can occur: in
 *   the last minute of a UTC day (23:59 once the offset is applied). It is
 *   folded to 23:59:59.9999999 UTC, whatever fraction it had: that keeps it
 *   after every other instant of its day and before the next midnight, so
 *   ordering holds and the output stays valid (.NET has no second 60). Two
 *   instants inside one leap second become equal; no real alert has one.
 * - The instant, once the offset is applied, must lie in the .NET DateTime
 *   range 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.9999999Z, so that
 *   everything parsed formats back with a four-digit year.
 * - Nothing else: no surrounding spaces, no date-only or minute-only forms,
 *   no week or ordinal dates.
 *
 * corral_time_format() always writes 7 fraction digits and Z, so that text
 * order equals time order. Values outside the range above (CORRAL_TIME_NONE
 * included) are clamped to its ends rather than written as garbage.
 */
#include "util/time.h"

#include <stdint.h>
#include <string.h>

#define TICKS_PER_SECOND 10000000LL
#define TICKS_PER_MINUTE (60LL * TICKS_PER_SECOND)
#define TICKS_PER_DAY (86400LL * TICKS_PER_SECOND)
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.9999999Z (days -719162 and 2932896). */
#define TIME_MIN (-719162LL * TICKS_PER_DAY)
#define TIME_MAX (2932897LL * TICKS_PER_DAY - 1)

/*
 * H. Hinnant's days_from_civil: eras of 400 years, March-based years so that
 * the leap day is last. Exact for 1 <= m <= 12, 1 <= d <= 31 and any |y|
 * below about 2.5e16 (no overflow there). Inline: the parser's hot path.
 */
static inline long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const long long yoe = y - era * 400;                         /* [0, 399] */
    const long long mp = (long long)((m + 9u) % 12u);            /* March = 0 */
    const long long doy = (153 * mp + 2) / 5 + (long long)d - 1; /* [0, 365] */
    const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

long long corral_days_from_civil(long long y, unsigned m, unsigned d)
{
    return days_from_civil(y, m, d);
}

/* The inverse of corral_days_from_civil (same algorithm, same source). */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const long long doe = z - era * 146097; /* [0, 146096] */
    const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
    const long long mp = (5 * doy + 2) / 153;                      /* [0, 11] */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        return 29;
    }
    return days[m - 1];
}

/* The value of a digit, or a number above 9 for anything else. */
static inline unsigned digit(unsigned char c)
{
    return (unsigned)c - (unsigned)'0';
}

/* Two digits at p, or a number above 99 when either is not a digit. */
static inline unsigned two_digits(const unsigned char *p)
{
    const unsigned hi = digit(p[0]);
    const unsigned lo = digit(p[1]);
    if (hi > 9 || lo > 9) {
        return 1000;
    }
    return hi * 10 + lo;
}

/*
 * The form Defender writes, "YYYY-MM-DDTHH:MM:SS.fffffffZ" (28 bytes), read a
 * word at a time: the separators are checked against a template and the 21
 * digits all at once, then the fields are combined two digits at a time (the
 * fraction's seven at once). Returns 0
 * with *out set, or 1 when the text is anything else or anything unusual
 * (a bad digit or separator, a field out of range, a leap second): the
 * general parser below then decides, so this path only ever agrees with it.
 */
#define DIGITS UINT64_C(0x3030303030303030)

/* Eight bytes, p[0] the least significant, whatever the machine's byte order. */
static uint64_t load_word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* Non-zero when a byte of x (text minus '0') under mask is not a digit. */
static uint64_t not_digits(uint64_t x, uint64_t mask)
{
    const uint64_t high_nibble = x & UINT64_C(0xf0f0f0f0f0f0f0f0);
    const uint64_t above_nine =
        ((x & UINT64_C(0x0f0f0f0f0f0f0f0f)) + UINT64_C(0x0606060606060606)) &
        UINT64_C(0x1010101010101010);
    return (high_nibble | above_nine) & mask;
}

static int parse_defender_form(const unsigned char *p, corral_time *out)
{
    /* Bytes 0-7 "YYYY-MM-", 8-15 "DDTHH:MM", 16-23 ":SS.ffff", 20-27 "ffffffZ" (overlapping). */
    const uint64_t w0 = load_word(p);
    const uint64_t w1 = load_word(p + 8);
    const uint64_t w2 = load_word(p + 16);
    const uint64_t w3 = load_word(p + 20);
    const uint64_t sep0 = UINT64_C(0xff0000ff00000000); /* a byte k is bits 8k..8k+7 */
    const uint64_t sep1 = UINT64_C(0x0000ff0000ff0000);
    const uint64_t sep2 = UINT64_C(0x00000000ff0000ff);
    const uint64_t sep3 = UINT64_C(0xff00000000000000);
    if ((w0 & sep0) != (UINT64_C(0x2d00002d00000000)) || /* '-' at 4 and 7 */
        (w1 & sep1) != (UINT64_C(0x00003a0000540000)) || /* 'T' at 10, ':' at 13 */
        (w2 & sep2) != (UINT64_C(0x000000002e00003a)) || /* ':' at 16, '.' at 19 */
        (w3 & sep3) != (UINT64_C(0x5a00000000000000))) { /* 'Z' at 27 */
        return 1;
    }
    const uint64_t x0 = w0 ^ DIGITS;
    const uint64_t x1 = w1 ^ DIGITS;
    const uint64_t x2 = w2 ^ DIGITS;
    const uint64_t x3 = w3 ^ DIGITS;
    if ((not_digits(x0, ~sep0) | not_digits(x1, ~sep1) | not_digits(x2, ~sep2) |
         not_digits(x3, ~sep3)) != 0) {
        return 1;
    }
    /*
     * Pairs of digits at once: with the separators zeroed, x * 10 + (x >> 8)
     * puts 10 * d[k] + d[k + 1] in byte k (never above 99: no carry). The
     * fraction's seven digits, shifted up a byte, read as eight ("0fffffff")
     * with the usual two more steps: 4-digit groups, then the whole.
     */
#define BYTE(x, k) ((unsigned)((x) >> (8 * (k))) & 0xffu)
    const uint64_t p0 = (x0 & ~sep0) * 10 + ((x0 & ~sep0) >> 8);
    const uint64_t p1 = (x1 & ~sep1) * 10 + ((x1 & ~sep1) >> 8);
    const uint64_t p2 = (x2 & ~sep2) * 10 + ((x2 & ~sep2) >> 8);
    const unsigned year = BYTE(p0, 0) * 100 + BYTE(p0, 2);
    const unsigned month = BYTE(p0, 5);
    const unsigned day = BYTE(p1, 0);
    const unsigned hour = BYTE(p1, 3);
    const unsigned minute = BYTE(p1, 6);
    const unsigned second = BYTE(p2, 1);
#undef BYTE
    uint64_t f = (x3 & ~sep3) << 8;
    f = f * 10 + (f >> 8);
    f = (((f & UINT64_C(0x000000ff000000ff)) * (100 + (UINT64_C(1000000) << 32))) +
         (((f >> 16) & UINT64_C(0x000000ff000000ff)) * (1 + (UINT64_C(10000) << 32)))) >>
        32;
    const long long frac = (long long)(uint32_t)f;
    if (year == 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59) {
        return 1;
    }
    const long long days = days_from_civil(year, month, day);
    *out = days * TICKS_PER_DAY +
           (long long)((hour * 60 + minute) * 60 + second) * TICKS_PER_SECOND + frac;
    return 0; /* years 0001..9999 with no offset are always inside TIME_MIN..TIME_MAX */
}

int corral_time_parse(const char *s, size_t len, corral_time *out)
{
    if (s != NULL && out != NULL && len == 28 &&
        parse_defender_form((const unsigned char *)s, out) == 0) {
        return 0;
    }
    if (s == NULL || out == NULL || len < 19) {
        return -1;
    }
    const unsigned char *p = (const unsigned char *)s;
    if (p[4] != '-' || p[7] != '-' || p[13] != ':' || p[16] != ':' ||
        (p[10] != 'T' && p[10] != 't' && p[10] != ' ')) {
        return -1;
    }
    const unsigned yhi = two_digits(p);
    const unsigned ylo = two_digits(p + 2);
    const unsigned month = two_digits(p + 5);
    const unsigned day = two_digits(p + 8);
    const unsigned hour = two_digits(p + 11);
    const unsigned minute = two_digits(p + 14);
    unsigned second = two_digits(p + 17);
    if (yhi > 99 || ylo > 99) {
        return -1;
    }
    const unsigned year = yhi * 100 + ylo;
    if (year == 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 60) {
        return -1;
    }

    size_t i = 19;
    long long frac = 0;
    if (i < len && (p[i] == '.' || p[i] == ',')) {
        i++;
        const size_t first = i;
        unsigned kept = 0;
        while (i < len && digit(p[i]) <= 9) {
            if (kept < 7) {
                frac = frac * 10 + digit(p[i]);
                kept++;
            }
            i++;
        }
        if (i == first) {
            return -1;
        }
        for (; kept < 7; kept++) {
            frac *= 10;
        }
    }

    long long offset_min = 0; /* local time minus UTC */
    if (i < len) {
        const unsigned char z = p[i];
        if (z == 'Z' || z == 'z') {
            i++;
        } else if (z == '+' || z == '-') {
            const size_t rest = len - i - 1;
            unsigned oh;
            unsigned om;
            if (rest == 5 && p[i + 3] == ':') {
                oh = two_digits(p + i + 1);
                om = two_digits(p + i + 4);
            } else if (rest == 4) {
                oh = two_digits(p + i + 1);
                om = two_digits(p + i + 3);
            } else {
                return -1;
            }
            if (oh > 23 || om > 59) {
                return -1;
            }
            offset_min = (long long)(oh * 60 + om);
            if (z == '-') {
                offset_min = -offset_min;
            }
            i = len;
        } else {
            return -1;
        }
    }
    if (i != len) {
        return -1;
    }

    if (second == 60) {
        /* A leap second only ends a UTC day: local 23:59 shifted by the offset. */
        const long long utc_min = ((long long)(hour * 60 + minute) - offset_min) % 1440;
        if (utc_min != 1439 && utc_min != -1) {
            return -1;
        }
        second = 59;
        frac = TICKS_PER_SECOND - 1;
    }

    const long long days = days_from_civil(year, month, day);
    const long long t = days * TICKS_PER_DAY +
                        (long long)((hour * 60 + minute) * 60 + second) * TICKS_PER_SECOND + frac -
                        offset_min * TICKS_PER_MINUTE;
    if (t < TIME_MIN || t > TIME_MAX) {
        return -1;
    }
    *out = t;
    return 0;
}

/* Write v (< 10^width) as width digits ending just before end; returns the new end. */
static char *put_digits(char *end, unsigned long long v, unsigned width)
{
    while (width-- > 0) {
        *--end = (char)('0' + v % 10);
        v /= 10;
    }
    return end;
}

char *corral_time_format(corral_time t, char out[CORRAL_TIME_TEXT])
{
    if (t < TIME_MIN) {
        t = TIME_MIN;
    } else if (t > TIME_MAX) {
        t = TIME_MAX;
    }
    /* Floor division: times before 1970 are negative. */
    long long days = t / TICKS_PER_DAY;
    long long rem = t % TICKS_PER_DAY;
    if (rem < 0) {
        rem += TICKS_PER_DAY;
        days--;
    }
    long long y;
    unsigned m;
    unsigned d;
    civil_from_days(days, &y, &m, &d);
    const unsigned long long secs = (unsigned long long)(rem / TICKS_PER_SECOND);
    const unsigned long long frac = (unsigned long long)(rem % TICKS_PER_SECOND);

    put_digits(out + 4, (unsigned long long)y, 4);
    out[4] = '-';
    put_digits(out + 7, m, 2);
    out[7] = '-';
    put_digits(out + 10, d, 2);
    out[10] = 'T';
    put_digits(out + 13, secs / 3600, 2);
    out[13] = ':';
    put_digits(out + 16, secs / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 19, secs % 60, 2);
    out[19] = '.';
    put_digits(out + 27, frac, 7);
    out[27] = 'Z';
    out[28] = '\0';
    return out;
}

void corral_time_json(struct corral_strbuf *sb, corral_time t)
{
    if (t == CORRAL_TIME_NONE) {
        CORRAL_STRBUF_LIT(sb, "null");
        return;
    }
    char text[CORRAL_TIME_TEXT + 1];
    text[0] = '"';
    corral_time_format(t, text + 1);
    text[CORRAL_TIME_TEXT] = '"';
    corral_strbuf_append(sb, text, sizeof text);
}
