// vocab.h - the words a script's text is made of: a hostile vocabulary for tests and a plain one
// for the demo.
//
// stress, the default, holds every class of text a stream parser can get wrong: multi-byte UTF-8
// of every length, characters JSON must escape, and content that looks like SSE framing
// ("data:", "[DONE]"), drawn token by token. Every test gets it, so every test sees hostile text.
// plain is ordinary English for people reading the offline demo (`sluice up` starts the mock
// with --vocabulary plain): whole sentences of ASCII words (a leading space before every word
// but the text's first), each ending in '.', '!' or '?', with commas inside; nothing JSON must
// escape. Both are drawn from a mockllm_rng_t, so one seed gives the same tokens on every
// machine. Pure functions over static tables; thread-safe apart from the caller's rng.
#ifndef MOCKLLM_VOCAB_H
#define MOCKLLM_VOCAB_H
#include <stddef.h>

#include "rng.h"

typedef enum {
    MOCKLLM_VOCAB_STRESS = 0, // zero, so a zeroed request or config gets the hostile text
    MOCKLLM_VOCAB_PLAIN,
} mockllm_vocab_t;

// The vocabulary called name ("stress" or "plain"): 0, or SL_EINVAL with *out unchanged.
int mockllm_vocab_by_name(const char *name, mockllm_vocab_t *out);
// The name of vocab. Static; "stress" for a value out of the enum.
const char *mockllm_vocab_name(mockllm_vocab_t vocab);
// Draw the n tokens of a text from rng into tokens[0..n-1], each a fresh NUL-terminated string
// the caller owns (free() each). The tokens depend only on vocab, n and rng's state, and the
// draw for n + 1 tokens may differ from the draw for n in more than the last token: plain fits
// its sentences to n, so that the text ends at a sentence's end whenever n >= 2 (n == 1 is one
// word). Cut a longer draw to get a prefix.
void mockllm_vocab_draw(mockllm_vocab_t vocab, mockllm_rng_t *rng, char **tokens, size_t n);

#endif
