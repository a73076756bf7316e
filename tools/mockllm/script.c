// script.c - deterministic scripts from requests (see script.h).
#include "script.h"

#include <stdlib.h>
#include <string.h>

#include "openai.h"
#include "request.h"
#include "rng.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "vocab.h"

static const char *
s_finish_name(const mockllm_finish_names_t *names, mockllm_finish_t finish)
{
    switch (finish) {
    case MOCKLLM_FINISH_LENGTH:
        return names->length;
    case MOCKLLM_FINISH_TOOL_CALLS:
        return names->tool_calls;
    case MOCKLLM_FINISH_STOP_SEQUENCE:
        return names->stop_sequence;
    case MOCKLLM_FINISH_STOP:
        break;
    }
    return names->stop;
}

// Keep the first n tokens, freeing the rest.
static void
s_keep_tokens(mockllm_script_t *s, size_t n)
{
    for (size_t i = n; i < s->n_tokens; i++)
        free(s->tokens[i]);
    if (n < s->n_tokens)
        s->n_tokens = n;
}

static void
s_drop_calls(mockllm_script_t *s)
{
    for (size_t i = 0; i < s->n_calls; i++)
        mockllm_toolcall_free(&s->calls[i]);
    free(s->calls);
    s->calls = NULL;
    s->n_calls = 0;
}

// Cut the text before the earliest occurrence of any stop sequence (ties: the first listed).
// Returns true when one occurred.
static bool
s_apply_stops(const mockllm_script_req_t *req, mockllm_script_t *s)
{
    if (req->n_stops == 0 || s->n_tokens == 0)
        return false;
    sl_buf_t text;
    sl_buf_init(&text, (size_t)-1 / 2);
    (void)mockllm_script_text(s, &text); // unbounded buffer: cannot fail
    const char *hit = NULL;
    size_t which = 0;
    for (size_t k = 0; k < req->n_stops; k++) {
        // The text holds no NUL (every token is a C string), so strstr sees all of it.
        const char *at = strstr(sl_buf_str(&text), req->stops[k]);
        if (at && (!hit || at < hit)) {
            hit = at;
            which = k;
        }
    }
    if (!hit) {
        sl_buf_free(&text);
        return false;
    }
    size_t cut = (size_t)(hit - sl_buf_str(&text));
    size_t pos = 0, keep = 0;
    while (keep < s->n_tokens) {
        size_t len = strlen(s->tokens[keep]);
        if (pos + len > cut) {
            // The stop sequence starts inside this token: keep the part before it, if any. A
            // valid UTF-8 stop sequence starts at a character boundary, so the cut does too.
            if (cut > pos) {
                s->tokens[keep][cut - pos] = '\0';
                keep++;
            }
            break;
        }
        pos += len;
        keep++;
    }
    s_keep_tokens(s, keep);
    s->stop_sequence = sl_xstrdup(req->stops[which]);
    sl_buf_free(&text);
    return true;
}

int
mockllm_script_plan(const mockllm_script_req_t *req,
                    mockllm_script_t *out,
                    char *err,
                    size_t err_size)
{
    memset(out, 0, sizeof *out);
    mockllm_directive_t opts = {.rate = MOCKLLM_DIRECTIVE_RATE_UNSET};
    int rc = mockllm_directive_parse(req->user_text, req->user_len, &opts, err, err_size);
    if (rc)
        return rc;
    if (opts.tools && req->n_tools == 0) {
        mockllm_request_err(err, err_size,
                            MOCKLLM_DIRECTIVE_ERR "option 'tools': the request declares no tools");
        return SL_EINVAL;
    }
    if (!opts.has_seed)
        opts.seed = mockllm_rng_fnv1a64(req->user_text ? req->user_text : "", req->user_len);
    if (!opts.has_tokens)
        opts.tokens = (uint32_t)(12 + opts.seed % 40);
    // Tokens are drawn for the planned count even when cut, so a cut script is a prefix of the
    // uncut one: what a real model does when it is stopped.
    size_t n = opts.tools && !opts.text_before ? 0 : opts.tokens;
    mockllm_rng_t rng;
    mockllm_rng_seed(&rng, opts.seed);
    out->tokens = sl_xcalloc(n ? n : 1, sizeof *out->tokens);
    mockllm_vocab_draw(req->vocab, &rng, out->tokens, n);
    out->n_tokens = n;
    out->finish = MOCKLLM_FINISH_STOP;
    if (s_apply_stops(req, out)) {
        out->finish = MOCKLLM_FINISH_STOP_SEQUENCE;
    } else if (opts.tools) {
        out->calls = sl_xcalloc(opts.tools, sizeof *out->calls);
        for (size_t i = 0; i < opts.tools; i++)
            mockllm_toolcall_plan(opts.seed, i, req->tool_names[i % req->n_tools], req->ids,
                                  opts.utf16, &out->calls[i]);
        out->n_calls = opts.tools;
        out->finish = MOCKLLM_FINISH_TOOL_CALLS;
    }
    size_t units = out->n_tokens;
    for (size_t i = 0; i < out->n_calls; i++)
        units += out->calls[i].n_frags;
    if (req->max_tokens >= 0 && (uint64_t)req->max_tokens < units) {
        s_drop_calls(out);
        if ((uint64_t)req->max_tokens < out->n_tokens)
            s_keep_tokens(out, (size_t)req->max_tokens);
        free(out->stop_sequence);
        out->stop_sequence = NULL;
        out->finish = MOCKLLM_FINISH_LENGTH;
        units = out->n_tokens;
    }
    out->finish_reason = s_finish_name(req->finish_names, out->finish);
    out->completion_tokens = (uint32_t)units;
    out->prompt_tokens = req->prompt_tokens;
    out->opts = opts;
    return 0;
}

int
mockllm_script_from_request(
    const char *body, size_t len, mockllm_script_t *out, char *err, size_t err_size)
{
    mockllm_format_req_t req = {
        .path = mockllm_openai_format.path, .query = "", .body = body, .len = len};
    return mockllm_openai_format.plan(&req, out, err, err_size);
}

int
mockllm_script_text(const mockllm_script_t *self, sl_buf_t *out)
{
    size_t total = 0;
    for (size_t i = 0; i < self->n_tokens; i++)
        total += strlen(self->tokens[i]);
    if (total > out->max_len - out->len)
        return SL_ETOOBIG; // checked first: all or nothing
    for (size_t i = 0; i < self->n_tokens; i++)
        (void)sl_buf_append_str(out, self->tokens[i]);
    return 0;
}

static int
s_json_str(sl_buf_t *b, const char *s, size_t len)
{
    return sl_buf_append_str(b, "\"") || sl_buf_append_json_str(b, s, len)
           || sl_buf_append_str(b, "\"");
}

static int
s_json_call(sl_buf_t *b, const mockllm_toolcall_t *c)
{
    int rc = sl_buf_append_str(b, "{\"id\":");
    if (c->id)
        rc = rc || s_json_str(b, c->id, strlen(c->id));
    else
        rc = rc || sl_buf_append_str(b, "null");
    rc = rc || sl_buf_append_str(b, ",\"name\":") || s_json_str(b, c->name, strlen(c->name))
         || sl_buf_append_str(b, ",\"arguments\":")
         || s_json_str(b, c->arguments, strlen(c->arguments))
         || sl_buf_append_str(b, ",\"fragments\":[");
    for (size_t f = 0; !rc && f < c->n_frags; f++) {
        rc = (f && sl_buf_append_str(b, ",")) || mockllm_toolcall_frag_json(c, f, b);
    }
    return rc || sl_buf_append_str(b, "]}");
}

int
mockllm_script_json(const mockllm_script_t *self, sl_buf_t *out)
{
    sl_buf_t b;
    sl_buf_init(&b, out->max_len - out->len);
    int rc = sl_buf_append_str(&b, "{\"text\":\"");
    for (size_t i = 0; !rc && i < self->n_tokens; i++)
        rc = sl_buf_append_json_str(&b, self->tokens[i], strlen(self->tokens[i]));
    rc = rc || sl_buf_append_str(&b, "\",\"tokens\":[");
    for (size_t i = 0; !rc && i < self->n_tokens; i++)
        rc = (i && sl_buf_append_str(&b, ","))
             || s_json_str(&b, self->tokens[i], strlen(self->tokens[i]));
    rc = rc || sl_buf_append_str(&b, "],\"tool_calls\":[");
    for (size_t i = 0; !rc && i < self->n_calls; i++)
        rc = (i && sl_buf_append_str(&b, ",")) || s_json_call(&b, &self->calls[i]);
    const char *reason = self->finish_reason ? self->finish_reason : "";
    rc = rc || sl_buf_append_str(&b, "],\"finish_reason\":")
         || s_json_str(&b, reason, strlen(reason)) || sl_buf_append_str(&b, ",\"stop_sequence\":");
    if (self->stop_sequence)
        rc = rc || s_json_str(&b, self->stop_sequence, strlen(self->stop_sequence));
    else
        rc = rc || sl_buf_append_str(&b, "null");
    rc = rc
         || sl_buf_printf(&b,
                          ",\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,"
                          "\"total_tokens\":%u},\"status\":%d,\"stream\":%s}",
                          (unsigned)self->prompt_tokens, (unsigned)self->completion_tokens,
                          (unsigned)(self->prompt_tokens + self->completion_tokens),
                          self->opts.status ? self->opts.status : 200,
                          self->stream ? "true" : "false");
    if (!rc)
        rc = sl_buf_append(out, sl_buf_str(&b), b.len);
    sl_buf_free(&b);
    return rc ? SL_ETOOBIG : 0;
}

void
mockllm_script_destroy(mockllm_script_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->n_tokens; i++)
        free(self->tokens[i]);
    free(self->tokens);
    s_drop_calls(self);
    free(self->stop_sequence);
    free(self->model);
    memset(self, 0, sizeof *self);
}
