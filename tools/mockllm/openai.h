// openai.h - the OpenAI Chat Completions format: POST /v1/chat/completions.
//
// Request: "messages" (required; content a string, an array of parts or null), "model"
// (optional, "mock-1" when absent), "stream", "stream_options.include_usage", "max_tokens" /
// "max_completion_tokens" (the smaller caps), "stop" (a string or an array), "tools"
// (tools[].function.name of the "function" tools). Tool-call ids: "call_" + 24 base62.
//
// Stream (docs/providers.md §OpenAI), every event one "data: " line and a
// blank line, LF or (crlf=1) CRLF:
//   {"id":"chatcmpl-mock-<seed hex>","object":"chat.completion.chunk","created":C,"model":M,
//    "system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"role":"assistant",
//    "content":""},"logprobs":null,"finish_reason":null}]}       (content null: calls only)
//   one chunk per text token, "delta":{"content":<token>}
//   per call: "delta":{"tool_calls":[{"index":i,"id":...,"type":"function","function":{"name":
//    N,"arguments":""}}]}, then one chunk per fragment "delta":{"tool_calls":[{"index":i,
//    "function":{"arguments":<fragment>}}]}
//   "delta":{} with "finish_reason": "stop" | "length" | "tool_calls" (a stop sequence: "stop")
//   with stream_options.include_usage only: "choices":[] and "usage":{"prompt_tokens":P,
//    "completion_tokens":N,"total_tokens":P+N}
//   data: [DONE]
// pings=1 puts a ": keepalive" comment block between every two events. Faults (script.h):
// malformed= sends "data: {not json"; error_event= sends data: {"error":{"message":...,"type":
// "server_error","param":null,"code":null}}; either ends the stream (no finish, no [DONE]). All
// chunks of one stream share id, created and model. One-shot: a "chat.completion" object whose
// message has "content" (null when there are calls and no text) and "tool_calls". Errors:
// {"error":{"message":...,"type":...,"param":null,"code":...}}. Pure; thread-safe.
#ifndef MOCKLLM_OPENAI_H
#define MOCKLLM_OPENAI_H
#include <stdint.h>

#include "format.h"
#include "script.h"

#define MOCKLLM_OPENAI_ID_SIZE 40 // "chatcmpl-mock-" + 16 hex digits + NUL, with room

// The OpenAI format, for the format table.
extern const mockllm_format_t mockllm_openai_format;

// Write the response id, "chatcmpl-mock-<seed in lowercase hex, no padding>", into id.
void mockllm_openai_id(const mockllm_script_t *script, char id[MOCKLLM_OPENAI_ID_SIZE]);

#endif
