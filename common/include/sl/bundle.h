// sl/bundle.h - many messages for one peer in one frame: BUNDLE {count, body}.
//
// A process with several messages for the same peer in one pass of its loop sends them as one
// BUNDLE, so the peer and both sides' ZeroMQ I/O threads wake once for all of them instead of
// once each (docs/protocol.md, "Bundles"). The body is count msgpack bin values back to back,
// each one whole encoded message of any type but BUNDLE, in the order they were added. A bundle
// that holds one message is sent as that message alone, so a quiet process sends exactly what
// it sent before bundles. Reading is as strict as sl_wire_decode: a count that disagrees with
// the body, a bad bin header, a nested BUNDLE or an inner message that does not decode is an
// error that names the item. Not thread-safe.
#ifndef SL_BUNDLE_H
#define SL_BUNDLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/wire.h"

#define SL_BUNDLE_MAX_MSGS 4096 // messages in one bundle, at most

// Shown so owners can embed it; use the functions, not the fields.
typedef struct {
    sl_buf_t buf;     // the frame being built: a reserved header, then the body's items
    uint32_t count;   // messages added
    size_t first_off; // where the first message's own bytes start in buf (after its bin header)
    size_t first_len; // and how many they are
} sl_bundle_t;

// An empty bundle whose frame stays within max_bytes (at most SL_WIRE_MAX_FRAME).
void sl_bundle_init(sl_bundle_t *self, size_t max_bytes);
void sl_bundle_free(sl_bundle_t *self);
// Add msg, encoded in place. SL_ETOOBIG (nothing added) when the bundle is full: it would pass
// its max_bytes or SL_BUNDLE_MAX_MSGS; SL_EINVAL when msg cannot be encoded or is a BUNDLE.
int sl_bundle_add_msg(sl_bundle_t *self, const sl_msg_t *msg);
// Add an already encoded message (data, len; copied). Same errors as sl_bundle_add_msg; the
// bytes are not checked here: the reader checks them.
int sl_bundle_add(sl_bundle_t *self, const uint8_t *data, size_t len);
// Messages added since the last reset.
uint32_t sl_bundle_count(const sl_bundle_t *self);
// Bytes the frame would have now.
size_t sl_bundle_size(const sl_bundle_t *self);
// The frame to send, borrowed until the next change: the lone message's own bytes when one
// was added, the BUNDLE otherwise; NULL (and *len_p 0) when empty.
const uint8_t *sl_bundle_frame(sl_bundle_t *self, size_t *len_p);
// Empty the bundle, keeping its storage.
void sl_bundle_reset(sl_bundle_t *self);

// Reads the messages of a decoded BUNDLE in order. Strings of each message borrow from the
// frame the BUNDLE was decoded from.
typedef struct {
    const uint8_t *p, *end; // what is left of the body
    uint64_t left;          // messages the count says are still to come
    uint64_t at;            // index of the next message, for error text
} sl_bundle_reader_t;

void sl_bundle_reader_init(sl_bundle_reader_t *r, const sl_msg_t *bundle);
// Decode the next message into msg: 1 when there was one, 0 at a clean end, SL_EPROTO when
// the bundle is malformed from here on (err names the item, e.g. "BUNDLE.body[3]: TOKENS...";
// reading further returns SL_EPROTO again).
int sl_bundle_next(sl_bundle_reader_t *r, sl_msg_t *msg, char *err, size_t err_size);

#endif
