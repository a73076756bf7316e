// listen.c - the ingress's HTTP listener (see listen.h).
#include "listen.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "sl/log.h"

// libmicrohttpd's memory per connection: the request's line, headers and read buffer, and the
// response's headers (32 KiB by default). Every streaming client holds one for its whole
// stream; 16 KiB still takes headers of several KiB (sluice's clients send 1-2) while the body
// is read in pieces, and saves 16 KiB per open stream (160 MiB at 10,000).
#define INGRESS_LISTEN_POOL_BYTES (16 * 1024)

__attribute__((format(printf, 2, 0))) static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    sl_log_warn_rl("http: %s", line);
}

struct MHD_Daemon *
ingress_listen(const char *listen,
               unsigned max_conns,
               unsigned idle_s,
               MHD_AccessHandlerCallback on_request,
               MHD_RequestCompletedCallback on_completed,
               void *cls)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        sl_log_error("listen.http '%s' is not host:port", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai != 0 || !ai) {
        sl_log_error("listen.http '%s': %s", listen, gai_strerror(gai));
        return NULL;
    }
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
        && nofile.rlim_cur < (rlim_t)max_conns + 64)
        sl_log_warn("limits.max_connections is %u but this process may open only %llu files: "
                    "connections past that are refused (raise the hard limit, ulimit -Hn)",
                    max_conns, (unsigned long long)nofile.rlim_cur);
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    // The logger goes first: MHD logs the options after it through it, and warns otherwise.
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, cls, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, cls,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, cls,
        MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)INGRESS_LISTEN_POOL_BYTES, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d)
        sl_log_error("cannot listen on http://%s (in use?)", listen);
    return d;
}
