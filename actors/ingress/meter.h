// meter.h - what the ingress counts for /metrics: requests by route and status, tokens by
// route, time to first token by route, gaps between a stream's token writes.
//
// A route label is the model alias a client asked for when the config has a route by that
// name, else "other": clients choose the alias, and a label per unknown name would let them
// grow the metrics without bound. ingress_meter_write renders the counts as STATS sample
// lines (sl/metrics.h) for the supervisor. Bounded: one entry per configured route plus
// "other"; statuses per route at most INGRESS_METER_STATUSES (more are counted as "other").
// Not thread-safe.
#ifndef INGRESS_METER_H
#define INGRESS_METER_H
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/config.h"

#define INGRESS_METER_STATUSES 32

typedef struct ingress_meter ingress_meter_t;             // opaque
typedef struct ingress_meter_route ingress_meter_route_t; // opaque; a route's counts

// New, empty. cfg is borrowed (its routes name the labels) and may be replaced with
// ingress_meter_set_config. Caller owns the result; never NULL.
ingress_meter_t *ingress_meter_new(const sl_config_t *cfg);
void ingress_meter_destroy(ingress_meter_t **self_p);
// The config was reloaded: routes not seen before get their own label from now on.
void ingress_meter_set_config(ingress_meter_t *self, const sl_config_t *cfg);

// n tokens of model's request were taken for the client. ttft_ms >= 0 on the request's first
// tokens (ms since it arrived), else -1; gap_ms >= 0 on later ones (ms since the last), else -1.
void ingress_meter_tokens(
    ingress_meter_t *self, const char *model, uint64_t n, int64_t ttft_ms, int64_t gap_ms);
// The counts model's requests go to (its route's, or "other"), to keep per request: valid as
// long as self, across reloads. Never NULL.
ingress_meter_route_t *ingress_meter_route(ingress_meter_t *self, const char *model);
// ingress_meter_tokens for a route already looked up: no lookup per message.
void ingress_meter_tokens_at(ingress_meter_t *self,
                             ingress_meter_route_t *route,
                             uint64_t n,
                             int64_t ttft_ms,
                             int64_t gap_ms);
// model's request was answered with status (for a stream, 200 once it began).
void ingress_meter_request(ingress_meter_t *self, const char *model, unsigned status);
// A client stream fell behind and is fed from the store from now on.
void ingress_meter_behind(ingress_meter_t *self);
// A stream is read back as events (GET /v1/streams/<id>/events).
void ingress_meter_resume(ingress_meter_t *self);
// Append the STATS sample lines, with streams (client streams open now). 0 or SL_ETOOBIG.
int ingress_meter_write(ingress_meter_t *self, sl_buf_t *out, size_t streams);

#endif
