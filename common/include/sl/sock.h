// sl/sock.h - ZeroMQ sockets set up the sluice way, and sl_msg_t over them.
//
// Options are set on purpose right after a socket is made: high-water marks, ZMQ_MAXMSGSIZE
// (SL_WIRE_MAX_FRAME) on every socket, ROUTER_MANDATORY on ROUTERs so a gone or full peer is
// seen instead of silently dropped, and linger 0 (unsent messages are the sender's to resend:
// every hop that must not lose data has application acks). DEALER/PUSH/PUB send one payload
// frame; ROUTER sends and receives [routing id, payload]. Sends never block: a full peer gives
// SL_EAGAIN and the caller decides (keep, retry, pause the upstream). Not thread-safe.
#ifndef SL_SOCK_H
#define SL_SOCK_H
#include <czmq.h>

#include "sl/buf.h"
#include "sl/config.h"
#include "sl/wire.h"

#define SL_SOCK_HWM 10000 // default high-water mark, messages

// New socket of ZMQ type (ZMQ_ROUTER, ZMQ_PULL ...) bound to endpoint, after creating the
// directory of an ipc:// endpoint's file; NULL on failure (logged with the endpoint). Caller owns
// the result.
zsock_t *sl_sock_bind(int type, const char *endpoint, int hwm);
// New socket connected to endpoint. routing_id, when not NULL, names this peer to a ROUTER.
// NULL on failure (logged). Caller owns the result.
// Bytes of one process's STATS text: room for a few thousand series.
#define SL_SOCK_STATS_MAX (512 * 1024)

zsock_t *sl_sock_connect(int type, const char *endpoint, int hwm, const char *routing_id);

// Encode msg and send it without blocking. to is the routing id (a ROUTER's first frame) or
// NULL for non-ROUTER sockets; borrowed. Returns 0; SL_EAGAIN when the peer is full or,
// for a ROUTER, unknown (EHOSTUNREACH); SL_EINVAL/SL_ETOOBIG when msg cannot be encoded.
int sl_sock_send(zsock_t *sock, zframe_t *to, const sl_msg_t *msg);

// Receive one message without blocking and decode it into msg. A ROUTER's routing id goes
// to *from_p (caller owns; NULL on non-ROUTER sockets). The payload frame goes to
// *frame_p (caller owns): msg's strings borrow from it, so destroy it only when done with msg.
// Returns 0; SL_EAGAIN when nothing is waiting; SL_EPROTO when the message is malformed
// (already logged, rate-limited, and dropped: *frame_p and *from_p are NULL).
int sl_sock_recv(zsock_t *sock, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg);

// Handles one message received by sl_sock_drain. *from_p (a ROUTER's routing id, else NULL)
// and *frame_p (the payload, which msg's strings borrow from) are the handler's to take: it
// sets a pointer to NULL to keep that frame; whatever is left is destroyed after the call.
// Returns 0 to go on draining, non-zero to stop (e.g. when backpressure says so).
typedef int(sl_sock_msg_fn)(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg);

// Receive and handle up to max waiting messages without blocking; malformed ones are logged
// and dropped by sl_sock_recv. Bounded so one busy socket cannot starve the loop's other
// sockets and timers: what is left makes the socket readable again. Returns the number of
// messages handed to fn.
int sl_sock_drain(zsock_t *sock, int max, sl_sock_msg_fn *fn, void *arg);

// Tell the supervisor this process is up: sends UP {name} on a PUSH to cfg->ep_events and
// keeps it open for the beats. name is the instance name, "<kind>-<pid>" ("builder-4242"):
// the supervisor knows its children by pid. Returns the socket (caller owns) or NULL when the
// endpoint is unusable (logged; a process without a supervisor still runs).
zsock_t *sl_sock_announce_up(const sl_config_t *cfg, const char *name);
// Send BEAT {name} on sock (to: a ROUTER's peer, else NULL) without blocking. A beat that
// cannot be sent is not kept: the next one follows within a heartbeat. Safe on a NULL sock.
void sl_sock_beat(zsock_t *sock, zframe_t *to, const char *name);
// Send STATS {name, text: stats's content} to the supervisor on events, without blocking: the
// process's metric sample lines (sl/metrics.h), sent with every heartbeat's BEAT. Dropped when
// it cannot be sent (the next one follows). Safe on a NULL events.
void sl_sock_stats(zsock_t *events, const char *name, const sl_buf_t *stats);

#endif
