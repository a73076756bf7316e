// link.c - a peer of the ingress as its beats tell of it (see link.h).
#include "link.h"

#include <stdio.h>

#include "sl/clock.h"
#include "sl/log.h"

void
ingress_link_check(ingress_link_t *link, int64_t now_ms, int64_t liveness_ms)
{
    if (!link->lost && link->peer.name[0] && sl_peer_is_lost(&link->peer, now_ms, liveness_ms)) {
        sl_log_warn("%s %s not heard from for %lld ms", link->role, link->peer.name,
                    (long long)(now_ms - link->peer.heard_ms));
        link->lost = true;
    }
}

bool
ingress_link_heard(ingress_link_t *link, sl_str_t name)
{
    if (name.len == 0) {
        sl_log_warn_rl("%s: BEAT without a name dropped", link->role);
        return false;
    }
    char old[SL_PEER_NAME_MAX];
    snprintf(old, sizeof old, "%s", link->peer.name);
    bool fresh = sl_peer_heard(&link->peer, name, sl_clock_mono_ms());
    // Bounded without a rate limit: only the beat timer sets lost, and a first name is heard
    // once per link (empty ones are dropped above).
    if (link->lost && !fresh)
        sl_log_info("%s %s heard again", link->role, link->peer.name);
    link->lost = false;
    if (!fresh)
        return false;
    if (!old[0]) {
        // The first instance heard: requests sent before it answered may have gone to one
        // that died meanwhile, so it gets them again too (a repeat changes nothing).
        sl_log_info("%s is %s", link->role, link->peer.name);
        return true;
    }
    sl_log_warn_rl("%s restarted: %s is now %s", link->role, old, link->peer.name);
    return true;
}
