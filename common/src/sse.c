// sse.c - incremental Server-Sent Events parser (see sl/sse.h).
//
// Every upstream byte passes through here, so the hot path is: memchr for the next CR and LF
// (each remembered until passed, so a feed is scanned once per byte class), a line wholly
// inside the feed is parsed in place, and only a line cut by a feed boundary is copied into
// the line buffer. Field values are copied once, into reused buffers, because the callback
// needs NUL-terminated strings and the input is const and not NUL-terminated.
#include "sl/sse.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl/buf.h"
#include "sl/err.h"
#include "sl/mem.h"

// A buffer that grew past this for one huge event is freed after that event, so a single
// 4 MB tool call does not pin 4 MB for the rest of a long stream. Below it, buffers are
// reused and the steady state allocates nothing.
#define S_KEEP_BYTES (64u * 1024)

// Largest usable cap: sl_buf needs max_len + 1 bytes and doubles its allocation.
#define S_MAX_CAP (SIZE_MAX / 4)

static const unsigned char s_bom[3] = {0xEF, 0xBB, 0xBF};

struct sl_sse_parser {
    size_t max_bytes; // cap on one line and on one event's data
    sl_buf_t line;    // owned; a line cut by a feed boundary, without its line end
    sl_buf_t data;    // owned; data lines joined with "\n", without the final "\n"
    bool has_data;    // a data line was seen since the last dispatch ("" is data too)
    sl_buf_t event;   // owned; event type buffer ("" means "message")
    sl_buf_t id;      // owned; last event id, kept across events
    int bom_state;    // 0..2: leading BOM bytes matched and held; 3: BOM question settled
    bool skip_lf;     // the last feed ended in CR: an LF starting the next one is its CRLF
    bool poisoned;    // a cap was passed: every feed returns SL_ETOOBIG
};

// Invariants: the held BOM bytes are never also in line; nothing is parsed before the BOM
// question is settled, so while bom_state < 3 the line, data and event buffers are empty.
static void
s_check_invariants(const sl_sse_parser_t *self)
{
    assert(self->bom_state >= 0 && self->bom_state <= 3);
    assert(self->bom_state == 3
           || (self->line.len == 0 && !self->has_data && self->event.len == 0));
    assert(self->has_data || self->data.len == 0);
    assert(self->line.len <= self->max_bytes && self->data.len <= self->max_bytes);
    (void)self; // only read by the asserts, which NDEBUG removes
}

// Free a buffer that one big event grew; the next event starts small again.
static void
s_trim(sl_buf_t *buf)
{
    if (buf->alloc > S_KEEP_BYTES)
        sl_buf_free(buf); // keeps max_len: the buffer can be appended to again
}

// A cap was passed: drop everything held and refuse all later input.
static int
s_poison(sl_sse_parser_t *self)
{
    self->poisoned = true;
    sl_buf_free(&self->line);
    sl_buf_free(&self->data);
    sl_buf_free(&self->event);
    sl_buf_free(&self->id);
    self->has_data = false;
    return SL_ETOOBIG;
}

// Blank line: fire the event if any data line was seen, then start a new one. The event
// type resets even when nothing fires; the id does not (WHATWG HTML, "dispatch the event").
static int
s_dispatch(sl_sse_parser_t *self, sl_sse_event_fn *fn, void *arg)
{
    int rc = 0;
    if (self->has_data) {
        bool named = self->event.len > 0;
        sl_sse_event_t ev = {
            .event = named ? sl_buf_str(&self->event) : "message",
            .event_len = named ? self->event.len : strlen("message"),
            .data = sl_buf_str(&self->data),
            .data_len = self->data.len,
            .id = sl_buf_str(&self->id),
            .id_len = self->id.len,
        };
        rc = fn(arg, &ev);
        sl_buf_reset(&self->data);
        self->has_data = false;
        s_trim(&self->data);
    }
    sl_buf_reset(&self->event);
    s_trim(&self->event);
    return rc;
}

// Set buf to value. Cannot pass the cap: a value is no longer than its line, which is capped
// at the same size as buf.
static void
s_set(sl_buf_t *buf, const char *value, size_t len)
{
    sl_buf_reset(buf);
    int rc = sl_buf_append(buf, value, len);
    assert(rc == 0);
    (void)rc;
}

// One complete line, without its line end.
static int
s_line(sl_sse_parser_t *self, const char *s, size_t n, sl_sse_event_fn *fn, void *arg)
{
    if (n == 0)
        return s_dispatch(self, fn, arg);
    if (s[0] == ':')
        return 0; // comment: keep-alives and proxy notes
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *value = colon ? colon + 1 : s + n;
    size_t value_len = n - (size_t)(value - s);
    if (value_len > 0 && value[0] == ' ') {
        value++; // exactly one space goes: "data:  x" keeps " x"
        value_len--;
    }
    // Names are case-sensitive and compared as bytes; "retry" and unknown names fall through.
    if (name_len == 4 && memcmp(s, "data", 4) == 0) {
        // Check the whole growth first, so the buffer never holds a half-appended line.
        size_t sep = self->has_data ? 1 : 0;
        if (value_len > self->max_bytes - self->data.len
            || sep > self->max_bytes - self->data.len - value_len)
            return s_poison(self);
        if (sep)
            (void)sl_buf_append(&self->data, "\n", 1); // fits: checked above
        (void)sl_buf_append(&self->data, value, value_len);
        self->has_data = true;
    } else if (name_len == 5 && memcmp(s, "event", 5) == 0) {
        s_set(&self->event, value, value_len);
    } else if (name_len == 2 && memcmp(s, "id", 2) == 0) {
        // An id holding NUL is ignored, so a NUL can never truncate a Last-Event-ID.
        if (!memchr(value, '\0', value_len))
            s_set(&self->id, value, value_len);
    }
    return 0;
}

// A line ended in this feed at s[n]. Parse it in place unless its start came in an earlier
// feed, in which case join it onto the held part first.
static int
s_end_line(sl_sse_parser_t *self, const char *s, size_t n, sl_sse_event_fn *fn, void *arg)
{
    if (self->line.len == 0) {
        if (n > self->max_bytes)
            return s_poison(self);
        return s_line(self, s, n, fn, arg);
    }
    if (sl_buf_append(&self->line, s, n) != 0)
        return s_poison(self);
    int rc = s_line(self, self->line.data, self->line.len, fn, arg);
    if (!self->poisoned) {
        sl_buf_reset(&self->line);
        s_trim(&self->line);
    }
    return rc;
}

// Index of the first c in data[from, len), or len when there is none.
static size_t
s_find(const char *data, size_t from, size_t len, char c)
{
    const char *hit = memchr(data + from, c, len - from);
    return hit ? (size_t)(hit - data) : len;
}

// Strip one leading BOM, which may arrive split across feeds. Returns how many bytes of data
// it consumed. Bytes that looked like a BOM but were not become the start of the first line.
static size_t
s_strip_bom(sl_sse_parser_t *self, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && self->bom_state < 3) {
        if ((unsigned char)data[i] != s_bom[self->bom_state]) {
            // Only a cap below 2 bytes refuses them, and then the line they start is over
            // the cap whatever follows, so failing now gives the same result as later.
            size_t held = (size_t)self->bom_state;
            self->bom_state = 3;
            if (sl_buf_append(&self->line, s_bom, held) != 0)
                (void)s_poison(self);
            return i;
        }
        self->bom_state++;
        i++;
    }
    return i;
}

sl_sse_parser_t *
sl_sse_parser_new(size_t max_event_bytes)
{
    sl_sse_parser_t *self = sl_xcalloc(1, sizeof *self);
    self->max_bytes = max_event_bytes < S_MAX_CAP ? max_event_bytes : S_MAX_CAP;
    sl_buf_init(&self->line, self->max_bytes);
    sl_buf_init(&self->data, self->max_bytes);
    sl_buf_init(&self->event, self->max_bytes);
    sl_buf_init(&self->id, self->max_bytes);
    return self;
}

void
sl_sse_parser_destroy(sl_sse_parser_t **self_p)
{
    if (self_p && *self_p) {
        sl_sse_parser_t *self = *self_p;
        sl_buf_free(&self->line);
        sl_buf_free(&self->data);
        sl_buf_free(&self->event);
        sl_buf_free(&self->id);
        free(self);
        *self_p = NULL;
    }
}

int
sl_sse_parser_feed(
    sl_sse_parser_t *self, const char *data, size_t len, sl_sse_event_fn *fn, void *arg)
{
    assert(self && fn && (data || len == 0));
    if (self->poisoned)
        return SL_ETOOBIG;
    if (len == 0)
        return 0;
    s_check_invariants(self);
    size_t i = 0;
    if (self->bom_state < 3) {
        i = s_strip_bom(self, data, len);
        if (self->poisoned)
            return SL_ETOOBIG;
    }
    if (self->skip_lf && i < len) {
        self->skip_lf = false;
        if (data[i] == '\n')
            i++;
    }
    size_t cr = s_find(data, i, len, '\r');
    size_t lf = s_find(data, i, len, '\n');
    while (i < len) {
        if (cr < i)
            cr = s_find(data, i, len, '\r');
        if (lf < i)
            lf = s_find(data, i, len, '\n');
        size_t eol = cr < lf ? cr : lf;
        if (eol == len) {
            // No line end left: hold the tail for the next feed.
            if (sl_buf_append(&self->line, data + i, len - i) != 0)
                return s_poison(self);
            break;
        }
        size_t next = eol + 1;
        if (data[eol] == '\r') {
            if (next == len)
                self->skip_lf = true; // the LF may start the next feed
            else if (data[next] == '\n')
                next++;
        }
        // Move past the line end before parsing, so a callback that stops us leaves the
        // parser at a line boundary.
        size_t start = i;
        i = next;
        int rc = s_end_line(self, data + start, eol - start, fn, arg);
        if (rc != 0)
            return rc;
    }
    s_check_invariants(self);
    return 0;
}

size_t
sl_sse_parser_pending(const sl_sse_parser_t *self)
{
    assert(self);
    size_t held = self->bom_state < 3 ? (size_t)self->bom_state : 0;
    // The spec's data buffer ends each data line with "\n"; ours leaves the last one out.
    size_t data = self->has_data ? self->data.len + 1 : 0;
    return held + self->line.len + data + self->event.len;
}
