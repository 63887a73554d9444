/*
 * fuzz_reader.c - libFuzzer target: framing arbitrary bytes into records.
 *
 * The reader is corral's robustness boundary, so every input is read to its
 * end from memory twice, with tight limits (records of 64 bytes, documents of
 * 1 KiB) and with roomy ones. What must hold: no crash, no leak, no endless
 * loop (the number of results is bounded by the input size); every record is
 * non-empty, within the record limit, padded (its padding is read here, so
 * ASan sees any shortfall), and is a copy of bytes of the input; positions are
 * 1-based; the offset only moves forward and ends at the input's size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/json.h"
#include "ingest/reader.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const char *buf, size_t size, const struct corral_reader_limits *limits)
{
    corral_reader *r = corral_reader_from_memory(buf, size, limits);
    if (r == NULL) {
        return;
    }
    size_t pad = corral_json_padding();
    size_t results = 0;
    size_t offset = 0;
    for (;;) {
        struct corral_record rec;
        struct corral_diag diag;
        memset(&diag, 0, sizeof(diag));
        int rc = corral_reader_next(r, &rec, &diag);
        CHECK(rc >= -1 && rc <= 1);
        if (rc == 0) {
            break;
        }
        results++;
        CHECK(results <= 2 * size + 2);
        size_t now = corral_reader_offset(r);
        CHECK(now >= offset && now <= size);
        offset = now;
        if (rc < 0) {
            CHECK(diag.code != CORRAL_OK);
            CHECK(strlen(diag.msg) < sizeof(diag.msg));
            continue;
        }
        CHECK(rec.len > 0 && rec.len <= limits->max_record && rec.len <= size);
        CHECK(rec.line >= 1 && rec.col >= 1);
        CHECK(rec.padded);
        volatile unsigned char x = 0;
        for (size_t i = 0; i < rec.len + pad; i++) {
            x ^= (unsigned char)rec.buf[i];
        }
        (void)x;
        /* The record's bytes are the input's, where the input has them. */
        if (rec.buf >= buf && rec.buf < buf + size) {
            CHECK(rec.buf + rec.len <= buf + size);
        } else {
            CHECK(memmem(buf, size, rec.buf, rec.len) != NULL);
        }
    }
    CHECK(corral_reader_offset(r) == size);
    struct corral_record rec;
    CHECK(corral_reader_next(r, &rec, NULL) == 0);
    corral_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees a read past the end of the caller's buffer. */
    char *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    static const struct corral_reader_limits tight = {64, 1024};
    static const struct corral_reader_limits roomy = {1u << 20, 1u << 24};
    read_all(buf, size, &tight);
    read_all(buf, size, &roomy);
    free(buf);
    return 0;
}
