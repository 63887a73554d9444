/*
 * fuzz_json.c - libFuzzer target: the simdjson adapter and the exact error locator.
 *
 * Every input is parsed padded and unpadded, at two depth limits, by a parser
 * whose size limit is the input's own (down to 1 byte). What must hold: no
 * crash, no leak, both parses agree; the parser and corral_json_locate_error()
 * accept the same documents (the locator must never be stricter than the
 * parser, or a good record would be "located" as bad, nor laxer, or a bad one
 * would go unplaced); a refused document is reported with the locator's kind
 * of fault, line and column, placed inside the input; and the node array obeys
 * json.h (every subtree's `next` lands on its sibling, member lookup stays in
 * bounds).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/json.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk the value at i; returns the index after it, checking json.h's layout rules. */
static uint32_t check_value(const struct corral_json_doc *doc, uint32_t i)
{
    /* Recursive: the depth is bounded by the parser's limit (64). */
    CHECK(i < doc->count);
    const struct corral_json_node *n = &doc->nodes[i];
    CHECK(n->next > i && n->next <= doc->count);
    uint32_t at = i + 1;
    if (n->type == CORRAL_JSON_ARRAY) {
        for (uint32_t e = 0; e < n->len; e++) {
            at = check_value(doc, at);
        }
    } else if (n->type == CORRAL_JSON_OBJECT) {
        for (uint32_t m = 0; m < n->len; m++) {
            CHECK(at < doc->count && doc->nodes[at].type == CORRAL_JSON_STRING);
            CHECK(doc->nodes[at].next == at + 1);
            at = check_value(doc, at + 1);
        }
        /* Every member found by its own (lower-cased, when ASCII-only and short) key. */
        uint32_t k = i + 1;
        for (uint32_t m = 0; m < n->len; m++) {
            const struct corral_json_node *key = &doc->nodes[k];
            char lower[32];
            int usable = key->len < sizeof(lower);
            for (uint32_t c = 0; usable && c < key->len; c++) {
                unsigned char ch = (unsigned char)key->v.s[c];
                if (ch == 0 || ch >= 0x80 || (ch >= 'A' && ch <= 'Z')) {
                    usable = 0;
                }
                lower[c] = (char)ch;
            }
            if (usable) {
                lower[key->len] = '\0';
                CHECK(corral_json_key_is(key, lower));
                uint32_t v = corral_json_get(doc, i, lower);
                CHECK(v > i && v < n->next);
                CHECK(corral_json_key_is(&doc->nodes[v - 1], lower));
            }
            k = doc->nodes[k + 1].next;
        }
    } else {
        CHECK(n->type <= CORRAL_JSON_STRING);
    }
    CHECK(at == n->next);
    return at;
}

static void check_located(const char *buf, size_t len, unsigned depth)
{
    size_t line = 0;
    size_t col = 0;
    const char *reason = NULL;
    if (!corral_json_locate_error(buf, len, depth, &line, &col, &reason)) {
        return;
    }
    CHECK(reason != NULL && reason[0] != '\0');
    CHECK(line >= 1 && col >= 1);
    /* The position is inside the input, or just past its end. */
    size_t at = 0;
    for (size_t l = 1; l < line; l++) {
        const char *nl = memchr(buf + at, '\n', len - at);
        CHECK(nl != NULL);
        at = (size_t)(nl - buf) + 1;
    }
    CHECK(at + col - 1 <= len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned depths[] = {64, 5};
    size_t pad = corral_json_padding();
    char *buf = malloc(size + pad);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    memset(buf + size, 0, pad);
    for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
        corral_json_parser *p = corral_json_parser_new(size > 0 ? size : 1, depths[d]);
        if (p == NULL) {
            break;
        }
        struct corral_json_doc doc;
        struct corral_diag diag;
        memset(&diag, 0, sizeof(diag));
        corral_err padded = corral_json_parse(p, buf, size, 1, &doc, &diag);
        size_t line = 0;
        size_t col = 0;
        const char *reason = NULL;
        corral_err located = corral_json_locate_error(buf, size, depths[d], &line, &col, &reason);
        if (padded == CORRAL_OK) {
            CHECK(!located);
            CHECK(doc.count >= 1);
            CHECK(check_value(&doc, 0) == doc.count);
        } else {
            CHECK(padded == CORRAL_ERR_JSON || padded == CORRAL_ERR_UTF8 ||
                  padded == CORRAL_ERR_DEPTH || padded == CORRAL_ERR_NOMEM);
            CHECK(diag.code == padded);
            if (padded != CORRAL_ERR_NOMEM) {
                CHECK(located == padded);
                CHECK(diag.line == line && diag.col == col);
            }
            check_located(buf, size, depths[d]);
        }
        corral_err unpadded = corral_json_parse(p, (const char *)data, size, 0, &doc, &diag);
        CHECK(unpadded == padded);
        corral_json_parser_free(p);
    }
    free(buf);
    return 0;
}
