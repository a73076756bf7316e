// buf_test.c - the capped buffer: appends, the cap, JSON escaping, consume.
#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"

int
main(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 10);
    CHECK_STR(sl_buf_str(&b), "");
    CHECK_INT(sl_buf_append_str(&b, "hello"), ==, 0);
    CHECK_INT(sl_buf_append_str(&b, "world"), ==, 0); // exactly at the cap
    CHECK_STR(sl_buf_str(&b), "helloworld");
    CHECK_INT(sl_buf_append_str(&b, "!"), ==, SL_ETOOBIG); // cap + 1
    CHECK_INT(b.len, ==, 10);
    sl_buf_consume(&b, 5);
    CHECK_STR(sl_buf_str(&b), "world");
    CHECK_INT(sl_buf_printf(&b, "%d", 12345), ==, 0);
    CHECK_STR(sl_buf_str(&b), "world12345");
    CHECK_INT(sl_buf_printf(&b, "%d", 1), ==, SL_ETOOBIG);
    sl_buf_free(&b);

    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } esc[] = {
        {"plain", 5, "plain"},
        {"a\"b", 3, "a\\\"b"},
        {"back\\slash", 10, "back\\\\slash"},
        {"nl\ncr\rtab\t", 10, "nl\\ncr\\rtab\\t"},
        {"\x01\x1f", 2, "\\u0001\\u001f"},
        {"nul\0x", 5, "nul\\u0000x"},
        {"\xc3\xa9\xf0\x9f\x98\x80", 6, "\xc3\xa9\xf0\x9f\x98\x80"}, // UTF-8 passes through
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof esc / sizeof esc[0]; i++) {
        sl_buf_init(&b, 1024);
        CHECK_INT(sl_buf_append_json_str(&b, esc[i].in, esc[i].len), ==, 0);
        CHECK_STR(sl_buf_str(&b), esc[i].out);
        sl_buf_free(&b);
    }
    // An escape that does not fit leaves the buffer as it was.
    sl_buf_init(&b, 8);
    CHECK_INT(sl_buf_append_str(&b, "abc"), ==, 0);
    CHECK_INT(sl_buf_append_json_str(&b, "\"\"\"", 3), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "abc");
    sl_buf_free(&b);
    // Rollback cuts back to a mark and says why; a mark past the end changes nothing.
    sl_buf_init(&b, 64);
    CHECK_INT(sl_buf_append_str(&b, "keep"), ==, 0);
    size_t mark = b.len;
    CHECK_INT(sl_buf_append_str(&b, "drop"), ==, 0);
    CHECK_INT(sl_buf_rollback(&b, mark), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "keep");
    CHECK_INT(sl_buf_rollback(&b, 100), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "keep");
    sl_buf_free(&b);
    printf("buf_test: ok\n");
    return 0;
}
