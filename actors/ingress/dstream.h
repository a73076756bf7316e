// dstream.h - Durable Streams over HTTP at /v1/stream/<path> (docs/durable-streams.md): the
// ingress's side. Each request becomes one DS message to persist, which decides (persist's
// ds.h); its DS_REPLY becomes the response: headers, a body, or, for live=sse, events as long
// as the connection lasts (each a new read that waits in persist until the stream changes).
// Private to the ingress. Not thread-safe.
#ifndef INGRESS_DSTREAM_H
#define INGRESS_DSTREAM_H
#include <microhttpd.h>

#include "actor.h"
#include "sl/wire.h"

#define INGRESS_DS_PREFIX       "/v1/stream/"
#define INGRESS_DS_ANSWER_MS    10000 // persist answers a request in this (plus its wait)
#define INGRESS_DS_SSE_MS       60000 // an SSE response ends after this (the client goes on)
#define INGRESS_DS_SSE_QUEUE    (2u * 1024 * 1024) // an SSE client's unread output, about
#define INGRESS_DS_CURSOR_EPOCH 1728432000000LL    // 2024-10-09T00:00:00Z: cursors count from it
#define INGRESS_DS_CURSOR_MS    20000              // a cursor's interval

typedef struct ingress_ds ingress_ds_t; // one request's state, owned by its connection

// A request to a URL under INGRESS_DS_PREFIX, its body read: answered now (a bad request) or
// sent to persist, the connection parked until the answer.
enum MHD_Result
ingress_ds_request(ingress_t *self, ingress_conn_t *k, const char *url, const char *method);
// MHD called again for a DS connection (resumed): queue the response once it is decided.
enum MHD_Result ingress_ds_resumed(ingress_t *self, ingress_conn_t *k);
// Persist's DS_REPLY for a pending request (found by its seq).
void ingress_ds_on_reply(ingress_t *self, const sl_msg_t *reply);
// Requests persist did not answer in time get 503; SSE responses past their time end.
void ingress_ds_tick(ingress_t *self);
// Persist was heard anew: reads are asked again; writes too when it is the first persist heard
// (replaced false), else answered 503 (they may or may not have happened; a producer's retry
// is safe).
void ingress_ds_requery(ingress_t *self, bool replaced);
// The connection is done: forget its request.
void ingress_ds_forget(ingress_t *self, ingress_conn_t *k);
void ingress_ds_free(ingress_ds_t **self_p);

#endif
