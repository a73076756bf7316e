// event.c - event lists (see event.h).
#include "event.h"

#include <stdlib.h>

#include "sl/err.h"
#include "sl/mem.h"

static void
s_push(mockllm_events_t *self, uint8_t kind, uint16_t call, uint32_t index)
{
    if (self->n == self->alloc) {
        self->alloc = self->alloc ? self->alloc * 2 : 64;
        self->items = sl_xrealloc(self->items, self->alloc * sizeof *self->items);
    }
    self->items[self->n++] =
        (mockllm_event_t){.kind = kind, .call = call, .index = index, .units = self->units};
}

void
mockllm_events_init(mockllm_events_t *self, bool pings)
{
    *self = (mockllm_events_t){.pings = pings};
}

void
mockllm_events_free(mockllm_events_t *self)
{
    free(self->items);
    *self = (mockllm_events_t){0};
}

int
mockllm_events_add(
    mockllm_events_t *self, uint8_t kind, uint16_t call, uint32_t index, uint32_t units)
{
    bool ping = self->pings && self->n > 0;
    if (self->n + 1 + ping > MOCKLLM_EVENT_MAX)
        return SL_ETOOBIG;
    if (ping)
        s_push(self, MOCKLLM_EVENT_PING, 0, 0);
    self->units += units;
    s_push(self, kind, call, index);
    return 0;
}
