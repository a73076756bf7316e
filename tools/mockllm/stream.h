// stream.h - one streamed response as it unfolds in time: which bytes may leave, and when.
//
// The format lays the script out as events and renders each; the stream decides when each may
// go (rate: content unit k, a text token or an argument fragment, is due at start + k/rate),
// stops at the hold= and stall= points until released (sending nothing meanwhile, keepalives
// included), says when the reset= point is reached, frames events as HTTP/1.1 chunks
// (or raw bytes for HTTP/1.0), and with split=1 hands each event out in pieces cut by
// split.h, MOCKLLM_STREAM_SPLIT_GAP_US apart. The points "after K content units" lie between
// events, or before the end of the body (the last chunk) when K is every unit; a K above the
// units of the answer is never reached. malformed= and error_event= are events of the layout
// (format.h). It does no I/O and reads no clock: the caller passes the time, so tests drive it
// with made-up times. Not thread-safe; one per response.
#ifndef MOCKLLM_STREAM_H
#define MOCKLLM_STREAM_H
#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "script.h"
#include "sl/buf.h"

#define MOCKLLM_STREAM_SPLIT_GAP_US 2000        // between the pieces of a split event
#define MOCKLLM_STREAM_BATCH_BYTES  (16u << 10) // unsplit events ready at once, per call
#define MOCKLLM_STREAM_EVENT_MAX    (1u << 20)  // one rendered event

typedef struct mockllm_stream mockllm_stream_t; // opaque

typedef struct {
    int64_t rate;      // content units per second; 0 = as fast as the client reads
    uint64_t cut_seed; // seeds the split cut points
    bool chunked;      // frame as HTTP/1.1 chunks, ending with the last chunk; else raw bytes
    int64_t created_s; // wall-clock second every chunk carries
} mockllm_stream_cfg_t;

// What mockllm_stream_next did.
typedef enum {
    MOCKLLM_STREAM_MORE = 1,  // bytes were appended: write them all, then call again
    MOCKLLM_STREAM_WAIT = 2,  // nothing may leave before mockllm_stream_due_us
    MOCKLLM_STREAM_DONE = 3,  // the whole response has been handed out
    MOCKLLM_STREAM_RESET = 4, // the reset= point: all before it was handed out; reset the TCP
                              // connection once it is written, and call no more
} mockllm_stream_step_t;

// New stream of script in format fmt (borrowed: a static format table), starting at now_us
// (monotonic). Takes what script owns and zeroes it, success or not. Caller owns the result;
// NULL when the script has more events than MOCKLLM_EVENT_MAX (no request can ask for that).
mockllm_stream_t *mockllm_stream_new(const mockllm_format_t *fmt,
                                     mockllm_script_t *script,
                                     const mockllm_stream_cfg_t *cfg,
                                     int64_t now_us);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void mockllm_stream_destroy(mockllm_stream_t **self_p);
// Append to out what may leave at now_us. Returns a mockllm_stream_step_t, or SL_ETOOBIG when
// out cannot take the next event (out unchanged; the response cannot go on). With split=1 each
// MORE is exactly one piece: the caller must write it (one send()) before calling again.
int mockllm_stream_next(mockllm_stream_t *self, int64_t now_us, sl_buf_t *out);
// After WAIT: the monotonic time the next bytes are due; INT64_MAX while held.
int64_t mockllm_stream_due_us(const mockllm_stream_t *self);
// True while the stream waits at its hold= or stall= point for a release.
bool mockllm_stream_is_held(const mockllm_stream_t *self);
// When the current hold began (monotonic); meaningful only while held.
int64_t mockllm_stream_held_since_us(const mockllm_stream_t *self);
// Release a held stream at now_us: pacing restarts from now, so held units do not burst out
// to catch up. Returns true when it was held; false (and no change) otherwise. A stream holds
// at most once at each point; when hold= and stall= fall on the same point, the first release
// passes the hold and the stream stops again for the stall.
bool mockllm_stream_release(mockllm_stream_t *self, int64_t now_us);
// The script being streamed. Borrowed from self.
const mockllm_script_t *mockllm_stream_script(const mockllm_stream_t *self);

#endif
