// vocab.c - the stress and plain vocabularies (see vocab.h).
#include "vocab.h"

#include <stdbool.h>
#include <string.h>

#include "sl/err.h"
#include "sl/mem.h"

// The stress vocabulary. Every class of text a stream parser can get wrong is here on purpose:
// multi- byte UTF-8 of every length (split across reads by split=1), JSON escapes, and strings that
// look like SSE framing ("data:", "[DONE]") inside content. Order is part of the contract:
// changing it changes every script, so append only.
static const char *const s_stress[] = {
    " the",
    " river",
    " a",
    " quick",
    " fox",
    " and",
    " of",
    " stream",
    " token",
    " light",
    " over",
    " water",
    " is",
    " to",
    " in",
    " it",
    "ing",
    "s",
    " mock",
    " bridge",
    ",",
    ".",
    "!",
    "?",
    ";",
    ":",
    " (",
    ")",
    "-",
    "'",
    "\xc3\xa9",                         // é (2 bytes)
    "\xc3\xb1",                         // ñ (2 bytes)
    " caf\xc3\xa9",                     // " café"
    " na\xc3\xafve",                    // " naïve"
    "\xc3\x9f",                         // ß (2 bytes)
    "\xe2\x82\xac",                     // € (3 bytes)
    "\xe6\x97\xa5\xe6\x9c\xac",         // 日本 (3 bytes each)
    "\xe2\x80\x94",                     // — em dash (3 bytes)
    " \xe6\x9d\xb1\xe4\xba\xac",        // " 東京"
    "\xe2\x80\xa6",                     // … (3 bytes)
    "\xe2\x80\x9c",                     // “ (3 bytes)
    "\xe2\x80\x9d",                     // ” (3 bytes)
    "\xf0\x9f\x98\x80",                 // 😀 (4 bytes)
    "\xf0\x9d\x84\x9e",                 // 𝄞 (4 bytes)
    " \xf0\x9f\x9a\x80",                // " 🚀"
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", // 👍🏽 (two 4-byte code points)
    "\"",                               // needs \" in JSON
    "\\",                               // needs \\ in JSON
    "\n",                               // needs \n in JSON
    "\t",                               // needs \t in JSON
    " \"quoted\"",
    " C:\\path",
    "\n\n",
    " 42",
    " 3.14",
    " {",
    "}",
    " [",
    "]",
    " <b>",
    " &amp;",
    " /",
    " data:",  // SSE-looking text inside content
    " [DONE]", // the terminator's text, as content: only a sloppy parser trips on it
};
#define S_STRESS_SIZE (sizeof s_stress / sizeof s_stress[0])

// The plain vocabulary: sentences, cut into tokens by s_sentence. The shortest has 2 tokens and
// one has 3, so every count of 2 or more is a sum of sentence lengths and the text can end where
// a sentence does. Any change here, an appended sentence included, changes the demo's text,
// which README.md's quick start and vocab_test.c show.
static const char *const s_plain[] = {
    "Indeed.",
    "It flows.",
    "The river runs to the sea.",
    "A quick fox crossed the old bridge at dawn.",
    "Light moves over the water, and the water moves on.",
    "Every stream begins as a small spring in the hills.",
    "The gate opens, and the water rises slowly.",
    "Boats wait below the sluice until the levels match.",
    "Rain fell all night, so the river is high today.",
    "Fish swim against the current without rest.",
    "Is the lock open yet?",
    "What a clear morning it is!",
    "The miller checks the wheel before the water comes.",
    "Small tokens add up to a long answer.",
    "Each word arrives in order, one after another.",
    "The bank is green, and the path is dry.",
    "Ducks drift past the reeds near the shore.",
    "Nothing is lost when the flow is steady.",
    "The keeper writes every level in a book.",
    "Clouds gather over the valley in the evening.",
    "Slow water runs deep.",
    "Listen to the sound of the falls.",
    "The channel narrows, then widens again.",
    "Good stories, like rivers, take their time.",
};
#define S_PLAIN_SIZE    (sizeof s_plain / sizeof s_plain[0])
#define S_PLAIN_MIN_LEN 2 // tokens in the shortest sentence

static bool
s_is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Cut sentence s into tokens: each run of letters is a word, with a space before it unless it is
// the text's first (first_in_text and the sentence's first word); each other character but the
// spaces between words is a token of its own. Store at most max of them in out (out may be NULL
// to count only) and return how many the whole sentence has.
static size_t
s_sentence(const char *s, bool first_in_text, char **out, size_t max)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t len = 1;
        while (s_is_letter(*p) && s_is_letter(p[len]))
            len++;
        if (out && n < max) {
            size_t space = s_is_letter(*p) && !(first_in_text && n == 0);
            out[n] = sl_xcalloc(space + len + 1, 1); // zeroed: NUL-terminated
            if (space)
                out[n][0] = ' ';
            memcpy(out[n] + space, p, len);
        }
        n++;
        p += len;
    }
    return n;
}

// A sentence of len tokens may start when r are left: it ends the text, or leaves room for
// another sentence.
static bool
s_fits(size_t len, size_t r)
{
    return len == r || len + S_PLAIN_MIN_LEN <= r;
}

// Fill n tokens with whole sentences, each picked by rng among those that fit. None fits only
// when n is 1: then the text is the first word of a sentence.
static void
s_draw_plain(mockllm_rng_t *rng, char **tokens, size_t n)
{
    size_t len[S_PLAIN_SIZE];
    for (size_t i = 0; i < S_PLAIN_SIZE; i++)
        len[i] = s_sentence(s_plain[i], false, NULL, 0);
    size_t done = 0;
    while (done < n) {
        size_t r = n - done, fits = 0;
        for (size_t i = 0; i < S_PLAIN_SIZE; i++)
            fits += s_fits(len[i], r);
        size_t pick = 0;
        if (fits == 0) {
            pick = (size_t)mockllm_rng_below(rng, S_PLAIN_SIZE);
        } else {
            size_t k = (size_t)mockllm_rng_below(rng, fits);
            for (pick = 0; pick < S_PLAIN_SIZE; pick++) {
                if (s_fits(len[pick], r) && k-- == 0)
                    break;
            }
        }
        size_t got = s_sentence(s_plain[pick], done == 0, tokens + done, r);
        done += got < r ? got : r;
    }
}

int
mockllm_vocab_by_name(const char *name, mockllm_vocab_t *out)
{
    if (name && strcmp(name, "stress") == 0)
        *out = MOCKLLM_VOCAB_STRESS;
    else if (name && strcmp(name, "plain") == 0)
        *out = MOCKLLM_VOCAB_PLAIN;
    else
        return SL_EINVAL;
    return 0;
}

const char *
mockllm_vocab_name(mockllm_vocab_t vocab)
{
    return vocab == MOCKLLM_VOCAB_PLAIN ? "plain" : "stress";
}

void
mockllm_vocab_draw(mockllm_vocab_t vocab, mockllm_rng_t *rng, char **tokens, size_t n)
{
    if (vocab == MOCKLLM_VOCAB_PLAIN) {
        s_draw_plain(rng, tokens, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        tokens[i] = sl_xstrdup(s_stress[mockllm_rng_below(rng, S_STRESS_SIZE)]);
}
