// adapter.h - what a provider kind must do: translate the request, parse the stream as its
// bytes arrive, classify errors. One module per kind (openai.c, ...), found by name.
//
// An adapter never sees sockets or curl: the transfer hands it bytes and gets sluice events
// back through a provider_sink_t, so each adapter is tested by feeding it bytes split at every
// offset. A kind that must choose between framings (Gemini: SSE or one JSON array) tells them
// apart by the body's first bytes, which cannot be confused, so proxies that rewrite the
// Content-Type do not matter. Not thread-safe; one state per upstream stream.
#ifndef PROVIDER_ADAPTER_H
#define PROVIDER_ADAPTER_H
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/config.h"
#include "sl/kinds.h"
#include "sl/wire.h"

#define PROVIDER_MAX_HEADERS 8

// Where a parsed stream's events go. Strings are borrowed for the duration of the call.
typedef struct {
    void *arg;
    void (*delta)(void *arg, const sl_delta_t *delta);
    void (*finish)(void *arg, const char *finish_reason); // OpenAI vocabulary
    void (*usage)(void *arg, uint32_t prompt_tokens, uint32_t completion_tokens);
    // A provider error inside a 200 stream or in an error response.
    void (*error)(void *arg,
                  sl_errclass_t err_class,
                  uint32_t status,
                  const char *error_type,
                  const char *message);
    // How long the provider asks to wait before the next request, when its error body says so
    // (Gemini's RetryInfo retryDelay); HTTP's Retry-After and retry-after-ms headers are read
    // by the transfer itself. Optional: NULL when the caller does not want it.
    void (*retry_after)(void *arg, int64_t ms);
} provider_sink_t;

// An upstream HTTP request. Header values may hold secrets: never log them.
typedef struct {
    sl_buf_t url;                        // owned
    sl_buf_t body;                       // owned
    char *headers[PROVIDER_MAX_HEADERS]; // owned, "Name: value"
    int n_headers;
} provider_request_t;

void provider_request_init(provider_request_t *self);
void provider_request_free(provider_request_t *self);
// Add a header "name: value"; SL_ETOOBIG past PROVIDER_MAX_HEADERS.
int provider_request_header(provider_request_t *self, const char *name, const char *value);

typedef struct {
    const char *kind; // the config's providers[].kind
    // Build the upstream request for the normalized body (docs/protocol.md). api_key may be
    // NULL. Returns 0, or SL_EINVAL with err describing what the body lacks.
    int (*request)(const sl_provider_cfg_t *provider,
                   const char *api_key,
                   const char *upstream_model,
                   const char *body,
                   size_t len,
                   provider_request_t *out,
                   char *err,
                   size_t err_size);
    // Per-stream parser state; max_event_bytes caps one event or line.
    void *(*state_new)(size_t max_event_bytes, const char *req_id);
    void (*state_destroy)(void **state_p);
    // Parse len bytes of a 200 response. Returns 0, or SL_EPROTO/SL_ETOOBIG when the stream
    // is malformed (err_class PROVIDER_DOWN: the stream cannot go on).
    int (*feed)(void *state, const char *data, size_t len, const provider_sink_t *sink);
    // The 200 body ended without a transport error: parse what the state still holds (an
    // NDJSON server may leave off the last line's "\n"). Called once, after the last feed and
    // before is_complete. Optional: NULL for framings whose spec drops a partial event at EOF
    // (SSE). Returns as feed.
    int (*eof)(void *state, const provider_sink_t *sink);
    // True when the stream reached its protocol's terminal event (else EOF is truncation).
    int (*is_complete)(const void *state);
    // Report an HTTP error response (status >= 300) through sink->error.
    void (*http_error)(uint32_t status, const char *body, size_t len, const provider_sink_t *sink);
} provider_adapter_t;

// The adapters, one per kind of sl/kinds.h, each in its own file (<kind>.c), named
// provider_<kind>_adapter with .kind "<kind>"; adapter.c's table is built from the same list.
#define X(kind) extern const provider_adapter_t provider_##kind##_adapter;
SL_PROVIDER_KINDS(X)
#undef X

struct cJSON;

// Finish a JSON request: json (taken: freed whatever happens) becomes the body, with
// Content-Type: application/json, Accept: accept, and, when api_key is set, the header
// key_header with value key_prefix + api_key (e.g. "Authorization", "Bearer "). The URL and any
// other header are the adapter's. Returns 0; SL_EINVAL when json is NULL or cannot be printed,
// SL_ETOOBIG when the request passes a cap (err says which).
int provider_request_json(provider_request_t *out,
                          struct cJSON *json,
                          const char *accept,
                          const char *key_header,
                          const char *key_prefix,
                          const char *api_key,
                          char *err,
                          size_t err_size);

// The adapter for a kind, or NULL.
const provider_adapter_t *provider_adapter_find(const char *kind);

// An id for a tool call whose provider sends none (Gemini, Ollama): "call_<12 hex of the
// request id>_<index>", unique across responses so a history built from several of them
// never repeats one (Anthropic rejects repeated tool_use ids); "call_<index>" when req_id is
// NULL (tests). Written into out (size bytes, NUL-terminated).
void provider_made_up_call_id(const char *req_id, uint32_t index, char *out, size_t size);

// Error class for an upstream HTTP status, as the error-class table in docs/architecture.md
// has it.
sl_errclass_t provider_errclass_for_status(uint32_t status);

#endif
