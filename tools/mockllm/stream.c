// stream.c - pacing, hold, framing and split pieces of one streamed response (see stream.h).
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "rng.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "split.h"

struct mockllm_stream {
    const mockllm_format_t *fmt; // borrowed: static format table
    mockllm_script_t script;     // owned
    mockllm_stream_cfg_t cfg;    // copy
    mockllm_events_t events;     // owned; the response's events, terminator included
    size_t next_event;           // next event to render
    size_t units_sent;           // content units (tokens, fragments) handed out so far
    int64_t pace_base_us;        // monotonic; content unit pace_base_unit is due at this time
    size_t pace_base_unit;       // see pace_base_us
    bool held;                   // waiting at a pause point (hold= or stall=)
    bool hold_done;              // released once: the hold= point is behind us
    bool stall_done;             // released once: the stall= point is behind us
    bool ended;                  // the end of the body (the last chunk) has been handed out
    int64_t held_since_us;       // monotonic; when the current pause began
    int64_t due_us;              // monotonic; nothing leaves before this
    sl_buf_t scratch;            // one rendered event before framing; cap EVENT_MAX
    sl_buf_t event;              // split: the framed event being handed out in pieces
    size_t event_pos;            // split: bytes of event handed out already
    size_t cuts[MOCKLLM_SPLIT_MAX_CUTS]; // split: offsets in event where pieces end
    size_t n_cuts;                       // split: entries in cuts
    size_t cut_i;                        // split: next entry of cuts to honour
    mockllm_rng_t rng;                   // split cut points
};

// The points "after K content units" (hold=, stall=, reset=) are checked at every boundary:
// before each event, and before the end of the body. An event carrying several units (Gemini's
// whole calls) can step over K: the point is then right after it. With K equal to the unit
// count the point is before the events that carry none (a finish event) or before the end.

// At the boundary before event next_event (or before the end): 0 to go on, MOCKLLM_STREAM_WAIT
// at a pause point (held is then set), MOCKLLM_STREAM_RESET at the reset point.
static int
s_boundary(mockllm_stream_t *self, int64_t now_us)
{
    const mockllm_directive_t *o = &self->script.opts;
    bool at_hold = o->hold && !self->hold_done && self->units_sent >= o->hold;
    bool at_stall =
        o->fault == MOCKLLM_FAULT_STALL && !self->stall_done && self->units_sent >= o->fault_units;
    if (at_hold || at_stall) {
        if (!self->held) {
            self->held = true;
            self->held_since_us = now_us;
        }
        self->due_us = INT64_MAX;
        return MOCKLLM_STREAM_WAIT;
    }
    if (o->fault == MOCKLLM_FAULT_RESET && self->units_sent >= o->fault_units)
        return MOCKLLM_STREAM_RESET;
    return 0;
}

// Whether pacing lets event next_event leave at now_us; if not, sets due_us.
static bool
s_paced_ready(mockllm_stream_t *self, int64_t now_us)
{
    // Only events that carry content are paced; each is due when its first unit is.
    const mockllm_event_t *ev = &self->events.items[self->next_event];
    if (ev->units == self->units_sent || self->cfg.rate <= 0)
        return true;
    int64_t ahead = (int64_t)self->units_sent - (int64_t)self->pace_base_unit;
    int64_t due = self->pace_base_us + ahead * 1000000 / self->cfg.rate;
    if (now_us < due) {
        self->due_us = due;
        return false;
    }
    return true;
}

// Hand out the end of the body: the last chunk; nothing without chunks (the close ends it).
// Returns 0 or SL_ETOOBIG (out unchanged, not ended).
static int
s_end(mockllm_stream_t *self, sl_buf_t *out)
{
    if (self->cfg.chunked && mockllm_http_chunk(out, NULL, 0) != 0)
        return SL_ETOOBIG;
    self->ended = true;
    return 0;
}

// Render the next event, framed, onto dst; the event's own bytes (what split may cut) are
// *payload_len bytes at *payload_at. Returns 0 or SL_ETOOBIG (dst unchanged, nothing consumed).
static int
s_render(mockllm_stream_t *self, sl_buf_t *dst, size_t *payload_at, size_t *payload_len)
{
    sl_buf_reset(&self->scratch);
    const mockllm_event_t *ev = &self->events.items[self->next_event];
    int rc = self->fmt->render(&self->script, self->cfg.created_s, ev, &self->scratch);
    if (rc)
        return rc;
    size_t len = self->scratch.len;
    size_t header = self->cfg.chunked ? mockllm_http_chunk_header_len(len) : 0;
    size_t trailer = self->cfg.chunked ? 2 : 0; // the CRLF after the chunk's data
    if (header + len + trailer > dst->max_len - dst->len)
        return SL_ETOOBIG; // checked first: the appends below cannot fail half-way
    *payload_at = dst->len + header;
    *payload_len = len;
    if (self->cfg.chunked) {
        (void)mockllm_http_chunk(dst, sl_buf_str(&self->scratch), len);
    } else {
        (void)sl_buf_append(dst, sl_buf_str(&self->scratch), len);
    }
    self->units_sent = ev->units;
    self->next_event++;
    return 0;
}

// Hand out the next piece of the split event.
static int
s_next_piece(mockllm_stream_t *self, int64_t now_us, sl_buf_t *out)
{
    if (now_us < self->due_us)
        return MOCKLLM_STREAM_WAIT;
    size_t end = self->cut_i < self->n_cuts ? self->cuts[self->cut_i++] : self->event.len;
    if (sl_buf_append(out, self->event.data + self->event_pos, end - self->event_pos) != 0)
        return SL_ETOOBIG;
    self->event_pos = end;
    if (self->event_pos < self->event.len)
        self->due_us = now_us + MOCKLLM_STREAM_SPLIT_GAP_US;
    return MOCKLLM_STREAM_MORE;
}

mockllm_stream_t *
mockllm_stream_new(const mockllm_format_t *fmt,
                   mockllm_script_t *script,
                   const mockllm_stream_cfg_t *cfg,
                   int64_t now_us)
{
    mockllm_stream_t *self = sl_xcalloc(1, sizeof *self);
    self->fmt = fmt;
    self->script = *script;
    memset(script, 0, sizeof *script);
    self->cfg = *cfg;
    if (mockllm_format_layout(fmt, &self->script, &self->events) != 0) {
        mockllm_stream_destroy(&self); // more events than any request can ask for
        return NULL;
    }
    self->pace_base_us = now_us;
    self->due_us = now_us;
    sl_buf_init(&self->scratch, MOCKLLM_STREAM_EVENT_MAX);
    sl_buf_init(&self->event, MOCKLLM_STREAM_EVENT_MAX + 64); // + chunk framing
    mockllm_rng_seed(&self->rng, cfg->cut_seed);
    return self;
}

void
mockllm_stream_destroy(mockllm_stream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mockllm_stream_t *self = *self_p;
    mockllm_script_destroy(&self->script);
    mockllm_events_free(&self->events);
    sl_buf_free(&self->scratch);
    sl_buf_free(&self->event);
    free(self);
    *self_p = NULL;
}

int
mockllm_stream_next(mockllm_stream_t *self, int64_t now_us, sl_buf_t *out)
{
    if (self->event_pos < self->event.len)
        return s_next_piece(self, now_us, out);
    if (self->ended)
        return MOCKLLM_STREAM_DONE;
    int rc = s_boundary(self, now_us);
    if (rc)
        return rc;
    if (self->next_event == self->events.n) {
        if (!self->cfg.chunked) {
            self->ended = true; // nothing to hand out: the close ends the body
            return MOCKLLM_STREAM_DONE;
        }
        rc = s_end(self, out);
        return rc ? rc : MOCKLLM_STREAM_MORE;
    }
    if (!s_paced_ready(self, now_us))
        return MOCKLLM_STREAM_WAIT;
    size_t at, len;
    if (self->script.opts.split) {
        sl_buf_reset(&self->event);
        rc = s_render(self, &self->event, &at, &len);
        if (rc)
            return rc;
        self->n_cuts = mockllm_split_cuts(self->event.data + at, len, &self->rng, self->cuts,
                                          MOCKLLM_SPLIT_MAX_CUTS);
        for (size_t i = 0; i < self->n_cuts; i++)
            self->cuts[i] += at;
        self->cut_i = 0;
        self->event_pos = 0;
        self->due_us = now_us;
        return s_next_piece(self, now_us, out);
    }
    // Unsplit: every event that is ready now, up to a batch, in one go, and the end with them.
    rc = s_render(self, out, &at, &len);
    if (rc)
        return rc;
    while (out->len < MOCKLLM_STREAM_BATCH_BYTES && s_boundary(self, now_us) == 0) {
        if (self->next_event == self->events.n) {
            (void)s_end(self, out); // fails only when out is full: then on the next call
            break;
        }
        if (!s_paced_ready(self, now_us) || s_render(self, out, &at, &len) != 0)
            break; // not due yet, or out is full: the event goes out on the next call
    }
    return MOCKLLM_STREAM_MORE;
}

int64_t
mockllm_stream_due_us(const mockllm_stream_t *self)
{
    return self->held ? INT64_MAX : self->due_us;
}

bool
mockllm_stream_is_held(const mockllm_stream_t *self)
{
    return self->held;
}

int64_t
mockllm_stream_held_since_us(const mockllm_stream_t *self)
{
    return self->held_since_us;
}

bool
mockllm_stream_release(mockllm_stream_t *self, int64_t now_us)
{
    if (!self->held)
        return false;
    const mockllm_directive_t *o = &self->script.opts;
    self->held = false;
    // Both points may be here at once: the hold is released first, then the stall.
    if (o->hold && !self->hold_done && self->units_sent >= o->hold)
        self->hold_done = true;
    else
        self->stall_done = true;
    self->pace_base_us = now_us;
    self->pace_base_unit = self->units_sent;
    self->due_us = now_us;
    return true;
}

const mockllm_script_t *
mockllm_stream_script(const mockllm_stream_t *self)
{
    return &self->script;
}
