// ledger.h - what the mock remembers between requests: how many requests each path and each
// seed got, the fail= counters, and a log of the last format requests (the attempts).
//
// Every answer is a pure function of its request except under fail=K, where the first K
// requests with the same key get the directive's faults and the next ones do not: that is how a
// test sees a client retry and succeed. The counts let a test assert how many upstream attempts
// a client made (GET /mock/requests). A fail= key is FNV-1a 64 over the request's path (without
// query), its script seed and the hash of its directive's text, so a retry of the same body
// finds its counter and a fallback to another format's path starts a new one.
//
// The attempt log says, per seed, when each request came (wall clock, so a test can compare it
// with its own clock), for which model, whether the directive's faults hit it, and whether the
// client closed the connection before the whole answer was sent (and when): how a test sees
// that a retry waited for Retry-After, which fallback target was tried, and that a client's
// cancel reached the upstream.
//
// Bounded: at most max_keys attempts logged (the oldest overwritten), max_keys fail counters and as
// many seed counters, each table evicting the counter counted least recently when a new one needs
// its slot; at most MOCKLLM_LEDGER_MAX_PATHS paths, later paths counted together under
// MOCKLLM_LEDGER_OTHER. The tables are scanned linearly: 4096 entries take a few microseconds, far
// below the cost of a request. Not thread-safe: the server's one thread owns it.
#ifndef MOCKLLM_LEDGER_H
#define MOCKLLM_LEDGER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directive.h"
#include "sl/buf.h"

#define MOCKLLM_LEDGER_MAX_KEYS  4096      // default max_keys
#define MOCKLLM_LEDGER_MAX_PATHS 64        // paths counted one by one
#define MOCKLLM_LEDGER_OTHER     "(other)" // the by_path entry of every path past the limit
#define MOCKLLM_LEDGER_MAX_MODEL 128       // bytes of an attempt's model kept (cut beyond)

typedef struct mockllm_ledger mockllm_ledger_t; // opaque

// New, empty ledger holding at most max_keys counters per table (0: MOCKLLM_LEDGER_MAX_KEYS).
// Caller owns the result.
mockllm_ledger_t *mockllm_ledger_new(size_t max_keys);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void mockllm_ledger_destroy(mockllm_ledger_t **self_p);

// True for the mock's own endpoints (/healthz and every /mock/ path), which are never counted.
bool mockllm_ledger_is_control(const char *path);
// Count one request to path (without query). Control endpoints are not counted.
void mockllm_ledger_count(mockllm_ledger_t *self, const char *path);
// The fail= key of a request to path (without query) whose directive, seed filled in, is opts.
uint64_t mockllm_ledger_key(const char *path, const mockllm_directive_t *opts);
// Note a planned request to path: count its seed and, with fail=K, its key. Returns true when
// the directive's faults apply to it: always without fail=, else while its key has been counted
// at most K times (the first K requests).
bool
mockllm_ledger_admit(mockllm_ledger_t *self, const char *path, const mockllm_directive_t *opts);

// Log an attempt: a planned request with script seed seed for model (NUL-terminated; NULL:
// none), which the directive's faults hit or not, answered at at_wall_us. Returns its id, > 0,
// for mockllm_ledger_closed_early; ids grow across resets, so an old one never finds a new
// attempt.
uint64_t mockllm_ledger_log(
    mockllm_ledger_t *self, uint64_t seed, const char *model, bool faults, int64_t at_wall_us);
// The client closed the connection of attempt id at at_wall_us before its whole answer was
// sent. Nothing when the attempt is no longer in the log.
void mockllm_ledger_closed_early(mockllm_ledger_t *self, uint64_t id, int64_t at_wall_us);

// Requests counted since the start or the last reset.
uint64_t mockllm_ledger_requests(const mockllm_ledger_t *self);
// Requests counted to path; paths past the limit are found under MOCKLLM_LEDGER_OTHER.
uint64_t mockllm_ledger_path_requests(const mockllm_ledger_t *self, const char *path);
// Planned requests whose script seed is seed (0 once its counter was evicted).
uint64_t mockllm_ledger_seed_requests(const mockllm_ledger_t *self, uint64_t seed);
// Requests counted under a fail= key (0 once its counter was evicted).
uint64_t mockllm_ledger_fail_count(const mockllm_ledger_t *self, uint64_t key);
// Fail counters held now (at most max_keys).
size_t mockllm_ledger_fail_keys(const mockllm_ledger_t *self);
// Forget every count, counter and logged attempt. Returns how many fail counters were held.
size_t mockllm_ledger_reset(mockllm_ledger_t *self);
// Append {"requests":N,"by_path":{"<path>":n,...}}, paths in the order first seen. Returns 0 or
// SL_ETOOBIG (out unchanged).
int mockllm_ledger_json(const mockllm_ledger_t *self, sl_buf_t *out);
// Append {"requests":n,"attempts":[{"model":M,"faults":F,"at_us":T,"closed_early":C,
// "closed_at_us":T2|null},...]} for seed: n as mockllm_ledger_seed_requests counts, then the
// logged attempts with that seed, oldest first (M null for none; times wall-clock us). Returns 0
// or SL_ETOOBIG (out unchanged).
int mockllm_ledger_seed_json(const mockllm_ledger_t *self, uint64_t seed, sl_buf_t *out);

#endif
