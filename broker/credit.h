// credit.h - the broker's registry of provider workers: who is alive, how many attempts each
// can take (its credits), which requests each is serving, and which one gets the next.
//
// A worker announces itself with READY {name, credits} and repeats it as a heartbeat; each
// READY sets its capacity and pushes its expiry to now + liveness_ms. A worker not heard from
// by its expiry is dead: broker_credit_expire removes it and hands back the requests it was
// serving, so the broker can end them or send them elsewhere. Workers are keyed by their
// ZeroMQ routing id (bytes). Pure: no sockets; time comes from the injected clock, so tests
// drive it by hand. Not thread-safe.
#ifndef BROKER_CREDIT_H
#define BROKER_CREDIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/clock.h"

// Most workers the registry holds: a READY past this is refused, so a peer that invents
// routing ids cannot grow the registry without bound.
#define BROKER_CREDIT_MAX_WORKERS 4096
// Longest worker name kept; a longer one is cut here (names are for logs).
#define BROKER_CREDIT_MAX_NAME 128

typedef struct broker_credit broker_credit_t;               // opaque
typedef struct broker_credit_worker broker_credit_worker_t; // opaque

// Called by broker_credit_expire once per expired worker, just before it is freed. worker
// is borrowed: valid during the call only.
typedef void(broker_credit_lost_fn)(void *arg, const broker_credit_worker_t *worker);

// New, empty registry. clock is borrowed (NULL: the real clock) and must outlive self;
// liveness_ms (> 0) is how long a READY keeps a worker alive. Caller owns the result.
broker_credit_t *broker_credit_new(const sl_clock_t *clock, int64_t liveness_ms);
// Free self and every worker record, and set *self_p to NULL. Safe on NULL and on
// *self_p == NULL.
void broker_credit_destroy(broker_credit_t **self_p);

// A READY from the worker with routing id id[0..id_len): register it, or refresh it. Either
// way its capacity becomes credits, its expiry now + liveness_ms, its name name[0..name_len)
// (cut to BROKER_CREDIT_MAX_NAME), and it is available again if it was suspended. A capacity
// below the worker's in-flight count is kept: the worker simply gets nothing new until enough
// finish. A worker past its expiry but not yet removed by broker_credit_expire is refreshed
// like any other (its READY beat the sweep). Returns 1 for a new worker, 0 for a refresh; SL_EINVAL
// for an empty id; SL_ETOOBIG when a new worker would pass BROKER_CREDIT_MAX_WORKERS (nothing
// changes).
int broker_credit_ready(broker_credit_t *self,
                        const void *id,
                        size_t id_len,
                        const char *name,
                        size_t name_len,
                        uint32_t credits);

// The worker that should get the next attempt: among workers that are alive (now < expiry),
// not suspended and have a free credit, the one with the most free credits (capacity minus
// in flight); on a tie, the one that registered first. Workers heard from within half their
// liveness come first: one silent longer may be hung, and gets work only when no fresher one
// has a credit. Only workers fit accepts (fit NULL: every one) are considered. NULL when none
// has a free credit. Borrowed: valid until the next call that changes self.
typedef bool(broker_credit_fit_fn)(void *arg, const broker_credit_worker_t *worker);
const broker_credit_worker_t *
broker_credit_pick(const broker_credit_t *self, broker_credit_fit_fn *fit, void *arg);
// The worker with this routing id, or NULL. Borrowed: valid until the next change to self.
const broker_credit_worker_t *
broker_credit_find(const broker_credit_t *self, const void *id, size_t id_len);

// Charge one credit of worker id for request req_id (NUL-terminated, copied). Returns 0;
// SL_ENOTFOUND for an unknown worker; SL_EAGAIN when it has no free credit; SL_EINVAL when
// it already serves req_id.
int broker_credit_take(broker_credit_t *self, const void *id, size_t id_len, const char *req_id);
// Charge worker id for request req_id even without a free credit: the worker says it is
// already serving it (READY lists it after a broker restart). Returns 0; SL_ENOTFOUND for an
// unknown worker; SL_EINVAL when it already serves req_id.
int broker_credit_adopt(broker_credit_t *self, const void *id, size_t id_len, const char *req_id);
// Give back the credit worker id holds for req_id. Returns 0; SL_ENOTFOUND when the worker is
// unknown or does not serve req_id.
int broker_credit_release(broker_credit_t *self, const void *id, size_t id_len, const char *req_id);
// Take worker id out of the pick until its next READY (a send to it failed). Its in-flight
// requests stay charged and it still expires as usual. Returns 0 or SL_ENOTFOUND.
int broker_credit_suspend(broker_credit_t *self, const void *id, size_t id_len);

// Remove every worker whose expiry has passed (expiry <= now), oldest registration first,
// calling fn (when not NULL) for each before freeing it. Returns how many were removed.
size_t broker_credit_expire(broker_credit_t *self, broker_credit_lost_fn *fn, void *arg);
// Number of workers registered, alive or not yet expired.
size_t broker_credit_size(const broker_credit_t *self);

// Routing id of worker; its length goes to *len_p. Borrowed from worker.
const uint8_t *broker_credit_worker_id(const broker_credit_worker_t *worker, size_t *len_p);
// Name from the worker's last READY (NUL-terminated). Borrowed from worker.
const char *broker_credit_worker_name(const broker_credit_worker_t *worker);
// Credits from the worker's last READY.
uint32_t broker_credit_worker_capacity(const broker_credit_worker_t *worker);
// Credits charged now: the number of requests it serves.
uint32_t broker_credit_worker_in_flight(const broker_credit_worker_t *worker);
// Monotonic ms after which the worker counts as dead.
int64_t broker_credit_worker_expiry_ms(const broker_credit_worker_t *worker);
// True while suspended (between a failed send and its next READY).
bool broker_credit_worker_is_suspended(const broker_credit_worker_t *worker);
// Request id number index it serves, in the order they were charged (NUL-terminated), or
// NULL when index >= in-flight count. Borrowed from worker.
const char *broker_credit_worker_req_id(const broker_credit_worker_t *worker, uint32_t index);

#endif
