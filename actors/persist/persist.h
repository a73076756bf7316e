// persist.h - the persistence actor: makes the builder's batches durable and serves reads.
//
// Two ROUTER sockets on one zloop. On `store` (cfg->ep_store) the builder's DEALER sends
// BATCH; when the socket is readable, up to PERSIST_GROUP_MAX waiting batches are drained
// without blocking, written in one SQLite transaction (store.h has the rules), and each is
// answered with ACK {seq, req_id, first_index, status}: 200 means durable (stored, or already
// stored); 409 means refused because indices before it are missing (a gap): nothing of it was
// stored, and the builder keeps it and sends it again, in order. On a write error nothing is
// acked and the builder resends. On `query` (cfg->ep_query) the ingress sends QUERY and gets
// RECORD {status 200, 404 unknown, 413 text too big, 500 store error}; READ gets a RECORD with a
// page of deltas (page.h), LIST one with a key's streams. With `retention` set, finished
// streams past its age or its size go in small steps between writes (persist_store_expire).
// At start, streams the last `sluice up` left streaming become errors (persist_store_recover).
// A BEAT {name} on either
// socket is answered at once with BEAT {"persist-<pid>"}, so a peer learns persist (re)started
// and resends what is unacknowledged. Every cfg->heartbeat_ms the actor sends BEAT to the
// supervisor on the events socket it announced UP on. cfg->persist_synchronous picks the
// store's durability (store.h). Bad input is logged (rate-limited) and dropped; no peer can
// stop the process. Not thread-safe.
#ifndef PERSIST_PERSIST_H
#define PERSIST_PERSIST_H
#include "sl/config.h"
#include "sl/wire.h"

// Grouping batches is what makes the store fast: SQLite in WAL mode writes 52k rows/s with a
// transaction per row, 346k rows/s with 64 rows per transaction (docs/benchmarks.md).
#define PERSIST_GROUP_MAX       64     // batches per transaction
#define PERSIST_QUERY_BURST     64     // queries answered per wakeup before the loop polls again
#define PERSIST_EXPIRE_STEP     256    // streams one retention step deletes at most
#define PERSIST_EXPIRE_BUSY_MS  10     // the next step, while a step deleted all it could
#define PERSIST_DS_WAITS_MAX    100000 // durable stream reads parked at once (then: asked again)
#define PERSIST_DS_WAIT_MAX_MS  60000  // longest a read waits, whatever it asks
#define PERSIST_DS_WAIT_TICK_MS 50     // how often waits that are due are answered
// Largest RECORD text: the frame cap less room for the other fields.
#define PERSIST_TEXT_MAX (SL_WIRE_MAX_FRAME - 64 * 1024)
// A stored request a READ carries: beside a page of deltas (PERSIST_PAGE_BYTES) in one frame.
#define PERSIST_REQUEST_MAX (SL_WIRE_MAX_FRAME / 2)

typedef struct persist persist_t; // opaque

// Open the store at cfg->persist_path (creating cfg->data_dir and the directories of ipc://
// endpoints, mode 0700, when missing), bind both sockets and announce UP to the supervisor.
// cfg is borrowed and must outlive the actor. NULL on failure (logged). Caller owns the result.
persist_t *persist_new(const sl_config_t *cfg);
// Close the sockets and the store; set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void persist_destroy(persist_t **self_p);
// Serve until SIGINT/SIGTERM (CZMQ's handler sets zsys_interrupted). Returns 0 then, or
// SL_EIO when the loop failed.
int persist_run(persist_t *self);

#endif
