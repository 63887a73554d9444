/*
 * fuzz_rules.c - libFuzzer target: the rules-file loader (YAML via libyaml).
 *
 * Users write rules files by hand, so any bytes must give either a rule set
 * or a list of errors, each with a message: never a crash, a leak or a hang.
 * A loaded rule set is also merged into itself, which must replace every rule
 * in place and keep the count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rules/rules_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct corral_rules_errors errs;
    corral_rules_errors_init(&errs);
    struct corral_ruleset *rules = NULL;
    corral_err err = corral_rules_load_buffer("fuzz", (const char *)data, size, &rules, &errs);
    if (err == CORRAL_OK) {
        if (rules == NULL || corral_rules_errors_total(&errs) != 0) {
            abort();
        }
        size_t n = rules->n_rules;
        if (corral_rules_merge(rules, rules, &errs) == CORRAL_OK && rules->n_rules != n) {
            abort();
        }
        corral_ruleset_free(rules);
    } else {
        if (rules != NULL) {
            abort();
        }
        for (size_t i = 0; i < errs.count; i++) {
            if (errs.items[i].message == NULL || errs.items[i].message[0] == '\0') {
                abort();
            }
        }
    }
    corral_rules_errors_release(&errs);
    return 0;
}
