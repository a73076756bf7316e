// events.h - a stream of named JSON events over SSE, as Anthropic and Cohere v2 send them:
// `event: <name>` lines with `data: <JSON object>` whose "type" repeats the name.
//
// Each event goes to the handler its name picks. An event without an `event:` line (proxies
// that drop them, docs/providers.md §Quirks Q8) is named by its data's "type". Events the
// table does not name are ignored unparsed, so a new event type never breaks a stream; a
// handled event whose data is not a JSON object makes the stream malformed.
// `data: [DONE]`, which Cohere's fixtures send after their terminal event, is ignored. Not
// thread-safe; one per upstream stream.
#ifndef PROVIDER_EVENTS_H
#define PROVIDER_EVENTS_H
#include <stddef.h>

#include <cjson/cJSON.h>

// Handles one event. data is borrowed: valid during the call. Returns 0 to go on, or a
// negative SL_E* code that ends the feed.
typedef int(provider_event_fn)(void *arg, const cJSON *data);

typedef struct {
    const char *name;      // the event name
    provider_event_fn *fn; // NULL: a known event that is ignored unparsed (ping)
} provider_event_t;

typedef struct provider_events provider_events_t; // opaque

// New stream for n handlers. table is borrowed and must outlive the stream (a static table);
// max_event_bytes caps one event's line and data. Caller owns the result; never NULL.
provider_events_t *
provider_events_new(const provider_event_t *table, size_t n, size_t max_event_bytes);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void provider_events_destroy(provider_events_t **self_p);
// Parse len bytes, calling the handlers with arg for each event they complete. Returns 0;
// SL_EPROTO when a handled event's data is not a JSON object; SL_ETOOBIG when an event passes
// max_event_bytes; or the error a handler returned.
int provider_events_feed(provider_events_t *self, const char *data, size_t len, void *arg);
// The stream reached its end: every later event is ignored, parsed or not.
void provider_events_end(provider_events_t *self);
// True after provider_events_end.
int provider_events_is_ended(const provider_events_t *self);

#endif
