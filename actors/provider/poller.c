// poller.c - a worker's upstream sockets: one epoll set, read in paced passes (see poller.h).
#include "poller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "sl/clock.h"
#include "sl/log.h"
#include "sl/mem.h"

#define POLLER_EVENTS    256     // ready sockets taken in one pass; the rest go in the next
#define POLLER_PERIOD_US 100000  // the busy rate is counted over periods of this length
#define POLLER_FDS_MAX   1048576 // sockets past this descriptor are never paced

struct provider_poller_t {
    zloop_t *loop; // borrowed
    CURLM *multi;  // borrowed
    int epfd;      // owned
    int64_t window_us;
    provider_poller_fn *after;
    void *arg;
    int64_t last_pass_us; // monotonic start of the last pass
    bool more;            // the last pass left ready sockets for the next one
    uint64_t ready_now;   // ready sockets since period_us
    uint64_t ready_last;  // the same over the period before
    int64_t period_us;    // monotonic start of the current period
    uint8_t *settled;     // owned; by descriptor: 1 once its stream had its first delta
    size_t settled_size;  // entries in settled
    provider_poller_stats_t stats;
};

// Busy: the last whole period saw more ready sockets than PROVIDER_POLLER_BUSY_RATE a second.
static bool
s_busy(provider_poller_t *self, int64_t now_us)
{
    if (now_us - self->period_us >= POLLER_PERIOD_US) {
        bool skipped = now_us - self->period_us >= 2 * POLLER_PERIOD_US;
        self->ready_last = skipped ? 0 : self->ready_now;
        self->ready_now = 0;
        self->period_us = now_us;
    }
    return self->ready_last * (1000000 / POLLER_PERIOD_US) >= PROVIDER_POLLER_BUSY_RATE;
}

// True when the pass may wait for the window: a busy worker, a window, nothing left over from
// the last pass, and the window not over yet.
static bool
s_may_wait(provider_poller_t *self, int64_t now_us, int64_t due_us)
{
    return self->window_us > 0 && !self->more && now_us < due_us && s_busy(self, now_us);
}

// True when one of the ready sockets belongs to a stream still waiting for its first delta
// (a new connection, a request being sent, a response head or first token coming): it is
// read at once, and the pass with it.
static bool
s_any_fresh(const provider_poller_t *self, const struct epoll_event *events, int n)
{
    for (int i = 0; i < n; i++) {
        size_t fd = (size_t)events[i].data.fd;
        if (fd >= self->settled_size || !self->settled[fd])
            return true;
    }
    return false;
}

static int
s_on_ready(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    provider_poller_t *self = arg;
    struct epoll_event events[POLLER_EVENTS];
    int64_t now_us = sl_clock_mono_us();
    int n = epoll_wait(self->epfd, events, POLLER_EVENTS, 0);
    // A pass woken sooner than a window after the last one sleeps out the rest, then takes
    // every socket that became ready meanwhile.
    int64_t due_us = self->last_pass_us + self->window_us;
    bool wait = n > 0 && s_may_wait(self, now_us, due_us);
    if (wait && s_any_fresh(self, events, n)) {
        wait = false;
        self->stats.fresh++;
    }
    if (wait) {
        struct timespec due = {.tv_sec = due_us / 1000000, .tv_nsec = (due_us % 1000000) * 1000};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
            ;
        now_us = due_us;
        self->stats.waits++;
        n = epoll_wait(self->epfd, events, POLLER_EVENTS, 0);
    }
    if (n < 0) {
        if (errno != EINTR)
            sl_log_warn_rl("upstream sockets: epoll_wait failed: %s", strerror(errno));
        return 0;
    }
    self->last_pass_us = now_us;
    self->more = n == POLLER_EVENTS;
    self->ready_now += (uint64_t)n;
    if (n > 0)
        self->stats.passes++;
    for (int i = 0; i < n; i++) {
        uint32_t ev = events[i].events;
        int flags = ((ev & EPOLLIN) ? CURL_CSELECT_IN : 0)
                    | ((ev & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
                    | ((ev & ~(uint32_t)(EPOLLIN | EPOLLOUT)) ? CURL_CSELECT_ERR : 0);
        int running = 0;
        curl_multi_socket_action(self->multi, events[i].data.fd, flags, &running);
    }
    if (n > 0 && self->after)
        self->after(self->arg);
    return 0;
}

provider_poller_t *
provider_poller_new(
    zloop_t *loop, CURLM *multi, int window_ms, provider_poller_fn *after, void *arg)
{
    provider_poller_t *self = sl_xcalloc(1, sizeof *self);
    self->loop = loop;
    self->multi = multi;
    self->after = after;
    self->arg = arg;
    self->window_us = window_ms > 0 ? (int64_t)window_ms * 1000 : 0;
    self->period_us = sl_clock_mono_us();
    self->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (self->epfd < 0)
        goto fail;
    zmq_pollitem_t item = {NULL, self->epfd, ZMQ_POLLIN, 0};
    if (zloop_poller(loop, &item, s_on_ready, self) < 0)
        goto fail;
    return self;
fail:;
    int err = errno;
    if (self->epfd >= 0)
        close(self->epfd);
    free(self);
    errno = err;
    return NULL;
}

void
provider_poller_destroy(provider_poller_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    provider_poller_t *self = *self_p;
    zmq_pollitem_t item = {NULL, self->epfd, 0, 0};
    zloop_poller_end(self->loop, &item);
    close(self->epfd);
    free(self->settled);
    free(self);
    *self_p = NULL;
}

// Mark fd settled or fresh; the table grows to the highest descriptor settled, up to
// POLLER_FDS_MAX (past it a socket stays fresh: read at once, never paced).
static void
s_set_settled(provider_poller_t *self, curl_socket_t fd, bool settled)
{
    if (fd < 0 || (size_t)fd >= POLLER_FDS_MAX)
        return;
    size_t at = (size_t)fd;
    if (at >= self->settled_size) {
        if (!settled)
            return; // beyond the table is fresh already
        size_t size = self->settled_size ? self->settled_size : 64;
        while (size <= at)
            size *= 2;
        self->settled = sl_xrealloc(self->settled, size);
        memset(self->settled + self->settled_size, 0, size - self->settled_size);
        self->settled_size = size;
    }
    self->settled[at] = settled;
}

void
provider_poller_settle(provider_poller_t *self, curl_socket_t fd)
{
    s_set_settled(self, fd, true);
}

provider_poller_stats_t
provider_poller_stats(const provider_poller_t *self)
{
    return self->stats;
}

int
provider_poller_watch(provider_poller_t *self, curl_socket_t fd, int what)
{
    if (what == CURL_POLL_REMOVE) {
        // curl may have closed it already, which took it out of the set.
        (void)epoll_ctl(self->epfd, EPOLL_CTL_DEL, fd, NULL);
        s_set_settled(self, fd, false);
        return 0;
    }
    struct epoll_event ev = {.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0)
                                       | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0),
                             .data.fd = fd};
    if (epoll_ctl(self->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
        return 0;
    if (errno == ENOENT && epoll_ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
        s_set_settled(self, fd, false); // a new socket, or a kept one for another transfer
        return 0;
    }
    sl_log_error("upstream socket fd=%d: epoll_ctl failed: %s", (int)fd, strerror(errno));
    return -1;
}

void
provider_poller_set_window(provider_poller_t *self, int window_ms)
{
    self->window_us = window_ms > 0 ? (int64_t)window_ms * 1000 : 0;
}
