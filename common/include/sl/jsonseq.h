// sl/jsonseq.h - incremental splitter for the elements of one streamed JSON array: Gemini's
// streamGenerateContent without alt=sse writes "[" "{...}" "," "{...}" "]" as the answer
// grows, each element possibly pretty-printed over many lines (not RFC 7464 JSON text
// sequences, which are record-separator delimited).
//
// The splitter frames, it does not validate: it finds where each top-level element starts and
// ends by tracking strings (with their escapes) and the nesting depth of {} and [], and hands
// over the element's bytes; the caller's JSON parser checks them. Outside elements it accepts
// exactly the array's punctuation with JSON whitespace around it: "[", "," between elements,
// "]", and nothing but whitespace after "]"; anything else is SL_EPROTO. Elements may be any
// JSON value (objects, arrays, strings, numbers, literals). Bytes are not UTF-8 decoded:
// structural characters are ASCII and never occur inside a multi-byte sequence. Not
// thread-safe; one splitter per stream.
#ifndef SL_JSONSEQ_H
#define SL_JSONSEQ_H
#include <stdbool.h>
#include <stddef.h>

typedef struct sl_jsonseq_splitter sl_jsonseq_splitter_t; // opaque

// Called once per complete element. elem is borrowed (valid only during the call), not
// NUL-terminated, and holds the element from its first to its last byte (no surrounding
// whitespace). Return 0 to go on; any other value stops the feed and the feed returns it (the
// rest of that feed's bytes are dropped; the splitter stays usable and goes on after the
// handed-over element).
typedef int(sl_jsonseq_elem_fn)(void *arg, const char *elem, size_t len);

// New splitter. max_elem_bytes caps one element; exactly max_elem_bytes is allowed. Caller
// owns the result; never NULL.
sl_jsonseq_splitter_t *sl_jsonseq_splitter_new(size_t max_elem_bytes);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_jsonseq_splitter_destroy(sl_jsonseq_splitter_t **self_p);
// Split len bytes, calling fn (not NULL) for each element they complete. data is borrowed and
// may be NULL when len is 0. Returns 0; SL_EPROTO when the bytes cannot be a JSON array's
// framing (something other than "[" first, a missing or doubled ",", bytes after "]"), or
// SL_ETOOBIG when an element passes the cap (either way the splitter is poisoned: it frees what
// it held and every later feed returns the same code; elements before were handed over); or
// fn's non-zero return value.
int sl_jsonseq_splitter_feed(
    sl_jsonseq_splitter_t *self, const char *data, size_t len, sl_jsonseq_elem_fn *fn, void *arg);
// True once the array's closing "]" was seen.
bool sl_jsonseq_splitter_is_closed(const sl_jsonseq_splitter_t *self);
// Bytes held for an element not yet complete (0 between elements or once poisoned).
size_t sl_jsonseq_splitter_pending(const sl_jsonseq_splitter_t *self);

#endif
