// validate.c - `sluice validate` (see validate.h).
#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/config.h"
#include "sl/log.h"
#include "sl/mem.h"

extern char **environ;

#define S_MAX_PROVIDERS 256       // checked at once; more are reported unchecked
#define S_OUT_MAX       (1 << 20) // bytes of the verdict

typedef struct {
    int fd;           // connecting socket, -1 when done or never started
    int64_t start_ms; // monotonic
    int64_t ms;       // connect time once reachable
    bool reachable;
    char error[400];
} s_check_t;

// Split base_url into host and port (the scheme's default when absent). False when it is not
// http(s)://host[:port]...
static bool
s_host_port(const char *url, char *host, size_t host_size, char *port, size_t port_size)
{
    const char *rest = NULL;
    const char *dflt = NULL;
    if (strncmp(url, "http://", 7) == 0) {
        rest = url + 7;
        dflt = "80";
    } else if (strncmp(url, "https://", 8) == 0) {
        rest = url + 8;
        dflt = "443";
    } else {
        return false;
    }
    size_t end = strcspn(rest, "/?#");
    const char *colon = NULL;
    const char *h = rest;
    size_t hlen = end;
    if (rest[0] == '[') { // [v6]:port
        const char *close = memchr(rest, ']', end);
        if (!close)
            return false;
        h = rest + 1;
        hlen = (size_t)(close - rest - 1);
        colon = close + 1 < rest + end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(rest, ':', end);
        if (colon)
            hlen = (size_t)(colon - rest);
    }
    size_t plen = colon ? (size_t)(rest + end - colon - 1) : strlen(dflt);
    if (hlen == 0 || hlen >= host_size || plen == 0 || plen >= port_size)
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, colon ? colon + 1 : dflt, plen);
    port[plen] = '\0';
    return true;
}

// Start a non-blocking connect to url's host; the outcome lands in c.
static void
s_start(const char *url, s_check_t *c)
{
    c->fd = -1;
    c->start_ms = sl_clock_mono_ms();
    char host[256], port[16];
    if (!s_host_port(url, host, sizeof host, port, sizeof port)) {
        snprintf(c->error, sizeof c->error, "base_url is not http(s)://host[:port]");
        return;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(c->error, sizeof c->error, "cannot resolve %s: %s", host, gai_strerror(gai));
        return;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(c->error, sizeof c->error, "socket: %s", strerror(errno));
    } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        c->reachable = true;
        c->ms = sl_clock_mono_ms() - c->start_ms;
        close(fd);
    } else if (errno == EINPROGRESS) {
        c->fd = fd;
    } else {
        snprintf(c->error, sizeof c->error, "connect to %s:%s: %s", host, port, strerror(errno));
        close(fd);
    }
    freeaddrinfo(ai);
}

// Wait for every connect under way, at most SUPERVISOR_VALIDATE_CONNECT_MS after its start.
static void
s_wait(s_check_t *checks, size_t n)
{
    for (;;) {
        struct pollfd fds[S_MAX_PROVIDERS];
        size_t map[S_MAX_PROVIDERS], k = 0;
        int64_t now = sl_clock_mono_ms(), wait = SUPERVISOR_VALIDATE_CONNECT_MS;
        for (size_t i = 0; i < n; i++) {
            if (checks[i].fd < 0)
                continue;
            int64_t left = checks[i].start_ms + SUPERVISOR_VALIDATE_CONNECT_MS - now;
            if (left <= 0) {
                snprintf(checks[i].error, sizeof checks[i].error, "no connection within %d ms",
                         SUPERVISOR_VALIDATE_CONNECT_MS);
                close(checks[i].fd);
                checks[i].fd = -1;
                continue;
            }
            wait = left < wait ? left : wait;
            fds[k] = (struct pollfd){.fd = checks[i].fd, .events = POLLOUT};
            map[k++] = i;
        }
        if (k == 0)
            return;
        if (poll(fds, k, (int)wait) < 0 && errno != EINTR)
            return;
        for (size_t j = 0; j < k; j++) {
            if (!fds[j].revents)
                continue;
            s_check_t *c = &checks[map[j]];
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
            if (err == 0) {
                c->reachable = true;
                c->ms = sl_clock_mono_ms() - c->start_ms;
            } else {
                snprintf(c->error, sizeof c->error, "connect: %s", strerror(err));
            }
            close(c->fd);
            c->fd = -1;
        }
    }
}

static void
s_json_str(sl_buf_t *out, const char *s)
{
    (void)sl_buf_append_str(out, "\"");
    (void)sl_buf_append_json_str(out, s, strlen(s));
    (void)sl_buf_append_str(out, "\"");
}

int
supervisor_validate_main(const char *config_path)
{
    sl_buf_t out;
    sl_buf_init(&out, S_OUT_MAX);
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    bool ok = false;
    (void)sl_buf_append_str(&out, "{\"config\":");
    if (config_path)
        s_json_str(&out, config_path);
    else
        (void)sl_buf_append_str(&out, "null");
    if (sl_config_load(config_path, &cfg, &diag) < 0) {
        (void)sl_buf_append_str(&out, ",\"ok\":false,\"error\":");
        s_json_str(&out, diag.msg);
        (void)sl_buf_append_str(&out, "}");
    } else {
        size_t n = cfg->n_providers < S_MAX_PROVIDERS ? cfg->n_providers : S_MAX_PROVIDERS;
        s_check_t *checks = calloc(n ? n : 1, sizeof *checks);
        for (size_t i = 0; checks && i < n; i++)
            s_start(cfg->providers[i].base_url, &checks[i]);
        if (checks)
            s_wait(checks, n);
        ok = checks && n == cfg->n_providers;
        (void)sl_buf_printf(&out, ",\"routes\":%zu,\"providers\":[", cfg->n_routes);
        for (size_t i = 0; checks && i < n; i++) {
            const sl_provider_cfg_t *p = &cfg->providers[i];
            ok = ok && checks[i].reachable;
            (void)sl_buf_append_str(&out, i ? ",{\"name\":" : "{\"name\":");
            s_json_str(&out, p->name);
            (void)sl_buf_append_str(&out, ",\"kind\":");
            s_json_str(&out, p->kind);
            (void)sl_buf_append_str(&out, ",\"base_url\":");
            s_json_str(&out, p->base_url);
            (void)sl_buf_printf(&out, ",\"reachable\":%s", checks[i].reachable ? "true" : "false");
            if (checks[i].reachable) {
                (void)sl_buf_printf(&out, ",\"ms\":%lld}", (long long)checks[i].ms);
            } else {
                (void)sl_buf_append_str(&out, ",\"error\":");
                s_json_str(&out, checks[i].error);
                (void)sl_buf_append_str(&out, "}");
            }
        }
        (void)sl_buf_printf(&out, "],\"ok\":%s}", ok ? "true" : "false");
        free(checks);
        sl_config_destroy(&cfg);
    }
    printf("%s\n", sl_buf_str(&out));
    fflush(stdout);
    sl_buf_free(&out);
    return ok ? 0 : 1;
}

struct supervisor_validate {
    pid_t pid; // the child, 0 once reaped
    int fd;    // read end of its stdout, -1 once closed
    sl_buf_t out;
    int status; // its wait status once reaped
};

supervisor_validate_t *
supervisor_validate_start(const char *config_path)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    int pipefd[2];
    if (n <= 0 || (size_t)n >= sizeof exe - 1 || pipe(pipefd) < 0) {
        sl_log_error("validate: cannot start: %s", strerror(errno));
        return NULL;
    }
    exe[n] = '\0';
    // Close-on-exec on both ends: the child gets the write end only as its dup'd stdout.
    (void)fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
    char *argv[] = {exe, "validate", config_path ? "-c" : NULL, (char *)config_path, NULL};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, exe, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    if (rc != 0) {
        sl_log_error("validate: cannot start %s: %s", exe, strerror(rc));
        close(pipefd[0]);
        return NULL;
    }
    supervisor_validate_t *self = sl_xcalloc(1, sizeof *self);
    self->pid = pid;
    self->fd = pipefd[0];
    (void)fcntl(self->fd, F_SETFL, fcntl(self->fd, F_GETFL) | O_NONBLOCK);
    sl_buf_init(&self->out, S_OUT_MAX);
    return self;
}

int
supervisor_validate_fd(const supervisor_validate_t *self)
{
    return self->fd;
}

bool
supervisor_validate_read(supervisor_validate_t *self)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = self->fd >= 0 ? read(self->fd, chunk, sizeof chunk) : 0;
        if (n > 0) {
            (void)sl_buf_append(&self->out, chunk, (size_t)n); // past the cap: cut short
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return false;
        break; // EOF or a read error: the child is done with us
    }
    if (self->fd >= 0)
        close(self->fd);
    self->fd = -1;
    while (self->pid > 0 && waitpid(self->pid, &self->status, 0) < 0 && errno == EINTR)
        ;
    self->pid = 0;
    return true;
}

const char *
supervisor_validate_output(const supervisor_validate_t *self, bool *ok)
{
    *ok = WIFEXITED(self->status) && WEXITSTATUS(self->status) == 0;
    return sl_buf_str(&self->out);
}

void
supervisor_validate_destroy(supervisor_validate_t **self_p)
{
    supervisor_validate_t *self = *self_p;
    if (!self)
        return;
    if (self->pid > 0) {
        (void)kill(self->pid, SIGKILL);
        while (waitpid(self->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (self->fd >= 0)
        close(self->fd);
    sl_buf_free(&self->out);
    free(self);
    *self_p = NULL;
}
