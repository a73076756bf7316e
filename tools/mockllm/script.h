// script.h - what the mock says for a request: deterministic text, tool calls, finish and usage.
//
// The script is a pure function of the request body (and, for Gemini, its path) and of the
// vocabulary, so a test can plan the body it is about to send and know byte for byte what
// sluice-mockllm will send back. Of the server's own flags only --vocabulary changes it (the
// words the text is drawn from; tests leave it at stress, which mockllm_script_from_request and
// mockllm_format_plan assume): --tokens-per-s only fills in a rate the request did not set, and
// --seed only moves split cut points.
//
// Every format's reader (openai.c, anthropic.c, gemini.c, cohere.c, ollama.c) reduces its
// request to a mockllm_script_req_t and calls mockllm_script_plan, both through request.h's
// mockllm_request_begin / _message / _end, so one rule holds for all:
//
// - The directive (directive.h) is searched in the LAST USER MESSAGE: the last message whose
//   role is user (Gemini: user or no role) and whose content holds text (a string, or at least
//   one text part). Anthropic/Gemini user turns that only carry tool results are skipped, so
//   the same conversation finds the same message in every format.
// - seed: the directive's seed=, else FNV-1a 64 of that message's text (its text parts
//   concatenated without separator). Only the text counts, never the JSON around it, so every
//   translation of a conversation gets the same seed.
// - Text: tokens= tokens (default 12 + seed % 40) drawn from the request's vocabulary (vocab.h):
//   stress holds ASCII words with a leading space, punctuation, 2-, 3- and 4-byte UTF-8 and
//   characters JSON must escape; plain, whole English sentences in ASCII.
// - tools=N (N >= 1): a tool-call answer of N calls. Call i uses the request's tool
//   i % (tools declared) (so the first N tools in order, repeating when fewer are declared;
//   none declared is a directive error). The answer holds no text unless text_before=1, which
//   puts the tokens= text before the calls. Ids, arguments and fragments: toolcall.h.
// - Stop sequences from the request (OpenAI stop, Anthropic stop_sequences, Gemini
//   generationConfig.stopSequences, Cohere stop_sequences, Ollama options.stop): when the text
//   contains one, the text ends right before its earliest occurrence (a token may be cut), no
//   calls are made and the finish is STOP_SEQUENCE.
// - The max-tokens cap (OpenAI max_tokens / max_completion_tokens, the smaller; Anthropic and
//   Cohere max_tokens; Gemini maxOutputTokens; Ollama options.num_predict) counts content
//   units: text tokens plus every argument fragment. When the cap is below what the answer
//   needs, the calls are dropped, the text is cut to the cap and the finish is LENGTH.
// - Usage: prompt_tokens = words in every text of the request's messages (string contents and
//   text parts; a system prompt counts as one message) + 3 per message; completion_tokens =
//   content units sent (text tokens + argument fragments of the calls made).
// - Faults (directive.h) change how the answer goes out, never what it says; opts keeps them
//   for the endpoint, the stream and the server:
//   status=NNN: the format's error (before any stream) instead of the answer; retry_after= and
//     retry_after_ms= become retry-after / retry-after-ms headers (a 429 without them gets
//     "retry-after: 1"), and Gemini's 429 RetryInfo.retryDelay says the same ("2s", "2.500s";
//     retry_after_ms= when both are given).
//   fail=K: the faults hit only the first K requests with the same path (without query), seed
//     and directive text; later ones get the plain answer (ledger.h). Alone it means status=503.
//   first_byte_ms=MS: nothing of any answer (error, one-shot, stream) leaves for MS ms; a stream's
//     pacing starts then.
//   reset=K: the TCP connection is reset (RST) after K content units, before anything else of
//     the stream: no terminator, no end of the chunked body. reset=0 (or any K on a one-shot
//     answer) resets before the first byte.
//   stall=K: after K content units nothing more is sent (no keepalives either) until POST
//     /mock/release or the client leaves, then the stream goes on. stall=0 (or any K on a
//     one-shot answer) stalls before the first byte.
//   malformed=K: after K content units, one event whose framing is right and whose JSON is not
//     (OpenAI/Gemini SSE "data: {not json", Anthropic "event: content_block_delta" with that
//     data, Cohere "event: content-delta" likewise, Ollama a line "{not json", the Gemini
//     array an element "{not json}" closing the array); then the body ends cleanly.
//   error_event=K: after K content units, the format's in-stream error, then the body ends:
//     OpenAI data: {"error":{...,"type":"server_error",...}} (no [DONE]); Anthropic event:
//     error, overloaded_error (no message_stop); Gemini a chunk holding only {"error": {"code":
//     503,...,"status": "UNAVAILABLE"}} (in the array, its last element); Cohere message-end
//     with finish_reason ERROR and "error" (no [DONE]); Ollama a line {"error": ...} (no done).
//   K counts content units as hold= does: the point is right after the event that brings the
//   count to K (0: before the first event), or after the whole calls event that steps over it;
//   a K above the units of the answer never fires. malformed= and error_event= apply to streams
//   only.
// Not thread-safe (cJSON's error pointer is global); no other state.
#ifndef MOCKLLM_SCRIPT_H
#define MOCKLLM_SCRIPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directive.h"
#include "sl/buf.h"
#include "toolcall.h"
#include "vocab.h"

#define MOCKLLM_SCRIPT_MAX_MODEL 1024 // bytes of the model: it is echoed in every chunk
#define MOCKLLM_SCRIPT_MAX_STOPS 16   // stop sequences read from a request

// Why a script ends, before a format names it.
typedef enum {
    MOCKLLM_FINISH_STOP,          // the text is complete
    MOCKLLM_FINISH_LENGTH,        // cut by the max-tokens cap
    MOCKLLM_FINISH_TOOL_CALLS,    // tool calls were made
    MOCKLLM_FINISH_STOP_SEQUENCE, // cut before a stop sequence
} mockllm_finish_t;

// A format's own words for the finish kinds. All static strings.
typedef struct {
    const char *stop;
    const char *length;
    const char *tool_calls;
    const char *stop_sequence;
} mockllm_finish_names_t;

// A planned response. Shown so callers keep it on the stack; read the fields, change nothing.
typedef struct {
    char **tokens;              // owned array of n_tokens owned NUL-terminated UTF-8 strings
    size_t n_tokens;            // text tokens to send
    mockllm_toolcall_t *calls;  // owned array of n_calls calls, sent after the text
    size_t n_calls;             // tool calls to make
    mockllm_finish_t finish;    // why the answer ends
    const char *finish_reason;  // static: the format's word for finish (OpenAI: "stop" ...)
    char *stop_sequence;        // owned; the stop sequence that cut the text, else NULL
    uint32_t prompt_tokens;     // see the header comment
    uint32_t completion_tokens; // text tokens + argument fragments of the calls
    mockllm_directive_t opts;   // from the directive, defaults filled in (rate may be unset)
    char *model;                // owned; the request's model, echoed back ("mock-1" if absent)
    bool stream;                // a streamed answer (request's "stream"; Gemini: its path)
    bool include_usage;         // OpenAI: stream_options.include_usage
    bool array;                 // Gemini without alt=sse: the stream is one JSON array
} mockllm_script_t;

// The format-independent request. Pointers are borrowed from the format's parsed body.
typedef struct {
    const char *user_text; // the last user message's text (see above); NULL when there is none
    size_t user_len;
    uint32_t prompt_tokens;                      // already counted by the format
    int64_t max_tokens;                          // content-unit cap; < 0 means none
    const char *stops[MOCKLLM_SCRIPT_MAX_STOPS]; // non-empty stop sequences
    size_t n_stops;
    const char *tool_names[MOCKLLM_DIRECTIVE_MAX_TOOLS]; // the first declared tools, in order
    size_t n_tools;
    const mockllm_finish_names_t *finish_names; // static: the format's vocabulary
    mockllm_toolcall_ids_t ids;                 // how the format's call ids look
    mockllm_vocab_t vocab;                      // the words of the text (the server's)
} mockllm_script_req_t;

// Plan a script from a reduced request. out is overwritten (zero it or destroy it first); on
// failure it is left empty. Returns 0 or SL_EINVAL (bad directive; err says why and starts with
// MOCKLLM_DIRECTIVE_ERR). The caller sets model, stream, include_usage and array afterwards.
int mockllm_script_plan(const mockllm_script_req_t *req,
                        mockllm_script_t *out,
                        char *err,
                        size_t err_size);

// Plan the script for an OpenAI Chat Completions request body (len bytes, need not be
// NUL-terminated) as POST /v1/chat/completions would in the stress vocabulary (the default every
// test runs the mock with). out is overwritten; on failure it is left empty and err says why.
// Returns 0; SL_EPROTO when the body is not JSON (err gives the byte offset); SL_EINVAL when it
// is JSON but not a valid request (no messages, a field of the wrong type, a bad directive).
int mockllm_script_from_request(
    const char *body, size_t len, mockllm_script_t *out, char *err, size_t err_size);

// Append the concatenation of every token to out. Returns 0 or SL_ETOOBIG (out's cap; out
// unchanged).
int mockllm_script_text(const mockllm_script_t *self, sl_buf_t *out);

// Append the script as the JSON POST /mock/script answers:
//   {"text":..., "tokens":[...], "tool_calls":[{"id":...|null, "name":..., "arguments":"<JSON
//    text>", "fragments":[...]}], "finish_reason":..., "stop_sequence":...|null,
//    "usage":{"prompt_tokens":P, "completion_tokens":C, "total_tokens":P+C},
//    "status":200|NNN, "stream":true|false}
// Returns 0 or SL_ETOOBIG (out unchanged).
int mockllm_script_json(const mockllm_script_t *self, sl_buf_t *out);

// Free what self owns and zero it. Safe on a zeroed or already destroyed script. The script is
// caller-owned storage (stack or embedded), so this takes the struct, not a pointer to a pointer.
void mockllm_script_destroy(mockllm_script_t *self);

#endif
