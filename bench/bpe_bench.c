// bpe_bench.c - sluice-bench-bpe: how fast the tokenizer opens and encodes (docs/tokenizer.md).
//
//   sluice-bench-bpe [VOCAB_DIR [CORPUS]]
//
// For each encoding: the time sl_bpe_open takes (map, check, compile and JIT the pattern), the
// encoding rate on CORPUS (tests/unit/common/bpe/corpus.txt when run from the source tree),
// and the worst shapes of input we know, 1 MiB each: one run of spaces, of newlines, of
// digits, one word of one letter, of varied letters, of capitals, words of 128 varied letters, of
// CJK, of emoji, random bytes (invalid UTF-8), short words. VOCAB_DIR defaults to where sl_bpe_path
// looks.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl/bpe.h"
#include "sl/mem.h"

#define MIB (1u << 20)

static double
s_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Fill text (MIB bytes) with shape; returns its length (a whole number of characters).
static size_t
s_shape(const char *shape, char *text)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    size_t n = 0;
    while (n + 8 <= MIB) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (strcmp(shape, "spaces") == 0) {
            text[n++] = ' ';
        } else if (strcmp(shape, "newlines") == 0) {
            text[n++] = '\n';
        } else if (strcmp(shape, "digits") == 0) {
            text[n] = (char)('0' + n % 10), n++;
        } else if (strcmp(shape, "one-letter word") == 0) {
            text[n++] = 'a';
        } else if (strcmp(shape, "varied word") == 0) {
            text[n++] = (char)('a' + x % 26);
        } else if (strcmp(shape, "128-letter words") == 0) {
            text[n] = n % 128 == 0 ? ' ' : (char)('a' + x % 26), n++;
        } else if (strcmp(shape, "capitals word") == 0) {
            text[n++] = (char)('A' + x % 26);
        } else if (strcmp(shape, "cjk") == 0) {
            unsigned cp = 0x4E00 + (unsigned)(x % 20000);
            text[n++] = (char)(0xE0 | cp >> 12), text[n++] = (char)(0x80 | ((cp >> 6) & 63));
            text[n++] = (char)(0x80 | (cp & 63));
        } else if (strcmp(shape, "emoji zwj") == 0) {
            memcpy(text + n, "\xf0\x9f\x91\xa9\xe2\x80\x8d", 7), n += 7; // woman, ZWJ
        } else if (strcmp(shape, "random bytes") == 0) {
            text[n++] = (char)(x >> 24);
        } else { // short words
            static const char *const words[] = {" the", " cat", " sat", ",", " on", " a", " mat."};
            size_t len = strlen(words[x % 7]);
            memcpy(text + n, words[x % 7], len), n += len;
        }
    }
    return n;
}

int
main(int argc, char **argv)
{
    static const char *const shapes[] = {"spaces",          "newlines",    "digits",
                                         "one-letter word", "varied word", "128-letter words",
                                         "capitals word",   "cjk",         "emoji zwj",
                                         "random bytes",    "short words"};
    static const char *const encodings[] = {"cl100k_base", "o200k_base"};
    const char *dir = argc > 1 ? argv[1] : NULL;
    const char *corpus_path = argc > 2 ? argv[2] : "tests/unit/common/bpe/corpus.txt";
    char *corpus = sl_xcalloc(MIB, 1), *text = sl_xcalloc(MIB, 1);
    size_t corpus_len = 0;
    FILE *f = fopen(corpus_path, "rb");
    if (f) {
        corpus_len = fread(corpus, 1, MIB, f);
        fclose(f);
    }
    for (size_t e = 0; e < 2; e++) {
        char path[4096], err[512];
        if (sl_bpe_path(dir, encodings[e], path, sizeof path) != 0) {
            fprintf(stderr, "sluice-bench-bpe: no path for %s\n", encodings[e]);
            return 1;
        }
        double t0 = s_now_s();
        sl_bpe_t *bpe = sl_bpe_open(path, err, sizeof err);
        double open_ms = (s_now_s() - t0) * 1e3;
        if (!bpe) {
            fprintf(stderr, "sluice-bench-bpe: %s\n", err);
            return 1;
        }
        printf("%s: open %.1f ms (%s)\n", encodings[e], open_ms, path);
        if (corpus_len) {
            size_t tokens = 0, rounds = 0;
            t0 = s_now_s();
            while (s_now_s() - t0 < 1.0 || rounds < 3) {
                tokens += sl_bpe_count(bpe, corpus, corpus_len);
                rounds++;
            }
            double s = s_now_s() - t0;
            printf("  corpus %zu bytes: %.1f MB/s, %.2f M tokens/s (%zu tokens)\n", corpus_len,
                   (double)corpus_len * (double)rounds / s / 1e6, (double)tokens / s / 1e6,
                   tokens / rounds);
        }
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            size_t len = s_shape(shapes[i], text);
            t0 = s_now_s();
            size_t tokens = sl_bpe_count(bpe, text, len);
            double ms = (s_now_s() - t0) * 1e3;
            printf("  1 MiB %-16s %7.1f ms  %8zu tokens\n", shapes[i], ms, tokens);
        }
        sl_bpe_close(&bpe);
    }
    free(corpus);
    free(text);
    return 0;
}
