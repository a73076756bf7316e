// tokenizer.c - the vocabularies one process counts tokens with (see sl/tokenizer.h).
#include "sl/tokenizer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"

// The encodings sl_bpe knows, in the order of s_encodings' slots.
static const char *const s_names[] = {"cl100k_base", "o200k_base"};
#define S_N_ENCODINGS (sizeof s_names / sizeof s_names[0])

// One encoding: not tried yet, open, or failed for good.
typedef struct {
    sl_bpe_t *bpe; // owned; NULL until opened, or when opening failed
    bool tried;    // opening was tried: a failure is logged once and not retried
} s_encoding_t;

struct sl_tokenizer {
    char *dir;                             // owned; NULL: the default place
    s_encoding_t encodings[S_N_ENCODINGS]; // by the index of the name in s_names
};

sl_tokenizer_t *
sl_tokenizer_new(const char *dir)
{
    sl_tokenizer_t *self = sl_xcalloc(1, sizeof *self);
    self->dir = dir ? sl_xstrdup(dir) : NULL;
    return self;
}

void
sl_tokenizer_destroy(sl_tokenizer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_tokenizer_t *self = *self_p;
    for (size_t i = 0; i < S_N_ENCODINGS; i++)
        sl_bpe_close(&self->encodings[i].bpe);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

// Open encoding i the first time it is asked for; NULL when it cannot be (said once).
static const sl_bpe_t *
s_open(sl_tokenizer_t *self, size_t i)
{
    s_encoding_t *e = &self->encodings[i];
    if (e->tried)
        return e->bpe;
    e->tried = true;
    char path[PATH_MAX], err[512];
    int rc = sl_bpe_path(self->dir, s_names[i], path, sizeof path);
    if (rc < 0) {
        sl_log_error("tokenizer: no path for %s in %s: %s; tokens are not counted locally",
                     s_names[i], self->dir ? self->dir : "the default place", sl_strerror(rc));
        return NULL;
    }
    e->bpe = sl_bpe_open(path, err, sizeof err);
    if (!e->bpe)
        sl_log_error("tokenizer: %s; tokens are not counted locally with %s (tokenizer.dir)", err,
                     s_names[i]);
    else
        sl_log_info("tokenizer: %s mapped from %s", s_names[i], path);
    return e->bpe;
}

const sl_bpe_t *
sl_tokenizer_for_model(sl_tokenizer_t *self, const char *model, bool *exact_p)
{
    const char *name = model ? sl_bpe_encoding_for_model(model) : NULL;
    if (exact_p)
        *exact_p = name != NULL;
    if (!name)
        name = SL_TOKENIZER_FALLBACK;
    for (size_t i = 0; i < S_N_ENCODINGS; i++)
        if (strcmp(s_names[i], name) == 0)
            return s_open(self, i);
    return NULL; // sl_bpe_encoding_for_model named an encoding this table lacks
}
