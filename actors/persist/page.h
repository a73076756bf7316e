// page.h - one page of a stored stream's deltas, for a client that resumes it (READ).
//
// A page holds the deltas from an index on, in index order, as many as one message carries
// (SL_WIRE_MAX_DELTAS) and at most PERSIST_PAGE_BYTES of strings. A resumed stream is a stream
// of its own for the client's SDK: a tool call it joins in the middle must still begin with
// the call's id and name, which only the call's first fragment holds. So the first page of a
// resume (context) looks back: each tool call whose first fragment lies before the page gets
// that id and name on its first fragment in the page. Later pages need no look back: the
// ingress gives a call's id and name once per resumed stream. No sockets. Not thread-safe.
#ifndef PERSIST_PAGE_H
#define PERSIST_PAGE_H
#include <stdbool.h>
#include <stdint.h>

#include "sl/deltas.h"
#include "sl/wire.h"
#include "store.h"

#define PERSIST_PAGE_BYTES (4u * 1024 * 1024) // string bytes of one page (RECORD stays < 16 MiB)

// Fill out (reset first; initialised by the caller with sl_deltas_init) with the stored
// deltas of stream id from index from on. Returns 0 (out may hold none: nothing stored there
// yet), or what persist_store_replay returns for a failed read (SL_EIO, SL_EPROTO).
int persist_page_read(
    persist_store_t *store, sl_str_t id, uint64_t from, bool context, sl_deltas_t *out);

#endif
