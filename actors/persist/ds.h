// ds.h - Durable Streams in the store: the protocol's rules for create, append, close,
// delete, metadata and reads (docs/durable-streams.md), over the store's tables (ds_db.h).
//
// A stream is a sequence of units: bytes, or, in JSON mode (application/json), messages. The
// ingress speaks HTTP; persist decides, in one transaction per request, and answers DS_REPLY
// with an HTTP status. Offsets are unit counts (the ingress writes them as fixed-width hex).
// Every LLM stream of the store is a read-only durable stream too, at path "llm/<id>": JSON
// mode, one message per delta and, once the stream ended, one last message that says how.
// No sockets. Not thread-safe.
#ifndef PERSIST_DS_H
#define PERSIST_DS_H
#include <stdint.h>

#include "sl/buf.h"
#include "sl/wire.h"
#include "store.h"

#define PERSIST_DS_PATH_MAX   1024               // bytes of a stream's path
#define PERSIST_DS_READ_BYTES (1u * 1024 * 1024) // a read's data, past its first row
#define PERSIST_DS_LLM        "llm/"             // the LLM streams' prefix
#define PERSIST_DS_WAIT       1                  // persist_ds_handle: park this read
#define PERSIST_DS_TYPE_MAX   256                // bytes of a content type a reply names

// Answer the DS message q at now_ms: reply (DS_REPLY, q's seq) and its BODY, which borrows
// from out (reset here), and its content type, which borrows from this module (valid until the
// next call). Returns 0 with reply set, or PERSIST_DS_WAIT when q is a READ that
// found nothing at its offset of an open stream and may wait (WAIT_MS): the caller asks again
// when the stream changes or answers with SL_DS_TIMED_OUT when the time is up.
int persist_ds_handle(
    persist_store_t *store, const sl_msg_t *q, int64_t now_ms, sl_buf_t *out, sl_msg_t *reply);

#endif
