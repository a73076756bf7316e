// event.h - the events a stream is made of, in order, before any of them is rendered.
//
// A format lays a script out as a list of events (its own kinds: a role chunk, a text token, a
// tool-call fragment, a finish ...) and later renders each one alone. The stream paces and
// holds by content units (text tokens and argument fragments): each event records how many
// units have been sent once it is out, so an event that carries none (framing) or several
// (Gemini's whole calls) needs no special case. With pings on, a keepalive event
// (MOCKLLM_EVENT_PING) goes between every two events. A malformed= or error_event= fault ends
// the list early with one event of a kind every format renders (MOCKLLM_EVENT_MALFORMED,
// MOCKLLM_EVENT_ERROR). Not thread-safe; one list per stream.
#ifndef MOCKLLM_EVENT_H
#define MOCKLLM_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOCKLLM_EVENT_PING      0          // a keepalive; formats number their own kinds from 1
#define MOCKLLM_EVENT_MALFORMED 0xfe       // malformed=: a broken event in the format's framing
#define MOCKLLM_EVENT_ERROR     0xff       // error_event=: the format's in-stream error
#define MOCKLLM_EVENT_MAX       (1u << 21) // events in one list: tokens and fragments, and pings

// One event. Shown so lists are plain arrays.
typedef struct {
    uint8_t kind;   // the format's kind, or MOCKLLM_EVENT_PING
    uint16_t call;  // the tool call it belongs to, for tool-call kinds
    uint32_t index; // the token or fragment it carries, by kind; fault kinds: events before it
    uint32_t units; // content units sent once this event is out (cumulative)
} mockllm_event_t;

// A list of events. Shown so owners embed it; use the functions to change it.
typedef struct {
    mockllm_event_t *items; // owned; n entries
    size_t n;               // events in the list
    size_t alloc;           // entries allocated
    bool pings;             // a PING goes between every two events
    uint32_t units;         // content units of the events so far
} mockllm_events_t;

void mockllm_events_init(mockllm_events_t *self, bool pings);
// Free the storage; self can be initialised again.
void mockllm_events_free(mockllm_events_t *self);
// Append an event that carries units content units (preceded by a PING when pings are on and
// the list is not empty). Returns 0 or SL_ETOOBIG past MOCKLLM_EVENT_MAX (list unchanged).
int mockllm_events_add(
    mockllm_events_t *self, uint8_t kind, uint16_t call, uint32_t index, uint32_t units);
// End the list once fault_units content units are out: drop every event after that point and
// put one event of kind (MOCKLLM_EVENT_MALFORMED or MOCKLLM_EVENT_ERROR) in their place, with no
// keepalive before it. The point is right after the event that brings the units to fault_units
// (0: before the first event); an event carrying several units can step over it. Returns true
// when the fault was placed, false (list unchanged) when the list carries fewer units.
bool mockllm_events_fault(mockllm_events_t *self, uint8_t kind, uint32_t fault_units);

#endif
