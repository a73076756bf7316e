// log_test.c - sl/log: escaping of outside text, one line per call, the 2 KiB cut, rate
// limits, levels and redaction.
//
// Lines are captured by pointing stderr at a temporary file.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sl/log.h"

static FILE *s_capture; // the file stderr points at while capturing
static int s_saved_fd;  // the real stderr

static void
s_capture_start(void)
{
    s_capture = tmpfile();
    CHECK(s_capture);
    s_saved_fd = dup(STDERR_FILENO);
    CHECK(s_saved_fd >= 0);
    CHECK_INT(dup2(fileno(s_capture), STDERR_FILENO), ==, STDERR_FILENO);
}

// Stop capturing; what was written goes to out (NUL-terminated). Returns its length.
static size_t
s_capture_end(char *out, size_t out_size)
{
    CHECK_INT(dup2(s_saved_fd, STDERR_FILENO), ==, STDERR_FILENO);
    close(s_saved_fd);
    rewind(s_capture);
    size_t n = fread(out, 1, out_size - 1, s_capture);
    out[n] = '\0';
    fclose(s_capture);
    return n;
}

static int
s_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void
s_test_escape_table(void)
{
    static const struct {
        const char *in;
        size_t len; // bytes of in (it may hold a NUL)
        const char *out;
    } cases[] = {
        {"", 0, ""},
        {"plain text, key=value", 21, "plain text, key=value"},
        {"a\nb", 3, "a\\nb"},
        {"\r\n\t", 3, "\\r\\n\\t"},
        {"\x1b[2J\x1b[31mred", 12, "\\x1b[2J\\x1b[31mred"},          // ESC: clear screen, colour
        {"\x07\x08\x7f", 3, "\\x07\\x08\\x7f"},                      // bell, backspace, DEL
        {"a\0b", 3, "a\\x00b"},                                      // a NUL inside the text
        {"\x1f \x20", 3, "\\x1f  "},                                 // 0x1f is the last control
        {"caf\xc3\xa9 \xe2\x9c\x93", 9, "caf\xc3\xa9 \xe2\x9c\x93"}, // UTF-8 stays as it is
        {"\xc2\x9b"
         "2J",
         4, "\\xc2\\x9b2J"},                             // U+009B is CSI, ESC [ in one character
        {"\xc2\x80\xc2\x9f", 4, "\\xc2\\x80\\xc2\\x9f"}, // the C1 range's both ends
        {"\xc2\xa0", 2, "\xc2\xa0"},                     // U+00A0 is printable
        {"end\xc2", 4, "end\xc2"},                       // cut UTF-8 at the end: left alone
        {"C:\\dir \\n", 9, "C:\\dir \\n"},               // backslashes are copied as they are
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        size_t n = sl_log_escape(cases[i].in, cases[i].len, out, sizeof out);
        CHECK_STR(out, cases[i].out);
        CHECK_INT(n, ==, strlen(cases[i].out));
    }
}

// A full out stops before an escape that does not fit whole, and is always terminated.
static void
s_test_escape_cap(void)
{
    char out[16];
    CHECK_INT(sl_log_escape("ab\n", 3, out, 4), ==, 2); // "\n" needs two bytes, one is left
    CHECK_STR(out, "ab");
    CHECK_INT(sl_log_escape("ab\n", 3, out, 5), ==, 4);
    CHECK_STR(out, "ab\\n");
    CHECK_INT(sl_log_escape("a\x1b", 2, out, 5), ==, 1); // "\x1b" needs four
    CHECK_STR(out, "a");
    CHECK_INT(sl_log_escape("a\x1b", 2, out, 6), ==, 5);
    CHECK_STR(out, "a\\x1b");
    CHECK_INT(sl_log_escape("\xc2\x9b", 2, out, 8), ==, 0); // both bytes or nothing
    CHECK_STR(out, "");
    CHECK_INT(sl_log_escape("abc", 3, out, 1), ==, 0);
    CHECK_STR(out, "");
    CHECK_INT(sl_log_escape("abc", 3, out, 3), ==, 2);
    CHECK_STR(out, "ab");
}

// Every line is one line: outside text with newlines and escapes is escaped in the message,
// and the prefix (time, ident, pid, level) stays as it is.
static void
s_test_one_line(void)
{
    char out[8192];
    s_capture_start();
    sl_log_warn("upstream said: %s", "bad\r\n00:00:00.000 sluice[1] ERROR forged\x1b[2J");
    sl_log_info("client name=%.*s", 5, "ab\ncd");
    size_t n = s_capture_end(out, sizeof out);
    CHECK_INT(s_count(out, "\n"), ==, 2);
    CHECK(out[n - 1] == '\n');
    char want[256];
    snprintf(want, sizeof want,
             "logtest[%d] WARN upstream said: bad\\r\\n00:00:00.000 "
             "sluice[1] ERROR forged\\x1b[2J\n",
             (int)getpid());
    CHECK(strstr(out, want));
    snprintf(want, sizeof want, "logtest[%d] INFO client name=ab\\ncd\n", (int)getpid());
    CHECK(strstr(out, want));
    CHECK(!strchr(out, '\r'));
    CHECK(!strchr(out, '\x1b'));
}

// A message longer than a line is cut at 2 KiB, still as one line, and escapes near the cut
// are never split.
static void
s_test_long(void)
{
    static char big[5000];
    memset(big, 'x', sizeof big - 1);
    for (size_t i = 1990; i < 2100; i++)
        big[i] = '\n';
    char out[8192];
    s_capture_start();
    sl_log_error("%s", big);
    size_t n = s_capture_end(out, sizeof out);
    CHECK_INT(n, <=, 2047);
    CHECK_INT(n, >=, 2040);
    CHECK_INT(s_count(out, "\n"), ==, 1);
    CHECK(out[n - 1] == '\n');
    CHECK(out[n - 2] == 'n' && out[n - 3] == '\\'); // a whole "\n" right before the end
}

// Each _rl call site prints SL_LOG_RL_BURST lines per one-second window, drops the rest,
// and says how many it dropped when it prints again; two sites never share a budget.
static void
s_test_rate_limit(void)
{
    char out[16384];
    s_capture_start();
    for (int i = 0; i < 25; i++) {
        sl_log_warn_rl("bad frame i=%d from=%s", i, "peer\n");
        if (i < 3)
            sl_log_error_rl("other site i=%d", i);
    }
    s_capture_end(out, sizeof out);
    CHECK_INT(s_count(out, "WARN bad frame"), ==, SL_LOG_RL_BURST);
    CHECK(strstr(out, "WARN bad frame i=9 from=peer\\n\n"));
    CHECK(!strstr(out, "i=10 "));
    CHECK_INT(s_count(out, "ERROR other site"), ==, 3);

    // The window is moved back by hand instead of waiting a second.
    sl_log_rl_t rl = {0};
    s_capture_start();
    for (int i = 0; i < SL_LOG_RL_BURST + 2; i++)
        sl_log_write_rl(&rl, SL_LOG_WARN, "upstream error n=%d", i);
    rl.window_ms -= 1000;
    sl_log_write_rl(&rl, SL_LOG_WARN, "upstream error n=%d", 99);
    s_capture_end(out, sizeof out);
    CHECK_INT(s_count(out, "upstream error"), ==, SL_LOG_RL_BURST + 1);
    CHECK_INT(s_count(out, "WARN (2 similar lines suppressed)\n"), ==, 1);
    CHECK(strstr(out, "(2 similar lines suppressed)\n"));
    CHECK(strstr(strstr(out, "suppressed"), "upstream error n=99\n"));
}

static void
s_test_levels(void)
{
    char out[4096];
    sl_log_set_level(SL_LOG_ERROR);
    s_capture_start();
    sl_log_warn("hidden");
    sl_log_warn_rl("hidden too");
    sl_log_debug("hidden as well");
    sl_log_error("shown");
    s_capture_end(out, sizeof out);
    CHECK_INT(s_count(out, "\n"), ==, 1);
    CHECK(strstr(out, "ERROR shown\n"));
    CHECK(!sl_log_enabled(SL_LOG_WARN));
    sl_log_set_level(SL_LOG_INFO);
    CHECK(sl_log_enabled(SL_LOG_INFO));
    CHECK(!sl_log_enabled(SL_LOG_DEBUG));
}

static void
s_test_redact(void)
{
    char out[64];
    CHECK_STR(sl_log_redact("sk-abcdefghijklmnop", out, sizeof out), "sk-a***(19)");
    CHECK_STR(sl_log_redact("short", out, sizeof out), "***(5)");
    CHECK_STR(sl_log_redact(NULL, out, sizeof out), "(none)");
}

int
main(void)
{
    CHECK_INT(unsetenv("SLUICE_LOG"), ==, 0);
    sl_log_init("logtest");
    s_test_escape_table();
    s_test_escape_cap();
    s_test_one_line();
    s_test_long();
    s_test_rate_limit();
    s_test_levels();
    s_test_redact();
    return 0;
}
