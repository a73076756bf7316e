// link.h - one peer of the ingress on one link (the broker on frontend, the builder on
// deliver, persistence on query), as its beats tell of it.
//
// Each link carries beats both ways: the peer's name says which instance the ingress talks
// to, and a new name means a restarted peer that lost what it held in memory, which the
// ingress then sends again (sl/peer.h). Silence is logged once per episode. Not thread-safe.
#ifndef INGRESS_LINK_H
#define INGRESS_LINK_H
#include <stdbool.h>
#include <stdint.h>

#include "sl/peer.h"
#include "sl/wire.h"

// Shown so the ingress embeds one per link; set role, zero the rest.
typedef struct {
    const char *role; // "broker", "builder", "persistence": for the log
    sl_peer_t peer;   // its instance name and when it was last heard
    bool lost;        // logged as lost; cleared when it is heard again
} ingress_link_t;

// A BEAT from the peer on link. Returns true when it comes from an instance not heard before:
// the first one, or one that replaced a restarted peer, which lost what it held in memory.
bool ingress_link_heard(ingress_link_t *link, sl_str_t name);
// Log, once, a peer not heard from for liveness_ms at now_ms (monotonic).
void ingress_link_check(ingress_link_t *link, int64_t now_ms, int64_t liveness_ms);

#endif
