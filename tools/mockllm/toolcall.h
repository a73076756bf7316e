// toolcall.h - one tool call the mock makes: its id, name, arguments and their fragments.
//
// Everything about a call is a pure function of (seed, position, name), so a test that knows
// the request knows every byte of every call. The arguments are a JSON object holding a UTF-8
// string with characters JSON must escape and a number:
//
//     {"location": "São Paulo", "days": 12, "note": "say \"hi\" 🚀"}
//
// and are cut into fragments of 2 to 10 bytes (never inside a UTF-8 sequence, sometimes
// inside an escape or between a key and its colon, as real models do) for the formats that
// stream arguments. With utf16, the note ends in " 🚀" and every character outside the BMP is
// cut between its two UTF-16 halves, as upstreams that count UTF-16 positions do: the fragment
// before ends with the high half's escape, the one after starts with the low half's. Ids
// follow each provider's look. Pure; thread-safe.
#ifndef MOCKLLM_TOOLCALL_H
#define MOCKLLM_TOOLCALL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

#define MOCKLLM_TOOLCALL_MAX_NAME 256 // bytes of a tool name taken from a request

// How a format's tool-call ids look.
typedef enum {
    MOCKLLM_TOOLCALL_ID_NONE,      // the format sends no ids (Gemini, Ollama): id is NULL
    MOCKLLM_TOOLCALL_ID_OPENAI,    // "call_" + 24 base62 characters
    MOCKLLM_TOOLCALL_ID_ANTHROPIC, // "toolu_01" + 22 base62 characters
    MOCKLLM_TOOLCALL_ID_COHERE,    // "<name>_" + 12 lowercase base36 characters
} mockllm_toolcall_ids_t;

// A planned call. Shown so scripts keep an array of them; read the fields, change nothing.
typedef struct {
    char *id;          // owned; NULL with MOCKLLM_TOOLCALL_ID_NONE
    char *name;        // owned; the tool's name as the request declared it
    char *arguments;   // owned; the arguments JSON object, as text
    size_t *frag_ends; // owned; n_frags offsets in arguments where fragments end, increasing
    size_t n_frags;    // fragments the arguments are streamed in (>= 1)
} mockllm_toolcall_t;

// Plan call number index (0-based) of a response seeded with seed, to the tool name (copied).
// out is overwritten.
void mockllm_toolcall_plan(uint64_t seed,
                           size_t index,
                           const char *name,
                           mockllm_toolcall_ids_t ids,
                           bool utf16,
                           mockllm_toolcall_t *out);
// Fragment f (0 <= f < n_frags) of self's arguments: its first byte; *len gets its length.
// Borrowed from self.
const char *mockllm_toolcall_frag(const mockllm_toolcall_t *self, size_t f, size_t *len);
// Append fragment f as a JSON string, quotes included; a character cut at the fragment's start
// or end is written as its UTF-16 half. Returns 0 or SL_ETOOBIG.
int mockllm_toolcall_frag_json(const mockllm_toolcall_t *self, size_t f, sl_buf_t *out);
// Free what self owns and zero it. Safe on a zeroed or already freed call.
void mockllm_toolcall_free(mockllm_toolcall_t *self);

#endif
