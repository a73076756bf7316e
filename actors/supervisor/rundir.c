// rundir.c - data_dir, run_dir and the ipc socket files (see rundir.h).
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sl/err.h"
#include "sl/log.h"

#define S_IPC_PREFIX "ipc://"
#define S_IPC_SUFFIX ".ipc"

// The file of an ipc:// endpoint, or NULL for other transports and for ipc endpoints that
// are no file: abstract sockets ("@name") and the wildcard ("*").
static const char *
s_ipc_path(const char *endpoint)
{
    size_t n = strlen(S_IPC_PREFIX);
    if (!endpoint || strncmp(endpoint, S_IPC_PREFIX, n) != 0)
        return NULL;
    const char *path = endpoint + n;
    if (*path == '\0' || *path == '@' || strcmp(path, "*") == 0)
        return NULL;
    return path;
}

// Remove path if it is a socket. Returns 1 when removed, 0 otherwise.
static int
s_remove_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return 0;
    if (unlink(path) < 0) {
        if (errno != ENOENT)
            sl_log_warn("rundir: cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    return 1;
}

bool
supervisor_rundir_is_live(const char *endpoint)
{
    const char *path = s_ipc_path(endpoint);
    if (!path)
        return false;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path)
        return false; // libzmq could not have bound it either
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    int rc = connect(fd, (const struct sockaddr *)&addr, sizeof addr);
    int err = errno;
    close(fd);
    // EAGAIN: the listener's backlog is full, so someone is listening.
    return rc == 0 || err == EAGAIN;
}

int
supervisor_rundir_remove_ipc(const sl_config_t *cfg)
{
    int removed = 0;
    const char *const endpoints[] = {
        cfg->ep_frontend, cfg->ep_backend, cfg->ep_tokens, cfg->ep_deliver, cfg->ep_store,
        cfg->ep_query,    cfg->ep_events,  cfg->ep_state,  cfg->ep_control,
    };
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        const char *path = s_ipc_path(endpoints[i]);
        if (path)
            removed += s_remove_socket(path);
    }
    DIR *dir = opendir(cfg->run_dir);
    if (!dir)
        return errno == ENOENT ? removed : SL_ESYS;
    const struct dirent *entry;
    size_t suffix_len = strlen(S_IPC_SUFFIX);
    while ((entry = readdir(dir)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len <= suffix_len || strcmp(entry->d_name + len - suffix_len, S_IPC_SUFFIX) != 0)
            continue;
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", cfg->run_dir, entry->d_name);
        if (n < 0 || (size_t)n >= sizeof path)
            continue; // too long to be one of ours: libzmq's limit is 107 bytes
        removed += s_remove_socket(path);
    }
    closedir(dir);
    return removed;
}
