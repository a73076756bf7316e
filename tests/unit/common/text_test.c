// text_test.c - strict integer, host:port, character and UTF-8 checks, from tables.
#include <string.h>

#include "check.h"
#include "sl/text.h"

int
main(void)
{
    static const struct {
        const char *in;
        bool ok;
        int64_t v;
    } ints[] = {
        {"0", true, 0},
        {"42", true, 42},
        {"-7", true, -7},
        {"999999999999999999", true, 999999999999999999LL},
        {"1000000000000000000", false, 0}, // 19 digits
        {"", false, 0},
        {"-", false, 0},
        {"010", false, 0},
        {"0x10", false, 0},
        {"1e3", false, 0},
        {"1_000", false, 0},
        {" 1", false, 0},
        {"1 ", false, 0},
        {"+1", false, 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int64_t v = -12345;
        bool ok = sl_text_parse_int(ints[i].in, strlen(ints[i].in), &v);
        if (ok != ints[i].ok)
            fprintf(stderr, "parse_int('%s')\n", ints[i].in);
        CHECK(ok == ints[i].ok);
        if (ok)
            CHECK_INT(v, ==, ints[i].v);
    }

    static const struct {
        const char *in;
        bool ok;
    } hp[] = {
        {"127.0.0.1:8080", true}, {"localhost:1", true}, {"[::1]:65535", true}, {"host:0", false},
        {"host:65536", false},    {":80", false},        {"host", false},       {"::1:80", false},
        {"[::1]", false},         {"a b:80", false},     {"h/x:80", false},     {"host:08", false},
    };
    for (size_t i = 0; i < sizeof hp / sizeof hp[0]; i++) {
        if (sl_text_is_host_port(hp[i].in, strlen(hp[i].in)) != hp[i].ok)
            fprintf(stderr, "is_host_port('%s')\n", hp[i].in);
        CHECK(sl_text_is_host_port(hp[i].in, strlen(hp[i].in)) == hp[i].ok);
    }

    CHECK(sl_text_chars_ok("abc-1_x", 7, "-_"));
    CHECK(!sl_text_chars_ok("abc.1", 5, "-_"));
    CHECK(sl_text_chars_ok("café/x", 7, NULL));
    CHECK(!sl_text_chars_ok("a b", 3, NULL));
    CHECK(!sl_text_chars_ok("a\x7f", 2, NULL));
    CHECK(sl_text_has_control("a\tb", 3));
    CHECK(!sl_text_has_control("ab", 2));

    static const struct {
        const char *in;
        size_t len;
        int line;
        unsigned byte;
    } utf8[] = {
        {"plain\nascii", 11, 0, 0},
        {"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 14, 0, 0},
        {"ok\n\x9c", 4, 2, 0x9c},         // a lone continuation byte
        {"a\n\nb\xc0\xaf", 6, 3, 0xc0},   // overlong '/'
        {"\xed\xa0\x80", 3, 1, 0xed},     // a surrogate
        {"\xf4\x90\x80\x80", 4, 1, 0xf4}, // past U+10FFFF
        {"\xe6\x97", 2, 1, 0xe6},         // cut short
        {"nul\0x", 5, 1, 0},              // NUL
    };
    for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
        unsigned byte = 999;
        int line = sl_text_utf8_bad_line(utf8[i].in, utf8[i].len, &byte);
        CHECK_INT(line, ==, utf8[i].line);
        if (line)
            CHECK_INT(byte, ==, utf8[i].byte);
    }
    // Hex digits: every byte, either case, nothing else.
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        CHECK_INT(sl_text_hex_value((char)c), ==, want);
    }
    CHECK_INT(sl_text_hex4("00e9"), ==, 0xe9);
    CHECK_INT(sl_text_hex4("D83D"), ==, 0xd83d);
    CHECK_INT(sl_text_hex4("FfFf"), ==, 0xffff);
    CHECK_INT(sl_text_hex4("12g4"), ==, -1);
    CHECK_INT(sl_text_hex4("123\0"), ==, -1);
    // Media types: what comes before ';', blanks trimmed, case ignored.
    size_t n = 0;
    const char *m = sl_text_media_type(" text/plain ; charset=utf-8", 27, &n);
    CHECK_MEM(m, n, "text/plain", 10);
    CHECK(sl_text_media_eq("Application/JSON", 16, "application/json; charset=utf-8", 31));
    CHECK(!sl_text_media_eq("application/json", 16, "application/jsonl", 17));
    CHECK(!sl_text_media_eq("text/plain", 10, "", 0));
    printf("text_test: ok\n");
    return 0;
}
