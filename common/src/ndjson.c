// ndjson.c - incremental NDJSON splitter (see sl/ndjson.h).
//
// The hot path mirrors sse.c: memchr finds each "\n", a line wholly inside one feed is handed
// over in place, and only a line cut by a feed boundary is copied into the held buffer.
#include "sl/ndjson.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl/buf.h"
#include "sl/err.h"
#include "sl/mem.h"

// A held buffer that grew past this for one huge line is freed after it, so one 4 MB line
// does not pin 4 MB for the rest of a long stream.
#define S_KEEP_BYTES (64u * 1024)

// Largest usable cap: sl_buf needs max_len + 1 bytes and doubles its allocation.
#define S_MAX_CAP (SIZE_MAX / 4)

struct sl_ndjson_splitter {
    size_t max_bytes; // cap on one line, without its "\n"
    sl_buf_t line;    // owned; the start of a line cut by a feed boundary
    bool poisoned;    // a cap was passed: every call returns SL_ETOOBIG
};

// A cap was passed: drop what is held and refuse all later input.
static int
s_poison(sl_ndjson_splitter_t *self)
{
    self->poisoned = true;
    sl_buf_free(&self->line);
    return SL_ETOOBIG;
}

// True when s holds only JSON whitespace other than "\n" (which never reaches here).
static bool
s_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

// One complete line without its "\n": drop one "\r", skip it when blank, else hand it over.
static int
s_line(const char *s, size_t n, sl_ndjson_line_fn *fn, void *arg)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (s_is_blank(s, n))
        return 0;
    return fn(arg, s, n);
}

// Forget the held line; free its storage if one big line grew it.
static void
s_reset_line(sl_ndjson_splitter_t *self)
{
    sl_buf_reset(&self->line);
    if (self->line.alloc > S_KEEP_BYTES)
        sl_buf_free(&self->line); // keeps max_len: the buffer can be appended to again
}

sl_ndjson_splitter_t *
sl_ndjson_splitter_new(size_t max_line_bytes)
{
    sl_ndjson_splitter_t *self = sl_xcalloc(1, sizeof *self);
    self->max_bytes = max_line_bytes < S_MAX_CAP ? max_line_bytes : S_MAX_CAP;
    sl_buf_init(&self->line, self->max_bytes);
    return self;
}

void
sl_ndjson_splitter_destroy(sl_ndjson_splitter_t **self_p)
{
    if (self_p && *self_p) {
        sl_buf_free(&(*self_p)->line);
        free(*self_p);
        *self_p = NULL;
    }
}

int
sl_ndjson_splitter_feed(
    sl_ndjson_splitter_t *self, const char *data, size_t len, sl_ndjson_line_fn *fn, void *arg)
{
    assert(self && fn && (data || len == 0));
    if (self->poisoned)
        return SL_ETOOBIG;
    size_t i = 0;
    while (i < len) {
        const char *hit = memchr(data + i, '\n', len - i);
        if (!hit) {
            // No line end left: hold the tail. sl_buf refuses to pass the cap.
            if (sl_buf_append(&self->line, data + i, len - i) != 0)
                return s_poison(self);
            break;
        }
        size_t eol = (size_t)(hit - data);
        size_t start = i;
        i = eol + 1; // past the "\n" first, so a callback that stops us leaves a clean boundary
        int rc;
        if (self->line.len == 0) {
            if (eol - start > self->max_bytes)
                return s_poison(self);
            rc = s_line(data + start, eol - start, fn, arg);
        } else {
            if (sl_buf_append(&self->line, data + start, eol - start) != 0)
                return s_poison(self);
            rc = s_line(self->line.data, self->line.len, fn, arg);
            s_reset_line(self);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
sl_ndjson_splitter_finish(sl_ndjson_splitter_t *self, sl_ndjson_line_fn *fn, void *arg)
{
    assert(self && fn);
    if (self->poisoned)
        return SL_ETOOBIG;
    if (self->line.len == 0)
        return 0;
    int rc = s_line(self->line.data, self->line.len, fn, arg);
    s_reset_line(self);
    return rc;
}

size_t
sl_ndjson_splitter_pending(const sl_ndjson_splitter_t *self)
{
    assert(self);
    return self->line.len;
}
