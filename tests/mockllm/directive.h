// directive.h - the "[mock ...]" directive a test puts in its last user message.
//
// The directive is how a test controls the mock through any client API and any translation:
// it is plain text, so it survives every request format. Syntax:
//
//     [mock tokens=200 seed=7 rate=0 hold=5 split=1 crlf=1 tools=2 text_before=1 pings=1]
//
// "[mock" (lower case) followed by a space or "]" starts it, "]" ends it, and options are
// name=value pairs separated by whitespace; values are decimal integers. Every option is
// optional; the first directive in the text counts and an option given twice keeps its last
// value.
//     tokens=N       text tokens to plan, 0..MOCKLLM_DIRECTIVE_MAX_TOKENS
//     seed=S         PRNG seed, 0..2^64-1
//     rate=R         content units per second, 0..MOCKLLM_DIRECTIVE_MAX_RATE, 0 = unpaced
//     hold=K         stop after K content units until POST /mock/release; 0 = off
//     split=0|1      write every event in several send() calls
//     crlf=0|1       end SSE lines with CRLF instead of LF
//     tools=N        answer with N tool calls, 0..MOCKLLM_DIRECTIVE_MAX_TOOLS
//     text_before=0|1  with tools=N: send text before the calls
//     pings=0|1      keepalives between events (formats that have them)
//     status=NNN     answer HTTP error NNN (400..599) in the format's error shape
// An unknown option, a missing value, a value that is not a number or out of range, or a
// directive without its "]" is an error whose message starts with MOCKLLM_DIRECTIVE_ERR and
// names the option. What the options mean for a response is described in script.h.
// Pure; thread-safe.
#ifndef MOCKLLM_DIRECTIVE_H
#define MOCKLLM_DIRECTIVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOCKLLM_DIRECTIVE_MAX_TOKENS 100000  // tokens= and hold=, bound the script's memory
#define MOCKLLM_DIRECTIVE_MAX_RATE   1000000 // rate=, units per second
#define MOCKLLM_DIRECTIVE_MAX_TOOLS  16      // tools=
#define MOCKLLM_DIRECTIVE_RATE_UNSET (-1)    // rate not in the directive: the server decides
// Every directive error message starts with this, so a server can give it its own error code.
#define MOCKLLM_DIRECTIVE_ERR "mock directive: "

// Directive options. Shown because scripts embed it.
typedef struct {
    uint32_t tokens;  // planned text tokens before any cap
    uint64_t seed;    // PRNG seed of the text and the tool calls
    int64_t rate;     // units per second; 0 unpaced; MOCKLLM_DIRECTIVE_RATE_UNSET: server's
    uint32_t hold;    // pause after this many content units; 0 = never
    bool split;       // cut every event into several writes
    bool crlf;        // CRLF line ends in SSE
    uint32_t tools;   // tool calls to make; 0 = a text answer
    bool text_before; // tool-call answers start with text
    bool pings;       // keepalives between events
    int status;       // HTTP error to answer with; 0 = none
    bool has_tokens;  // tokens= was given
    bool has_seed;    // seed= was given
} mockllm_directive_t;

// Parse the first directive in text (len bytes, need not be NUL-terminated; NULL with len 0 is
// no text) into opts. Options the directive does not set are left as they are, so the caller
// presets the defaults. Returns 0 (also when there is no directive) or SL_EINVAL with err
// naming the option (NUL-terminated, truncated to err_size).
int mockllm_directive_parse(
    const char *text, size_t len, mockllm_directive_t *opts, char *err, size_t err_size);

#endif
