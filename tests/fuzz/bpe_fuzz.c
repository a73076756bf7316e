// bpe_fuzz.c - libFuzzer target for the tokenizer: any bytes, either encoding.
//
// Input layout: byte 0 picks the encoding (even: cl100k_base, odd: o200k_base), the rest is the
// text. Checks: the count equals the number of ids; every id is a token; the ids' bytes put
// together give back the text when it is valid UTF-8, and valid UTF-8 when it is not (each bad
// sequence read as U+FFFD); a short out array gives SL_ETOOBIG, the same count and the same
// first ids. BPE_DIR is the build's vocabulary directory (tests/fuzz/CMakeLists.txt).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/bpe.h"
#include "sl/bpe_vocab.h"
#include "sl/err.h"
#include "sl/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sl_bpe_t *s_bpe[2];
static sl_bpe_vocab_t *s_vocab[2];

static void
s_fail(const char *what)
{
    fprintf(stderr, "bpe_fuzz: %s\n", what);
    abort();
}

static void
s_open(void)
{
    static const char *const names[] = {"cl100k_base", "o200k_base"};
    for (int i = 0; i < 2; i++) {
        char path[4096], err[512];
        if (sl_bpe_path(BPE_DIR, names[i], path, sizeof path) != 0)
            s_fail("path");
        s_bpe[i] = sl_bpe_open(path, err, sizeof err);
        s_vocab[i] = sl_bpe_vocab_open(path, err, sizeof err);
        if (!s_bpe[i] || !s_vocab[i])
            s_fail(err);
    }
}

// Whether s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
static int
s_utf8_ok(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t b = s[i];
        size_t need = b < 0x80                 ? 0
                      : b >= 0xC2 && b <= 0xDF ? 1
                      : b >= 0xE0 && b <= 0xEF ? 2
                      : b >= 0xF0 && b <= 0xF4 ? 3
                                               : 9;
        if (need == 9 || need >= len - i)
            return need == 0;
        uint8_t lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
        uint8_t hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
        for (size_t k = 1; k <= need; k++, lo = 0x80, hi = 0xBF)
            if (s[i + k] < lo || s[i + k] > hi)
                return 0;
        i += need + 1;
    }
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_bpe[0])
        s_open();
    if (size == 0)
        return 0;
    int e = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    size_t max = 3 * len + 1, n = 0, n_short = 0;
    uint32_t *ids = sl_xcalloc(max, sizeof *ids);
    if (sl_bpe_encode(s_bpe[e], text, len, ids, max, &n) != 0)
        s_fail("encode with room for every id failed");
    if (sl_bpe_count(s_bpe[e], text, len) != n)
        s_fail("count differs from encode");
    uint8_t *back = sl_xcalloc(3 * len + 1, 1);
    size_t back_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t tlen;
        const uint8_t *t = sl_bpe_vocab_token(s_vocab[e], ids[i], &tlen);
        if (!t || back_len + tlen > 3 * len)
            s_fail("an id that is no token, or too many bytes");
        memcpy(back + back_len, t, tlen);
        back_len += tlen;
    }
    if (!s_utf8_ok(back, back_len))
        s_fail("the ids do not give back UTF-8");
    if (s_utf8_ok(data + 1, len) && (back_len != len || memcmp(back, text, len) != 0))
        s_fail("the ids do not give back the text");
    if (n > 0) {
        uint32_t *few = sl_xcalloc(n, sizeof *few);
        if (sl_bpe_encode(s_bpe[e], text, len, few, n - 1, &n_short) != SL_ETOOBIG || n_short != n
            || memcmp(few, ids, (n - 1) * sizeof *ids) != 0)
            s_fail("a short out array");
        free(few);
    }
    free(back);
    free(ids);
    return 0;
}
