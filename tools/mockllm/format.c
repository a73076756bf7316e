// format.c - the format table and what is done the same way with every format (see format.h).
#include "format.h"

#include <string.h>

#include "anthropic.h"
#include "cohere.h"
#include "gemini.h"
#include "http.h"
#include "ollama.h"
#include "openai.h"
#include "render.h"
#include "request.h"
#include "sl/err.h"

// OpenAI last: its family "/" claims every path the others do not.
const mockllm_format_t *const mockllm_formats[] = {
    &mockllm_anthropic_format, &mockllm_gemini_format, &mockllm_cohere_format,
    &mockllm_ollama_format,    &mockllm_openai_format, NULL,
};

const mockllm_format_t *
mockllm_format_for_path(const char *path)
{
    for (size_t i = 0; mockllm_formats[i]; i++)
        if (mockllm_formats[i]->serves(path))
            return mockllm_formats[i];
    return NULL;
}

const mockllm_format_t *
mockllm_format_for_family(const char *path)
{
    for (size_t i = 0; mockllm_formats[i]; i++) {
        const char *f = mockllm_formats[i]->family;
        if (strncmp(path, f, strlen(f)) == 0)
            return mockllm_formats[i];
    }
    return &mockllm_openai_format;
}

const mockllm_format_t *
mockllm_format_by_name(const char *name)
{
    for (size_t i = 0; mockllm_formats[i]; i++)
        if (strcmp(mockllm_formats[i]->name, name) == 0)
            return mockllm_formats[i];
    return NULL;
}

int
mockllm_format_plan(const mockllm_format_t *fmt,
                    const char *path_and_query,
                    const char *body,
                    size_t len,
                    mockllm_script_t *out,
                    char *err,
                    size_t err_size)
{
    return mockllm_format_plan_vocab(fmt, path_and_query, body, len, MOCKLLM_VOCAB_STRESS, out, err,
                                     err_size);
}

int
mockllm_format_plan_vocab(const mockllm_format_t *fmt,
                          const char *path_and_query,
                          const char *body,
                          size_t len,
                          mockllm_vocab_t vocab,
                          mockllm_script_t *out,
                          char *err,
                          size_t err_size)
{
    char path[MOCKLLM_HTTP_MAX_PATH + 1];
    const char *q = strchr(path_and_query, '?');
    size_t path_len = q ? (size_t)(q - path_and_query) : strlen(path_and_query);
    if (path_len > MOCKLLM_HTTP_MAX_PATH) {
        memset(out, 0, sizeof *out);
        mockllm_request_err(err, err_size, "path is longer than %d bytes", MOCKLLM_HTTP_MAX_PATH);
        return SL_EINVAL;
    }
    memcpy(path, path_and_query, path_len);
    path[path_len] = '\0';
    mockllm_format_req_t req = {
        .path = path, .query = q ? q + 1 : "", .body = body, .len = len, .vocab = vocab};
    return fmt->plan(&req, out, err, err_size);
}

int
mockllm_format_layout(const mockllm_format_t *fmt,
                      const mockllm_script_t *script,
                      mockllm_events_t *events)
{
    mockllm_events_init(events, script->opts.pings);
    int rc = fmt->layout(script, events);
    if (rc) {
        mockllm_events_free(events);
        return rc;
    }
    // The faults that are bytes end the list; reset= and stall= are the stream's (stream.c).
    if (script->opts.fault == MOCKLLM_FAULT_MALFORMED)
        (void)mockllm_events_fault(events, MOCKLLM_EVENT_MALFORMED, script->opts.fault_units);
    else if (script->opts.fault == MOCKLLM_FAULT_ERROR_EVENT)
        (void)mockllm_events_fault(events, MOCKLLM_EVENT_ERROR, script->opts.fault_units);
    return 0;
}

int
mockllm_format_stream(const mockllm_format_t *fmt,
                      const mockllm_script_t *script,
                      int64_t created_s,
                      sl_buf_t *out)
{
    mockllm_events_t events;
    int rc = mockllm_format_layout(fmt, script, &events);
    if (rc)
        return rc;
    sl_buf_t tmp;
    mockllm_render_begin(&tmp, out);
    for (size_t i = 0; !rc && i < events.n; i++)
        rc = fmt->render(script, created_s, &events.items[i], &tmp);
    mockllm_events_free(&events);
    return mockllm_render_commit(out, &tmp, rc);
}
