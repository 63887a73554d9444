/*
 * json.cpp - the simdjson adapter: the only C++ in corral.
 *
 * simdjson (Debian's libsimdjson-dev) validates and parses at over a gigabyte
 * a second. This file turns its DOM into the flat node array of json.h in one
 * walk, so that the rest of corral stays C and never touches a C++ type.
 * Errors are placed by corral_json_locate_error(), a slow exact scan that only
 * runs on the rare bad record.
 */
#include "ingest/json.h"

#include <simdjson.h>

#include <cstdlib>
#include <new>
#include <vector>

using namespace simdjson;

struct corral_json_parser {
    dom::parser dom;
    std::vector<corral_json_node> nodes;
    size_t max_size;
    unsigned max_depth;

    corral_json_parser(size_t size, unsigned depth) : dom(size), max_size(size), max_depth(depth)
    {
    }
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
    /* Start small; simdjson grows the buffers up to max_size on demand and keeps max_depth. */
    size_t initial = max_size < 65536 ? max_size : 65536;
    if (p->dom.allocate(initial, max_depth) != SUCCESS) {
        delete p;
        return nullptr;
    }
    return p;
}

extern "C" void corral_json_parser_free(corral_json_parser *parser)
{
    delete parser;
}

extern "C" size_t corral_json_padding(void)
{
    return SIMDJSON_PADDING;
}

/* Append the subtree of e in document order; throws std::bad_alloc when out of memory. */
static void flatten(std::vector<corral_json_node> &out, dom::element e)
{
    size_t at = out.size();
    out.emplace_back();
    corral_json_node n{};
    switch (e.type()) {
    case dom::element_type::OBJECT: {
        n.type = CORRAL_JSON_OBJECT;
        uint32_t count = 0;
        for (dom::key_value_pair kv : dom::object(e)) {
            corral_json_node k{};
            k.type = CORRAL_JSON_STRING;
            k.len = (uint32_t)kv.key.size();
            k.v.s = kv.key.data();
            k.next = (uint32_t)out.size() + 1;
            out.push_back(k);
            flatten(out, kv.value);
            count++;
        }
        n.len = count;
        break;
    }
    case dom::element_type::ARRAY: {
        n.type = CORRAL_JSON_ARRAY;
        uint32_t count = 0;
        for (dom::element child : dom::array(e)) {
            flatten(out, child);
            count++;
        }
        n.len = count;
        break;
    }
    case dom::element_type::STRING: {
        std::string_view sv = std::string_view(e);
        n.type = CORRAL_JSON_STRING;
        n.len = (uint32_t)sv.size();
        n.v.s = sv.data();
        break;
    }
    case dom::element_type::INT64:
        n.type = CORRAL_JSON_INT;
        n.v.i = int64_t(e);
        break;
    case dom::element_type::UINT64:
        n.type = CORRAL_JSON_UINT;
        n.v.u = uint64_t(e);
        break;
    case dom::element_type::DOUBLE:
        n.type = CORRAL_JSON_DOUBLE;
        n.v.d = double(e);
        break;
    case dom::element_type::BOOL:
        n.type = bool(e) ? CORRAL_JSON_TRUE : CORRAL_JSON_FALSE;
        break;
    case dom::element_type::NULL_VALUE:
        n.type = CORRAL_JSON_NULL;
        break;
    }
    n.next = (uint32_t)out.size();
    out[at] = n;
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

extern "C" corral_err corral_json_parse(corral_json_parser *parser, const char *buf, size_t len,
                                        int padded, struct corral_json_doc *doc,
                                        struct corral_diag *diag)
{
    if (len > parser->max_size) {
        return corral_diag_set(diag, CORRAL_ERR_TOO_LARGE, 1, 1,
                               "document of %zu bytes is over the limit of %zu", len,
                               parser->max_size);
    }
    dom::element root;
    error_code code = parser->dom.parse(buf, len, padded == 0).get(root);
    if (code != SUCCESS) {
        corral_err err = map_error(code);
        size_t line = 0, col = 0;
        const char *reason = nullptr;
        if (err == CORRAL_ERR_NOMEM ||
            !corral_json_locate_error(buf, len, parser->max_depth, &line, &col, &reason)) {
            return corral_diag_set(diag, err, 0, 0, "%s", error_message(code));
        }
        if (err == CORRAL_ERR_JSON && reason != nullptr) {
            /* The exact scanner knows better what kind of fault this is. */
            return corral_diag_set(diag, err, line, col, "%s", reason);
        }
        return corral_diag_set(diag, err, line, col, "%s", reason ? reason : error_message(code));
    }
    try {
        parser->nodes.clear();
        flatten(parser->nodes, root);
    } catch (const std::bad_alloc &) {
        return corral_diag_set(diag, CORRAL_ERR_NOMEM, 0, 0, "out of memory");
    }
    doc->nodes = parser->nodes.data();
    doc->count = (uint32_t)parser->nodes.size();
    return CORRAL_OK;
}
