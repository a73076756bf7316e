// anthropic.h - the Anthropic Messages API as sluice's clients see it: the named SSE events
// and the whole `message` the official SDKs expect (docs/providers.md §Anthropic and §Client
// SDKs). Requests are validated and normalized in anthropic_request.c.
//
// A stream is message_start, then content blocks numbered 0, 1, 2 ... in the order their
// first delta arrives (text -> `text`, reasoning -> `thinking`, each tool call -> `tool_use`),
// each opened by content_block_start and closed by content_block_stop before the next one
// starts, then message_delta (stop reason and usage) and message_stop. Every event has an
// `event:` line naming its data's `type`: the SDKs dispatch on it and drop unnamed events.
//
// Usage is only known at the end (OpenAI-style upstreams report it last), so message_start
// says 0/0 and message_delta carries both input_tokens and output_tokens: the SDKs'
// accumulators (messages.stream().get_final_message() / finalMessage()) replace the snapshot's
// usage with every field message_delta.usage holds, so the final message has the upstream's
// figures.
//
// Thinking blocks start with `"signature":""`, and no signature_delta follows: sluice has no
// signature to give, and the accumulators keep the block's start value, so the final block
// still has every field its type declares.
//
// A fragment of a tool call whose block was already closed (an upstream that interleaves
// parallel calls) goes to that call's own block index: the accumulators index content[index],
// so the call's input still assembles whole and no second block repeats its id.
//
// Output is written from templates with one JSON string escaper, as in openai.c. Pure; not
// thread-safe.
#ifndef INGRESS_ANTHROPIC_H
#define INGRESS_ANTHROPIC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "api.h"
#include "sl/buf.h"
#include "sl/wire.h"

#define INGRESS_ANTHROPIC_NO_BLOCK UINT32_MAX

// One response's stream state. Shown so clients embed it; change it only through the
// functions.
typedef struct {
    char id[64];         // "msg_<request id without dashes>"
    char *model;         // owned; the alias, echoed in message_start and whole responses
    uint8_t open_kind;   // SL_DELTA_* of the open block; meaningless when none is open
    uint32_t open_block; // index of the open block, INGRESS_ANTHROPIC_NO_BLOCK when none
    uint32_t open_tool;  // tool_index of the open block when it is a tool_use
    uint32_t next_block; // index the next block will get
    struct {
        uint32_t tool_index;           // the call's tool_index
        uint32_t block;                // its block index
    } tools[INGRESS_ANSWER_MAX_CALLS]; // every tool call's block so far, in order
    size_t n_tools;
} ingress_anthropic_ctx_t;

void
ingress_anthropic_ctx_init(ingress_anthropic_ctx_t *ctx, const char *req_id, const char *model);
void ingress_anthropic_ctx_free(ingress_anthropic_ctx_t *ctx);

// Streaming output. Each appends complete events to out and updates ctx, or returns
// SL_ETOOBIG when out's cap is reached (out and ctx as they were).
// input_tokens: the upstream's input count when it came before the first delta, else 0.
int ingress_anthropic_message_start(sl_buf_t *out,
                                    const ingress_anthropic_ctx_t *ctx,
                                    uint32_t input_tokens);
// One delta: closes the open block and starts one of the delta's kind when needed. Empty text
// and reasoning write nothing; a tool call's first fragment always starts its block. The
// content_block_delta event carries `id: <index>`, the delta's index in the stream, so a client
// can resume after it (Last-Event-ID); no other event has an id.
int ingress_anthropic_delta(sl_buf_t *out,
                            ingress_anthropic_ctx_t *ctx,
                            uint64_t index,
                            const sl_delta_t *d);
// Close the open block, then message_delta and message_stop.
int ingress_anthropic_end(sl_buf_t *out, ingress_anthropic_ctx_t *ctx, const ingress_end_t *end);
// `event: error`; the stream then ends (no message_stop, as Anthropic does).
int ingress_anthropic_error_event(sl_buf_t *out, const char *type, const char *message);

// An error response body: {"type":"error","error":{"type","message"}}.
int ingress_anthropic_error_body(sl_buf_t *out, const char *type, const char *message);
// A whole `message`: content [thinking] [text] [tool_use ...], stop reason and usage. A tool
// call's input is its arguments when they are one JSON object (copied verbatim), {} when they
// are empty, and {"_raw_arguments": "<the text>"} otherwise (cut off by max_tokens, or a model
// that wrote something else): nothing the model said is lost, and a tool that checks its
// input against its schema rejects it instead of running with made-up empty arguments.
int ingress_anthropic_message(sl_buf_t *out,
                              const ingress_anthropic_ctx_t *ctx,
                              const ingress_answer_t *answer,
                              const ingress_end_t *end);

// Anthropic's error type for an HTTP status (400 invalid_request_error ... 529
// overloaded_error); never NULL.
const char *ingress_anthropic_error_type(unsigned status);
// sluice's finish reason as Anthropic's stop_reason: stop end_turn, length max_tokens,
// tool_calls tool_use, stop_sequence stop_sequence, content_filter refusal, pause pause_turn,
// anything else end_turn. Never NULL.
const char *ingress_anthropic_stop_reason(const char *finish_reason);

#endif
