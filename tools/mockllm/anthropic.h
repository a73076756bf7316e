// anthropic.h - the Anthropic Messages format: POST /v1/messages.
//
// Request: "model" and "max_tokens" (both required, as the real API requires them), "messages"
// (required; roles user/assistant, content a string or an array of blocks: "text" blocks
// count, tool_use/tool_result blocks do not), "system" (a string or text blocks; counts as one
// message), "tools" (tools[].name), "stop_sequences", "stream". Tool-call ids: "toolu_01" + 22
// base62.
//
// Stream (docs/providers.md §Anthropic), every event an "event: <type>" line,
// a "data: " line whose JSON "type" is the same name, and a blank line (LF, or CRLF with crlf=1):
//   message_start  {"type":"message_start","message":{"id":"msg_mock_<seed hex>","type":
//                   "message","role":"assistant","model":M,"content":[],"stop_reason":null,
//                   "stop_sequence":null,"usage":{"input_tokens":P,"output_tokens":1}}}
//   a text block at index 0 when there is text or no call: content_block_start {"type":"text",
//                   "text":""}, one content_block_delta {"type":"text_delta","text":<token>} per
//                   token, content_block_stop
//   per call, at the next index: content_block_start {"type":"tool_use","id":...,"name":N,
//                   "input":{}}, a content_block_delta {"type":"input_json_delta",
//                   "partial_json":""}, one per fragment, content_block_stop
//   message_delta  {"type":"message_delta","delta":{"stop_reason":R,"stop_sequence":S|null},
//                   "usage":{"output_tokens":C}}   R: end_turn|max_tokens|tool_use|stop_sequence
//   message_stop   {"type":"message_stop"}
// pings=1 puts "event: ping" / {"type": "ping"} between every two events. Faults (script.h):
// malformed= sends "event: content_block_delta" with "data: {not json"; error_event= sends
// "event: error" with {"type":"error","error":{"type":"overloaded_error","message":
// "Overloaded"}}; either ends the stream (no message_stop). One-shot: a "message"
// object with content blocks (tool_use "input" as an object). Errors: {"type":"error","error":
// {"type":T,"message":M},"request_id":"req_mock"}, T from the status (429 rate_limit_error,
// 529 overloaded_error, ...). Pure; thread-safe.
#ifndef MOCKLLM_ANTHROPIC_H
#define MOCKLLM_ANTHROPIC_H

#include "format.h"

// The Anthropic format, for the format table.
extern const mockllm_format_t mockllm_anthropic_format;

#endif
