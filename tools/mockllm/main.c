// main.c - sluice-mockllm: arguments, logging, signals; the server does the rest.
//
//   sluice-mockllm [--host 127.0.0.1] [--port N] [--tokens-per-s R] [--seed S]
//                  [--vocabulary stress|plain]
//
// Prints "mockllm listening on <host>:<port>" on stdout once it listens (tests read the port
// from it), then serves until SIGINT or SIGTERM and exits 0.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server.h"
#include "sl/log.h"
#include "vocab.h"

static int s_stop_pipe[2] = {-1, -1};

static void
s_on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    char b = 1;
    ssize_t rc = write(s_stop_pipe[1], &b, 1);
    (void)rc; // a full pipe already holds a stop request
    errno = saved;
}

static void
s_usage(FILE *to)
{
    fprintf(to, "usage: sluice-mockllm [--host 127.0.0.1] [--port N] [--tokens-per-s R] "
                "[--seed S]\n"
                "                      [--vocabulary stress|plain]\n");
}

// Decimal unsigned value of at most max; false when s is not one.
static int
s_parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || *s < '0' || *s > '9')
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return 0;
    *out = v;
    return 1;
}

// Connections need file descriptors: raise the soft limit as far as the hard one allows.
static void
s_raise_nofile(size_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        sl_log_warn("cannot raise the open file limit to %zu", want);
}

int
main(int argc, char **argv)
{
    sl_log_init("mockllm");
    mockllm_server_cfg_t cfg = {.host = "127.0.0.1"};
    for (int i = 1; i < argc; i += 2) { // every option takes a value
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long v = 0;
        mockllm_vocab_t vocab = MOCKLLM_VOCAB_STRESS;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            s_usage(stdout);
            return 0;
        } else if (strcmp(arg, "--host") == 0 && val) {
            cfg.host = val;
        } else if (strcmp(arg, "--port") == 0 && s_parse_u64(val, 65535, &v)) {
            cfg.port = (uint16_t)v;
        } else if (strcmp(arg, "--tokens-per-s") == 0 && s_parse_u64(val, 1000000, &v)) {
            cfg.tokens_per_s = (uint32_t)v;
        } else if (strcmp(arg, "--seed") == 0 && s_parse_u64(val, UINT64_MAX, &v)) {
            cfg.seed = v;
        } else if (strcmp(arg, "--vocabulary") == 0 && mockllm_vocab_by_name(val, &vocab) == 0) {
            cfg.vocab = vocab;
        } else {
            fprintf(stderr, "sluice-mockllm: bad argument '%s'%s\n", arg,
                    val ? "" : " (missing value?)");
            s_usage(stderr);
            return 2;
        }
    }
    s_raise_nofile(MOCKLLM_SERVER_MAX_CONNS + 64);
    if (pipe(s_stop_pipe) != 0 || fcntl(s_stop_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
        sl_log_error("pipe: %s", strerror(errno));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0
        || sigaction(SIGPIPE, &ign, NULL) != 0) {
        sl_log_error("sigaction: %s", strerror(errno));
        return 1;
    }
    mockllm_server_t *server = mockllm_server_new(&cfg);
    if (!server)
        return 1;
    printf("mockllm listening on %s\n", mockllm_server_address(server));
    fflush(stdout);
    int rc = mockllm_server_run(server, s_stop_pipe[0]);
    mockllm_server_destroy(&server);
    close(s_stop_pipe[0]);
    close(s_stop_pipe[1]);
    sl_log_info("stopped");
    return rc == 0 ? 0 : 1;
}
