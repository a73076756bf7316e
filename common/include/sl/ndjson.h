// sl/ndjson.h - incremental NDJSON splitter: newline-delimited JSON (Ollama, Cohere v1), fed
// bytes as they arrive from the network, handing over one complete line at a time.
//
// Rules (docs/providers.md §NDJSON): lines end at "\n"; one "\r" before it is dropped,
// so CRLF works too; lines holding only JSON whitespace (space, tab, CR) are skipped; a line
// cut by a feed boundary is held until its end arrives. At end of stream, sl_ndjson_splitter_finish
// hands over a held non-empty tail once (servers may omit the last "\n"): the caller's JSON
// parser decides whether it is whole. The splitter does not parse JSON or decode UTF-8: "\n"
// never occurs inside a JSON text or a multi-byte UTF-8 sequence, so splitting bytes is safe.
// Not thread-safe; one splitter per stream.
#ifndef SL_NDJSON_H
#define SL_NDJSON_H
#include <stddef.h>

typedef struct sl_ndjson_splitter sl_ndjson_splitter_t; // opaque

// Called once per non-blank line, without its "\n" and without one "\r" before it. line is
// borrowed (valid only during the call), not NUL-terminated, and may hold NUL bytes. Return 0
// to go on; any other value stops the feed, and the feed returns that value (the rest of that
// feed's bytes are dropped; the splitter stays usable and goes on after the handed-over line).
typedef int(sl_ndjson_line_fn)(void *arg, const char *line, size_t len);

// New splitter. max_line_bytes caps one line, counted without its "\n" (a "\r" before it
// counts); exactly max_line_bytes is allowed. Caller owns the result; never NULL.
sl_ndjson_splitter_t *sl_ndjson_splitter_new(size_t max_line_bytes);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_ndjson_splitter_destroy(sl_ndjson_splitter_t **self_p);
// Split len bytes, calling fn (not NULL) for each line they complete. data is borrowed and
// may be NULL when len is 0. Returns 0; SL_ETOOBIG when a line passes the cap (the splitter
// is then poisoned: it frees what it held and every later call returns SL_ETOOBIG; lines
// before the long one were handed over); or fn's non-zero return value.
int sl_ndjson_splitter_feed(
    sl_ndjson_splitter_t *self, const char *data, size_t len, sl_ndjson_line_fn *fn, void *arg);
// End of stream: hand a held tail that is not blank to fn, once, and forget it. Returns 0,
// SL_ETOOBIG when poisoned, or fn's non-zero return value. A later feed starts a new line.
int sl_ndjson_splitter_finish(sl_ndjson_splitter_t *self, sl_ndjson_line_fn *fn, void *arg);
// Bytes held for a line not yet ended (0 at a line boundary or once poisoned).
size_t sl_ndjson_splitter_pending(const sl_ndjson_splitter_t *self);

#endif
