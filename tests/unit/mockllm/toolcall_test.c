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
            mockllm_toolcall_plan(seed, i, "get_weather", MOCKLLM_TOOLCALL_ID_OPENAI, &c);
            mockllm_toolcall_plan(seed, i, "get_weather", MOCKLLM_TOOLCALL_ID_OPENAI, &again);
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
    mockllm_toolcall_plan(7, 0, "f", MOCKLLM_TOOLCALL_ID_ANTHROPIC, &a);
    mockllm_toolcall_plan(7, 0, "lookup", MOCKLLM_TOOLCALL_ID_COHERE, &c);
    mockllm_toolcall_plan(7, 0, "f", MOCKLLM_TOOLCALL_ID_NONE, &n);
    mockllm_toolcall_plan(7, 1, "f", MOCKLLM_TOOLCALL_ID_ANTHROPIC, &b);
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

int
main(void)
{
    s_test_shape();
    s_test_ids();
    printf("toolcall_test: ok\n");
    return 0;
}
