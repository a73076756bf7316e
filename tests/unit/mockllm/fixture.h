// fixture.h - small hand-made scripts that the format tests render byte for byte.
//
// The scripts point at static data: never mockllm_script_destroy them. Text: three tokens that
// need JSON escapes and multi-byte UTF-8 ("Hi", " \"x\"\n\t\\", "é😀"); prompt 9 tokens;
// seed 0xabc; model "m-1". Calls: get_weather {"city": "Paris"} in 3 fragments, then get_time
// {"tz": "東京"} in 2, with the ids the caller gives.
#ifndef MOCKLLM_FIXTURE_H
#define MOCKLLM_FIXTURE_H
#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "script.h"
#include "sl/buf.h"

// A text answer: 3 tokens, the finish as given (the format's word and kind).
mockllm_script_t fixture_text(mockllm_finish_t finish, const char *finish_reason, bool crlf);
// A tool-call answer: n_calls (1 or 2) calls, the 3 tokens before them when text_before.
// id0/id1: the calls' ids (NULL for formats without ids).
mockllm_script_t fixture_calls(
    size_t n_calls, bool text_before, const char *finish_reason, const char *id0, const char *id1);
// s with every "\n" turned into "\r\n", into out (size bytes).
void fixture_crlf(const char *s, char *out, size_t size);
// Render every event of s in fmt and CHECK the result equals want.
void fixture_check_stream(const mockllm_format_t *fmt, const mockllm_script_t *s, const char *want);

#endif
