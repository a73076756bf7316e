// outbox.h - messages for ingress processes that their ROUTER could not take yet.
//
// An ingress never sends on `deliver`, so the builder's ROUTER knows an ingress only once its
// connection is up; right after either side (re)starts, a send to it fails with EHOSTUNREACH
// for a moment. Instead of dropping those tokens, the outbox keeps them per ingress, in order,
// and retries; while an ingress has anything queued, newer messages queue behind it so order
// holds. Bounded: at most max_frames in all, each kept at most max_age_ms, after which the
// ingress is taken as gone and its queue dropped (the stream is still persisted). Not
// thread-safe.
#ifndef BUILDER_OUTBOX_H
#define BUILDER_OUTBOX_H
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

typedef struct builder_outbox builder_outbox_t; // opaque

builder_outbox_t *builder_outbox_new(size_t max_frames, int64_t max_age_ms);
void builder_outbox_destroy(builder_outbox_t **self_p);
// Send the encoded frame *data_p (malloc'd; ownership taken, *data_p set to NULL) to peer
// over router, or queue it. Returns 0 when sent or queued, SL_ETOOBIG when the outbox is full
// (the frame is dropped).
int builder_outbox_send(builder_outbox_t *self,
                        zsock_t *router,
                        const char *peer,
                        uint8_t **data_p,
                        size_t len,
                        int64_t now_ms);
// Retry queued frames in order. Returns how many frames were dropped as too old.
size_t builder_outbox_flush(builder_outbox_t *self, zsock_t *router, int64_t now_ms);
// Frames queued.
size_t builder_outbox_size(const builder_outbox_t *self);

#endif
