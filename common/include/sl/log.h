// sl/log.h - one line per call to stderr, prefixed with the process name and pid.
//
// The identity is set once at start-up. The level comes from SLUICE_LOG (error, warn, info,
// debug; default info). Lines a peer can trigger use the _rl variants: each call site prints
// at most SL_LOG_RL_BURST lines per second and counts what it suppressed. Never pass a secret:
// use sl_log_redact() on anything that might hold one. Not thread-safe (one loop per process).
#ifndef SL_LOG_H
#define SL_LOG_H
#include <stddef.h>
#include <stdint.h>

typedef enum { SL_LOG_ERROR = 0, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG } sl_log_level_t;

#define SL_LOG_RL_BURST 10

// Per-call-site rate-limit state; the _rl macros keep one static instance at each site.
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
void sl_log_write(sl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_log_write_rl(sl_log_rl_t *rl, sl_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
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
