// check.h - always-on test assertions that print both sides (libuv's ASSERT_EQ).
//
// A failed CHECK prints file, line, the expression and the values, then exits 1, so CTest
// marks the test failed. Unlike assert(), these never vanish under NDEBUG.
#ifndef SL_CHECK_H
#define SL_CHECK_H
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define CHECK_INT(a, op, b)                                                                 \
    do {                                                                                    \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                       \
        if (!(a_ op b_)) {                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s %s %s (%" PRId64 " vs %" PRId64 ")\n", \
                    __FILE__, __LINE__, #a, #op, #b, a_, b_);                               \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                                     \
    do {                                                                                    \
        const char *a_ = (a), *b_ = (b);                                                    \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

// Compare len bytes; prints both as strings (truncated to 200 bytes).
#define CHECK_MEM(a, alen, b, blen)                                                               \
    do {                                                                                          \
        size_t al_ = (size_t)(alen), bl_ = (size_t)(blen);                                        \
        if (al_ != bl_ || memcmp((a), (b), al_) != 0) {                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%.*s\" [%zu] vs \"%.*s\" [%zu])\n", \
                    __FILE__, __LINE__, #a, #b, (int)(al_ > 200 ? 200 : al_), (const char *)(a),  \
                    al_, (int)(bl_ > 200 ? 200 : bl_), (const char *)(b), bl_);                   \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

#endif
