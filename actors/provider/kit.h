// kit.h - what the provider adapters share once they parse a stream: the state of an adapter
// over named SSE events (Anthropic, Cohere), and the emission of text, tool calls and error
// messages every adapter does the same way.
//
// An adapter over named events embeds provider_kit_t as the first member of its state and
// takes provider_kit_destroy and provider_kit_feed as its adapter hooks; its event handlers get
// that state as their arg. Emission skips empty text (a delta must carry something), makes up
// the ids of tool calls that come without one, and gives a call that ends without argument text
// "{}" (docs/providers.md §Quirks Q9). Not thread-safe; one state per upstream stream.
#ifndef PROVIDER_KIT_H
#define PROVIDER_KIT_H
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "events.h"
#include "toolcalls.h"

// The state every adapter over named events starts with. Shown so adapters embed it first in
// their own state.
typedef struct {
    provider_events_t *events;   // owned
    const provider_sink_t *sink; // borrowed: set during a feed, NULL between feeds
    provider_toolcalls_t tools;  // the response's tool calls, keyed by the provider's index
} provider_kit_t;

// New zeroed adapter state of size bytes (>= sizeof(provider_kit_t); the adapter's state type,
// whose first member is a provider_kit_t), parsing events by table (borrowed, static) with
// max_event_bytes as the cap on one event. Caller owns the result (free with
// provider_kit_destroy); never NULL.
void *
provider_kit_new(size_t size, const provider_event_t *table, size_t n, size_t max_event_bytes);
// Free a state made by provider_kit_new and set *state_p to NULL. Safe on *state_p == NULL.
// Fits provider_adapter_t.state_destroy.
void provider_kit_destroy(void **state_p);
// Parse len bytes with sink as the kit's sink, calling the table's handlers with state as their
// arg. Returns as provider_events_feed. Fits provider_adapter_t.feed.
int provider_kit_feed(void *state, const char *data, size_t len, const provider_sink_t *sink);

// An event's "index" as a provider_toolcalls_t key: PROVIDER_TOOLCALLS_NO_KEY when it is
// missing, not a number, negative or past 1e15 (never cast out of range).
int64_t provider_kit_index(const cJSON *data);
// Start a call keyed key and send its first fragment: id, name and args, each borrowed and
// optional. Returns 0, or SL_ETOOBIG when the response already started
// PROVIDER_TOOLCALLS_MAX calls (a malformed stream).
int provider_kit_call_start(
    provider_kit_t *kit, int64_t key, const char *id, const char *name, const char *args);
// Send args as a fragment of the latest call keyed key (the latest call of all for
// PROVIDER_TOOLCALLS_NO_KEY). Nothing when no call has the key or args is NULL or empty.
void provider_kit_call_args(provider_kit_t *kit, int64_t key, const char *args);
// End the latest call keyed key; a call that sent no argument text gets "{}" now.
void provider_kit_call_end(provider_kit_t *kit, int64_t key);

// Send text as one delta of kind (SL_DELTA_TEXT or SL_DELTA_REASONING); nothing when text is
// NULL or empty.
void provider_kit_text(const provider_sink_t *sink, uint8_t kind, const char *text);
// The id of a call the provider sent as given: given when it is set and not empty, else an id
// made up from req_id and index (provider_made_up_call_id) written into buf. Borrowed from
// given or buf.
const char *
provider_kit_call_id(const char *given, const char *req_id, uint32_t index, char *buf, size_t size);
// A tool call that arrives whole (Gemini, Ollama): one fragment with its id, name and
// arguments. args is the arguments as the provider sent them: a string goes as it is (a relay
// that kept OpenAI's string form), JSON null or missing as "{}", anything else printed.
void provider_kit_whole_call(const provider_sink_t *sink,
                             uint32_t index,
                             const char *id,
                             const char *name,
                             const cJSON *args);
// The message of an error: message when it is set and not empty, else
// "upstream returned HTTP <status>" written into buf. Borrowed from message or buf.
const char *provider_kit_message(const char *message, uint32_t status, char *buf, size_t size);

#endif
