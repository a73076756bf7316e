// provider.h - the provider worker actor: many concurrent upstream streams on one libcurl
// multi handle, driven by the process's zloop.
//
// Announces its capacity to the broker (READY, re-sent every second as a heartbeat), takes
// DISPATCH and CANCEL from it (DEALER to `backend`), streams each request from its provider
// through that provider kind's adapter, and pushes START / TOKENS / END to the builder (PUSH
// to `tokens`) and OUTCOME to the broker and the supervisor (whose circuit breakers count it).
// A timer ends upstreams silent past their route's first_content_ms or idle_ms (content events
// only; keepalives do not count) as timeouts. Every heartbeat it sends STATS (transfers open,
// outcomes dropped); SIGHUP re-reads the config's providers. Not thread-safe: one per process.
#ifndef PROVIDER_PROVIDER_H
#define PROVIDER_PROVIDER_H
#include "sl/config.h"

typedef struct provider provider_t; // opaque

// New worker with its sockets connected as cfg says (cfg is borrowed and must outlive it).
// NULL when set-up fails (logged).
provider_t *provider_new(const sl_config_t *cfg);
void provider_destroy(provider_t **self_p);
// Run until interrupted (SIGINT/SIGTERM). Returns 0.
int provider_run(provider_t *self);

#endif
