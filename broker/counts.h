// counts.h - what the broker counts for /metrics: attempts made again on the same target and
// attempts moved to a later one, by route; requests it answered itself, by status; REJECTs it
// could not send. broker_counts_write renders them, with the queue and the requests held, as
// the STATS sample lines (sl/metrics.h) the broker sends with every heartbeat. Keys come from
// the config (route aliases) and a short list of statuses, so the tables stay small. Not
// thread-safe.
#ifndef BROKER_COUNTS_H
#define BROKER_COUNTS_H
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "sl/buf.h"

typedef struct broker_counts broker_counts_t; // opaque

// New, all zero. Caller owns the result; never NULL.
broker_counts_t *broker_counts_new(void);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void broker_counts_destroy(broker_counts_t **self_p);

// One more attempt of route on the same target (retry) or on a later one (fallback).
void broker_counts_retry(broker_counts_t *self, const char *route);
void broker_counts_fallback(broker_counts_t *self, const char *route);
// The broker answered a request itself with status.
void broker_counts_reject(broker_counts_t *self, unsigned status);
// A REJECT could not be sent. Returns how many so far, for the log.
uint64_t broker_counts_reject_dropped(broker_counts_t *self);
// Append the sample lines: sluice_queue_depth (queued), sluice_requests_in_flight (in_flight),
// retries, fallbacks, rejects, dropped REJECTs. 0 or SL_ETOOBIG.
int broker_counts_write(broker_counts_t *self, sl_buf_t *out, size_t queued, size_t in_flight);
// Send what broker_counts_write renders as the broker's STATS (sl_sock_stats) on events, as
// name; nothing when events is NULL or the text does not fit.
void broker_counts_send(
    broker_counts_t *self, zsock_t *events, const char *name, size_t queued, size_t in_flight);

#endif
