// outbox.c - per-ingress queues of messages waiting for their ROUTER peer (see outbox.h).
#include "outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

typedef struct {
    uint8_t *data; // owned; an encoded message
    size_t len;
    size_t msgs;       // messages in it (a BUNDLE holds many)
    int64_t queued_ms; // monotonic time it was queued
} s_frame_t;

struct builder_outbox {
    zhashx_t *peers; // peer routing id -> zlistx_t of s_frame_t, owned
    size_t size;     // messages queued in all
    size_t max_msgs;
    int64_t max_age_ms;
};

static void
s_frame_free(void **item_p)
{
    s_frame_t *f = *item_p;
    if (f) {
        free(f->data);
        free(f);
        *item_p = NULL;
    }
}

static void
s_list_free(void **item_p)
{
    zlistx_destroy((zlistx_t **)item_p);
}

// 0 sent; SL_EAGAIN the peer cannot take it now.
static int
s_send(zsock_t *router, const char *peer, const uint8_t *data, size_t len)
{
    void *handle = zsock_resolve(router);
    if (zmq_send(handle, peer, strlen(peer), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return SL_EAGAIN;
    if (zmq_send(handle, data, len, ZMQ_DONTWAIT) < 0)
        return SL_EAGAIN;
    return 0;
}

builder_outbox_t *
builder_outbox_new(size_t max_msgs, int64_t max_age_ms)
{
    builder_outbox_t *self = sl_xcalloc(1, sizeof *self);
    self->peers = zhashx_new();
    assert(self->peers);
    zhashx_set_destructor(self->peers, s_list_free);
    self->max_msgs = max_msgs;
    self->max_age_ms = max_age_ms;
    return self;
}

void
builder_outbox_destroy(builder_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    builder_outbox_t *self = *self_p;
    zhashx_destroy(&self->peers);
    free(self);
    *self_p = NULL;
}

int
builder_outbox_send(builder_outbox_t *self,
                    zsock_t *router,
                    const char *peer,
                    uint8_t **data_p,
                    size_t len,
                    size_t msgs,
                    int64_t now_ms)
{
    uint8_t *data = *data_p;
    *data_p = NULL;
    zlistx_t *queue = zhashx_lookup(self->peers, peer);
    if (!queue && s_send(router, peer, data, len) == 0) {
        free(data);
        return 0;
    }
    if (self->size + msgs > self->max_msgs) {
        free(data);
        return SL_ETOOBIG;
    }
    if (!queue) {
        queue = zlistx_new();
        assert(queue);
        zlistx_set_destructor(queue, s_frame_free);
        zhashx_insert(self->peers, peer, queue);
    }
    s_frame_t *f = sl_xcalloc(1, sizeof *f);
    f->data = data;
    f->len = len;
    f->msgs = msgs;
    f->queued_ms = now_ms;
    zlistx_add_end(queue, f);
    self->size += msgs;
    return 0;
}

size_t
builder_outbox_flush(builder_outbox_t *self,
                     zsock_t *router,
                     int64_t now_ms,
                     builder_outbox_alive_fn *alive,
                     void *arg)
{
    size_t dropped = 0;
    zlist_t *empty = NULL;
    for (zlistx_t *queue = zhashx_first(self->peers); queue; queue = zhashx_next(self->peers)) {
        const char *peer = zhashx_cursor(self->peers);
        s_frame_t *f;
        while ((f = zlistx_first(queue))) {
            if (s_send(router, peer, f->data, f->len) != 0) {
                if (now_ms - f->queued_ms < self->max_age_ms || (alive && alive(arg, peer)))
                    break; // still young, or its ingress still beats: try again next time
                // Gone: the ingress is not coming back for these (its clients' connections
                // closed with it).
                size_t msgs = 0;
                for (s_frame_t *g = zlistx_first(queue); g; g = zlistx_next(queue))
                    msgs += g->msgs;
                dropped += msgs;
                self->size -= msgs;
                zlistx_purge(queue);
                break;
            }
            self->size -= f->msgs;
            zlistx_delete(queue, zlistx_cursor(queue));
        }
        if (zlistx_size(queue) == 0) {
            if (!empty)
                empty = zlist_new();
            zlist_append(empty, (void *)peer);
        }
    }
    for (const char *peer = empty ? zlist_first(empty) : NULL; peer; peer = zlist_next(empty))
        zhashx_delete(self->peers, peer);
    zlist_destroy(&empty);
    return dropped;
}

size_t
builder_outbox_size(const builder_outbox_t *self)
{
    return self->size;
}
