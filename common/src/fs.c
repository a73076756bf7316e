// fs.c - directory creation (see sl/fs.h).
#include "sl/fs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "sl/err.h"

// mkdir that accepts an existing directory (EEXIST, or EACCES on a parent such as /home
// that we may not create but that is there).
static int
s_mkdir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0)
        return 0;
    int err = errno;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    errno = err == EEXIST ? ENOTDIR : err;
    return -1;
}

int
sl_fs_mkdir_p(const char *path, mode_t mode)
{
    size_t len = strlen(path);
    if (len == 0) {
        errno = ENOENT;
        return SL_ESYS;
    }
    if (len >= PATH_MAX)
        return SL_ETOOBIG;
    char buf[PATH_MAX];
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (s_mkdir(buf, 0700) < 0)
            return SL_ESYS;
        *p = '/';
    }
    return s_mkdir(buf, mode) < 0 ? SL_ESYS : 0;
}

int
sl_fs_mkdir_parent(const char *path)
{
    if (strncmp(path, "ipc://", 6) == 0)
        path += 6;
    else if (strstr(path, "://"))
        return 0; // tcp:// and the like live in no directory
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    size_t len = (size_t)(slash - path);
    if (len >= PATH_MAX)
        return SL_ETOOBIG;
    char dir[PATH_MAX];
    memcpy(dir, path, len);
    dir[len] = '\0';
    return sl_fs_mkdir_p(dir, 0700);
}
