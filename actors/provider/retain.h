// retain.h - the frames of one attempt that the worker keeps until they are durable.
//
// A token lives in two processes until persistence holds it: the worker, where it was born
// and given its index, keeps every TOKENS and END frame it produced for the builder until the
// builder says (DURABLE {count, final}) that indices below count are stored, and that the
// END is stored (final). When the builder is restarted it has lost what it held, so the
// worker rewinds and sends every kept frame again, in order; persistence stores by index, so
// what was stored already is not stored twice. Frames are kept in production order: TOKENS
// in index order, then at most one END. Pure: no sockets. Not thread-safe.
#ifndef PROVIDER_RETAIN_H
#define PROVIDER_RETAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct provider_retain provider_retain_t; // opaque

provider_retain_t *provider_retain_new(void);
// Free self and every kept frame; set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void provider_retain_destroy(provider_retain_t **self_p);

// Keep the encoded frame *data_p (malloc'd; ownership taken, *data_p set to NULL) holding
// the deltas with indices [first, end); an END frame has is_end set and first == end == the
// stream's count. It is unsent until provider_retain_sent.
void provider_retain_add(provider_retain_t *self,
                         uint8_t **data_p,
                         size_t len,
                         uint64_t first,
                         uint64_t end,
                         bool is_end);
// The first frame not sent yet: true and *data_p / *len_p set (borrowed until the next change),
// or false when every kept frame has been sent.
bool provider_retain_peek(const provider_retain_t *self, const uint8_t **data_p, size_t *len_p);
// The frame provider_retain_peek returned was sent.
void provider_retain_sent(provider_retain_t *self);
// The builder stored indices below count (and the END when final). Drops the TOKENS frames
// wholly below count, and everything when final. count never goes back: a lower one than
// before (a late DURABLE) changes nothing. Returns the frames dropped.
size_t provider_retain_durable(provider_retain_t *self, uint64_t count, bool final);
// Send every kept frame again, from the first (the builder was restarted).
void provider_retain_rewind(provider_retain_t *self);

// Indices known durable: the highest count a DURABLE said.
uint64_t provider_retain_durable_count(const provider_retain_t *self);
// True once a DURABLE said final: the whole stream, END included, is stored.
bool provider_retain_is_final(const provider_retain_t *self);
// Frames kept, sent or not.
size_t provider_retain_size(const provider_retain_t *self);
// Frames kept and not sent yet.
size_t provider_retain_unsent(const provider_retain_t *self);

#endif
