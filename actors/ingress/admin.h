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
//   POST /admin/validate                 validate      (the config, and each provider's reach)
//   POST /admin/generate                 (the ingress's own: a test generation, see below)
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
#include <stdint.h>
#include <sys/socket.h>

#include "sl/buf.h"

// Longest argument (a breaker key).
#define INGRESS_ADMIN_MAX_ARG 255

// What a request asks for. Shown so callers keep it on the stack.
typedef struct {
    unsigned status;                     // 0: ask the supervisor; else answer this status
    const char *message;                 // status != 0: why (static)
    const char *command;                 // status == 0: the CTL command (static)
    char arg[INGRESS_ADMIN_MAX_ARG + 1]; // status == 0: its argument, "" for none
    bool text;                           // the answer is the Prometheus text, not JSON
    bool generate;                       // POST /admin/generate: the ingress answers itself
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

// True for an IPv4 loopback address (127.0.0.0/8), ::1, or ::ffff:127.x.y.z.
bool ingress_admin_is_loopback(const struct sockaddr *sa);

// POST /admin/generate {"model": alias, "prompt": text (default "Say hello."), "max_tokens": n
// (default 64)}: a test generation through a route. Writes the OpenAI Chat Completions body it
// becomes (not streamed) into out. 0, or SL_EINVAL with *why naming the bad field.
int ingress_admin_generate_body(const char *body, size_t len, sl_buf_t *out, const char **why);
// The report of a test generation from the response the request got (status, its OpenAI JSON
// body) and what the ingress measured: {"model", "status", "attempts", "stream_id", "tokens",
// "ttft_ms" (null when no token came), "total_ms", "finish_reason", "text" | "error"}.
// 0 or SL_ETOOBIG.
int ingress_admin_report(const char *model,
                         unsigned status,
                         const char *response,
                         size_t len,
                         uint32_t attempts,
                         const char *stream_id,
                         int64_t ttft_ms,
                         int64_t total_ms,
                         sl_buf_t *out);

#endif
