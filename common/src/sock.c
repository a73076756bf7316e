// sock.c - ZeroMQ socket set-up and sl_msg_t transport (see sl/sock.h).
#include "sl/sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl/bundle.h"
#include "sl/err.h"
#include "sl/fs.h"
#include "sl/log.h"

static void
s_set_options(zsock_t *sock, int type, int hwm)
{
    zsock_set_sndhwm(sock, hwm);
    zsock_set_rcvhwm(sock, hwm);
    zsock_set_linger(sock, 0);
    zsock_set_maxmsgsize(sock, (int)SL_WIRE_MAX_FRAME + 4096);
    if (type == ZMQ_ROUTER)
        zsock_set_router_mandatory(sock, 1);
}

zsock_t *
sl_sock_bind(int type, const char *endpoint, int hwm)
{
    // An ipc:// endpoint is a file: its directory (the run dir of a fresh data dir) may not
    // exist yet.
    if (sl_fs_mkdir_parent(endpoint) != 0) {
        sl_log_error("socket: cannot create the directory of %s: %s", endpoint, strerror(errno));
        return NULL;
    }
    zsock_t *sock = zsock_new(type);
    if (!sock) {
        sl_log_error("socket: cannot create type=%d for %s", type, endpoint);
        return NULL;
    }
    s_set_options(sock, type, hwm);
    if (zsock_bind(sock, "%s", endpoint) < 0) {
        sl_log_error("socket: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

zsock_t *
sl_sock_connect(int type, const char *endpoint, int hwm, const char *routing_id)
{
    zsock_t *sock = zsock_new(type);
    if (!sock) {
        sl_log_error("socket: cannot create type=%d for %s", type, endpoint);
        return NULL;
    }
    s_set_options(sock, type, hwm);
    if (routing_id)
        zsock_set_identity(sock, routing_id);
    if (zsock_connect(sock, "%s", endpoint) < 0) {
        sl_log_error("socket: cannot connect %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

int
sl_sock_send(zsock_t *sock, zframe_t *to, const sl_msg_t *msg)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = sl_wire_encode(msg, &data, &len);
    if (rc < 0)
        return rc;
    void *handle = zsock_resolve(sock);
    if (to && zmq_send(handle, zframe_data(to), zframe_size(to), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        goto fail;
    if (zmq_send(handle, data, len, ZMQ_DONTWAIT) < 0)
        goto fail; // after a sent routing id, libzmq drops the half message itself
    free(data);
    return 0;
fail:
    free(data);
    if (zmq_errno() == EAGAIN || zmq_errno() == EHOSTUNREACH)
        return SL_EAGAIN;
    return SL_ESYS;
}

int
sl_sock_recv(zsock_t *sock, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    *from_p = NULL;
    *frame_p = NULL;
    zmsg_t *zmsg = zmsg_recv_nowait(sock);
    if (!zmsg)
        return SL_EAGAIN;
    bool router = zsock_type(sock) == ZMQ_ROUTER;
    size_t want = router ? 2 : 1;
    if (zmsg_size(zmsg) != want) {
        sl_log_warn_rl("socket: message with %zu frames (want %zu), dropped", zmsg_size(zmsg),
                       want);
        zmsg_destroy(&zmsg);
        return SL_EPROTO;
    }
    zframe_t *from = router ? zmsg_pop(zmsg) : NULL;
    zframe_t *frame = zmsg_pop(zmsg);
    zmsg_destroy(&zmsg);
    char err[160];
    int rc = sl_wire_decode(zframe_data(frame), zframe_size(frame), msg, err, sizeof err);
    if (rc < 0) {
        sl_log_warn_rl("socket: bad message dropped: %s", err);
        zframe_destroy(&from);
        zframe_destroy(&frame);
        return SL_EPROTO;
    }
    *from_p = from;
    *frame_p = frame;
    return 0;
}

// Hand each message of a BUNDLE to fn, all of them: the frame is read once, so a handler that
// asks to stop stops the drain after this bundle. Inner messages borrow from the bundle's frame,
// which stays the drain's: fn gets no frame to keep, and must not keep the routing id either.
static int
s_unbundle(const sl_msg_t *bundle, zframe_t **from_p, sl_sock_msg_fn *fn, void *arg)
{
    sl_bundle_reader_t r;
    sl_bundle_reader_init(&r, bundle);
    int stop = 0;
    sl_msg_t msg;
    char err[160];
    int rc;
    while ((rc = sl_bundle_next(&r, &msg, err, sizeof err)) == 1) {
        zframe_t *from = *from_p, *frame = NULL;
        stop |= fn(arg, &from, &frame, &msg);
        if (from != *from_p) {
            sl_log_error("socket: a bundled message's routing id was kept; rest of bundle dropped");
            *from_p = NULL; // the handler owns it now
            return 1;
        }
    }
    if (rc < 0)
        sl_log_warn_rl("socket: bad bundle, rest dropped: %s", err);
    return stop;
}

int
sl_sock_drain(zsock_t *sock, int max, sl_sock_msg_fn *fn, void *arg)
{
    int handled = 0;
    int tries = 0;
    // Malformed messages count toward max too, so a flood of garbage cannot pin the loop.
    while (tries++ < max) {
        zframe_t *from = NULL, *frame = NULL;
        sl_msg_t msg;
        int rc = sl_sock_recv(sock, &from, &frame, &msg);
        if (rc == SL_EAGAIN)
            break;
        if (rc < 0)
            continue;
        int stop = msg.type == SL_MSG_BUNDLE ? s_unbundle(&msg, &from, fn, arg)
                                             : fn(arg, &from, &frame, &msg);
        zframe_destroy(&from);
        zframe_destroy(&frame);
        handled++;
        if (stop)
            break;
    }
    return handled;
}

zsock_t *
sl_sock_announce_up(const sl_config_t *cfg, const char *name)
{
    zsock_t *events = sl_sock_connect(ZMQ_PUSH, cfg->ep_events, 1000, NULL);
    if (!events)
        return NULL;
    sl_msg_t msg = {.type = SL_MSG_UP, .name = sl_str(name)};
    // A PUSH queues until the supervisor's PULL connects; EAGAIN only if 1000 are queued.
    if (sl_sock_send(events, NULL, &msg) < 0)
        sl_log_warn("socket: could not queue UP for %s", name);
    return events;
}

void
sl_sock_beat(zsock_t *sock, zframe_t *to, const char *name)
{
    if (!sock)
        return;
    sl_msg_t msg = {.type = SL_MSG_BEAT, .name = sl_str(name)};
    int rc = sl_sock_send(sock, to, &msg);
    if (rc < 0)
        sl_log_debug("beat from %s not sent: %s", name, sl_strerror(rc));
}

void
sl_sock_stats(zsock_t *events, const char *name, const sl_buf_t *stats)
{
    if (!events)
        return;
    sl_msg_t msg = {.type = SL_MSG_STATS,
                    .name = sl_str(name),
                    .text = sl_strn(stats->data ? stats->data : "", stats->len)};
    int rc = sl_sock_send(events, NULL, &msg);
    if (rc < 0)
        sl_log_debug("stats from %s not sent: %s", name, sl_strerror(rc));
}
