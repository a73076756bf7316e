// fs_test.c - mkdir -p and the parent directory of a file or an ipc:// endpoint.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "sl/err.h"
#include "sl/fs.h"

static char s_tmp[64];

static void
s_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", s_tmp, name);
}

static void
s_test_mkdir_p(void)
{
    char path[256];
    s_path(path, sizeof path, "a/b//c/");
    CHECK_INT(sl_fs_mkdir_p(path, 0700), ==, 0);
    CHECK_INT(sl_fs_mkdir_p(path, 0700), ==, 0); // exists: fine
    struct stat st;
    s_path(path, sizeof path, "a/b/c");
    CHECK_INT(stat(path, &st), ==, 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(st.st_mode & 0777, ==, 0700);
    s_path(path, sizeof path, "file");
    FILE *f = fopen(path, "w");
    CHECK(f);
    fclose(f);
    errno = 0;
    CHECK_INT(sl_fs_mkdir_p(path, 0700), ==, SL_ESYS); // a file is in the way
    CHECK_INT(errno, ==, ENOTDIR);
    s_path(path, sizeof path, "file/sub");
    CHECK_INT(sl_fs_mkdir_p(path, 0700), ==, SL_ESYS);
    CHECK_INT(sl_fs_mkdir_p("", 0700), ==, SL_ESYS);
    char *big = malloc(8192);
    CHECK(big);
    memset(big, 'x', 8191);
    big[8191] = '\0';
    CHECK_INT(sl_fs_mkdir_p(big, 0700), ==, SL_ETOOBIG);
    free(big);
}

static void
s_test_mkdir_parent(void)
{
    char path[256];
    struct stat st;
    s_path(path, sizeof path, "p/q/file.db");
    CHECK_INT(sl_fs_mkdir_parent(path), ==, 0);
    s_path(path, sizeof path, "p/q");
    CHECK_INT(stat(path, &st), ==, 0);
    CHECK(S_ISDIR(st.st_mode));
    char ep[300];
    snprintf(ep, sizeof ep, "ipc://%s/run/x/frontend.ipc", s_tmp);
    CHECK_INT(sl_fs_mkdir_parent(ep), ==, 0);
    s_path(path, sizeof path, "run/x");
    CHECK_INT(stat(path, &st), ==, 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(sl_fs_mkdir_parent("tcp://127.0.0.1:5555"), ==, 0); // nothing to create
    CHECK_INT(sl_fs_mkdir_parent("plain"), ==, 0);
}

int
main(void)
{
    snprintf(s_tmp, sizeof s_tmp, "/tmp/fs_test-XXXXXX");
    CHECK(mkdtemp(s_tmp) != NULL);
    s_test_mkdir_p();
    s_test_mkdir_parent();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    CHECK_INT(system(cmd), ==, 0);
    printf("fs_test: ok\n");
    return 0;
}
