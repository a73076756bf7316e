// ds_http_test.c - the Durable Streams protocol's HTTP vocabulary: offsets, TTLs, RFC 3339
// times, producer numbers, JSON-mode bodies and base64, each read strictly.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ds_http.h"
#include "sl/err.h"

static void
test_offsets(void)
{
    uint64_t v = 99;
    bool now = true;
    CHECK_INT(ingress_ds_offset_parse(NULL, &v, &now), ==, 0);
    CHECK(v == 0 && !now);
    CHECK_INT(ingress_ds_offset_parse("-1", &v, &now), ==, 0);
    CHECK(v == 0 && !now);
    CHECK_INT(ingress_ds_offset_parse("now", &v, &now), ==, 0);
    CHECK(now);
    CHECK_INT(ingress_ds_offset_parse("0000000000000000_0000000000000255", &v, &now), ==, 0);
    CHECK(v == 255 && !now);
    CHECK_INT(ingress_ds_offset_parse("9999999999999999_9999999999999999", &v, &now), ==, 0);
    CHECK(v == 9999999999999999ull);
    static const char *const bad[] = {"",
                                      "0",
                                      "255",
                                      "0000000000000000-0000000000000255",
                                      "0000000000000000_000000000000,255",
                                      "0000000000000000_000000000000 255",
                                      "-2",
                                      "NOW",
                                      "0000000000000000_00000000000002550",
                                      "000000000000000a_0000000000000255"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(ingress_ds_offset_parse(bad[i], &v, &now), ==, -1);
    char out[INGRESS_DS_OFFSET_LEN + 1];
    ingress_ds_offset_format(1234, out);
    CHECK_STR(out, "0000000000000000_0000000000001234");
    // Lexicographic order is numeric order.
    char a[INGRESS_DS_OFFSET_LEN + 1], b[INGRESS_DS_OFFSET_LEN + 1];
    ingress_ds_offset_format(9, a);
    ingress_ds_offset_format(10, b);
    CHECK(strcmp(a, b) < 0);
}

static void
test_numbers(void)
{
    uint64_t v = 0;
    CHECK_INT(ingress_ds_ttl_parse("3600", &v), ==, 0);
    CHECK_INT(v, ==, 3600);
    CHECK_INT(ingress_ds_ttl_parse("0", &v), ==, 0);
    CHECK_INT(v, ==, 0);
    static const char *const bad_ttl[] = {"",      "+3600", "03600", "3600.0",
                                          "3.6e3", "-1",    "abc",   "12345678901"};
    for (size_t i = 0; i < sizeof bad_ttl / sizeof bad_ttl[0]; i++)
        CHECK_INT(ingress_ds_ttl_parse(bad_ttl[i], &v), ==, -1);
    CHECK_INT(ingress_ds_uint53_parse("9007199254740991", &v), ==, 0);
    CHECK(v == 9007199254740991ull);
    CHECK_INT(ingress_ds_uint53_parse("9007199254740992", &v), ==, -1);
    CHECK_INT(ingress_ds_uint53_parse("-1", &v), ==, -1);
    CHECK_INT(ingress_ds_uint53_parse("1.5", &v), ==, -1);
}

static void
test_times(void)
{
    int64_t ms = 0;
    CHECK_INT(ingress_ds_time_parse("2025-01-02T03:04:05Z", &ms), ==, 0);
    CHECK(ms == 1735787045000LL);
    CHECK_INT(ingress_ds_time_parse("2025-01-02T03:04:05.123Z", &ms), ==, 0);
    CHECK(ms == 1735787045123LL);
    CHECK_INT(ingress_ds_time_parse("2025-01-02T05:04:05+02:00", &ms), ==, 0);
    CHECK(ms == 1735787045000LL);
    static const char *const bad[] = {"",
                                      "2025-01-02",
                                      "2025-01-02T03:04:05",
                                      "tomorrow",
                                      "2025-13-02T03:04:05Z",
                                      "2025-01-02T03:04:05Zx",
                                      "2025-01-02T03:04:05.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(ingress_ds_time_parse(bad[i], &ms), ==, -1);
    char out[64];
    ingress_ds_time_format(1735787045123LL, out, sizeof out);
    CHECK_STR(out, "2025-01-02T03:04:05.123Z");
}

static void
test_words(void)
{
    CHECK(ingress_ds_closed("true") && ingress_ds_closed("TRUE"));
    CHECK(!ingress_ds_closed("false") && !ingress_ds_closed("1") && !ingress_ds_closed(NULL));
    CHECK(ingress_ds_is_json("application/json") && ingress_ds_is_json("Application/JSON; x=y"));
    CHECK(!ingress_ds_is_json("application/jsonl") && !ingress_ds_is_json(NULL));
    CHECK(ingress_ds_is_text("text/plain; charset=utf-8")
          && ingress_ds_is_text("application/json"));
    CHECK(!ingress_ds_is_text("application/octet-stream"));
}

// body as messages, one a line in want (count of them in n).
static void
s_expect_json(const char *body, bool flatten, const char *want, uint32_t n)
{
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    uint32_t count = 99;
    const char *why = NULL;
    CHECK_INT(ingress_ds_json_messages(body, strlen(body), flatten, &out, &count, &why), ==, 0);
    CHECK_INT(count, ==, n);
    CHECK_INT(out.len, ==, strlen(want));
    if (out.len)
        CHECK_MEM(out.data, out.len, want, strlen(want));
    sl_buf_free(&out);
}

static void
test_json(void)
{
    s_expect_json("{\"event\": \"created\"}", true, "{\"event\":\"created\"}", 1);
    s_expect_json("[{\"event\": \"a\"}, {\"event\": \"b\"}]", true,
                  "{\"event\":\"a\"}\n{\"event\":\"b\"}", 2);
    s_expect_json("[[1,2], [3,4]]", true, "[1,2]\n[3,4]", 2);
    s_expect_json("[[[1,2,3]]]", true, "[[1,2,3]]", 1);
    s_expect_json(" [ ] ", true, "", 0);
    s_expect_json("[1, 2]", false, "[1,2]", 1);
    // Blanks and commas inside strings stay, escaped quotes too.
    s_expect_json("[\"a, b\", \"say \\\"hi\\\" ]\", {\"k\": \"x y\"}]", true,
                  "\"a, b\"\n\"say \\\"hi\\\" ]\"\n{\"k\":\"x y\"}", 3);
    s_expect_json("[1e2, -0, 12345678901234567890]", true, "1e2\n-0\n12345678901234567890", 3);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    uint32_t count = 0;
    const char *why = NULL;
    static const char *const bad[] = {"", "{", "[1,]", "{\"a\":1} x", "nope", "[1] [2]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK_INT(ingress_ds_json_messages(bad[i], strlen(bad[i]), true, &out, &count, &why), ==,
                  SL_EPROTO);
        CHECK_STR(why, "the body is not valid JSON");
    }
    sl_buf_free(&out);
}

static void
test_base64(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {{"", ""},
                 {"f", "Zg=="},
                 {"fo", "Zm8="},
                 {"foo", "Zm9v"},
                 {"foob", "Zm9vYg=="},
                 {"fooba", "Zm9vYmE="},
                 {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_buf_t out;
        sl_buf_init(&out, 64);
        CHECK_INT(ingress_ds_base64(cases[i].in, strlen(cases[i].in), &out), ==, 0);
        CHECK_INT(out.len, ==, strlen(cases[i].out));
        if (out.len)
            CHECK_MEM(out.data, out.len, cases[i].out, strlen(cases[i].out));
        sl_buf_free(&out);
    }
}

int
main(void)
{
    test_offsets();
    test_numbers();
    test_times();
    test_words();
    test_json();
    test_base64();
    printf("ds_http_test: ok\n");
    return 0;
}
