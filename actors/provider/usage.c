// usage.c - one upstream stream's tokens as sluice counts them (see usage.h).
#include "usage.h"

#include <stdlib.h>
#include <string.h>

#include "sl/mem.h"
#include "sl/prompt.h"

struct provider_usage {
    sl_tokenizer_t *tokenizer; // borrowed: the worker's
    char *model;               // owned; the upstream model, which picks the encoding
    char *body;                // owned; the normalized request until its prompt is counted
    size_t body_len;
    bool prompt_done;    // the prompt was counted (or could not be)
    bool prompt_ok;      // ... and could be
    uint32_t prompt;     // its tokens
    sl_buf_t pending;    // owned; the current channel's text, not counted yet
    bool has_channel;    // pending belongs to a channel (kind, tool_index)
    uint8_t kind;        // sl_delta_kind_t of pending
    uint32_t tool_index; // SL_DELTA_TOOL: the call pending belongs to
    uint64_t completion; // tokens of the text counted so far
    const sl_bpe_t *bpe; // borrowed from tokenizer: the model's encoding, once looked up
    bool looked_up;      // bpe was asked for (the tokenizer opens a file once, so it stays)
    bool no_vocabulary;  // the vocabulary could not be opened: nothing is counted
};

// The encoding for the stream's model; NULL when its vocabulary cannot be opened.
static const sl_bpe_t *
s_bpe(provider_usage_t *self)
{
    if (!self->looked_up) {
        self->looked_up = true;
        self->bpe = sl_tokenizer_for_model(self->tokenizer, self->model, NULL);
        self->no_vocabulary = self->bpe == NULL;
    }
    return self->bpe;
}

// Count the pending text and empty it.
static void
s_count_pending(provider_usage_t *self)
{
    if (self->pending.len == 0)
        return;
    const sl_bpe_t *bpe = s_bpe(self);
    if (bpe)
        self->completion += sl_bpe_count(bpe, sl_buf_str(&self->pending), self->pending.len);
    sl_buf_reset(&self->pending);
}

provider_usage_t *
provider_usage_new(sl_tokenizer_t *tokenizer, const char *model, const char *body, size_t len)
{
    provider_usage_t *self = sl_xcalloc(1, sizeof *self);
    self->tokenizer = tokenizer;
    self->model = sl_xstrdup(model ? model : "");
    self->body = sl_xstrndup(body ? body : "", len);
    self->body_len = len;
    sl_buf_init(&self->pending, PROVIDER_USAGE_CHUNK);
    return self;
}

void
provider_usage_destroy(provider_usage_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    provider_usage_t *self = *self_p;
    free(self->model);
    free(self->body);
    sl_buf_free(&self->pending);
    free(self);
    *self_p = NULL;
}

bool
provider_usage_prompt(provider_usage_t *self, uint32_t *tokens_p)
{
    if (!self->prompt_done) {
        self->prompt_done = true;
        const sl_bpe_t *bpe = s_bpe(self);
        self->prompt_ok = bpe
                          && sl_prompt_estimate(bpe, self->body, self->body_len,
                                                PROVIDER_USAGE_PROMPT_EXACT, &self->prompt, NULL)
                                 == 0;
        free(self->body);
        self->body = NULL;
    }
    *tokens_p = self->prompt_ok ? self->prompt : 0;
    return self->prompt_ok;
}

void
provider_usage_delta(provider_usage_t *self, const sl_delta_t *delta)
{
    if (self->no_vocabulary)
        return;
    bool same = self->has_channel && self->kind == delta->kind
                && (delta->kind != SL_DELTA_TOOL || self->tool_index == delta->tool_index);
    if (!same) {
        s_count_pending(self);
        self->has_channel = true;
        self->kind = delta->kind;
        self->tool_index = delta->tool_index;
    }
    if (delta->kind == SL_DELTA_TOOL && delta->tool_name.len) {
        const sl_bpe_t *bpe = s_bpe(self);
        if (bpe)
            self->completion += sl_bpe_count(bpe, delta->tool_name.ptr, delta->tool_name.len);
    }
    if (delta->text.len > PROVIDER_USAGE_CHUNK - self->pending.len)
        s_count_pending(self);
    if (delta->text.len > PROVIDER_USAGE_CHUNK) { // one delta bigger than a piece: alone
        const sl_bpe_t *bpe = s_bpe(self);
        if (bpe)
            self->completion += sl_bpe_count(bpe, delta->text.ptr, delta->text.len);
        return;
    }
    (void)sl_buf_append(&self->pending, delta->text.ptr, delta->text.len); // fits: made room
}

bool
provider_usage_completion(provider_usage_t *self, uint32_t *tokens_p)
{
    s_count_pending(self);
    (void)s_bpe(self); // sets no_vocabulary, also for a stream that had no text
    *tokens_p = self->no_vocabulary             ? 0
                : self->completion > UINT32_MAX ? UINT32_MAX
                                                : (uint32_t)self->completion;
    return !self->no_vocabulary;
}

bool
provider_usage_is_exact(provider_usage_t *self)
{
    bool exact = false;
    (void)sl_tokenizer_for_model(self->tokenizer, self->model, &exact);
    return exact;
}
