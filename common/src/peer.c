// peer.c - instance and liveness of a peer (see sl/peer.h).
#include "sl/peer.h"

#include <string.h>

bool
sl_peer_heard(sl_peer_t *self, sl_str_t name, int64_t now_ms)
{
    size_t len = name.len < SL_PEER_NAME_MAX - 1 ? name.len : SL_PEER_NAME_MAX - 1;
    bool fresh = strlen(self->name) != len || memcmp(self->name, name.ptr, len) != 0;
    if (fresh) {
        memcpy(self->name, name.ptr, len);
        self->name[len] = '\0';
    }
    self->heard_ms = now_ms;
    return fresh;
}

bool
sl_peer_is_lost(const sl_peer_t *self, int64_t now_ms, int64_t liveness_ms)
{
    return self->name[0] == '\0' || now_ms - self->heard_ms >= liveness_ms;
}
