// kit.c - what the provider adapters share (see kit.h).
#include "kit.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "sl/mem.h"

void *
provider_kit_new(size_t size, const provider_event_t *table, size_t n, size_t max_event_bytes)
{
    assert(size >= sizeof(provider_kit_t));
    provider_kit_t *kit = sl_xcalloc(1, size);
    kit->events = provider_events_new(table, n, max_event_bytes);
    provider_toolcalls_init(&kit->tools);
    return kit;
}

void
provider_kit_destroy(void **state_p)
{
    provider_kit_t *kit = *state_p;
    if (!kit)
        return;
    provider_events_destroy(&kit->events);
    free(kit);
    *state_p = NULL;
}

int
provider_kit_feed(void *state, const char *data, size_t len, const provider_sink_t *sink)
{
    provider_kit_t *kit = state;
    kit->sink = sink;
    int rc = provider_events_feed(kit->events, data, len, state);
    kit->sink = NULL;
    return rc;
}

int64_t
provider_kit_index(const cJSON *data)
{
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(data, "index");
    if (!cJSON_IsNumber(index) || !(index->valuedouble >= 0) || index->valuedouble > 1e15)
        return PROVIDER_TOOLCALLS_NO_KEY;
    return (int64_t)index->valuedouble;
}

int
provider_kit_call_start(
    provider_kit_t *kit, int64_t key, const char *id, const char *name, const char *args)
{
    int64_t index = provider_toolcalls_start(&kit->tools, key);
    if (index < 0)
        return (int)index;
    sl_delta_t d = {.kind = SL_DELTA_TOOL,
                    .tool_index = (uint32_t)index,
                    .tool_id = sl_str(id),
                    .tool_name = sl_str(name),
                    .text = sl_str(args)};
    kit->sink->delta(kit->sink->arg, &d);
    if (args && *args)
        provider_toolcalls_note_args(&kit->tools, (uint32_t)index);
    return 0;
}

void
provider_kit_call_args(provider_kit_t *kit, int64_t key, const char *args)
{
    int64_t index = provider_toolcalls_find(&kit->tools, key);
    if (index < 0 || !args || !*args)
        return; // a fragment of no call we know (a server tool's), or one that carries nothing
    sl_delta_t d = {.kind = SL_DELTA_TOOL, .tool_index = (uint32_t)index, .text = sl_str(args)};
    kit->sink->delta(kit->sink->arg, &d);
    provider_toolcalls_note_args(&kit->tools, (uint32_t)index);
}

void
provider_kit_call_end(provider_kit_t *kit, int64_t key)
{
    int64_t index = provider_toolcalls_find(&kit->tools, key);
    if (index >= 0 && provider_toolcalls_end(&kit->tools, (uint32_t)index)) {
        sl_delta_t d = {.kind = SL_DELTA_TOOL, .tool_index = (uint32_t)index, .text = sl_str("{}")};
        kit->sink->delta(kit->sink->arg, &d);
    }
}

void
provider_kit_text(const provider_sink_t *sink, uint8_t kind, const char *text)
{
    if (!text || !*text)
        return;
    sl_delta_t d = {.kind = kind, .text = sl_str(text)};
    sink->delta(sink->arg, &d);
}

const char *
provider_kit_call_id(const char *given, const char *req_id, uint32_t index, char *buf, size_t size)
{
    if (given && *given)
        return given;
    provider_made_up_call_id(req_id && *req_id ? req_id : NULL, index, buf, size);
    return buf;
}

void
provider_kit_whole_call(const provider_sink_t *sink,
                        uint32_t index,
                        const char *id,
                        const char *name,
                        const cJSON *args)
{
    char *text;
    if (cJSON_IsString(args))
        text = sl_xstrdup(args->valuestring);
    else if (args && !cJSON_IsNull(args))
        text = cJSON_PrintUnformatted(args);
    else
        text = sl_xstrdup("{}");
    if (!text)
        abort(); // cJSON ran out of memory: as sl/mem.h does
    sl_delta_t d = {.kind = SL_DELTA_TOOL,
                    .tool_index = index,
                    .tool_id = sl_str(id),
                    .tool_name = sl_str(name),
                    .text = sl_str(text)};
    sink->delta(sink->arg, &d);
    free(text);
}

const char *
provider_kit_message(const char *message, uint32_t status, char *buf, size_t size)
{
    if (message && *message)
        return message;
    snprintf(buf, size, "upstream returned HTTP %u", status);
    return buf;
}
