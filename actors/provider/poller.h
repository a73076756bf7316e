// poller.h - a worker's upstream sockets: one epoll set, read in paced passes.
//
// zmq_poll walks every descriptor it is given on every pass of a zloop, so a worker with
// hundreds of upstream sockets paid for all of them on every token. The poller keeps curl's
// sockets in one epoll set that the zloop polls as a single descriptor; a pass asks the set
// which sockets are ready and hands each to curl_multi_socket_action.
//
// Paced passes: while the worker is busy (more than PROVIDER_POLLER_BUSY_RATE ready sockets
// a second), a pass starts at most once per window. A pass woken sooner first sleeps out the
// rest of the window, so one wake-up reads every stream's token that arrived meanwhile and the
// worker's one bundle to the builder carries them all. Below that rate, or with a window of 0,
// every read happens at once. A token waits at most one window (docs/benchmarks.md has the
// measured trade-off), except a stream's first: a socket is fresh until the worker settles it
// at its stream's first delta, and a pass that finds a fresh socket ready does not wait, so
// connecting, sending the request, the response head and the first token are never held. A
// stream's end cannot be told from its other tokens before it is read: it waits like them.
// A socket curl adds (a new connection, or a kept one for the next transfer) is fresh, unless
// the worker settles it again at once because its stream is under way (curl watches a paused
// stream's socket again); with HTTP/2 one socket carries several streams, and it is settled by
// the first of them.
#ifndef PROVIDER_POLLER_H
#define PROVIDER_POLLER_H

#include <curl/curl.h>
#include <czmq.h>

#define PROVIDER_POLLER_BUSY_RATE 2000 // ready sockets a second above which passes are paced

typedef struct provider_poller_t provider_poller_t;

// Called after each pass that handed a socket to curl (collect ended transfers, send the
// bundle).
typedef void(provider_poller_fn)(void *arg);

// A poller reading multi's sockets inside loop, with passes paced to window_ms (0: never).
// NULL when the epoll set cannot be made or polled (errno kept).
provider_poller_t *provider_poller_new(
    zloop_t *loop, CURLM *multi, int window_ms, provider_poller_fn *after, void *arg);
void provider_poller_destroy(provider_poller_t **self_p);

// CURLMOPT_SOCKETFUNCTION's work: watch fd for what (CURL_POLL_IN, _OUT, _INOUT) or stop
// watching it (CURL_POLL_REMOVE). Returns 0, or -1 when the set refuses the socket.
int provider_poller_watch(provider_poller_t *self, curl_socket_t fd, int what);

// fd's stream had its first delta: from now on its reads are paced like the others'.
void provider_poller_settle(provider_poller_t *self, curl_socket_t fd);

// Counts since the poller was made, for tests and benchmarks.
typedef struct {
    uint64_t passes; // passes that found ready sockets
    uint64_t waits;  // passes that first slept out the rest of a window
    uint64_t fresh;  // passes that would have waited but ran at once for a fresh socket
} provider_poller_stats_t;
provider_poller_stats_t provider_poller_stats(const provider_poller_t *self);

// A new window (a reloaded config), from the next pass on.
void provider_poller_set_window(provider_poller_t *self, int window_ms);

#endif
