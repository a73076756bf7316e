// callsig_test.c - signatures carried in tool call ids: what can be carried (base64, the size
// cap and one byte past it), the round trip back to the exact text, ids of the client's own
// that hold the separator, and the adapters of providers without signatures getting the plain
// ids (OpenAI's ids are at most 40 bytes, Anthropic's only [A-Za-z0-9_-]).
#include <stdlib.h>
#include <string.h>

#include "callsig.h"
#include "check.h"
#include "translate.h"

static void
s_test_join_split(void)
{
    static const struct {
        const char *signature; // as the provider sent it
        const char *id;        // what the client sees; NULL: not carried, the plain id is used
        const char *back;      // what split gives back
    } cases[] = {
        {"CiQB0e2Kb+/zAQ==", "c_1__thought__CiQB0e2Kb-_zAQ", "CiQB0e2Kb+/zAQ=="},
        {"AAAA", "c_1__thought__AAAA", "AAAA"},
        {"AAE=", "c_1__thought__AAE", "AAE="},
        {"AA==", "c_1__thought__AA", "AA=="},
        {"AAE", "c_1__thought__AAE", "AAE="},   // unpadded: the bytes survive
        {"-_8x", "c_1__thought__-_8x", "+/8x"}, // URL-safe: the bytes survive
        {"", NULL, NULL},                       // nothing to carry
        {"A", NULL, NULL},                      // one character is no byte
        {"AAAAA", NULL, NULL},                  // nor is one past a group
        {"AA=A", NULL, NULL},                   // padding inside
        {"A===", NULL, NULL},                   // too much padding
        {"AAE==", NULL, NULL},                  // padding past the group
        {"AB C", NULL, NULL},                   // not base64 at all
        {"a.b=", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *id = provider_callsig_join("c_1", cases[i].signature);
        if (!cases[i].id) {
            CHECK(id == NULL);
            continue;
        }
        CHECK_STR(id, cases[i].id);
        for (const char *p = id; *p; p++) // only what Anthropic allows in a tool_use id
            CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p));
        size_t base_len = 0;
        char *back = provider_callsig_split(id, &base_len);
        CHECK_STR(back, cases[i].back);
        CHECK_INT(base_len, ==, 3);
        free(back);
        free(id);
    }
    CHECK(provider_callsig_join("", "AAAA") == NULL);
    CHECK(provider_callsig_join(NULL, "AAAA") == NULL);
    CHECK(provider_callsig_join("c", NULL) == NULL);

    // Ids without a signature, or whose separator is not followed by one, stay whole.
    static const char *const plain[] = {
        "call_0",
        "call__thought__",     // nothing after it
        "__thought__AAAA",     // nothing before it
        "mine__thought__a+b",  // the standard alphabet: join never writes it
        "mine__thought__AAE=", // nor padding
        "mine__thought__A",    // nor a lone character
        "x__thought__AA.A",    // nor anything else
        "",
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t base_len = 99;
        CHECK(provider_callsig_split(plain[i], &base_len) == NULL);
        CHECK_INT(base_len, ==, strlen(plain[i]));
    }
    size_t base_len = 99;
    CHECK(provider_callsig_split(NULL, &base_len) == NULL);
    CHECK_INT(base_len, ==, 0);
    // The first separator splits; after it, "__thought__" is base64url text like any other.
    char *back = provider_callsig_split("a__thought__AAAA__thought__", &base_len);
    CHECK_STR(back, "AAAA//thought//=");
    CHECK_INT(base_len, ==, 1);
    free(back);
}

// A signature of PROVIDER_CALLSIG_MAX_BYTES characters is carried; one group more is not.
static void
s_test_cap(void)
{
    size_t max = PROVIDER_CALLSIG_MAX_BYTES;
    char *sig = malloc(max + 5);
    CHECK(sig != NULL);
    memset(sig, 'Q', max + 4);
    sig[max] = '\0';
    char *id = provider_callsig_join("c", sig);
    CHECK(id != NULL);
    CHECK_INT(strlen(id), ==, 1 + strlen(PROVIDER_CALLSIG_SEPARATOR) + max);
    size_t base_len;
    char *back = provider_callsig_split(id, &base_len);
    CHECK_STR(back, sig);
    free(back);
    free(id);
    sig[max] = 'Q';
    sig[max + 4] = '\0';
    CHECK_INT(strlen(sig), ==, max + 4);
    CHECK(provider_callsig_join("c", sig) == NULL);
    // An id a client made up past the cap is a plain id.
    char *long_id = malloc(max + 32);
    CHECK(long_id != NULL);
    snprintf(long_id, max + 32, "c%s%s", PROVIDER_CALLSIG_SEPARATOR, sig);
    CHECK(provider_callsig_split(long_id, &base_len) == NULL);
    CHECK_INT(base_len, ==, strlen(long_id));
    free(long_id);
    free(sig);
}

static void
s_test_strip(void)
{
    cJSON *root = cJSON_Parse(
        "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_0__thought__AAAA\","
        "\"function\":{\"name\":\"f\"}},{\"id\":\"call_1\"},{\"id\":7},{}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0__thought__AAAA\",\"content\":\"x\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"mine__thought__a+b\",\"content\":\"y\"}],"
        "\"id\":\"call_0__thought__AAAA\"}");
    CHECK(root != NULL);
    provider_callsig_strip(root);
    char *text = cJSON_PrintUnformatted(root);
    CHECK_STR(text, "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_0\","
                    "\"function\":{\"name\":\"f\"}},{\"id\":\"call_1\"},{\"id\":7},{}]},"
                    "{\"role\":\"tool\",\"tool_call_id\":\"call_0\",\"content\":\"x\"},"
                    "{\"role\":\"tool\",\"tool_call_id\":\"mine__thought__a+b\",\"content\":"
                    "\"y\"}],\"id\":\"call_0__thought__AAAA\"}");
    free(text);
    cJSON_Delete(root);
    // Not a request: nothing happens.
    root = cJSON_Parse("{\"messages\":{\"tool_call_id\":\"a__thought__AAAA\"}}");
    provider_callsig_strip(root);
    cJSON_Delete(root);
    provider_callsig_strip(NULL);
}

// A conversation that moves from Gemini to another provider: each adapter sends the plain ids.
static void
s_test_other_providers(void)
{
    static const char body[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"w?\"},{\"role\":\"assistant\","
        "\"content\":null,\"tool_calls\":[{\"id\":\"call_5b2a1c0d9e8f_0__thought__CiQB0e2Kb-_zAQ\","
        "\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_5b2a1c0d9e8f_0__thought__CiQB0e2Kb-_zAQ\","
        "\"content\":\"sun\"}]}";
    static const char *const kinds[] = {"openai", "anthropic", "cohere", "ollama"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        sl_provider_cfg_t p = {.name = "p", .kind = (char *)kinds[i], .base_url = "http://h"};
        translate_target_t t = {&p, NULL, "m"};
        provider_request_t req;
        char err[256];
        CHECK_INT(translate_run(&t, body, &req, err, sizeof err), ==, 0);
        const char *out = sl_buf_str(&req.body);
        if (strstr(out, "__thought__") || !strstr(out, "\"call_5b2a1c0d9e8f_0\""))
            fprintf(stderr, "%s: %s\n", kinds[i], out);
        CHECK(strstr(out, "__thought__") == NULL);
        CHECK(strstr(out, "\"call_5b2a1c0d9e8f_0\"") != NULL);
        provider_request_free(&req);
    }
    // Gemini gives the signature back instead.
    sl_provider_cfg_t g = {.name = "g", .kind = "gemini", .base_url = "http://h"};
    translate_target_t t = {&g, NULL, "m"};
    provider_request_t req;
    char err[256];
    CHECK_INT(translate_run(&t, body, &req, err, sizeof err), ==, 0);
    CHECK(strstr(sl_buf_str(&req.body), "\"thoughtSignature\":\"CiQB0e2Kb+/zAQ==\"") != NULL);
    provider_request_free(&req);
}

int
main(void)
{
    s_test_join_split();
    s_test_cap();
    s_test_strip();
    s_test_other_providers();
    printf("callsig_test: ok\n");
    return 0;
}
