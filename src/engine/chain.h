/*
 * chain.h - machine chains: alerts on vms climbing the kill chain.
 *
 * incidents.md "Machine chain": among the staged alerts of a machine
 * component (vms tied by a shared ip, domain, file hash, process image or
 * account, in one session), the largest subset whose order by start time
 * never goes back in the kill chain (each alert may take any one of its
 * stages), from 2+ plans, covering 2+ distinct stages; among equal subsets,
 * the earliest alerts. Found exactly by dynamic programming over
 * (last stage, plans so far, stages so far), from the last alert back, then
 * read off from the first alert forward preferring to take each alert.
 */
#ifndef CORRAL_ENGINE_CHAIN_H
#define CORRAL_ENGINE_CHAIN_H

#include <stdint.h>

#include "engine/ealert.h"
#include "rules/rule.h"
#include "util/error.h"

/* At most this many staged alerts are considered per component (the earliest). */
#define CORRAL_CHAIN_MAX_ALERTS 4096u

/*
 * Find the chain among alerts[0..n) (sorted; alerts with no stage are
 * ignored). On success *count members are written to members[] (indexes
 * into alerts, increasing) with the stage each takes in stages[]; *count is
 * 0 when there is no chain. Both arrays hold n entries. CORRAL_ERR_NOMEM.
 */
corral_err corral_chain_find(struct corral_ealert *const *alerts, uint32_t n, uint32_t *members,
                             uint8_t *stages, uint32_t *count);

/* Facts about a chain that the chain rules test. */
struct corral_chain_facts {
    unsigned vms;   /* distinct vms its members are on */
    int botnet;     /* a member has the botnet signal */
    int outgoing;   /* a member has the outgoing signal */
    int max_stage;  /* the highest stage a member takes */
};

/* 1 when the chain rule's conditions fit. */
int corral_chain_fits(const struct corral_chain_cond *c, const struct corral_chain_facts *f);

#endif
