// openai.h - the OpenAI Chat Completions API as sluice's clients see it: request
// validation and normalization, and the exact output the official SDKs expect
// (docs/providers.md §OpenAI and §Client SDKs).
//
// Output is written from templates with one JSON string escaper (sl_buf_append_json_str),
// not built as a tree and printed: this runs for every token. Streams carry no `event:` and
// no `id:` lines (openai-python breaks on a blank line after an id; §Client SDKs). Pure; not
// thread-safe.
#ifndef INGRESS_OPENAI_H
#define INGRESS_OPENAI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "sl/buf.h"
#include "sl/config.h"
#include "sl/wire.h"

// What every chunk of one response repeats. Shown so clients embed it.
typedef struct {
    char id[64];     // "chatcmpl-<request id>"
    char *model;     // owned; the alias, echoed in whole responses
    int64_t created; // Unix seconds, the same on every chunk
    sl_buf_t prefix; // owned; `data: {"id":...,"model":...,"choices":[` for chunk templates
    bool role_sent;  // the stream's role chunk is out (it goes with the first delta)
} ingress_openai_ctx_t;

// Validate a Chat Completions body. Returns 0 and fills out (caller frees with
// ingress_request_free), or SL_EINVAL with err describing the problem and *param naming the
// offending field (for OpenAI's error "param"), or NULL. Refused besides a body that is not a
// JSON object with a model and messages: bytes that are not UTF-8 (ingress_openai_utf8_check),
// `n` other than 1 (one choice is all sluice streams) and image_url parts that are malformed or
// outside a user message (ingress_image_check_chat). The normalized body keeps
// max_tokens and max_completion_tokens as the client sent them (docs/protocol.md).
int ingress_openai_parse(const char *body,
                         size_t len,
                         ingress_request_t *out,
                         char *err,
                         size_t err_size,
                         const char **param);

// Check that body is UTF-8, as JSON must be (RFC 8259) and as the upstreams' APIs refuse it
// otherwise: well-formed per RFC 3629, so no overlong forms, surrogates or code points past
// U+10FFFF. Returns 0, or SL_EINVAL with err naming the first bad byte and its offset. Both
// client APIs use it (anthropic_request.c too). Thread-safe.
int ingress_openai_utf8_check(const char *body, size_t len, char *err, size_t err_size);

void ingress_openai_ctx_init(ingress_openai_ctx_t *ctx,
                             const char *req_id,
                             const char *model,
                             int64_t created);
void ingress_openai_ctx_free(ingress_openai_ctx_t *ctx);

// Streaming output. Each appends complete SSE events to out; SL_ETOOBIG when out's cap is
// reached (nothing appended). The role chunk's content is "" before text and null before a
// tool call, as OpenAI sends it. A delta's chunk carries `id: <index>`, the delta's index in the
// stream, so a client can resume after it (Last-Event-ID).
int ingress_openai_chunk_role(sl_buf_t *out, const ingress_openai_ctx_t *ctx, bool content_null);
int ingress_openai_chunk_delta(sl_buf_t *out,
                               const ingress_openai_ctx_t *ctx,
                               uint64_t index,
                               const sl_delta_t *d);
int ingress_openai_chunk_finish(sl_buf_t *out,
                                const ingress_openai_ctx_t *ctx,
                                const char *finish_reason);
int ingress_openai_chunk_usage(sl_buf_t *out,
                               const ingress_openai_ctx_t *ctx,
                               uint32_t prompt_tokens,
                               uint32_t completion_tokens);
int ingress_openai_done(sl_buf_t *out);
// GET /v1/models: the list object with one model per alias. 0 or SL_ETOOBIG (out unchanged).
int ingress_openai_models(sl_buf_t *out, const sl_route_cfg_t *routes, size_t n);
// A mid-stream error event: {"error":{...}}. The API's error_event adds [DONE] after it.
int ingress_openai_error_event(sl_buf_t *out, const char *type, const char *message);

// An error response body: {"error":{"message","type","param","code"}}.
int ingress_openai_error_body(
    sl_buf_t *out, const char *type, const char *message, const char *param, const char *code);
// A non-streaming chat.completion body: text, tool calls, finish reason and usage.
int ingress_openai_completion(sl_buf_t *out,
                              const ingress_openai_ctx_t *ctx,
                              const char *model,
                              const ingress_answer_t *answer,
                              const ingress_end_t *end);
// sluice's finish reason in OpenAI's vocabulary (stop_sequence is OpenAI's stop).
const char *ingress_openai_finish(const char *finish_reason);

#endif
