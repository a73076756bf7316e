// err.c - text and names for the codes in sl/err.h.
#include "sl/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *
sl_strerror(int err)
{
    switch (err) {
    case SL_OK:
        return "ok";
#define X(name, code, text) \
    case SL_##name:         \
        return text;
        SL_ERRNO_MAP(X)
#undef X
    }
    return "unknown error";
}

const char *
sl_errname(int err)
{
    switch (err) {
    case SL_OK:
        return "SL_OK";
#define X(name, code, text) \
    case SL_##name:         \
        return "SL_" #name;
        SL_ERRNO_MAP(X)
#undef X
    }
    return "SL_E?";
}

int
sl_err_invalid(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return SL_EINVAL;
}
