// heard.c - what a provider sink heard (see heard.h).
#include "heard.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

// Cap on one event of a fed stream, and on the log of heard_every_split: far above any test
// input, so only an adapter's own limit can fail a test.
#define S_MAX_BYTES (1 << 20)
// Cap on the log of one HTTP error report.
#define S_ERROR_MAX_BYTES 4096

static void
s_delta(void *arg, const sl_delta_t *d)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "D%d[%u|%.*s|%.*s|%.*s]", d->kind, d->tool_index, (int)d->tool_id.len,
                  d->tool_id.ptr ? d->tool_id.ptr : "", (int)d->tool_name.len,
                  d->tool_name.ptr ? d->tool_name.ptr : "", (int)d->text.len,
                  d->text.ptr ? d->text.ptr : "");
}

static void
s_finish(void *arg, const char *reason)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "F[%s]", reason);
}

static void
s_usage(void *arg, uint32_t p, uint32_t c)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "U[%u,%u]", p, c);
    h->prompt_tokens = p;
    h->completion_tokens = c;
}

static void
s_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "E[%d,%u,%s,%s]", cls, status, type, message);
}

static void
s_retry_after(void *arg, int64_t ms)
{
    heard_t *h = arg;
    sl_buf_printf(&h->log, "R[%lld]", (long long)ms);
}

static const provider_adapter_t *
s_adapter(const char *kind)
{
    const provider_adapter_t *a = provider_adapter_find(kind);
    CHECK(a != NULL);
    return a;
}

void
heard_init(heard_t *self, size_t max_bytes)
{
    memset(self, 0, sizeof *self);
    sl_buf_init(&self->log, max_bytes);
}

void
heard_free(heard_t *self)
{
    sl_buf_free(&self->log);
}

provider_sink_t
heard_sink(heard_t *self)
{
    return (provider_sink_t){self, s_delta, s_finish, s_usage, s_error, s_retry_after};
}

int
heard_feed(const char *kind, const char *input, size_t len, size_t cut, heard_t *h, int *complete)
{
    const provider_adapter_t *a = s_adapter(kind);
    void *state = a->state_new(S_MAX_BYTES, NULL);
    provider_sink_t sink = heard_sink(h);
    int rc = a->feed(state, input, cut, &sink);
    if (rc == 0)
        rc = a->feed(state, input + cut, len - cut, &sink);
    if (rc == 0 && a->eof)
        rc = a->eof(state, &sink);
    *complete = a->is_complete(state);
    a->state_destroy(&state);
    CHECK(state == NULL);
    return rc;
}

void
heard_every_split(
    const char *kind, const char *input, const char *want, int want_rc, int want_complete)
{
    size_t len = strlen(input);
    for (size_t cut = 0; cut <= len; cut++) {
        heard_t h;
        heard_init(&h, S_MAX_BYTES);
        int complete = -1;
        int rc = heard_feed(kind, input, len, cut, &h, &complete);
        if (rc != want_rc || strcmp(sl_buf_str(&h.log), want) != 0 || complete != want_complete) {
            fprintf(stderr, "%s: split at %zu of '%.60s': rc=%d complete=%d heard '%s'\n", kind,
                    cut, input, rc, complete, sl_buf_str(&h.log));
            CHECK_INT(rc, ==, want_rc);
            CHECK_STR(sl_buf_str(&h.log), want);
            CHECK_INT(complete, ==, want_complete);
        }
        heard_free(&h);
    }
}

void
heard_http_error(const char *kind, uint32_t status, const char *body, const char *want)
{
    heard_t h;
    heard_init(&h, S_ERROR_MAX_BYTES);
    provider_sink_t sink = heard_sink(&h);
    s_adapter(kind)->http_error(status, body, strlen(body), &sink);
    CHECK_STR(sl_buf_str(&h.log), want);
    heard_free(&h);
}
