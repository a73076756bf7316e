// client.h - one HTTP request in the ingress, from its body to its last byte of output.
//
// A client applies what the other processes say about its request (TOKENS and END from the
// builder, REJECT from the broker, RECORD from persistence) and the passing of time, and turns
// them into the output its API expects: a stream of SSE chunks, or one JSON response. It is
// the one owner of a request's state machine; it knows nothing of sockets or libmicrohttpd:
// the actor sends what the client says to send, queues the response the client decides on and
// feeds MHD from ingress_client_read. Time comes from the injected clock. Not thread-safe.
//
// States (ingress_client_state_t) and how they move:
//
//   READING ──accept──▶ WAITING ──TOKENS──▶ STREAMING (stream: 200 decided, SSE flows)
//      │                   │    └─TOKENS──▶ COLLECTING (whole answer: status still open)
//      │                   └─END/REJECT/deadline/gap──▶ RESPOND
//      ├──query──▶ QUERYING ──RECORD/liveness──▶ RESPOND
//      └──bad body, fail, respond──▶ RESPOND
//   COLLECTING ──END/REJECT/deadline/gap/overflow──▶ RESPOND
//   STREAMING ends in place: `ended` is set once its last event is in the output.
//
// The rules this machine keeps for every request (the crash-consistency invariants of
// docs/architecture.md):
//
// I2 - indices. A client sees strictly increasing, gap-free indices. `tokens` counts the
//   deltas the client has taken (the next index it expects). TOKENS with first_index f and n
//   deltas:
//     f + n <= tokens  a duplicate (a restarted builder delivers again from an earlier index):
//                      ignored, and it is no sign of progress;
//     f <  tokens      an overlap: the first tokens - f deltas are skipped, the rest taken;
//     f >  tokens      a gap: indices tokens .. f-1 were lost. The request ends at once with
//                      an error that names them and says the stream is stored whole at
//                      /v1/streams/<id>: an error event when streaming, 502 while the status
//                      is still open (WAITING, COLLECTING). Never a finish reason or
//                      message_stop (OpenAI's error event is followed by [DONE]).
//   END without an error class must have count == tokens; otherwise the client missed tokens
//   and gets the same kind of error, not a clean finish. A whole (non-streaming) answer follows
//   the same rules: it is whole or it is an error.
//
// I5 - termination. Every request ends with exactly one terminal event or HTTP response within
//   bounded time, whatever process died or hung (ingress_client_tick, every tick):
//     WAITING     no first message (TOKENS, END, REJECT) within first_token_ms of accept:
//                 504, the API's error body (timeout), and the actor CANCELs the request;
//     STREAMING,  no message that moves the stream on for stream_idle_ms, or more than
//     COLLECTING  total_ms + stream_idle_ms since accept: an error event (STREAMING) or 504
//                 (COLLECTING), and a CANCEL;
//     QUERYING    no RECORD within query_liveness_ms of the later of the QUERY and the last
//                 word from persistence, or within first_token_ms at all: 503.
//   Keepalives to the client are output, not messages: they never hold a deadline off. After
//   RESPOND, or once `ended`, every message is ignored: one terminal event only.
#ifndef INGRESS_CLIENT_H
#define INGRESS_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/wire.h"

// How long ingress_client_await waits; the supervisor answers within milliseconds.
#define INGRESS_CLIENT_AWAIT_MS 5000

typedef enum {
    INGRESS_CLIENT_READING,    // the body is still arriving
    INGRESS_CLIENT_WAITING,    // submitted; nothing back yet, so the status is not known
    INGRESS_CLIENT_COLLECTING, // non-streaming: tokens arrive, the status is still open
    INGRESS_CLIENT_STREAMING,  // 200 decided; SSE output flows through ingress_client_read
    INGRESS_CLIENT_QUERYING,   // GET /v1/streams/<id>: waiting for persistence's RECORD
    INGRESS_CLIENT_RESPOND,    // a whole response (status + out) is ready to queue
} ingress_client_state_t;

// What the actor must do after ingress_client_tick; flags, or'ed.
typedef enum {
    INGRESS_CLIENT_WAKE = 1,   // state or output changed: queue the response or resume
    INGRESS_CLIENT_CANCEL = 2, // a deadline passed: tell the broker to stop the request
} ingress_client_act_t;

// Limits and deadlines of a client; copied by ingress_client_new.
typedef struct {
    size_t max_body_bytes;     // request body cap (413 above it)
    size_t max_out_bytes;      // a stream's unsent output cap (client_too_slow above it)
    int64_t first_token_ms;    // accept -> first message
    int64_t stream_idle_ms;    // longest gap between messages once the first arrived
    int64_t total_ms;          // the request's whole life is bounded by total + stream_idle
    int64_t keepalive_ms;      // a stream with no output this long gets a keepalive
    int64_t query_liveness_ms; // a QUERY waits this long past persistence's last word
    const sl_clock_t *clock;   // borrowed; NULL for the real clock
} ingress_client_cfg_t;

typedef struct ingress_client ingress_client_t; // opaque

// New client speaking api (borrowed, static) with the limits in cfg. Caller owns the result.
ingress_client_t *ingress_client_new(const ingress_api_t *api, const ingress_client_cfg_t *cfg);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void ingress_client_destroy(ingress_client_t **self_p);

// Add len bytes of the request body. SL_ETOOBIG once it passes max_body_bytes: the rest is
// dropped and accept answers 413.
int ingress_client_feed(ingress_client_t *self, const void *data, size_t len);
// Take the request: parse it (errors make a 400 or 413 response). Returns 0 when it should be
// submitted (WAITING from now: the first-token deadline runs), or SL_EINVAL when the
// response is already decided (RESPOND).
int ingress_client_accept(ingress_client_t *self, const char *req_id, int64_t now_wall_ms);
// Fill msg with this request's SUBMIT from ingress (msg borrows from self and ingress until
// the client changes). Returns false when the client no longer waits for its first message:
// then a SUBMIT is pointless (and its body already freed). SUBMIT is idempotent by req_id, so
// the actor sends it again when the broker restarts.
bool ingress_client_submit(const ingress_client_t *self, const char *ingress, sl_msg_t *msg);
// The gateway key the caller presented (its name, copied; at most SL_OWNER_MAX bytes), or NULL
// when sluice has no keys. A submitted request's stream belongs to it, and with a key a caller
// reads only the streams its key started (another's get 404, as unknown ones do).
void ingress_client_set_owner(ingress_client_t *self, const char *owner);
// A Responses request that continues a stored one: its body and context get the stored
// conversation (ingress_responses_continue). 0, or SL_EINVAL with err saying why.
int ingress_client_continue(ingress_client_t *self,
                            sl_str_t prev_context,
                            const ingress_answer_t *prev_output,
                            size_t max_context,
                            char *err,
                            size_t err_size);
// True when a RECORD answers this caller as if the stream did not exist (404): it does not, or
// it is another key's (without keys every stream is the caller's).
bool ingress_client_hidden(const ingress_client_t *self, const sl_msg_t *record);
// The response's Retry-After, for a 429 or 503 sluice decides itself (ms, rounded up to s).
void ingress_client_set_retry_after(ingress_client_t *self, int64_t ms);
// Whether the request's stream runs on when its client disconnects (SL_FLAG_KEEP): then the
// actor does not cancel it. Set before accept; false by default.
void ingress_client_set_keep(ingress_client_t *self, bool keep);
bool ingress_client_keeps(const ingress_client_t *self);
// Start a GET /v1/streams/<id> (id NUL-terminated). 0 when the QUERY should be sent
// (QUERYING from now), SL_EINVAL when id is no stream id (a 404 is decided).
int ingress_client_query(ingress_client_t *self, const char *id);

// Follow a stored stream (GET /v1/streams/<id>/events): its deltas from index from_index on,
// then its end, in the API the stream was started with, as one SSE stream that stands alone
// (its own message_start or role chunk). QUERYING until the first page (the actor sends READ
// from ingress_client_tokens, and again while ingress_client_following); 0, or SL_EINVAL when
// id is no stream id (404 decided). A follower takes live TOKENS and END of the stream too:
// one that skips past what it has makes it `behind` (read the store again), never an error;
// its deadlines end only its own response, never the stream (no CANCEL).
int ingress_client_follow(ingress_client_t *self, const char *id, uint64_t from_index);
// Take a RECORD that answers a follower's READ: the first decides the response (404 for an
// unknown stream or another key's; 200 and the stream's API), each adds its page's deltas,
// and the stored end ends the response once every token is out. True when the actor must
// act (queue or resume).
bool ingress_client_on_page(ingress_client_t *self, const sl_msg_t *record);
// A follower of a stored response (GET /v1/responses/{id}?stream=true), resuming after event
// number starting_after (-1: from the first; its stream is read from index 0 and the events up
// to it are not written again): a stream that is no stored response is 404.
void ingress_client_set_starting_after(ingress_client_t *self, int64_t starting_after);
// True while a follower's response goes on: it wants the next page (or the live tail).
bool ingress_client_following(const ingress_client_t *self);
// True when a live message skipped past what the follower has: the store has what came between.
bool ingress_client_behind(const ingress_client_t *self);

// Wait for an answer from another process that is not a stream (the supervisor's, for
// /admin and /metrics): QUERYING from now, ended by ingress_client_respond, or after
// INGRESS_CLIENT_AWAIT_MS by a 504 that names who (static text) did not answer.
void ingress_client_await(ingress_client_t *self, const char *who);
// Make the whole response an error in the client API's shape; status is the HTTP status.
void ingress_client_fail(ingress_client_t *self,
                         unsigned status,
                         const char *type,
                         const char *message,
                         const char *param);
// Make the whole response status with body (len bytes, copied), as for /healthz. SL_ETOOBIG
// (and a 500 instead) when it is larger than any response may be.
int ingress_client_respond(ingress_client_t *self, unsigned status, const char *body, size_t len);

// Apply messages about this request. Each returns true when the client's state or output
// changed in a way the actor must act on (queue a response or resume the connection).
bool ingress_client_on_tokens(ingress_client_t *self, const sl_msg_t *tokens);
bool ingress_client_on_end(ingress_client_t *self, const sl_msg_t *end);
bool ingress_client_on_reject(ingress_client_t *self, const sl_msg_t *reject);
// The attempt that answered (from the first TOKENS or the END): the x-sluice-attempts
// header. 0 before any, or when the broker answered (REJECT).
uint32_t ingress_client_attempts(const ingress_client_t *self);
// The Retry-After header's seconds for a 429 or 503 response: the upstream's word (through
// END or REJECT) rounded up, at least 1; 0 for any other status (no header).
int64_t ingress_client_retry_after_s(const ingress_client_t *self);
bool ingress_client_on_record(ingress_client_t *self, const sl_msg_t *record);

// Let time pass: the deadlines above, then a keepalive for an idle stream (so proxies keep
// the connection and a client that went away is noticed when the write fails).
// persist_heard_ms is when persistence was last heard from (monotonic; 0 for never). Returns
// INGRESS_CLIENT_* flags, 0 when nothing is to be done.
unsigned ingress_client_tick(ingress_client_t *self, int64_t persist_heard_ms);

// Copy up to max bytes of output not yet handed out into buf and drop them from the client.
// Returns the bytes copied; 0 when nothing is waiting (the stream ends when is_ended too).
size_t ingress_client_read(ingress_client_t *self, char *buf, size_t max);

ingress_client_state_t ingress_client_state(const ingress_client_t *self);
// HTTP status of the response; 0 while it is not decided.
unsigned ingress_client_status(const ingress_client_t *self);
// The request id (submits) or the stream id asked for (queries); "" before either. Borrowed.
const char *ingress_client_req_id(const ingress_client_t *self);
// The request body fed so far (emptied by accept). Borrowed.
const sl_buf_t *ingress_client_body(const ingress_client_t *self);
// Output not yet read: a whole response's body, or a stream's pending events. Borrowed; valid
// until the client changes.
const sl_buf_t *ingress_client_out(const ingress_client_t *self);
// Deltas the client has taken: the next index it expects.
uint64_t ingress_client_tokens(const ingress_client_t *self);
// True once every byte of output is in out (or was read): no more will come.
bool ingress_client_is_ended(const ingress_client_t *self);
// The parsed request (valid after a successful accept; body NULL once the first message
// arrived). Borrowed.
const ingress_request_t *ingress_client_request(const ingress_client_t *self);

// HTTP status for a failed attempt: the upstream's own when it is an error status, else 502.
unsigned ingress_client_error_status(uint32_t status);

#endif
