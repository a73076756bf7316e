// ledger.h - the builder's batches that persistence has not acknowledged yet.
//
// The builder keeps each encoded BATCH until its ACK arrives, and sends it again when no ACK
// came within the resend interval (persistence writes idempotently, so a duplicate is
// harmless; ZeroMQ drops queued messages when a peer restarts, so a resend is how nothing
// is lost). Kept in send order; lookup by sequence number. Not thread-safe.
#ifndef BUILDER_LEDGER_H
#define BUILDER_LEDGER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct builder_ledger builder_ledger_t; // opaque

// Called for each batch due for a resend. data is borrowed for the call.
typedef void(builder_ledger_fn)(void *arg, const uint8_t *data, size_t len);

builder_ledger_t *builder_ledger_new(void);
void builder_ledger_destroy(builder_ledger_t **self_p);
// Keep batch seq for req_id. Takes ownership of *data_p (set to NULL), a malloc'd frame.
void builder_ledger_add(builder_ledger_t *self,
                        uint64_t seq,
                        const char *req_id,
                        uint8_t **data_p,
                        size_t len,
                        int64_t now_ms);
// Forget batch seq. Returns true and sets *req_id_p (caller owns) when it was kept; false
// for an unknown or already acknowledged seq (a duplicate ACK).
bool builder_ledger_ack(builder_ledger_t *self, uint64_t seq, char **req_id_p);
// Batches kept.
size_t builder_ledger_count(const builder_ledger_t *self);
// Call fn, oldest first, for every batch last sent at or before now_ms - after_ms, and
// count it as sent now. Returns how many were due.
size_t builder_ledger_resend(
    builder_ledger_t *self, int64_t now_ms, int64_t after_ms, builder_ledger_fn *fn, void *arg);

#endif
