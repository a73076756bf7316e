// sl/bpe_vocab.h - a byte-pair-encoding vocabulary file: every token's bytes and rank, and
// the pattern that splits text into pieces, laid out to be mapped, never copied.
//
// sluice runs about seven processes and each may count tokens, so the vocabulary (4 MiB for
// cl100k_base, 8 MiB for o200k_base) is one file that every process maps read-only and shared:
// they all read the same page-cache pages. The file holds a hash table from bytes to rank and
// a table from rank to bytes, both checked to stay inside the file when it is opened, so a
// damaged file gives an error at open and never a read out of bounds later.
//
// sl_bpe_vocab_write makes the file (tools/bpe/bpe_convert.c does, at build time); it writes
// a temporary file and renames it over path, so a process that has the old file mapped keeps
// reading the old inode. The format is in docs/tokenizer.md. An open vocabulary is read-only:
// thread-safe.
#ifndef SL_BPE_VOCAB_H
#define SL_BPE_VOCAB_H
#include <stddef.h>
#include <stdint.h>

typedef struct sl_bpe_vocab sl_bpe_vocab_t; // opaque

#define SL_BPE_NO_RANK         UINT32_MAX // sl_bpe_vocab_rank: the bytes are no token
#define SL_BPE_MAX_TOKEN_LEN   255        // longest token the format holds, in bytes
#define SL_BPE_MAX_RANKS       (1u << 24) // ranks are below this
#define SL_BPE_MAX_NAME_LEN    31         // an encoding's name, e.g. "cl100k_base"
#define SL_BPE_MAX_PATTERN_LEN 65536      // the split pattern, in bytes

// Write a vocabulary file. Rank r is the lens[r] bytes at tokens[r]; lens[r] == 0 leaves rank
// r out (a gap). name is the encoding's name; pattern is a PCRE2 pattern, used as is with
// PCRE2_UTF | PCRE2_UCP. Returns 0; SL_EINVAL with err filled (a token too long, a duplicate,
// a name or pattern too long, too many ranks); SL_ESYS with err filled when the file cannot
// be written.
int sl_bpe_vocab_write(const char *path,
                       const char *name,
                       const char *pattern,
                       const uint8_t *const *tokens,
                       const uint32_t *lens,
                       uint32_t n_ranks,
                       char *err,
                       size_t err_size);
// Map the vocabulary file at path (read-only, shared). NULL with err filled: it names the file
// and says what is wrong with it. Caller owns the result.
sl_bpe_vocab_t *sl_bpe_vocab_open(const char *path, char *err, size_t err_size);
// Unmap and free self, and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_bpe_vocab_close(sl_bpe_vocab_t **self_p);
// The rank of the len bytes at bytes, or SL_BPE_NO_RANK when they are no token.
uint32_t sl_bpe_vocab_rank(const sl_bpe_vocab_t *self, const uint8_t *bytes, size_t len);
// The bytes of rank (*len_out set); NULL when rank is no token. Borrowed: valid until close.
const uint8_t *sl_bpe_vocab_token(const sl_bpe_vocab_t *self, uint32_t rank, size_t *len_out);
// Ranks are below this (gaps included).
uint32_t sl_bpe_vocab_n_ranks(const sl_bpe_vocab_t *self);
// Length of the longest token, in bytes.
size_t sl_bpe_vocab_max_token_len(const sl_bpe_vocab_t *self);
// The encoding's name and the split pattern. Borrowed, NUL-terminated: valid until close.
const char *sl_bpe_vocab_name(const sl_bpe_vocab_t *self);
const char *sl_bpe_vocab_pattern(const sl_bpe_vocab_t *self);
// The mapping itself (*len_out set to its size in bytes), for checks that it is shared.
const void *sl_bpe_vocab_map(const sl_bpe_vocab_t *self, size_t *len_out);

#endif
