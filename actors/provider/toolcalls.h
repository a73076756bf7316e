// toolcalls.h - the tool calls of one streamed response: which upstream key (Anthropic's
// content block index, Cohere's tool call index) is which sluice tool_index, and which calls
// got argument text.
//
// sluice numbers a response's tool calls 0, 1, 2 ... in order of first appearance
// (docs/protocol.md "Deltas"), whatever the provider numbers. A call that ends without any
// argument text must still give its clients a JSON object: several clients crashed on
// JSON.parse("") for parameterless Anthropic tools (docs/providers.md §Quirks Q9), so
// provider_toolcalls_end tells the adapter to send "{}". Fixed size, no
// allocation: embed it in an adapter's stream state. Not thread-safe.
#ifndef PROVIDER_TOOLCALLS_H
#define PROVIDER_TOOLCALLS_H
#include <stdbool.h>
#include <stdint.h>

// Most tool calls one response may start; more is a malformed stream (SL_ETOOBIG).
#define PROVIDER_TOOLCALLS_MAX 256
// The key of a call whose upstream event gave no index.
#define PROVIDER_TOOLCALLS_NO_KEY (-1)

// Shown so adapters can embed it in their state; use the functions, not the fields.
typedef struct {
    uint32_t count; // calls started; the next call's tool_index
    struct {
        int64_t key;   // the upstream's index for the call, or PROVIDER_TOOLCALLS_NO_KEY
        bool has_args; // some non-empty argument text was sent
        bool ended;    // provider_toolcalls_end ran
    } calls[PROVIDER_TOOLCALLS_MAX];
} provider_toolcalls_t;

void provider_toolcalls_init(provider_toolcalls_t *self);
// Start a call for key. Returns its tool_index (>= 0), or SL_ETOOBIG when the response
// already started PROVIDER_TOOLCALLS_MAX calls.
int64_t provider_toolcalls_start(provider_toolcalls_t *self, int64_t key);
// The tool_index of the latest call started with key; for PROVIDER_TOOLCALLS_NO_KEY the latest
// call. -1 when there is none.
int64_t provider_toolcalls_find(const provider_toolcalls_t *self, int64_t key);
// Record that the call sent non-empty argument text. tool_index must come from _start/_find.
void provider_toolcalls_note_args(provider_toolcalls_t *self, uint32_t tool_index);
// End the call. True when the caller must send "{}" as its arguments: the call sent none and
// was not ended before.
bool provider_toolcalls_end(provider_toolcalls_t *self, uint32_t tool_index);

#endif
