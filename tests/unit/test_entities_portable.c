/*
 * test_entities_portable.c - the entity tests on the portable code paths.
 *
 * entities.c scans resource ids sixteen bytes at a time where SSE2 exists
 * (every x86-64 machine corral is tested on) and eight bytes at a time
 * elsewhere. So that the fallback is tested too, this file compiles
 * entities.c once more with CORRAL_ASCII_NO_SSE2 and runs test_entities.c
 * against that copy; the linker then takes no entities object from the
 * library, whose every symbol is defined here.
 */
#define CORRAL_ASCII_NO_SSE2 1

#include "../../src/ingest/entities.c"

#include "test_entities.c"
