// sl/peer.h - what a process knows of one peer on a link: which instance it is and when it
// was last heard from.
//
// Every link that carries streams has beats (BEAT {name}, or READY for workers), and every
// beat names the sender's instance ("builder-<pid>"). A peer whose name changes has been
// restarted: what it held in memory is gone, so the other side re-sends (a worker its
// unacknowledged tokens, an ingress its waiting requests). A peer not heard from for
// liveness_ms is lost. Pure: time comes from the caller. Not thread-safe.
#ifndef SL_PEER_H
#define SL_PEER_H
#include <stdbool.h>
#include <stdint.h>

#include "sl/wire.h"

#define SL_PEER_NAME_MAX 64 // bytes kept of a peer's instance name

typedef struct {
    char name[SL_PEER_NAME_MAX]; // instance name last heard, "" before the first
    int64_t heard_ms;            // monotonic time it was last heard from
} sl_peer_t;

// Note a message from the peer instance called name at now_ms. Returns true when this is a
// new instance: the first one heard, or a name other than the last (the peer restarted).
bool sl_peer_heard(sl_peer_t *self, sl_str_t name, int64_t now_ms);
// True when the peer has been heard from and not within liveness_ms before now_ms, or was
// never heard from at all.
bool sl_peer_is_lost(const sl_peer_t *self, int64_t now_ms, int64_t liveness_ms);

#endif
