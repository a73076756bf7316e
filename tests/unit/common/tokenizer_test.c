// tokenizer_test.c - sl_tokenizer: which encoding counts which model (exact for OpenAI's
// names, o200k_base as an estimate for the others), the vocabularies mapped once and shared by
// every model of an encoding, and a directory without them: NULL for every model, said in the
// log once per encoding, never a crash.
//
//   tokenizer_test BPE_DIR
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"
#include "sl/tokenizer.h"

static void
s_test_models(const char *dir)
{
    sl_tokenizer_t *t = sl_tokenizer_new(dir);
    static const struct {
        const char *model;
        const char *encoding;
        bool exact;
    } cases[] = {
        {"gpt-4o", "o200k_base", true},
        {"gpt-4o-mini", "o200k_base", true},
        {"gpt-4.1-mini", "o200k_base", true},
        {"o3-mini", "o200k_base", true},
        {"gpt-5", "o200k_base", true},
        {"gpt-4", "cl100k_base", true},
        {"gpt-3.5-turbo", "cl100k_base", true},
        {"claude-sonnet-4-5", "o200k_base", false},
        {"gemini-2.5-pro", "o200k_base", false},
        {"command-r-plus", "o200k_base", false},
        {"meta-llama/Llama-3.1-8B-Instruct", "o200k_base", false},
        {"openai/gpt-4o", "o200k_base", false},
        {"mock-1", "o200k_base", false},
        {"", "o200k_base", false},
        {NULL, "o200k_base", false},
    };
    const sl_bpe_t *seen[2] = {NULL, NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool exact = !cases[i].exact;
        const sl_bpe_t *bpe = sl_tokenizer_for_model(t, cases[i].model, &exact);
        CHECK(bpe != NULL);
        CHECK_STR(sl_bpe_name(bpe), cases[i].encoding);
        CHECK_INT(exact, ==, cases[i].exact);
        // One sl_bpe_t per encoding, whichever model asks.
        size_t k = strcmp(cases[i].encoding, "o200k_base") == 0;
        if (seen[k])
            CHECK(seen[k] == bpe);
        seen[k] = bpe;
        CHECK(sl_tokenizer_for_model(t, cases[i].model, NULL) == bpe); // exact_p may be NULL
    }
    CHECK_INT(sl_bpe_count(seen[1], "hello world", 11), ==, 2);
    sl_tokenizer_destroy(&t);
    CHECK(t == NULL);
    sl_tokenizer_destroy(&t); // a second destroy is a no-op
}

// Count the lines of path holding needle.
static int
s_count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static void
s_test_missing(void)
{
    char dir[PATH_MAX], log[PATH_MAX + 16];
    test_tmpdir("tokenizer_test", dir, sizeof dir);
    snprintf(log, sizeof log, "%s/stderr", dir);
    // The log goes to stderr: catch it in a file for the length of the calls.
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(saved >= 0 && fd >= 0);
    CHECK(dup2(fd, 2) == 2);
    close(fd);
    sl_tokenizer_t *t = sl_tokenizer_new(dir); // an empty directory
    bool exact = false;
    for (int i = 0; i < 3; i++) {
        CHECK(sl_tokenizer_for_model(t, "gpt-4o", &exact) == NULL);
        CHECK(exact); // still says which encoding the model has
        CHECK(sl_tokenizer_for_model(t, "claude-sonnet-4-5", &exact) == NULL);
        CHECK(!exact);
        CHECK(sl_tokenizer_for_model(t, "gpt-4", &exact) == NULL);
    }
    sl_tokenizer_destroy(&t);
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    // Once per encoding, naming the file.
    CHECK_INT(s_count_lines(log, "tokenizer: "), ==, 2);
    CHECK_INT(s_count_lines(log, "o200k_base.bpe"), ==, 1);
    CHECK_INT(s_count_lines(log, "cl100k_base.bpe"), ==, 1);
    test_tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tokenizer_test BPE_DIR\n");
        return 2;
    }
    s_test_models(argv[1]);
    s_test_missing();
    fprintf(stderr, "tokenizer_test: ok\n");
    return 0;
}
