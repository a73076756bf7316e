// sl/reader.h - a quiet ZeroMQ socket read through its ZMQ_FD instead of zloop_reader.
//
// zloop polls a socket given to zloop_reader with zmq_poll, which asks the socket for its events
// (ZMQ_EVENTS: a getpid and a poll system call in libzmq) on every pass of the loop, whatever
// woke it. A process whose loop passes once per token pays that for each socket it has, busy or
// not. A reader polls the socket's ZMQ_FD as a plain descriptor instead, so zmq_poll asks
// nothing of it until its mailbox is signalled, and only then are the events read and fn run
// (until the socket has nothing waiting, a few rounds at most per pass; the rest on the next).
//
// The descriptor is edge-triggered: a send on the socket can take the signal of a message that
// arrived meanwhile. After sending on it, call sl_reader_kick: it looks at the events again
// kick_ms later (0: on the next pass), without a system call now. For sockets whose incoming
// messages are only beats, a kick_ms of tens of ms costs nothing per send and delays a beat a
// little; for replies a client waits on, use 0. Not thread-safe; one loop.
#ifndef SL_READER_H
#define SL_READER_H
#include <czmq.h>

typedef struct sl_reader sl_reader_t; // opaque

// Start reading sock in loop: fn(loop, sock, arg) runs when the socket has messages, and
// should drain what it can (sl_sock_drain). kick_ms is how soon after a kick the events are
// looked at. NULL when the descriptor cannot be had or polled (logged). Caller owns the result
// and destroys it before the loop and the socket.
sl_reader_t *
sl_reader_new(zloop_t *loop, zsock_t *sock, zloop_reader_fn *fn, void *arg, int kick_ms);
// Stop reading and free. Safe on NULL.
void sl_reader_destroy(sl_reader_t **self_p);
// Something was sent on the socket: look at its events again kick_ms from now. Safe on NULL.
void sl_reader_kick(sl_reader_t *self);

#endif
