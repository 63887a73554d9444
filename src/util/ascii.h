/*
 * ascii.h - ASCII text eight bytes at a time, for the hot paths.
 *
 * Every alert's keys, resource ids and types are compared and lower-cased
 * case-insensitively; a byte at a time that is most of the decoder's work.
 * These helpers treat a 64-bit word as eight bytes (SWAR: SIMD within a
 * register) with the same rules as the byte-by-byte code they replace: only
 * 'A'..'Z' fold to lower case, every other byte (UTF-8 ones included) is
 * kept. Words are loaded with memcpy, so any alignment is fine; the caller
 * guarantees that the eight bytes are readable. Little-endian only (the
 * lowest-addressed byte is the least significant), which the compile-time
 * check below enforces.
 *
 * Where SSE2 is there (every x86-64), CORRAL_ASCII_SSE2 is 1 and the longest
 * texts go sixteen bytes at a time; defining CORRAL_ASCII_NO_SSE2 before
 * including this header forces the portable code everywhere, which is how
 * test_entities_portable.c runs the entity tests on the fallback.
 */
#ifndef CORRAL_UTIL_ASCII_H
#define CORRAL_UTIL_ASCII_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "util/ascii.h reads text eight bytes at a time, least significant byte first"
#endif

#if defined(__SSE2__) && !defined(CORRAL_ASCII_NO_SSE2)
#include <emmintrin.h>
#define CORRAL_ASCII_SSE2 1
#else
#define CORRAL_ASCII_SSE2 0
#endif

#define CORRAL_ASCII_ONES UINT64_C(0x0101010101010101)
#define CORRAL_ASCII_HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t corral_ascii_load64(const void *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* w with its ASCII capitals lower-cased; every other byte unchanged. */
static inline uint64_t corral_ascii_lower8(uint64_t w)
{
    const uint64_t low7 = w & ~CORRAL_ASCII_HIGHS;
    const uint64_t at_least_a = low7 + CORRAL_ASCII_ONES * (0x80 - 'A');  /* high bit: >= 'A' */
    const uint64_t above_z = low7 + CORRAL_ASCII_ONES * (0x80 - 'Z' - 1); /* high bit: > 'Z' */
    const uint64_t upper = at_least_a & ~above_z & ~w & CORRAL_ASCII_HIGHS;
    return w | (upper >> 2); /* 0x80 >> 2 is the case bit */
}

/* The high bit of each byte of w that is zero, and of no other (exact, no borrow). */
static inline uint64_t corral_ascii_zero_bytes(uint64_t w)
{
    const uint64_t low7 = w & ~CORRAL_ASCII_HIGHS;
    return ~((low7 + ~CORRAL_ASCII_HIGHS) | w | ~CORRAL_ASCII_HIGHS);
}

/* The high bit of each byte of w that equals c. */
static inline uint64_t corral_ascii_bytes_equal(uint64_t w, unsigned char c)
{
    return corral_ascii_zero_bytes(w ^ (CORRAL_ASCII_ONES * c));
}

/* The high bit of each byte of w that is a control character (below 0x20, or DEL). */
static inline uint64_t corral_ascii_control_bytes(uint64_t w)
{
    const uint64_t below_space =
        ~(((w & ~CORRAL_ASCII_HIGHS) + CORRAL_ASCII_ONES * (0x80 - 0x20)) | w) & CORRAL_ASCII_HIGHS;
    return below_space | corral_ascii_bytes_equal(w, 0x7f);
}

static inline unsigned char corral_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* a[0..n) equals b[0..n), ASCII case-insensitively. */
static inline int corral_ascii_equal_nocase(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            const uint64_t x = corral_ascii_load64(a + i);
            const uint64_t y = corral_ascii_load64(b + i);
            if (x != y && corral_ascii_lower8(x) != corral_ascii_lower8(y)) {
                return 0;
            }
        }
        if (i < n) { /* the last eight bytes again, overlapping */
            const uint64_t x = corral_ascii_load64(a + n - 8);
            const uint64_t y = corral_ascii_load64(b + n - 8);
            return x == y || corral_ascii_lower8(x) == corral_ascii_lower8(y);
        }
        return 1;
    }
    for (; i < n; i++) {
        if (corral_ascii_lower((unsigned char)a[i]) != corral_ascii_lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

/* a[0..an) equals b[0..bn), ASCII letters compared case-insensitively. */
static inline int corral_ascii_same_nocase(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && corral_ascii_equal_nocase(a, b, an);
}

/* dst[0..n) = src[0..n) lower-cased; the two may not overlap. */
static inline void corral_ascii_copy_lower(char *dst, const char *src, size_t n)
{
#if CORRAL_ASCII_SSE2
    if (n >= 16) {
        const __m128i before_a = _mm_set1_epi8('A' - 1);
        const __m128i after_z = _mm_set1_epi8('Z' + 1);
        const __m128i case_bit = _mm_set1_epi8(0x20);
        size_t i = 0;
        for (;;) {
            if (i + 16 > n) {
                i = n - 16; /* the last sixteen bytes again, overlapping: the same values */
            }
            const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
            /* Signed compares: bytes from 0x80 are negative, so never capitals. */
            const __m128i upper =
                _mm_and_si128(_mm_cmpgt_epi8(v, before_a), _mm_cmpgt_epi8(after_z, v));
            _mm_storeu_si128((__m128i *)(void *)(dst + i),
                             _mm_or_si128(v, _mm_and_si128(upper, case_bit)));
            i += 16;
            if (i >= n) {
                return;
            }
        }
    }
#endif
    if (n >= 8) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            const uint64_t w = corral_ascii_lower8(corral_ascii_load64(src + i));
            memcpy(dst + i, &w, sizeof w);
        }
        if (i < n) { /* the last eight bytes again, overlapping: the same values */
            const uint64_t w = corral_ascii_lower8(corral_ascii_load64(src + n - 8));
            memcpy(dst + n - 8, &w, sizeof w);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        dst[i] = (char)corral_ascii_lower((unsigned char)src[i]);
    }
}

#endif
