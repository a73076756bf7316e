// responses.h - the OpenAI Responses API (POST /v1/responses) as sluice's clients see it: the
// streamed events and the whole response object the official SDKs read (openai-node's
// ResponseStream and finalResponse(), openai-python's responses.stream()).
//
// A stream is `event: <type>` + `data: <JSON>` blocks, every data carrying its type and a
// sequence_number counting from 0: response.created, response.in_progress; then per output
// item, in the order the deltas bring them: response.output_item.added, for a message
// response.content_part.added, response.output_text.delta ..., response.output_text.done,
// response.content_part.done; for a function call response.function_call_arguments.delta ...,
// .done; for reasoning response.reasoning_summary_part.added,
// response.reasoning_summary_text.delta ..., .done, response.reasoning_summary_part.done; and
// response.output_item.done. The end is response.completed (response.incomplete when the output
// cap or a content filter cut it; response.failed for an error), whose response holds every item
// whole and the usage. An item is closed when the next one opens; a late fragment of a closed
// call still goes to it by output_index. Pure; not thread-safe.
#ifndef INGRESS_RESPONSES_H
#define INGRESS_RESPONSES_H
#include <stdbool.h>
#include <stdint.h>

#include "answer.h"
#include "api.h"
#include "sl/buf.h"
#include "sl/wire.h"

#define INGRESS_RESPONSES_MAX_ITEMS 130 // a message, a reasoning item and the calls

typedef enum {
    INGRESS_RESPONSES_MESSAGE,
    INGRESS_RESPONSES_REASONING,
    INGRESS_RESPONSES_CALL,
} ingress_responses_kind_t;

// One output item. Shown so the context can hold them; read, do not change.
typedef struct {
    ingress_responses_kind_t kind;
    uint32_t tool_index; // INGRESS_RESPONSES_CALL: the delta's tool_index
    char *call_id;       // owned; calls only
    char *name;          // owned; calls only
    sl_buf_t text;       // owned; the text, summary or arguments so far
    bool done;           // its .done events are out
} ingress_responses_item_t;

// One response's state. Shown so clients embed it; change it only through the functions.
typedef struct {
    char id[64];     // "resp_<request id>"
    char *model;     // owned; the alias the client asked for
    int64_t created; // Unix seconds
    uint64_t seq;    // the next event's sequence_number
    ingress_responses_item_t items[INGRESS_RESPONSES_MAX_ITEMS];
    size_t n_items;
    int open;             // the item deltas go to, -1 when none
    size_t max_text;      // cap on one item's text
    char *echo;           // owned; the request's fields the object repeats (JSON members), or NULL
    int64_t skip_through; // events up to this number are not written (a resume); -1: none
} ingress_responses_ctx_t;

void ingress_responses_ctx_init(ingress_responses_ctx_t *ctx,
                                const char *req_id,
                                const char *model,
                                int64_t created);
void ingress_responses_ctx_free(ingress_responses_ctx_t *ctx);
// Take the echo from a stored request (context: the JSON responses_request.c keeps; ignored
// when it cannot be read) and skip the events up to starting_after (-1: none).
void ingress_responses_ctx_resume(ingress_responses_ctx_t *ctx,
                                  sl_str_t context,
                                  int64_t starting_after);

// Streaming output: each appends complete events to out and updates ctx, or returns
// SL_ETOOBIG (out and ctx as they were).
int ingress_responses_begin(sl_buf_t *out, ingress_responses_ctx_t *ctx);
int ingress_responses_delta(sl_buf_t *out, ingress_responses_ctx_t *ctx, const sl_delta_t *d);
int ingress_responses_end(sl_buf_t *out, ingress_responses_ctx_t *ctx, const ingress_end_t *end);
int ingress_responses_failed(sl_buf_t *out,
                             ingress_responses_ctx_t *ctx,
                             const char *code,
                             const char *message);
// The whole response object of a finished answer.
// The reason a response is incomplete for sluice's finish_reason ("length": max_output_tokens,
// "content_filter"), or NULL when it is not (NULL too for no reason).
const char *ingress_responses_incomplete(const char *finish_reason);
// A stored response as an object: the answer's items, status as given ("completed",
// "incomplete", "in_progress", "failed", "cancelled"), usage when end is given, an error when
// error_code is.
int ingress_responses_stored(sl_buf_t *out,
                             const ingress_responses_ctx_t *ctx,
                             const ingress_answer_t *answer,
                             const char *status,
                             const ingress_end_t *end,
                             const char *error_code,
                             const char *error_message);
// A background response's object the moment it is submitted: status "queued", no output,
// the request's fields from context (its stored request).
int ingress_responses_queued(
    sl_buf_t *out, const char *req_id, const char *model, int64_t created, sl_str_t context);
int ingress_responses_object(sl_buf_t *out,
                             const ingress_responses_ctx_t *ctx,
                             const ingress_answer_t *answer,
                             const ingress_end_t *end);

extern const ingress_api_t ingress_responses_api; // POST /v1/responses

#endif
