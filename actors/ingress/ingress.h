// ingress.h - the HTTP front door: libmicrohttpd inside the actor's own zloop.
//
// Serves POST /v1/chat/completions and /v1/messages (stream and not), GET /v1/streams/<id>,
// GET /v1/models, GET /healthz, and /admin/* and /metrics (admin.h: relayed to the supervisor's
// control socket, except POST /admin/generate, which runs a chat request and reports on it) on
// listen.http. A chat request is validated, given a UUIDv7 request id and
// submitted to the broker (DEALER to `frontend`); its tokens come back from the builder
// (DEALER to `deliver`) and are written to the client as they arrive; stream reads go to
// persistence (DEALER to `query`); process health comes from the supervisor (SUB to
// `state`). The ingress's routing id, "ingress-<pid>", travels with each request so the
// builder knows where to deliver. Every heartbeat it sends BEAT on each link and to the
// supervisor; the peers' answers tell it when one restarted, and it then sends again what
// that one lost (SUBMITs still waiting for a first message, pending QUERYs). Each request's
// indices and deadlines are kept by client.c (invariants I2 and I5 in client.h). Its counts
// (meter.h) go to the supervisor as STATS every heartbeat. While STATE says draining, new chat
// requests get 503. SIGHUP re-reads the config's routes. Not thread-safe: one per process.
#ifndef INGRESS_INGRESS_H
#define INGRESS_INGRESS_H
#include "sl/config.h"

typedef struct ingress ingress_t; // opaque

// New ingress listening and connected as cfg says (cfg is borrowed and must outlive it).
// NULL when the listener or a socket cannot be set up (logged).
ingress_t *ingress_new(const sl_config_t *cfg);
void ingress_destroy(ingress_t **self_p);
// Run until interrupted (SIGINT/SIGTERM). Returns 0.
int ingress_run(ingress_t *self);

#endif
