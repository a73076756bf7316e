// reader_test.c - a socket read through its ZMQ_FD gets every message: ones that waited before
// the loop started, ones that arrive later, more than one call takes, and ones whose signal a
// send on the same socket took (found by the kick).
#include <string.h>

#include "check.h"
#include "sl/reader.h"

typedef struct {
    int got;
    int want;
    int per_call; // messages fn takes per call, at most
    zsock_t *peer;
    zsock_t *mine;
    sl_reader_t *reader;
} s_state_t;

static int
s_on_msg(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_state_t *s = arg;
    for (int i = 0; i < s->per_call; i++) {
        char *m = zstr_recv_nowait(sock);
        if (!m)
            break;
        CHECK_INT(atoi(m), ==, s->got); // in order
        zstr_free(&m);
        s->got++;
    }
    return s->got >= s->want ? -1 : 0; // all here: end the loop
}

static int
s_on_watchdog(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

// Sends the peer's next messages from inside the loop, after it started.
static int
s_on_send_later(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_state_t *s = arg;
    for (int i = s->got; i < s->want; i++)
        zstr_sendf(s->peer, "%d", i);
    return 0;
}

// The reader's own socket sends, then messages arrive: the kick after the send finds them even
// if the send took the descriptor's signal.
static int
s_on_send_mine(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_state_t *s = arg;
    for (int i = s->got; i < s->want; i++)
        zstr_sendf(s->peer, "%d", i);
    zclock_sleep(20); // let them reach the reader's socket before it sends
    zstr_send(s->mine, "ping");
    sl_reader_kick(s->reader);
    return 0;
}

static void
s_run(int queued, int later, int per_call, zloop_timer_fn *sender)
{
    zsock_t *mine = zsock_new(ZMQ_PAIR);
    zsock_t *peer = zsock_new(ZMQ_PAIR);
    CHECK_INT(zsock_bind(mine, "inproc://reader-test-%d-%d", queued, later), ==, 0);
    CHECK_INT(zsock_connect(peer, "inproc://reader-test-%d-%d", queued, later), ==, 0);
    s_state_t s = {.want = queued + later, .per_call = per_call, .peer = peer, .mine = mine};
    for (int i = 0; i < queued; i++)
        zstr_sendf(peer, "%d", i);
    zloop_t *loop = zloop_new();
    s.reader = sl_reader_new(loop, mine, s_on_msg, &s, 0);
    CHECK(s.reader != NULL);
    zloop_timer(loop, 3000, 1, s_on_watchdog, NULL);
    if (later)
        zloop_timer(loop, 50, 1, sender, &s);
    zloop_start(loop);
    CHECK_INT(s.got, ==, s.want);
    sl_reader_destroy(&s.reader);
    CHECK(s.reader == NULL);
    zloop_destroy(&loop);
    zsock_destroy(&peer);
    zsock_destroy(&mine);
}

int
main(void)
{
    s_run(10, 0, 100, NULL);            // waiting before the loop starts
    s_run(0, 10, 100, s_on_send_later); // arriving later
    s_run(500, 0, 1, NULL);             // one per call: many rounds, many passes
    s_run(1, 20, 100, s_on_send_mine);  // a send on the socket itself, then the kick
    sl_reader_destroy(NULL);
    sl_reader_kick(NULL);
    printf("reader_test: ok\n");
    return 0;
}
