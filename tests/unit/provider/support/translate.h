// translate.h - an adapter's request translation, run the way the adapter tests check it.
//
// A test names its upstream once (the config entry, the key, the model) and then checks
// bodies against the exact JSON the adapter must send, or the exact error that names the field
// it cannot translate. Not thread-safe.
#ifndef PROVIDER_TEST_TRANSLATE_H
#define PROVIDER_TEST_TRANSLATE_H
#include <stddef.h>

#include "adapter.h"
#include "sl/config.h"

// The upstream a body is translated for. Shown so tests define theirs as constants.
typedef struct {
    const sl_provider_cfg_t *provider; // borrowed; provider->kind names the adapter
    const char *api_key;               // borrowed; NULL: no key
    const char *model;                 // borrowed; the upstream model
} translate_target_t;

// Translate body (NUL-terminated) for t into out, which is initialised here: the caller frees
// it with provider_request_free whatever the result. err is "" unless the adapter fills it.
// Returns the adapter's result: 0, or SL_EINVAL with err saying why.
int translate_run(const translate_target_t *t,
                  const char *body,
                  provider_request_t *out,
                  char *err,
                  size_t err_size);
// Check that body translates for t, into exactly want.
void translate_check_body(const translate_target_t *t, const char *body, const char *want);
// Check that body is refused for t with SL_EINVAL, and an error that is exactly want_err.
void translate_check_refused(const translate_target_t *t, const char *body, const char *want_err);
// The same two checks with the JSON written in single quotes, which stand for double quotes
// (body and want; the error is compared as it is), to keep tables of bodies readable.
void translate_check_body_q(const translate_target_t *t, const char *body, const char *want);
void translate_check_refused_q(const translate_target_t *t, const char *body, const char *want_err);

#endif
