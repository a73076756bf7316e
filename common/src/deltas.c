// deltas.c - a bounded collection of deltas with their strings (see sl/deltas.h).
#include "sl/deltas.h"

#include <string.h>

void
sl_deltas_init(sl_deltas_t *self, size_t max_bytes)
{
    self->count = 0;
    sl_buf_init(&self->arena, max_bytes);
}

void
sl_deltas_free(sl_deltas_t *self)
{
    sl_buf_free(&self->arena);
    self->count = 0;
}

// Copy s into the arena, cut to what room is left (only ever the case for one delta alone
// bigger than the whole cap).
static void
s_store(sl_deltas_t *self, sl_str_t s, size_t *off, size_t *len)
{
    *off = self->arena.len;
    size_t room = self->arena.max_len - self->arena.len;
    size_t n = s.len < room ? s.len : room;
    if (n)
        (void)sl_buf_append(&self->arena, s.ptr, n); // fits: n <= room
    *len = n;
}

bool
sl_deltas_push(sl_deltas_t *self, const sl_delta_t *delta)
{
    size_t need = (size_t)delta->text.len + delta->tool_id.len + delta->tool_name.len;
    if (self->count == SL_WIRE_MAX_DELTAS
        || (self->count > 0 && need > self->arena.max_len - self->arena.len))
        return false;
    sl_delta_slot_t *slot = &self->slots[self->count++];
    slot->kind = delta->kind;
    slot->tool_index = delta->tool_index;
    s_store(self, delta->text, &slot->text_off, &slot->text_len);
    s_store(self, delta->tool_id, &slot->id_off, &slot->id_len);
    s_store(self, delta->tool_name, &slot->name_off, &slot->name_len);
    return true;
}

void
sl_deltas_fill(const sl_deltas_t *self, sl_msg_t *msg)
{
    const char *base = sl_buf_str(&self->arena);
    for (uint32_t i = 0; i < self->count; i++) {
        const sl_delta_slot_t *s = &self->slots[i];
        sl_delta_t *d = &msg->deltas[i];
        d->kind = s->kind;
        d->tool_index = s->tool_index;
        d->text = sl_strn(base + s->text_off, s->text_len);
        d->tool_id = sl_strn(base + s->id_off, s->id_len);
        d->tool_name = sl_strn(base + s->name_off, s->name_len);
    }
    msg->n_deltas = self->count;
}

void
sl_deltas_reset(sl_deltas_t *self)
{
    self->count = 0;
    sl_buf_reset(&self->arena);
}
