// sl/fs.h - the few file-system steps several processes need: making directories.
//
// Thread-safe (no state).
#ifndef SL_FS_H
#define SL_FS_H
#include <sys/types.h>

// mkdir -p: create path and any missing parents (parents 0700, path itself mode). An
// existing directory is fine. Returns 0; SL_ESYS with errno set (ENOTDIR when a file is in
// the way, ENOENT for ""); SL_ETOOBIG when path is PATH_MAX or longer.
int sl_fs_mkdir_p(const char *path, mode_t mode);
// Create the directory that will hold path, a file or an "ipc://" endpoint's socket file
// (mode 0700). Other endpoints (tcp:// ...) and bare names need none: 0. Errors as above.
int sl_fs_mkdir_parent(const char *path);

#endif
