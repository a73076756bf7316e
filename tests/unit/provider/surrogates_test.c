// surrogates_test.c - UTF-16 halves: lone escapes parsed as WTF-8, joined across deltas of one
// channel, U+FFFD for a half without its partner, pairs and other escapes untouched.
#include <string.h>

#include "check.h"
#include "surrogates.h"

#define ROCKET "\xF0\x9F\x9A\x80" // U+1F680, "\ud83d\ude80" in JSON
#define FFFD   "\xEF\xBF\xBD"

// The string value "s" of the JSON object text, copied into out.
static void
s_value(const char *json, char *out, size_t size)
{
    cJSON *root = provider_json_parse(json, strlen(json));
    CHECK(root != NULL);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "s");
    CHECK(cJSON_IsString(s));
    snprintf(out, size, "%s", s->valuestring);
    cJSON_Delete(root);
}

static sl_delta_t
s_delta(uint8_t kind, uint32_t tool_index, const char *text)
{
    return (sl_delta_t){.kind = kind, .tool_index = tool_index, .text = sl_str(text)};
}

// Join d and return its text (copied into out); *orphan_out gets an orphan's text or "".
static void
s_join(provider_surrogates_t *j, sl_delta_t d, char *out, size_t size, int *orphan_kind)
{
    sl_delta_t orphan;
    bool has = false;
    provider_surrogates_join(j, &d, &orphan, &has);
    *orphan_kind = -1;
    if (has) {
        CHECK_MEM(orphan.text.ptr, orphan.text.len, FFFD, 3);
        *orphan_kind = orphan.kind;
    }
    snprintf(out, size, "%.*s", (int)d.text.len, d.text.ptr);
}

int
main(void)
{
    char v[64];
    // A pair is cJSON's own; lone halves come out as WTF-8.
    s_value("{\"s\":\"a\\ud83d\\ude80b\"}", v, sizeof v);
    CHECK_STR(v, "a" ROCKET "b");
    s_value("{\"s\":\"say \\ud83d\"}", v, sizeof v);
    CHECK_STR(v, "say \xED\xA0\xBD");
    s_value("{\"s\":\"\\uDE80!\"}", v, sizeof v);
    CHECK_STR(v, "\xED\xBA\x80!");
    // "\\u" is a backslash and a u, not an escape; other escapes stay as they were.
    s_value("{\"s\":\"\\\\ud83d \\u00e9 \\\" \\ud83d\"}", v, sizeof v);
    CHECK_STR(v, "\\ud83d \xC3\xA9 \" \xED\xA0\xBD");
    // Still not JSON: NULL.
    CHECK(provider_json_parse("{\"s\":\"\\ud83d", 12) == NULL);
    CHECK(provider_json_parse("{\"s\":\\ud83d}", 13) == NULL);

    provider_surrogates_t j;
    provider_surrogates_init(&j);
    char out[64];
    int orphan = -1;
    CHECK(!provider_surrogates_any("plain " ROCKET, 10));
    CHECK(provider_surrogates_any("x\xED\xA0\xBD", 4));

    // Text without halves passes untouched (borrowed, not copied).
    sl_delta_t d = s_delta(SL_DELTA_TEXT, 0, "hello");
    sl_delta_t o;
    bool has = true;
    provider_surrogates_join(&j, &d, &o, &has);
    CHECK(!has);
    CHECK_STR(d.text.ptr, "hello");

    // A tool call's arguments split inside the pair: the first delta keeps its text before
    // the half, the next starts with the whole character.
    s_join(&j, s_delta(SL_DELTA_TOOL, 1, "{\"note\":\"hi \xED\xA0\xBD"), out, sizeof out, &orphan);
    CHECK_STR(out, "{\"note\":\"hi ");
    CHECK_INT(orphan, ==, -1);
    s_join(&j, s_delta(SL_DELTA_TOOL, 1, "\xED\xBA\x80\"}"), out, sizeof out, &orphan);
    CHECK_STR(out, ROCKET "\"}");
    CHECK_INT(orphan, ==, -1);

    // A delta that is only the high half leaves nothing to send yet.
    s_join(&j, s_delta(SL_DELTA_TEXT, 0, "\xED\xA0\xBD"), out, sizeof out, &orphan);
    CHECK_STR(out, "");
    s_join(&j, s_delta(SL_DELTA_TEXT, 0, "\xED\xBA\x80"), out, sizeof out, &orphan);
    CHECK_STR(out, ROCKET);

    // Both halves in one delta: joined in place.
    s_join(&j, s_delta(SL_DELTA_TEXT, 0, "a\xED\xA0\xBD\xED\xBA\x80z"), out, sizeof out, &orphan);
    CHECK_STR(out, "a" ROCKET "z");

    // A high half whose channel moves on: U+FFFD on its channel first, then the other delta.
    s_join(&j, s_delta(SL_DELTA_TOOL, 0, "x\xED\xA0\xBD"), out, sizeof out, &orphan);
    CHECK_STR(out, "x");
    s_join(&j, s_delta(SL_DELTA_TOOL, 2, "y"), out, sizeof out, &orphan);
    CHECK_INT(orphan, ==, SL_DELTA_TOOL);
    CHECK_STR(out, "y");

    // A high half followed by anything but its partner, and a lone low half: U+FFFD each.
    s_join(&j, s_delta(SL_DELTA_TEXT, 0, "p\xED\xA0\xBD"), out, sizeof out, &orphan);
    s_join(&j, s_delta(SL_DELTA_TEXT, 0, "q\xED\xBA\x80r\xED\xA0\xBDs"), out, sizeof out, &orphan);
    CHECK_STR(out, FFFD "q" FFFD "r" FFFD "s");

    // The end with a half waiting: U+FFFD on its channel; then nothing more waits.
    s_join(&j, s_delta(SL_DELTA_REASONING, 0, "t\xED\xA0\xBD"), out, sizeof out, &orphan);
    CHECK(provider_surrogates_end(&j, &o));
    CHECK_INT(o.kind, ==, SL_DELTA_REASONING);
    CHECK_MEM(o.text.ptr, o.text.len, FFFD, 3);
    CHECK(!provider_surrogates_end(&j, &o));

    provider_surrogates_free(&j);
    printf("surrogates_test: ok\n");
    return 0;
}
