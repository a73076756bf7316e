// sl/wire.h - every message sluice's processes exchange, and its msgpack codec.
//
// This table is the protocol: docs/protocol.md explains it and must agree with it. A message
// travels as one ZeroMQ frame (after any ROUTER envelope) holding one msgpack array:
//     [type, field1, field2, ...]
// with exactly the fields SL_WIRE_MESSAGES lists for that type, in that order. The type code
// and U32/U64 fields are msgpack ints, STR fields msgpack str, BOOL fields msgpack bool, and
// DELTAS an array of per-delta arrays: [kind, text] for SL_DELTA_TEXT and SL_DELTA_REASONING,
// [kind, text, tool_index, tool_id, tool_name] for SL_DELTA_TOOL. Decoding is strict: the frame
// size, the field count, every field's msgpack type and every length are checked, and an
// unknown type is rejected with SL_EPROTO and a message that names the field. It is lenient
// only where msgpack itself allows two spellings: a STR field may come as bin, and an int may
// use any width or a signed type as long as its value fits.
//
// Strings in a decoded message are borrowed: they point into the frame that was decoded and
// are not NUL-terminated. Thread-safe: no shared state, each call is independent.
#ifndef SL_WIRE_H
#define SL_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

#define SL_WIRE_MAX_FRAME  (16u * 1024 * 1024) // bytes; also ZMQ_MAXMSGSIZE on bound sockets
#define SL_WIRE_MAX_DELTAS 64                  // deltas in one TOKENS or BATCH message
#define SL_OWNER_MAX       64                  // bytes of an OWNER (a gateway key's name)

// A borrowed byte string: not NUL-terminated, may hold any bytes.
typedef struct {
    const char *ptr; // borrowed
    uint32_t len;
} sl_str_t;

// Which client API a request came in on; decides the ingress's output format.
typedef enum {
    SL_API_OPENAI = 0,
    SL_API_ANTHROPIC = 1,
    SL_API_NATIVE = 2,
    SL_API_RESPONSES = 3, // OpenAI's Responses API (POST /v1/responses)
} sl_api_t;

// What went wrong with an attempt, as the error-class table in docs/architecture.md classifies it.
typedef enum {
    SL_ERRCLASS_NONE = 0,      // success
    SL_ERRCLASS_RATE_LIMIT,    // 429 or a rate-limit event: retry the same target
    SL_ERRCLASS_TIMEOUT,       // connect, idle-chunk or total timeout: retry the same target
    SL_ERRCLASS_PROVIDER_DOWN, // 5xx, 529, refused/reset, malformed stream: next target
    SL_ERRCLASS_FATAL,         // 400/401/403/404/422, content policy: give up
    SL_ERRCLASS_USER_ABORT,    // the client went away or cancelled
    SL_ERRCLASS_INTERNAL,      // sluice itself failed (no worker, lost process, overload)
    SL_ERRCLASS_MAX_
} sl_errclass_t;

// Persisted life of a stream.
typedef enum {
    SL_STREAM_STREAMING = 0,
    SL_STREAM_COMPLETE = 1,
    SL_STREAM_ERROR = 2,
    SL_STREAM_ABORTED = 3 // the client went away or cancelled (UserAbort)
} sl_stream_state_t;

// What STATE says about the host's processes.
typedef enum {
    SL_HOST_STARTING = 0, // some process is not up yet (or is being restarted)
    SL_HOST_UP = 1,       // every process is up
    SL_HOST_FAILING = 2,  // some process keeps crashing: it is restarted with a capped backoff
    SL_HOST_DRAINING = 3, // `sluice ctl drain`: no new requests; sluice stops once in-flight ends
} sl_host_state_t;

// Flags of a request, kept with its stream (FLAGS field).
#define SL_FLAG_USAGE 1u // OpenAI: the client asked for the usage chunk (stream_options)
#define SL_FLAG_KEEP  2u // the stream runs on when its client disconnects
// END's flags, ORed into the stream's by the builder: the usage is sluice's own count (the
// upstream reported none), not the upstream's (docs/tokenizer.md).
#define SL_FLAG_USAGE_ESTIMATE 4u
// Kept with a stream by persist only: it was deleted (DELETE /v1/responses/{id}); its row stays
// as a tombstone (no tokens, no rows) until retention takes it, and every reader answers 404.
#define SL_FLAG_DELETED 64u
// READ's flags: the first page of a resume, which looks back for the tool calls it joins.
#define SL_READ_CONTEXT 1u
// READ's flags: the answer carries the stream's stored request (CONTEXT).
#define SL_READ_REQUEST 2u
// READ's flags: delete the stream (a stored response's DELETE, which the ingress decided on:
// the caller owns it and it has ended); the answer is its head before, 404 when it was not.
#define SL_READ_DELETE 4u
// LIST's flags: every owner's streams (no keys), and in ascending id order (else descending).
#define SL_LIST_ALL 1u
#define SL_LIST_ASC 2u
#define SL_LIST_MAX 100u // streams one LIST answers at most

// Durable Streams (DS, DS_REPLY; docs/protocol.md): what the ingress asks of persist (OP) ...
typedef enum {
    SL_DS_CREATE = 1, // PUT: create, or confirm one with the same configuration
    SL_DS_APPEND = 2, // POST: append (and close with SL_DS_CLOSE), or close alone
    SL_DS_DELETE = 3, // DELETE
    SL_DS_HEAD = 4,   // HEAD: the stream's metadata
    SL_DS_READ = 5,   // GET: units from FIRST_INDEX; waits up to WAIT_MS when there are none
} sl_ds_op_t;
// ... and the flags of DS and DS_REPLY, one set for both.
#define SL_DS_CLOSE      1u    // DS: Stream-Closed: true; DS_REPLY: the stream is closed
#define SL_DS_JSON       2u    // application/json: BODY holds COUNT messages (DS: one a line)
#define SL_DS_HAS_TTL    4u    // TTL_S is set (0 is a TTL)
#define SL_DS_HAS_EXP    8u    // EXPIRES_MS is set
#define SL_DS_PRODUCE    16u   // DS: Producer-Id, -Epoch and -Seq were given
#define SL_DS_NOW        32u   // DS READ: from the tail (offset=now)
#define SL_DS_READ_ALL   64u   // DS: the caller may use every owner's streams (no keys)
#define SL_DS_UP_TO_DATE 128u  // DS_REPLY: a read reached the tail
#define SL_DS_DUPLICATE  256u  // DS_REPLY: an idempotent producer's append already applied
#define SL_DS_TIMED_OUT  512u  // DS_REPLY: a read waited WAIT_MS and found nothing
#define SL_DS_FORK       1024u // DS create: a fork of FORKED_FROM
#define SL_DS_FORK_AT    2048u // DS create: FORK_OFFSET was given (else the source's tail)
#define SL_DS_FORK_SUB   4096u // DS create: FORK_SUB was given
#define SL_DS_HAS_TYPE   8192u // DS create: Content-Type was given (a fork inherits it else)

// Kinds of delta a token can carry.
typedef enum {
    SL_DELTA_TEXT = 0,      // visible text
    SL_DELTA_REASONING = 1, // reasoning / thinking text
    SL_DELTA_TOOL = 2,      // a tool-call fragment: tool_index, and id/name on the first one
    SL_DELTA_MAX_
} sl_delta_kind_t;

// One token: what the builder gives an index to.
typedef struct {
    uint8_t kind;        // sl_delta_kind_t
    sl_str_t text;       // text, or a tool call's argument fragment
    uint32_t tool_index; // SL_DELTA_TOOL only: position of the call in the response
    sl_str_t tool_id;    // SL_DELTA_TOOL only: set on a call's first fragment
    sl_str_t tool_name;  // SL_DELTA_TOOL only: set on a call's first fragment
} sl_delta_t;

// Fields: X(FIELD, member, kind). Kinds: STR (msgpack str or bin), U32, U64, BOOL, DELTAS.
#define SL_WIRE_FIELDS(X)                        \
    X(REQ_ID, req_id, STR)                       \
    X(INGRESS, ingress, STR)                     \
    X(MODEL, model, STR)                         \
    X(PROVIDER, provider, STR)                   \
    X(UPSTREAM_MODEL, upstream_model, STR)       \
    X(BODY, body, STR)                           \
    X(API, api, U32)                             \
    X(STREAM, stream, BOOL)                      \
    X(ATTEMPT, attempt, U32)                     \
    X(STATUS, status, U32)                       \
    X(ERR_CLASS, err_class, U32)                 \
    X(ERROR_TYPE, error_type, STR)               \
    X(MESSAGE, message, STR)                     \
    X(FINISH_REASON, finish_reason, STR)         \
    X(SEQ, seq, U64)                             \
    X(FIRST_INDEX, first_index, U64)             \
    X(COUNT, count, U64)                         \
    X(PROMPT_TOKENS, prompt_tokens, U32)         \
    X(COMPLETION_TOKENS, completion_tokens, U32) \
    X(CREDITS, credits, U32)                     \
    X(FINAL, final, BOOL)                        \
    X(STATE, state, U32)                         \
    X(NAME, name, STR)                           \
    X(TEXT, text, STR)                           \
    X(REQ_IDS, req_ids, STR)                     \
    X(RETRY_AFTER_MS, retry_after_ms, U64)       \
    X(OWNER, owner, STR)                         \
    X(FLAGS, flags, U32)                         \
    X(AUTH, auth, STR)                           \
    X(OP, op, U32)                               \
    X(PATH, path, STR)                           \
    X(CONTENT_TYPE, content_type, STR)           \
    X(TTL_S, ttl_s, U64)                         \
    X(EXPIRES_MS, expires_ms, U64)               \
    X(STREAM_SEQ, stream_seq, STR)               \
    X(PRODUCER, producer, STR)                   \
    X(EPOCH, epoch, U64)                         \
    X(PRODUCER_SEQ, producer_seq, U64)           \
    X(WAIT_MS, wait_ms, U64)                     \
    X(FORKED_FROM, forked_from, STR)             \
    X(FORK_OFFSET, fork_offset, U64)             \
    X(FORK_SUB, fork_sub, U64)                   \
    X(CONTEXT, context, STR)                     \
    X(DELTAS, deltas, DELTAS)

// Messages: X(TYPE, code, FIELD...), fields in wire order. Who sends what to whom is in
// docs/protocol.md.
#define SL_WIRE_MESSAGES(X)                                                                       \
    X(SUBMIT, 1, REQ_ID, INGRESS, MODEL, API, STREAM, BODY, OWNER, FLAGS, CONTEXT)                \
    X(CANCEL, 2, REQ_ID, ERR_CLASS)                                                               \
    X(REJECT, 3, REQ_ID, STATUS, ERROR_TYPE, MESSAGE, RETRY_AFTER_MS)                             \
    X(READY, 4, NAME, CREDITS, COUNT, REQ_IDS)                                                    \
    X(DISPATCH, 5, REQ_ID, INGRESS, MODEL, PROVIDER, UPSTREAM_MODEL, ATTEMPT, API, STREAM, BODY,  \
      OWNER, FLAGS, CONTEXT)                                                                      \
    X(OUTCOME, 6, REQ_ID, ATTEMPT, PROVIDER, UPSTREAM_MODEL, ERR_CLASS, STATUS, COUNT,            \
      RETRY_AFTER_MS)                                                                             \
    X(START, 7, REQ_ID, INGRESS, MODEL, ATTEMPT, PROVIDER, UPSTREAM_MODEL, FIRST_INDEX, API,      \
      OWNER, FLAGS, CONTEXT)                                                                      \
    X(TOKENS, 8, REQ_ID, INGRESS, ATTEMPT, FIRST_INDEX, PROMPT_TOKENS, DELTAS)                    \
    X(END, 9, REQ_ID, INGRESS, ATTEMPT, FINISH_REASON, PROMPT_TOKENS, COMPLETION_TOKENS,          \
      ERR_CLASS, STATUS, ERROR_TYPE, MESSAGE, COUNT, RETRY_AFTER_MS, FLAGS)                       \
    X(BATCH, 10, SEQ, REQ_ID, MODEL, FIRST_INDEX, DELTAS, FINAL, FINISH_REASON, ERR_CLASS,        \
      PROMPT_TOKENS, COMPLETION_TOKENS, MESSAGE, ATTEMPT, API, OWNER, FLAGS, CONTEXT)             \
    X(ACK, 11, SEQ, REQ_ID, FIRST_INDEX, STATUS)                                                  \
    X(QUERY, 12, SEQ, REQ_ID, FIRST_INDEX)                                                        \
    X(RECORD, 13, SEQ, REQ_ID, STATUS, MODEL, STATE, FINISH_REASON, COUNT, PROMPT_TOKENS,         \
      COMPLETION_TOKENS, TEXT, ATTEMPT, API, OWNER, FLAGS, MESSAGE, FIRST_INDEX, DELTAS, CONTEXT) \
    X(UP, 14, NAME)                                                                               \
    X(STATE, 15, STATE, COUNT)                                                                    \
    X(DURABLE, 16, REQ_ID, ATTEMPT, COUNT, FINAL)                                                 \
    X(BEAT, 17, NAME)                                                                             \
    X(VERDICT, 18, REQ_ID, ATTEMPT, FINAL)                                                        \
    X(CIRCUIT, 19, NAME, STATE, RETRY_AFTER_MS)                                                   \
    X(STATS, 20, NAME, TEXT)                                                                      \
    X(CTL, 21, SEQ, NAME, TEXT, AUTH)                                                             \
    X(CTL_REPLY, 22, SEQ, STATUS, TEXT)                                                           \
    X(BUNDLE, 23, COUNT, BODY)                                                                    \
    X(READ, 24, SEQ, REQ_ID, FIRST_INDEX, FLAGS)                                                  \
    X(LIST, 25, SEQ, OWNER, REQ_ID, COUNT, FLAGS)                                                 \
    X(DS, 26, SEQ, OP, PATH, OWNER, FLAGS, CONTENT_TYPE, TTL_S, EXPIRES_MS, STREAM_SEQ, PRODUCER, \
      EPOCH, PRODUCER_SEQ, FIRST_INDEX, WAIT_MS, COUNT, BODY, FORKED_FROM, FORK_OFFSET, FORK_SUB) \
    X(DS_REPLY, 27, SEQ, STATUS, MESSAGE, FLAGS, CONTENT_TYPE, TTL_S, EXPIRES_MS, FIRST_INDEX,    \
      COUNT, EPOCH, PRODUCER_SEQ, BODY)

typedef enum {
    SL_MSG_NONE_ = 0,
#define X(type, code, ...) SL_MSG_##type = code,
    SL_WIRE_MESSAGES(X)
#undef X
        SL_MSG_MAX_
} sl_msg_type_t;

// A message, decoded or to be encoded. One struct for every type: only the fields the type
// lists are encoded or set by decoding (the others are zeroed by decode). Shown because
// callers fill it on the stack.
typedef struct {
    sl_msg_type_t type;
    sl_str_t req_id;         // UUIDv7 of the client request
    sl_str_t ingress;        // routing id of the ingress that owns the client connection
    sl_str_t model;          // model alias the client asked for
    sl_str_t provider;       // provider name from the config
    sl_str_t upstream_model; // model name the provider knows
    sl_str_t body;           // normalized request, JSON (see docs/protocol.md)
    uint32_t api;            // sl_api_t
    bool stream;             // client asked for a stream
    uint32_t attempt;        // 1 for the first attempt of a request, then 2, 3, ...
    uint32_t status;         // HTTP-style status (200 ok, 404, 429, 503 ...)
    uint32_t err_class;      // sl_errclass_t
    sl_str_t error_type;     // machine-readable error type, e.g. "invalid_request_error"
    sl_str_t message;        // human-readable text; never holds a secret
    sl_str_t finish_reason;  // OpenAI vocabulary: stop, length, tool_calls, content_filter, error
    uint64_t seq;            // sender's sequence number (per attempt, per builder, or per query)
    uint64_t first_index;    // index of the first delta in this message
    uint64_t count;          // a token count (total tokens delivered or stored)
    uint32_t prompt_tokens;  // usage reported by the upstream
    uint32_t completion_tokens;
    uint32_t credits; // concurrent attempts a worker can take
    bool final;       // BATCH: the stream ends with this batch
    uint32_t state;   // sl_stream_state_t in RECORD; sl_host_state_t in STATE
    sl_str_t name;    // process or worker name
    sl_str_t text;    // RECORD: the stored text
    sl_str_t
        req_ids; // READY: the ids of the requests in flight, SL_ID_LEN bytes each, no separator
    uint64_t retry_after_ms; // OUTCOME, END, REJECT: wait this long before asking again; 0: no word
    sl_str_t owner;          // name of the gateway key that started the stream; "" without keys
    uint32_t flags;          // SL_FLAG_* bits of the request, kept with its stream
    sl_str_t auth;           // CTL: the admin key, which a control socket on tcp requires
    uint32_t op;             // DS: sl_ds_op_t
    sl_str_t path;           // DS: the durable stream's name (the URL after /v1/stream/)
    sl_str_t content_type;   // DS, DS_REPLY: the stream's content type
    uint64_t ttl_s;          // DS, DS_REPLY: Stream-TTL (with SL_DS_HAS_TTL)
    uint64_t expires_ms;     // DS, DS_REPLY: Stream-Expires-At, wall ms (with SL_DS_HAS_EXP)
    sl_str_t stream_seq;     // DS: Stream-Seq, "" when none
    sl_str_t producer;       // DS: Producer-Id (with SL_DS_PRODUCE)
    uint64_t epoch;          // DS: Producer-Epoch; DS_REPLY: the epoch accepted, or the current
    uint64_t producer_seq;   // DS: Producer-Seq; DS_REPLY: the highest accepted, or expected
    uint64_t wait_ms;        // DS READ: wait this long for data at FIRST_INDEX (0: answer now)
    sl_str_t context;        // SUBMIT .. BATCH, RECORD: a stored response's request (Responses API)
    sl_str_t forked_from;    // DS create: the source stream's path (with SL_DS_FORK)
    uint64_t fork_offset;    // DS create: where the fork leaves its source (units)
    uint64_t fork_sub;       // DS create: units past fork_offset, within the append there
    uint32_t n_deltas;
    sl_delta_t deltas[SL_WIRE_MAX_DELTAS];
} sl_msg_t;

// Name of a message type ("SUBMIT"), or "?" for an unknown code; never NULL.
const char *sl_wire_type_name(int type);
// Name of an error class for logs and metrics: "ok", "rate_limit", "timeout",
// "provider_down", "fatal", "user_abort", "internal"; "unknown" for any other value.
const char *sl_errclass_name(uint32_t err_class);

// A stored stream's state as the HTTP API names it: "streaming", "complete", "error",
// "aborted"; "error" for any other value (the store holds no other).
const char *sl_stream_state_name(uint32_t state);

// Encode msg into a new buffer. On success *data_p (caller owns, free()) and *len_p are set;
// on failure *data_p is NULL and nothing was allocated. SL_EINVAL for an unknown type or delta
// kind, or a string with ptr NULL and len > 0 (ptr NULL with len 0 is the empty string);
// SL_ETOOBIG when the frame would pass SL_WIRE_MAX_FRAME or n_deltas SL_WIRE_MAX_DELTAS. Only
// the fields the type lists are read; a delta's tool_* members only for SL_DELTA_TOOL.
int sl_wire_encode(const sl_msg_t *msg, uint8_t **data_p, size_t *len_p);

// Append msg's encoding (the bytes sl_wire_encode makes) to out, with no allocation of its own
// beyond out growing; as one msgpack bin value holding those bytes when as_bin (an item of a
// BUNDLE's body, sl/bundle.h). SL_EINVAL/SL_ETOOBIG as sl_wire_encode; SL_ETOOBIG too when
// out's cap would be passed. On failure out is as it was.
int sl_wire_encode_append(const sl_msg_t *msg, bool as_bin, sl_buf_t *out);

// Decode one frame into msg (zeroed first). Strings in msg borrow from data.
// SL_EPROTO for anything malformed: truncated, trailing bytes, wrong field count or type,
// unknown message type, unknown delta kind; SL_ETOOBIG when len > SL_WIRE_MAX_FRAME or a
// message holds more than SL_WIRE_MAX_DELTAS deltas. On failure msg is zeroed again and, when
// err is not NULL and err_size > 0, a message naming the message type and field is written
// there (NUL-terminated, truncated to err_size), e.g. "TOKENS.deltas[3].text: expected str,
// got int". Allocates nothing; lengths are checked against the bytes left before use.
int sl_wire_decode(const uint8_t *data, size_t len, sl_msg_t *msg, char *err, size_t err_size);

// Encode n deltas alone, as exactly the bytes of a DELTAS field inside a message (a msgpack
// array of [kind, text] and [kind, text, tool_index, tool_id, tool_name]), for storing them
// outside a message. Same contract as sl_wire_encode: *data_p (caller owns, free()) and *len_p
// on success, *data_p NULL on failure; SL_EINVAL for an unknown kind or a string with ptr NULL
// and len > 0; SL_ETOOBIG when n > SL_WIRE_MAX_DELTAS or the bytes would pass
// SL_WIRE_MAX_FRAME.
int sl_wire_encode_deltas(const sl_delta_t *deltas, uint32_t n, uint8_t **data_p, size_t *len_p);

// Decode a lone DELTAS field (what sl_wire_encode_deltas wrote) into out[0..max), as strictly
// as sl_wire_decode: SL_EPROTO for anything malformed (truncated, trailing bytes, a wrong
// msgpack type or element count, an unknown kind), SL_ETOOBIG for more than max deltas or
// len > SL_WIRE_MAX_FRAME. Sets *n_p to the count (0 on failure, when the out entries written
// to are zeroed again). Each delta is zeroed before it is read, so a text delta's tool members
// are empty. The error text names the field without a message type, e.g.
// "deltas[3].text: expected str, got int". Strings borrow from data. Allocates nothing.
int sl_wire_decode_deltas(const uint8_t *data,
                          size_t len,
                          sl_delta_t *out,
                          uint32_t max,
                          uint32_t *n_p,
                          char *err,
                          size_t err_size);

// A borrowed sl_str_t for a NUL-terminated C string (NULL gives the empty string).
sl_str_t sl_str(const char *s);
// A borrowed sl_str_t for len bytes. A len above UINT32_MAX is clamped (never wrapped), so
// encoding it fails with SL_ETOOBIG.
sl_str_t sl_strn(const char *s, size_t len);
// True when a equals the NUL-terminated b (NULL counts as the empty string).
bool sl_str_eq(sl_str_t a, const char *b);
// Copy into a new NUL-terminated string. Caller owns the result.
char *sl_str_dup(sl_str_t s);

#endif
