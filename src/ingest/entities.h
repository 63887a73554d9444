/*
 * entities.h - entity keys, normalized as incidents.md "Entities" says.
 *
 * Pure functions over strings: the decoder walks the alert's JSON and hands
 * each entity's fields here; what comes back is the key corral correlates on.
 * Every function writes into an arena-backed corral_entity_set, which keeps
 * the alert's entities distinct and, once finished, sorted by (type, key).
 */
#ifndef CORRAL_INGEST_ENTITIES_H
#define CORRAL_INGEST_ENTITIES_H

#include <stddef.h>
#include <stdint.h>

#include "model/alert.h"
#include "util/arena.h"
#include "util/error.h"

/* A (pointer, length) string; .s may be NULL when .len is 0. */
struct corral_str {
    const char *s;
    size_t len;
};

struct corral_entity_set {
    corral_arena *arena; /* borrowed: keys and the array live here */
    struct corral_entity *items;
    uint32_t n, cap;
};

void corral_entity_set_init(struct corral_entity_set *set, corral_arena *arena);
/* Add a key (copied into the arena as given: callers pass normalized text). */
corral_err corral_entity_set_add(struct corral_entity_set *set, enum corral_entity_type type,
                                 const char *key, size_t len);
/* Sort by (type, key bytes) and drop duplicates. */
void corral_entity_set_finish(struct corral_entity_set *set);
/* 1 when the set holds an entity of this type and key. */
int corral_entity_set_has(const struct corral_entity_set *set, enum corral_entity_type type,
                          const char *key, size_t len);

/* What an Azure resource id names. */
enum corral_resource_kind {
    CORRAL_RES_NONE = 0, /* not a resource id (a subscription, a provider path, junk) */
    CORRAL_RES_OTHER,
    CORRAL_RES_VM,      /* microsoft.compute/virtualmachines, scale-set vms, hybridcompute/machines */
    CORRAL_RES_CLUSTER, /* microsoft.containerservice/managedclusters, kubernetes/connectedclusters */
};

/*
 * Normalize an Azure resource id: lower-cased, top-level resource only
 * (/subscriptions/s/resourcegroups/g/providers/ns/type/name), child segments
 * and extension providers dropped. A scale-set instance
 * (.../virtualmachinescalesets/ss/virtualmachines/N) is a vm whose vm key
 * keeps the instance, written to vm_key when vm_key is not NULL (else the
 * same as the resource key). Returns the kind; out receives the key (an
 * arena string) unless the kind is NONE.
 */
enum corral_resource_kind corral_resource_normalize(corral_arena *arena, const char *id,
                                                    size_t len, struct corral_str *out,
                                                    struct corral_str *vm_key);

/*
 * The subscription id of "/subscriptions/{id}/...", borrowed from id in its original case
 * (callers lower-case it when they copy it); 0 on success, -1 if none.
 */
int corral_resource_subscription(const char *id, size_t len, struct corral_str *out);

/* Add the resource (and vm / cluster) entities an Azure resource id names. */
corral_err corral_entities_add_resource(struct corral_entity_set *set, const char *id, size_t len);

/*
 * Canonical text of an IP address (inet_ntop form: IPv4 dotted, IPv6
 * compressed lower-case; IPv4-mapped IPv6 becomes IPv4) into out (at least 46
 * bytes). Returns its length, or -1 when s is not an address or is loopback,
 * unspecified or link-local (those are never entities).
 */
int corral_ip_canonical(const char *s, size_t len, char out[46]);
corral_err corral_entities_add_ip(struct corral_entity_set *set, const char *s, size_t len);

struct corral_account_fields {
    struct corral_str name, nt_domain, dns_domain, upn_suffix, sid, aad_user_id, object_guid;
    int says_service_principal; /* the record says so (e.g. a type or flag) */
};
/* Add the user or service principal key; built-in names with no domain add nothing. */
corral_err corral_entities_add_account(struct corral_entity_set *set,
                                       const struct corral_account_fields *f,
                                       enum corral_entity_type *added);

struct corral_host_fields {
    struct corral_str azure_id, oms_agent_id, host_name, dns_domain;
};
/*
 * Add the vm key of a host (its AzureID normalized, else OMSAgentID, else
 * hostname[.dnsdomain], lower-cased), and the resource when AzureID is one.
 * Writes the vm key to *vm_key (arena string; len 0 when none).
 */
corral_err corral_entities_add_host(struct corral_entity_set *set,
                                    const struct corral_host_fields *f, struct corral_str *vm_key);

struct corral_process_fields {
    struct corral_str vm_key;        /* the process's host, else the alert's vm */
    struct corral_str process_id;    /* "0x1e49a" or "1234" text; numbers are passed as text */
    struct corral_str creation_time; /* ISO 8601 */
    struct corral_str image_path;    /* ImageFile's Directory + "\" or "/" + Name, or empty */
    struct corral_str command_line;
};
/* Add the S1 (vm|pid|time) and S2 (image|command line) keys that the fields allow. */
corral_err corral_entities_add_process(struct corral_entity_set *set,
                                       const struct corral_process_fields *f);

/* Domain (lower-cased, trailing dot dropped), file hash (algorithm:value lower-cased), URL (as given). */
corral_err corral_entities_add_domain(struct corral_entity_set *set, const char *s, size_t len);
corral_err corral_entities_add_filehash(struct corral_entity_set *set, const char *algorithm,
                                        size_t alen, const char *value, size_t vlen);
corral_err corral_entities_add_url(struct corral_entity_set *set, const char *s, size_t len);

/* 1 when an extendedProperties key names an IP ("client IP address", "Attacker IP"...). */
int corral_entities_key_names_ip(const char *key, size_t len);

#endif
