// request.h - reading request bodies: the checks and text rules every format's reader shares.
//
// Each format module reads its own request shape; these helpers make the parts they have in
// common behave the same everywhere: JSON parse errors with byte offsets, typed optional
// fields with error messages naming the field, the text of a message, word counts, stop
// sequences and tool names, all capped. A reader wraps its work in mockllm_request_begin and
// mockllm_request_end, which hold the parsed body, the reduced request and the last user
// message's text, and plan the script from them, so the prompt-token and last-user-message
// rules of script.h are written once. Not thread-safe (cJSON's error pointer is global).
#ifndef MOCKLLM_REQUEST_H
#define MOCKLLM_REQUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "format.h"
#include "script.h"
#include "sl/buf.h"

#define MOCKLLM_REQUEST_MAX_STOP 1024 // bytes of one stop sequence

// A request body being read. Shown so readers keep it on the stack; they read root and fill
// req's caps, stops and tools, and count messages with mockllm_request_message only.
typedef struct {
    cJSON *root;              // owned: the parsed body, an object
    mockllm_script_req_t req; // what the script is planned from; strings borrowed from root
    sl_buf_t user;            // owned, uncapped: the last user message's text read so far
} mockllm_request_t;

// Start reading in's body for a format whose finish names and tool-call ids are finish (static)
// and ids: parse it as mockllm_request_parse does; the script will draw its text from in's
// vocabulary. Returns 0, or its error; then there is nothing to end.
int mockllm_request_begin(mockllm_request_t *self,
                          const mockllm_format_req_t *in,
                          const mockllm_finish_names_t *finish,
                          mockllm_toolcall_ids_t ids,
                          char *err,
                          size_t err_size);
// Count one message of the conversation (a system prompt counts as one): the words of its
// content (as mockllm_request_text reads it) and 3 go to the prompt tokens. When from_user
// and the content holds text, that text becomes the last user message's.
void mockllm_request_message(mockllm_request_t *self, const cJSON *content, bool from_user);
// End the reading: when rc is 0 (the reader found nothing wrong), plan out from it
// (mockllm_script_plan) and echo model back in out, copied (NULL: the caller sets out->model
// itself). Frees what self holds either way. Returns 0, or SL_EINVAL: after a body parsed,
// every failure is an invalid request. On failure out is empty if the plan ran, else as the
// caller left it (readers zero it first).
int mockllm_request_end(mockllm_request_t *self,
                        int rc,
                        const char *model,
                        mockllm_script_t *out,
                        char *err,
                        size_t err_size);

// Write printf-style text into err (err_size bytes, NUL-terminated, truncated). Safe on NULL.
void mockllm_request_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Parse body (len bytes, need not be NUL-terminated) into *root, which the caller then owns
// (cJSON_Delete). Returns 0; SL_EPROTO when it is not one JSON value (err gives the byte
// offset), SL_EINVAL when it is not an object. *root is NULL on failure.
int mockllm_request_parse(const char *body, size_t len, cJSON **root, char *err, size_t err_size);

// obj[name], or obj[alt] when alt is not NULL and obj has no name (Gemini accepts camelCase
// and snake_case). Borrowed from obj; NULL when absent.
const cJSON *mockllm_request_get(const cJSON *obj, const char *name, const char *alt);

// An optional boolean: *out is left alone when the field is absent or null. SL_EINVAL when it
// is another type; err names the field (field: the name to show, e.g. "stream").
int
mockllm_request_bool(const cJSON *item, const char *field, bool *out, char *err, size_t err_size);

// An optional non-negative integer cap, merged into *cap (which stays when the field is absent
// or null; < 0 means no cap yet): the smaller wins. SL_EINVAL when it is not an integer >= 0.
// With allow_negative, a negative integer means "no cap" (Ollama's num_predict -1).
int mockllm_request_cap(const cJSON *item,
                        const char *field,
                        bool allow_negative,
                        int64_t *cap,
                        char *err,
                        size_t err_size);

// The model string: *model is left alone when absent (SL_EINVAL when required), SL_EINVAL when
// not a string or longer than MOCKLLM_SCRIPT_MAX_MODEL bytes. Borrowed from item.
int mockllm_request_model(const cJSON *item,
                          const char *field,
                          bool required,
                          const char **model,
                          char *err,
                          size_t err_size);

// Stop sequences from a string or an array of strings (null: none), added to req->stops.
// Empty strings are skipped. SL_EINVAL on another type, more than MOCKLLM_SCRIPT_MAX_STOPS or
// one over MOCKLLM_REQUEST_MAX_STOP bytes. The strings stay borrowed from item.
int mockllm_request_stops(
    const cJSON *item, const char *field, mockllm_script_req_t *req, char *err, size_t err_size);

// A tool's name, added to req->tool_names (only the first MOCKLLM_DIRECTIVE_MAX_TOOLS are
// kept: no response uses more). SL_EINVAL unless it is a string of 1..MOCKLLM_TOOLCALL_MAX_NAME
// bytes. Borrowed from item.
int mockllm_request_tool(
    const cJSON *item, const char *field, mockllm_script_req_t *req, char *err, size_t err_size);
// Tools declared as Cohere v2 and Ollama take them, in OpenAI's shape: an array of
// {"function":{"name":...}}, absent or null for none; every name goes through
// mockllm_request_tool as "tools[i].function.name". SL_EINVAL when tools is another type
// ("tools must be an array") or a name is bad. (OpenAI's own reader also skips tools of other
// types, and quotes field names in its errors.)
int mockllm_request_function_tools(const cJSON *tools,
                                   mockllm_script_req_t *req,
                                   char *err,
                                   size_t err_size);

// Words in len bytes: maximal runs of non-whitespace.
uint32_t mockllm_request_words(const char *s, size_t len);

// The text of a message's content: a string as is; in an array, the "text" of every part whose
// "type" is "text" or absent, concatenated without separator. Appended to text (may be NULL);
// the words of each piece are added to *words. Returns true when the content holds text (a
// string, even empty, or at least one text part).
bool mockllm_request_text(const cJSON *content, sl_buf_t *text, uint32_t *words);

#endif
