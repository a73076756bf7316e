// openai.h - the OpenAI Chat Completions format: how the mock says a script the OpenAI way.
//
// Byte shapes follow the recorded API (reference provider-streams.md, sections 1.3-1.5):
//   data: {"id":"chatcmpl-mock-<seed hex>","object":"chat.completion.chunk","created":C,
//          "model":M,"system_fingerprint":"fp_mock","choices":[{"index":0,
//          "delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}
//   one chunk per token with "delta":{"content":<token>}
//   a chunk with "delta":{} and "finish_reason":"stop"|"length"
//   with stream_options.include_usage only: "choices":[] and "usage":{"prompt_tokens":P,
//          "completion_tokens":N,"total_tokens":P+N}
//   data: [DONE]
// Every event is one "data: " line and a blank line, with LF or (crlf=1) CRLF line ends. All
// chunks of one stream share id, created and model. Errors have OpenAI's shape
// {"error":{"message":...,"type":...,"param":null,"code":...}}. Pure; thread-safe.
#ifndef MOCKLLM_OPENAI_H
#define MOCKLLM_OPENAI_H
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "script.h"
#include "sl/buf.h"

#define MOCKLLM_OPENAI_ID_SIZE 40 // "chatcmpl-mock-" + 16 hex digits + NUL, with room

// The OpenAI format, for the server's format table.
extern const mockllm_format_t mockllm_openai_format;

// Write the response id, "chatcmpl-mock-<seed in lowercase hex, no padding>", into id.
void mockllm_openai_id(const mockllm_script_t *script, char id[MOCKLLM_OPENAI_ID_SIZE]);
// The functions behind mockllm_openai_format; contracts in format.h.
size_t mockllm_openai_stream_events(const mockllm_script_t *script);
int64_t mockllm_openai_event_token(const mockllm_script_t *script, size_t i);
int mockllm_openai_stream_event(const mockllm_script_t *script,
                                int64_t created_s,
                                size_t i,
                                sl_buf_t *out);
int mockllm_openai_response(const mockllm_script_t *script, int64_t created_s, sl_buf_t *out);
int mockllm_openai_error(const mockllm_format_error_t *error, sl_buf_t *out);

#endif
