// toolcalls.c - the tool calls of one streamed response (see toolcalls.h).
#include "toolcalls.h"

#include <assert.h>
#include <string.h>

#include "sl/err.h"

void
provider_toolcalls_init(provider_toolcalls_t *self)
{
    memset(self, 0, sizeof *self);
}

int64_t
provider_toolcalls_start(provider_toolcalls_t *self, int64_t key)
{
    if (self->count >= PROVIDER_TOOLCALLS_MAX)
        return SL_ETOOBIG;
    uint32_t index = self->count++;
    self->calls[index].key = key;
    self->calls[index].has_args = false;
    self->calls[index].ended = false;
    return index;
}

int64_t
provider_toolcalls_find(const provider_toolcalls_t *self, int64_t key)
{
    // Search from the latest: a provider that reuses an index means its newest call.
    for (uint32_t i = self->count; i > 0; i--)
        if (key == PROVIDER_TOOLCALLS_NO_KEY || self->calls[i - 1].key == key)
            return i - 1;
    return -1;
}

void
provider_toolcalls_note_args(provider_toolcalls_t *self, uint32_t tool_index)
{
    assert(tool_index < self->count);
    self->calls[tool_index].has_args = true;
}

bool
provider_toolcalls_end(provider_toolcalls_t *self, uint32_t tool_index)
{
    assert(tool_index < self->count);
    bool empty = !self->calls[tool_index].has_args && !self->calls[tool_index].ended;
    self->calls[tool_index].ended = true;
    return empty;
}
