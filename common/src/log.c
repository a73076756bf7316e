// log.c - line-oriented logging to stderr (see sl/log.h).
#include "sl/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sl/clock.h"

#define S_LINE_MAX 2048 // bytes of one log line, newline included

static char s_ident[32] = "sluice";
static sl_log_level_t s_level = SL_LOG_INFO;
static const char *const s_level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void
sl_log_init(const char *ident)
{
    if (ident)
        snprintf(s_ident, sizeof s_ident, "%s", ident);
    const char *env = getenv("SLUICE_LOG");
    if (!env)
        return;
    for (int i = SL_LOG_ERROR; i <= SL_LOG_DEBUG; i++)
        if (strcasecmp(env, s_level_names[i]) == 0)
            s_level = (sl_log_level_t)i;
}

void
sl_log_set_level(sl_log_level_t level)
{
    s_level = level;
}

int
sl_log_enabled(sl_log_level_t level)
{
    return level <= s_level;
}

// True for a byte a log line never holds as it is: the C0 controls and DEL.
static inline bool
s_is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

// True when in[i] starts the UTF-8 form of a C1 control, U+0080..U+009F (C2 80..C2 9F).
static inline bool
s_is_c1(const unsigned char *in, size_t len, size_t i)
{
    return in[i] == 0xc2 && i + 1 < len && in[i + 1] >= 0x80 && in[i + 1] <= 0x9f;
}

__attribute__((format(printf, 2, 0))) static void
s_vwrite(sl_log_level_t level, const char *fmt, va_list ap)
{
    char msg[S_LINE_MAX];
    char line[S_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n =
        snprintf(line, sizeof line, "%02d:%02d:%02d.%03d %s[%d] %s ", tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (int)(tv.tv_usec / 1000), s_ident, (int)getpid(), s_level_names[level]);
    if (n < 0 || (size_t)n >= sizeof line - 1)
        return;
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    if (m < 0)
        return;
    size_t msg_len = (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1; // cut: bounded
    // The message may quote outside text: escape it so it stays one line and inert. The
    // prefix is ours. One byte is kept back for the newline.
    size_t len = (size_t)n + sl_log_escape(msg, msg_len, line + n, sizeof line - (size_t)n - 1);
    line[len++] = '\n';
    // One write() per line keeps lines from different processes whole on a shared stderr.
    ssize_t rc = write(STDERR_FILENO, line, len);
    (void)rc; // nowhere left to report a failed log write
}

void
sl_log_write(sl_log_level_t level, const char *fmt, ...)
{
    if (level > s_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    s_vwrite(level, fmt, ap);
    va_end(ap);
}

void
sl_log_write_rl(sl_log_rl_t *rl, sl_log_level_t level, const char *fmt, ...)
{
    if (level > s_level)
        return;
    int64_t now_ms = sl_clock_mono_ms();
    if (now_ms - rl->window_ms >= 1000) {
        if (rl->suppressed)
            sl_log_write(level, "(%u similar lines suppressed)", rl->suppressed);
        rl->window_ms = now_ms;
        rl->printed = 0;
        rl->suppressed = 0;
    }
    if (rl->printed >= SL_LOG_RL_BURST) {
        rl->suppressed++;
        return;
    }
    rl->printed++;
    va_list ap;
    va_start(ap, fmt);
    s_vwrite(level, fmt, ap);
    va_end(ap);
}

size_t
sl_log_escape(const char *in, size_t len, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    if (!out || out_size == 0)
        return 0;
    const unsigned char *src = (const unsigned char *)in;
    size_t o = 0;
    size_t room = out_size - 1; // for the NUL
    for (size_t i = 0; i < len; i++) {
        unsigned char c = src[i];
        if (!s_is_control(c) && !s_is_c1(src, len, i)) {
            if (o + 1 > room)
                break;
            out[o++] = (char)c;
            continue;
        }
        char esc[8];
        size_t n = 0;
        esc[n++] = '\\';
        if (c == '\n' || c == '\r' || c == '\t') {
            esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            esc[n++] = 'x';
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 0xf];
            if (c == 0xc2) { // a C1 control: its second byte goes too
                unsigned char c2 = src[++i];
                esc[n++] = '\\';
                esc[n++] = 'x';
                esc[n++] = hex[c2 >> 4];
                esc[n++] = hex[c2 & 0xf];
            }
        }
        if (o + n > room)
            break; // never half an escape
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
    return o;
}

const char *
sl_log_redact(const char *s, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return "";
    if (!s) {
        snprintf(out, out_size, "(none)");
        return out;
    }
    size_t len = strlen(s);
    if (len < 12)
        snprintf(out, out_size, "***(%zu)", len);
    else
        snprintf(out, out_size, "%.4s***(%zu)", s, len);
    return out;
}
