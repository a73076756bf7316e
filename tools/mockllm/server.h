// server.h - sluice-mockllm's HTTP server: one poll() loop, non-blocking sockets, timers.
//
// Serves every format in format.c's table, POST /mock/script, GET /mock/requests and POST
// /mock/reset (endpoint.h decides what each request gets, with the server's ledger.h), plus the
// endpoints that need the connections:
//   GET  /healthz       200 "ok"
//   POST /mock/release  releases every stream waiting at its hold= or stall= point and every
//                       answer stalled before its first byte (stall=0); 200 {"released":n}
// Every complete request is counted in the ledger (the mock's own /healthz and /mock/* are not),
// rejected ones included, before it is answered; every format request is logged there as an
// attempt, with the wall-clock time it came, and a client that closes its connection (or resets
// it) before its answer was all written is noted on its attempt, with the time it was seen.
// A stream is paced by its rate (token k leaves at start + k/rate, by timer, never by sleeping),
// may be held, and with split=1 leaves in several writes a short timer gap apart, while other
// connections keep being served. Streams end with Connection: close (the server closes after
// the last chunk, as OpenAI does); every other response keeps the connection alive when the
// client allows it. Faults: first_byte_ms= keeps any answer (error, one-shot, stream) back that
// long, a stream starting its pacing only then; stall=0 keeps it back until a release; reset=0
// resets the connection (SO_LINGER 0: RST) at the moment the first byte would leave, sending
// nothing; a stream's reset=K point (stream.h) is reached once everything before it is written,
// and the reset waits up to 2 s for the peer to acknowledge those bytes, since a reset discards
// what the kernel has not delivered. A client that closes while its answer is kept back is
// gone. Limits: request head 64 KiB (431), body 8 MiB (413), Content-Length
// required on POST (411; chunked request bodies get 411 too), max_conns connections (the
// listener is not polled while full), 30 s idle while reading a request, 30 s without write
// progress, 600 s held or stalled; past any of these the connection is closed. A client that
// goes away mid-stream is closed and freed. Not thread-safe: one server per thread.
#ifndef MOCKLLM_SERVER_H
#define MOCKLLM_SERVER_H
#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

#define MOCKLLM_SERVER_MAX_CONNS 16384 // default connection limit (the many-streams benchmark)

typedef struct mockllm_server mockllm_server_t; // opaque

typedef struct {
    const char *host;      // borrowed; address to bind, e.g. "127.0.0.1" (NULL: 127.0.0.1)
    uint16_t port;         // 0 picks a free port
    uint32_t tokens_per_s; // rate for requests whose directive sets none; 0 = unpaced
    uint64_t seed;         // seeds split cut points (never the text)
    mockllm_vocab_t vocab; // the words every script's text is drawn from (zero: stress)
    size_t max_conns;      // 0: MOCKLLM_SERVER_MAX_CONNS
} mockllm_server_cfg_t;

// Bind and listen. NULL on failure (logged: the address, the reason). Caller owns the result.
mockllm_server_t *mockllm_server_new(const mockllm_server_cfg_t *cfg);
// Free self (closing every connection and the listener) and set *self_p to NULL.
// Safe on NULL and on *self_p == NULL.
void mockllm_server_destroy(mockllm_server_t **self_p);
// The port the server listens on (the chosen one when cfg->port was 0).
uint16_t mockllm_server_port(const mockllm_server_t *self);
// The bound address as "host:port" ("[v6]:port" for IPv6). Borrowed from self.
const char *mockllm_server_address(const mockllm_server_t *self);
// Serve until stop_fd (e.g. a self-pipe a signal handler writes to) becomes readable; -1 means
// forever. Returns 0 when stopped, SL_ESYS when poll() fails (logged).
int mockllm_server_run(mockllm_server_t *self, int stop_fd);

#endif
