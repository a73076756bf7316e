// openai.c - OpenAI Chat Completions rendering (see openai.h).
#include "openai.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sl/err.h"

// Events before the tokens (the role chunk) and after them (finish chunk, [DONE]).
#define S_LEAD_EVENTS 1
#define S_TAIL_EVENTS 2

const mockllm_format_t mockllm_openai_format = {
    .name = "openai",
    .path = "/v1/chat/completions",
    .plan = mockllm_script_from_request,
    .stream_content_type = "text/event-stream",
    .response_content_type = "application/json",
    .stream_events = mockllm_openai_stream_events,
    .event_token = mockllm_openai_event_token,
    .stream_event = mockllm_openai_stream_event,
    .response = mockllm_openai_response,
    .error = mockllm_openai_error,
};

// Renderers build into a buffer of their own, capped at out's free room, and append it whole:
// a capped out never holds half an event.
static void
s_begin(sl_buf_t *tmp, const sl_buf_t *out)
{
    sl_buf_init(tmp, out->max_len - out->len);
}

static int
s_commit(sl_buf_t *out, sl_buf_t *tmp, int rc)
{
    if (!rc)
        rc = sl_buf_append(out, sl_buf_str(tmp), tmp->len);
    sl_buf_free(tmp);
    return rc ? SL_ETOOBIG : 0;
}

static int
s_append_json_string(sl_buf_t *out, const char *s)
{
    if (sl_buf_append_str(out, "\"") || sl_buf_append_json_str(out, s, strlen(s))
        || sl_buf_append_str(out, "\""))
        return SL_ETOOBIG;
    return 0;
}

// The fields every object of a response starts with.
static int
s_append_head(sl_buf_t *out, const mockllm_script_t *script, const char *object, int64_t created_s)
{
    char id[MOCKLLM_OPENAI_ID_SIZE];
    mockllm_openai_id(script, id);
    if (sl_buf_printf(out, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":",
                      id, object, created_s)
        || s_append_json_string(out, script->model ? script->model : "")
        || sl_buf_append_str(out, ",\"system_fingerprint\":\"fp_mock\","))
        return SL_ETOOBIG;
    return 0;
}

static int
s_append_usage(sl_buf_t *out, const mockllm_script_t *script)
{
    return sl_buf_printf(out,
                         "\"usage\":{\"prompt_tokens\":%" PRIu32 ",\"completion_tokens\":%" PRIu32
                         ",\"total_tokens\":%" PRIu32 "}",
                         script->prompt_tokens, script->completion_tokens,
                         script->prompt_tokens + script->completion_tokens);
}

void
mockllm_openai_id(const mockllm_script_t *script, char id[MOCKLLM_OPENAI_ID_SIZE])
{
    snprintf(id, MOCKLLM_OPENAI_ID_SIZE, "chatcmpl-mock-%" PRIx64, script->opts.seed);
}

size_t
mockllm_openai_stream_events(const mockllm_script_t *script)
{
    return S_LEAD_EVENTS + script->n_tokens + S_TAIL_EVENTS + (script->include_usage ? 1 : 0);
}

int64_t
mockllm_openai_event_token(const mockllm_script_t *script, size_t i)
{
    if (i < S_LEAD_EVENTS || i >= S_LEAD_EVENTS + script->n_tokens)
        return -1;
    return (int64_t)(i - S_LEAD_EVENTS);
}

// The JSON of chunk i (not the terminator), appended to b.
static int
s_chunk_json(const mockllm_script_t *script, int64_t created_s, size_t i, sl_buf_t *b)
{
    size_t n = script->n_tokens;
    int rc = s_append_head(b, script, "chat.completion.chunk", created_s);
    if (i == S_LEAD_EVENTS + n + 1) // the usage chunk (only counted with include_usage)
        return rc || sl_buf_append_str(b, "\"choices\":[],") || s_append_usage(b, script)
               || sl_buf_append_str(b, "}");
    rc = rc || sl_buf_append_str(b, "\"choices\":[{\"index\":0,\"delta\":");
    if (i == 0)
        rc = rc || sl_buf_append_str(b, "{\"role\":\"assistant\",\"content\":\"\"}");
    else if (i <= n)
        rc = rc || sl_buf_append_str(b, "{\"content\":")
             || s_append_json_string(b, script->tokens[i - S_LEAD_EVENTS])
             || sl_buf_append_str(b, "}");
    else
        rc = rc || sl_buf_append_str(b, "{}");
    rc = rc || sl_buf_append_str(b, ",\"logprobs\":null,\"finish_reason\":");
    if (i == S_LEAD_EVENTS + n)
        rc = rc || s_append_json_string(b, script->finish_reason);
    else
        rc = rc || sl_buf_append_str(b, "null");
    return rc || sl_buf_append_str(b, "}]}");
}

static int
s_response_json(const mockllm_script_t *script, int64_t created_s, sl_buf_t *b)
{
    int rc = s_append_head(b, script, "chat.completion", created_s)
             || sl_buf_append_str(b, "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                     "\"assistant\",\"content\":\"");
    for (size_t i = 0; !rc && i < script->n_tokens; i++)
        rc = sl_buf_append_json_str(b, script->tokens[i], strlen(script->tokens[i]));
    return rc || sl_buf_append_str(b, "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":")
           || s_append_json_string(b, script->finish_reason) || sl_buf_append_str(b, "}],")
           || s_append_usage(b, script) || sl_buf_append_str(b, "}");
}

static int
s_error_json(const mockllm_format_error_t *error, sl_buf_t *b)
{
    int rc = sl_buf_append_str(b, "{\"error\":{\"message\":")
             || s_append_json_string(b, error->message ? error->message : "")
             || sl_buf_append_str(b, ",\"type\":")
             || s_append_json_string(b, error->type ? error->type : "")
             || sl_buf_append_str(b, ",\"param\":null,\"code\":");
    if (error->code)
        rc = rc || s_append_json_string(b, error->code);
    else
        rc = rc || sl_buf_append_str(b, "null");
    return rc || sl_buf_append_str(b, "}}");
}

int
mockllm_openai_stream_event(const mockllm_script_t *script,
                            int64_t created_s,
                            size_t i,
                            sl_buf_t *out)
{
    const char *eol = script->opts.crlf ? "\r\n" : "\n";
    if (i >= mockllm_openai_stream_events(script))
        return SL_EINVAL;
    if (i + 1 == mockllm_openai_stream_events(script))
        return sl_buf_printf(out, "data: [DONE]%s%s", eol, eol);
    sl_buf_t tmp;
    s_begin(&tmp, out);
    int rc = sl_buf_append_str(&tmp, "data: ") || s_chunk_json(script, created_s, i, &tmp)
             || sl_buf_printf(&tmp, "%s%s", eol, eol);
    return s_commit(out, &tmp, rc);
}

int
mockllm_openai_response(const mockllm_script_t *script, int64_t created_s, sl_buf_t *out)
{
    sl_buf_t tmp;
    s_begin(&tmp, out);
    return s_commit(out, &tmp, s_response_json(script, created_s, &tmp));
}

int
mockllm_openai_error(const mockllm_format_error_t *error, sl_buf_t *out)
{
    sl_buf_t tmp;
    s_begin(&tmp, out);
    return s_commit(out, &tmp, s_error_json(error, &tmp));
}
