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

bool
mockllm_events_fault(mockllm_events_t *self, uint8_t kind, uint32_t fault_units)
{
    // cut: the first position whose events before it carry fault_units units.
    size_t cut = 0;
    while (cut < self->n && (cut == 0 ? 0 : self->items[cut - 1].units) < fault_units)
        cut++;
    uint32_t units = cut == 0 ? 0 : self->items[cut - 1].units;
    if (units < fault_units)
        return false;
    self->n = cut;
    self->units = units;
    // No check against MOCKLLM_EVENT_MAX: at most one event more than the list held, and no
    // request can ask for a list near the cap.
    s_push(self, kind, 0, (uint32_t)cut);
    return true;
}
