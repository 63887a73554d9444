/*
 * fuzz_catalog.c - libFuzzer target: the alert-type table loader and the
 * builder that resolves Microsoft's reference table.
 *
 * Both read TSV that a user may edit; any bytes must load or fail with a
 * positioned diagnostic, and a loaded table must classify without crashing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The builder reads a stream. */
    FILE *in = fmemopen((void *)data, size, "r");
    FILE *out = fopen("/dev/null", "w");
    if (in != NULL && out != NULL) {
        struct corral_diag diag;
        memset(&diag, 0, sizeof(diag));
        if (corral_catalog_build(in, "fuzz", out, &diag) != CORRAL_OK && diag.msg[0] == '\0') {
            abort();
        }
    }
    if (in != NULL) {
        fclose(in);
    }
    if (out != NULL) {
        fclose(out);
    }
    /* The loader reads a path. */
    char path[] = "/tmp/corral-fuzz-catalog-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        return 0;
    }
    if (write(fd, data, size) == (ssize_t)size) {
        corral_catalog *cat = NULL;
        struct corral_diag diag;
        memset(&diag, 0, sizeof(diag));
        if (corral_catalog_load(path, &cat, &diag) == CORRAL_OK) {
            struct corral_classification cl;
            corral_catalog_classify(cat, "VM_CoinMiner", 12, "Digital currency mining", 23, "", 0,
                                    &cl);
            corral_catalog_classify(cat, (const char *)data, size < 64 ? size : 64, "", 0, "", 0,
                                    &cl);
            corral_catalog_free(cat);
        } else if (diag.msg[0] == '\0') {
            abort();
        }
    }
    close(fd);
    unlink(path);
    return 0;
}
