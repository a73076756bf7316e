// persist_check.h - sluice-bench-persist's read-back: is what persist acknowledged exactly what
// was sent?
//
// Two independent readers. persist_check_query asks the running persist for every stream over
// its `query` socket, as an ingress does (QUERY -> RECORD), and compares the record (status,
// state, count, text byte for byte, finish reason, usage, attempts, model). persist_check_file
// opens the SQLite file read-only, after persist has stopped, and compares every row: each
// stream's row, and every batches row's index range and its stored deltas
// (decoded with sl_wire_decode_deltas, kind and text of each), with nothing missing and nothing
// extra. Mismatches are counted; the first few are printed to stderr. Not thread-safe.
#ifndef BENCH_PERSIST_CHECK_H
#define BENCH_PERSIST_CHECK_H
#include <stdint.h>

#include <czmq.h>

#include "persist_load.h"

#define PERSIST_CHECK_PRINTED 5 // mismatches printed in full per check; the rest only counted

typedef struct {
    uint64_t streams;    // streams compared
    uint64_t rows;       // batches rows compared (file check only)
    uint64_t mismatches; // anything that differs, is missing or is extra
    int64_t wall_us;     // how long the check took
} persist_check_t;

// Query every stream of load on query (a DEALER connected to persist's query endpoint), with
// at most window QUERYs outstanding, and compare the RECORDs. A stream whose RECORD does not come
// within timeout_ms of the last answer counts as a mismatch. Fills *out; returns 0 when all
// matched, else SL_EPROTO.
int persist_check_query(zsock_t *query,
                        const persist_load_t *load,
                        uint32_t window,
                        int64_t timeout_ms,
                        persist_check_t *out);

// Open the SQLite file at path read-only and compare all of it with load. Fills *out; returns
// 0 when all matched, SL_EPROTO on a mismatch, SL_EIO when the file cannot be read (printed).
int persist_check_file(const char *path, const persist_load_t *load, persist_check_t *out);

#endif
