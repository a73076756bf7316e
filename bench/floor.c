// floor.c - sluice-bench-floor: the floor CPU cost per token of sluice's token path.
//
// What would ANY implementation of sluice's process shape spend per token on this machine? This
// program has the same shape and no sluice code: each role is its own process, forked from this
// one binary, sharing nothing, talking over real sockets:
//
//   upstream --TCP--> reader x W --ipc--> relay --ipc--> writer --TCP--> client
//   (provider)        (provider worker)   (builder)      (ingress)       (HTTP clients)
//
// upstream  not counted. Accepts C TCP connections (TCP_NODELAY) and writes on each one ~120-byte
//           SSE-like line carrying the token number every 1/R s, T times; the streams' phases are
//           uniform at random over 1/R; one thread walks the phase-sorted schedule with
//           clock_nanosleep to the next due write.
// reader    counted. C/W upstream sockets in one epoll set, read in paced passes copied from
//           actors/provider/poller.c: while the reader saw >= 2000 ready sockets a second over the
//           last whole 100 ms period, a pass woken sooner than a window after the last one sleeps
//           out the rest; then epoll_wait(0) and one recv() of up to 16 KiB per ready socket; every
//           chunk read in the pass (stream id + the bytes) goes into ONE zmq message, sent at the
//           pass's end on a DEALER.
// relay     counted. A ROUTER bound on ipc (the readers' DEALERs connect) and a DEALER connected
//           to the writer's ROUTER; zmq_poll as a zloop would, and each wake-up drains the ROUTER
//           until EAGAIN, moving each body frame to the DEALER as received (zmq_msg_send, no copy).
//           --relay 0 leaves it out: the readers' DEALERs connect to the writer's ROUTER.
// writer    counted. Drains its ROUTER the same way; for each chunk one send(MSG_NOSIGNAL) of the
//           bytes to that stream's client socket (stream id -> socket, told by the client).
// client    not counted. C TCP connections to the writer, read with epoll; checks every stream
//           gets exactly T tokens in order.
//
// The parent measures the counted processes (all their threads, libzmq's I/O threads included)
// over the middle of the run, 20 % to 80 % of the stream duration T/R: utime+stime of
// /proc/<pid>/stat (10 ms ticks), the same from /proc/<pid>/task/*/schedstat (ns), context
// switches from /proc/<pid>/task/*/status, and the tokens the client received meanwhile.
//
// Left out, so its figures are a lower bound for sluice's path: no HTTP parsing or framing, no
// SSE or JSON parsing or writing, no msgpack, no tokenizer, no persistence, no retention or
// replay, no per-stream state beyond an fd, no logging, no metrics, no broker, no supervision.
// A recv() that returns two lines is forwarded and sent on as one chunk (one send(); the report's
// "send()s per token" shows how often). Sockets are blocking on the sending side (upstream,
// writer) and zmq HWMs are off, so nothing is dropped. A shared page carries the upstream's start
// time and two counters (the writer's, the client's) to the parent; roles share nothing else.
#define _GNU_SOURCE // accept4, memmem, prctl, pipe2

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#define PASS_EVENTS    256    // ready sockets taken in one pass (poller.c's POLLER_EVENTS)
#define BUSY_PERIOD_US 100000 // the busy rate is counted over periods of this length
#define BUSY_RATE      2000   // ready sockets a second above which passes are paced
#define RECV_MAX       16384  // one recv() per ready socket, at most this much
#define REC_HDR        6      // a record in a bundle: u32 stream id, u16 length, the bytes
#define CARRY          512    // the client's room for a partial line
#define MAX_ROLES      (4 + 4096)

static struct {
    int conns, rate, tokens, readers, window_us, relay, json;
} opt = {50, 250, 3000, 2, 1000, 1, 0};

typedef struct {            // the one page parent and roles share: instrumentation only
    atomic_llong delivered; // tokens the client has checked, in order
    atomic_llong sends;     // the writer's send()s to clients (fewer than tokens: coalesced reads)
    atomic_int client_done;
    int64_t t0_ns; // upstream's schedule origin, set before it says ready
    int complete, failed;
    char error[256];
} shared_t;

typedef struct {
    pid_t pid;
    const char *name;
    int kind; // 0 reader, 1 relay, 2 writer, 3 upstream, 4 client
    bool exited;
} role_t;

typedef struct {
    int64_t ticks, run_ns, cs;
} sample_t;

static shared_t *s_sh;
static role_t s_roles[MAX_ROLES];
static int s_nroles;
static const char *s_role = "parent";
static pid_t s_parent;
static int s_ready[2] = {-1, -1};
static int s_ulisten = -1, s_wlisten = -1, s_uport, s_wport;
static char s_dir[64], s_ep_relay[128], s_ep_writer[128];
static volatile sig_atomic_t s_stop;

static void s_cleanup(void);

__attribute__((format(printf, 1, 2), noreturn)) static void
s_die(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sluice-bench-floor: %s: %s\n", s_role, msg);
    if (getpid() != s_parent)
        _exit(1);
    if (s_sh && s_sh->error[0]) // the client's first failure, often the cause
        fprintf(stderr, "sluice-bench-floor: client: %s\n", s_sh->error);
    s_cleanup();
    exit(1);
}

static int64_t
s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
s_sleep_until_ns(int64_t due_ns)
{
    struct timespec due = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
        ;
}

static void
s_nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        s_die("TCP_NODELAY: %s", strerror(errno));
}

static int
s_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0
        || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        s_die("listen on 127.0.0.1: %s", strerror(errno));
    *port = ntohs(sa.sin_port);
    return fd;
}

static int
s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)port)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        s_die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    s_nodelay(fd);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        s_die("O_NONBLOCK: %s", strerror(errno));
    return fd;
}

static void
s_send_all(int fd, const char *p, size_t len, const char *what)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0)
            s_die("send to %s: %s", what, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static void
s_say_ready(void)
{
    char c = 1;
    if (write(s_ready[1], &c, 1) != 1)
        s_die("ready pipe: %s", strerror(errno));
}

static void *
s_zmq_socket(void *ctx, int type)
{
    void *sock = ctx ? zmq_socket(ctx, type) : NULL;
    if (!sock)
        s_die("zmq socket: %s", zmq_strerror(zmq_errno()));
    int zero = 0; // no HWM: the bench must not drop or stall on zmq's default 1000 messages
    zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero);
    return sock;
}

// ---------------------------------------------------------------- upstream (not counted)

typedef struct {
    int64_t phase_ns;
    int fd;
} slot_t;

static int
s_by_phase(const void *a, const void *b)
{
    int64_t x = ((const slot_t *)a)->phase_ns, y = ((const slot_t *)b)->phase_ns;
    return (x > y) - (x < y);
}

static void
s_upstream(int unused)
{
    (void)unused;
    int c = opt.conns;
    slot_t *slots = calloc((size_t)c, sizeof *slots);
    if (!slots)
        s_die("out of memory");
    int64_t period_ns = 1000000000LL / opt.rate;
    uint64_t x = 0x9e3779b97f4a7c15ULL; // xorshift64*: a fixed seed, the same phases every run
    for (int i = 0; i < c; i++) {
        slots[i].fd = accept4(s_ulisten, NULL, NULL, SOCK_CLOEXEC);
        if (slots[i].fd < 0)
            s_die("accept reader connection %d of %d: %s", i + 1, c, strerror(errno));
        s_nodelay(slots[i].fd);
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        slots[i].phase_ns = (int64_t)((x * 0x2545F4914F6CDD1DULL) >> 11) % period_ns;
    }
    qsort(slots, (size_t)c, sizeof *slots, s_by_phase);
    int64_t t0 = s_mono_ns() + 20000000; // 20 ms for the parent to hear we are ready
    s_sh->t0_ns = t0;
    s_say_ready();
    char line[192];
    int64_t now = s_mono_ns();
    for (int k = 0; k < opt.tokens; k++) {
        int len = snprintf(line, sizeof line,
                           "data: {\"id\":\"chatcmpl-floor\",\"object\":\"chat.completion.chunk\","
                           "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok%06d \"}}]}\n\n",
                           k);
        int64_t round_ns = t0 + (int64_t)k * 1000000000LL / opt.rate;
        for (int j = 0; j < c; j++) {
            int64_t due = round_ns + slots[j].phase_ns;
            if (due > now && (now = s_mono_ns()) < due) {
                s_sleep_until_ns(due);
                now = due;
            }
            s_send_all(slots[j].fd, line, (size_t)len, "a reader");
        }
    }
    for (int i = 0; i < c; i++)
        close(slots[i].fd);
    _exit(0);
}

// ---------------------------------------------------------------- reader (counted)

typedef struct { // provider_poller_t's pacing state
    int64_t window_us;
    int64_t last_pass_us; // monotonic start of the last pass
    bool more;            // the last pass left ready sockets for the next one
    uint64_t ready_now;   // ready sockets since period_us
    uint64_t ready_last;  // the same over the period before
    int64_t period_us;    // monotonic start of the current period
} pacer_t;

// Busy: the last whole period saw more ready sockets than BUSY_RATE a second (poller.c s_busy).
static bool
s_busy(pacer_t *self, int64_t now_us)
{
    if (now_us - self->period_us >= BUSY_PERIOD_US) {
        bool skipped = now_us - self->period_us >= 2 * BUSY_PERIOD_US;
        self->ready_last = skipped ? 0 : self->ready_now;
        self->ready_now = 0;
        self->period_us = now_us;
    }
    return self->ready_last * (1000000 / BUSY_PERIOD_US) >= BUSY_RATE;
}

// Sleep out the rest of the window since the last pass (a busy reader only), as poller.c does.
static void
s_pace(pacer_t *self)
{
    int64_t now_us = s_mono_ns() / 1000;
    int64_t due_us = self->last_pass_us + self->window_us;
    if (self->window_us > 0 && !self->more && now_us < due_us && s_busy(self, now_us)) {
        s_sleep_until_ns(due_us * 1000);
        now_us = due_us;
    }
    self->last_pass_us = now_us;
}

static void
s_reader(int w)
{
    int lo = (int)((int64_t)opt.conns * w / opt.readers);
    int hi = (int)((int64_t)opt.conns * (w + 1) / opt.readers);
    void *ctx = zmq_ctx_new();
    void *dealer = s_zmq_socket(ctx, ZMQ_DEALER);
    if (zmq_connect(dealer, opt.relay ? s_ep_relay : s_ep_writer) < 0)
        s_die("zmq_connect: %s", zmq_strerror(zmq_errno()));
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        s_die("epoll_create1: %s", strerror(errno));
    for (int s = lo; s < hi; s++) {
        int fd = s_connect(s_uport);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)s << 32 | (uint32_t)fd};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            s_die("epoll_ctl: %s", strerror(errno));
    }
    char *bundle = malloc((size_t)PASS_EVENTS * (REC_HDR + RECV_MAX));
    if (!bundle)
        s_die("out of memory");
    pacer_t pacer = {.window_us = opt.window_us, .period_us = s_mono_ns() / 1000};
    s_say_ready();
    int open = hi - lo;
    struct epoll_event events[PASS_EVENTS];
    while (open > 0) {
        // Roles install no signal handlers, so no call here fails with EINTR.
        struct epoll_event one; // the wake-up: zloop's poll on the epoll fd
        if (!pacer.more && epoll_wait(epfd, &one, 1, -1) < 0)
            s_die("epoll_wait: %s", strerror(errno));
        s_pace(&pacer);
        int n = epoll_wait(epfd, events, PASS_EVENTS, 0);
        if (n < 0)
            s_die("epoll_wait: %s", strerror(errno));
        pacer.more = n == PASS_EVENTS;
        pacer.ready_now += (uint64_t)n;
        size_t len = 0;
        for (int i = 0; i < n; i++) {
            int fd = (int)(uint32_t)events[i].data.u64;
            uint32_t sid = (uint32_t)(events[i].data.u64 >> 32);
            ssize_t r = recv(fd, bundle + len + REC_HDR, RECV_MAX, 0);
            if (r > 0) {
                uint16_t rlen = (uint16_t)r;
                memcpy(bundle + len, &sid, 4);
                memcpy(bundle + len + 4, &rlen, 2);
                len += REC_HDR + (size_t)r;
            } else if (r == 0) {
                close(fd); // the stream's end; closing takes it out of the set
                open--;
            } else if (errno != EAGAIN) {
                s_die("recv from upstream, stream %u: %s", sid, strerror(errno));
            }
        }
        if (len > 0 && zmq_send(dealer, bundle, len, 0) < 0)
            s_die("zmq_send: %s", zmq_strerror(zmq_errno()));
    }
    zmq_close(dealer); // lingers until the last bundle is out
    zmq_ctx_term(ctx);
    _exit(0);
}

// ---------------------------------------------------------------- relay (counted)

// Receive one ROUTER message (identity, body) without waiting; false when there is none.
static bool
s_router_recv(void *router, zmq_msg_t *body)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        if (zmq_errno() == EAGAIN)
            return false;
        s_die("zmq_msg_recv: %s", zmq_strerror(zmq_errno()));
    }
    zmq_msg_close(&id);
    zmq_msg_init(body);
    if (zmq_msg_recv(body, router, 0) < 0) // the body is here once the identity is
        s_die("zmq_msg_recv: %s", zmq_strerror(zmq_errno()));
    return true;
}

static void
s_relay(int unused)
{
    (void)unused;
    void *ctx = zmq_ctx_new();
    void *router = s_zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = s_zmq_socket(ctx, ZMQ_DEALER);
    if (zmq_bind(router, s_ep_relay) < 0 || zmq_connect(dealer, s_ep_writer) < 0)
        s_die("zmq bind/connect: %s", zmq_strerror(zmq_errno()));
    s_say_ready();
    zmq_pollitem_t items[2] = {{router, 0, ZMQ_POLLIN, 0}, {dealer, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0)
            s_die("zmq_poll: %s", zmq_strerror(zmq_errno()));
        zmq_msg_t body;
        while ((items[0].revents & ZMQ_POLLIN) && s_router_recv(router, &body))
            if (zmq_msg_send(&body, dealer, 0) < 0) // moves the frame: no copy
                s_die("zmq_msg_send: %s", zmq_strerror(zmq_errno()));
        if (items[1].revents & ZMQ_POLLIN) { // nothing comes back; drop it if it does
            char b[1];
            while (zmq_recv(dealer, b, sizeof b, ZMQ_DONTWAIT) >= 0)
                ;
        }
    }
}

// ---------------------------------------------------------------- writer (counted)

static void
s_writer(int unused)
{
    (void)unused;
    int c = opt.conns;
    void *ctx = zmq_ctx_new();
    void *router = s_zmq_socket(ctx, ZMQ_ROUTER);
    if (zmq_bind(router, s_ep_writer) < 0)
        s_die("zmq_bind %s: %s", s_ep_writer, zmq_strerror(zmq_errno()));
    int *fds = malloc((size_t)c * sizeof *fds);
    if (!fds)
        s_die("out of memory");
    memset(fds, 0xff, (size_t)c * sizeof *fds); // -1: no socket yet
    for (int i = 0; i < c; i++) {
        int fd = accept4(s_wlisten, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            s_die("accept client connection %d of %d: %s", i + 1, c, strerror(errno));
        uint32_t sid;
        if (recv(fd, &sid, sizeof sid, MSG_WAITALL) != sizeof sid)
            s_die("read a stream id: %s", strerror(errno));
        if (sid >= (uint32_t)c || fds[sid] >= 0)
            s_die("client sent a bad stream id %u", sid);
        s_nodelay(fd);
        fds[sid] = fd;
    }
    s_say_ready();
    zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
    for (;;) {
        if (zmq_poll(&item, 1, -1) < 0)
            s_die("zmq_poll: %s", zmq_strerror(zmq_errno()));
        zmq_msg_t body;
        long long sends = 0;
        while (s_router_recv(router, &body)) {
            const char *p = zmq_msg_data(&body);
            size_t size = zmq_msg_size(&body), off = 0;
            while (off + REC_HDR <= size) {
                uint32_t sid;
                uint16_t len;
                memcpy(&sid, p + off, 4);
                memcpy(&len, p + off + 4, 2);
                if (sid >= (uint32_t)c || off + REC_HDR + len > size)
                    s_die("a bad record in a bundle (stream %u, %u bytes)", sid, len);
                s_send_all(fds[sid], p + off + REC_HDR, len, "a client");
                off += REC_HDR + len;
                sends++;
            }
            zmq_msg_close(&body);
        }
        atomic_fetch_add_explicit(&s_sh->sends, sends, memory_order_relaxed);
    }
}

// ---------------------------------------------------------------- client (not counted)

__attribute__((format(printf, 2, 3))) static void
s_fail(int sid, const char *fmt, ...)
{
    if (s_sh->error[0] == '\0') {
        int n = snprintf(s_sh->error, sizeof s_sh->error, "stream %d: ", sid);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s_sh->error + n, sizeof s_sh->error - (size_t)n, fmt, ap);
        va_end(ap);
    }
    s_sh->failed++;
}

static void
s_client(int unused)
{
    (void)unused;
    int c = opt.conns;
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    int *fds = calloc((size_t)c, sizeof *fds), *next = calloc((size_t)c, sizeof *next);
    int *clen = calloc((size_t)c, sizeof *clen);
    char *carry = malloc((size_t)c * CARRY), *buf = malloc(CARRY + 65536);
    if (epfd < 0 || !fds || !next || !clen || !carry || !buf)
        s_die("setup: %s", strerror(errno));
    for (int i = 0; i < c; i++) {
        fds[i] = s_connect(s_wport);
        uint32_t sid = (uint32_t)i;
        s_send_all(fds[i], (const char *)&sid, sizeof sid, "the writer");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
            s_die("epoll_ctl: %s", strerror(errno));
    }
    s_say_ready();
    static const char key[] = "\"content\":\"tok";
    struct epoll_event events[256];
    while (s_sh->complete + s_sh->failed < c) {
        int n = epoll_wait(epfd, events, 256, -1);
        if (n < 0)
            s_die("epoll_wait: %s", strerror(errno));
        long long got = 0;
        for (int e = 0; e < n; e++) {
            int i = (int)events[e].data.u32;
            if (fds[i] < 0)
                continue;
            // The stream's partial line goes just before the new bytes: one run to scan.
            char *data = buf + CARRY - clen[i];
            memcpy(data, carry + (size_t)i * CARRY, (size_t)clen[i]);
            ssize_t r = recv(fds[i], buf + CARRY, 65536, 0);
            bool bad = false;
            if (r < 0 && errno == EAGAIN)
                continue;
            if (r <= 0) {
                s_fail(i, "%s after %d of %d tokens", r == 0 ? "closed" : strerror(errno), next[i],
                       opt.tokens);
                bad = true;
            }
            char *p = data, *end = buf + CARRY + (r > 0 ? r : 0), *eol;
            while (!bad && next[i] < opt.tokens
                   && (eol = memmem(p, (size_t)(end - p), "\n\n", 2))) {
                char *k = memmem(p, (size_t)(eol - p), key, sizeof key - 1);
                long tok = k ? strtol(k + sizeof key - 1, NULL, 10) : -1;
                if (tok != next[i]) {
                    s_fail(i, "token %ld where %d was due", tok, next[i]);
                    bad = true;
                } else {
                    next[i]++, got++;
                }
                p = eol + 2;
            }
            if (!bad && next[i] == opt.tokens) { // exactly T, in order, and nothing after them
                if (p != end)
                    s_fail(i, "%d bytes after the last token", (int)(end - p));
                else
                    s_sh->complete++;
                bad = true; // done with it either way: any later send fails the writer
            } else if (!bad && end - p > CARRY) {
                s_fail(i, "a line longer than %d bytes", CARRY);
                bad = true;
            }
            if (bad) {
                close(fds[i]);
                fds[i] = -1;
            } else {
                clen[i] = (int)(end - p);
                memcpy(carry + (size_t)i * CARRY, p, (size_t)clen[i]);
            }
        }
        atomic_fetch_add_explicit(&s_sh->delivered, got, memory_order_relaxed);
    }
    atomic_store(&s_sh->client_done, 1);
    _exit(0);
}

// ---------------------------------------------------------------- parent

static void
s_spawn(const char *name, int kind, void (*fn)(int), int arg)
{
    if (s_nroles == MAX_ROLES)
        s_die("too many processes");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        s_die("fork: %s", strerror(errno));
    if (pid == 0) {
        s_role = name;
        prctl(PR_SET_PDEATHSIG, SIGKILL); // no orphans if the parent dies
        if (getppid() != s_parent)
            _exit(1);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    s_roles[s_nroles++] = (role_t){.pid = pid, .name = name, .kind = kind};
}

// Reap exited children; an exit that is not a clean one, or any exit while early, is fatal.
static void
s_reap(bool early)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        role_t *r = s_roles;
        while (r < s_roles + s_nroles - 1 && r->pid != pid)
            r++;
        r->exited = true;
        if (WIFSIGNALED(st))
            s_die("%s (pid %d) was killed by signal %d", r->name, pid, WTERMSIG(st));
        if (WEXITSTATUS(st) != 0 || early)
            s_die("%s (pid %d) exited with status %d %s", r->name, pid, WEXITSTATUS(st),
                  early ? "before the measurement ended" : "");
    }
}

static void
s_wait_ready(int n)
{
    int64_t deadline = s_mono_ns() + 300000000000LL;
    while (n > 0) {
        if (s_stop)
            s_die("interrupted");
        s_reap(true);
        if (s_mono_ns() > deadline)
            s_die("the roles were not ready within 300 s");
        struct pollfd pfd = {s_ready[0], POLLIN, 0};
        char b[64];
        if (poll(&pfd, 1, 100) > 0) {
            ssize_t got = read(s_ready[0], b, (size_t)n < sizeof b ? (size_t)n : sizeof b);
            if (got > 0)
                n -= (int)got;
        }
    }
}

static void
s_cleanup(void)
{
    for (int i = 0; i < s_nroles; i++)
        if (!s_roles[i].exited)
            kill(s_roles[i].pid, SIGTERM);
    for (int i = 0; i < s_nroles; i++) // SIGTERM's default action: they cannot ignore it
        if (!s_roles[i].exited && waitpid(s_roles[i].pid, NULL, 0) >= 0)
            s_roles[i].exited = true;
    if (s_dir[0]) {
        unlink(s_ep_relay + 6);
        unlink(s_ep_writer + 6);
        rmdir(s_dir);
        s_dir[0] = '\0';
    }
}

// CPU and context switches of one process, all threads.
static void
s_sample(pid_t pid, sample_t *out)
{
    char path[128], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(line, 1, sizeof line - 1, f) : 0;
    if (f)
        fclose(f);
    line[n] = '\0';
    char *close_paren = strrchr(line, ')');
    unsigned long long ut = 0, st = 0; // fields 14 and 15: every thread of the process
    if (!close_paren
        || sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                  &st)
               != 2)
        s_die("cannot read %s", path);
    *out = (sample_t){.ticks = (int64_t)(ut + st)};
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        s_die("cannot open %s: %s", path, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char tp[512];
        unsigned long long run = 0, v = 0;
        snprintf(tp, sizeof tp, "%s/%s/schedstat", path, e->d_name);
        if ((f = fopen(tp, "r"))) {
            if (fscanf(f, "%llu", &run) == 1)
                out->run_ns += (int64_t)run;
            fclose(f);
        }
        snprintf(tp, sizeof tp, "%s/%s/status", path, e->d_name);
        if ((f = fopen(tp, "r"))) {
            while (fgets(line, sizeof line, f))
                if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1
                    || sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
                    out->cs += (int64_t)v;
            fclose(f);
        }
    }
    closedir(d);
}

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static const char s_usage[] =
    "usage: sluice-bench-floor [-c conns] [-r tokens/s per stream] [-t tokens per stream]\n"
    "         [-w readers] [--window-us N] [--relay 0|1] [--json]\n";

static void
s_options(int argc, char **argv)
{
    static const struct {
        const char *name;
        int *v, lo, hi;
    } t[] = {{"-c", &opt.conns, 1, 1000000},
             {"-r", &opt.rate, 1, 1000000},
             {"-t", &opt.tokens, 1, 999999},
             {"-w", &opt.readers, 1, 4096},
             {"--window-us", &opt.window_us, 0, 10000000},
             {"--relay", &opt.relay, 0, 1}};
    for (int a = 1; a < argc; a++) {
        size_t k = 0;
        while (k < sizeof t / sizeof t[0] && strcmp(argv[a], t[k].name) != 0)
            k++;
        if (strcmp(argv[a], "--json") == 0) {
            opt.json = 1;
        } else if (k < sizeof t / sizeof t[0] && a + 1 < argc) {
            char *end;
            long v = strtol(argv[++a], &end, 10);
            if (*end || end == argv[a] || v < t[k].lo || v > t[k].hi) {
                fprintf(stderr, "sluice-bench-floor: %s wants a whole number in %d..%d, not '%s'\n",
                        t[k].name, t[k].lo, t[k].hi, argv[a]);
                exit(1);
            }
            *t[k].v = (int)v;
        } else {
            fprintf(strcmp(argv[a], "-h") ? stderr : stdout, "%s", s_usage);
            exit(strcmp(argv[a], "-h") ? 1 : 0);
        }
    }
    if (opt.readers > opt.conns) {
        fprintf(stderr, "sluice-bench-floor: more readers (-w) than streams (-c)\n");
        exit(1);
    }
}

int
main(int argc, char **argv)
{
    s_parent = getpid();
    s_options(argc, argv);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            s_die("raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)rl.rlim_max,
                  strerror(errno));
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
        && rl.rlim_cur < (rlim_t)opt.conns + 64)
        s_die("-c %d needs %d open files a process; the hard limit is %llu", opt.conns,
              opt.conns + 64, (unsigned long long)rl.rlim_cur);
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    s_sh = mmap(NULL, sizeof *s_sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s_sh == MAP_FAILED)
        s_die("mmap: %s", strerror(errno));
    snprintf(s_dir, sizeof s_dir, "/tmp/sluice-floor-XXXXXX");
    if (!mkdtemp(s_dir)) {
        s_dir[0] = '\0';
        s_die("mkdtemp: %s", strerror(errno));
    }
    snprintf(s_ep_relay, sizeof s_ep_relay, "ipc://%s/relay", s_dir);
    snprintf(s_ep_writer, sizeof s_ep_writer, "ipc://%s/writer", s_dir);
    if (pipe2(s_ready, O_CLOEXEC) < 0)
        s_die("pipe: %s", strerror(errno));
    s_ulisten = s_listen(&s_uport);
    s_wlisten = s_listen(&s_wport);

    // The ingress side first, then the relay, then the upstream and its readers.
    s_spawn("writer", 2, s_writer, 0);
    s_spawn("client", 4, s_client, 0);
    s_wait_ready(2);
    if (opt.relay) {
        s_spawn("relay", 1, s_relay, 0);
        s_wait_ready(1);
    }
    s_spawn("upstream", 3, s_upstream, 0);
    for (int w = 0; w < opt.readers; w++)
        s_spawn("reader", 0, s_reader, w);
    s_wait_ready(opt.readers + 1);

    int64_t t0 = s_sh->t0_ns, dur = (int64_t)opt.tokens * 1000000000LL / opt.rate;
    int64_t at[2] = {t0 + dur / 5, t0 + dur - dur / 5}, when[2] = {0, 0};
    int64_t deadline = t0 + dur + (dur > 10000000000LL ? dur : 10000000000LL);
    long long tok[2] = {0, 0}, sends[2] = {0, 0};
    sample_t smp[2][MAX_ROLES];
    int taken = 0;
    bool timed_out = false;
    for (;;) {
        if (s_stop)
            s_die("interrupted");
        int64_t now = s_mono_ns();
        if (taken < 2 && now >= at[taken]) {
            tok[taken] = atomic_load(&s_sh->delivered);
            sends[taken] = atomic_load(&s_sh->sends);
            when[taken] = now;
            for (int i = 0; i < s_nroles; i++)
                s_sample(s_roles[i].pid, &smp[taken][i]);
            taken++;
            continue;
        }
        s_reap(taken < 2);
        if (atomic_load(&s_sh->client_done))
            break;
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        int64_t wake = now + 20000000;
        if (taken < 2 && at[taken] < wake)
            wake = at[taken];
        s_sleep_until_ns(wake);
    }
    if (taken < 2)
        s_die("the run ended before the measurement window did");

    // Figures: per role kind (0 readers, 1 relay, 2 writer, 3 upstream, 4 client), 5 = counted.
    long hz = sysconf(_SC_CLK_TCK);
    double ntok = (double)(tok[1] - tok[0]), nsend = (double)(sends[1] - sends[0]),
           secs = (double)(when[1] - when[0]) / 1e9;
    double cpu[6] = {0}, ns[6] = {0}, cs[6] = {0};
    for (int i = 0; i < s_nroles; i++) {
        int k = s_roles[i].kind;
        double d_cpu = (double)(smp[1][i].ticks - smp[0][i].ticks) * 1e6 / (double)hz;
        double d_ns = (double)(smp[1][i].run_ns - smp[0][i].run_ns) / 1e3;
        double d_cs = (double)(smp[1][i].cs - smp[0][i].cs);
        cpu[k] += d_cpu, ns[k] += d_ns, cs[k] += d_cs;
        if (k <= 2)
            cpu[5] += d_cpu, ns[5] += d_ns, cs[5] += d_cs;
    }
    for (int k = 0; k < 6; k++) {
        cpu[k] = ntok > 0 ? cpu[k] / ntok : 0;
        ns[k] = ntok > 0 ? ns[k] / ntok : 0;
        cs[k] = ntok > 0 ? cs[k] / ntok : 0;
    }
    int complete = timed_out ? 0 : s_sh->complete;
    bool ok = !timed_out && complete == opt.conns;
    const char *err = timed_out ? "timed out: not every stream ended" : s_sh->error;
    static const char *names[] = {"readers", "relay", "writer", "upstream", "client", "total"};
    static const char *keys[] = {"cpu_us_per_token", "schedstat_us_per_token", "cs_per_token"};
    static const char *rows[] = {"cpu us (stat utime+stime)", "cpu us (schedstat run ns)",
                                 "context switches"};
    double *vals[] = {cpu, ns, cs};
    if (opt.json) {
        printf("{\"conns\":%d,\"rate\":%d,\"tokens\":%d,\"readers\":%d,\"window_us\":%d,"
               "\"relay\":%d,\"measured_s\":%.6f,\"tokens_measured\":%.0f,\"tokens_per_s\":%.3f,"
               "\"expected_tokens_per_s\":%lld,\"sends_per_token\":%.4f,",
               opt.conns, opt.rate, opt.tokens, opt.readers, opt.window_us, opt.relay, secs, ntok,
               ntok / secs, (long long)opt.conns * opt.rate, nsend / ntok);
        for (int m = 0; m < 3; m++) {
            printf("\"%s\":{", keys[m]);
            for (int k = 0; k < 6; k++)
                printf("\"%s\":%.4f%s", names[k], vals[m][k], k < 5 ? "," : "},");
        }
        printf("\"streams_complete\":%d,\"streams_failed\":%d,\"complete\":%s,\"error\":\"%s\"}\n",
               complete, s_sh->failed, ok ? "true" : "false", err);
    } else {
        printf("sluice-bench-floor: C=%d R=%d/s T=%d W=%d window=%d us relay=%d\n", opt.conns,
               opt.rate, opt.tokens, opt.readers, opt.window_us, opt.relay);
        printf("measured %.3f s (20-80 %% of %.3f s): %.0f tokens, %.1f tokens/s (C*R = %lld)\n",
               secs, (double)dur / 1e9, ntok, ntok / secs, (long long)opt.conns * opt.rate);
        printf("%-26s %9s %9s %9s %9s | not counted: %s %s\n", "per token", "total", "readers",
               "relay", "writer", "upstream", "client");
        for (int m = 0; m < 3; m++)
            printf("%-26s %9.4f %9.4f %9.4f %9.4f | %9.4f %9.4f\n", rows[m], vals[m][5], vals[m][0],
                   vals[m][1], vals[m][2], vals[m][3], vals[m][4]);
        printf("writer send()s per token: %.4f\n", nsend / ntok);
        printf("streams: %d of %d complete and in order%s%s\n", complete, opt.conns,
               err[0] ? "; " : "", err);
    }
    fflush(stdout);
    s_cleanup();
    return ok ? 0 : 2;
}
