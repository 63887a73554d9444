/*
 * test_strbuf_portable.c - the strbuf tests on the portable code path.
 *
 * strbuf.c escapes sixteen bytes at a time where SSE2 exists and eight bytes
 * at a time elsewhere. So that the fallback is tested too, this file compiles
 * strbuf.c once more with CORRAL_ASCII_NO_SSE2 and runs test_strbuf.c against
 * that copy; the linker then takes no strbuf object from the library, whose
 * every symbol is defined here.
 */
#define CORRAL_ASCII_NO_SSE2 1

#include "../../src/util/strbuf.c"

#include "test_strbuf.c"
