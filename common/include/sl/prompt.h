// sl/prompt.h - the tokens of a normalized request's prompt, counted as OpenAI counts a chat
// prompt, for an upstream that does not report them (docs/tokenizer.md, "What is counted").
//
// The rule, over the normalized request (docs/protocol.md): each message is 3 tokens, plus
// the tokens of its role, of its content (a string, or each text part's text; other parts
// count nothing), of its name and 1 more when it has one, and of each tool call's function
// name and arguments string; ids (tool_call_id, a call's id) count nothing. Then 3 for the
// reply's priming, and when the request has a non-empty "tools" array, the tokens of that
// array as compact JSON (cJSON_PrintUnformatted: no spaces, members in the request's order).
// Each text is counted on its own (sl_bpe_count). Thread-safe: no state.
#ifndef SL_PROMPT_H
#define SL_PROMPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/bpe.h"

// The per-message and per-reply constants of the rule above (OpenAI's chat format).
#define SL_PROMPT_PER_MESSAGE 3
#define SL_PROMPT_PER_NAME    1
#define SL_PROMPT_PRIMING     3

// Count the prompt of body (len bytes of JSON, not NUL-terminated) into *tokens_p, clamped to
// UINT32_MAX. Returns 0; SL_EINVAL when body is not a JSON object whose "messages" is an array
// (*tokens_p is then 0).
int sl_prompt_count(const sl_bpe_t *bpe, const char *body, size_t len, uint32_t *tokens_p);
// The same, counting at most max_exact bytes of text exactly (0: all of it): past them each
// text is scaled at the tokens per byte counted so far, so a prompt of megabytes costs what
// max_exact bytes cost. *estimated_p (may be NULL) says whether any text was scaled; a prompt
// whose texts are within max_exact bytes counts as sl_prompt_count does.
int sl_prompt_estimate(const sl_bpe_t *bpe,
                       const char *body,
                       size_t len,
                       size_t max_exact,
                       uint32_t *tokens_p,
                       bool *estimated_p);

#endif
