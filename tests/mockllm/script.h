// script.h - what the mock says for a request: deterministic tokens, finish reason and usage.
//
// The script is a pure function of the request body, so a test can call
// mockllm_script_from_request on the body it is about to send and know byte for byte what
// sluice-mockllm will stream back (the text, the token boundaries, the usage numbers). The
// server's own flags never change the text: --tokens-per-s only fills in a rate the request did
// not set, and --seed only moves split cut points.
//
// Directive. The LAST user message may hold, anywhere in its text, one directive:
//
//     [mock tokens=200 seed=7 rate=0 hold=5 split=1 crlf=1]
//
// "[mock" (lower case) followed by a space or "]" starts it, "]" ends it, and options are
// name=value pairs separated by whitespace; values are decimal integers. Every option is
// optional; the first directive in the message counts and an option given twice keeps its last
// value. The directive stays part of the message text (it counts in prompt_tokens).
//     tokens=N   tokens to send, 0..MOCKLLM_SCRIPT_MAX_TOKENS; default 12 + seed % 40
//     seed=S     PRNG seed, 0..2^64-1; default FNV-1a 64 of the request's "messages" value as
//                cJSON prints it unformatted (same conversation, same text). The response id
//                is "chatcmpl-mock-<seed in lowercase hex>".
//     rate=R     content tokens per second, 0..MOCKLLM_SCRIPT_MAX_RATE, 0 = as fast as
//                possible; default the server's --tokens-per-s
//     hold=K     after K content tokens the stream waits for POST /mock/release (K = tokens:
//                before the finish chunk; K > tokens: never); 0 = off
//     split=0|1  write every event in several send() calls, cutting inside UTF-8 sequences
//                and between CR and LF, with a short pause between the pieces
//     crlf=0|1   end SSE lines with CRLF instead of LF
// An unknown option, a missing value, a value that is not a number or out of range, or a
// directive without its "]" is an error (HTTP 400) whose message starts with
// MOCKLLM_SCRIPT_DIRECTIVE_ERR and names the option.
//
// max_tokens / max_completion_tokens in the request cap the count: when the cap (the smaller
// of the two when both are given) is below the planned count, cap tokens are sent and the
// finish reason is "length"; otherwise it is "stop".
//
// prompt_tokens = whitespace-separated words in every message's text + 3 per message;
// completion_tokens = tokens sent. Tokens come from a fixed vocabulary holding ASCII words with
// a leading space, punctuation, 2-, 3- and 4-byte UTF-8 and characters JSON must escape
// (", \, newline, tab). Not thread-safe (cJSON's error pointer is global); no other state.
#ifndef MOCKLLM_SCRIPT_H
#define MOCKLLM_SCRIPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

#define MOCKLLM_SCRIPT_MAX_TOKENS 100000  // tokens=, bounds the script's memory
#define MOCKLLM_SCRIPT_MAX_RATE   1000000 // rate=, tokens per second
#define MOCKLLM_SCRIPT_MAX_MODEL  1024    // bytes of "model": it is echoed in every chunk
#define MOCKLLM_SCRIPT_RATE_UNSET (-1)    // rate not in the directive: the server decides
// Every directive error message starts with this, so a server can give it its own error code.
#define MOCKLLM_SCRIPT_DIRECTIVE_ERR "mock directive: "

// Directive options, resolved. Shown because the script embeds it.
typedef struct {
    uint32_t tokens; // planned count before the max_tokens cap
    uint64_t seed;   // PRNG seed of the text
    int64_t rate;    // tokens per second; 0 unpaced; MOCKLLM_SCRIPT_RATE_UNSET: server default
    uint32_t hold;   // pause after this many content tokens; 0 = never
    bool split;      // cut every event into several writes
    bool crlf;       // CRLF line ends in SSE
    bool has_tokens; // tokens= was given
    bool has_seed;   // seed= was given
} mockllm_script_opts_t;

// A planned response. Shown so callers keep it on the stack; read the fields, change nothing.
typedef struct {
    char **tokens;              // owned array of n_tokens owned NUL-terminated UTF-8 strings
    size_t n_tokens;            // tokens to send
    const char *finish_reason;  // static: "stop" or "length"
    uint32_t prompt_tokens;     // see the header comment
    uint32_t completion_tokens; // == n_tokens
    mockllm_script_opts_t opts; // from the directive, defaults filled in (rate may be unset)
    char *model;                // owned; the request's model, echoed back ("mock-1" if absent)
    bool stream;                // the request's "stream"
    bool include_usage;         // the request's stream_options.include_usage
} mockllm_script_t;

// The format-independent request: every request format (OpenAI today; Anthropic, Gemini ...
// later) reduces its body to this and calls mockllm_script_plan. Pointers are borrowed.
typedef struct {
    const char *directive_text; // the last user message's text, searched for "[mock"; may be NULL
    size_t directive_len;
    uint64_t default_seed;  // used when the directive has no seed=
    uint32_t prompt_tokens; // already counted by the format
    int64_t max_tokens;     // cap on tokens sent; < 0 means none
} mockllm_script_req_t;

// Parse the first directive in text (len bytes) into opts. Options the directive does not
// set are left as they are, so the caller presets the defaults. Returns 0 (also when there is
// no directive) or SL_EINVAL with err naming the option (NUL-terminated, truncated to err_size).
int mockllm_script_parse_directive(
    const char *text, size_t len, mockllm_script_opts_t *opts, char *err, size_t err_size);

// Plan a script from a reduced request. out is overwritten (zero it or destroy it first); on
// failure it is left empty. Returns 0 or SL_EINVAL (bad directive; err says why).
int mockllm_script_plan(const mockllm_script_req_t *req,
                        mockllm_script_t *out,
                        char *err,
                        size_t err_size);

// Plan the script for an OpenAI Chat Completions request body (len bytes, need not be
// NUL-terminated). out is overwritten; on failure it is left empty and err says why.
// Returns 0; SL_EPROTO when the body is not JSON (err gives the byte offset); SL_EINVAL when
// it is JSON but not a valid request (no messages, a field of the wrong type, a bad directive).
int mockllm_script_from_request(
    const char *body, size_t len, mockllm_script_t *out, char *err, size_t err_size);

// Append the concatenation of every token to out. Returns 0 or SL_ETOOBIG (out's cap).
int mockllm_script_text(const mockllm_script_t *self, sl_buf_t *out);

// Free what self owns and zero it. Safe on a zeroed or already destroyed script. The script is
// caller-owned storage (stack or embedded), so this takes the struct, not a pointer to a pointer.
void mockllm_script_destroy(mockllm_script_t *self);

#endif
