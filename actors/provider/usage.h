// usage.h - one upstream stream's tokens as sluice counts them itself: the prompt, for an
// Anthropic client's message_start when the upstream has not said it yet, and prompt and
// completion for the END of a stream whose upstream reported no usage (docs/tokenizer.md).
//
// The prompt is counted from the normalized request (sl/prompt.h) when first asked for; the
// request's body is kept (a copy, at most limits.max_body_bytes) until then. The completion is
// counted from the deltas the stream produced: each tool call's name, and the text of each
// channel (text, reasoning, one tool call's arguments) with its consecutive deltas joined, in
// pieces of at most PROVIDER_USAGE_CHUNK bytes, so a stream holds at most that much text here;
// where a piece ends, a token may be cut in two (one more per piece at most). The encoding is
// the upstream model's (sl/tokenizer.h). Not thread-safe; one per transfer.
#ifndef PROVIDER_USAGE_H
#define PROVIDER_USAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/tokenizer.h"
#include "sl/wire.h"

#define PROVIDER_USAGE_CHUNK (64u * 1024) // bytes of a channel's text held before they count
// Bytes of a prompt's text counted exactly; past them the rest is scaled (sl_prompt_estimate),
// so counting a prompt of megabytes holds the worker's loop no longer than 256 KiB of text do.
#define PROVIDER_USAGE_PROMPT_EXACT (256u * 1024)

typedef struct provider_usage provider_usage_t; // opaque

// New count for a request to model (copied) with the normalized request body (len bytes,
// copied). tokenizer is borrowed and must outlive the result. Caller owns the result.
provider_usage_t *
provider_usage_new(sl_tokenizer_t *tokenizer, const char *model, const char *body, size_t len);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void provider_usage_destroy(provider_usage_t **self_p);
// The prompt's tokens into *tokens_p; counted at the first call, which frees the body. false
// (and *tokens_p 0) when it cannot be counted: no vocabulary, or a body that is not a
// normalized request.
bool provider_usage_prompt(provider_usage_t *self, uint32_t *tokens_p);
// A delta the stream produced (its strings are read during the call only).
void provider_usage_delta(provider_usage_t *self, const sl_delta_t *delta);
// The tokens of the deltas so far into *tokens_p, clamped to UINT32_MAX. false (and *tokens_p
// 0) when there is no vocabulary.
bool provider_usage_completion(provider_usage_t *self, uint32_t *tokens_p);
// True when model's count is exact as OpenAI's encodings count (an OpenAI model name), false
// when it is an estimate with another vendor's model.
bool provider_usage_is_exact(provider_usage_t *self);

#endif
