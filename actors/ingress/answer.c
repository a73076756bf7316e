// answer.c - a whole message from its deltas (see answer.h).
#include "answer.h"

#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

void
ingress_answer_init(ingress_answer_t *self, size_t max_bytes)
{
    memset(self, 0, sizeof *self);
    self->max_bytes = max_bytes;
    sl_buf_init(&self->text, max_bytes);
    sl_buf_init(&self->reasoning, max_bytes);
}

void
ingress_answer_free(ingress_answer_t *self)
{
    sl_buf_free(&self->text);
    sl_buf_free(&self->reasoning);
    for (size_t i = 0; i < self->n_calls; i++) {
        free(self->calls[i].id);
        free(self->calls[i].name);
        sl_buf_free(&self->calls[i].args);
    }
    self->n_calls = 0;
}

static ingress_tool_call_t *
s_call(ingress_answer_t *self, uint32_t index)
{
    for (size_t i = 0; i < self->n_calls; i++)
        if (self->calls[i].index == index)
            return &self->calls[i];
    if (self->n_calls == INGRESS_ANSWER_MAX_CALLS)
        return NULL;
    ingress_tool_call_t *c = &self->calls[self->n_calls++];
    c->index = index;
    c->id = sl_xstrdup("");
    c->name = sl_xstrdup("");
    sl_buf_init(&c->args, self->max_bytes);
    return c;
}

int
ingress_answer_add(ingress_answer_t *self, const sl_delta_t *delta)
{
    switch (delta->kind) {
    case SL_DELTA_TEXT:
        return sl_buf_append(&self->text, delta->text.ptr, delta->text.len);
    case SL_DELTA_REASONING:
        return sl_buf_append(&self->reasoning, delta->text.ptr, delta->text.len);
    case SL_DELTA_TOOL: {
        ingress_tool_call_t *c = s_call(self, delta->tool_index);
        if (!c)
            return SL_ETOOBIG;
        if (delta->tool_id.len && !c->id[0]) {
            free(c->id);
            c->id = sl_str_dup(delta->tool_id);
        }
        if (delta->tool_name.len && !c->name[0]) {
            free(c->name);
            c->name = sl_str_dup(delta->tool_name);
        }
        return sl_buf_append(&c->args, delta->text.ptr, delta->text.len);
    }
    default:
        return 0; // a kind this version does not know: not part of the answer
    }
}
