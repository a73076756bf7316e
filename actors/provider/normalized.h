// normalized.h - reading the normalized request (docs/protocol.md, "The normalized request"):
// the checks and conversions every adapter that is not OpenAI-shaped needs, so each such
// adapter only writes its provider's shape and all of them reject bad input the same way.
//
// Every function that can fail returns 0 or SL_EINVAL and then writes into err a message that
// names the field, e.g. "messages[2].tool_calls[0].function.arguments: not a JSON object".
// Stateless; thread-safe.
#ifndef PROVIDER_NORMALIZED_H
#define PROVIDER_NORMALIZED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sl/buf.h"
#include "sl/image_url.h"

// Parse body as a JSON object whose "messages" is an array. Caller owns the result (free with
// cJSON_Delete); NULL when the body is not such an object.
cJSON *provider_normalized_parse(const char *body, size_t len, char *err, size_t err_size);

// The role of messages[index] ("system", "user", "assistant", "tool"; "developer" reads as
// "system"). Borrowed from msg. SL_EINVAL when it is missing or not one of those.
int provider_normalized_role(
    const cJSON *msg, int index, const char **role_p, char *err, size_t err_size);

// The text of one content part ({"type":"text","text":...}), borrowed from part; SL_EINVAL for
// another part type. where names the part in err ("messages[1].content[0]"). Callers that take
// only text call it: an image part there is refused as "<where>: an image part is only taken in
// a user message".
int provider_normalized_part_text(
    const cJSON *part, const char *where, const char **text_p, char *err, size_t err_size);

// True when part is an image part: {"type":"image_url", ...}.
bool provider_normalized_is_image(const cJSON *part);

// One image part, {"type":"image_url","image_url":{"url":..., "detail"?:...}}: its URL parsed
// into *image (a data URL's payload borrowed from part), and its detail ("auto", "low" or
// "high"; NULL when not given) in *detail_p, borrowed. SL_EINVAL with err naming the field
// ("messages[1].content[0].image_url.url: the data is empty") when the part is not that shape.
int provider_normalized_image(const cJSON *part,
                              const char *where,
                              sl_image_url_t *image,
                              const char **detail_p,
                              char *err,
                              size_t err_size);

// Append a message's whole content to out: a string as is, an array's text parts one after the
// other, null or missing as nothing. SL_EINVAL for another content or part type, or when out's
// cap is reached.
int
provider_normalized_text(const cJSON *msg, int index, sl_buf_t *out, char *err, size_t err_size);

// The function name of the tool call with id tool_call_id, from the nearest assistant message
// before messages[index]; NULL when none has it. Borrowed from messages.
const char *
provider_normalized_tool_name(const cJSON *messages, int index, const char *tool_call_id);

// The arguments string of a tool call parsed as a JSON object ("" or missing is {}). Caller
// owns the result. where names the call in err.
int provider_normalized_arguments(
    const cJSON *call, const char *where, cJSON **args_p, char *err, size_t err_size);

// One assistant tool call (messages[index].tool_calls[i]): its function name (borrowed from
// call) and its arguments parsed as a JSON object (caller owns). SL_EINVAL with err naming the
// field when the name is missing or the arguments are not an object.
int provider_normalized_call(const cJSON *call,
                             int index,
                             int i,
                             const char **name_p,
                             cJSON **args_p,
                             char *err,
                             size_t err_size);

// Copy the number from->key into to->to_key when present and not null; SL_EINVAL when it is
// there but not a number.
int provider_normalized_copy_number(
    const cJSON *from, const char *key, cJSON *to, const char *to_key, char *err, size_t err_size);

// Copy "stop" (a string or an array of strings) into to->to_key as an array of strings, when
// present and not null; SL_EINVAL for another type.
int provider_normalized_copy_stop(
    const cJSON *from, cJSON *to, const char *to_key, char *err, size_t err_size);

// Readers the adapters share for JSON from either side (requests and provider responses).

// from->key when present and not JSON null, else NULL. Borrowed from from.
const cJSON *provider_normalized_get(const cJSON *from, const char *key);
// A token count: when from->key is a number, *out = it clamped to 0..UINT32_MAX (fractions
// cut) and true; else *out is left as it was and false.
bool provider_normalized_count(const cJSON *from, const char *key, uint32_t *out);
// The value of from->key when it is a string, else NULL. Borrowed from from.
const char *provider_normalized_string(const cJSON *from, const char *key);

// The client's cap on output tokens, as the normalized request keeps it (both fields as the
// client sent them: docs/protocol.md): max_completion_tokens when it is there and not null, else
// max_tokens; NULL when neither is. The newer field wins when a client sends both, as it did
// when the ingress renamed it. *key_p, when key_p is set, gets the field's name (for errors).
// Borrowed from in.
const cJSON *provider_normalized_max_tokens(const cJSON *in, const char **key_p);

// The names a provider gives the sampling settings; NULL for one it does not take.
typedef struct {
    const char *temperature;
    const char *top_p;
    const char *max_tokens; // from provider_normalized_max_tokens
    const char *stop;
} provider_sampling_keys_t;

// Copy temperature, top_p, max tokens and stop from in into a new object under key `section`
// of out, named as keys says; the object is left out when none is set. Errors as above.
int provider_normalized_copy_sampling(const cJSON *in,
                                      cJSON *out,
                                      const char *section,
                                      const provider_sampling_keys_t *keys,
                                      char *err,
                                      size_t err_size);

// The JSON output format a request asks for (response_format: Chat Completions' own, or the
// Responses API's text.format): 1 for JSON, with *schema_p the JSON Schema of a json_schema
// format (borrowed from in) or NULL for json_object; 0 for none or {type: text}; SL_EINVAL with
// err naming the field for any other shape. An adapter that cannot hold an answer to JSON
// refuses it.
int provider_normalized_json_format(const cJSON *in,
                                    const cJSON **schema_p,
                                    char *err,
                                    size_t err_size);

#endif
