// poller_test.c - paced passes over a worker's upstream sockets: a busy poller sleeps out the
// window before reading settled sockets, never before a fresh one (a stream's first token),
// and a socket removed and added again is fresh. Socket pairs stand in for upstreams; the
// pass's after-callback reads what became ready.
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "poller.h"
#include "sl/clock.h"

#define PAIRS     250 // ready in the first pass: past 200, PROVIDER_POLLER_BUSY_RATE's share of 100 ms
#define WINDOW_MS 300 // long: a wait is plain in the counts
#define SECOND_MS 140 // the second pass: after the busy rate's 100 ms period, before 200 ms
#define TRIES     3   // a loaded machine may fire the second pass outside its 100-200 ms

typedef struct {
    int fds[PAIRS][2];   // [0] watched by the poller, [1] written by the test
    int write_second[2]; // pairs written for the second pass (-1: none)
    int64_t created_us, second_us;
    size_t bytes; // read by the after-callbacks
    provider_poller_t *poller;
} s_fixture_t;

static void
s_after(void *arg)
{
    s_fixture_t *f = arg;
    char buf[64];
    for (int i = 0; i < PAIRS; i++) {
        ssize_t n;
        while ((n = recv(f->fds[i][0], buf, sizeof buf, MSG_DONTWAIT)) > 0)
            f->bytes += (size_t)n;
    }
}

static int
s_on_second(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_fixture_t *f = arg;
    f->second_us = sl_clock_mono_us();
    for (int i = 0; i < 2; i++)
        if (f->write_second[i] >= 0)
            CHECK(write(f->fds[f->write_second[i]][1], "x", 1) == 1);
    return 0;
}

static int
s_on_stop(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

// One run: every pair written for a first pass (all settled but `fresh`), then the pairs in
// second written SECOND_MS later. Returns the poller's counts, or passes = 0 when the second
// pass came outside the busy period's bounds (the run tells nothing).
static provider_poller_stats_t
s_run(int fresh, int second_a, int second_b, bool readd)
{
    s_fixture_t f;
    memset(&f, 0, sizeof f);
    f.write_second[0] = second_a;
    f.write_second[1] = second_b;
    zloop_t *loop = zloop_new();
    CURLM *multi = curl_multi_init();
    f.created_us = sl_clock_mono_us();
    f.poller = provider_poller_new(loop, multi, WINDOW_MS, s_after, &f);
    CHECK(f.poller);
    for (int i = 0; i < PAIRS; i++) {
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, f.fds[i]) == 0);
        CHECK(provider_poller_watch(f.poller, f.fds[i][0], CURL_POLL_IN) == 0);
        if (i != fresh)
            provider_poller_settle(f.poller, f.fds[i][0]);
        CHECK(write(f.fds[i][1], "x", 1) == 1);
    }
    if (readd) { // the kept connection of another transfer: fresh again
        CHECK(provider_poller_watch(f.poller, f.fds[second_a][0], CURL_POLL_REMOVE) == 0);
        CHECK(provider_poller_watch(f.poller, f.fds[second_a][0], CURL_POLL_IN) == 0);
    }
    zloop_timer(loop, SECOND_MS, 1, s_on_second, &f);
    zloop_timer(loop, WINDOW_MS + SECOND_MS + 100, 1, s_on_stop, &f);
    zloop_start(loop);

    provider_poller_stats_t stats = provider_poller_stats(f.poller);
    int64_t at_ms = (f.second_us - f.created_us) / 1000;
    if (at_ms < 100 || at_ms >= 200)
        stats.passes = 0;
    else
        CHECK_INT(f.bytes, ==, (size_t)PAIRS + (second_b >= 0 ? 2 : 1)); // every byte read
    provider_poller_destroy(&f.poller);
    curl_multi_cleanup(multi);
    zloop_destroy(&loop);
    for (int i = 0; i < PAIRS; i++) {
        close(f.fds[i][0]);
        close(f.fds[i][1]);
    }
    return stats;
}

static provider_poller_stats_t
s_run_until_timed(int fresh, int second_a, int second_b, bool readd)
{
    for (int i = 0; i < TRIES; i++) {
        provider_poller_stats_t stats = s_run(fresh, second_a, second_b, readd);
        if (stats.passes)
            return stats;
    }
    CHECK(!"the second pass never came within 100-200 ms of the start");
    return (provider_poller_stats_t){0};
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);

    // Busy, and the second pass finds only a settled socket: it sleeps out the window first.
    provider_poller_stats_t s = s_run_until_timed(-1, 7, -1, false);
    CHECK_INT(s.passes, ==, 2);
    CHECK_INT(s.waits, ==, 1);
    CHECK_INT(s.fresh, ==, 0);

    // The same, with a fresh socket ready too (a stream's first token): read at once, with
    // the settled one beside it.
    s = s_run_until_timed(3, 7, 3, false);
    CHECK_INT(s.passes, ==, 2);
    CHECK_INT(s.waits, ==, 0);
    CHECK_INT(s.fresh, ==, 1);

    // A settled socket removed and added again (a kept connection, the next transfer) is fresh.
    s = s_run_until_timed(-1, 7, -1, true);
    CHECK_INT(s.passes, ==, 2);
    CHECK_INT(s.waits, ==, 0);
    CHECK_INT(s.fresh, ==, 1);

    // Not busy (a first pass of one socket): never a wait, settled or not.
    provider_poller_stats_t quiet;
    {
        zloop_t *loop = zloop_new();
        CURLM *multi = curl_multi_init();
        s_fixture_t f;
        memset(&f, 0, sizeof f);
        f.poller = provider_poller_new(loop, multi, WINDOW_MS, s_after, &f);
        for (int i = 0; i < PAIRS; i++)
            f.fds[i][0] = f.fds[i][1] = -1;
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, f.fds[0]) == 0);
        CHECK(provider_poller_watch(f.poller, f.fds[0][0], CURL_POLL_IN) == 0);
        provider_poller_settle(f.poller, f.fds[0][0]);
        CHECK(write(f.fds[0][1], "x", 1) == 1);
        f.write_second[0] = 0;
        f.write_second[1] = -1;
        zloop_timer(loop, SECOND_MS, 1, s_on_second, &f);
        zloop_timer(loop, SECOND_MS + 100, 1, s_on_stop, &f);
        zloop_start(loop);
        quiet = provider_poller_stats(f.poller);
        CHECK_INT(f.bytes, ==, 2);
        provider_poller_destroy(&f.poller);
        curl_multi_cleanup(multi);
        zloop_destroy(&loop);
        close(f.fds[0][0]);
        close(f.fds[0][1]);
    }
    CHECK_INT(quiet.passes, ==, 2);
    CHECK_INT(quiet.waits, ==, 0);
    CHECK_INT(quiet.fresh, ==, 0);

    curl_global_cleanup();
    return 0;
}
