// validate.h - `sluice validate`: check a config file and whether each of its providers is
// reachable, and print the verdict as one JSON object.
//
// The config is loaded as every process loads it (sl_config_load: an unknown key, a bad value
// or a dangling reference is an error that names the key). Then every provider's base_url is
// resolved and connected to over TCP (no request is sent, no key is used), all at once, each
// within SUPERVISOR_VALIDATE_CONNECT_MS. The answer:
//   {"ok": true|false, "config": path or null, "error": message (when the file does not load),
//    "routes": n, "providers": [{"name", "kind", "base_url", "reachable": bool, "ms": connect
//    time, "error": why not (when not)}]}
// ok is true when the file loads and every provider is reachable. The supervisor runs it as a
// child process for `sluice ctl validate` and POST /admin/validate, so a slow DNS lookup never
// blocks its loop; it also runs by hand. Exit status 0 when ok, 1 otherwise.
#ifndef SUPERVISOR_VALIDATE_H
#define SUPERVISOR_VALIDATE_H
#include <stdbool.h>

// Longest wait for one provider's TCP connect.
#define SUPERVISOR_VALIDATE_CONNECT_MS 3000

// Validate config_path (NULL: the defaults) and print the JSON verdict on stdout. Returns the
// exit status.
int supervisor_validate_main(const char *config_path);

// The same run as a child process of the supervisor, read without blocking its loop.
typedef struct supervisor_validate supervisor_validate_t; // opaque

// Start `<this program> validate [-c config_path]` with its stdout on a pipe. NULL when it
// cannot be started (logged). Caller owns the result.
supervisor_validate_t *supervisor_validate_start(const char *config_path);
// The pipe to poll for reading.
int supervisor_validate_fd(const supervisor_validate_t *self);
// Read what the pipe holds. Returns true once the child has closed it and been reaped: then
// supervisor_validate_output has the verdict.
bool supervisor_validate_read(supervisor_validate_t *self);
// The verdict (the child's whole stdout) and *ok (exit status 0). Borrowed from self.
const char *supervisor_validate_output(const supervisor_validate_t *self, bool *ok);
// Kill the child if it still runs, reap it, close the pipe, free self, set *self_p to NULL.
void supervisor_validate_destroy(supervisor_validate_t **self_p);

#endif
