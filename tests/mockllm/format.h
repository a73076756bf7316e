// format.h - one provider wire format the mock speaks: how a script is said on the wire.
//
// script.c decides what to say; a format module (openai.c today; anthropic.c, gemini.c,
// cohere.c, ollama.c later) decides how: the endpoint, the request reader, the event sequence of
// a stream, the one-shot response and the error body. server.c knows nothing of any format: it
// routes a path to its format and paces, splits and holds whatever events the format renders.
// Renderers are pure (no I/O, no clock: the caller passes "created"), so unit tests call them.
// Not thread-safe only in that the request readers use cJSON's global error pointer.
#ifndef MOCKLLM_FORMAT_H
#define MOCKLLM_FORMAT_H
#include <stddef.h>
#include <stdint.h>

#include "script.h"
#include "sl/buf.h"

// An error reply, before the format gives it its shape. Pointers are borrowed.
typedef struct {
    int status;          // HTTP status, e.g. 400
    const char *type;    // e.g. "invalid_request_error"
    const char *code;    // machine-readable code, or NULL for JSON null
    const char *message; // human-readable; names the problem
} mockllm_format_error_t;

// Shown so each format module defines its instance as a constant.
typedef struct {
    const char *name; // "openai"
    const char *path; // the POST endpoint it serves, e.g. "/v1/chat/completions"
    // Plan the script for a request body; same contract as mockllm_script_from_request.
    int (*plan)(const char *body, size_t len, mockllm_script_t *out, char *err, size_t err_size);
    // Content-Type of a stream (events) and of a one-shot response.
    const char *stream_content_type;
    const char *response_content_type;
    // Events in the stream of script, terminator included.
    size_t (*stream_events)(const mockllm_script_t *script);
    // Index of the content token event i carries, or -1 for framing events (role, finish,
    // usage, terminator). Pacing and hold count only content tokens.
    int64_t (*event_token)(const mockllm_script_t *script, size_t i);
    // Append event i (0 <= i < stream_events) with its line ends to out. created_s is the
    // response's wall-clock second. Returns 0, SL_ETOOBIG (out's cap; out unchanged) or
    // SL_EINVAL when i is out of range.
    int (*stream_event)(const mockllm_script_t *script, int64_t created_s, size_t i, sl_buf_t *out);
    // Append the one-shot (non-stream) response body. Returns 0 or SL_ETOOBIG.
    int (*response)(const mockllm_script_t *script, int64_t created_s, sl_buf_t *out);
    // Append the error body in this format's shape. Returns 0 or SL_ETOOBIG.
    int (*error)(const mockllm_format_error_t *error, sl_buf_t *out);
} mockllm_format_t;

#endif
