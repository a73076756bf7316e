// jsonseq.c - incremental splitter for a streamed JSON array's elements (see sl/jsonseq.h).
//
// One pass over each byte with a small state machine. An element wholly inside one feed is
// handed over in place; only an element cut by a feed boundary is copied into the held buffer.
#include "sl/jsonseq.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl/buf.h"
#include "sl/err.h"
#include "sl/mem.h"

// A held buffer that grew past this for one huge element is freed after it.
#define S_KEEP_BYTES (64u * 1024)

// Largest usable cap: sl_buf needs max_len + 1 bytes and doubles its allocation.
#define S_MAX_CAP (SIZE_MAX / 4)

// Where the splitter is in the array's framing.
typedef enum {
    S_OPEN,   // before "[": only whitespace so far
    S_FIRST,  // after "[": the first element or "]"
    S_ELEM,   // inside an element
    S_AFTER,  // after an element: "," or "]"
    S_NEXT,   // after ",": an element
    S_CLOSED, // after "]": only whitespace may follow
} s_where_t;

struct sl_jsonseq_splitter {
    size_t max_bytes; // cap on one element
    sl_buf_t elem;    // owned; the start of an element cut by a feed boundary
    s_where_t where;  // framing state
    size_t depth;     // S_ELEM: open {} and [] in the element; bounded by max_bytes
    bool in_string;   // S_ELEM: inside a string
    bool escape;      // S_ELEM: the previous byte was a backslash inside a string
    bool scalar;      // S_ELEM: a number or literal, which ends before whitespace, "," or "]"
    int error;        // 0, or the code every feed returns once poisoned
};

// Invariants: bytes are held only inside an element; a scalar element has no depth and no
// string; an escape only happens inside a string.
static void
s_check_invariants(const sl_jsonseq_splitter_t *self)
{
    assert(self->where == S_ELEM || self->elem.len == 0);
    assert(!self->scalar || (self->depth == 0 && !self->in_string));
    assert(!self->escape || self->in_string);
    assert(self->elem.len <= self->max_bytes);
    (void)self; // only read by the asserts, which NDEBUG removes
}

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Refuse this and all later input with code.
static int
s_poison(sl_jsonseq_splitter_t *self, int code)
{
    self->error = code;
    sl_buf_free(&self->elem);
    return code;
}

// Start an element at its first byte c (not whitespace, not punctuation).
static void
s_begin(sl_jsonseq_splitter_t *self, char c)
{
    self->where = S_ELEM;
    self->depth = c == '{' || c == '[' ? 1 : 0;
    self->in_string = c == '"';
    self->escape = false;
    self->scalar = !self->depth && !self->in_string;
}

// Scan the element byte c (not its first byte). Returns 1 when c is the element's last byte,
// -1 when the element ended just before c (a scalar; c is not part of it), else 0.
static int
s_scan(sl_jsonseq_splitter_t *self, char c)
{
    if (self->in_string) {
        if (self->escape)
            self->escape = false;
        else if (c == '\\')
            self->escape = true;
        else if (c == '"') {
            self->in_string = false;
            return self->depth == 0 ? 1 : 0; // a top-level string element ends here
        }
        return 0;
    }
    if (self->scalar)
        return s_is_space(c) || c == ',' || c == ']' ? -1 : 0;
    if (c == '"') {
        self->in_string = true;
    } else if (c == '{' || c == '[') {
        self->depth++;
    } else if (c == '}' || c == ']') {
        self->depth--; // a mismatched kind still counts: the caller's parser rejects it
        return self->depth == 0 ? 1 : 0;
    }
    return 0;
}

// The element is data[start, end) plus whatever was held: hand it over and forget it. The
// caller has already moved the framing state past the element.
static int
s_emit(sl_jsonseq_splitter_t *self,
       const char *data,
       size_t start,
       size_t end,
       sl_jsonseq_elem_fn *fn,
       void *arg)
{
    if (self->elem.len == 0)
        return fn(arg, data + start, end - start);
    // Fits: s_feed checks the element's length against the cap at every byte.
    int rc = sl_buf_append(&self->elem, data + start, end - start);
    assert(rc == 0);
    rc = fn(arg, self->elem.data, self->elem.len);
    sl_buf_reset(&self->elem);
    if (self->elem.alloc > S_KEEP_BYTES)
        sl_buf_free(&self->elem); // keeps max_len: the buffer can be appended to again
    return rc;
}

// A byte outside any element. Returns 0, 1 when c starts an element, or SL_EPROTO.
static int
s_frame(sl_jsonseq_splitter_t *self, char c)
{
    if (s_is_space(c))
        return 0;
    switch (self->where) {
    case S_OPEN:
        if (c != '[')
            return SL_EPROTO;
        self->where = S_FIRST;
        return 0;
    case S_FIRST:
    case S_NEXT:
        if (c == ']' && self->where == S_FIRST) {
            self->where = S_CLOSED;
            return 0;
        }
        if (c == ',' || c == ']' || c == '}' || c == ':')
            return SL_EPROTO; // "[,", ",,", ",]", a stray closer or colon
        s_begin(self, c);
        return 1;
    case S_AFTER:
        if (c == ',')
            self->where = S_NEXT;
        else if (c == ']')
            self->where = S_CLOSED;
        else
            return SL_EPROTO; // two elements without a comma
        return 0;
    case S_CLOSED:
    case S_ELEM:
        break;
    }
    return SL_EPROTO; // bytes after "]"
}

sl_jsonseq_splitter_t *
sl_jsonseq_splitter_new(size_t max_elem_bytes)
{
    sl_jsonseq_splitter_t *self = sl_xcalloc(1, sizeof *self);
    self->max_bytes = max_elem_bytes < S_MAX_CAP ? max_elem_bytes : S_MAX_CAP;
    sl_buf_init(&self->elem, self->max_bytes);
    self->where = S_OPEN;
    return self;
}

void
sl_jsonseq_splitter_destroy(sl_jsonseq_splitter_t **self_p)
{
    if (self_p && *self_p) {
        sl_buf_free(&(*self_p)->elem);
        free(*self_p);
        *self_p = NULL;
    }
}

int
sl_jsonseq_splitter_feed(
    sl_jsonseq_splitter_t *self, const char *data, size_t len, sl_jsonseq_elem_fn *fn, void *arg)
{
    assert(self && fn && (data || len == 0));
    if (self->error)
        return self->error;
    s_check_invariants(self);
    size_t start = 0; // first byte of the current element within data
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (self->where != S_ELEM) {
            int rc = s_frame(self, c);
            if (rc < 0)
                return s_poison(self, rc);
            if (rc == 1) {
                start = i; // no element ends at its first byte
                if (self->max_bytes == 0)
                    return s_poison(self, SL_ETOOBIG);
            }
            continue;
        }
        int end = s_scan(self, c);
        if (end < 0) {
            // A scalar ended before c. c is framing, not part of the element: take it before
            // the callback can stop the feed, so stopping never loses a "," or "]".
            self->where = S_AFTER;
            int rc = s_frame(self, c);
            assert(rc == 0); // whitespace, "," or "]" after an element
            rc = s_emit(self, data, start, i, fn, arg);
            if (rc != 0)
                return rc;
            continue;
        }
        if (self->elem.len + (i - start + 1) > self->max_bytes)
            return s_poison(self, SL_ETOOBIG);
        if (end > 0) {
            self->where = S_AFTER;
            int rc = s_emit(self, data, start, i + 1, fn, arg);
            if (rc != 0)
                return rc;
        }
    }
    if (self->where == S_ELEM) {
        // Fits: checked at every byte above.
        int rc = sl_buf_append(&self->elem, data + start, len - start);
        assert(rc == 0);
        (void)rc;
    }
    s_check_invariants(self);
    return 0;
}

bool
sl_jsonseq_splitter_is_closed(const sl_jsonseq_splitter_t *self)
{
    assert(self);
    return self->where == S_CLOSED && !self->error;
}

size_t
sl_jsonseq_splitter_pending(const sl_jsonseq_splitter_t *self)
{
    assert(self);
    return self->elem.len;
}
