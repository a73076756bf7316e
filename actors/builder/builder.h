// builder.h - the token builder / buffer manager actor.
//
// Pulls START, TOKENS and END from provider workers (PULL bound at `tokens`), gives every
// delta its client-visible index, forwards each message at once to the ingress that owns the
// client (ROUTER bound at `deliver`, routed by the ingress's routing id), and cuts durable
// batches (batch.max_tokens deltas, batch.max_age_ms, or stream end) that it sends to
// persistence (DEALER to `store`) and keeps until they are acknowledged. When
// limits.max_unacked_batches batches wait for an ACK it stops reading `tokens`, so a slow
// store pushes back on the workers. Not thread-safe: one per process, driven by its zloop.
#ifndef BUILDER_BUILDER_H
#define BUILDER_BUILDER_H
#include "sl/config.h"

typedef struct builder builder_t; // opaque

// New builder with its sockets bound/connected as cfg says (cfg is borrowed and must outlive
// the builder). NULL when a socket cannot be set up (logged).
builder_t *builder_new(const sl_config_t *cfg);
void builder_destroy(builder_t **self_p);
// Run until interrupted (SIGINT/SIGTERM). Returns 0.
int builder_run(builder_t *self);

#endif
