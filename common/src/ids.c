// ids.c - UUIDv7 request ids (see sl/ids.h).
#include "sl/ids.h"

#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

static uint64_t s_state[2];
static int s_seeded;

// xorshift128+: ids need uniqueness, not secrecy; the OS seed makes restarts differ.
static uint64_t
s_next(void)
{
    if (!s_seeded) {
        if (getrandom(s_state, sizeof s_state, 0) != (ssize_t)sizeof s_state) {
            s_state[0] = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
            s_state[1] = 0xbf58476d1ce4e5b9ull;
        }
        s_state[0] |= 1;
        s_seeded = 1;
    }
    uint64_t s1 = s_state[0];
    const uint64_t s0 = s_state[1];
    s_state[0] = s0;
    s1 ^= s1 << 23;
    s_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return s_state[1] + s0;
}

void
sl_id_new(int64_t now_wall_ms, char out[SL_ID_LEN + 1])
{
    uint8_t b[16];
    uint64_t ms = (uint64_t)now_wall_ms;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    uint64_t r1 = s_next(), r2 = s_next();
    for (int i = 0; i < 2; i++)
        b[6 + i] = (uint8_t)(r1 >> (8 * i));
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(r2 >> (8 * i));
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f)); // version 7
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f)); // variant 10
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
