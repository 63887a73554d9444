/*
 * error.h - the one error enum of corral, and the diagnostic that parsers fill.
 *
 * Every function that can fail returns a corral_err; results come back through
 * out-parameters. Parsers also fill a struct corral_diag so that the user sees
 * where in the input the problem is (line and column, 1-based; 0 = unknown).
 */
#ifndef CORRAL_UTIL_ERROR_H
#define CORRAL_UTIL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" { /* json.cpp includes this outside json.h's extern "C" block */
#endif

typedef enum corral_err {
    CORRAL_OK = 0,
    CORRAL_ERR_NOMEM,        /* an allocation failed */
    CORRAL_ERR_IO,           /* reading or writing a file failed (errno kept by the caller) */
    CORRAL_ERR_JSON,         /* the text is not valid JSON */
    CORRAL_ERR_UTF8,         /* the text is not valid UTF-8 */
    CORRAL_ERR_DEPTH,        /* nesting deeper than the limit */
    CORRAL_ERR_TOO_LARGE,    /* a record or document larger than the limit */
    CORRAL_ERR_NOT_ALERT,    /* a valid record that is not a security alert */
    CORRAL_ERR_MISSING,      /* a required field is missing (systemAlertId, start time...) */
    CORRAL_ERR_BAD_VALUE,    /* a field has a value of the wrong type or form */
    CORRAL_ERR_REF,          /* a $ref that cannot be resolved, or a cycle of $refs */
    CORRAL_ERR_DATA,         /* a data file (catalog, rules) is malformed */
    CORRAL_ERR_USAGE,        /* the command line is wrong */
    CORRAL_ERR_COUNT
} corral_err;

/* Static English text for an error code; never NULL. */
const char *corral_strerror(corral_err err);

/* Where and why a parser failed. msg is always NUL-terminated. */
struct corral_diag {
    corral_err code;
    size_t line; /* 1-based line in the input, 0 when unknown */
    size_t col;  /* 1-based column (in bytes), 0 when unknown */
    char msg[256];
};

/* Fill diag (may be NULL) with code, position and a printf-style message; returns code. */
corral_err corral_diag_set(struct corral_diag *diag, corral_err code, size_t line, size_t col,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#ifdef __cplusplus
}
#endif

#endif
