// sl/log.h - one line per call to stderr, prefixed with the process name and pid.
//
// The identity is set once at start-up. The level comes from SLUICE_LOG (error, warn, info,
// debug; default info). Each call writes exactly one line of at most 2 KiB (longer messages
// are cut) with one write(), so lines of processes sharing a stderr never interleave.
//
// Text in a message may come from outside (upstream error bodies, client strings, peer
// names), so the message is escaped (sl_log_escape): a newline, a carriage return or an
// escape sequence in it can neither start a forged line nor drive the terminal that shows
// the log. Lines a peer can trigger use the _rl variants below. Never pass a secret: use
// sl_log_redact() on anything that might hold one. Not thread-safe (one loop per process).
#ifndef SL_LOG_H
#define SL_LOG_H
#include <stddef.h>
#include <stdint.h>

typedef enum { SL_LOG_ERROR = 0, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG } sl_log_level_t;

#define SL_LOG_RL_BURST 10 // lines one _rl call site prints per one-second window

// Per-call-site rate-limit state; the _rl macros keep one static instance at each site.
// Shown so the macros can define it; treat the fields as private.
typedef struct {
    int64_t window_ms;   // monotonic start of the current one-second window
    uint32_t printed;    // lines printed in this window
    uint32_t suppressed; // lines dropped in this window
} sl_log_rl_t;

// Set the process name used as prefix (copied; at most 31 bytes kept) and read SLUICE_LOG.
void sl_log_init(const char *ident);
void sl_log_set_level(sl_log_level_t level);
// True when a line at level would be printed; lets callers skip building costly arguments.
int sl_log_enabled(sl_log_level_t level);
// Write one line at level (nothing when the level is off). Use the macros below.
void sl_log_write(sl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Write one line at level unless rl has used up its window: see sl_log_warn_rl.
void sl_log_write_rl(sl_log_rl_t *rl, sl_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// Copy the len bytes at in to out (size out_size, always NUL-terminated), escaped for a log
// line: \n, \r and \t for those three, \xNN (lowercase hex) for every other byte below 0x20
// and for 0x7f, and \xc2\xNN for the UTF-8 form of a C1 control (U+0080..U+009F, which
// some terminals obey like ESC [). Every other byte, UTF-8 text and backslash included, is
// copied as it is. Stops before an escape that would not fit whole. Returns the bytes
// written, without the NUL. Cheap: one pass, no allocation.
size_t sl_log_escape(const char *in, size_t len, char *out, size_t out_size);
// Copy of s safe to log: keeps the first 4 characters of anything at least 12 long and masks
// the rest ("sk-a…(51)"), so a key's presence is visible and its value is not. Writes into
// out (size out_size, always NUL-terminated) and returns out.
const char *sl_log_redact(const char *s, char *out, size_t out_size);

#define sl_log_error(...) sl_log_write(SL_LOG_ERROR, __VA_ARGS__)
#define sl_log_warn(...)  sl_log_write(SL_LOG_WARN, __VA_ARGS__)
#define sl_log_info(...)  sl_log_write(SL_LOG_INFO, __VA_ARGS__)
#define sl_log_debug(...)                            \
    do {                                             \
        if (sl_log_enabled(SL_LOG_DEBUG))            \
            sl_log_write(SL_LOG_DEBUG, __VA_ARGS__); \
    } while (0)
// Rate-limited warn and error, for every line a peer or an upstream can trigger (bad frames,
// upstream errors under an outage): each call site prints at most SL_LOG_RL_BURST lines per
// one-second window and drops the rest. The first line after a window that dropped some is
// preceded by "(N similar lines suppressed)"; drops in a window after which the site never
// logs again are not reported. Each site has its own budget, so one noisy site cannot hide
// the others.
#define sl_log_warn_rl(...)                                \
    do {                                                   \
        static sl_log_rl_t s_rl_;                          \
        sl_log_write_rl(&s_rl_, SL_LOG_WARN, __VA_ARGS__); \
    } while (0)
#define sl_log_error_rl(...)                                \
    do {                                                    \
        static sl_log_rl_t s_rl_;                           \
        sl_log_write_rl(&s_rl_, SL_LOG_ERROR, __VA_ARGS__); \
    } while (0)

#endif
