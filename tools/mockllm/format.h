// format.h - one provider wire format the mock speaks, and the table of all of them.
//
// script.c decides what to say; a format module (openai.c, anthropic.c, gemini.c, cohere.c,
// ollama.c) decides how: which paths it serves, how its request reads, which events a stream
// is made of, how each event, a one-shot response and an error look on the wire. server.c
// knows nothing of any format: it routes a path to its format and paces, splits and holds
// whatever events the format renders. Renderers are pure (no I/O, no clock: the caller passes
// "created"), so unit tests call them. Not thread-safe only in that the request readers use
// cJSON's global error pointer.
#ifndef MOCKLLM_FORMAT_H
#define MOCKLLM_FORMAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "script.h"
#include "sl/buf.h"
#include "vocab.h"

// An error reply, before the format gives it its shape. Pointers are borrowed.
typedef struct {
    int status;              // HTTP status, e.g. 400
    const char *type;        // e.g. "invalid_request_error"; NULL: the format's type for status
    const char *code;        // machine-readable code (OpenAI's "code"), or NULL for JSON null
    const char *message;     // human-readable; names the problem
    const char *retry_delay; // Gemini 429: RetryInfo's retryDelay, e.g. "1.500s"; NULL: "1s"
} mockllm_format_error_t;

// A request as a format's reader sees it. Pointers are borrowed.
typedef struct {
    const char *path;  // the request target without its query, e.g. "/v1/messages"
    const char *query; // what followed '?', "" when nothing did
    const char *body;  // len bytes, need not be NUL-terminated
    size_t len;
    mockllm_vocab_t vocab; // the words of the text: the server's --vocabulary (zero: stress)
} mockllm_format_req_t;

// Shown so each format module defines its instance as a constant.
typedef struct {
    const char *name;   // "openai", "anthropic", "gemini", "cohere", "ollama"
    const char *path;   // its main endpoint (with its query), e.g. "/v1/chat/completions"
    const char *family; // path prefix whose unknown paths get this format's error shape
    // True when the format serves POST path (without query).
    bool (*serves)(const char *path);
    // Plan the script for a request. out is overwritten; on failure it is left empty and err
    // says why. Returns 0; SL_EPROTO when the body is not JSON; SL_EINVAL when it is not a
    // valid request (err then starts with MOCKLLM_DIRECTIVE_ERR for a bad directive).
    int (*plan)(const mockllm_format_req_t *req, mockllm_script_t *out, char *err, size_t size);
    // Content-Type of the 200 answer to script (a stream or a one-shot response). Static.
    const char *(*content_type)(const mockllm_script_t *script);
    // Append the events of script's stream, terminator included, to events (initialised by the
    // caller; its pings flag says whether keepalives go between events). Returns 0 or
    // SL_ETOOBIG.
    int (*layout)(const mockllm_script_t *script, mockllm_events_t *events);
    // Append event ev (from layout) with its line ends to out. created_s is the response's
    // wall-clock second. Besides the format's own kinds and MOCKLLM_EVENT_PING, every format
    // renders MOCKLLM_EVENT_MALFORMED (an event its framing carries but whose JSON is broken)
    // and MOCKLLM_EVENT_ERROR (its in-stream error), each the last event of its stream.
    // Returns 0 or SL_ETOOBIG (out's cap; out unchanged).
    int (*render)(const mockllm_script_t *script,
                  int64_t created_s,
                  const mockllm_event_t *ev,
                  sl_buf_t *out);
    // Append the one-shot (non-stream) response body. Returns 0 or SL_ETOOBIG.
    int (*response)(const mockllm_script_t *script, int64_t created_s, sl_buf_t *out);
    // Append the error body in this format's shape. Returns 0 or SL_ETOOBIG.
    int (*error)(const mockllm_format_error_t *error, sl_buf_t *out);
} mockllm_format_t;

// Every format, in routing order; NULL-terminated. Static.
extern const mockllm_format_t *const mockllm_formats[];

// The format serving POST path, or NULL.
const mockllm_format_t *mockllm_format_for_path(const char *path);
// The format whose family path belongs to (OpenAI when no other claims it): whose error shape
// a 404 or 405 on that path takes. Never NULL.
const mockllm_format_t *mockllm_format_for_family(const char *path);
// The format called name, or NULL.
const mockllm_format_t *mockllm_format_by_name(const char *name);
// Plan with fmt from a path that may hold a query ("...?alt=sse"), with the stress vocabulary
// (what a server started without --vocabulary says). Same contract as plan.
int mockllm_format_plan(const mockllm_format_t *fmt,
                        const char *path_and_query,
                        const char *body,
                        size_t len,
                        mockllm_script_t *out,
                        char *err,
                        size_t err_size);
// mockllm_format_plan with the text drawn from vocab.
int mockllm_format_plan_vocab(const mockllm_format_t *fmt,
                              const char *path_and_query,
                              const char *body,
                              size_t len,
                              mockllm_vocab_t vocab,
                              mockllm_script_t *out,
                              char *err,
                              size_t err_size);
// Lay out script's stream in fmt (keepalives when the directive asks for pings; with
// malformed=K or error_event=K, the list ends with that event once K content units are out, as
// mockllm_events_fault places it). events is initialised here; free it with
// mockllm_events_free. Returns 0 or SL_ETOOBIG.
int mockllm_format_layout(const mockllm_format_t *fmt,
                          const mockllm_script_t *script,
                          mockllm_events_t *events);
// Append every event of script's stream, as the server sends it before HTTP framing. Tests
// compare what they receive with this. Returns 0 or SL_ETOOBIG (out unchanged).
int mockllm_format_stream(const mockllm_format_t *fmt,
                          const mockllm_script_t *script,
                          int64_t created_s,
                          sl_buf_t *out);

#endif
