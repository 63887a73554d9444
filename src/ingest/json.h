/*
 * json.h - the C face of corral's JSON parser.
 *
 * Parsing is the hot path of corral: a user replays months of exports through
 * it. The work is done by simdjson (C++) behind this one small C interface, in
 * json.cpp; the rest of corral is C and sees a parsed record as a flat array
 * of nodes in document order:
 *
 *   - a scalar is one node;
 *   - an array is a node with len = element count, followed by its elements;
 *   - an object is a node with len = member count, followed by key, value,
 *     key, value... where each key is a STRING node;
 *   - every node's `next` is the index just past its whole subtree, so a
 *     value can be skipped in O(1).
 *
 * Strings point into the parser's buffers: they are valid, and NOT
 * NUL-terminated, until the next corral_json_parse() on the same parser.
 * The CORRAL_JSON_STRING_SLACK bytes after a string's last byte are readable
 * (their values unspecified), so that short strings can be compared a word at
 * a time without a branch on their length.
 * Validation is strict: bad UTF-8, trailing garbage, depth over the limit and
 * documents over the size limit are errors.
 */
#ifndef CORRAL_INGEST_JSON_H
#define CORRAL_INGEST_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Readable bytes after every parsed string (see above). */
#define CORRAL_JSON_STRING_SLACK 32u

enum corral_json_type {
    CORRAL_JSON_NULL = 0,
    CORRAL_JSON_FALSE,
    CORRAL_JSON_TRUE,
    CORRAL_JSON_INT,    /* integral number that fits int64: v.i */
    CORRAL_JSON_UINT,   /* integral number above INT64_MAX: v.u */
    CORRAL_JSON_DOUBLE, /* any other number: v.d */
    CORRAL_JSON_STRING, /* v.s, len bytes (may contain NUL) */
    CORRAL_JSON_ARRAY,  /* len elements follow */
    CORRAL_JSON_OBJECT, /* len key/value pairs follow */
};

struct corral_json_node {
    uint8_t type;  /* enum corral_json_type */
    uint32_t len;  /* string bytes, array elements or object members */
    uint32_t next; /* index of the first node after this subtree */
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        double d;
    } v;
};

/* A parsed document: nodes[0] is the root. Borrowed from the parser. */
struct corral_json_doc {
    const struct corral_json_node *nodes;
    uint32_t count;
};

typedef struct corral_json_parser corral_json_parser;

/*
 * A parser for documents of at most max_size bytes (1 .. UINT32_MAX) nested at
 * most max_depth deep (> 0): every array or object counts, empty or not, the
 * outermost as level 1 ("[[1]]" and "[[]]" are 2 deep, a scalar 0). NULL when
 * out of memory or a limit is out of range.
 */
corral_json_parser *corral_json_parser_new(size_t max_size, unsigned max_depth);
void corral_json_parser_free(corral_json_parser *parser); /* NULL is a no-op */

/* A member of an object: the node index of the object and of the member's key. */
struct corral_json_member {
    uint32_t object;
    uint32_t key;
};

/*
 * The members of the document last parsed by parser whose key begins with
 * '$' (Json.NET's "$id", "$ref", "$type"...), in document order; *count of
 * them, 0 before the first parse and after a failed one. Borrowed like the
 * nodes: valid until the next parse on this parser. Lets a caller that
 * resolves references visit these few members instead of every member.
 */
const struct corral_json_member *corral_json_dollar_members(const corral_json_parser *parser,
                                                            uint32_t *count);

/* How many readable bytes must follow the input when parse is told it is padded. */
size_t corral_json_padding(void);

/*
 * Parse buf[0..len). When padded is non-zero, corral_json_padding() bytes after
 * buf + len are readable (their values do not matter) and no copy is made.
 * On success *doc is valid until the next parse on this parser. On failure
 * returns CORRAL_ERR_JSON, _UTF8, _DEPTH, _TOO_LARGE or _NOMEM and fills diag
 * with it: for the first three, the line and column (relative to buf) and the
 * reason of the first fault in the text, the code saying which kind it is
 * (a text with bad UTF-8 after a syntax error is a JSON error at the syntax
 * error); a document over max_size is placed at 1:1; out of memory is not
 * placed (0:0).
 */
corral_err corral_json_parse(corral_json_parser *parser, const char *buf, size_t len, int padded,
                             struct corral_json_doc *doc, struct corral_diag *diag);

/*
 * Find where the text fails to be JSON nested at most max_depth deep (counted
 * as for the parser): a slow, exact, pure-C scan used only to place the
 * diagnostic once the fast parser has said no. Returns the kind of the first
 * fault, CORRAL_ERR_JSON, _UTF8 or _DEPTH, and fills *line, *col (1-based) and
 * a short reason (each may be NULL); CORRAL_OK (0) if the text is in fact
 * valid, or when out of memory past 1024 levels.
 */
corral_err corral_json_locate_error(const char *buf, size_t len, unsigned max_depth, size_t *line,
                                    size_t *col, const char **reason);

/* Case-insensitive ASCII comparison of a node's string with a NUL-terminated lower-case key. */
int corral_json_key_is(const struct corral_json_node *key, const char *lower);

/*
 * Index of the value of member `lower` (lower-case ASCII, matched
 * case-insensitively) of the object at index obj; 0 when absent or when obj is
 * not an object (0 is always the root, never a member value).
 */
uint32_t corral_json_get(const struct corral_json_doc *doc, uint32_t obj, const char *lower);

#ifdef __cplusplus
}
#endif

#endif
