// request.h - reading request bodies: the checks and text rules every format's reader shares.
//
// Each format module reads its own request shape; these helpers make the parts they have in
// common behave the same everywhere: JSON parse errors with byte offsets, typed optional
// fields with error messages naming the field, the text of a message, word counts, stop
// sequences and tool names, all capped. Not thread-safe (cJSON's error pointer is global).
#ifndef MOCKLLM_REQUEST_H
#define MOCKLLM_REQUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "script.h"
#include "sl/buf.h"

#define MOCKLLM_REQUEST_MAX_STOP 1024 // bytes of one stop sequence

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

// Words in len bytes: maximal runs of non-whitespace.
uint32_t mockllm_request_words(const char *s, size_t len);

// The text of a message's content: a string as is; in an array, the "text" of every part whose
// "type" is "text" or absent, concatenated without separator. Appended to text (may be NULL);
// the words of each piece are added to *words. Returns true when the content holds text (a
// string, even empty, or at least one text part).
bool mockllm_request_text(const cJSON *content, sl_buf_t *text, uint32_t *words);

#endif
