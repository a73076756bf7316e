// directive.h - the "[mock ...]" directive a test puts in its last user message.
//
// The directive is how a test controls the mock through any client API and any translation:
// it is plain text, so it survives every request format. Syntax:
//
//     [mock tokens=200 seed=7 rate=0 hold=5 split=1 crlf=1 tools=2 text_before=1 pings=1]
//
// "[mock" (lower case) followed by a space or "]" starts it, "]" ends it, and options are
// name=value pairs separated by whitespace; values are decimal integers (fail_model='s a name).
// Every option is optional; the first directive in the text counts and an option given twice keeps
// its last value.
//     tokens=N       text tokens to plan, 0..MOCKLLM_DIRECTIVE_MAX_TOKENS
//     seed=S         PRNG seed, 0..2^64-1
//     rate=R         content units per second, 0..MOCKLLM_DIRECTIVE_MAX_RATE, 0 = unpaced
//     hold=K         stop after K content units until POST /mock/release; 0 = off
//     split=0|1      write every event in several send() calls
//     crlf=0|1       end SSE lines with CRLF instead of LF
//     tools=N        answer with N tool calls, 0..MOCKLLM_DIRECTIVE_MAX_TOOLS
//     text_before=0|1  with tools=N: send text before the calls
//     pings=0|1      keepalives between events (formats that have them)
//     utf16=0|1      with tools=N: cut argument fragments as UTF-16 counts, so a character
//                    outside the BMP (every call's note then ends in one) is split between
//                    two fragments, "\ud83d" ending one and "\ude80" starting the next
//     usage=0|1      OpenAI format: 0 sends no usage at all (no usage chunk however the
//                    request asks for it, no "usage" in a whole response), as some
//                    OpenAI-compatible servers do; 1 (the default) sends it
//     status=NNN     answer HTTP error NNN (400..599) in the format's error shape
// Faults, for testing a client's retries, fallbacks and timeouts (script.h says what each does
// on the wire; K counts content units, 0..MOCKLLM_DIRECTIVE_MAX_TOKENS):
//     fail=K         only the first K requests of this directive's key get its faults (status=,
//                    reset=, stall=, malformed=, error_event=, first_byte_ms=); later ones are
//                    served normally. Given alone (none of those), the fault is status=503.
//                    1..MOCKLLM_DIRECTIVE_MAX_FAIL; 0 = every request gets the faults
//     retry_after=S      with an error status: a "retry-after: S" header, 0..3600
//     retry_after_ms=MS  with an error status: a "retry-after-ms: MS" header, 0..3600000
//     reset=K        reset the connection (RST) after K content units; 0 = before the first byte
//     stall=K        send nothing more after K content units until POST /mock/release or the
//                    client leaves; 0 = before the first byte
//     malformed=K    after K content units, one malformed event in the format's framing, then end
//     error_event=K  after K content units, the format's in-stream error, then end
//     first_byte_ms=MS  wait MS before the response's first byte, 0..MOCKLLM_DIRECTIVE_MAX_WAIT_MS
//     fail_model=NAME  the faults only for requests whose upstream model is NAME (1 to
//                    MOCKLLM_DIRECTIVE_MAX_NAME bytes, neither whitespace nor "]"); a request for
//                    another model is served normally and leaves the fail= count alone, so a
//                    route's fallback target of the same format gets the answer. Given without
//                    another fault, the fault is status=503, as with fail=
// At most one of reset=, stall=, malformed= and error_event= (a stream breaks one way), and none
// of them with status= (an error answer is sent whole). An unknown option, a missing value, a
// value that is not a number or out of range, two of those options together, or a directive
// without its "]" is an error whose message starts with MOCKLLM_DIRECTIVE_ERR and names the
// option. What the options mean for a response is described in script.h.
// Pure; thread-safe.
#ifndef MOCKLLM_DIRECTIVE_H
#define MOCKLLM_DIRECTIVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOCKLLM_DIRECTIVE_MAX_TOKENS  100000  // tokens= and hold=, bound the script's memory
#define MOCKLLM_DIRECTIVE_MAX_RATE    1000000 // rate=, units per second
#define MOCKLLM_DIRECTIVE_MAX_TOOLS   16      // tools=
#define MOCKLLM_DIRECTIVE_RATE_UNSET  (-1)    // rate not in the directive: the server decides
#define MOCKLLM_DIRECTIVE_MAX_FAIL    1000000 // fail=
#define MOCKLLM_DIRECTIVE_MAX_WAIT_MS 600000  // first_byte_ms=; the server's longest hold, too
#define MOCKLLM_DIRECTIVE_FAIL_STATUS 503     // the fault of a fail= given without another
#define MOCKLLM_DIRECTIVE_MAX_NAME    256     // fail_model='s value, bytes
// Every directive error message starts with this, so a server can give it its own error code.
#define MOCKLLM_DIRECTIVE_ERR "mock directive: "

// How a stream breaks (reset=, stall=, malformed=, error_event=); at most one per directive.
typedef enum {
    MOCKLLM_FAULT_NONE = 0,    // the stream runs to its end
    MOCKLLM_FAULT_RESET,       // TCP reset after fault_units content units
    MOCKLLM_FAULT_STALL,       // silence after fault_units content units, until a release
    MOCKLLM_FAULT_MALFORMED,   // one malformed event after fault_units content units, then the end
    MOCKLLM_FAULT_ERROR_EVENT, // the in-stream error after fault_units content units, then the end
} mockllm_fault_t;

// Directive options. Shown because scripts embed it.
typedef struct {
    uint32_t tokens;        // planned text tokens before any cap
    uint64_t seed;          // PRNG seed of the text and the tool calls
    int64_t rate;           // units per second; 0 unpaced; MOCKLLM_DIRECTIVE_RATE_UNSET: server's
    uint32_t hold;          // pause after this many content units; 0 = never
    bool split;             // cut every event into several writes
    bool crlf;              // CRLF line ends in SSE
    uint32_t tools;         // tool calls to make; 0 = a text answer
    bool text_before;       // tool-call answers start with text
    bool pings;             // keepalives between events
    bool utf16;             // split characters outside the BMP between argument fragments
    bool no_usage;          // usage=0: the OpenAI format reports no usage
    int status;             // HTTP error to answer with; 0 = none
    bool has_tokens;        // tokens= was given
    bool has_seed;          // seed= was given
    uint32_t fail;          // faults only for the first fail requests of the key; 0 = for every one
    bool has_retry_after;   // retry_after= was given
    uint32_t retry_after_s; // retry-after header with an error status, seconds
    bool has_retry_after_ms;  // retry_after_ms= was given
    uint32_t retry_after_ms;  // retry-after-ms header with an error status
    mockllm_fault_t fault;    // how the stream breaks
    uint32_t fault_units;     // content units sent before it breaks
    uint32_t first_byte_ms;   // wait before the response's first byte; 0 = none
    uint64_t text_hash;       // FNV-1a 64 of the directive's text, "[mock" to "]"; 0: none
    bool has_fail_model;      // fail_model= was given: the faults are for that model only
    uint64_t fail_model_hash; // FNV-1a 64 of fail_model='s name
} mockllm_directive_t;

// Parse the first directive in text (len bytes, need not be NUL-terminated; NULL with len 0 is
// no text) into opts. Options the directive does not set are left as they are, so the caller
// presets the defaults; a fail= or fail_model= without another fault sets status to
// MOCKLLM_DIRECTIVE_FAIL_STATUS. Returns 0 (also when there is no directive) or SL_EINVAL with
// err naming the option (NUL-terminated, truncated to err_size); opts may then be half set.
int mockllm_directive_parse(
    const char *text, size_t len, mockllm_directive_t *opts, char *err, size_t err_size);
// True when opts holds a fault: status=, reset=, stall=, malformed=, error_event= or
// first_byte_ms=.
bool mockllm_directive_has_fault(const mockllm_directive_t *opts);
// Turn every fault in opts off: what a request past its fail= count gets.
void mockllm_directive_clear_faults(mockllm_directive_t *opts);
// True unless opts names a fail_model= other than model (NUL-terminated; NULL: none): whether
// the directive's faults are meant for a request to that model.
bool mockllm_directive_is_fail_model(const mockllm_directive_t *opts, const char *model);
// The name of fault as an option ("reset" ...); "" for MOCKLLM_FAULT_NONE. Static.
const char *mockllm_directive_fault_name(mockllm_fault_t fault);

#endif
