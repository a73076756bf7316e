// toolcall_test.c - planned tool calls: deterministic, ids in each provider's look, arguments
// that are a JSON object with a UTF-8 string and a number, fragments that are whole UTF-8 and
// add up to the arguments.
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "toolcall.h"

static bool
s_all_in(const char *s, const char *alphabet)
{
    for (; *s; s++)
        if (!strchr(alphabet, *s))
            return false;
    return true;
}

static void
s_test_shape(void)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    bool saw_escape = false, saw_multibyte = false, saw_cut_escape = false;
    for (uint64_t seed = 0; seed < 200; seed++) {
        for (size_t i = 0; i < 3; i++) {
            mockllm_toolcall_t c, again;
            mockllm_toolcall_plan(seed, i, "get_weather", MOCKLLM_TOOLCALL_ID_OPENAI, false, &c);
            mockllm_toolcall_plan(seed, i, "get_weather", MOCKLLM_TOOLCALL_ID_OPENAI, false,
                                  &again);
            CHECK_STR(c.id, again.id);
            CHECK_STR(c.arguments, again.arguments);
            CHECK_INT(c.n_frags, ==, again.n_frags);
            CHECK_STR(c.name, "get_weather");
            CHECK(strncmp(c.id, "call_", 5) == 0 && strlen(c.id) == 29 && s_all_in(c.id + 5, b62));

            cJSON *args = cJSON_Parse(c.arguments);
            CHECK(cJSON_IsObject(args));
            CHECK(cJSON_IsString(cJSON_GetObjectItem(args, "location")));
            CHECK(cJSON_IsString(cJSON_GetObjectItem(args, "note")));
            const cJSON *days = cJSON_GetObjectItem(args, "days");
            CHECK(cJSON_IsNumber(days) && days->valueint >= 1 && days->valueint <= 30);
            cJSON_Delete(args);
            saw_escape |= strchr(c.arguments, '\\') != NULL && strstr(c.arguments, "\\\\") == NULL;
            saw_multibyte |= strpbrk(c.arguments, "\xc3\xe6\xf0\xce") != NULL;

            // Fragments: 2..10 bytes (longer only to finish a character), whole UTF-8, and
            // together exactly the arguments.
            CHECK_INT(c.n_frags, >=, 3);
            size_t total = 0;
            for (size_t f = 0; f < c.n_frags; f++) {
                size_t len;
                const char *frag = mockllm_toolcall_frag(&c, f, &len);
                CHECK(frag == c.arguments + total);
                CHECK_INT(len, >, 0);
                CHECK_INT(len, <=, 13);
                CHECK(((unsigned char)frag[0] & 0xc0) != 0x80); // starts on a character
                saw_cut_escape |= frag[len - 1] == '\\';
                total += len;
            }
            CHECK_INT(total, ==, strlen(c.arguments));
            mockllm_toolcall_free(&c);
            mockllm_toolcall_free(&c); // twice is a no-op
            mockllm_toolcall_free(&again);
        }
    }
    CHECK(saw_escape && saw_multibyte && saw_cut_escape);
}

static void
s_test_ids(void)
{
    mockllm_toolcall_t a, b, c, n;
    mockllm_toolcall_plan(7, 0, "f", MOCKLLM_TOOLCALL_ID_ANTHROPIC, false, &a);
    mockllm_toolcall_plan(7, 0, "lookup", MOCKLLM_TOOLCALL_ID_COHERE, false, &c);
    mockllm_toolcall_plan(7, 0, "f", MOCKLLM_TOOLCALL_ID_NONE, false, &n);
    mockllm_toolcall_plan(7, 1, "f", MOCKLLM_TOOLCALL_ID_ANTHROPIC, false, &b);
    CHECK(strncmp(a.id, "toolu_01", 8) == 0 && strlen(a.id) == 30);
    CHECK(strcmp(a.id, b.id) != 0); // per position
    CHECK(strncmp(c.id, "lookup_", 7) == 0 && strlen(c.id) == 19);
    CHECK(s_all_in(c.id + 7, "0123456789abcdefghijklmnopqrstuvwxyz"));
    CHECK(n.id == NULL);
    CHECK_STR(n.arguments, a.arguments); // the id style never changes the arguments
    mockllm_toolcall_free(&a);
    mockllm_toolcall_free(&b);
    mockllm_toolcall_free(&c);
    mockllm_toolcall_free(&n);
}

// utf16: every call's note ends in U+1F680, cut between its halves: one fragment's JSON ends
// with "\ud83d", the next one's starts with "\ude80", and the fragments' JSON strings, put
// together and parsed, are the arguments.
static void
s_test_utf16(void)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        mockllm_toolcall_t c;
        mockllm_toolcall_plan(seed, 0, "f", MOCKLLM_TOOLCALL_ID_OPENAI, true, &c);
        CHECK(strstr(c.arguments, " \xf0\x9f\x9a\x80\"}") != NULL);
        sl_buf_t all, one;
        sl_buf_init(&all, 1 << 16);
        sl_buf_init(&one, 1 << 16);
        int halves = 0;
        (void)sl_buf_append_str(&all, "[");
        for (size_t f = 0; f < c.n_frags; f++) {
            sl_buf_reset(&one);
            CHECK_INT(mockllm_toolcall_frag_json(&c, f, &one), ==, 0);
            const char *j = sl_buf_str(&one);
            if (one.len >= 7 && strcmp(j + one.len - 7, "\\ud83d\"") == 0) {
                halves++;
                CHECK(f + 1 < c.n_frags);
                sl_buf_t next;
                sl_buf_init(&next, 1 << 16);
                CHECK_INT(mockllm_toolcall_frag_json(&c, f + 1, &next), ==, 0);
                CHECK(strncmp(sl_buf_str(&next), "\"\\ude80", 7) == 0);
                sl_buf_free(&next);
            }
            (void)sl_buf_printf(&all, "%s%s", f ? "," : "", j);
        }
        (void)sl_buf_append_str(&all, "]");
        CHECK_INT(halves, >=, 1);
        // cJSON refuses lone halves, so join the strings as JSON text first: "a\ud83d","\ude80b"
        // becomes "a\ud83d\ude80b" once the quotes and commas between them are gone.
        sl_buf_t joined;
        sl_buf_init(&joined, 1 << 16);
        (void)sl_buf_append_str(&joined, "\"");
        const char *p = sl_buf_str(&all) + 1;
        for (size_t f = 0; f < c.n_frags; f++) {
            const char *q = p + 1; // past the opening quote
            const char *end = q;
            while (*end != '"')
                end += *end == '\\' ? 2 : 1;
            (void)sl_buf_append(&joined, q, (size_t)(end - q));
            p = end + 2; // past the closing quote and the comma
        }
        (void)sl_buf_append_str(&joined, "\"");
        cJSON *str = cJSON_Parse(sl_buf_str(&joined));
        CHECK(cJSON_IsString(str));
        CHECK_STR(str->valuestring, c.arguments);
        cJSON_Delete(str);
        sl_buf_free(&joined);
        sl_buf_free(&all);
        sl_buf_free(&one);
        mockllm_toolcall_free(&c);
    }
    // Without utf16 no fragment starts or ends inside a character (s_test_shape), and the
    // arguments are not changed by the option's absence.
    mockllm_toolcall_t a, b;
    mockllm_toolcall_plan(3, 0, "f", MOCKLLM_TOOLCALL_ID_OPENAI, false, &a);
    mockllm_toolcall_plan(3, 0, "f", MOCKLLM_TOOLCALL_ID_OPENAI, true, &b);
    CHECK(strncmp(a.arguments, b.arguments, strlen(a.arguments) - 2) == 0);
    mockllm_toolcall_free(&a);
    mockllm_toolcall_free(&b);
}

int
main(void)
{
    s_test_shape();
    s_test_ids();
    s_test_utf16();
    printf("toolcall_test: ok\n");
    return 0;
}
