// bpe_js_test.c - the tokenizer gives js-tiktoken's token ids: both implementations encode the
// same units of text and every id must be equal.
//
//   bpe_js_test NODE BPE_JS_MJS NODE_MODULES VOCAB_DIR CORPUS_DIR
//
// The units: tests/unit/common/bpe/corpus.txt whole and line by line (prose, code, JSON,
// numbers, whitespace runs, CRLF, emoji with ZWJ sequences, CJK, Arabic, accented Latin,
// special tokens as text...), invalid-utf8.bin line by line (node decodes it as a
// TextDecoder does), and three files made here: long pieces (past the stack merge, so the
// heap merge is compared), a sweep over the code points (every one of the BMP, one in three
// above it), and random bytes. For each encoding node runs bpe_js.mjs over the files and
// prints each unit's ids; the first unit that differs is shown with its text and the tokens
// around the first differing id, decoded. Then the model table against
// getEncodingNameForModel.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "sl/bpe.h"
#include "sl/bpe_vocab.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/mem.h"

#define MAX_FILES 8

// One file of units, as bpe_js.mjs cuts it.
typedef struct {
    char arg[4200]; // "<mode>:<path>" for bpe_js.mjs
    char *data;     // owned: the file's bytes
    size_t len;
    size_t n_units;
    struct {
        size_t off, len;
    } * units; // owned
} s_file_t;

static s_file_t s_files[MAX_FILES];
static size_t s_n_files;

static void
s_add_unit(s_file_t *f, size_t off, size_t len)
{
    f->units = sl_xrealloc(f->units, (f->n_units + 1) * sizeof f->units[0]);
    f->units[f->n_units].off = off;
    f->units[f->n_units].len = len;
    f->n_units++;
}

// Read path and cut it into units: mode "whole", "lines" or "both" (see bpe_js.mjs).
static void
s_add_file(const char *mode, const char *path)
{
    CHECK(s_n_files < MAX_FILES);
    s_file_t *f = &s_files[s_n_files++];
    snprintf(f->arg, sizeof f->arg, "%s:%s", mode, path);
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    f->data = test_read_fd(fileno(fp), 512u << 20, &f->len);
    fclose(fp);
    if (strcmp(mode, "lines") != 0)
        s_add_unit(f, 0, f->len);
    if (strcmp(mode, "whole") != 0) {
        size_t start = 0;
        for (size_t i = 0; i < f->len; i++)
            if (f->data[i] == '\n') {
                s_add_unit(f, start, i + 1 - start);
                start = i + 1;
            }
        if (start < f->len)
            s_add_unit(f, start, f->len - start);
    }
}

static void
s_write(const char *path, const sl_buf_t *b)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    CHECK(fwrite(b->data, 1, b->len, fp) == b->len);
    CHECK(fclose(fp) == 0);
}

static void
s_repeat(sl_buf_t *b, const char *s, size_t times)
{
    for (size_t i = 0; i < times; i++)
        CHECK_INT(sl_buf_append_str(b, s), ==, 0);
}

static void
s_put_cp(sl_buf_t *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63)),
        u[2] = (char)(0x80 | (cp & 63)), n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63)),
        u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63)), n = 4;
    CHECK_INT(sl_buf_append(b, u, n), ==, 0);
}

// Pieces of more than 128 bytes (the heap merge), one a line; js-tiktoken's merge is
// quadratic, so they stay at a few thousand bytes.
static void
s_make_long(const char *path)
{
    sl_buf_t b;
    sl_buf_init(&b, 1u << 20);
    static const struct {
        const char *s;
        size_t times;
    } runs[] = {
        {" ", 300},        {" ", 1500}, {"a", 1000},
        {"ab", 500},       {"1", 999},  {"\xf0\x9f\x99\x82", 300},
        {"\r", 400},       {"\t", 700}, {"\xc3\xbf", 400},
        {"的", 400},       {"x ", 300}, {"A", 700},
        {".,;", 300},      {"Ab", 400}, {"!?", 500},
        {"\xd8\xa7", 500}, {" \n", 1},  {"zZ", 450},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        s_repeat(&b, runs[i].s, runs[i].times);
        CHECK_INT(sl_buf_append_str(&b, i % 2 ? "x\n" : "\n"), ==, 0);
    }
    // Long made-up words: letters from a fixed LCG, so they merge into many different tokens.
    uint32_t seed = 12345;
    for (int w = 0; w < 6; w++) {
        CHECK_INT(sl_buf_append_str(&b, w % 2 ? " " : ""), ==, 0);
        for (int i = 0; i < 1200; i++) {
            seed = seed * 1103515245u + 12345u;
            char c = (char)((w % 3 == 2 ? 'A' : 'a') + (seed >> 16) % 26);
            CHECK_INT(sl_buf_append(&b, &c, 1), ==, 0);
        }
        CHECK_INT(sl_buf_append_str(&b, "\n"), ==, 0);
    }
    s_write(path, &b);
    sl_buf_free(&b);
}

// Each code point of the BMP and one in three above it, in contexts that tell letters, marks,
// numbers and white space apart, 32 code points a line.
static void
s_make_sweep(const char *path)
{
    sl_buf_t b;
    sl_buf_init(&b, 16u << 20);
    size_t on_line = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp += cp < 0x10000 ? 1 : 3) {
        if (cp == '\n' || (cp >= 0xD800 && cp <= 0xDFFF) || (cp > 0x323AF && cp < 0xE0000)
            || (cp > 0xE01EF && cp < 0x10FFF0))
            continue;
        static const char *const ctx[] = {"x", "X", "1", " ", "'s", "\n"};
        for (size_t k = 0; k < 5; k++) {
            s_put_cp(&b, cp);
            CHECK_INT(sl_buf_append_str(&b, ctx[k]), ==, 0);
        }
        if (++on_line == 32) {
            CHECK_INT(sl_buf_append_str(&b, "\n"), ==, 0);
            on_line = 0;
        }
    }
    s_write(path, &b);
    sl_buf_free(&b);
}

static void
s_make_random(const char *path)
{
    sl_buf_t b;
    sl_buf_init(&b, 1u << 20);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 64 * 200; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char c = (char)(x >> 24);
        CHECK_INT(sl_buf_append(&b, &c, 1), ==, 0);
    }
    s_write(path, &b);
    sl_buf_free(&b);
}

// Print len bytes of s escaped, at most max of them.
static void
s_print_escaped(const char *s, size_t len, size_t max)
{
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '"')
            fprintf(stderr, "\\%c", c);
        else if (c >= 0x20 && c != 0x7f)
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    if (len > max)
        fprintf(stderr, "...(%zu bytes)", len);
}

static void
s_print_tokens(const sl_bpe_vocab_t *v, const char *who, const uint32_t *ids, size_t n, size_t at)
{
    fprintf(stderr, "  %-6s", who);
    for (size_t i = at > 3 ? at - 3 : 0; i < n && i < at + 4; i++) {
        size_t len;
        const uint8_t *bytes = sl_bpe_vocab_token(v, ids[i], &len);
        fprintf(stderr, " %s%" PRIu32 "=\"", i == at ? ">" : "", ids[i]);
        s_print_escaped(bytes ? (const char *)bytes : "?", bytes ? len : 1, 40);
        fprintf(stderr, "\"");
    }
    fprintf(stderr, "\n");
}

// Run node with argv (NULL-terminated) and return what it printed. Caller owns the result.
static char *
s_run_node(char *const argv[], size_t *len)
{
    test_proc_t p = test_proc_start(argv, true, NULL);
    CHECK(p.pid > 0);
    char *out = test_read_fd(p.out_fd, 512u << 20, len);
    int status = test_proc_stop(&p, 0, test_ms(120000));
    if (status != 0) {
        fprintf(stderr, "bpe_js_test: node exited with status %d\n", status);
        exit(1);
    }
    return out;
}

// Compare every unit of every file for one encoding; returns the number of tokens compared.
static size_t
s_compare(const char *node,
          const char *script,
          const char *modules,
          const char *vocab_dir,
          const char *encoding)
{
    char path[4096], err[512];
    CHECK_INT(sl_bpe_path(vocab_dir, encoding, path, sizeof path), ==, 0);
    sl_bpe_t *bpe = sl_bpe_open(path, err, sizeof err);
    if (!bpe)
        fprintf(stderr, "%s\n", err);
    CHECK(bpe != NULL);
    sl_bpe_vocab_t *vocab = sl_bpe_vocab_open(path, err, sizeof err);
    CHECK(vocab != NULL);

    char *argv[4 + MAX_FILES + 1] = {(char *)node, (char *)script, (char *)modules,
                                     (char *)encoding};
    for (size_t i = 0; i < s_n_files; i++)
        argv[4 + i] = s_files[i].arg;
    size_t out_len;
    char *out = s_run_node(argv, &out_len);

    size_t cap = 1 << 16, units = 0, tokens = 0, next_f = 0, next_u = 0;
    uint32_t *js = sl_xcalloc(cap, sizeof *js), *c = sl_xcalloc(cap, sizeof *c);
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *p = line;
        size_t f = strtoul(p, &p, 10), u = strtoul(p, &p, 10), n = strtoul(p, &p, 10);
        // Units arrive in order, each once.
        while (next_f < s_n_files && next_u == s_files[next_f].n_units)
            next_f++, next_u = 0;
        CHECK_INT(f, ==, next_f);
        CHECK_INT(u, ==, next_u);
        next_u++;
        if (n > cap) {
            cap = n;
            js = sl_xrealloc(js, cap * sizeof *js);
            c = sl_xrealloc(c, cap * sizeof *c);
        }
        for (size_t i = 0; i < n; i++)
            js[i] = (uint32_t)strtoul(p, &p, 10);
        const char *text = s_files[f].data + s_files[f].units[u].off;
        size_t len = s_files[f].units[u].len, got;
        int rc = sl_bpe_encode(bpe, text, len, c, cap, &got);
        CHECK_INT(sl_bpe_count(bpe, text, len), ==, got);
        size_t at = 0;
        while (at < n && at < got && js[at] == c[at])
            at++;
        if (rc != 0 || got != n || at < n) {
            fprintf(stderr,
                    "bpe_js_test: %s: %s, unit %zu: js-tiktoken gives %zu tokens, we give %zu;"
                    " first difference at token %zu\n  text   \"",
                    encoding, s_files[f].arg, u, n, got, at);
            s_print_escaped(text, len, 300);
            fprintf(stderr, "\"\n");
            s_print_tokens(vocab, "js", js, n, at);
            s_print_tokens(vocab, "c", c, got < cap ? got : cap, at);
            exit(1);
        }
        units++;
        tokens += n;
    }
    size_t want = 0;
    for (size_t i = 0; i < s_n_files; i++)
        want += s_files[i].n_units;
    CHECK_INT(units, ==, want); // node answered for every unit
    printf("bpe_js_test: %s: %zu units, %zu tokens, all equal to js-tiktoken's\n", encoding, units,
           tokens);
    free(js);
    free(c);
    free(out);
    sl_bpe_vocab_close(&vocab);
    sl_bpe_close(&bpe);
    return tokens;
}

// sl_bpe_encoding_for_model against getEncodingNameForModel: where js-tiktoken says
// cl100k_base or o200k_base we say the same; where it says another encoding or knows no such
// model, we say none.
static void
s_compare_models(const char *node, const char *script, const char *modules)
{
    static const char *const models[] = {"gpt-4o",
                                         "gpt-4o-mini",
                                         "gpt-4o-2024-05-13",
                                         "gpt-4o-2024-11-20",
                                         "gpt-4o-search-preview",
                                         "gpt-4o-audio-preview-2024-12-17",
                                         "gpt-4o-realtime-preview-2024-10-01",
                                         "gpt-4o-mini-realtime-preview",
                                         "chatgpt-4o-latest",
                                         "gpt-4.1",
                                         "gpt-4.1-mini",
                                         "gpt-4.1-nano-2025-04-14",
                                         "gpt-4.5-preview",
                                         "gpt-4.5-preview-2025-02-27",
                                         "gpt-5",
                                         "gpt-5-mini",
                                         "gpt-5-nano-2025-08-07",
                                         "gpt-5-chat-latest",
                                         "o1",
                                         "o1-mini",
                                         "o1-preview-2024-09-12",
                                         "o1-pro",
                                         "o3",
                                         "o3-mini",
                                         "o3-2025-04-16",
                                         "o4-mini",
                                         "o4-mini-2025-04-16",
                                         "gpt-4",
                                         "gpt-4-0613",
                                         "gpt-4-32k",
                                         "gpt-4-32k-0314",
                                         "gpt-4-turbo",
                                         "gpt-4-turbo-2024-04-09",
                                         "gpt-4-1106-preview",
                                         "gpt-4-vision-preview",
                                         "gpt-3.5-turbo",
                                         "gpt-3.5-turbo-16k",
                                         "gpt-3.5-turbo-0125",
                                         "gpt-3.5-turbo-instruct",
                                         "gpt-35-turbo",
                                         "text-embedding-ada-002",
                                         "text-embedding-3-small",
                                         "text-embedding-3-large",
                                         "text-davinci-003",
                                         "davinci",
                                         "code-davinci-002",
                                         "text-davinci-edit-001",
                                         "gpt2",
                                         "claude-sonnet-4-5",
                                         "gemini-2.5-pro",
                                         "llama3",
                                         "mistral-large",
                                         "command-r",
                                         ""};
    size_t n = sizeof models / sizeof models[0];
    char *argv[3 + sizeof models / sizeof models[0] + 2] = {(char *)node, (char *)script,
                                                            (char *)modules, "models"};
    for (size_t i = 0; i < n; i++)
        argv[4 + i] = (char *)models[i];
    size_t len;
    char *out = s_run_node(argv, &len);
    char *save = NULL, *line = strtok_r(out, "\n", &save);
    for (size_t i = 0; i < n; i++, line = strtok_r(NULL, "\n", &save)) {
        CHECK(line != NULL);
        const char *ours = sl_bpe_encoding_for_model(models[i]);
        bool shipped = strcmp(line, "cl100k_base") == 0 || strcmp(line, "o200k_base") == 0;
        if (shipped ? !ours || strcmp(ours, line) != 0 : ours != NULL) {
            fprintf(stderr, "bpe_js_test: model \"%s\": js-tiktoken %s, we %s\n", models[i], line,
                    ours ? ours : "(none)");
            exit(1);
        }
    }
    printf("bpe_js_test: %zu model names agree with getEncodingNameForModel\n", n);
    free(out);
}

int
main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bpe_js_test NODE BPE_JS_MJS NODE_MODULES VOCAB_DIR CORPUS_DIR\n");
        return 2;
    }
    const char *node = argv[1], *script = argv[2], *modules = argv[3], *vocab = argv[4];
    char dir[4096], path[4200];
    test_tmpdir("bpe_js_test", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/corpus.txt", argv[5]);
    s_add_file("both", path);
    snprintf(path, sizeof path, "%s/invalid-utf8.bin", argv[5]);
    s_add_file("lines", path);
    snprintf(path, sizeof path, "%s/long.txt", dir);
    s_make_long(path);
    s_add_file("lines", path);
    snprintf(path, sizeof path, "%s/sweep.txt", dir);
    s_make_sweep(path);
    s_add_file("lines", path);
    snprintf(path, sizeof path, "%s/random.bin", dir);
    s_make_random(path);
    s_add_file("whole", path);

    s_compare(node, script, modules, vocab, "cl100k_base");
    s_compare(node, script, modules, vocab, "o200k_base");
    s_compare_models(node, script, modules);
    for (size_t i = 0; i < s_n_files; i++) {
        free(s_files[i].data);
        free(s_files[i].units);
    }
    test_tmpdir_remove(dir);
    printf("bpe_js_test: ok\n");
    return 0;
}
