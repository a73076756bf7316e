// ids.c - UUIDv7 request ids (see sl/ids.h).
#include "sl/ids.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "sl/log.h"
#include "sl/text.h"

// Random bytes are read from the kernel a pool at a time: one getrandom() per 409 ids keeps
// an id cheap, and the pool never holds bytes that were handed out before.
#define S_POOL_BYTES 4096
#define S_ID_RANDOM  10 // bytes of randomness per id, of which 74 bits are kept

static uint8_t s_pool[S_POOL_BYTES];     // random bytes, used from s_pool_pos on
static size_t s_pool_pos = S_POOL_BYTES; // first unused byte; S_POOL_BYTES: empty
static pid_t s_pool_pid;                 // process that filled the pool

// Fill buf from /dev/urandom; false (errno set) when it cannot be opened or read.
static bool
s_read_urandom(uint8_t *buf, size_t len)
{
    int fd;
    do
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return false;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n > 0)
            got += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break; // an error, or EOF, which /dev/urandom never gives
    }
    int saved = errno;
    (void)close(fd); // read-only: nothing to lose on close
    errno = saved;
    return got == len;
}

// Refill the whole pool. Ids are the only key to a stored stream (GET /v1/streams/<id>), so
// without the kernel's randomness we stop rather than hand out guessable ones.
static void
s_fill_pool(void)
{
    size_t got = 0;
    int getrandom_errno = 0;
    while (got < sizeof s_pool) {
        // Flags 0: blocks only until the kernel's pool is first seeded at boot. A large
        // request can return short or fail with EINTR on a signal: go on where it stopped.
        ssize_t n = getrandom(s_pool + got, sizeof s_pool - got, 0);
        if (n > 0) {
            got += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            getrandom_errno = n < 0 ? errno : EIO;
            break; // ENOSYS (old kernel), EPERM (seccomp), ...
        }
    }
    if (got < sizeof s_pool) {
        static bool s_warned; // once per process: the fallback works and stays in use
        if (!s_warned) {
            sl_log_warn("ids: getrandom failed (%s), reading /dev/urandom",
                        strerror(getrandom_errno));
            s_warned = true;
        }
        if (!s_read_urandom(s_pool + got, sizeof s_pool - got)) {
            sl_log_error("ids: no randomness for request ids: getrandom: %s; /dev/urandom: %s",
                         strerror(getrandom_errno), strerror(errno));
            abort();
        }
    }
    s_pool_pos = 0;
    s_pool_pid = getpid();
}

// Copy len fresh random bytes to out. A child after fork() refills first, so parent and
// child never hand out the same bytes.
static void
s_random(uint8_t *out, size_t len)
{
    if (sizeof s_pool - s_pool_pos < len || s_pool_pid != getpid())
        s_fill_pool();
    memcpy(out, s_pool + s_pool_pos, len);
    // Wipe what was handed out: a later memory leak cannot reveal ids already issued.
    memset(s_pool + s_pool_pos, 0, len);
    s_pool_pos += len;
}

void
sl_id_new(int64_t now_wall_ms, char out[SL_ID_LEN + 1])
{
    uint8_t b[16];
    uint64_t ms = (uint64_t)now_wall_ms;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i)); // 48-bit big-endian Unix ms
    s_random(b + 6, S_ID_RANDOM);
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f)); // version 7, 4 random bits left (rand_a: 12)
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f)); // variant 10, 6 random bits left (rand_b: 62)
    snprintf(out, SL_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

int
sl_id_is_valid(const char *s, size_t len)
{
    if (!s || len != SL_ID_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int64_t
sl_id_time_ms(const char *id)
{
    int64_t ms = 0;
    for (size_t i = 0; i < 13; i++) // "0190b3e0-7a1c": 12 hex digits around the first dash
        if (id[i] != '-')
            ms = ms * 16 + sl_text_hex_value(id[i]);
    return ms;
}
