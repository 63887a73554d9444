/*
 * check.h - what the fuzz targets assert: a property that does not hold is a
 * crash (abort) with its file, line and text, which libFuzzer reports and keeps.
 */
#ifndef CORRAL_FUZZ_CHECK_H
#define CORRAL_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
