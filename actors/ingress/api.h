// api.h - a client API's dialect: how its requests are validated and normalized, and how
// its streams and whole responses are written. One module per API (openai.c, anthropic.c),
// each exporting one ingress_api_t; ingress.c picks one by URL.
//
// The ingress's client state machine (client.c) drives these; they only format. A stream's
// per-response state (ids, open content blocks ...) lives behind `void *state`. Every
// writer appends whole events to out or nothing (SL_ETOOBIG when out's cap is reached).
// Not thread-safe.
#ifndef INGRESS_API_H
#define INGRESS_API_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "sl/buf.h"
#include "sl/wire.h"

// A validated client request.
typedef struct {
    char *model;        // owned; the alias the client asked for
    bool stream;        // the client asked for SSE
    bool include_usage; // usage in the stream (OpenAI asks; Anthropic always has it)
    char *body;         // owned (malloc); normalized request JSON (docs/protocol.md)
    size_t body_len;
    // The Responses API only (responses_request.h), else NULL/false:
    char *context; // owned (malloc); what a stored response keeps of its request, or NULL
    size_t context_len;
    char *previous_id; // owned; the stream id of previous_response_id, or NULL
    bool background;   // runs on without its client; answered at once when not streamed
    bool store;        // the context is stored with the stream (GET, previous_response_id)
} ingress_request_t;

void ingress_request_free(ingress_request_t *self);

// How a response ended, for the writers.
typedef struct {
    const char *finish_reason; // sluice's vocabulary: stop, length, tool_calls, content_filter,
                               // stop_sequence
    uint32_t prompt_tokens;
    uint32_t completion_tokens;
} ingress_end_t;

typedef struct {
    const char *name; // "openai", "anthropic"
    sl_api_t api;
    // Validate a request body. 0 and out filled (caller frees), or SL_EINVAL with err saying
    // what is wrong and *param naming the field (or NULL).
    int (*parse)(const char *body,
                 size_t len,
                 ingress_request_t *out,
                 char *err,
                 size_t err_size,
                 const char **param);
    // Per-response state for request req_id asking for model. Caller owns the result.
    void *(*state_new)(const char *req_id, const char *model, int64_t created_s);
    // Optional (NULL): give the state its stored request (context, JSON; empty for none) and
    // the last event number a resuming client has (its events up to it are not written again;
    // -1 for none).
    void (*resume)(void *state, sl_str_t context, int64_t starting_after);
    void (*state_destroy)(void **state_p);
    // Streams: once before the first delta; per delta (index is its index in the stream, sent
    // as the event's SSE `id:` so a client can resume after it); at a clean end (with usage when
    // include_usage); or an error event that ends the stream. status is the HTTP status the
    // failure would have had before the first byte (APIs that type errors by status use it).
    // begin's prompt_tokens is the upstream's input count when it was known before the first
    // delta, else 0.
    int (*begin)(void *state, sl_buf_t *out, uint32_t prompt_tokens);
    int (*delta)(void *state, sl_buf_t *out, uint64_t index, const sl_delta_t *delta);
    int (*end)(void *state, sl_buf_t *out, const ingress_end_t *end, bool include_usage);
    int (*error_event)(
        void *state, sl_buf_t *out, unsigned status, const char *type, const char *message);
    // Whole responses: an error body for HTTP status (type is sluice's or the upstream's
    // error type; an API with its own vocabulary maps status instead), or the complete answer.
    int (*error_body)(
        sl_buf_t *out, unsigned status, const char *type, const char *message, const char *param);
    int (*response)(void *state,
                    sl_buf_t *out,
                    const ingress_answer_t *answer,
                    const ingress_end_t *end);
    // Written to an idle stream now and then; parsers must ignore it.
    const char *keepalive;
} ingress_api_t;

extern const ingress_api_t ingress_openai_api;    // POST /v1/chat/completions (openai.c)
extern const ingress_api_t ingress_anthropic_api; // POST /v1/messages (anthropic.c)
extern const ingress_api_t ingress_responses_api; // POST /v1/responses (responses.c)

#endif
