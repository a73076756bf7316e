// events.c - a stream of named JSON events over SSE (see events.h).
#include "events.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"
#include "sl/sse.h"
#include "surrogates.h"

struct provider_events {
    sl_sse_parser_t *sse;          // owned
    const provider_event_t *table; // borrowed: the adapter's static table
    size_t n;                      // entries in table
    bool ended;                    // provider_events_end ran
    void *arg;                     // the handlers' argument during a feed
};

// The table entry for name, or NULL when the name is unknown.
static const provider_event_t *
s_find(const provider_events_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->n; i++)
        if (strlen(self->table[i].name) == len && memcmp(self->table[i].name, name, len) == 0)
            return &self->table[i];
    return NULL;
}

static int
s_on_event(void *arg, const sl_sse_event_t *event)
{
    provider_events_t *self = arg;
    if (self->ended)
        return 0;
    bool unnamed = event->event_len == 7 && memcmp(event->event, "message", 7) == 0;
    if (unnamed && event->data_len == 6 && memcmp(event->data, "[DONE]", 6) == 0)
        return 0;
    const provider_event_t *handler = unnamed ? NULL : s_find(self, event->event, event->event_len);
    if (!unnamed && (!handler || !handler->fn))
        return 0;
    cJSON *data = provider_json_parse(event->data, event->data_len);
    if (!cJSON_IsObject(data)) {
        cJSON_Delete(data);
        return SL_EPROTO;
    }
    if (unnamed) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "type");
        if (cJSON_IsString(type))
            handler = s_find(self, type->valuestring, strlen(type->valuestring));
    }
    int rc = handler && handler->fn ? handler->fn(self->arg, data) : 0;
    cJSON_Delete(data);
    return rc;
}

provider_events_t *
provider_events_new(const provider_event_t *table, size_t n, size_t max_event_bytes)
{
    provider_events_t *self = sl_xcalloc(1, sizeof *self);
    self->sse = sl_sse_parser_new(max_event_bytes);
    self->table = table;
    self->n = n;
    return self;
}

void
provider_events_destroy(provider_events_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_sse_parser_destroy(&(*self_p)->sse);
    free(*self_p);
    *self_p = NULL;
}

int
provider_events_feed(provider_events_t *self, const char *data, size_t len, void *arg)
{
    self->arg = arg;
    int rc = sl_sse_parser_feed(self->sse, data, len, s_on_event, self);
    self->arg = NULL;
    return rc;
}

void
provider_events_end(provider_events_t *self)
{
    self->ended = true;
}

int
provider_events_is_ended(const provider_events_t *self)
{
    return self->ended;
}
