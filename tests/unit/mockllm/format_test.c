// format_test.c - the format table: routing by path, error families, names, planning from a
// path with a query, and whole streams rendered from the layout.
#include "check.h"
#include "format.h"
#include "sl/err.h"

int
main(void)
{
    static const struct {
        const char *path;
        const char *serves; // NULL: no format
        const char *family;
    } routes[] = {
        {"/v1/chat/completions", "openai", "openai"},
        {"/v1/messages", "anthropic", "anthropic"},
        {"/v1/messages/count_tokens", NULL, "anthropic"},
        {"/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini", "gemini"},
        {"/v1beta/models/g:generateContent", "gemini", "gemini"},
        {"/v1beta/models/g:embedContent", NULL, "gemini"},
        {"/v2/chat", "cohere", "cohere"},
        {"/v2/embed", NULL, "cohere"},
        {"/api/chat", "ollama", "ollama"},
        {"/api/generate", NULL, "ollama"},
        {"/v1/completions", NULL, "openai"},
        {"/", NULL, "openai"},
        {"", NULL, "openai"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const mockllm_format_t *f = mockllm_format_for_path(routes[i].path);
        if (routes[i].serves)
            CHECK_STR(f ? f->name : "(none)", routes[i].serves);
        else
            CHECK(f == NULL);
        CHECK_STR(mockllm_format_for_family(routes[i].path)->name, routes[i].family);
    }
    size_t n = 0;
    for (; mockllm_formats[n]; n++) {
        CHECK(mockllm_format_by_name(mockllm_formats[n]->name) == mockllm_formats[n]);
        char path[256];
        snprintf(path, sizeof path, "%.*s", (int)strcspn(mockllm_formats[n]->path, "?"),
                 mockllm_formats[n]->path);
        CHECK(mockllm_formats[n]->serves(path)); // its main path is its own
    }
    CHECK_INT(n, ==, 5);
    CHECK(mockllm_format_by_name("bogus") == NULL);

    // Planning from a path with its query; a path too long is refused before anything else.
    const mockllm_format_t *g = mockllm_format_by_name("gemini");
    const char *body = "{\"contents\":[{\"parts\":[{\"text\":\"[mock tokens=2]\"}]}]}";
    mockllm_script_t s;
    char err[128];
    CHECK_INT(mockllm_format_plan(g, "/v1beta/models/x:streamGenerateContent?alt=sse", body,
                                  strlen(body), &s, err, sizeof err),
              ==, 0);
    CHECK(s.stream && !s.array);
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);
    CHECK_INT(mockllm_format_stream(g, &s, 0, &b), ==, 0);
    CHECK(strncmp(sl_buf_str(&b), "data: {\"candidates\"", 19) == 0);
    sl_buf_free(&b);
    sl_buf_init(&b, 10);
    CHECK_INT(mockllm_format_stream(g, &s, 0, &b), ==, SL_ETOOBIG);
    CHECK_INT(b.len, ==, 0);
    sl_buf_free(&b);
    mockllm_script_destroy(&s);
    static char long_path[3000];
    memset(long_path, 'a', sizeof long_path - 1);
    CHECK_INT(mockllm_format_plan(g, long_path, body, strlen(body), &s, err, sizeof err), ==,
              SL_EINVAL);
    CHECK(strstr(err, "path is longer than") != NULL);
    printf("format_test: ok\n");
    return 0;
}
