// responses_request.h - an OpenAI Responses request (POST /v1/responses) from a client,
// validated and turned into the normalized request every provider adapter reads
// (docs/protocol.md), plus the options that make a response stateful.
//
// Accepted: model (required); input, a string (one user message) or a list of items: messages
// ({role: user|assistant|system|developer, content: a string or parts input_text, output_text,
// refusal, and in user messages input_image {image_url: an http(s) or data: URL, detail}};
// `type: "message"` optional), function_call ({call_id, name, arguments}),
// function_call_output ({call_id, output: a string or text parts}) and reasoning (dropped: no
// upstream takes another's reasoning back); instructions (a first system message); tools
// (function tools {type: function, name, description, parameters, strict}); tool_choice
// (auto|none|required or {type: function, name}); parallel_tool_calls; max_output_tokens (->
// max_completion_tokens); temperature; top_p; text.format (text, json_object, json_schema ->
// response_format); stream; store (default true); background; previous_response_id;
// metadata (an object of up to 16 string values). Other fields are ignored. Images by file_id
// (sluice has no Files API), images outside user messages, files, hosted tools and item
// references are refused with a message naming the item, rather than dropped.
//
// Normalized: a developer message is a system message; an assistant message's text and the
// function_call items right after it are one assistant message with tool_calls (a
// function_call with no assistant message before it gets one with content null); each
// function_call_output is a `tool` message; an input_image is a normalized image part (image.h).
// Errors name the field as OpenAI does
// ("input[1].content[0].type"). Pure; not thread-safe (cJSON's error pointer is global).
#ifndef INGRESS_RESPONSES_REQUEST_H
#define INGRESS_RESPONSES_REQUEST_H
#include <stdbool.h>
#include <stddef.h>

#include "api.h"

// The largest context a stored response keeps (its conversation and echo): it travels in one
// frame with its stream's first batch, and back with a page of deltas.
#define INGRESS_RESPONSES_CONTEXT_MAX (6u << 20)

// What makes a response stateful, as the client asked.
typedef struct {
    bool store;                 // keep the response (GET /v1/responses/{id}); default true
    bool background;            // run it without the client waiting
    char *previous_response_id; // owned; NULL when none
    char *metadata;             // owned; the metadata object as JSON text, NULL when none
    char *instructions;         // owned; NULL when none
} ingress_responses_opts_t;

void ingress_responses_opts_free(ingress_responses_opts_t *self);

// Validate a Responses body. Returns 0 and fills out and opts (caller frees both;
// include_usage is always true), or SL_EINVAL with err saying what is wrong and *param naming
// the field (a static string: "input", "tools" ...) or NULL.
int ingress_responses_parse(const char *body,
                            size_t len,
                            ingress_request_t *out,
                            ingress_responses_opts_t *opts,
                            char *err,
                            size_t err_size,
                            const char **param);

// Continue a stored response (previous_response_id): req (parsed, with its context) gets the
// stored conversation (prev_context, the previous response's stored request) and the
// previous output (as an assistant message, its calls as tool_calls) before its own input,
// in its body and its context; the instructions stay this request's own. 0, or SL_EINVAL
// with err saying why (a stored request that cannot be read, a context past max_context
// bytes); req is unchanged on failure. A request stored without store has no context:
// continuing it is the caller's 404.
int ingress_responses_continue(ingress_request_t *req,
                               sl_str_t prev_context,
                               const ingress_answer_t *prev_output,
                               size_t max_context,
                               char *err,
                               size_t err_size);

#endif
