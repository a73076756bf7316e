// bpe_test.c - the tokenizer's API: errors at open, the merge order on a vocabulary made here,
// edge cases of the real encodings, SL_ETOOBIG, the model table, the default path, the 1 MiB
// worst cases against a loose time bound, and that two processes share the mapped file.
// argv[1] is the directory of the vocabulary files (tools/bpe builds them).
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "sl/bpe.h"
#include "sl/bpe_vocab.h"
#include "sl/err.h"
#include "sl/mem.h"

static char s_dir[4096]; // the test's temporary directory

static sl_bpe_t *
s_open(const char *dir, const char *encoding)
{
    char path[4200], err[512];
    CHECK_INT(sl_bpe_path(dir, encoding, path, sizeof path), ==, 0);
    sl_bpe_t *bpe = sl_bpe_open(path, err, sizeof err);
    if (!bpe)
        fprintf(stderr, "%s\n", err);
    CHECK(bpe != NULL);
    return bpe;
}

static void
s_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

// Opening what is not a whole vocabulary file fails with an error that names the file and
// what is wrong.
static void
test_open_errors(const char *vocab_dir)
{
    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/missing.bpe", s_dir);
    CHECK(sl_bpe_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, path) != NULL);
    CHECK(strstr(err, "cannot open") != NULL);

    snprintf(path, sizeof path, "%s/garbage.bpe", s_dir);
    char garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)(i * 7 + 3);
    s_write_bytes(path, garbage, sizeof garbage);
    CHECK(sl_bpe_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, path) != NULL);
    CHECK(strstr(err, "not a vocabulary file") != NULL);

    s_write_bytes(path, "short", 5);
    CHECK(sl_bpe_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "too short") != NULL);

    CHECK(sl_bpe_open(s_dir, err, sizeof err) == NULL); // a directory
    CHECK(strstr(err, "not a regular file") != NULL);

    // A real file cut short, then damaged.
    char real[4200];
    CHECK_INT(sl_bpe_path(vocab_dir, "cl100k_base", real, sizeof real), ==, 0);
    sl_bpe_vocab_t *v = sl_bpe_vocab_open(real, err, sizeof err);
    CHECK(v != NULL);
    size_t len;
    const uint8_t *map = sl_bpe_vocab_map(v, &len);
    uint8_t *copy = sl_xcalloc(len, 1);
    memcpy(copy, map, len);
    s_write_bytes(path, copy, len - 8);
    CHECK(sl_bpe_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "size differs from its header") != NULL);
    // A hash slot that names a rank past the end.
    for (size_t off = 128; off + 8 <= len; off += 8) {
        uint32_t rank_len;
        memcpy(&rank_len, copy + off + 4, 4);
        if (rank_len != 0) {
            memcpy(copy + off + 4, "\x01\xff\xff\xff", 4);
            break;
        }
    }
    s_write_bytes(path, copy, len);
    CHECK(sl_bpe_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "hash slot does not match its rank") != NULL);
    uint32_t swapped = __builtin_bswap32(0x01020304u); // the byte order of another machine
    memcpy(copy + 8, &swapped, 4);
    s_write_bytes(path, copy, len);
    CHECK(sl_bpe_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "byte order") != NULL);
    free(copy);
    sl_bpe_vocab_close(&v);
    sl_bpe_vocab_close(&v); // a second close is a no-op
}

// A vocabulary made here: the 256 bytes, then "aa", "aaaa", "bc", "ab" in that rank order,
// split on white space. The merge order is then known by hand.
static void
test_merge_order(void)
{
    uint8_t bytes[256];
    const uint8_t *tokens[260];
    uint32_t lens[260];
    for (int i = 0; i < 256; i++) {
        bytes[i] = (uint8_t)i;
        tokens[i] = &bytes[i];
        lens[i] = 1;
    }
    static const char *const merges[] = {"aa", "aaaa", "bc", "ab"};
    for (int i = 0; i < 4; i++) {
        tokens[256 + i] = (const uint8_t *)merges[i];
        lens[256 + i] = (uint32_t)strlen(merges[i]);
    }
    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/tiny.bpe", s_dir);
    CHECK_INT(sl_bpe_vocab_write(path, "tiny", "\\S+|\\s+", tokens, lens, 260, err, sizeof err), ==,
              0);
    sl_bpe_t *bpe = sl_bpe_open(path, err, sizeof err);
    CHECK(bpe != NULL);
    CHECK_STR(sl_bpe_name(bpe), "tiny");

    static const struct {
        const char *text;
        size_t n;
        uint32_t ids[6];
    } cases[] = {
        {"abc", 2, {'a', 258}},    // bc (258) before ab (259): lowest rank first
        {"aaa", 2, {256, 'a'}},    // equal ranks: leftmost first
        {"aaaaaa", 2, {257, 256}}, // aa aa aa, then aaaa from the left
        {"abcab c", 5, {'a', 258, 259, ' ', 'c'}},
        {"xyz", 3, {'x', 'y', 'z'}}, // nothing merges
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t ids[8];
        size_t n;
        CHECK_INT(sl_bpe_encode(bpe, cases[i].text, strlen(cases[i].text), ids, 8, &n), ==, 0);
        CHECK_INT(n, ==, cases[i].n);
        for (size_t k = 0; k < n; k++)
            CHECK_INT(ids[k], ==, cases[i].ids[k]);
    }
    // A lone bad byte is read as U+FFFD (EF BF BD), as a TextDecoder reads it.
    uint32_t ids[8];
    size_t n;
    CHECK_INT(sl_bpe_encode(bpe, "\xff", 1, ids, 8, &n), ==, 0);
    CHECK_INT(n, ==, 3);
    CHECK_INT(ids[0], ==, 0xef);
    CHECK_INT(ids[1], ==, 0xbf);
    CHECK_INT(ids[2], ==, 0xbd);

    // Long pieces take the heap merge: 1000 a's are 500 aa, then 250 aaaa; 999 leave an aa and
    // an a at the end.
    char *as = sl_xcalloc(1001, 1);
    memset(as, 'a', 1000);
    uint32_t *out = sl_xcalloc(1000, sizeof *out);
    CHECK_INT(sl_bpe_encode(bpe, as, 1000, out, 1000, &n), ==, 0);
    CHECK_INT(n, ==, 250);
    for (size_t k = 0; k < n; k++)
        CHECK_INT(out[k], ==, 257);
    CHECK_INT(sl_bpe_encode(bpe, as, 999, out, 1000, &n), ==, 0);
    CHECK_INT(n, ==, 251);
    CHECK_INT(out[248], ==, 257);
    CHECK_INT(out[249], ==, 256);
    CHECK_INT(out[250], ==, 'a');
    free(as);
    free(out);
    sl_bpe_close(&bpe);
    sl_bpe_close(&bpe); // a second close is a no-op

    // The writer refuses what the format cannot hold.
    lens[257] = 300;
    CHECK_INT(sl_bpe_vocab_write(path, "tiny", "x", tokens, lens, 260, err, sizeof err), ==,
              SL_EINVAL);
    CHECK(strstr(err, "rank 257") != NULL);
    lens[257] = 2;
    tokens[257] = (const uint8_t *)"aa"; // the same bytes as rank 256
    CHECK_INT(sl_bpe_vocab_write(path, "tiny", "x", tokens, lens, 260, err, sizeof err), ==,
              SL_EINVAL);
    CHECK(strstr(err, "ranks 256 and 257 have the same bytes") != NULL);
}

// The real encodings: exact ids for known text, special tokens as text, empty text, SL_ETOOBIG.
static void
test_encodings(const char *vocab_dir)
{
    sl_bpe_t *cl = s_open(vocab_dir, "cl100k_base");
    sl_bpe_t *o2 = s_open(vocab_dir, "o200k_base");
    CHECK_STR(sl_bpe_name(cl), "cl100k_base");
    CHECK_STR(sl_bpe_name(o2), "o200k_base");

    uint32_t ids[16];
    size_t n = 99;
    CHECK_INT(sl_bpe_count(cl, "", 0), ==, 0);
    CHECK_INT(sl_bpe_encode(cl, "", 0, NULL, 0, &n), ==, 0);
    CHECK_INT(n, ==, 0);

    CHECK_INT(sl_bpe_encode(cl, "hello world", 11, ids, 16, &n), ==, 0);
    CHECK_INT(n, ==, 2);
    CHECK_INT(ids[0], ==, 15339);
    CHECK_INT(ids[1], ==, 1917);
    CHECK_INT(sl_bpe_encode(o2, "hello world", 11, ids, 16, &n), ==, 0);
    CHECK_INT(n, ==, 2);
    CHECK_INT(ids[0], ==, 24912);
    CHECK_INT(ids[1], ==, 2375);

    // "<|endoftext|>" in a prompt is text: 7 ordinary tokens, never 100257 or 199999.
    static const uint32_t cl_eot[] = {27, 91, 8862, 728, 428, 91, 29};
    static const uint32_t o2_eot[] = {27, 91, 419, 1440, 919, 91, 29};
    CHECK_INT(sl_bpe_encode(cl, "<|endoftext|>", 13, ids, 16, &n), ==, 0);
    CHECK_INT(n, ==, 7);
    CHECK(memcmp(ids, cl_eot, sizeof cl_eot) == 0);
    CHECK_INT(sl_bpe_encode(o2, "<|endoftext|>", 13, ids, 16, &n), ==, 0);
    CHECK_INT(n, ==, 7);
    CHECK(memcmp(ids, o2_eot, sizeof o2_eot) == 0);

    // More tokens than room: the first max, the full count, SL_ETOOBIG; max exactly is fine.
    ids[1] = 0;
    CHECK_INT(sl_bpe_encode(cl, "hello world", 11, ids, 1, &n), ==, SL_ETOOBIG);
    CHECK_INT(n, ==, 2);
    CHECK_INT(ids[0], ==, 15339);
    CHECK_INT(ids[1], ==, 0); // nothing written past max
    CHECK_INT(sl_bpe_encode(cl, "hello world", 11, NULL, 0, &n), ==, SL_ETOOBIG);
    CHECK_INT(n, ==, 2);
    CHECK_INT(sl_bpe_encode(cl, "hello world", 11, ids, 2, &n), ==, 0);

    // Text with NUL bytes and bad UTF-8 is counted, never refused.
    CHECK_INT(sl_bpe_count(cl, "a\0b", 3), ==, 3);
    CHECK(sl_bpe_count(o2, "\xf0\x9f\x98", 3) > 0);
    sl_bpe_close(&cl);
    sl_bpe_close(&o2);
}

static double
s_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// 1 MiB of the worst shapes we know. The release build takes under 0.4 s for each (figures in
// docs/tokenizer.md); the bound here is loose enough for a sanitizer build on a busy machine
// and still far below what a quadratic step would take (hours).
static void
test_worst_cases(const char *vocab_dir)
{
    static const char *const encodings[] = {"cl100k_base", "o200k_base"};
    size_t len = 1u << 20;
    char *text = sl_xcalloc(len, 1);
    for (size_t e = 0; e < 2; e++) {
        sl_bpe_t *bpe = s_open(vocab_dir, encodings[e]);
        // Every 3-digit number is one token in both encodings: exactly ceil(len / 3) tokens.
        for (size_t i = 0; i < len; i++)
            text[i] = (char)('0' + i % 10);
        CHECK_INT(sl_bpe_count(bpe, text, len), ==, (len + 2) / 3);
        uint64_t x = 88172645463325252u;
        for (int shape = 0; shape < 5; shape++) {
            for (size_t i = 0; i < len; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                static const char *const cjk = "\xe7\x9a\x84"; // U+7684, 3 bytes
                text[i] = shape == 0   ? ' '
                          : shape == 1 ? 'a'
                          : shape == 2 ? (char)('a' + x % 26)
                          : shape == 3 ? (char)(x >> 24)
                                       : cjk[i % 3];
            }
            double t0 = s_now_s();
            size_t n = sl_bpe_count(bpe, text, len - (shape == 4 ? len % 3 : 0));
            double s = s_now_s() - t0;
            CHECK(n > 0 && n <= 3 * len);
            if (s > test_ms(60000) / 1000.0) {
                fprintf(stderr, "bpe_test: %s shape %d took %.1f s\n", encodings[e], shape, s);
                exit(1);
            }
        }
        sl_bpe_close(&bpe);
    }
    free(text);
}

static void
test_models(void)
{
    static const struct {
        const char *model;
        const char *encoding;
    } cases[] = {
        {"gpt-4o", "o200k_base"},
        {"gpt-4o-mini-2024-07-18", "o200k_base"},
        {"gpt-4.1-nano", "o200k_base"},
        {"gpt-4.5-preview", "o200k_base"},
        {"gpt-5", "o200k_base"},
        {"gpt-5.1-codex", "o200k_base"},
        {"o1-pro", "o200k_base"},
        {"o3-deep-research", "o200k_base"},
        {"o4-mini", "o200k_base"},
        {"chatgpt-4o-latest", "o200k_base"},
        {"ft:gpt-4o-mini-2024-07-18:org::abc123", "o200k_base"},
        {"gpt-4", "cl100k_base"},
        {"gpt-4-turbo-2024-04-09", "cl100k_base"},
        {"gpt-4-32k", "cl100k_base"},
        {"gpt-3.5-turbo-instruct", "cl100k_base"},
        {"gpt-35-turbo-16k", "cl100k_base"},
        {"text-embedding-3-large", "cl100k_base"},
        {"text-embedding-ada-002", "cl100k_base"},
        {"ft:gpt-3.5-turbo-0613:org::x", "cl100k_base"},
        {"text-davinci-003", NULL},
        {"claude-sonnet-4-5", NULL},
        {"gemini-2.5-pro", NULL},
        {"GPT-4o", NULL}, // names are matched as they are spelled
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = sl_bpe_encoding_for_model(cases[i].model);
        if (cases[i].encoding)
            CHECK_STR(got, cases[i].encoding);
        else
            CHECK(got == NULL);
    }
    CHECK(sl_bpe_encoding_for_model(NULL) == NULL);
}

static void
test_path(void)
{
    char out[4200], exe[4096];
    CHECK_INT(sl_bpe_path("/opt/x", "o200k_base", out, sizeof out), ==, 0);
    CHECK_STR(out, "/opt/x/o200k_base.bpe");
    CHECK_INT(sl_bpe_path("/opt/x", "o200k_base", out, 10), ==, SL_ETOOBIG);
    // The default: beside the binaries, ../share/sluice/bpe.
    CHECK_INT(sl_bpe_path(NULL, "cl100k_base", out, sizeof out), ==, 0);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    CHECK_INT(strncmp(out, exe, strlen(exe)), ==, 0);
    CHECK_STR(out + strlen(exe), "/../share/sluice/bpe/cl100k_base.bpe");
}

// Sum one byte of every page of the mapping, so that every page is resident in this process.
static unsigned
s_touch(const sl_bpe_vocab_t *v)
{
    size_t len;
    const volatile uint8_t *map = sl_bpe_vocab_map(v, &len);
    unsigned sum = 0;
    for (size_t i = 0; i < len; i += 4096)
        sum += map[i];
    return sum;
}

// The fields of this process's smaps entry for the mapping that starts at addr, in kB: Rss,
// Shared_* (pages other processes map too), Private_* and Anonymous (pages copied for us).
static void
s_smaps(const void *addr, char *perms, long *rss, long *shared, long *private_kb, long *anon)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    CHECK(f != NULL);
    char line[512], want[32];
    snprintf(want, sizeof want, "%lx-", (unsigned long)addr);
    bool in = false, found = false;
    long private_clean = -1, private_dirty = -1, shared_clean = -1, shared_dirty = -1;
    while (fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' ')) {
            in = strncmp(line, want, strlen(want)) == 0;
            if (in) {
                found = true;
                sscanf(line, "%*s %4s", perms);
            }
            continue;
        }
        if (!in)
            continue;
        sscanf(line, "Rss: %ld", rss);
        sscanf(line, "Shared_Clean: %ld", &shared_clean);
        sscanf(line, "Shared_Dirty: %ld", &shared_dirty);
        sscanf(line, "Private_Clean: %ld", &private_clean);
        sscanf(line, "Private_Dirty: %ld", &private_dirty);
        sscanf(line, "Anonymous: %ld", anon);
    }
    fclose(f);
    CHECK(found);
    // Dirty here is the page cache's: a file written a moment ago is not on disk yet.
    *shared = shared_clean + shared_dirty;
    *private_kb = private_clean + private_dirty;
}

// Two processes that open the same file read the same page-cache pages: the mapping is a
// shared read-only mapping of the file ("r--s"), no page of it is anonymous (nothing was
// copied), and once both have read every page, all of the child's resident pages are shared.
static void
test_shared(const char *vocab_dir)
{
    char path[4200], err[512];
    CHECK_INT(sl_bpe_path(vocab_dir, "o200k_base", path, sizeof path), ==, 0);
    sl_bpe_vocab_t *v = sl_bpe_vocab_open(path, err, sizeof err);
    CHECK(v != NULL);
    unsigned sum = s_touch(v);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        // A fresh open in the child, not the mapping it inherited.
        sl_bpe_vocab_t *mine = sl_bpe_vocab_open(path, err, sizeof err);
        CHECK(mine != NULL);
        CHECK_INT(s_touch(mine), ==, sum);
        size_t len;
        const void *map = sl_bpe_vocab_map(mine, &len);
        char perms[8] = "";
        long rss = -1, shared = -1, private_kb = -1, anon = -1;
        s_smaps(map, perms, &rss, &shared, &private_kb, &anon);
        printf("bpe_test: child's mapping of %s: %s, Rss %ld kB, Shared %ld kB,"
               " Private %ld kB, Anonymous %ld kB\n",
               path, perms, rss, shared, private_kb, anon);
        CHECK_STR(perms, "r--s");
        CHECK_INT(anon, ==, 0);
        CHECK_INT(rss, >=, (long)(len / 1024) - 4);
        CHECK_INT(shared, ==, rss);
        CHECK_INT(private_kb, ==, 0);
        sl_bpe_vocab_close(&mine);
        fflush(stdout);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sl_bpe_vocab_close(&v);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bpe_test VOCAB_DIR\n");
        return 2;
    }
    test_tmpdir("bpe_test", s_dir, sizeof s_dir);
    test_open_errors(argv[1]);
    test_merge_order();
    test_encodings(argv[1]);
    test_models();
    test_path();
    test_shared(argv[1]);
    test_worst_cases(argv[1]);
    test_tmpdir_remove(s_dir);
    printf("bpe_test: ok\n");
    return 0;
}
