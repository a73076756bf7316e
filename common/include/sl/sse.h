// sl/sse.h - incremental Server-Sent Events parser (WHATWG HTML, "event stream
// interpretation"), fed bytes as they arrive from the network.
//
// Lines end at CRLF, LF or CR, and a CR at the end of one feed followed by an LF at the start
// of the next is one line end. A leading UTF-8 BOM is dropped. Field handling follows the
// spec: comments (":...") are ignored; "field: value" loses exactly one space after the colon;
// a line without a colon is a field with an empty value; data lines are joined with "\n";
// "id" sets the last event id (ignored when it holds NUL) and sticks across events; "retry"
// and unknown fields are ignored; a blank line dispatches the event if its data buffer is
// non-empty (an event with only "event:" fires nothing). Data pending at end of stream is
// discarded, as the spec says: the caller learns of truncation from its protocol's terminal
// event. Bytes are not UTF-8 decoded: splitting on CR/LF is safe before decoding, and the
// caller's JSON parser sees whole lines. Not thread-safe; one parser per stream.
#ifndef SL_SSE_H
#define SL_SSE_H
#include <stddef.h>

typedef struct sl_sse_parser sl_sse_parser_t; // opaque

// One dispatched event. All pointers are borrowed: valid only during the callback.
// Each string is NUL-terminated at its length; data and event may also hold NUL bytes, so
// use the lengths (an id never holds NUL).
typedef struct {
    const char *event; // event type; "message" when the stream gave none
    size_t event_len;
    const char *data; // data lines joined with "\n", without the final "\n"
    size_t data_len;
    const char *id; // last event id seen so far ("" when none)
    size_t id_len;
} sl_sse_event_t;

// Called once per dispatched event. Return 0 to go on; any other value stops the feed, and
// sl_sse_parser_feed returns that value (the rest of that feed's bytes are not parsed and are
// dropped; the parser stays usable and a later feed goes on from the dispatched event).
typedef int(sl_sse_event_fn)(void *arg, const sl_sse_event_t *event);

// New parser. max_event_bytes caps one line (without its line end) and one event's data (as
// dispatched, without the final "\n"); exactly max_event_bytes is allowed. A real event can
// exceed 1 MB: large tool arguments. Caller owns the result; never NULL.
sl_sse_parser_t *sl_sse_parser_new(size_t max_event_bytes);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_sse_parser_destroy(sl_sse_parser_t **self_p);
// Parse len bytes, calling fn (not NULL) for each event completed by them. data is borrowed
// and may be NULL when len is 0. Events may cross feeds anywhere, even inside a CRLF or a BOM.
// Returns 0; SL_ETOOBIG when a line or an event's data passes the cap (the parser is then
// poisoned: it frees what it held and every later feed returns SL_ETOOBIG too; events before
// the bad line were still dispatched); or fn's non-zero return value.
int sl_sse_parser_feed(
    sl_sse_parser_t *self, const char *data, size_t len, sl_sse_event_fn *fn, void *arg);
// Bytes held for an incomplete line or event (0 at a clean event boundary): the partial line,
// including a partial leading BOM, plus the data buffer as the spec counts it (each data line
// adds its value and "\n") plus the event type. The sticky id is not counted. At end of
// stream, non-zero means the stream ended inside a line or an event. 0 once poisoned.
size_t sl_sse_parser_pending(const sl_sse_parser_t *self);

#endif
