// openai.c - the OpenAI Chat Completions adapter (see adapter.h), also for any
// OpenAI-compatible server (vLLM, llama.cpp, Ollama's /v1, Azure-style base URLs).
//
// Wire format: docs/providers.md §OpenAI. Every chunk is one SSE `data:` event
// holding a JSON object; the stream ends with `data: [DONE]`. Usage arrives in a last chunk
// with `choices: []` because the request always asks for it (stream_options.include_usage).
// Chunks from compatible servers may lack `choices` or `delta` (Azure content-filter chunks,
// vLLM usage chunks): never index blindly.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "callsig.h"
#include "chunk.h"
#include "kit.h"
#include "normalized.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "sl/sse.h"
#include "surrogates.h"

typedef struct {
    sl_sse_parser_t *sse;        // owned
    const provider_sink_t *sink; // borrowed during a feed
    int done;                    // saw [DONE]
    int finished;                // saw a finish_reason
    provider_chunk_t chunk;      // owned scratch: the common chunk read without cJSON
} s_state_t;

static int
s_request(const sl_provider_cfg_t *provider,
          const char *api_key,
          const char *upstream_model,
          const char *body,
          size_t len,
          provider_request_t *out,
          char *err,
          size_t err_size)
{
    cJSON *root = provider_json_parse(body, len);
    if (!cJSON_IsObject(root)) {
        snprintf(err, err_size, "request body is not a JSON object");
        cJSON_Delete(root);
        return SL_EINVAL;
    }
    // Gemini's signatures ride in tool call ids (callsig.h); OpenAI refuses ids over 40 bytes.
    provider_callsig_strip(root);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "model");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "stream");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "stream_options");
    cJSON_AddStringToObject(root, "model", upstream_model);
    cJSON_AddBoolToObject(root, "stream", 1);
    cJSON *opts = cJSON_AddObjectToObject(root, "stream_options");
    cJSON_AddBoolToObject(opts, "include_usage", 1);
    int rc = sl_buf_printf(&out->url, "%s/chat/completions", provider->base_url);
    if (rc < 0) {
        cJSON_Delete(root);
        snprintf(err, err_size, "request too large");
        return rc;
    }
    return provider_request_json(out, root, "text/event-stream", "Authorization", "Bearer ",
                                 api_key, err, err_size);
}

static void *
s_state_new(size_t max_event_bytes, const char *req_id)
{
    (void)req_id; // the provider names its own tool calls
    s_state_t *st = sl_xcalloc(1, sizeof *st);
    st->sse = sl_sse_parser_new(max_event_bytes);
    provider_chunk_init(&st->chunk, max_event_bytes);
    return st;
}

static void
s_state_destroy(void **state_p)
{
    s_state_t *st = *state_p;
    if (!st)
        return;
    sl_sse_parser_destroy(&st->sse);
    provider_chunk_free(&st->chunk);
    free(st);
    *state_p = NULL;
}

static void
s_emit_tool_calls(const provider_sink_t *sink, const cJSON *calls)
{
    const cJSON *call;
    int position = 0;
    cJSON_ArrayForEach(call, calls)
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        sl_delta_t d = {.kind = SL_DELTA_TOOL};
        // Some compatible servers omit index: fall back to the position in this chunk. A
        // number out of range is clamped, never cast as it is (undefined behaviour).
        d.tool_index = (uint32_t)position;
        (void)provider_normalized_count(call, "index", &d.tool_index);
        d.tool_id = sl_str(provider_normalized_string(call, "id"));
        d.tool_name = sl_str(provider_normalized_string(fn, "name"));
        d.text = sl_str(provider_normalized_string(fn, "arguments"));
        sink->delta(sink->arg, &d);
        position++;
    }
}

static void
s_emit_error(const provider_sink_t *sink, const cJSON *error, uint32_t status)
{
    const char *message = provider_normalized_string(error, "message");
    const char *type = provider_normalized_string(error, "type");
    const char *code = provider_normalized_string(error, "code");
    sl_errclass_t cls = provider_errclass_for_status(status);
    // Exhausted quota is a 429 that no retry will fix.
    if (code && strcmp(code, "insufficient_quota") == 0)
        cls = SL_ERRCLASS_FATAL;
    if (type && strcmp(type, "insufficient_quota") == 0)
        cls = SL_ERRCLASS_FATAL;
    char fallback[64];
    message = provider_kit_message(message, status, fallback, sizeof fallback);
    sink->error(sink->arg, cls, status, type ? type : "upstream_error", message);
}

static int
s_on_event(void *arg, const sl_sse_event_t *event)
{
    s_state_t *st = arg;
    const provider_sink_t *sink = st->sink;
    if (st->done)
        return 0; // nothing counts after [DONE]
    if (event->data_len >= 6 && memcmp(event->data, "[DONE]", 6) == 0) {
        st->done = 1;
        return 0;
    }
    // The common chunk without a cJSON tree (chunk.h): when the scanner is sure, these are the
    // calls the tree below would make, in its order.
    const provider_chunk_t *simple = &st->chunk;
    if (provider_chunk_scan(event->data, event->data_len, &st->chunk)) {
        provider_kit_text(sink, SL_DELTA_REASONING, simple->reasoning_content.ptr);
        provider_kit_text(sink, SL_DELTA_REASONING, simple->reasoning.ptr);
        provider_kit_text(sink, SL_DELTA_TEXT, simple->content.ptr);
        if (simple->finish_reason.ptr && *simple->finish_reason.ptr) {
            st->finished = 1;
            sink->finish(sink->arg, simple->finish_reason.ptr);
        }
        return 0;
    }
    cJSON *chunk = provider_json_parse(event->data, event->data_len);
    if (!cJSON_IsObject(chunk)) {
        cJSON_Delete(chunk);
        return SL_EPROTO;
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(chunk, "error");
    if (error && !cJSON_IsNull(error) && !cJSON_IsFalse(error)) {
        // A mid-stream error: the provider broke off after a 200.
        s_emit_error(sink, cJSON_IsObject(error) ? error : NULL, 500);
        cJSON_Delete(chunk);
        st->done = 1;
        return 0;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(chunk, "choices");
    if (!cJSON_IsArray(choices))
        choices = NULL; // vLLM's usage chunk: choices null or missing
    const cJSON *choice;
    cJSON_ArrayForEach(choice, choices)
    {
        const cJSON *index = cJSON_GetObjectItemCaseSensitive(choice, "index");
        if (cJSON_IsNumber(index) && index->valuedouble != 0)
            continue; // n > 1 is not supported: choice 0 is the stream
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
        if (cJSON_IsObject(delta)) {
            provider_kit_text(sink, SL_DELTA_REASONING,
                              provider_normalized_string(delta, "reasoning_content"));
            provider_kit_text(sink, SL_DELTA_REASONING,
                              provider_normalized_string(delta, "reasoning"));
            provider_kit_text(sink, SL_DELTA_TEXT, provider_normalized_string(delta, "content"));
            const cJSON *calls = cJSON_GetObjectItemCaseSensitive(delta, "tool_calls");
            if (cJSON_IsArray(calls))
                s_emit_tool_calls(sink, calls);
        }
        const char *finish = provider_normalized_string(choice, "finish_reason");
        if (finish && *finish) {
            st->finished = 1;
            sink->finish(sink->arg, finish);
        }
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(chunk, "usage");
    if (cJSON_IsObject(usage)) {
        uint32_t pt = 0, ct = 0;
        (void)provider_normalized_count(usage, "prompt_tokens", &pt);
        (void)provider_normalized_count(usage, "completion_tokens", &ct);
        sink->usage(sink->arg, pt, ct);
    }
    cJSON_Delete(chunk);
    return 0;
}

static int
s_feed(void *state, const char *data, size_t len, const provider_sink_t *sink)
{
    s_state_t *st = state;
    st->sink = sink;
    int rc = sl_sse_parser_feed(st->sse, data, len, s_on_event, st);
    st->sink = NULL;
    return rc;
}

static int
s_is_complete(const void *state)
{
    const s_state_t *st = state;
    // [DONE] is the terminator; a finish_reason without it still ends the text cleanly
    // (some compatible servers close right after the finish chunk).
    return st->done || st->finished;
}

static void
s_http_error(uint32_t status, const char *body, size_t len, const provider_sink_t *sink)
{
    cJSON *root = provider_json_parse(body, len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(error)) {
        s_emit_error(sink, error, status);
    } else if (cJSON_IsString(error)) { // Ollama-style {"error": "text"}
        sink->error(sink->arg, provider_errclass_for_status(status), status, "upstream_error",
                    error->valuestring);
    } else {
        s_emit_error(sink, NULL, status);
    }
    cJSON_Delete(root);
}

const provider_adapter_t provider_openai_adapter = {
    .kind = "openai",
    .request = s_request,
    .state_new = s_state_new,
    .state_destroy = s_state_destroy,
    .feed = s_feed,
    .is_complete = s_is_complete,
    .http_error = s_http_error,
};
