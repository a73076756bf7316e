// outbox.h - messages for ingress processes that their ROUTER could not take yet.
//
// An ingress never sends on `deliver`, so the builder's ROUTER knows an ingress only once its
// connection is up; right after either side (re)starts, a send to it fails with EHOSTUNREACH
// for a moment. Instead of dropping those tokens, the outbox keeps them per ingress, in order,
// and retries; while an ingress has anything queued, newer messages queue behind it so order
// holds. A frame may be a BUNDLE of many messages (sl/bundle.h): the outbox counts messages.
// Bounded: at most max_msgs in all (a frame past that is refused and counted by the caller;
// its clients see the gap and get an error event). An ingress's queue is dropped only
// when it has waited max_age_ms and the ingress is not alive (it stopped beating: it died,
// and its clients' connections closed with it); a live ingress's queue is never dropped. Not
// thread-safe.
#ifndef BUILDER_OUTBOX_H
#define BUILDER_OUTBOX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

typedef struct builder_outbox builder_outbox_t; // opaque

builder_outbox_t *builder_outbox_new(size_t max_msgs, int64_t max_age_ms);
void builder_outbox_destroy(builder_outbox_t **self_p);
// Send the encoded frame *data_p (malloc'd; ownership taken, *data_p set to NULL), which holds
// msgs messages, to peer over router, or queue it. Returns 0 when sent or queued, SL_ETOOBIG
// when the outbox is full (the frame is dropped).
int builder_outbox_send(builder_outbox_t *self,
                        zsock_t *router,
                        const char *peer,
                        uint8_t **data_p,
                        size_t len,
                        size_t msgs,
                        int64_t now_ms);
// Whether the ingress with routing id peer is alive (it beats).
typedef bool(builder_outbox_alive_fn)(void *arg, const char *peer);

// Retry queued frames in order. A queue whose oldest frame is max_age_ms old is dropped when
// alive is NULL or says its peer is not alive. Returns how many messages were dropped.
size_t builder_outbox_flush(builder_outbox_t *self,
                            zsock_t *router,
                            int64_t now_ms,
                            builder_outbox_alive_fn *alive,
                            void *arg);
// Messages queued.
size_t builder_outbox_size(const builder_outbox_t *self);

#endif
