// server.c - the mock's poll() loop, connections and streams (see server.h).
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include "endpoint.h"
#include "format.h"
#include "http.h"
#include "ledger.h"
#include "script.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "stream.h"

#define S_READ_IDLE_US    (30 * 1000000LL)    // a request must make progress this often
#define S_WRITE_STALL_US  (30 * 1000000LL)    // a client must take our bytes this often
#define S_HOLD_MAX_US     (600 * 1000000LL)   // a stream held longer was abandoned
#define S_LINGER_US       (2 * 1000000LL)     // how long a closing connection drains input
#define S_ACCEPT_PAUSE_US 100000              // listener rest after EMFILE, instead of spinning
#define S_ABORT_WAIT_US   (2 * 1000000LL)     // reset=: how long the peer may take to ack
#define S_ABORT_CHECK_US  1000                // reset=: how often to look for those acks
#define S_OUT_MAX         (32u * 1024 * 1024) // one response, framed; 100000 tokens fit
#define S_READ_CHUNK      (64u * 1024)

typedef enum {
    S_READ_HEAD,  // waiting for a whole request head
    S_READ_BODY,  // head parsed; waiting for Content-Length body bytes
    S_FIRST_BYTE, // answer decided; nothing leaves before first_us (first_byte_ms=, stall=)
    S_RESPOND,    // a whole response is in out: flush, then next request or close
    S_STREAM,     // sending a stream's events, paced, split or held
    S_ABORT,      // reset=: out is written; reset once the peer acked it (or gave up waiting)
    S_LINGER,     // response complete and write side shut: drain input until EOF, then close
} s_state_t;

typedef struct {
    int fd;                   // owned
    s_state_t state;          // see s_state_t
    bool dead;                // to be closed and freed at the end of this loop iteration
    sl_buf_t in;              // request bytes not yet consumed; cap head + body
    size_t scan_from;         // the end of the head is not before this offset in in
    mockllm_http_req_t req;   // the current request's head (S_READ_BODY and later)
    size_t body_len;          // the current request's body bytes (S_READ_BODY)
    sl_buf_t out;             // bytes waiting to be written; cap S_OUT_MAX
    bool close_after;         // close once out is flushed instead of reading the next request
    bool peer_eof;            // the client closed its side: no more requests will come
    int64_t progress_us;      // monotonic; last read or write that moved bytes
    int64_t linger_until_us;  // monotonic; S_LINGER gives up draining at this time
    mockllm_stream_t *stream; // owned; the response being streamed (S_STREAM)
    int64_t first_us;         // S_FIRST_BYTE: monotonic; the answer starts then; INT64_MAX: stalled
    int64_t waiting_since_us; // S_FIRST_BYTE: monotonic; when the wait began
    bool reset_first;         // S_FIRST_BYTE: reset the connection instead of answering
    const mockllm_format_t *pending_fmt; // borrowed (static); S_FIRST_BYTE: the stream to start
    mockllm_script_t pending;            // owned; S_FIRST_BYTE: that stream's script
    int64_t abort_until_us;              // S_ABORT: monotonic; reset even without the acks then
    int64_t abort_check_us;              // S_ABORT: monotonic; look for the acks again then
    uint64_t attempt; // the ledger's id of the format answer being sent; 0 once it is all
                      // written (or reset on purpose), or for other answers
} s_conn_t;

struct mockllm_server {
    int listen_fd;                 // owned
    uint16_t port;                 // bound port
    char address[80];              // "host:port"
    uint32_t tokens_per_s;         // default rate
    uint64_t seed;                 // mixed into split cut points
    mockllm_vocab_t vocab;         // the words of every script's text
    size_t max_conns;              // capacity of conns
    s_conn_t **conns;              // owned array of max_conns slots; each entry owned or NULL
    size_t n_conns;                // non-NULL entries, packed at the front
    struct pollfd *pfds;           // owned; max_conns + 2 entries, rebuilt every iteration
    int64_t accept_pause_until_us; // monotonic; the listener is not polled before this
    char *rbuf;                    // owned; S_READ_CHUNK bytes that recv() fills
    mockllm_ledger_t *ledger;      // owned; request counts and fail= counters
};

// The wall clock in us: the ledger's attempt times, which tests compare with their own clocks.
static int64_t
s_wall_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return sl_clock_wall_ms() * 1000;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// --- connections -----------------------------------------------------------------------------

static s_conn_t *
s_conn_new(int fd, int64_t now_us)
{
    s_conn_t *c = sl_xcalloc(1, sizeof *c);
    c->fd = fd;
    c->state = S_READ_HEAD;
    sl_buf_init(&c->in, MOCKLLM_HTTP_MAX_HEAD + MOCKLLM_HTTP_MAX_BODY);
    sl_buf_init(&c->out, S_OUT_MAX);
    c->progress_us = now_us;
    return c;
}

static void
s_conn_destroy(s_conn_t **self_p)
{
    if (!*self_p)
        return;
    s_conn_t *c = *self_p;
    if (c->fd >= 0)
        close(c->fd);
    sl_buf_free(&c->in);
    sl_buf_free(&c->out);
    mockllm_stream_destroy(&c->stream);
    mockllm_script_destroy(&c->pending);
    free(c);
    *self_p = NULL;
}

// Write what out holds. Returns 0 (out may still hold bytes: wait for POLLOUT) or SL_ECLOSED
// when the peer is gone. MSG_NOSIGNAL: a vanished client is an error code, never a SIGPIPE.
static int
s_flush(s_conn_t *c, int64_t now_us)
{
    while (c->out.len) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n > 0) {
            sl_buf_consume(&c->out, (size_t)n);
            c->progress_us = now_us;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return SL_ECLOSED;
    }
    return 0;
}

// Queue a whole response; the connection closes after it unless keep_alive.
static void
s_reply(s_conn_t *c,
        int status,
        const char *content_type,
        const char *body,
        size_t body_len,
        bool keep_alive,
        const char *extra)
{
    c->close_after = !keep_alive;
    if (mockllm_http_head(&c->out, status, content_type, (int64_t)body_len, keep_alive, extra)
        || sl_buf_append(&c->out, body, body_len)) {
        // Bigger than S_OUT_MAX: say so in a response that fits instead.
        sl_log_warn_rl("response of %zu bytes over the cap, sending 500", body_len);
        sl_buf_reset(&c->out);
        static const char msg[] = "{\"error\":{\"message\":\"response too large for the mock\","
                                  "\"type\":\"server_error\",\"param\":null,\"code\":null}}";
        (void)mockllm_http_head(&c->out, 500, "application/json", sizeof msg - 1, false, NULL);
        (void)sl_buf_append(&c->out, msg, sizeof msg - 1); // a few hundred bytes: fits
        c->close_after = true;
    }
    c->state = S_RESPOND;
}

// Queue an error in the shape of path's format.
static void
s_reply_error(s_conn_t *c,
              const char *path,
              int status,
              const char *code,
              const char *message,
              bool keep_alive,
              const char *extra)
{
    mockllm_endpoint_answer_t a;
    mockllm_endpoint_error(path, status, code, message, &a);
    s_reply(c, status, a.content_type, sl_buf_str(&a.body), a.body.len, keep_alive, extra);
    mockllm_endpoint_answer_free(&a);
}

// --- faults ----------------------------------------------------------------------------------

// Bytes written that the peer has not acknowledged yet; 0 where the system cannot tell.
static int
s_unacked(int fd)
{
#ifdef SIOCOUTQ
    int n = 0;
    if (ioctl(fd, SIOCOUTQ, &n) == 0)
        return n;
#else
    (void)fd;
#endif
    return 0;
}

// reset=: from now on a close resets the connection (SO_LINGER 0: RST, not FIN). What out
// holds is still written; S_ABORT then waits for the peer's acks, since a reset throws away
// whatever the kernel has not delivered yet.
static void
s_abort(s_conn_t *c, int64_t now_us)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
        sl_log_warn_rl("reset fd=%d: SO_LINGER: %s", c->fd, strerror(errno));
    sl_log_debug("reset fd=%d", c->fd);
    c->attempt = 0; // the answer ends here on purpose: the client did not leave early
    c->state = S_ABORT;
    c->abort_until_us = now_us + S_ABORT_WAIT_US;
    c->abort_check_us = now_us;
}

// --- streams ---------------------------------------------------------------------------------

// Move the stream forward as far as time, the hold and the socket allow.
// Returns 0 to keep going, 1 when the whole stream has been written, 2 at its reset= point (all
// before it written), SL_ECLOSED when the client is gone or the stream cannot go on.
static int
s_stream_pump(s_conn_t *c, int64_t now_us)
{
    for (;;) {
        // out is written before the stream is asked for more: with split=1 every piece then
        // leaves in a send() of its own.
        if (s_flush(c, now_us) != 0)
            return SL_ECLOSED;
        if (c->out.len)
            return 0; // the socket is full: POLLOUT brings us back
        int rc = mockllm_stream_next(c->stream, now_us, &c->out);
        switch (rc) {
        case MOCKLLM_STREAM_MORE:
            continue;
        case MOCKLLM_STREAM_WAIT:
            return 0;
        case MOCKLLM_STREAM_DONE:
            return 1;
        case MOCKLLM_STREAM_RESET:
            return 2;
        default:
            sl_log_warn_rl("stream fd=%d: %s, closing", c->fd, sl_strerror(rc));
            return SL_ECLOSED;
        }
    }
}

static void
s_start_stream(mockllm_server_t *self,
               s_conn_t *c,
               const mockllm_format_t *fmt,
               mockllm_script_t *script,
               int64_t now_us)
{
    const mockllm_directive_t *o = &script->opts;
    const char *content_type = fmt->content_type(script);
    mockllm_stream_cfg_t cfg = {
        .rate = o->rate == MOCKLLM_DIRECTIVE_RATE_UNSET ? (int64_t)self->tokens_per_s : o->rate,
        // The server seed moves the cut points only; the golden-ratio multiply keeps seeds 0
        // and 1 from giving neighbouring streams.
        .cut_seed = o->seed ^ (self->seed * 0x9e3779b97f4a7c15u),
        .chunked = c->req.version_minor == 1, // HTTP/1.0 knows no chunks
        .created_s = sl_clock_wall_ms() / 1000,
    };
    sl_log_debug("stream fd=%d format=%s tokens=%zu rate=%lld hold=%u split=%d crlf=%d fault=%s:%u",
                 c->fd, fmt->name, script->n_tokens, (long long)cfg.rate, o->hold, (int)o->split,
                 (int)o->crlf, o->fault ? mockllm_directive_fault_name(o->fault) : "none",
                 o->fault_units);
    mockllm_stream_destroy(&c->stream);
    c->stream = mockllm_stream_new(fmt, script, &cfg, now_us);
    if (!c->stream) {
        s_reply_error(c, c->req.path, 500, NULL, "response too large for the mock", false, NULL);
        return;
    }
    // A chunked stream ends with its last chunk and the connection stays open for the next
    // request, as the providers' HTTP/1.1 servers keep it (a client pools them); without
    // chunks (HTTP/1.0), or when the client asked to close, the stream ends by closing. The
    // head fits easily in an empty out.
    bool keep_alive = cfg.chunked && c->req.keep_alive;
    (void)mockllm_http_head(&c->out, 200, content_type,
                            cfg.chunked ? MOCKLLM_HTTP_CHUNKED : MOCKLLM_HTTP_UNTIL_CLOSE,
                            keep_alive, NULL);
    c->close_after = !keep_alive;
    c->state = S_STREAM;
}

// Keep the answer back until its first byte is due: first_byte_ms= from now, or (stall=)
// a release. A stream is started only then, so its pacing starts with its first byte.
static void
s_defer(s_conn_t *c, mockllm_endpoint_answer_t *a, int64_t now_us)
{
    if (a->stream) {
        c->pending_fmt = a->fmt;
        c->pending = a->script;
        memset(&a->script, 0, sizeof a->script);
    } else {
        s_reply(c, a->status, a->content_type, sl_buf_str(&a->body), a->body.len, c->req.keep_alive,
                a->extra[0] ? a->extra : NULL);
    }
    c->state = S_FIRST_BYTE;
    c->first_us = a->stall ? INT64_MAX : now_us + a->first_byte_ms * 1000;
    c->waiting_since_us = now_us;
    c->reset_first = a->reset;
    sl_log_debug("defer fd=%d first_byte_ms=%lld stall=%d reset=%d", c->fd,
                 (long long)a->first_byte_ms, (int)a->stall, (int)a->reset);
}

// The answer's first byte is due: reset, start the stream, or send what out holds.
static void
s_first_byte(mockllm_server_t *self, s_conn_t *c, int64_t now_us)
{
    if (c->reset_first) {
        sl_buf_reset(&c->out); // nothing of the answer leaves
        s_abort(c, now_us);
    } else if (c->pending_fmt) {
        const mockllm_format_t *fmt = c->pending_fmt;
        c->pending_fmt = NULL;
        s_start_stream(self, c, fmt, &c->pending, now_us);
    } else {
        c->state = S_RESPOND;
    }
}

// Release every held stream and every stalled answer. Returns how many were released.
static size_t
s_release_all(mockllm_server_t *self, int64_t now_us)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_conns; i++) {
        s_conn_t *c = self->conns[i];
        if (c->dead)
            continue;
        if (c->state == S_STREAM && mockllm_stream_release(c->stream, now_us)) {
            n++;
        } else if (c->state == S_FIRST_BYTE && c->first_us == INT64_MAX) {
            c->first_us = now_us; // the run loop's timer pass starts it
            n++;
        }
    }
    return n;
}

// --- requests --------------------------------------------------------------------------------

static void
s_method_not_allowed(s_conn_t *c, const char *allow)
{
    char msg[MOCKLLM_HTTP_MAX_PATH + 128];
    char extra[64];
    snprintf(msg, sizeof msg, "Method %s is not allowed for %s (use %s)", c->req.method,
             c->req.path, allow);
    snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
    s_reply_error(c, c->req.path, 405, "method_not_allowed", msg, c->req.keep_alive, extra);
}

// Answer the complete request at the front of c->in, then drop its bytes from c->in.
static void
s_dispatch(mockllm_server_t *self, s_conn_t *c, int64_t now_us)
{
    const char *body = c->in.data + c->req.head_len;
    const char *path = c->req.path;
    bool post = strcmp(c->req.method, "POST") == 0;
    bool get = strcmp(c->req.method, "GET") == 0;
    bool ka = c->req.keep_alive;
    sl_log_debug("request fd=%d %s %s body=%zu", c->fd, c->req.method, path, c->body_len);
    mockllm_ledger_count(self->ledger, path);
    c->attempt = 0;
    if (strcmp(path, "/healthz") == 0) {
        if (get)
            s_reply(c, 200, "text/plain", "ok", 2, ka, NULL);
        else
            s_method_not_allowed(c, "GET");
    } else if (strcmp(path, "/mock/release") == 0) {
        if (post) {
            char json[64];
            int n = snprintf(json, sizeof json, "{\"released\":%zu}", s_release_all(self, now_us));
            s_reply(c, 200, "application/json", json, (size_t)n, ka, NULL);
        } else {
            s_method_not_allowed(c, "POST");
        }
    } else {
        mockllm_endpoint_answer_t a;
        mockllm_endpoint_serve(self->ledger, self->vocab, c->req.method, path, c->req.query, body,
                               c->body_len, s_wall_us(), &a);
        c->attempt = a.attempt;
        if (a.first_byte_ms || a.stall || a.reset)
            s_defer(c, &a, now_us);
        else if (a.stream)
            s_start_stream(self, c, a.fmt, &a.script, now_us);
        else
            s_reply(c, a.status, a.content_type, sl_buf_str(&a.body), a.body.len, ka,
                    a.extra[0] ? a.extra : NULL);
        mockllm_endpoint_answer_free(&a);
    }
    sl_buf_consume(&c->in, c->req.head_len + c->body_len);
    c->scan_from = 0;
}

// Reject the request being read; the connection closes after the answer, since the rest of
// what the client sends can no longer be framed.
static void
s_reject(mockllm_server_t *self,
         s_conn_t *c,
         const char *path,
         int status,
         const char *code,
         const char *message)
{
    sl_log_warn_rl("rejected fd=%d status=%d: %s", c->fd, status, message);
    mockllm_ledger_count(self->ledger, path);
    s_reply_error(c, path, status, code, message, false, NULL);
}

// True when the head in c->in is complete: a line end followed by an empty line.
static bool
s_head_complete(s_conn_t *c)
{
    const char *d = c->in.data;
    size_t len = c->in.len;
    for (size_t i = c->scan_from; i < len; i++) {
        if (d[i] != '\n')
            continue;
        if (i + 1 < len && d[i + 1] == '\n')
            return true;
        if (i + 2 < len && d[i + 1] == '\r' && d[i + 2] == '\n')
            return true;
        if (i + 2 >= len) {
            c->scan_from = i; // the empty line may still be arriving: look here again
            return false;
        }
    }
    c->scan_from = len;
    return false;
}

// Parse what c->in holds. Returns true when the state changed (the caller goes on).
static bool
s_take_request(mockllm_server_t *self, s_conn_t *c, int64_t now_us)
{
    if (c->state == S_READ_HEAD) {
        // RFC 9112 section 2.2: empty lines before a request line are ignored. Dropping them
        // here keeps a stream of blank lines from re-triggering the head parse.
        size_t blank = 0;
        while (blank < c->in.len && (c->in.data[blank] == '\r' || c->in.data[blank] == '\n'))
            blank++;
        if (blank) {
            sl_buf_consume(&c->in, blank);
            c->scan_from = 0;
        }
        if (!s_head_complete(c)) {
            if (c->in.len <= MOCKLLM_HTTP_MAX_HEAD)
                return false;
            s_reject(self, c, "/", 431, "headers_too_large", "request head is over 65536 bytes");
            return true;
        }
        int rc = mockllm_http_parse(c->in.data, c->in.len, MOCKLLM_HTTP_MAX_HEAD, &c->req);
        if (rc == SL_ETOOBIG) {
            s_reject(self, c, "/", 431, "headers_too_large", "request head is over 65536 bytes");
            return true;
        }
        if (rc != 0) {
            s_reject(self, c, "/", 400, "bad_request", "malformed HTTP request head");
            return true;
        }
        if (c->req.has_transfer_encoding) {
            s_reject(self, c, c->req.path, 411, "length_required",
                     "Transfer-Encoding request bodies are not supported: send Content-Length");
            return true;
        }
        if (c->req.content_length < 0 && strcmp(c->req.method, "POST") == 0) {
            s_reject(self, c, c->req.path, 411, "length_required",
                     "POST needs a Content-Length header");
            return true;
        }
        if (c->req.content_length > (int64_t)MOCKLLM_HTTP_MAX_BODY) {
            s_reject(self, c, c->req.path, 413, "payload_too_large",
                     "request body is over 8388608 bytes");
            return true;
        }
        c->body_len = c->req.content_length > 0 ? (size_t)c->req.content_length : 0;
        c->state = S_READ_BODY;
        // curl waits (up to a second) for this before sending a body it announced with
        // Expect: 100-continue.
        if (c->req.expect_continue && c->req.version_minor == 1
            && c->in.len < c->req.head_len + c->body_len)
            (void)sl_buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n"); // out is empty
    }
    if (c->in.len < c->req.head_len + c->body_len)
        return false;
    s_dispatch(self, c, now_us);
    return true;
}

// Stop writing, and read until the client closes (or S_LINGER_US passes) before closing:
// closing with unread input makes the kernel send RST, which can destroy the response in
// flight to the client.
static void
s_linger(s_conn_t *c, int64_t now_us)
{
    if (c->peer_eof || shutdown(c->fd, SHUT_WR) != 0) {
        c->dead = true; // the client has closed or is gone: nothing left to protect
        return;
    }
    c->state = S_LINGER;
    c->linger_until_us = now_us + S_LINGER_US;
}

// Move c forward after I/O or a timer, until it must wait.
static void
s_advance(mockllm_server_t *self, s_conn_t *c, int64_t now_us)
{
    while (!c->dead) {
        switch (c->state) {
        case S_READ_HEAD:
        case S_READ_BODY:
            if (s_flush(c, now_us) != 0) {
                c->dead = true;
                return;
            }
            if (!s_take_request(self, c, now_us))
                return;
            break;
        case S_RESPOND:
            if (s_flush(c, now_us) != 0) {
                c->dead = true;
                return;
            }
            if (c->out.len)
                return;
            c->attempt = 0; // all written
            if (c->close_after) {
                s_linger(c, now_us);
                return;
            }
            c->state = S_READ_HEAD; // keep-alive: a pipelined request may already be in c->in
            break;
        case S_FIRST_BYTE:
            if (now_us < c->first_us)
                return;
            s_first_byte(self, c, now_us);
            break;
        case S_STREAM: {
            int rc = s_stream_pump(c, now_us);
            if (rc < 0) {
                c->dead = true;
            } else if (rc == 1) {
                c->attempt = 0; // all written
                if (!c->close_after) {
                    // Kept alive: the next request may already be in c->in.
                    mockllm_stream_destroy(&c->stream);
                    c->state = S_READ_HEAD;
                    break;
                }
                s_linger(c, now_us);
            } else if (rc == 2)
                s_abort(c, now_us);
            if (c->state != S_ABORT)
                return;
            break;
        }
        case S_ABORT:
            if (s_flush(c, now_us) != 0) {
                c->dead = true;
                return;
            }
            if (c->out.len)
                return;
            if (s_unacked(c->fd) > 0 && now_us < c->abort_until_us) {
                c->abort_check_us = now_us + S_ABORT_CHECK_US;
                return;
            }
            c->dead = true; // SO_LINGER 0: the close in s_conn_destroy resets
            return;
        case S_LINGER:
            return;
        }
    }
}

// Read what the socket has. Returns 0 (setting c->peer_eof at EOF), or SL_ECLOSED on an error
// such as a reset. While a request is being read, or an answer waits for its first byte, the
// bytes go to c->in (a pipelined request keeps); at other times they are read and dropped, so
// the socket's receive queue stays empty (see s_linger) and a client that leaves mid-stream is
// noticed.
static int
s_read(mockllm_server_t *self, s_conn_t *c, int64_t now_us)
{
    for (;;) {
        bool keep = c->state == S_READ_HEAD || c->state == S_READ_BODY || c->state == S_FIRST_BYTE;
        size_t room = keep ? c->in.max_len - c->in.len : S_READ_CHUNK;
        if (room == 0)
            return 0; // a whole request fills in: it is answered before more is read
        if (room > S_READ_CHUNK)
            room = S_READ_CHUNK;
        ssize_t n = recv(c->fd, self->rbuf, room, 0);
        if (n > 0) {
            c->progress_us = now_us;
            // room <= the free space in c->in, so this append cannot fail.
            if (keep)
                (void)sl_buf_append(&c->in, self->rbuf, (size_t)n);
            if ((size_t)n < room)
                return 0;
            continue;
        }
        if (n == 0) {
            c->peer_eof = true; // the caller decides: answer what came, or close
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return SL_ECLOSED; // a reset or another error
    }
}

// When c must be closed if nothing happens first (monotonic us); INT64_MAX for never.
static int64_t
s_deadline(const s_conn_t *c)
{
    switch (c->state) {
    case S_READ_HEAD:
    case S_READ_BODY:
        return c->progress_us + S_READ_IDLE_US;
    case S_FIRST_BYTE: // first_byte_ms= is bounded; a stall is a hold
        return c->first_us == INT64_MAX ? c->waiting_since_us + S_HOLD_MAX_US : INT64_MAX;
    case S_ABORT:
        return c->out.len ? c->progress_us + S_WRITE_STALL_US : c->abort_until_us;
    case S_RESPOND:
        return c->progress_us + S_WRITE_STALL_US;
    case S_STREAM:
        if (c->out.len)
            return c->progress_us + S_WRITE_STALL_US;
        return mockllm_stream_is_held(c->stream)
                   ? mockllm_stream_held_since_us(c->stream) + S_HOLD_MAX_US
                   : INT64_MAX;
    case S_LINGER:
        return c->linger_until_us;
    }
    return INT64_MAX;
}

// When a timer (a stream's pacing or split gap, first_byte_ms=, reset='s wait for acks) wants
// c advanced; INT64_MAX for no timer.
static int64_t
s_due(const s_conn_t *c)
{
    if (c->state == S_FIRST_BYTE)
        return c->first_us; // INT64_MAX while stalled
    if (c->out.len)
        return INT64_MAX;
    if (c->state == S_ABORT)
        return c->abort_check_us;
    if (c->state != S_STREAM)
        return INT64_MAX;
    return mockllm_stream_due_us(c->stream); // INT64_MAX while held
}

static short
s_poll_events(const s_conn_t *c)
{
    // S_FIRST_BYTE holds its answer in out: nothing is written before its time.
    short ev = c->out.len && c->state != S_FIRST_BYTE ? POLLOUT : 0;
    // S_RESPOND does not read: a pipelined request waits in the socket until its turn. After
    // EOF the socket stays readable forever: polling it then would spin; so would a full c->in
    // that S_FIRST_BYTE cannot empty.
    bool full = c->state == S_FIRST_BYTE && c->in.len == c->in.max_len;
    if (c->state != S_RESPOND && !c->peer_eof && !full)
        ev |= POLLIN;
    return ev;
}

static void
s_accept(mockllm_server_t *self, int64_t now_us)
{
    while (self->n_conns < self->max_conns) {
        int fd = accept(self->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                sl_log_warn_rl("accept: %s; pausing the listener", strerror(errno));
                self->accept_pause_until_us = now_us + S_ACCEPT_PAUSE_US;
            }
            return;
        }
        int one = 1;
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0
            || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            sl_log_warn_rl("accept: cannot make socket non-blocking: %s", strerror(errno));
            close(fd);
            continue;
        }
        // Split writes must leave as separate segments, and paced tokens must not wait for
        // an ACK (Nagle): always on.
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            sl_log_warn_rl("accept: TCP_NODELAY: %s", strerror(errno));
        self->conns[self->n_conns++] = s_conn_new(fd, now_us);
    }
}

// Free the connections marked dead and pack the rest at the front. One that dies with its answer
// not all written was left by its client (a reset, an EOF, a failed write): the ledger notes it.
static void
s_reap(mockllm_server_t *self)
{
    size_t j = 0;
    int64_t now_wall_us = 0;
    for (size_t i = 0; i < self->n_conns; i++) {
        if (self->conns[i]->dead) {
            if (self->conns[i]->attempt) {
                now_wall_us = now_wall_us ? now_wall_us : s_wall_us();
                mockllm_ledger_closed_early(self->ledger, self->conns[i]->attempt, now_wall_us);
            }
            s_conn_destroy(&self->conns[i]);
            continue;
        }
        self->conns[j++] = self->conns[i];
    }
    for (size_t i = j; i < self->n_conns; i++)
        self->conns[i] = NULL;
    self->n_conns = j;
}

// --- public ----------------------------------------------------------------------------------

mockllm_server_t *
mockllm_server_new(const mockllm_server_cfg_t *cfg)
{
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    mockllm_server_t *self = sl_xcalloc(1, sizeof *self);
    self->listen_fd = -1;
    self->tokens_per_s = cfg->tokens_per_s;
    self->seed = cfg->seed;
    self->vocab = cfg->vocab;
    self->max_conns = cfg->max_conns ? cfg->max_conns : MOCKLLM_SERVER_MAX_CONNS;
    self->conns = sl_xcalloc(self->max_conns, sizeof *self->conns);
    self->pfds = sl_xcalloc(self->max_conns + 2, sizeof *self->pfds);
    self->rbuf = sl_xcalloc(1, S_READ_CHUNK);
    self->ledger = mockllm_ledger_new(0);

    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port_str[8];
    snprintf(port_str, sizeof port_str, "%u", (unsigned)cfg->port);
    int gai = getaddrinfo(host, port_str, &hints, &res);
    if (gai != 0) {
        sl_log_error("listen %s:%u: %s", host, (unsigned)cfg->port, gai_strerror(gai));
        goto fail;
    }
    int err = 0;
    for (struct addrinfo *ai = res; ai && self->listen_fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        int one = 1;
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
            || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0
            || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            err = errno;
            close(fd);
            continue;
        }
        self->listen_fd = fd;
    }
    freeaddrinfo(res);
    if (self->listen_fd < 0) {
        sl_log_error("listen %s:%u: %s", host, (unsigned)cfg->port, strerror(err));
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    if (getsockname(self->listen_fd, (struct sockaddr *)&ss, &sslen) != 0) {
        sl_log_error("getsockname: %s", strerror(errno));
        goto fail;
    }
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        self->port = ntohs(a6->sin6_port);
        (void)inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof ip); // buffer is big enough
        snprintf(self->address, sizeof self->address, "[%s]:%u", ip, (unsigned)self->port);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        self->port = ntohs(a4->sin_port);
        (void)inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof ip); // buffer is big enough
        snprintf(self->address, sizeof self->address, "%s:%u", ip, (unsigned)self->port);
    }
    sl_log_info("listening addr=%s max_conns=%zu tokens_per_s=%u seed=%llu vocabulary=%s",
                self->address, self->max_conns, (unsigned)self->tokens_per_s,
                (unsigned long long)self->seed, mockllm_vocab_name(self->vocab));
    return self;
fail:
    mockllm_server_destroy(&self);
    return NULL;
}

void
mockllm_server_destroy(mockllm_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mockllm_server_t *self = *self_p;
    for (size_t i = 0; i < self->n_conns; i++)
        s_conn_destroy(&self->conns[i]);
    if (self->listen_fd >= 0)
        close(self->listen_fd);
    mockllm_ledger_destroy(&self->ledger);
    free(self->rbuf);
    free(self->pfds);
    free(self->conns);
    free(self);
    *self_p = NULL;
}

uint16_t
mockllm_server_port(const mockllm_server_t *self)
{
    return self->port;
}

const char *
mockllm_server_address(const mockllm_server_t *self)
{
    return self->address;
}

int
mockllm_server_run(mockllm_server_t *self, int stop_fd)
{
    for (;;) {
        int64_t now_us = sl_clock_mono_us();
        nfds_t n = 0;
        int stop_i = -1, listen_i = -1;
        if (stop_fd >= 0) {
            stop_i = (int)n;
            self->pfds[n++] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
        }
        if (self->n_conns < self->max_conns && now_us >= self->accept_pause_until_us) {
            listen_i = (int)n;
            self->pfds[n++] = (struct pollfd){.fd = self->listen_fd, .events = POLLIN};
        }
        nfds_t base = n;
        size_t n_polled = self->n_conns; // s_accept appends after these; they wait a turn
        int64_t wake_us =
            self->accept_pause_until_us > now_us ? self->accept_pause_until_us : INT64_MAX;
        for (size_t i = 0; i < n_polled; i++) {
            s_conn_t *c = self->conns[i];
            self->pfds[n++] = (struct pollfd){.fd = c->fd, .events = s_poll_events(c)};
            int64_t t = s_deadline(c);
            if (s_due(c) < t)
                t = s_due(c);
            if (t < wake_us)
                wake_us = t;
        }
        int timeout_ms = -1;
        if (wake_us != INT64_MAX) {
            int64_t ms = wake_us <= now_us ? 0 : (wake_us - now_us + 999) / 1000;
            timeout_ms = ms > 60000 ? 60000 : (int)ms;
        }
        int rc = poll(self->pfds, n, timeout_ms);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            sl_log_error("poll: %s", strerror(errno));
            return SL_ESYS;
        }
        if (stop_i >= 0 && self->pfds[stop_i].revents)
            return 0;
        now_us = sl_clock_mono_us();
        for (size_t i = 0; i < n_polled; i++) {
            s_conn_t *c = self->conns[i];
            short re = self->pfds[base + i].revents;
            if (c->dead || !re)
                continue;
            if (re & POLLNVAL) {
                c->dead = true;
                continue;
            }
            if (c->state != S_RESPOND && (re & (POLLIN | POLLHUP | POLLERR))
                && s_read(self, c, now_us) != 0) {
                c->dead = true;
                continue;
            }
            s_advance(self, c, now_us);
            if (c->peer_eof && !c->dead) {
                // A client may close its side right after a request (a half-close): it still
                // gets its answer. A request cut short, or a stream whose reader closed, is over.
                if (c->state == S_RESPOND)
                    c->close_after = true;
                else
                    c->dead = true;
            }
        }
        for (size_t i = 0; i < n_polled; i++) {
            s_conn_t *c = self->conns[i];
            if (c->dead)
                continue;
            if (now_us >= s_deadline(c)) {
                if (c->state != S_LINGER && c->state != S_ABORT)
                    sl_log_warn_rl("closing fd=%d: timed out in state %d", c->fd, (int)c->state);
                c->attempt = 0; // the mock gave up, not the client
                c->dead = true;
            } else if (now_us >= s_due(c)) {
                s_advance(self, c, now_us);
            }
        }
        if (listen_i >= 0 && self->pfds[listen_i].revents)
            s_accept(self, now_us);
        s_reap(self);
    }
}
