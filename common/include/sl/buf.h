// sl/buf.h - a growable byte buffer with a fixed cap, set when it is created.
//
// Going over the cap returns SL_ETOOBIG and leaves the buffer as it was (curl's dynbuf).
// The content is always followed by a NUL byte that is not counted in len. Not thread-safe.
#ifndef SL_BUF_H
#define SL_BUF_H
#include <stddef.h>

// Shown so owners can embed it; use the functions, not the fields, to change it.
typedef struct {
    char *data;     // owned; NULL until the first append
    size_t len;     // bytes in use
    size_t alloc;   // bytes allocated
    size_t max_len; // cap on len
} sl_buf_t;

void sl_buf_init(sl_buf_t *self, size_t max_len);
// Free the storage; self can be initialised again.
void sl_buf_free(sl_buf_t *self);
// Append len bytes; SL_ETOOBIG (nothing appended) when len would pass the cap.
int sl_buf_append(sl_buf_t *self, const void *data, size_t len);
int sl_buf_append_str(sl_buf_t *self, const char *s);
int sl_buf_printf(sl_buf_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Append s as the inside of a JSON string (quotes not added): escapes ", \ and controls.
int sl_buf_append_json_str(sl_buf_t *self, const char *s, size_t len);
// Cut the content back to its first mark bytes (mark <= len) and return SL_ETOOBIG: the way
// out of a writer that appends all or nothing. Use with SL_BUF_TRY and a `toobig:` label:
//     size_t mark = out->len;
//     SL_BUF_TRY(sl_buf_append_str(out, "..."));
//     return 0;
// toobig:
//     return sl_buf_rollback(out, mark);
int sl_buf_rollback(sl_buf_t *self, size_t mark);
#define SL_BUF_TRY(expr) \
    do {                 \
        if ((expr) != 0) \
            goto toobig; \
    } while (0)
// Drop the first n bytes (n > len drops everything).
void sl_buf_consume(sl_buf_t *self, size_t n);
void sl_buf_reset(sl_buf_t *self);
// The content as a NUL-terminated string; "" when empty. Borrowed: valid until the next change.
const char *sl_buf_str(const sl_buf_t *self);

#endif
