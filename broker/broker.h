// broker.h - the broker actor: admission, routing and dispatch of client requests to provider
// workers with free credits.
//
// Ingress processes connect DEALERs to the frontend ROUTER (cfg->ep_frontend) and send
// SUBMIT and CANCEL; the broker answers with REJECT when it cannot take a request. Provider
// workers connect DEALERs to the backend ROUTER (cfg->ep_backend), announce themselves with
// READY {name, credits, count, req_ids} every cfg->heartbeat_ms, receive DISPATCH and CANCEL,
// and report each attempt's OUTCOME. A request with no free worker, or whose provider is at its
// concurrency, waits in a bounded queue (cfg->queue_max), first in first out per provider, for
// at most cfg->timeout_connect_ms. A worker silent for liveness_beats
// heartbeats is dropped and the requests it was serving are rejected, so no client is left
// hanging. The broker's state is soft: a restarted broker learns what each worker serves from
// its READY (the ids it lists are adopted, not dispatched again), and each ingress re-submits
// its requests that have not started (a SUBMIT for a request already held from the same
// ingress is a no-op). It answers an ingress's BEAT with its own, so the ingress sees a
// restart. Each provider's concurrency is held across all workers. A SUB to the supervisor's
// state socket brings the circuit breakers' CIRCUIT words (circuits.h): before each dispatch a
// request moves past targets whose breakers do not admit, and one with no target left is
// answered 503 with Retry-After (or with its last attempt's failure). SIGHUP re-reads the
// config's routes (sl/reload.h). Every heartbeat STATS reports queue, requests held, retries,
// fallbacks and rejects. The decisions live in route.c,
// credit.c and queue.c; this module holds the sockets and the table of requests. Not thread-safe:
// one per process, driven by its own zloop.
#ifndef BROKER_BROKER_H
#define BROKER_BROKER_H

#include "sl/clock.h"
#include "sl/config.h"

// Period of the timer that expires workers and queued requests: the granularity of both
// (at most this, and at most half a heartbeat).
#define BROKER_TICK_MS 250
// After a start, requests wait this many heartbeats before the first dispatch, so every
// live worker's READY (which lists what it already serves) has arrived: a request that was
// dispatched by the broker before this one is not dispatched a second time.
#define BROKER_SETTLE_BEATS 2
// Longest request id accepted (a UUIDv7 has 36 characters); longer ones are dropped.
#define BROKER_MAX_REQ_ID 128

typedef struct broker broker_t; // opaque

// New broker: binds both ROUTERs (creating the directory of an ipc:// endpoint if needed),
// then announces UP to the supervisor. cfg is borrowed and must outlive the broker; clock is
// borrowed (NULL: the real clock) and decides worker and queue expiry. NULL on failure
// (logged: a bind failed, or the routes are inconsistent). Caller owns the result.
broker_t *broker_new(const sl_config_t *cfg, const sl_clock_t *clock);
// Free self and set *self_p to NULL; requests still held are dropped without a reply. Safe on
// NULL and on *self_p == NULL.
void broker_destroy(broker_t **self_p);
// Serve until the process is interrupted (SIGINT, SIGTERM): then 0. -1 when the loop stopped
// for any other reason (logged).
int broker_run(broker_t *self);

#endif
