// retry.h - what the broker does after a failed attempt that reached no client: try the same
// target again, fall back to the route's next target, or give up (the error-class table in
// docs/architecture.md).
//
//   RATE_LIMIT, TIMEOUT  the same target again, up to route->retries times, after a backoff;
//                        then the next target at once; then give up
//   PROVIDER_DOWN        the next target at once; on the last target, the same one again with
//                        a backoff, up to route->retries times; then give up
//   anything else        give up (FATAL, USER_ABORT, INTERNAL)
//
// The backoff before retry n (1, 2, ...) of a target is route->retry_base_ms * 1.5^(n-1),
// spread by ±20 % jitter, never shorter than the upstream's Retry-After, and never longer
// than route->retry_max_ms (which also caps the Retry-After honoured). Pure: the jitter comes
// from the caller's random number. Thread-safe.
#ifndef BROKER_RETRY_H
#define BROKER_RETRY_H
#include <stdint.h>

#include "sl/config.h"

// Where a request's attempts stand: which target of its route, and how many times that target
// has been retried. Shown so the broker embeds it; zero it for a new request.
typedef struct {
    uint32_t target;  // index in route->targets of the next attempt
    uint32_t retries; // retries of that target so far
} broker_retry_t;

// After a failed attempt of class err_class (sl_errclass_t) whose upstream asked to wait
// retry_after_ms (0: no word): returns the delay in ms before the next attempt and moves
// *state to that attempt's target, or -1 to give up (*state unchanged). random is a uniform
// random number in [0, 2^32) for the jitter.
int64_t broker_retry_next(const sl_route_cfg_t *route,
                          broker_retry_t *state,
                          uint32_t err_class,
                          int64_t retry_after_ms,
                          uint32_t random);

// A random number for a retry's jitter from the xorshift state *rng (not for anything that
// must be unpredictable).
uint32_t broker_retry_jitter(uint64_t *rng);

#endif
