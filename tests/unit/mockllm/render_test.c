// render_test.c - the shared rendering helpers: all-or-nothing commits, JSON strings, line
// ends, Google-style pretty printing (strings untouched), seed-derived UUIDs.
#include "check.h"
#include "render.h"
#include "sl/err.h"

int
main(void)
{
    sl_buf_t out, tmp;
    sl_buf_init(&out, 10);
    CHECK_INT(sl_buf_append_str(&out, "ab"), ==, 0);
    mockllm_render_begin(&tmp, &out);
    CHECK_INT(tmp.max_len, ==, 8);
    CHECK_INT(mockllm_render_str(&tmp, "x\"y"), ==, 0);
    CHECK_INT(mockllm_render_commit(&out, &tmp, 0), ==, 0);
    CHECK_STR(sl_buf_str(&out), "ab\"x\\\"y\"");
    mockllm_render_begin(&tmp, &out);
    CHECK_INT(mockllm_render_str(&tmp, "z"), ==, SL_ETOOBIG); // 3 bytes, 2 left
    CHECK_INT(mockllm_render_commit(&out, &tmp, SL_ETOOBIG), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&out), "ab\"x\\\"y\"");
    mockllm_render_begin(&tmp, &out);
    CHECK_INT(mockllm_render_commit(&out, &tmp, SL_EINVAL), ==, SL_ETOOBIG); // any failure
    sl_buf_free(&out);

    sl_buf_init(&out, 1 << 16);
    CHECK_INT(mockllm_render_strn(&out, "a\nb\0c", 5), ==, 0);
    CHECK_STR(sl_buf_str(&out), "\"a\\nb\\u0000c\"");
    CHECK_STR(mockllm_render_eol(true), "\r\n");
    CHECK_STR(mockllm_render_eol(false), "\n");

    static const struct {
        const char *in;
        const char *eol;
        const char *want;
    } pretty[] = {
        {"{}", "\n", "{}"},
        {"[ ]", "\n", "[]"},
        {"{\"a\": 1,\"b\": [1, 2],\"c\": {},\"d\": []}", "\n",
         "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {},\n  \"d\": []\n}"},
        {"{\"s\":\"x, {y}: [z] \\\" \\\\\",\"t\":true}", "\r\n",
         "{\r\n  \"s\": \"x, {y}: [z] \\\" \\\\\",\r\n  \"t\": true\r\n}"},
        {"[{\"a\":{\"b\":null}}]", "\n", "[\n  {\n    \"a\": {\n      \"b\": null\n    }\n  }\n]"},
    };
    for (size_t i = 0; i < sizeof pretty / sizeof pretty[0]; i++) {
        sl_buf_reset(&out);
        CHECK_INT(mockllm_render_pretty(&out, pretty[i].in, strlen(pretty[i].in), pretty[i].eol),
                  ==, 0);
        CHECK_STR(sl_buf_str(&out), pretty[i].want);
    }
    sl_buf_free(&out);
    sl_buf_init(&out, 5);
    CHECK_INT(mockllm_render_pretty(&out, "{\"a\":1}", 7, "\n"), ==, SL_ETOOBIG);
    sl_buf_free(&out);

    char a[MOCKLLM_RENDER_UUID_SIZE], b[MOCKLLM_RENDER_UUID_SIZE], c[MOCKLLM_RENDER_UUID_SIZE];
    mockllm_render_uuid(42, a);
    mockllm_render_uuid(42, b);
    mockllm_render_uuid(43, c);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK_INT(strlen(a), ==, 36);
    CHECK(a[8] == '-' && a[13] == '-' && a[14] == '4' && a[18] == '-' && a[19] == '8'
          && a[23] == '-');
    for (int i = 0; i < 36; i++)
        CHECK(strchr("0123456789abcdef-", a[i]) != NULL);
    printf("render_test: ok\n");
    return 0;
}
