// usage_test.c - provider_usage: the prompt counted once from the normalized request (the
// model's encoding, or o200k_base as an estimate), the completion from deltas (text and
// reasoning joined per channel, each tool call's name and its arguments joined), text cut into
// pieces of PROVIDER_USAGE_CHUNK bytes, and nothing counted without a vocabulary.
//
//   provider_usage_test BPE_DIR
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "proc.h"
#include "sl/mem.h"
#include "sl/prompt.h"
#include "usage.h"

static const char s_body[] = "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful "
                             "assistant.\"},{\"role\":\"user\",\"content\":\"What is the capital "
                             "of France?\"}],\"max_tokens\":64}";

static sl_delta_t
s_text(uint8_t kind, const char *text)
{
    return (sl_delta_t){.kind = kind, .text = sl_str(text)};
}

static sl_delta_t
s_tool(uint32_t index, const char *id, const char *name, const char *args)
{
    return (sl_delta_t){.kind = SL_DELTA_TOOL,
                        .text = sl_str(args),
                        .tool_index = index,
                        .tool_id = sl_str(id),
                        .tool_name = sl_str(name)};
}

static size_t
s_count(const sl_bpe_t *bpe, const char *text)
{
    return sl_bpe_count(bpe, text, strlen(text));
}

static void
s_test_prompt(sl_tokenizer_t *tok)
{
    // 24 in both encodings (prompt_test's third case); the model picks the encoding.
    static const struct {
        const char *model;
        bool exact;
    } models[] = {{"gpt-4o", true}, {"gpt-4", true}, {"claude-sonnet-4-5", false}};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        provider_usage_t *u = provider_usage_new(tok, models[i].model, s_body, strlen(s_body));
        CHECK_INT(provider_usage_is_exact(u), ==, models[i].exact);
        uint32_t n = 0;
        CHECK(provider_usage_prompt(u, &n));
        CHECK_INT(n, ==, 24);
        CHECK(provider_usage_prompt(u, &n)); // counted once, the body gone: the same answer
        CHECK_INT(n, ==, 24);
        provider_usage_destroy(&u);
        CHECK(u == NULL);
        provider_usage_destroy(&u);
    }
    // Only len bytes are the body; one that is not a normalized request counts nothing.
    provider_usage_t *u = provider_usage_new(tok, "gpt-4o", s_body, strlen(s_body) - 1);
    uint32_t n = 7;
    CHECK(!provider_usage_prompt(u, &n));
    CHECK_INT(n, ==, 0);
    provider_usage_destroy(&u);
}

static void
s_test_completion(sl_tokenizer_t *tok)
{
    const sl_bpe_t *bpe = sl_tokenizer_for_model(tok, "gpt-4", NULL);
    provider_usage_t *u = provider_usage_new(tok, "gpt-4", s_body, strlen(s_body));
    uint32_t n = 9;
    CHECK(provider_usage_completion(u, &n)); // nothing yet
    CHECK_INT(n, ==, 0);
    const sl_delta_t deltas[] = {
        s_text(SL_DELTA_REASONING, "Let me th"),
        s_text(SL_DELTA_REASONING, "ink about it."),
        s_text(SL_DELTA_TEXT, "The weather in Par"),
        s_text(SL_DELTA_TEXT, "is:"),
        s_tool(0, "call_1", "get_weather", ""),
        s_tool(0, "", "", "{\"city\": \"Pa"),
        s_tool(0, "", "", "ris\"}"),
        s_tool(1, "call_2", "get_time", "{\"tz\":"),
        s_tool(1, "", "", " \"CET\"}"),
    };
    for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++)
        provider_usage_delta(u, &deltas[i]);
    size_t want = s_count(bpe, "Let me think about it.") + s_count(bpe, "The weather in Paris:")
                  + s_count(bpe, "get_weather") + s_count(bpe, "{\"city\": \"Paris\"}")
                  + s_count(bpe, "get_time") + s_count(bpe, "{\"tz\": \"CET\"}");
    CHECK(provider_usage_completion(u, &n));
    CHECK_INT(n, ==, want);
    // Asked again, the same; more text adds to it.
    CHECK(provider_usage_completion(u, &n));
    CHECK_INT(n, ==, want);
    sl_delta_t more = s_text(SL_DELTA_TEXT, " Done.");
    provider_usage_delta(u, &more);
    CHECK(provider_usage_completion(u, &n));
    CHECK_INT(n, ==, want + s_count(bpe, " Done."));
    provider_usage_destroy(&u);
}

// Text past PROVIDER_USAGE_CHUNK bytes counts in pieces cut between deltas: 13,107 deltas of
// "word " fill the first piece (65,535 bytes), the rest is the second. The trailing space of a
// piece is a token of its own, where the whole text would join it to the next word.
static void
s_test_pieces(sl_tokenizer_t *tok)
{
    const sl_bpe_t *bpe = sl_tokenizer_for_model(tok, "gpt-4o", NULL);
    provider_usage_t *u = provider_usage_new(tok, "gpt-4o", s_body, strlen(s_body));
    size_t n_deltas = 20000, first = PROVIDER_USAGE_CHUNK / 5;
    char *a = sl_xcalloc(first * 5 + 1, 1), *b = sl_xcalloc((n_deltas - first) * 5 + 1, 1);
    for (size_t i = 0; i < n_deltas; i++) {
        sl_delta_t d = s_text(SL_DELTA_TEXT, "word ");
        provider_usage_delta(u, &d);
        memcpy(i < first ? a + i * 5 : b + (i - first) * 5, "word ", 5);
    }
    uint32_t n = 0;
    CHECK(provider_usage_completion(u, &n));
    CHECK_INT(n, ==, s_count(bpe, a) + s_count(bpe, b));
    CHECK_INT(n, ==, n_deltas + 2); // " word" each, "word" first, and one lone " " per piece
    // One delta bigger than a piece counts alone, after what was pending.
    size_t big_len = PROVIDER_USAGE_CHUNK + 10;
    char *big = sl_xcalloc(big_len + 1, 1);
    memset(big, 'x', big_len);
    sl_delta_t d = s_text(SL_DELTA_TEXT, "ab");
    provider_usage_delta(u, &d);
    d = s_text(SL_DELTA_TEXT, big);
    provider_usage_delta(u, &d);
    uint32_t m = 0;
    CHECK(provider_usage_completion(u, &m));
    CHECK_INT(m, ==, n + s_count(bpe, "ab") + s_count(bpe, big));
    free(big);
    free(a);
    free(b);
    provider_usage_destroy(&u);
}

// A directory without vocabularies: nothing is counted, and nothing fails.
static void
s_test_no_vocabulary(void)
{
    char dir[PATH_MAX];
    test_tmpdir("usage_test", dir, sizeof dir);
    sl_tokenizer_t *tok = sl_tokenizer_new(dir);
    provider_usage_t *u = provider_usage_new(tok, "gpt-4o", s_body, strlen(s_body));
    sl_delta_t d = s_text(SL_DELTA_TEXT, "Hello");
    provider_usage_delta(u, &d);
    uint32_t n = 5;
    CHECK(!provider_usage_prompt(u, &n));
    CHECK_INT(n, ==, 0);
    n = 5;
    CHECK(!provider_usage_completion(u, &n));
    CHECK_INT(n, ==, 0);
    provider_usage_destroy(&u);
    sl_tokenizer_destroy(&tok);
    test_tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: provider_usage_test BPE_DIR\n");
        return 2;
    }
    sl_tokenizer_t *tok = sl_tokenizer_new(argv[1]);
    s_test_prompt(tok);
    s_test_completion(tok);
    s_test_pieces(tok);
    sl_tokenizer_destroy(&tok);
    s_test_no_vocabulary();
    fprintf(stderr, "provider_usage_test: ok\n");
    return 0;
}
