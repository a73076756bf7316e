// ids_test.c - UUIDv7 request ids: the layout (timestamp, version, variant), validity,
// uniqueness over many ids and pool refills, random bits that vary, fresh bytes after fork(),
// and sl_id_is_valid's table.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sl/ids.h"

#define N_IDS 100000

static char s_ids[N_IDS][SL_ID_LEN + 1];

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int
s_hex(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

// The 16 bytes of an id's text.
static void
s_bytes(const char *id, uint8_t b[16])
{
    size_t k = 0;
    for (size_t i = 0; i < SL_ID_LEN; i++) {
        if (id[i] == '-')
            continue;
        if (k % 2 == 0)
            b[k / 2] = (uint8_t)(s_hex(id[i]) << 4);
        else
            b[k / 2] |= (uint8_t)s_hex(id[i]);
        k++;
    }
    CHECK_INT(k, ==, 32);
}

// 100k ids, one millisecond apart in pairs: all valid, the layout right, all distinct, and
// each of the 74 random bits seen both set and clear (a constant bit would be a layout or
// randomness bug; by chance this fails with probability 74 * 2^-99999).
static void
test_many(void)
{
    const int64_t base_ms = 0x0190b3e07a1cLL;
    uint8_t seen_set[16] = {0}, seen_clear[16] = {0};
    for (size_t i = 0; i < N_IDS; i++) {
        int64_t ms = base_ms + (int64_t)(i / 2);
        sl_id_new(ms, s_ids[i]);
        CHECK_INT(strlen(s_ids[i]), ==, SL_ID_LEN);
        CHECK(sl_id_is_valid(s_ids[i], SL_ID_LEN));
        uint8_t b[16];
        s_bytes(s_ids[i], b);
        uint64_t got_ms = 0;
        for (int k = 0; k < 6; k++)
            got_ms = got_ms << 8 | b[k];
        CHECK_INT(got_ms, ==, ms);
        CHECK_INT(sl_id_time_ms(s_ids[i]), ==, ms);
        CHECK_INT(b[6] >> 4, ==, 7); // version 7
        CHECK_INT(b[8] >> 6, ==, 2); // variant 10
        CHECK(s_ids[i][14] == '7');  // as text, too
        CHECK(strchr("89ab", s_ids[i][19]) != NULL);
        for (int k = 6; k < 16; k++) {
            seen_set[k] |= b[k];
            seen_clear[k] |= (uint8_t)~b[k];
        }
    }
    CHECK_INT(seen_set[6] & 0x0f, ==, 0x0f);
    CHECK_INT(seen_clear[6] & 0x0f, ==, 0x0f);
    CHECK_INT(seen_set[8] & 0x3f, ==, 0x3f);
    CHECK_INT(seen_clear[8] & 0x3f, ==, 0x3f);
    for (int k = 6; k < 16; k++) {
        if (k == 6 || k == 8)
            continue;
        CHECK_INT(seen_set[k], ==, 0xff);
        CHECK_INT(seen_clear[k], ==, 0xff);
    }
    // The first id's text is exactly the layout: timestamp digits, then '7'.
    CHECK(strncmp(s_ids[0], "0190b3e0-7a1c-7", 15) == 0);

    qsort(s_ids, N_IDS, sizeof s_ids[0], s_cmp);
    for (size_t i = 1; i < N_IDS; i++)
        CHECK(strcmp(s_ids[i - 1], s_ids[i]) != 0);
}

// A child after fork() does not repeat the parent's next id: it refills its own pool.
static void
test_fork(void)
{
    char warm[SL_ID_LEN + 1];
    sl_id_new(1, warm); // the pool is filled before the fork
    int fds[2];
    CHECK_INT(pipe(fds), ==, 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char id[SL_ID_LEN + 1];
        sl_id_new(1, id);
        ssize_t n = write(fds[1], id, SL_ID_LEN);
        _exit(n == SL_ID_LEN ? 0 : 1);
    }
    CHECK_INT(close(fds[1]), ==, 0);
    char parent[SL_ID_LEN + 1], child[SL_ID_LEN + 1] = {0};
    sl_id_new(1, parent);
    size_t got = 0;
    while (got < SL_ID_LEN) {
        ssize_t n = read(fds[0], child + got, SL_ID_LEN - got);
        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK_INT(close(fds[0]), ==, 0);
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), ==, pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(sl_id_is_valid(child, SL_ID_LEN));
    CHECK(strcmp(parent, child) != 0);
}

static void
test_is_valid(void)
{
    static const struct {
        const char *s;
        int valid;
    } cases[] = {
        {"0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f", 1},
        {"00000000-0000-0000-0000-000000000000", 1},
        {"0190B3E0-7A1C-7CC1-9F3E-5B2A1C0D9E8F", 0},  // uppercase
        {"0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8", 0},   // one short
        {"0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f0", 0}, // one long
        {"0190b3e07a1c-7cc1-9f3e-5b2a1c0d9e8f0", 0},  // dash moved
        {"0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8g", 0},  // not hex
        {"0190b3e0_7a1c-7cc1-9f3e-5b2a1c0d9e8f", 0},  // not a dash
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_INT(sl_id_is_valid(cases[i].s, strlen(cases[i].s)), ==, cases[i].valid);
    CHECK_INT(sl_id_is_valid(NULL, SL_ID_LEN), ==, 0);
    // A NUL inside is not hex: the length is what counts, not the terminator.
    CHECK_INT(sl_id_is_valid("0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8\0", SL_ID_LEN), ==, 0);
}

int
main(void)
{
    test_many();
    test_fork();
    test_is_valid();
    printf("ids_test: ok\n");
    return 0;
}
