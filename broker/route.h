// route.h - the broker's routing table: a model alias clients send -> its ordered targets.
//
// Built once from the config's routes, which it borrows: the config must outlive the table.
// Lookups are by (bytes, length) because aliases arrive from the wire without a NUL. The
// targets of a route are in fallback order; a request's current target is an index into
// them, so falling back is "the next index" (broker_route_target gives NULL past the end).
// Pure: no sockets, no clock. Not thread-safe.
#ifndef BROKER_ROUTE_H
#define BROKER_ROUTE_H
#include <stddef.h>

#include "sl/config.h"

typedef struct broker_route broker_route_t; // opaque

// New table over n_routes routes (borrowed). NULL when two routes share an alias or a route
// has no targets (the config already refuses both; the table does not trust it).
// Caller owns the result.
broker_route_t *broker_route_new(const sl_route_cfg_t *routes, size_t n_routes);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void broker_route_destroy(broker_route_t **self_p);
// The route for the alias held in alias[0..len), or NULL when no route has that alias.
// Borrowed from the config.
const sl_route_cfg_t *
broker_route_lookup(const broker_route_t *self, const char *alias, size_t len);
// Target number index of route, or NULL when index is past the last target. Borrowed.
const sl_target_cfg_t *broker_route_target(const sl_route_cfg_t *route, size_t index);
// Number of routes in the table.
size_t broker_route_size(const broker_route_t *self);
// The answer for an alias no route has, "The model '<alias>' does not exist", into out (size
// bytes). The alias is the client's own text, returned to it: cut to 96 bytes so the reply
// stays small, and not inside a UTF-8 sequence, so the ingress's JSON stays valid.
void broker_route_unknown(const char *alias, size_t len, char *out, size_t size);

#endif
