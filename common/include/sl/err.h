// sl/err.h - sluice's error codes: one table gives each code, its name and its text.
//
// Functions that can fail return 0 or a negative SL_E* code. Thread-safe.
#ifndef SL_ERR_H
#define SL_ERR_H
#include <stddef.h>

#define SL_ERRNO_MAP(X)                              \
    X(EINVAL, -1, "invalid argument")                \
    X(ETOOBIG, -2, "input exceeds configured limit") \
    X(EPROTO, -3, "malformed message")               \
    X(EAGAIN, -4, "peer not ready, try again")       \
    X(ENOTFOUND, -5, "not found")                    \
    X(EIO, -6, "input/output error")                 \
    X(ECONFIG, -7, "invalid configuration")          \
    X(ECLOSED, -8, "closed")                         \
    X(ESYS, -9, "system call failed (see errno)")

typedef enum {
    SL_OK = 0,
#define X(name, code, text) SL_##name = code,
    SL_ERRNO_MAP(X)
#undef X
} sl_err_t;

// Text for an error code; never NULL ("unknown error" for codes not in the table).
const char *sl_strerror(int err);
// Name of an error code, e.g. "SL_EPROTO"; never NULL.
const char *sl_errname(int err);
// Write why into err (err_size bytes, cut to fit) and return SL_EINVAL: the refusal of input
// that names what is wrong.
__attribute__((format(printf, 3, 4))) int
sl_err_invalid(char *err, size_t err_size, const char *fmt, ...);

#endif
