/*
 * error.c - text for corral_err, and the diagnostic helper used by every parser.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const texts[CORRAL_ERR_COUNT] = {
    [CORRAL_OK] = "success",
    [CORRAL_ERR_NOMEM] = "out of memory",
    [CORRAL_ERR_IO] = "input/output error",
    [CORRAL_ERR_JSON] = "invalid JSON",
    [CORRAL_ERR_UTF8] = "invalid UTF-8",
    [CORRAL_ERR_DEPTH] = "nesting too deep",
    [CORRAL_ERR_TOO_LARGE] = "record too large",
    [CORRAL_ERR_NOT_ALERT] = "not a security alert",
    [CORRAL_ERR_MISSING] = "required field missing",
    [CORRAL_ERR_BAD_VALUE] = "bad field value",
    [CORRAL_ERR_REF] = "unresolvable $ref",
    [CORRAL_ERR_DATA] = "malformed data file",
    [CORRAL_ERR_USAGE] = "usage error",
};

const char *corral_strerror(corral_err err)
{
    if ((unsigned)err >= CORRAL_ERR_COUNT || texts[err] == NULL) {
        return "unknown error";
    }
    return texts[err];
}

corral_err corral_diag_set(struct corral_diag *diag, corral_err code, size_t line, size_t col,
                           const char *fmt, ...)
{
    if (diag == NULL) {
        return code;
    }
    diag->code = code;
    diag->line = line;
    diag->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    return code;
}
