/*
 * test_time.c - corral_time_parse / corral_time_format / corral_days_from_civil.
 *
 * Known instants (the Unix epoch, the .NET DateTime range, a systemAlertId
 * from the public samples whose number encodes its start time), every accepted
 * variation of the text, every range rule (leap years, leap seconds, offsets
 * that cross a day or the range ends), a long list of near-misses that must be
 * rejected, and cross-checks: round trips over the whole range and agreement
 * with glibc's timegm() (used here as an oracle only, never in corral).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/time.h"

#define TPS 10000000LL                 /* ticks per second */
#define TPD (86400LL * TPS)            /* ticks per day */
#define NET_EPOCH 621355968000000000LL /* .NET ticks of 1970-01-01 */

static int parse(const char *s, corral_time *out)
{
    return corral_time_parse(s, strlen(s), out);
}

/* The parsed value of a text that must be valid. */
static corral_time must(const char *s)
{
    corral_time t = 0;
    if (parse(s, &t) != 0) {
        fail_msg("rejected valid time \"%s\"", s);
    }
    return t;
}

static void assert_rejected(const char *s, size_t len)
{
    corral_time t = 12345;
    if (corral_time_parse(s, len, &t) != -1) {
        fail_msg("accepted invalid time \"%.*s\"", (int)len, s);
    }
    assert_int_equal(t, 12345); /* out untouched on failure */
}

static void expect_format(corral_time t, const char *want)
{
    char buf[CORRAL_TIME_TEXT];
    memset(buf, 'x', sizeof buf);
    assert_ptr_equal(corral_time_format(t, buf), buf);
    assert_string_equal(buf, want);
}

static void test_known_instants(void **state)
{
    (void)state;
    assert_int_equal(must("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(must("1970-01-01T00:00:00.0000001Z"), 1);
    assert_int_equal(must("1969-12-31T23:59:59.9999999Z"), -1);
    assert_int_equal(must("2020-02-22T00:00:00.0000000Z"), 1582329600LL * TPS);
    assert_int_equal(must("2000-03-01T00:00:00Z"), 11017LL * TPD);
    /* The .NET DateTime range, both ends. */
    assert_int_equal(must("0001-01-01T00:00:00Z"), -NET_EPOCH);
    assert_int_equal(must("9999-12-31T23:59:59.9999999Z"), 3155378975999999999LL - NET_EPOCH);
    /*
     * test-alert.log: SystemAlertId 2517184898549829577_... has StartTimeUtc
     * 2023-05-11T13:15:45.0170422Z, and the number is 3155378975999999999
     * minus the start time in .NET ticks.
     */
    assert_int_equal(must("2023-05-11T13:15:45.0170422Z") + NET_EPOCH,
                     3155378975999999999LL - 2517184898549829577LL);
}

static void test_fractions(void **state)
{
    (void)state;
    const corral_time base = must("2020-07-20T18:21:53Z");
    assert_int_equal(must("2020-07-20T18:21:53.5Z") - base, 5000000);
    assert_int_equal(must("2020-07-20T18:21:53.304Z") - base, 3040000);
    assert_int_equal(must("2020-07-20T18:21:53.6158361Z") - base, 6158361);
    assert_int_equal(must("2020-07-20T18:21:53.0000000Z") - base, 0);
    assert_int_equal(must("2020-07-20T18:21:53,5Z") - base, 5000000);
    /* Beyond 7 digits: truncated, never rounded into the next second. */
    assert_int_equal(must("2020-07-20T18:21:53.123456789Z") - base, 1234567);
    assert_int_equal(must("2020-07-20T18:21:53.99999999999999999999Z") - base, 9999999);
    assert_int_equal(must("2020-07-20T18:21:53.00000009Z") - base, 0);
}

static void test_separators_and_zones(void **state)
{
    (void)state;
    const corral_time want = must("2020-07-20T18:21:53.304Z");
    assert_int_equal(must("2020-07-20t18:21:53.304Z"), want);
    assert_int_equal(must("2020-07-20 18:21:53.304Z"), want);
    assert_int_equal(must("2020-07-20T18:21:53.304z"), want);
    assert_int_equal(must("2020-07-20T18:21:53.304"), want); /* no zone: UTC */
    assert_int_equal(must("2020-07-20T18:21:53.304+00:00"), want);
    assert_int_equal(must("2020-07-20T18:21:53.304-00:00"), want);
    assert_int_equal(must("2020-07-20T18:21:53.304+0000"), want);
    assert_int_equal(must("2020-07-20T20:21:53.304+02:00"), want);
    assert_int_equal(must("2020-07-20T20:21:53.304+0200"), want);
    assert_int_equal(must("2020-07-20T12:51:53.304-05:30"), want);
    assert_int_equal(must("2020-07-20T12:51:53.304-0530"), want);
    assert_int_equal(must("2020-07-21T00:06:53.304+05:45"), want); /* crosses midnight */
    /* Offsets move the date too: across a day, a month end and a year end. */
    assert_int_equal(must("2020-01-01T00:30:00+01:00"), must("2019-12-31T23:30:00Z"));
    assert_int_equal(must("2019-12-31T23:30:00-01:00"), must("2020-01-01T00:30:00Z"));
    assert_int_equal(must("2020-03-01T00:00:00+00:01"), must("2020-02-29T23:59:00Z"));
    assert_int_equal(must("2020-06-15T00:00:00+23:59"), must("2020-06-14T00:01:00Z"));
    assert_int_equal(must("2020-06-15T00:00:00-23:59"), must("2020-06-15T23:59:00Z"));
    /* Only len bytes are read: a prefix of a longer text is a time of its own. */
    const char *text = "2020-07-20T18:21:53.304Z trailing";
    corral_time t = 0;
    assert_int_equal(corral_time_parse(text, 19, &t), 0);
    assert_int_equal(t, must("2020-07-20T18:21:53Z"));
    assert_int_equal(corral_time_parse(text, 23, &t), 0);
    assert_int_equal(t, want);
    assert_int_equal(corral_time_parse(text, 24, &t), 0);
    assert_int_equal(t, want);
}

static void test_calendar_ranges(void **state)
{
    (void)state;
    corral_time t;
    /* Leap years: divisible by 4, except centuries, except every 400 years. */
    assert_int_equal(parse("2024-02-29T00:00:00Z", &t), 0);
    assert_int_equal(parse("2000-02-29T00:00:00Z", &t), 0);
    assert_int_equal(parse("2400-02-29T00:00:00Z", &t), 0);
    assert_int_equal(parse("0004-02-29T00:00:00Z", &t), 0);
    assert_int_equal(must("2024-02-29T00:00:00Z") + TPD, must("2024-03-01T00:00:00Z"));
    assert_rejected("2023-02-29T00:00:00Z", 20);
    assert_rejected("1900-02-29T00:00:00Z", 20);
    assert_rejected("2100-02-29T00:00:00Z", 20);
    assert_rejected("2024-02-30T00:00:00Z", 20);
    /* Days per month, both sides of the limit. */
    static const char *const last[] = {
        "2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31", "2023-06-30",
        "2023-07-31", "2023-08-31", "2023-09-30", "2023-10-31", "2023-11-30", "2023-12-31",
    };
    static const char *const past[] = {
        "2023-01-32", "2023-02-29", "2023-03-32", "2023-04-31", "2023-05-32", "2023-06-31",
        "2023-07-32", "2023-08-32", "2023-09-31", "2023-10-32", "2023-11-31", "2023-12-32",
    };
    for (size_t i = 0; i < 12; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%sT12:00:00Z", last[i]);
        assert_int_equal(parse(buf, &t), 0);
        snprintf(buf, sizeof buf, "%sT12:00:00Z", past[i]);
        assert_rejected(buf, strlen(buf));
    }
    assert_rejected("2023-00-10T00:00:00Z", 20);
    assert_rejected("2023-13-10T00:00:00Z", 20);
    assert_rejected("2023-01-00T00:00:00Z", 20);
    assert_rejected("2023-01-10T24:00:00Z", 20);
    assert_rejected("2023-01-10T23:60:00Z", 20);
    assert_rejected("2023-01-10T23:59:61Z", 20);
    assert_rejected("2023-01-10T99:99:99Z", 20);
    assert_int_equal(parse("2023-01-10T23:59:59Z", &t), 0);
    assert_int_equal(parse("2023-01-10T00:00:00Z", &t), 0);
    /* Years 0001..9999, and the instant (after the offset) inside that range. */
    assert_rejected("0000-01-01T00:00:00Z", 20);
    assert_rejected("0000-12-31T23:59:59Z", 20);
    assert_rejected("0001-01-01T00:00:00+00:01", 25);
    assert_rejected("9999-12-31T23:59:59-00:01", 25);
    assert_int_equal(must("0001-01-01T00:00:00-01:00"), -NET_EPOCH + 3600 * TPS);
    assert_int_equal(must("9999-12-31T23:00:00+01:00"), must("9999-12-31T22:00:00Z"));
}

static void test_leap_second(void **state)
{
    (void)state;
    /*
     * Second 60 is accepted only in the last minute of a UTC day and folds to
     * 23:59:59.9999999: after the whole of :59, before the next midnight.
     */
    const corral_time fold = must("2016-12-31T23:59:59.9999999Z");
    assert_int_equal(must("2016-12-31T23:59:60Z"), fold);
    assert_int_equal(must("2016-12-31T23:59:60.5Z"), fold);
    assert_int_equal(must("2016-12-31T23:59:60.0000000Z"), fold);
    assert_int_equal(must("2017-01-01T00:59:60+01:00"), fold);
    assert_int_equal(must("2016-12-31T18:29:60-05:30"), fold);
    assert_int_equal(must("2017-01-01T05:44:60+0545"), fold);
    assert_int_equal(must("2015-06-30T23:59:60Z"), must("2015-06-30T23:59:59.9999999Z"));
    assert_true(must("2016-12-31T23:59:59.9999998Z") < must("2016-12-31T23:59:60Z"));
    assert_true(must("2016-12-31T23:59:60Z") < must("2017-01-01T00:00:00Z"));
    char buf[CORRAL_TIME_TEXT];
    assert_string_equal(corral_time_format(must("2016-12-31T23:59:60Z"), buf),
                        "2016-12-31T23:59:59.9999999Z");
    /* Anywhere else it is not a leap second. */
    assert_rejected("2016-12-31T12:00:60Z", 20);
    assert_rejected("2016-12-31T23:58:60Z", 20);
    assert_rejected("2016-12-31T22:59:60Z", 20);
    assert_rejected("2016-12-31T23:59:60+01:00", 25); /* 22:59 UTC */
    assert_rejected("2017-01-01T00:00:60Z", 20);
    /* The last leap-second slot of the range folds onto its very last tick. */
    assert_int_equal(must("9999-12-31T23:59:60Z"), 3155378975999999999LL - NET_EPOCH);
}

static void test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2020",
        "2020-02-22",
        "2020-02-22T",
        "2020-02-22T00:00Z",
        "2020-02-22T00:00",
        "2020-2-22T00:00:00Z",
        "2020-02-2T00:00:00Z",
        "20-02-22T00:00:00Z",
        "20200-02-22T00:00:00Z",
        "20200222T000000Z",
        "2020-02-22T000000Z",
        " 2020-02-22T00:00:00Z",
        "2020-02-22T00:00:00Z ",
        "2020-02-22T00:00:00Z\n",
        "2020-02-22X00:00:00Z",
        "2020-02-22_00:00:00Z",
        "2020-02-22  00:00:00Z",
        "2020/02/22T00:00:00Z",
        "2020-02-22T00.00.00Z",
        "2020-02-22T00:00:00.Z",
        "2020-02-22T00:00:00.",
        "2020-02-22T00:00:00,",
        "2020-02-22T00:00:00..5Z",
        "2020-02-22T00:00:00.5.5Z",
        "2020-02-22T00:00:00.12aZ",
        "2020-02-22T00:00:00ZZ",
        "2020-02-22T00:00:00Zz",
        "2020-02-22T00:00:00UTC",
        "2020-02-22T00:00:00GMT",
        "2020-02-22T00:00:00+01",
        "2020-02-22T00:00:00+1:00",
        "2020-02-22T00:00:00+01:0",
        "2020-02-22T00:00:00+01:000",
        "2020-02-22T00:00:00+010",
        "2020-02-22T00:00:00+01000",
        "2020-02-22T00:00:00+24:00",
        "2020-02-22T00:00:00+01:60",
        "2020-02-22T00:00:00+01-00",
        "2020-02-22T00:00:00+01:00Z",
        "2020-02-22T00:00:00 +01:00",
        "2020-02-22T00:00:00+",
        "2020-02-22T00:00:00-",
        "2020-02-22T00:00:00*01:00",
        "2020-02-22T00:00:00+ab:cd",
        "+2020-02-22T00:00:00Z",
        "-2020-02-22T00:00:00Z",
        "2020-02-22T-1:00:00Z",
        "2020-02-22T+1:00:00Z",
        "2020-0a-22T00:00:00Z",
        "a020-02-22T00:00:00Z",
        "2020-02-22T00:00:0aZ",
        "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x90-02-22T00:00:00Z", /* fullwidth */
        "not a time at all, really",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_rejected(bad[i], strlen(bad[i]));
    }
    /* An embedded NUL is a byte like any other: not a digit, not a zone. */
    assert_rejected("2020-02-22T00:00:00\0Z", 21);
    assert_rejected("2020-02-22T00:00\0:00Z", 21);
    /* NULL text or out. */
    corral_time t;
    assert_int_equal(corral_time_parse(NULL, 0, &t), -1);
    assert_int_equal(corral_time_parse(NULL, 20, &t), -1);
    assert_int_equal(corral_time_parse("2020-02-22T00:00:00Z", 20, NULL), -1);
    /* A valid text cut short. */
    const char *full = "2020-02-22T00:00:00.123+01:00";
    for (size_t len = 0; len < strlen(full); len++) {
        if (len == 19 || len == 21 || len == 22 || len == 23) {
            continue; /* "...:00", "...:00.1", ".12", ".123" are complete */
        }
        assert_rejected(full, len);
    }
}

static void test_format(void **state)
{
    (void)state;
    expect_format(0, "1970-01-01T00:00:00.0000000Z");
    expect_format(1, "1970-01-01T00:00:00.0000001Z");
    expect_format(-1, "1969-12-31T23:59:59.9999999Z");
    expect_format(1582329600LL * TPS, "2020-02-22T00:00:00.0000000Z");
    expect_format(must("2019-05-07T13:51:45.0045913Z"), "2019-05-07T13:51:45.0045913Z");
    expect_format(must("2020-07-20T18:21:57.304Z"), "2020-07-20T18:21:57.3040000Z");
    expect_format(must("2020-07-20T20:21:57.304+02:00"), "2020-07-20T18:21:57.3040000Z");
    expect_format(must("2024-02-29T23:59:59.9999999Z"), "2024-02-29T23:59:59.9999999Z");
    expect_format(-NET_EPOCH, "0001-01-01T00:00:00.0000000Z");
    expect_format(3155378975999999999LL - NET_EPOCH, "9999-12-31T23:59:59.9999999Z");
    /* Out of range (CORRAL_TIME_NONE included) is clamped, never garbage. */
    expect_format(CORRAL_TIME_NONE, "0001-01-01T00:00:00.0000000Z");
    expect_format(-NET_EPOCH - 1, "0001-01-01T00:00:00.0000000Z");
    expect_format(INT64_MAX, "9999-12-31T23:59:59.9999999Z");
    expect_format(3155378975999999999LL - NET_EPOCH + 1, "9999-12-31T23:59:59.9999999Z");
    char buf[CORRAL_TIME_TEXT];
    assert_int_equal(strlen(corral_time_format(12345, buf)), CORRAL_TIME_TEXT - 1);
}

static uint64_t next_random(uint64_t *s)
{
    /* xorshift64*: deterministic, so a failure can be replayed. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void test_round_trip(void **state)
{
    (void)state;
    const corral_time lo = -NET_EPOCH;
    const corral_time hi = 3155378975999999999LL - NET_EPOCH;
    const uint64_t span = (uint64_t)(hi - lo) + 1;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    char buf[CORRAL_TIME_TEXT];
    for (int i = 0; i < 200000; i++) {
        const corral_time t = lo + (corral_time)(next_random(&seed) % span);
        corral_time back = 0;
        corral_time_format(t, buf);
        assert_int_equal(strlen(buf), CORRAL_TIME_TEXT - 1);
        if (parse(buf, &back) != 0 || back != t) {
            fail_msg("round trip of %lld failed: \"%s\"", (long long)t, buf);
        }
    }
    /* Edges: both range ends, the epoch, and a leap day. */
    const corral_time edges[] = {lo, lo + 1, -1, 0, 1, hi - 1, hi, must("2000-02-29T12:00:00Z")};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        corral_time back = 0;
        assert_int_equal(parse(corral_time_format(edges[i], buf), &back), 0);
        assert_int_equal(back, edges[i]);
    }
}

static void test_matches_timegm(void **state)
{
    (void)state;
    /* glibc's timegm as an oracle over 1900..2199, with random offsets. */
    uint64_t seed = 42;
    const long long lo = -2208988800LL; /* 1900-01-01 */
    const long long span = 300LL * 365 * 86400;
    for (int i = 0; i < 100000; i++) {
        const time_t secs = (time_t)(lo + (long long)(next_random(&seed) % (uint64_t)span));
        struct tm tm;
        assert_non_null(gmtime_r(&secs, &tm));
        const int off = (int)(next_random(&seed) % (2 * 24 * 60 - 1)) - (24 * 60 - 1);
        /* Write the same instant in local time at that offset. */
        const time_t local = secs + (time_t)off * 60;
        struct tm lt;
        assert_non_null(gmtime_r(&local, &lt));
        char text[64];
        const int aoff = off < 0 ? -off : off;
        snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%07u%c%02d:%02d",
                 lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec,
                 (unsigned)(i * 7919 % 10000000), off < 0 ? '-' : '+', aoff / 60, aoff % 60);
        corral_time t = 0;
        if (parse(text, &t) != 0) {
            fail_msg("rejected \"%s\"", text);
        }
        const long long want = (long long)timegm(&tm) * TPS + (i * 7919 % 10000000);
        if (t != want) {
            fail_msg("\"%s\": %lld, want %lld", text, (long long)t, want);
        }
    }
}

static void test_days_from_civil(void **state)
{
    (void)state;
    assert_int_equal(corral_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(corral_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(corral_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(corral_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(corral_days_from_civil(9999, 12, 31), 2932896);
    /* Every day of 0001..9999: consecutive dates are consecutive numbers, and the parser (its
     * Defender form and its general path) counts the days the same way. */
    long long expect = -719162;
    char buf[CORRAL_TIME_TEXT];
    char text[] = "YYYY-MM-DDT00:00:00.0000000Z";
    for (long long y = 1; y <= 9999; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            unsigned n = dim[m - 1];
            if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
                n = 29;
            }
            for (unsigned d = 1; d <= n; d++) {
                const long long got = corral_days_from_civil(y, m, d);
                if (got != expect) {
                    fail_msg("%04lld-%02u-%02u: %lld, want %lld", y, m, d, got, expect);
                }
                const unsigned fields[] = {(unsigned)y / 100, (unsigned)y % 100, m, d};
                for (int k = 0; k < 4; k++) {
                    char *at = text + (k < 2 ? 2 * k : 3 * k - 1);
                    at[0] = (char)('0' + fields[k] / 10);
                    at[1] = (char)('0' + fields[k] % 10);
                }
                corral_time full = 0;
                corral_time general = 0;
                if (corral_time_parse(text, 28, &full) != 0 || full != expect * TPD ||
                    corral_time_parse(text, 19, &general) != 0 || general != expect * TPD) {
                    fail_msg("%.28s: %lld and %lld, want %lld", text, (long long)full,
                             (long long)general, expect * TPD);
                }
                expect++;
            }
        }
        /* And the inverse (through format) agrees on 1 January of each year. */
        corral_time_format(corral_days_from_civil(y, 1, 1) * TPD, buf);
        char want[16];
        snprintf(want, sizeof want, "%04lld-01-01", y);
        assert_memory_equal(buf, want, 10);
    }
    assert_int_equal(expect, 2932897);
}

static void test_ordering(void **state)
{
    (void)state;
    /* Increasing instants written in every accepted style. */
    static const char *const texts[] = {
        "0001-01-01T00:00:00Z",         "0001-01-01T00:00:00.0000001Z",
        "1899-12-31T23:59:59.999Z",     "1969-12-31T23:59:59.9999999",
        "1970-01-01 00:00:00z",         "1970-01-01t00:00:00.0000001+00:00",
        "2019-05-07T13:51:45.0045913Z", "2019-05-07T15:51:45.0045914+02:00",
        "2019-05-07T13:51:45,0046Z",    "2020-02-21T23:00:00-01:00",
        "2020-02-22T00:00:00.0000001Z", "2020-02-22T05:30:00.0000002+0530",
        "2023-05-11T13:15:45.0170422Z", "2023-05-11T13:17:09.0170422Z",
        "2023-05-11T13:17:49.1333596Z", "9999-12-31T23:59:59.9999999Z",
    };
    const size_t n = sizeof texts / sizeof *texts;
    char prev_text[CORRAL_TIME_TEXT] = "";
    corral_time prev = 0;
    for (size_t i = 0; i < n; i++) {
        char text[CORRAL_TIME_TEXT];
        const corral_time t = must(texts[i]);
        corral_time_format(t, text);
        if (i > 0) {
            if (!(prev < t)) {
                fail_msg("\"%s\" is not after \"%s\"", texts[i], texts[i - 1]);
            }
            /* Formatted text sorts as the instants do. */
            assert_true(strcmp(prev_text, text) < 0);
        }
        prev = t;
        memcpy(prev_text, text, sizeof text);
    }
}

/*
 * The 28-byte form Defender writes ("2020-07-20T18:21:53.6158361Z") has a
 * fast path of its own; the same text with "+00:00" in place of "Z" takes
 * the general one and names the same instant. Both must agree on every
 * variation: valid dates, wrong digits and separators, out-of-range fields,
 * leap days and leap seconds.
 */
static void test_fast_form_agrees(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "2020-07-20T18:21:53.6158361Z", "0001-01-01T00:00:00.0000000Z",
        "9999-12-31T23:59:59.9999999Z", "2024-02-29T12:00:00.5000000Z",
        "2023-02-29T12:00:00.5000000Z", "2000-02-29T00:00:00.0000001Z",
        "1900-02-29T00:00:00.0000001Z", "2016-12-31T23:59:60.1234567Z",
        "2020-13-01T00:00:00.0000000Z", "2020-00-10T00:00:00.0000000Z",
        "2020-04-31T00:00:00.0000000Z", "2020-01-01T24:00:00.0000000Z",
        "2020-01-01T23:60:00.0000000Z", "0000-01-01T00:00:00.0000000Z",
    };
    static const char noise[] = "0123456789:-.,TtZz +/\x7f\xc3";
    uint64_t seed = 1;
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        for (int m = 0; m < 20000; m++) {
            char fast[29];
            char general[34];
            memcpy(fast, seeds[i], 28);
            if (m > 0) {
                /* One to three bytes changed, anywhere but the 'Z'. */
                int changes = 1 + (int)((seed >> 40) % 3);
                for (int c = 0; c < changes; c++) {
                    seed = seed * 6364136223846793005u + 1442695040888963407u;
                    size_t at = (size_t)((seed >> 33) % 27);
                    fast[at] = noise[(seed >> 20) % (sizeof noise - 1)];
                }
            }
            memcpy(general, fast, 27);
            memcpy(general + 27, "+00:00", 6);
            corral_time a = 111;
            corral_time b = 111;
            int ra = corral_time_parse(fast, 28, &a);
            int rb = corral_time_parse(general, 33, &b);
            if (ra != rb || a != b) {
                fail_msg("\"%.28s\": %d %lld, with +00:00: %d %lld", fast, ra, (long long)a, rb,
                         (long long)b);
            }
        }
    }
}

/* A time as JSON: its text in quotes; null for no time. */
static void test_json(void **state)
{
    (void)state;
    struct corral_strbuf sb;
    corral_strbuf_init(&sb);
    corral_time t;
    assert_int_equal(corral_time_parse("2025-01-06T00:00:16.5978784Z", 28, &t), 0);
    corral_time_json(&sb, t);
    CORRAL_STRBUF_LIT(&sb, ",");
    corral_time_json(&sb, CORRAL_TIME_NONE);
    assert_int_equal(corral_strbuf_status(&sb), CORRAL_OK);
    assert_string_equal(sb.data, "\"2025-01-06T00:00:16.5978784Z\",null");
    corral_strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_separators_and_zones),
        cmocka_unit_test(test_calendar_ranges),
        cmocka_unit_test(test_leap_second),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_matches_timegm),
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_fast_form_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
