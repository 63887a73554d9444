/*
 * json.cpp - the simdjson adapter: the only C++ in corral.
 *
 * simdjson (Debian's libsimdjson-dev) validates and parses at over a gigabyte
 * a second. This file turns its tape into the flat node array of json.h in one
 * forward pass, so that the rest of corral stays C and never touches a C++
 * type; the walk costs a fraction of the parse, where the dom::element API
 * (one iterator object and one vector growth check per node) cost as much
 * as simdjson's second stage.
 * Errors are placed by corral_json_locate_error(), a slow exact scan that only
 * runs on the rare bad record, and reported as the first fault it finds.
 */
#include "ingest/json.h"

#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

using namespace simdjson;

/* flatten() reads the DOM tape as simdjson 1.0 and later write it (test_json.c checks it). */
static_assert(SIMDJSON_VERSION_MAJOR >= 1, "the tape walk needs simdjson 1.0 or later");

/*
 * simdjson sizes its string buffer for the worst case of the largest document allowed so far
 * plus SIMDJSON_PADDING (its stores run past a string's end), so every string it writes is
 * followed by at least that many bytes of the buffer: json.h promises CORRAL_JSON_STRING_SLACK.
 */
static_assert(SIMDJSON_PADDING >= CORRAL_JSON_STRING_SLACK, "string slack beyond simdjson's");

/* A container being filled while the tape is walked: its node and members so far. */
struct open_container {
    uint32_t node;
    uint32_t count;
};

struct corral_json_parser {
    dom::parser dom;
    corral_json_node *nodes = nullptr; /* node_cap nodes (malloc) */
    size_t node_cap = 0;
    open_container *stack = nullptr; /* max_open entries and a spare (malloc) */
    size_t max_open = 0;
    corral_json_member *dollar = nullptr; /* members of the last document whose key starts '$' */
    uint32_t n_dollar = 0;
    size_t dollar_cap = 0;
    size_t max_size;
    unsigned max_depth;

    /* simdjson's own capacity never goes below dom::MINIMAL_DOCUMENT_CAPACITY (it asks for that
     * much even for a 1-byte document); max_size is enforced before simdjson sees the input. */
    corral_json_parser(size_t size, unsigned depth)
        : dom(size < dom::MINIMAL_DOCUMENT_CAPACITY ? dom::MINIMAL_DOCUMENT_CAPACITY : size),
          max_size(size), max_depth(depth)
    {
    }
    ~corral_json_parser()
    {
        std::free(nodes);
        std::free(stack);
        std::free(dollar);
    }
    corral_json_parser(const corral_json_parser &) = delete;
    corral_json_parser &operator=(const corral_json_parser &) = delete;
};

extern "C" corral_json_parser *corral_json_parser_new(size_t max_size, unsigned max_depth)
{
    if (max_size == 0 || max_depth == 0 || max_size > UINT32_MAX) {
        return nullptr;
    }
    corral_json_parser *p = new (std::nothrow) corral_json_parser(max_size, max_depth);
    if (p == nullptr) {
        return nullptr;
    }
    /*
     * Start small; simdjson grows the buffers up to max_size on demand and keeps the depth.
     * simdjson refuses a non-empty container at its depth limit but takes an empty one there,
     * so it is given one level more than ours, and the tape walk refuses any container (empty
     * or not) past max_depth: exactly max_depth levels, as json.h says.
     */
    size_t initial = max_size < 65536 ? max_size : 65536;
    if (initial < dom::MINIMAL_DOCUMENT_CAPACITY) {
        initial = dom::MINIMAL_DOCUMENT_CAPACITY;
    }
    if (p->dom.allocate(initial, (size_t)max_depth + 1) != SUCCESS) {
        delete p;
        return nullptr;
    }
    /* The containers around the innermost open one: at most max_depth - 1. */
    p->max_open = (size_t)max_depth - 1;
    p->stack = static_cast<open_container *>(std::malloc(max_depth * sizeof *p->stack));
    if (p->stack == nullptr) {
        delete p;
        return nullptr;
    }
    return p;
}

extern "C" void corral_json_parser_free(corral_json_parser *parser)
{
    delete parser;
}

extern "C" const struct corral_json_member *
corral_json_dollar_members(const corral_json_parser *parser, uint32_t *count)
{
    *count = parser != nullptr ? parser->n_dollar : 0;
    return parser != nullptr ? parser->dollar : nullptr;
}

/* Note a member whose key starts with '$'; false when out of memory. */
static bool note_dollar(corral_json_parser *p, uint32_t object, uint32_t key)
{
    if (p->n_dollar == p->dollar_cap) {
        size_t cap = p->dollar_cap != 0 ? p->dollar_cap * 2 : 64;
        void *grown = std::realloc(p->dollar, cap * sizeof(corral_json_member));
        if (grown == nullptr) {
            return false;
        }
        p->dollar = static_cast<corral_json_member *>(grown);
        p->dollar_cap = cap;
    }
    p->dollar[p->n_dollar++] = corral_json_member{object, key};
    return true;
}

extern "C" size_t corral_json_padding(void)
{
    return SIMDJSON_PADDING;
}

/*
 * Turn simdjson's tape into the node array, in one forward pass and without
 * recursion. The tape (simdjson's doc/tape.md, stable since 0.x) is the
 * document in order, one 64-bit word per value with its type in the top
 * byte: '{' / '[' open a container, '}' / ']' close it, '"' points into the
 * string buffer (a 32-bit little-endian length, then the bytes), 'l' 'u' 'd'
 * are followed by a word holding the number, 't' 'f' 'n' stand alone, and
 * the document sits between two 'r' words, the first holding the index of
 * the last. Every node takes at least one tape word, so the tape's length
 * bounds the node count and the array is sized once per document: no growth
 * check per node, no element objects. Counts are taken here rather than from
 * the tape, where they saturate at 2^24 - 1.
 */
static const uint64_t TAPE_PAYLOAD = (UINT64_C(1) << 56) - 1;

/* The string at a tape word: its bytes and length, as simdjson wrote them. */
static inline const uint8_t *tape_string(const uint8_t *strings, uint64_t word, uint32_t *len)
{
    const uint8_t *at = strings + (word & TAPE_PAYLOAD);
    std::memcpy(len, at, sizeof *len); /* little-endian on every target simdjson supports */
    return at + sizeof *len;           /* followed by a NUL, so s[0] is readable when len is 0 */
}

static inline void string_node(corral_json_node *node, const uint8_t *s, uint32_t len,
                               uint32_t next)
{
    node->type = CORRAL_JSON_STRING;
    node->len = len;
    node->next = next;
    node->v.s = reinterpret_cast<const char *>(s);
}

static corral_err flatten(corral_json_parser *p, uint32_t *count)
{
    const uint64_t *tape = p->dom.doc.tape.get();
    const uint8_t *strings = p->dom.doc.string_buf.get();
    /* tape[0] is the root word: its payload is the index of the closing root word. */
    const uint32_t end = uint32_t(tape[0] & TAPE_PAYLOAD);
    if (end > p->node_cap) {
        size_t cap = p->node_cap != 0 ? p->node_cap : 1024;
        while (cap < end) {
            cap *= 2;
        }
        void *grown = std::realloc(p->nodes, cap * sizeof(corral_json_node));
        if (grown == nullptr) {
            return CORRAL_ERR_NOMEM;
        }
        p->nodes = static_cast<corral_json_node *>(grown);
        p->node_cap = cap;
    }
    corral_json_node *out = p->nodes;
    open_container *stack = p->stack; /* the containers around the innermost one */
    const size_t max_open = p->max_open;
    const uint32_t none = UINT32_MAX;
    size_t depth = 0;
    uint32_t open = none; /* the innermost open container, in registers with its count */
    uint32_t members = 0;
    bool in_object = false;
    uint32_t n = 0;
    uint32_t i = 1;
    uint32_t len;
    p->n_dollar = 0;
    for (;;) {
        /* A value starts at tape[i]. */
        const uint64_t w = tape[i];
        const uint8_t t = uint8_t(w >> 56);
        corral_json_node *node = &out[n];
        if (t == '"') {
            const uint8_t *str = tape_string(strings, w, &len);
            string_node(node, str, len, n + 1);
            n++;
            i++;
        } else if (t == '{' || t == '[') {
            if (open != none) {
                if (depth == max_open) {
                    return CORRAL_ERR_DEPTH; /* one level past max_depth: placed by the locator */
                }
                stack[depth].node = open;
                stack[depth].count = members;
                depth++;
            }
            in_object = t == '{';
            node->type = in_object ? CORRAL_JSON_OBJECT : CORRAL_JSON_ARRAY;
            node->v.u = 0;
            open = n;
            members = 0;
            n++;
            i++;
            goto close_or_next;
        } else {
            node->len = 0;
            node->next = n + 1;
            switch (t) {
            case 'l':
                node->type = CORRAL_JSON_INT;
                node->v.i = int64_t(tape[i + 1]);
                i += 2;
                break;
            case 'u':
                node->type = CORRAL_JSON_UINT;
                node->v.u = tape[i + 1];
                i += 2;
                break;
            case 'd':
                node->type = CORRAL_JSON_DOUBLE;
                std::memcpy(&node->v.d, &tape[i + 1], sizeof node->v.d);
                i += 2;
                break;
            case 't':
                node->type = CORRAL_JSON_TRUE;
                node->v.u = 0;
                i++;
                break;
            case 'f':
                node->type = CORRAL_JSON_FALSE;
                node->v.u = 0;
                i++;
                break;
            case 'n':
                node->type = CORRAL_JSON_NULL;
                node->v.u = 0;
                i++;
                break;
            default:
                return CORRAL_ERR_JSON; /* not a tape simdjson wrote */
            }
            n++;
        }
        /* A value ended: it counts in its container. */
        if (open == none) {
            break;
        }
        members++;
    close_or_next:
        /* Close every container that ends here; each closed one is a value of its parent. */
        for (;;) {
            const uint8_t c = uint8_t(tape[i] >> 56);
            if (c != '}' && c != ']') {
                break;
            }
            out[open].len = members;
            out[open].next = n;
            i++;
            if (depth == 0) {
                goto done;
            }
            depth--;
            open = stack[depth].node;
            members = stack[depth].count + 1;
            in_object = out[open].type == CORRAL_JSON_OBJECT;
        }
        /* In an object, a key comes before the value. */
        if (in_object) {
            const uint8_t *key = tape_string(strings, tape[i], &len);
            string_node(&out[n], key, len, n + 1);
            if (key[0] == '$' && !note_dollar(p, open, n)) {
                return CORRAL_ERR_NOMEM;
            }
            n++;
            i++;
        }
    }
done:
    *count = n;
    return CORRAL_OK;
}

static corral_err map_error(error_code code)
{
    switch (code) {
    case UTF8_ERROR:
        return CORRAL_ERR_UTF8;
    case DEPTH_ERROR:
        return CORRAL_ERR_DEPTH;
    case CAPACITY:
        return CORRAL_ERR_TOO_LARGE;
    case MEMALLOC:
        return CORRAL_ERR_NOMEM;
    default:
        return CORRAL_ERR_JSON;
    }
}

/*
 * The diagnostic for a document refused with err (and simdjson's message): the
 * locator's first fault in reading order, with the code of that fault, so that
 * code, position and reason always describe the same thing. simdjson may have
 * stopped at another fault (it checks the UTF-8 of the whole text before the
 * syntax), but the first one is the one to fix first. Out of memory and
 * capacity are not faults of the text: they keep simdjson's word, unplaced.
 */
static corral_err refuse(const corral_json_parser *parser, const char *buf, size_t len,
                         corral_err err, const char *message, struct corral_diag *diag)
{
    if (err == CORRAL_ERR_NOMEM || err == CORRAL_ERR_TOO_LARGE) {
        return corral_diag_set(diag, err, 0, 0, "%s", message);
    }
    size_t line = 0, col = 0;
    const char *reason = nullptr;
    corral_err kind = corral_json_locate_error(buf, len, parser->max_depth, &line, &col, &reason);
    if (kind == CORRAL_OK) {
        return corral_diag_set(diag, err, 0, 0, "%s", message); /* nothing the locator can place */
    }
    return corral_diag_set(diag, kind, line, col, "%s", reason);
}

extern "C" corral_err corral_json_parse(corral_json_parser *parser, const char *buf, size_t len,
                                        int padded, struct corral_json_doc *doc,
                                        struct corral_diag *diag)
{
    parser->n_dollar = 0;
    if (len > parser->max_size) {
        return corral_diag_set(diag, CORRAL_ERR_TOO_LARGE, 1, 1,
                               "document of %zu bytes is over the limit of %zu", len,
                               parser->max_size);
    }
    dom::element root;
    error_code code = parser->dom.parse(buf, len, padded == 0).get(root);
    if (code != SUCCESS) {
        return refuse(parser, buf, len, map_error(code), error_message(code), diag);
    }
    (void)root; /* read through the tape, which root belongs to */
    uint32_t count = 0;
    corral_err err = flatten(parser, &count);
    if (err != CORRAL_OK) {
        parser->n_dollar = 0;
        return refuse(parser, buf, len, err,
                      err == CORRAL_ERR_NOMEM    ? "out of memory"
                      : err == CORRAL_ERR_DEPTH ? "nesting deeper than the depth limit"
                                                : "unexpected JSON tape",
                      diag);
    }
    doc->nodes = parser->nodes;
    doc->count = count;
    return CORRAL_OK;
}
