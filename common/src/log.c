// log.c - line-oriented logging to stderr (see sl/log.h).
#include "sl/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sl/clock.h"

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

__attribute__((format(printf, 2, 0))) static void
s_vwrite(sl_log_level_t level, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n =
        snprintf(line, sizeof line, "%02d:%02d:%02d.%03d %s[%d] %s ", tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (int)(tv.tv_usec / 1000), s_ident, (int)getpid(), s_level_names[level]);
    if (n < 0)
        return;
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2; // truncated: a log line never grows without bound
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
