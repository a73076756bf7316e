// chunk.h - the common OpenAI stream chunk read in one pass, without building a JSON tree.
//
// Nearly every event of an OpenAI-format stream has one shape: one choice, index 0, whose delta
// holds a little text, plus scalars nobody reads (id, model, created, obfuscation, ...). A cJSON
// tree per event cost a worker ~10 % of its CPU at 200 streams, so openai.c asks this scanner
// first and parses with cJSON only when it says "not simple".
//
// The scanner is strict on purpose: it returns 1 only when the input is a well-formed JSON
// object of that shape and openai.c's cJSON path would make exactly the sink calls the scan
// result leads to. Anything it is unsure of (a \u escape in a text it must decode, a raw
// control byte in a string, a nested value other than choices and delta, a duplicate key, a
// second choice, tool calls, a usage or error object, trailing bytes, ...) is 0, and cJSON's
// answer stands. Not thread-safe; one per stream (the scratch is reused across events).
#ifndef PROVIDER_CHUNK_H
#define PROVIDER_CHUNK_H
#include <stdbool.h>
#include <stddef.h>

// One decoded string of a chunk.
typedef struct {
    const char *ptr; // NULL when the key is missing or null; else NUL-terminated, in the scratch
    size_t len;      // bytes before the NUL (a string never holds NUL: \u escapes are refused)
} provider_chunk_str_t;

// What a scan found, and the scratch it decodes into. Shown so a stream's state embeds it.
typedef struct {
    provider_chunk_str_t reasoning_content; // choices[0].delta.reasoning_content
    provider_chunk_str_t reasoning;         // choices[0].delta.reasoning
    provider_chunk_str_t content;           // choices[0].delta.content
    provider_chunk_str_t finish_reason;     // choices[0].finish_reason
    char *scratch;                          // owned; the decoded strings, NULL until a scan
    size_t scratch_size;                    // bytes allocated at scratch
    size_t max_bytes;                       // longest input scanned; longer is "not simple"
} provider_chunk_t;

// Start with no scratch; inputs of up to max_bytes (the stream's cap on one event) are scanned.
void provider_chunk_init(provider_chunk_t *self, size_t max_bytes);
// Free the scratch; self can be initialised again.
void provider_chunk_free(provider_chunk_t *self);

// Scan len bytes of one event's data. Returns 1 when they are a whole chunk of the common
// shape, with out's four strings set (borrowed from out: valid until its next scan or free);
// 0 when they are anything else ("not simple: use cJSON"), and out's strings mean nothing.
//
// The shape, keys in any order, each at most once, JSON whitespace between tokens:
//   { "choices": [ CHOICE ], "error"?: null|false, "usage"?: null, other keys: scalars }
//   CHOICE = { "index"?: a number whose digits are all 0, "delta"?: DELTA|null,
//              "finish_reason"?: TEXT, "logprobs"?: null, other keys: scalars }
//   DELTA  = { "content"?, "reasoning_content"?, "reasoning"?: TEXT, "refusal"?: null,
//              other keys but "tool_calls": scalars }
//   TEXT   = a string without \u escapes or raw bytes below 0x20, or null
// A scalar is null, true, false, a number by JSON's grammar of at most 63 bytes (cJSON reads no
// more), or a string without raw bytes below 0x20 whose \u escapes are 4 hex digits and no
// surrogate half. Bytes at or above 0x80 pass through as they are, as cJSON passes them.
int provider_chunk_scan(const char *json, size_t len, provider_chunk_t *out);

// For tests only: with disabled true every scan returns 0, so the adapter takes its cJSON path
// and a test compares the two. Process-wide and not thread-safe.
void provider_chunk_disable(bool disabled);

#endif
