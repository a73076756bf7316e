// reader.c - a quiet ZeroMQ socket read through its ZMQ_FD (see sl/reader.h).
#include "sl/reader.h"

#include <stdlib.h>

#include "sl/log.h"
#include "sl/mem.h"

#define S_ROUNDS 4 // times fn runs per pass while the socket still has messages

struct sl_reader {
    zloop_t *loop; // borrowed
    zsock_t *sock; // borrowed
    zloop_reader_fn *fn;
    void *arg;
    int kick_ms;         // how soon a kick looks at the events
    int timer_id;        // one-shot timer looking at the events again, -1 when none
    zmq_pollitem_t item; // the socket's ZMQ_FD, as zloop polls it
};

static int s_on_timer(zloop_t *loop, int timer_id, void *arg);

static void
s_arm(sl_reader_t *self, int ms)
{
    if (self->timer_id < 0)
        self->timer_id = zloop_timer(self->loop, (size_t)ms, 1, s_on_timer, self);
}

// Run fn while the socket says it has messages, S_ROUNDS times at most; if it still has some,
// the next pass goes on (a busy socket must not starve the loop's others).
static int
s_run(sl_reader_t *self)
{
    for (int i = 0; i < S_ROUNDS; i++) {
        if (!(zsock_events(self->sock) & ZMQ_POLLIN))
            return 0;
        if (self->fn(self->loop, self->sock, self->arg) != 0)
            return -1;
    }
    if (zsock_events(self->sock) & ZMQ_POLLIN)
        s_arm(self, 0);
    return 0;
}

static int
s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    sl_reader_t *self = arg;
    self->timer_id = -1; // one-shot: already gone
    return s_run(self);
}

static int
s_on_fd(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    return s_run(arg);
}

sl_reader_t *
sl_reader_new(zloop_t *loop, zsock_t *sock, zloop_reader_fn *fn, void *arg, int kick_ms)
{
    sl_reader_t *self = sl_xcalloc(1, sizeof *self);
    self->loop = loop;
    self->sock = sock;
    self->fn = fn;
    self->arg = arg;
    self->kick_ms = kick_ms < 0 ? 0 : kick_ms;
    self->timer_id = -1;
    self->item = (zmq_pollitem_t){.socket = NULL, .fd = zsock_fd(sock), .events = ZMQ_POLLIN};
    if (self->item.fd < 0 || zloop_poller(loop, &self->item, s_on_fd, self) != 0) {
        sl_log_error("reader: cannot poll the socket's descriptor");
        free(self);
        return NULL;
    }
    // Messages may already wait: their signal may have been taken by the connect.
    s_arm(self, 0);
    return self;
}

void
sl_reader_destroy(sl_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_reader_t *self = *self_p;
    zloop_poller_end(self->loop, &self->item);
    if (self->timer_id >= 0)
        zloop_timer_end(self->loop, self->timer_id);
    free(self);
    *self_p = NULL;
}

void
sl_reader_kick(sl_reader_t *self)
{
    if (self)
        s_arm(self, self->kick_ms);
}
