// ollama.h - the Ollama native chat format: POST /api/chat.
//
// Request: "model" (required), "messages" (required, non-empty; content a string), "tools"
// (tools[].function.name), "stream" (default TRUE, as Ollama's), "options.num_predict" (a
// negative value means no cap), "options.stop". Ollama sends no tool-call ids.
//
// Stream (docs/providers.md §Ollama): NDJSON, Content-Type
// application/x-ndjson, one compact object per line ending in "\n" (crlf= and pings= do not
// apply), field order as Ollama's Go structs print them:
//   {"model":M,"created_at":T,"message":{"role":"assistant","content":<token>},"done":false}
//       one per text token
//   {"model":M,"created_at":T,"message":{"role":"assistant","content":"","tool_calls":[
//       {"function":{"name":N,"arguments":{...}}},...]},"done":false}   every call, whole
//   {"model":M,"created_at":T,"message":{"role":"assistant","content":""},"done_reason":R,
//       "done":true,"total_duration":...,"load_duration":1000000,"prompt_eval_count":P,
//       "prompt_eval_duration":P*100000,"eval_count":C,"eval_duration":C*1000000}
// R: "stop" (also for calls and stop sequences) or "length". T is created_s as RFC 3339 UTC
// ("2024-05-01T12:00:00Z"). Metrics that are 0 are left out (Go's omitempty). "stream": false
// gives one object: the whole content and the calls, done_reason, done, metrics. Faults
// (script.h): malformed= sends the line "{not json"; error_event= the line {"error":M}; either
// ends the stream (no done line).
// Errors: {"error": M}. Pure; thread-safe.
#ifndef MOCKLLM_OLLAMA_H
#define MOCKLLM_OLLAMA_H

#include "format.h"

// The Ollama format, for the format table.
extern const mockllm_format_t mockllm_ollama_format;

#endif
