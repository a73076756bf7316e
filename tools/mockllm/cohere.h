// cohere.h - the Cohere v2 chat format: POST /v2/chat.
//
// Request: "model" (required), "messages" (required; roles system/user/assistant/tool, content a
// string, an array of {"type":"text"} parts, or absent), "tools" (tools[].function.name),
// "max_tokens", "stop_sequences", "stream". Tool-call ids: "<name>_" + 12 base36.
//
// Stream (docs/providers.md §Cohere), every event an "event: <type>" line and
// a "data: " line whose JSON "type" is the same name, then a blank line (LF, or CRLF with
// crlf=1):
//   message-start   {"type":"message-start","id":<uuid from the seed>,"delta":{"message":
//                    {"role":"assistant","content":[],"tool_plan":"","tool_calls":[],
//                    "citations":[]}}}
//   without calls: content-start (index 0, {"type":"text","text":""}), one content-delta
//                    {"text":<token>} per token, content-end
//   with calls: one tool-plan-delta {"tool_plan":<token>} per text token (text_before=1), then
//                    per call i: tool-call-start (index i, tool_calls {"id","type":"function",
//                    "function":{"name","arguments":""}}), one tool-call-delta per fragment
//                    (tool_calls {"function":{"arguments":<fragment>}}), tool-call-end
//   message-end     {"type":"message-end","delta":{"finish_reason":R,"usage":{"billed_units":
//                    {"input_tokens":P,"output_tokens":C},"tokens":{"input_tokens":P,
//                    "output_tokens":C}}}}   R: COMPLETE|MAX_TOKENS|TOOL_CALL|STOP_SEQUENCE
//   data: [DONE]    (a data-only event, as the fixtures end)
// Faults (script.h): malformed= sends "event: content-delta" with "data: {not json";
// error_event= sends message-end {"type":"message-end","delta":{"finish_reason":"ERROR",
// "error":M}}; either ends the stream (no [DONE]). pings: none. One-shot:
// {"id","finish_reason","message":{"role":"assistant","content":[{"type": "text","text":...}]} or,
// with calls, {"role","tool_plan"?,"tool_calls":[...]},"usage":{...}}. Errors: {"message": M}.
// Pure; thread-safe.
#ifndef MOCKLLM_COHERE_H
#define MOCKLLM_COHERE_H

#include "format.h"

// The Cohere v2 format, for the format table.
extern const mockllm_format_t mockllm_cohere_format;

#endif
