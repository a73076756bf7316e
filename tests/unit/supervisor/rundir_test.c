// rundir_test.c - mkdir -p, telling a live ipc endpoint from a stale one, removing ipc files.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "rundir.h"
#include "sl/err.h"
#include "sl/fs.h"

static char s_tmp[128];

// A unix socket file nobody listens on: what a crashed process leaves behind.
static void
s_make_stale_socket(const char *path)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof addr.sun_path);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_INT(bind(fd, (const struct sockaddr *)&addr, sizeof addr), ==, 0);
    close(fd);
}

// A listening unix socket at path; returns its fd.
static int
s_listen(const char *path)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_INT(bind(fd, (const struct sockaddr *)&addr, sizeof addr), ==, 0);
    CHECK_INT(listen(fd, 4), ==, 0);
    return fd;
}

static bool
s_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void
s_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", s_tmp, name);
}

static void
s_test_is_live(void)
{
    char path[256], ep[300];
    CHECK(!supervisor_rundir_is_live("tcp://127.0.0.1:1"));
    CHECK(!supervisor_rundir_is_live("ipc://@abstract"));
    CHECK(!supervisor_rundir_is_live(NULL));
    s_path(path, sizeof path, "none.ipc");
    snprintf(ep, sizeof ep, "ipc://%s", path);
    CHECK(!supervisor_rundir_is_live(ep)); // no file
    s_path(path, sizeof path, "stale.ipc");
    s_make_stale_socket(path);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    CHECK(!supervisor_rundir_is_live(ep)); // file, nobody listening
    s_path(path, sizeof path, "live.ipc");
    int fd = s_listen(path);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    CHECK(supervisor_rundir_is_live(ep));
    close(fd);
    unlink(path);
    s_path(path, sizeof path, "stale.ipc");
    unlink(path);
}

static void
s_test_remove_ipc(void)
{
    char run_dir[256], outside[256], ep_outside[300], p[256];
    s_path(run_dir, sizeof run_dir, "run");
    s_path(outside, sizeof outside, "elsewhere.sock");
    snprintf(ep_outside, sizeof ep_outside, "ipc://%s", outside);
    sl_config_t cfg = {.run_dir = run_dir,
                       .ep_frontend = "tcp://127.0.0.1:5555",
                       .ep_store = ep_outside,
                       .ep_query = "ipc://@abstract"};
    CHECK_INT(supervisor_rundir_remove_ipc(&cfg), ==, 0); // no run_dir yet: nothing to do
    CHECK_INT(sl_fs_mkdir_p(run_dir, 0700), ==, 0);
    static const char *const sockets[] = {"run/a.ipc", "run/b.ipc", "run/keep.sock", NULL};
    for (size_t i = 0; sockets[i]; i++) {
        s_path(p, sizeof p, sockets[i]);
        s_make_stale_socket(p);
    }
    s_make_stale_socket(outside);
    s_path(p, sizeof p, "run/notes.ipc"); // a regular file: not ours to remove
    FILE *f = fopen(p, "w");
    CHECK(f);
    fclose(f);
    CHECK_INT(supervisor_rundir_remove_ipc(&cfg), ==, 3);
    s_path(p, sizeof p, "run/a.ipc");
    CHECK(!s_exists(p));
    s_path(p, sizeof p, "run/b.ipc");
    CHECK(!s_exists(p));
    CHECK(!s_exists(outside));
    s_path(p, sizeof p, "run/keep.sock");
    CHECK(s_exists(p));
    unlink(p);
    s_path(p, sizeof p, "run/notes.ipc");
    CHECK(s_exists(p));
    unlink(p);
    CHECK_INT(supervisor_rundir_remove_ipc(&cfg), ==, 0);
    rmdir(run_dir);
}

int
main(void)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/sl-rundir-XXXXXX");
    CHECK(mkdtemp(s_tmp));
    s_test_is_live();
    s_test_remove_ipc();
    char p[256];
    static const char *const leftovers[] = {"file", "a/b/c", "a/b", "a", NULL};
    for (size_t i = 0; leftovers[i]; i++) {
        s_path(p, sizeof p, leftovers[i]);
        if (remove(p) < 0)
            fprintf(stderr, "cannot remove %s\n", p);
    }
    CHECK_INT(rmdir(s_tmp), ==, 0);
    return 0;
}
