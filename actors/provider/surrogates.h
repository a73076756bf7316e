// surrogates.h - UTF-16 surrogate halves in upstream JSON, joined instead of failing a stream.
//
// Some upstreams cut strings at UTF-16 positions, so a character outside the BMP can reach
// sluice as two deltas: "...\ud83d" then "\ude80...". Each escape is legal JSON on its own but
// no UTF-8 text can hold it alone, and cJSON refuses the event. provider_json_parse keeps such a
// lone half as its three-byte generalized UTF-8 form (WTF-8: ED A0..BF xx), and
// provider_surrogates_join makes valid UTF-8 of a stream's deltas again: a high half at the end
// of one delta waits for the low half at the start of the next delta of the same channel (the
// text, the reasoning, or one tool call's arguments) and the two become one character. A half
// that finds no partner becomes U+FFFD. Not thread-safe; one joiner per upstream stream.
#ifndef PROVIDER_SURROGATES_H
#define PROVIDER_SURROGATES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sl/buf.h"
#include "sl/wire.h"

// Parse len bytes of JSON as cJSON_ParseWithLength does, keeping lone surrogate escapes as
// WTF-8 in string values. NULL when the text is not JSON. Caller owns the result.
cJSON *provider_json_parse(const char *text, size_t len);

// What a delta's text turns into: out_p/out_len the text to send (borrowed from the delta or
// from the joiner, valid until its next call), and, when a half of an earlier delta found no
// partner, flush (a delta of U+FFFD for that earlier channel) to send first.
typedef struct {
    bool pending;        // a high half waits at the end of the channel below
    uint8_t kind;        // its channel: sl_delta_kind_t
    uint32_t tool_index; // and the call, for SL_DELTA_TOOL
    uint8_t half[3];     // the WTF-8 high half
    sl_buf_t buf;        // owned; text made here
} provider_surrogates_t;

void provider_surrogates_init(provider_surrogates_t *self);
void provider_surrogates_free(provider_surrogates_t *self);
// True when text holds a surrogate half (ED A0..BF): only then is a delta worth joining.
bool provider_surrogates_any(const char *text, size_t len);
// Rewrite delta->text in place for sending: join a waiting high half with this delta's low
// half, keep a high half at its end for the next delta of its channel, make every other half
// U+FFFD. *orphan is set when a half waiting on another channel found no partner: the caller
// sends a delta of "\xEF\xBF\xBD" on orphan's channel before this one. delta->text may then
// borrow from self until the next call.
void provider_surrogates_join(provider_surrogates_t *self,
                              sl_delta_t *delta,
                              sl_delta_t *orphan,
                              bool *has_orphan);
// The stream ends: a high half still waiting becomes U+FFFD on its channel. True (and *orphan
// set) when there was one.
bool provider_surrogates_end(provider_surrogates_t *self, sl_delta_t *orphan);

#endif
