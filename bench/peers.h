// peers.h - the peer gateways sluice-bench runs beside sluice with the same requests: HAProxy,
// a plain HTTP forwarder (the floor of what carrying a stream costs), and Portkey's gateway, an
// LLM gateway on Node.js (what a peer costs).
//
// Each peer is found first (bench_peer_new: is it installed, which version), then started on a
// free port of 127.0.0.1 with the mock as its upstream and a config written to the run's
// temporary directory (bench_peer_start), read from /proc like sluice's processes through its
// pid, and stopped at the end. A peer's process dies with the benchmark (PR_SET_PDEATHSIG), so a
// benchmark that exits early leaves nothing behind. Not thread-safe; one object per peer.
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum {
    BENCH_PEER_HAPROXY, // haproxy -db, nbthread 1, mode http, option http-no-delay
    BENCH_PEER_PORTKEY, // node start-server.js of @portkey-ai/gateway, provider openai
} bench_peer_kind_t;

#define BENCH_PEER_KINDS 2

// Where to look for the peers' programs. Every field may be NULL for the default.
typedef struct {
    const char *haproxy_bin; // haproxy; default: PATH, then /usr/sbin and /usr/local/sbin
    const char *node_bin;    // node; default: PATH
    const char *portkey_dir; // the directory whose node_modules holds @portkey-ai/gateway
                             // (scripts/bench-deps installs it in build/bench-peers)
} bench_peer_cfg_t;

typedef struct bench_peer bench_peer_t; // opaque

// The target name of a kind: "haproxy" or "portkey". Static, never NULL.
const char *bench_peer_kind_name(bench_peer_kind_t kind);
// The kind named name into *kind. Returns 0, or SL_ENOTFOUND for another name.
int bench_peer_kind_parse(const char *name, bench_peer_kind_t *kind);

// A peer of this kind, found but not started; NULL when it is not installed, with what is
// missing and how to install it in why (why_size bytes). Caller owns the result.
bench_peer_t *
bench_peer_new(bench_peer_kind_t kind, const bench_peer_cfg_t *cfg, char *why, size_t why_size);
// Stop the peer if it runs (bench_peer_stop), free self and set *self_p to NULL. Safe on NULL.
void bench_peer_destroy(bench_peer_t **self_p);
// Write the peer's config into dir (the run's temporary directory), start it on a free port of
// 127.0.0.1 with the mock on 127.0.0.1:mock_port as its upstream, and wait until it answers HTTP.
// Returns 0; SL_EIO when it did not start or answer in time, with the reason and the end of its
// log in why (the process is then stopped).
int
bench_peer_start(bench_peer_t *self, const char *dir, int mock_port, char *why, size_t why_size);
// SIGTERM the peer and reap it; SIGKILL after 5 s. True when it exited by itself in time (or
// never ran). Idempotent.
bool bench_peer_stop(bench_peer_t *self);
// True while the started process runs.
bool bench_peer_is_alive(bench_peer_t *self);

// The target name ("haproxy", "portkey"). Static.
const char *bench_peer_name(const bench_peer_t *self);
// What was found, e.g. "HAProxy 2.6.12-1+deb12u4 (/usr/sbin/haproxy)". Borrowed; valid until
// bench_peer_destroy.
const char *bench_peer_version(const bench_peer_t *self);
// How the peer is configured, one line for the report. Borrowed; valid until bench_peer_destroy.
const char *bench_peer_setup(const bench_peer_t *self);
// The peer's process (the one whose CPU and memory is its cost), or -1 when it is not running.
pid_t bench_peer_pid(const bench_peer_t *self);
// Its chat completions URL once started. Borrowed; valid until bench_peer_destroy.
const char *bench_peer_url(const bench_peer_t *self);
// The request headers it needs ("Name: value"), NULL-terminated. Borrowed; valid until
// bench_peer_destroy.
const char *const *bench_peer_headers(const bench_peer_t *self);
// The file that holds its stdout and stderr once started. Borrowed.
const char *bench_peer_log(const bench_peer_t *self);

#endif
