// sl/bpe.h - a local tokenizer for OpenAI's cl100k_base and o200k_base encodings, to count a
// prompt's tokens when the upstream provider does not report them.
//
// It gives exactly the token ids of js-tiktoken's `encode(text, [], [])` (the version pinned in
// tools/bpe/package.json, on node 20): the text is split into pieces by the encoding's pattern
// (PCRE2, with the character classes of the Unicode version node has), and each piece is
// byte-pair merged, lowest rank first, leftmost first among equal ranks. Special tokens such
// as "<|endoftext|>" are never produced: in a prompt they are text like any other. Text that
// is not valid UTF-8 is read as a browser's TextDecoder reads it, each bad sequence as U+FFFD,
// which is what js-tiktoken sees once such bytes have become a string.
//
// Cost: linear in the text (a piece of n bytes merges in O(n log n)); working memory is about
// 20 bytes per byte of the longest piece, taken once per call and freed before it returns
// (none for pieces of up to 128 bytes); invalid UTF-8 adds a copy of the text. The caller's
// cap on a request's size bounds both. docs/tokenizer.md has the figures.
//
// The vocabulary is a file that sl_bpe_open maps read-only and shared (sl/bpe_vocab.h), so the
// processes that open it share one copy. An open sl_bpe_t is read-only: thread-safe.
#ifndef SL_BPE_H
#define SL_BPE_H
#include <stddef.h>
#include <stdint.h>

typedef struct sl_bpe sl_bpe_t; // opaque

// Where the build puts the vocabulary files and `cmake --install` installs them, relative to
// the directory the binaries are in: <prefix>/bin/../share/sluice/bpe/<encoding>.bpe.
#define SL_BPE_DIR_FROM_BIN "../share/sluice/bpe"

// Map the vocabulary file at path and compile its pattern. NULL with err filled (it names the
// file and what is wrong with it). Caller owns the result.
sl_bpe_t *sl_bpe_open(const char *path, char *err, size_t err_size);
// Unmap and free self, and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_bpe_close(sl_bpe_t **self_p);
// The encoding's name, e.g. "cl100k_base". Borrowed: valid until close.
const char *sl_bpe_name(const sl_bpe_t *self);
// Number of tokens in text (len bytes, any bytes).
size_t sl_bpe_count(const sl_bpe_t *self, const char *text, size_t len);
// The token ids of text (len bytes, any bytes) into out, at most max of them; *n_out is set to
// the number of tokens. Returns 0; SL_ETOOBIG when there are more than max (out holds the
// first max, *n_out the full count).
int sl_bpe_encode(
    const sl_bpe_t *self, const char *text, size_t len, uint32_t *out, size_t max, size_t *n_out);
// The encoding OpenAI's models of that name use, as tiktoken's tables say: "o200k_base" for
// gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4*, chatgpt-4o*; "cl100k_base" for the other
// gpt-4*, gpt-3.5*, gpt-35-turbo*, text-embedding-3*, text-embedding-ada-002; fine-tuned
// "ft:<base>:..." as its base. NULL for any other model: for those a count is an estimate.
// Static string; never to be freed.
const char *sl_bpe_encoding_for_model(const char *model);
// The path of encoding's vocabulary file (e.g. "cl100k_base") in dir, or when dir is NULL in
// the default place: SL_BPE_DIR_FROM_BIN from the directory of the running binary. Returns 0;
// SL_ETOOBIG when it does not fit in size bytes; SL_ESYS when the binary's path is unknown.
int sl_bpe_path(const char *dir, const char *encoding, char *out, size_t size);

#endif
