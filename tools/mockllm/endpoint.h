// endpoint.h - what the mock answers: the format endpoints, POST /mock/script, and errors in
// the shape of whichever format a path belongs to.
//
// The server owns connections and the endpoints that need them (GET /healthz, POST
// /mock/release); everything else is decided here, without sockets, so tests call it directly:
//   POST <a format's path>  plan the script; 400 in the format's error shape for bad JSON, a bad
//                           request or a bad directive (OpenAI codes invalid_json,
//                           invalid_request, invalid_mock_directive); with a ledger, note it
//                           there (fail=K: past K requests of its key, its faults are dropped);
//                           and log the attempt (the answer's attempt is its id); a
//                           fail_model= naming another model than the request's serves it
//                           plainly (and leaves fail= alone);
//                           status=NNN in the directive answers NNN in the format's shape with
//                           retry_after= / retry_after_ms= as headers (429 without them:
//                           "retry-after: 1"); else a stream (the server runs it) or a one-shot
//                           response. first_byte_ms=, and reset= / stall= at 0 or on a
//                           one-shot answer, are left to the server in the answer's fields
//   GET  /mock/requests     with a ledger: mockllm_ledger_json; ?seed=S:
//                           mockllm_ledger_seed_json, the planned requests whose script seed is
//                           S and the attempts logged for it (400 for a bad S)
//   POST /mock/reset        with a ledger: forget every count; {"reset":n}, n the fail=
//                           counters dropped
//   POST /mock/script       {"format":"openai|anthropic|gemini|cohere|ollama","path":"...",
//                           "request":{...}} -> 200 and mockllm_script_json of the script that
//                           POST path (default: the format's main path) with that body would
//                           get (in the same vocabulary); errors in OpenAI's shape
//   anything else           404 (405 with Allow for a known path and another method) in the
//                           shape of the path's format family (/v1/messages*: Anthropic,
//                           /v1beta/*: Gemini, /v2/*: Cohere, /api/*: Ollama, else OpenAI)
// Not thread-safe (the request readers use cJSON's global error pointer).
#ifndef MOCKLLM_ENDPOINT_H
#define MOCKLLM_ENDPOINT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "ledger.h"
#include "script.h"
#include "sl/buf.h"
#include "vocab.h"

#define MOCKLLM_ENDPOINT_BODY_MAX  (32u * 1024 * 1024 - 4096) // a one-shot body; head fits after
#define MOCKLLM_ENDPOINT_EXTRA_MAX 128                        // extra header bytes

// An answer. Shown so the server keeps it on the stack.
typedef struct {
    int status;                             // HTTP status
    const char *content_type;               // static
    sl_buf_t body;                          // owned; the whole body (empty for a stream)
    char extra[MOCKLLM_ENDPOINT_EXTRA_MAX]; // more header lines, each ending in CRLF
    bool stream;                            // start a stream of script in fmt
    const mockllm_format_t *fmt;            // borrowed (static); the stream's format
    mockllm_script_t script;                // owned; the stream's script, to be taken
    int64_t first_byte_ms;                  // send nothing for this long (first_byte_ms=)
    bool stall;                             // send nothing until POST /mock/release (stall=)
    bool reset;                             // reset the connection instead of answering (reset=)
    uint64_t attempt;                       // the ledger's id of this request; 0: not logged
} mockllm_endpoint_answer_t;

// Answer a request as the server does: method and path (without query) and query from its head,
// len body bytes; every script's text is drawn from vocab. ledger (borrowed; NULL for none) counts
// fail= keys and seeds, logs attempts and serves /mock/requests and /mock/reset; without one, fail=
// is never used up (every request gets the faults) and those two paths are 404. now_wall_us is the
// wall clock: the attempt's time in the log, and the second a one-shot response carries. out is
// overwritten; free it with mockllm_endpoint_answer_free.
void mockllm_endpoint_serve(mockllm_ledger_t *ledger,
                            mockllm_vocab_t vocab,
                            const char *method,
                            const char *path,
                            const char *query,
                            const char *body,
                            size_t len,
                            int64_t now_wall_us,
                            mockllm_endpoint_answer_t *out);
// mockllm_endpoint_serve without a ledger, in the stress vocabulary: a pure function of the
// request.
void mockllm_endpoint_answer(const char *method,
                             const char *path,
                             const char *query,
                             const char *body,
                             size_t len,
                             int64_t created_s,
                             mockllm_endpoint_answer_t *out);
// An error answer in the shape of path's format family. code: OpenAI's machine-readable code
// or NULL. out is overwritten; free it with mockllm_endpoint_answer_free.
void mockllm_endpoint_error(const char *path,
                            int status,
                            const char *code,
                            const char *message,
                            mockllm_endpoint_answer_t *out);
// Free what self owns (the body, a script not taken). Safe to call twice.
void mockllm_endpoint_answer_free(mockllm_endpoint_answer_t *self);

#endif
