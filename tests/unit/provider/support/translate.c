// translate.c - an adapter's request translation in the tests (see translate.h).
#include "translate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"

#define S_ERR_SIZE 256 // room for any error an adapter writes

int
translate_run(const translate_target_t *t,
              const char *body,
              provider_request_t *out,
              char *err,
              size_t err_size)
{
    const provider_adapter_t *a = provider_adapter_find(t->provider->kind);
    CHECK(a != NULL);
    provider_request_init(out);
    err[0] = '\0';
    return a->request(t->provider, t->api_key, t->model, body, strlen(body), out, err, err_size);
}

void
translate_check_body(const translate_target_t *t, const char *body, const char *want)
{
    provider_request_t req;
    char err[S_ERR_SIZE];
    int rc = translate_run(t, body, &req, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s: translation failed: %s\n", t->provider->kind, err);
    CHECK_INT(rc, ==, 0);
    CHECK_STR(sl_buf_str(&req.body), want);
    provider_request_free(&req);
}

void
translate_check_refused(const translate_target_t *t, const char *body, const char *want_err)
{
    provider_request_t req;
    char err[S_ERR_SIZE];
    int rc = translate_run(t, body, &req, err, sizeof err);
    if (rc == 0)
        fprintf(stderr, "%s: '%s' translated: %s\n", t->provider->kind, body,
                sl_buf_str(&req.body));
    CHECK_INT(rc, ==, SL_EINVAL);
    CHECK(err[0] != '\0'); // a refusal always says why
    CHECK_STR(err, want_err);
    provider_request_free(&req);
}

// A copy of s with every single quote a double quote. Caller frees.
static char *
s_unquote(const char *s)
{
    char *out = strdup(s);
    CHECK(out != NULL);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

void
translate_check_body_q(const translate_target_t *t, const char *body, const char *want)
{
    char *b = s_unquote(body), *w = s_unquote(want);
    translate_check_body(t, b, w);
    free(b);
    free(w);
}

void
translate_check_refused_q(const translate_target_t *t, const char *body, const char *want_err)
{
    char *b = s_unquote(body);
    translate_check_refused(t, b, want_err);
    free(b);
}
