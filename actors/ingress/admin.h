// admin.h - which control command an /admin/* or /metrics request asks for, and whether the
// caller may ask it.
//
// The ingress answers these URLs by sending the supervisor a CTL command and relaying its
// CTL_REPLY (docs/protocol.md, "Control"):
//
//   GET  /metrics                        metrics       (Prometheus text format)
//   GET  /admin/status                   status
//   GET  /admin/circuits                 circuits
//   POST /admin/circuits/<key>/open      open <key>    (<key>: provider or provider/model,
//   POST /admin/circuits/<key>/close     close <key>    percent-decoded)
//   POST /admin/circuits/<key>/reset     reset <key>
//   POST /admin/circuits/reset           reset         (every breaker)
//   POST /admin/reset-statistics         reset-stats
//   POST /admin/drain                    drain
//   POST /admin/reload                   reload
//
// Who may: with admin.key_env set (and its variable non-empty), /admin/* needs the key, as
// `Authorization: Bearer <key>` or `x-api-key: <key>`, from any address; without it, /admin/*
// answers only callers on a loopback address. /metrics answers loopback callers always, and
// others only with the key. Keys are compared in constant time and never logged. Pure: no
// sockets. Thread-safe.
#ifndef INGRESS_ADMIN_H
#define INGRESS_ADMIN_H
#include <stdbool.h>
#include <stddef.h>

// Longest argument (a breaker key).
#define INGRESS_ADMIN_MAX_ARG 255

// What a request asks for. Shown so callers keep it on the stack.
typedef struct {
    unsigned status;                     // 0: ask the supervisor; else answer this status
    const char *message;                 // status != 0: why (static)
    const char *command;                 // status == 0: the CTL command (static)
    char arg[INGRESS_ADMIN_MAX_ARG + 1]; // status == 0: its argument, "" for none
    bool text;                           // the answer is the Prometheus text, not JSON
} ingress_admin_ask_t;

// True when url is one the admin API serves (/metrics, or under /admin/).
bool ingress_admin_owns(const char *url);
// Decide what the request url/method asks for. loopback: the caller's address is a loopback
// one. admin_key: the configured key, or NULL for none. authorization and api_key: the
// request's Authorization and x-api-key headers, NULL when absent. Fills *ask: status 401
// (no key given where one is needed), 403 (a wrong key, or not loopback without a key set),
// 404 (no such admin URL), 405 (wrong method), or 0 with the command.
void ingress_admin_decide(const char *url,
                          const char *method,
                          bool loopback,
                          const char *admin_key,
                          const char *authorization,
                          const char *api_key,
                          ingress_admin_ask_t *ask);

#endif
