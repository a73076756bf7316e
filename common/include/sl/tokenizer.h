// sl/tokenizer.h - the vocabularies one process counts tokens with, and which of them counts a
// model's text.
//
// sluice counts tokens itself where an upstream does not report them (docs/tokenizer.md). A
// tokenizer holds the two encodings sl/bpe.h knows, cl100k_base and o200k_base, each mapped
// from <dir>/<encoding>.bpe the first time a model needs it, so a process that never counts
// maps nothing. A vocabulary that cannot be opened is logged once (error) and not tried again:
// the callers then count nothing and streaming goes on without the count. Not thread-safe (the
// opening); the sl_bpe_t it lends is.
#ifndef SL_TOKENIZER_H
#define SL_TOKENIZER_H
#include <stdbool.h>

#include "sl/bpe.h"

typedef struct sl_tokenizer sl_tokenizer_t; // opaque

// The encoding that counts the text of a model OpenAI's tables do not name (other vendors'
// models, or a name with a vendor prefix): any count for those is an estimate.
#define SL_TOKENIZER_FALLBACK "o200k_base"

// New tokenizer for the vocabulary files in dir (copied; NULL: the default place, see
// sl_bpe_path). Opens nothing yet. Caller owns the result; never NULL.
sl_tokenizer_t *sl_tokenizer_new(const char *dir);
// Unmap and free self, and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_tokenizer_destroy(sl_tokenizer_t **self_p);
// The encoding to count model's text with (model NUL-terminated; NULL is an unknown model):
// the one OpenAI's model of that name uses (sl_bpe_encoding_for_model), *exact_p set true; for
// any other model SL_TOKENIZER_FALLBACK, *exact_p set false. NULL when that vocabulary file
// cannot be opened (logged the first time). exact_p may be NULL. Borrowed: valid until
// destroy.
const sl_bpe_t *sl_tokenizer_for_model(sl_tokenizer_t *self, const char *model, bool *exact_p);

#endif
