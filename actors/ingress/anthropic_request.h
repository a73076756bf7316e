// anthropic_request.h - an Anthropic Messages request from a client, validated and turned
// into the normalized request every provider adapter reads (docs/protocol.md).
//
// Accepted (docs/providers.md §Anthropic): model, max_tokens (both required), messages
// (non-empty; roles user and assistant; content a string or blocks: text, image and
// tool_result in user turns, tool_use in assistant turns, thinking and redacted_thinking, which
// are dropped), system (a string or text blocks), tools [{name, description, input_schema}],
// tool_choice {type: auto|any|tool|none, name, disable_parallel_tool_use}, temperature, top_p,
// stop_sequences, stream. Other fields (metadata, top_k, thinking ...) are ignored: they have
// no place in the normalized request. Anything else in a content block (documents, server
// tools; an image in an assistant turn, a tool_result or system) is refused with a message
// naming it, rather than silently dropped.
//
// Normalized: system -> a first `system` message; a user turn's tool_result blocks -> one
// `tool` message each (tool_call_id, content), in order and before the turn's text, which
// becomes one `user` message (Anthropic puts tool results first in a turn anyway, and OpenAI
// wants tool messages right after the assistant's tool_calls); an assistant turn's tool_use
// blocks -> `tool_calls` (arguments = the input object printed as a JSON string) and its text
// -> content (null when there are only calls); stop_sequences -> stop; tools ->
// [{type:function, function:{name, description, parameters}}]; tool_choice any -> "required",
// tool -> {type:function, function:{name}}, disable_parallel_tool_use -> parallel_tool_calls
// false; an image block -> an image part in the turn's content, in order with its text: a
// base64 source (media_type image/jpeg, png, gif or webp, as Anthropic allows) as a data URL,
// a url source as its URL (image.h). Text given as blocks stays a list of text parts; a string
// stays a string. A tool_result's is_error has no equivalent and is dropped.
//
// A body that is not UTF-8 is refused first, naming the offset of the first bad byte
// (ingress_openai_utf8_check). Errors name the field the way Anthropic does:
// "messages.1.content.0.type: ...". Pure; not thread-safe (cJSON's error pointer is global).
#ifndef INGRESS_ANTHROPIC_REQUEST_H
#define INGRESS_ANTHROPIC_REQUEST_H
#include <stddef.h>

#include "api.h"

// Validate a Messages body. Returns 0 and fills out (caller frees with ingress_request_free;
// include_usage is always true), or SL_EINVAL with err saying what is wrong (NUL-terminated,
// truncated to err_size) and *param naming the top-level field, or NULL.
int ingress_anthropic_parse(const char *body,
                            size_t len,
                            ingress_request_t *out,
                            char *err,
                            size_t err_size,
                            const char **param);

#endif
