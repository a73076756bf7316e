// listen.h - the ingress's HTTP listener: libmicrohttpd in external epoll mode on
// listen.http, with suspend/resume, its log lines in sluice's log.
#ifndef INGRESS_LISTEN_H
#define INGRESS_LISTEN_H

#include <microhttpd.h>

// Start MHD on host:port (an IPv6 host bracketed or not; resolved numerically for the port)
// with at most max_conns connections, each closed after idle_s seconds idle, calling
// on_request and on_completed with cls. NULL on failure (logged: a bad address, or the port
// is in use). Caller owns the result (MHD_stop_daemon).
struct MHD_Daemon *ingress_listen(const char *listen,
                                  unsigned max_conns,
                                  unsigned idle_s,
                                  MHD_AccessHandlerCallback on_request,
                                  MHD_RequestCompletedCallback on_completed,
                                  void *cls);

#endif
