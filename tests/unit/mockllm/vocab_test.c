// vocab_test.c - the vocabularies: names, the plain vocabulary (deterministic from the seed,
// exactly the tokens asked for, plain ASCII words and punctuation in whole sentences), the stress
// vocabulary's draw kept as it was, and a script planned in each.
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "rng.h"
#include "script.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "vocab.h"

// Draw n tokens of vocab from seed into a fresh array; free it with s_free.
static char **
s_draw(mockllm_vocab_t vocab, uint64_t seed, size_t n)
{
    char **t = calloc(n ? n : 1, sizeof *t);
    CHECK(t != NULL);
    mockllm_rng_t rng;
    mockllm_rng_seed(&rng, seed);
    mockllm_vocab_draw(vocab, &rng, t, n);
    return t;
}

static void
s_free(char **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

static bool
s_same(char **a, char **b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool
s_is_end(const char *t)
{
    return strcmp(t, ".") == 0 || strcmp(t, "!") == 0 || strcmp(t, "?") == 0;
}

// The n tokens are readable plain text: each is a word of ASCII letters (a space before it, but
// for the text's first) or one of , . ! ? alone; punctuation follows a word; each sentence starts
// with a capital; from 2 tokens on, the text ends a sentence.
static void
s_check_plain(char **t, size_t n)
{
    bool sentence_start = true;
    for (size_t i = 0; i < n; i++) {
        const char *w = t[i];
        CHECK(w != NULL);
        size_t len = strlen(w);
        CHECK_INT(len, >, 0);
        if (len == 1 && strchr(",.!?", w[0])) {
            CHECK_INT(i, >, 0);
            CHECK(strchr(",.!?", t[i - 1][0]) == NULL); // never two marks in a row
            sentence_start = s_is_end(w);
            continue;
        }
        size_t k = 0;
        if (i > 0) {
            CHECK_INT(w[0], ==, ' ');
            k = 1;
        }
        CHECK_INT(len, >, k);
        for (size_t j = k; j < len; j++)
            CHECK(isalpha((unsigned char)w[j]) && (unsigned char)w[j] < 0x80);
        if (sentence_start)
            CHECK(isupper((unsigned char)w[k]));
        sentence_start = false;
    }
    if (n >= 2)
        CHECK(s_is_end(t[n - 1]));
}

static void
s_test_names(void)
{
    mockllm_vocab_t v = MOCKLLM_VOCAB_PLAIN;
    CHECK_INT(mockllm_vocab_by_name("stress", &v), ==, 0);
    CHECK_INT(v, ==, MOCKLLM_VOCAB_STRESS);
    CHECK_INT(mockllm_vocab_by_name("plain", &v), ==, 0);
    CHECK_INT(v, ==, MOCKLLM_VOCAB_PLAIN);
    static const char *const bad[] = {"", "Plain", "plain ", "plainer", "stres", "hostile"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(mockllm_vocab_by_name(bad[i], &v), ==, SL_EINVAL);
        CHECK_INT(v, ==, MOCKLLM_VOCAB_PLAIN); // unchanged
    }
    CHECK_INT(mockllm_vocab_by_name(NULL, &v), ==, SL_EINVAL);
    CHECK_STR(mockllm_vocab_name(MOCKLLM_VOCAB_STRESS), "stress");
    CHECK_STR(mockllm_vocab_name(MOCKLLM_VOCAB_PLAIN), "plain");
    CHECK_STR(mockllm_vocab_name((mockllm_vocab_t)42), "stress");
}

static void
s_test_plain(void)
{
    // Exactly n tokens, plain, for every small n and several seeds; a seed always gives the same.
    for (uint64_t seed = 0; seed < 8; seed++) {
        for (size_t n = 0; n <= 120; n++) {
            char **a = s_draw(MOCKLLM_VOCAB_PLAIN, seed, n);
            char **b = s_draw(MOCKLLM_VOCAB_PLAIN, seed, n);
            s_check_plain(a, n);
            CHECK(s_same(a, b, n));
            s_free(a, n);
            s_free(b, n);
        }
    }
    // Many sentences, and large counts.
    char **t = s_draw(MOCKLLM_VOCAB_PLAIN, 12345, 5000);
    s_check_plain(t, 5000);
    size_t ends = 0;
    for (size_t i = 0; i < 5000; i++)
        ends += s_is_end(t[i]);
    CHECK_INT(ends, >, 300);
    s_free(t, 5000);

    // Another seed, another text.
    char **a = s_draw(MOCKLLM_VOCAB_PLAIN, 1, 40);
    char **b = s_draw(MOCKLLM_VOCAB_PLAIN, 2, 40);
    CHECK(!s_same(a, b, 40));
    s_free(a, 40);
    s_free(b, 40);
}

// The stress draw is what every test's text has always been: one vocabulary entry per token.
static void
s_test_stress(void)
{
    char **a = s_draw(MOCKLLM_VOCAB_STRESS, 1, 2000);
    char **b = s_draw(MOCKLLM_VOCAB_STRESS, 1, 2000);
    CHECK(s_same(a, b, 2000));
    bool non_ascii = false, quote = false;
    for (size_t i = 0; i < 2000; i++) {
        for (const char *p = a[i]; *p; p++)
            non_ascii |= (unsigned char)*p >= 0x80;
        quote |= strchr(a[i], '"') != NULL;
    }
    CHECK(non_ascii && quote);
    s_free(a, 2000);
    s_free(b, 2000);
}

static const mockllm_finish_names_t s_names = {"stop", "length", "tool_calls", "stop_seq"};

// Plan user_text in vocab with the given cap (-1: none).
static void
s_plan(const char *user_text, mockllm_vocab_t vocab, int64_t max_tokens, mockllm_script_t *s)
{
    mockllm_script_req_t req = {.user_text = user_text,
                                .user_len = strlen(user_text),
                                .max_tokens = max_tokens,
                                .finish_names = &s_names,
                                .ids = MOCKLLM_TOOLCALL_ID_OPENAI,
                                .vocab = vocab};
    char err[256] = "";
    CHECK_INT(mockllm_script_plan(&req, s, err, sizeof err), ==, 0);
}

static void
s_test_script(void)
{
    // tokens= is honoured, and the tokens are the draw from the directive's seed.
    mockllm_script_t s;
    s_plan("hello [mock tokens=25 seed=9]", MOCKLLM_VOCAB_PLAIN, -1, &s);
    CHECK_INT(s.n_tokens, ==, 25);
    CHECK_INT(s.completion_tokens, ==, 25);
    CHECK_STR(s.finish_reason, "stop");
    char **want = s_draw(MOCKLLM_VOCAB_PLAIN, 9, 25);
    CHECK(s_same(s.tokens, want, 25));
    s_check_plain(s.tokens, s.n_tokens);

    // The cap cuts a prefix of the same text.
    mockllm_script_t cut;
    s_plan("hello [mock tokens=25 seed=9]", MOCKLLM_VOCAB_PLAIN, 10, &cut);
    CHECK_INT(cut.n_tokens, ==, 10);
    CHECK_STR(cut.finish_reason, "length");
    CHECK(s_same(cut.tokens, want, 10));
    s_free(want, 25);
    mockllm_script_destroy(&cut);

    // The same request in the stress vocabulary says something else, with the same count.
    mockllm_script_t stress;
    s_plan("hello [mock tokens=25 seed=9]", MOCKLLM_VOCAB_STRESS, -1, &stress);
    CHECK_INT(stress.n_tokens, ==, 25);
    CHECK(!s_same(s.tokens, stress.tokens, 25));
    mockllm_script_destroy(&stress);
    mockllm_script_destroy(&s);

    // Without tokens=, the default count 12 + seed % 40, seeded by the text's hash. This is the
    // demo's answer to README.md's quick start, which shows it: change both together.
    const char *say = "Say something";
    s_plan(say, MOCKLLM_VOCAB_PLAIN, -1, &s);
    uint64_t seed = mockllm_rng_fnv1a64(say, strlen(say));
    CHECK_INT(s.n_tokens, ==, 12 + seed % 40);
    s_check_plain(s.tokens, s.n_tokens);
    sl_buf_t text;
    sl_buf_init(&text, 1024);
    CHECK_INT(mockllm_script_text(&s, &text), ==, 0);
    CHECK_STR(sl_buf_str(&text), "Good stories, like rivers, take their time. Ducks drift past the "
                                 "reeds near the shore. Slow water runs deep.");
    CHECK_INT(s.n_tokens, ==, 24);
    sl_buf_free(&text);
    mockllm_script_destroy(&s);
}

int
main(void)
{
    s_test_names();
    s_test_plain();
    s_test_stress();
    s_test_script();
    printf("vocab_test: ok\n");
    return 0;
}
