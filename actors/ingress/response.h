// response.h - the libmicrohttpd response for a client's decided answer.
//
// A stream is text/event-stream, read through a callback in blocks as the client's output
// grows; any other answer is its whole body, JSON or (for /metrics) Prometheus text. Both carry
// sluice's headers: x-sluice-stream-id, x-sluice-attempts when there were any, Retry-After when
// the answer says to wait.
#ifndef INGRESS_RESPONSE_H
#define INGRESS_RESPONSE_H
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "client.h"

// The response for c: streaming (read(cls, ...) in blocks of block bytes) when c is streaming,
// else c's output copied, as Prometheus text when text. NULL when MHD cannot make one.
// Caller owns the result (MHD_destroy_response once queued).
struct MHD_Response *ingress_response_new(
    const ingress_client_t *c, bool text, MHD_ContentReaderCallback read, void *cls, size_t block);

// GET /healthz: 200 {"status":"ok"} only while the supervisor says every process is up (seen:
// a STATE came at all; host_state its sl_host_state_t); else 503 with starting, draining or
// failing. Sets *status, returns the body (static).
const char *ingress_response_health(bool seen, uint32_t host_state, unsigned *status);
// POST /admin/generate: make c's response the report of its generation (ingress_admin_report)
// instead of the chat response. first_ms and submit_ms are monotonic (first_ms 0: no token).
void
ingress_response_report(ingress_client_t *c, int64_t first_ms, int64_t submit_ms, int64_t now_ms);

#endif
