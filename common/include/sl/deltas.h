// sl/deltas.h - up to SL_WIRE_MAX_DELTAS deltas with copies of their strings: what one
// TOKENS or BATCH message carries, collected before it is sent.
//
// The strings are copied into one arena, so a collection outlives the frame its deltas were
// parsed or decoded from. Bounded by count and by max_bytes of string data. Not thread-safe.
#ifndef SL_DELTAS_H
#define SL_DELTAS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/wire.h"

// A delta in the collection: strings are offsets into the arena, which may move as it grows.
typedef struct {
    uint8_t kind;
    uint32_t tool_index;
    size_t text_off, text_len;
    size_t id_off, id_len;
    size_t name_off, name_len;
} sl_delta_slot_t;

// Shown so owners embed it; use the functions.
typedef struct {
    sl_delta_slot_t slots[SL_WIRE_MAX_DELTAS];
    uint32_t count; // deltas held
    sl_buf_t arena; // owned; their strings
} sl_deltas_t;

void sl_deltas_init(sl_deltas_t *self, size_t max_bytes);
void sl_deltas_free(sl_deltas_t *self);
// Copy delta in. False when it does not fit (SL_WIRE_MAX_DELTAS held, or its strings would
// pass max_bytes): the caller sends what is held, resets, and pushes again. Into an empty
// collection a delta always fits: strings longer than max_bytes are cut to fit.
bool sl_deltas_push(sl_deltas_t *self, const sl_delta_t *delta);
// Point msg->deltas at the held deltas and set msg->n_deltas. Borrowed: valid until the next
// push or reset.
void sl_deltas_fill(const sl_deltas_t *self, sl_msg_t *msg);
void sl_deltas_reset(sl_deltas_t *self);

#endif
