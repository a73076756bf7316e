// page.c - one page of a stored stream's deltas (see page.h).
#include "page.h"

#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

#define PAGE_STOP      1   // a replay callback's "enough": not an error code
#define PAGE_MAX_CALLS 128 // tool calls a look back remembers (an answer holds no more)

// A tool call that began before the page: its id and name, owned.
typedef struct {
    uint32_t tool_index;
    char *id, *name;
    size_t id_len, name_len;
    bool given; // its first fragment in the page has them
} s_call_t;

typedef struct {
    uint64_t from;
    s_call_t calls[PAGE_MAX_CALLS];
    size_t n_calls;
    sl_deltas_t *out;
} s_page_t;

static s_call_t *
s_call(s_page_t *self, uint32_t tool_index)
{
    for (size_t i = 0; i < self->n_calls; i++)
        if (self->calls[i].tool_index == tool_index)
            return &self->calls[i];
    return NULL;
}

// Look back: remember every call's id and name from its first fragment before the page.
static int
s_remember(void *arg, uint64_t index, const sl_delta_t *d)
{
    s_page_t *self = arg;
    if (index >= self->from)
        return PAGE_STOP;
    if (d->kind != SL_DELTA_TOOL || (d->tool_id.len == 0 && d->tool_name.len == 0))
        return 0;
    s_call_t *c = s_call(self, d->tool_index);
    if (!c) {
        if (self->n_calls == PAGE_MAX_CALLS)
            return 0;
        c = &self->calls[self->n_calls++];
    } else {
        free(c->id);
        free(c->name);
    }
    c->tool_index = d->tool_index;
    c->id = sl_xstrndup(d->tool_id.ptr ? d->tool_id.ptr : "", d->tool_id.len);
    c->id_len = d->tool_id.len;
    c->name = sl_xstrndup(d->tool_name.ptr ? d->tool_name.ptr : "", d->tool_name.len);
    c->name_len = d->tool_name.len;
    return 0;
}

static int
s_take(void *arg, uint64_t index, const sl_delta_t *d)
{
    s_page_t *self = arg;
    if (index < self->from)
        return 0; // a row that began before the asked index
    sl_delta_t copy = *d;
    s_call_t *c = d->kind == SL_DELTA_TOOL ? s_call(self, d->tool_index) : NULL;
    if (c && !c->given && d->tool_id.len == 0) {
        copy.tool_id = sl_strn(c->id, c->id_len);
        copy.tool_name = sl_strn(c->name, c->name_len);
    }
    if (!sl_deltas_push(self->out, &copy))
        return PAGE_STOP; // full (an empty page takes any delta): the next page begins here
    if (c)
        c->given = true;
    return self->out->count == SL_WIRE_MAX_DELTAS ? PAGE_STOP : 0;
}

int
persist_page_read(
    persist_store_t *store, sl_str_t id, uint64_t from, bool context, sl_deltas_t *out)
{
    s_page_t *self = sl_xcalloc(1, sizeof *self);
    self->from = from;
    self->out = out;
    sl_deltas_reset(out);
    int rc = 0;
    if (context && from > 0)
        rc = persist_store_replay(store, id, 0, s_remember, self);
    if (rc == 0 || rc == PAGE_STOP)
        rc = persist_store_replay(store, id, from, s_take, self);
    if (rc == PAGE_STOP)
        rc = 0;
    for (size_t i = 0; i < self->n_calls; i++) {
        free(self->calls[i].id);
        free(self->calls[i].name);
    }
    free(self);
    if (rc != 0)
        sl_deltas_reset(out);
    return rc;
}
