// gemini.h - the Gemini generateContent format.
//
// Paths: POST /v1beta/models/{model}:streamGenerateContent?alt=sse (SSE),
//        POST /v1beta/models/{model}:streamGenerateContent (one JSON array, written as it goes),
//        POST /v1beta/models/{model}:generateContent (one response).
// The model comes from the path; other query parameters (key=...) are ignored.
// Request: "contents" (required; role user/model or absent, "parts" with "text" parts counting,
// functionCall/functionResponse parts not), "systemInstruction" (counts as one message),
// "generationConfig.maxOutputTokens", "generationConfig.stopSequences", "tools" (every
// tools[].functionDeclarations[].name, in order). snake_case spellings (system_instruction,
// generation_config, max_output_tokens, stop_sequences, function_declarations) are accepted, as
// the real API does. Gemini sends no tool-call ids.
//
// Each chunk is a GenerateContentResponse in Google's compact style ("key": value, no space
// after ','), docs/providers.md §Gemini:
//   {"candidates": [{"content": {"parts": [<parts>],"role": "model"},["finishReason": R,]
//    "index": 0}],"usageMetadata": {"promptTokenCount": P,"candidatesTokenCount": U,
//    "totalTokenCount": P+U},"modelVersion": M,"responseId": "mock-<seed hex>"}
// one chunk per text token ({"text": <token>}); then, with calls, one chunk holding every call
// whole ({"functionCall": {"name": N,"args": {...}}} parts); the last chunk carries
// "finishReason": "STOP" | "MAX_TOKENS" (calls and stop sequences: STOP). An answer with neither
// text nor calls is one chunk with {"text": ""}. usageMetadata is cumulative on every chunk
// (U = content units so far); counts that are 0 are left out, as proto3 JSON does.
// SSE: "data: <chunk>" lines, always CRLF line ends, no terminator (the connection closes).
// JSON array: "[" + chunk 0 pretty-printed (two-space indent, LF), then "\r\n,\r\n" + each next
// chunk, then "\r\n]". One-shot: the whole answer as one pretty-printed response. pings: none.
// Faults (script.h): malformed= sends "data: {not json" (the array: the element "{not json}",
// then "\r\n]"); error_event= a chunk holding only {"error": {"code": 503,"message": M,
// "status": "UNAVAILABLE"}} (the array: that element, pretty-printed, then "\r\n]"); either
// ends the stream.
// Errors, pretty-printed: {"error": {"code": N,"message": M,"status": S}} with S from the
// status (429 RESOURCE_EXHAUSTED plus a RetryInfo detail whose retryDelay is the error's, "1s"
// by default; 503 UNAVAILABLE ...). Pure;
// thread-safe.
#ifndef MOCKLLM_GEMINI_H
#define MOCKLLM_GEMINI_H

#include "format.h"

// The Gemini format, for the format table.
extern const mockllm_format_t mockllm_gemini_format;

#endif
