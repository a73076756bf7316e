// heard.h - what a provider sink heard, for the adapter tests: every sink call flattened into
// one comparable string, and a stream fed to an adapter split at every offset.
//
// The calls are appended in order as D<kind>[<tool index>|<tool id>|<tool name>|<text>],
// F[<finish reason>], U[<prompt>,<completion>], E[<class>,<status>,<type>,<message>] and
// R[<retry after ms>], so a test compares one string with the one it expects. Not thread-safe.
#ifndef PROVIDER_TEST_HEARD_H
#define PROVIDER_TEST_HEARD_H
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "sl/buf.h"

// Shown so tests keep it on the stack and read the log.
typedef struct {
    sl_buf_t log;               // owned: the calls, flattened; capped when initialised
    uint32_t prompt_tokens;     // the last usage heard, as the transfer keeps it
    uint32_t completion_tokens; // likewise
} heard_t;

// Start an empty recording whose log holds at most max_bytes.
void heard_init(heard_t *self, size_t max_bytes);
// Free the log; self can be initialised again.
void heard_free(heard_t *self);
// A sink that records into self. Borrows self: valid while self is.
provider_sink_t heard_sink(heard_t *self);

// Feed len bytes of input to a fresh state of kind's adapter in two pieces, cut at offset cut
// (0 <= cut <= len), then call its eof hook when it has one, all into h (initialised by the
// caller). *complete gets is_complete. Returns the first failure, else 0.
int
heard_feed(const char *kind, const char *input, size_t len, size_t cut, heard_t *h, int *complete);
// Check that input (NUL-terminated), split at every offset, makes kind's adapter hear exactly
// want, return want_rc and end with is_complete == want_complete. The first failing split is
// printed (offset, input, what was heard) before the failed CHECK exits.
void heard_every_split(
    const char *kind, const char *input, const char *want, int want_rc, int want_complete);
// Check that kind's adapter reports an HTTP error response (status, body) as exactly want.
void heard_http_error(const char *kind, uint32_t status, const char *body, const char *want);

#endif
