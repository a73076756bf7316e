// provider_adapter.c - a provider adapter on arbitrary bytes: the stream parser never crashes and
// gives the same events whether the bytes come whole or split where the first byte says; the
// same bytes as a request body translate or fail with a message; as an error body they give
// exactly one error. For OpenAI the stream also gives the same events with the chunk scanner off
// (chunk.h): the scanner may only ever take a chunk cJSON would read the same way. Built once per
// provider kind (FUZZ_KIND, set by tests/fuzz/CMakeLists.txt) as provider_<kind>_fuzz.
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "chunk.h"
#include "sl/buf.h"
#include "sl/err.h"

#ifndef FUZZ_KIND
#error "FUZZ_KIND names the provider kind, e.g. -DFUZZ_KIND=\"openai\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_delta(void *arg, const sl_delta_t *d)
{
    sl_buf_printf(arg, "D%d:%u:%.*s:%.*s:%.*s|", d->kind, d->tool_index, (int)d->text.len,
                  d->text.ptr ? d->text.ptr : "", (int)d->tool_id.len,
                  d->tool_id.ptr ? d->tool_id.ptr : "", (int)d->tool_name.len,
                  d->tool_name.ptr ? d->tool_name.ptr : "");
}

static void
s_finish(void *arg, const char *reason)
{
    sl_buf_printf(arg, "F:%s|", reason);
}

static void
s_usage(void *arg, uint32_t p, uint32_t c)
{
    sl_buf_printf(arg, "U:%u:%u|", p, c);
}

static void
s_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    sl_buf_printf(arg, "E:%d:%u:%s:%s|", cls, status, type, message);
}

static int
s_run(const char *input, size_t len, size_t cut, sl_buf_t *log)
{
    const provider_adapter_t *a = provider_adapter_find(FUZZ_KIND);
    void *state = a->state_new(4096, NULL);
    provider_sink_t sink = {log, s_delta, s_finish, s_usage, s_error, NULL};
    int rc = a->feed(state, input, cut, &sink);
    if (rc == 0)
        rc = a->feed(state, input + cut, len - cut, &sink);
    if (rc == 0 && a->eof)
        rc = a->eof(state, &sink);
    rc = rc * 2 + a->is_complete(state);
    a->state_destroy(&state);
    return rc;
}

static void
s_request(const char *input, size_t len)
{
    const provider_adapter_t *a = provider_adapter_find(FUZZ_KIND);
    sl_provider_cfg_t p = {.name = "f", .kind = FUZZ_KIND, .base_url = "http://h/v1"};
    provider_request_t req;
    provider_request_init(&req);
    char err[256] = "";
    int rc = a->request(&p, "key", "model", input, len, &req, err, sizeof err);
    if ((rc != 0 && rc != SL_EINVAL) || (rc == SL_EINVAL && !err[0]))
        abort();
    provider_request_free(&req);
}

static int s_errors; // errors one http_error call reported

static void
s_count_error(void *arg, sl_errclass_t cls, uint32_t status, const char *type, const char *message)
{
    (void)arg;
    (void)cls;
    (void)status;
    if (!type || !message)
        abort();
    s_errors++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *input = (const char *)data + 1;
    size_t len = size - 1;
    size_t cut = len ? data[0] % (len + 1) : 0;
    sl_buf_t whole, split;
    sl_buf_init(&whole, 1 << 24);
    sl_buf_init(&split, 1 << 24);
    int rc1 = s_run(input, len, len, &whole);
    int rc2 = s_run(input, len, cut, &split);
    if (rc1 != rc2 || whole.len != split.len
        || memcmp(sl_buf_str(&whole), sl_buf_str(&split), whole.len) != 0)
        abort();
    if (strcmp(FUZZ_KIND, "openai") == 0) {
        sl_buf_t plain; // the same stream through cJSON alone
        sl_buf_init(&plain, 1 << 24);
        provider_chunk_disable(true);
        int rc3 = s_run(input, len, cut, &plain);
        provider_chunk_disable(false);
        if (rc3 != rc1 || plain.len != whole.len
            || memcmp(sl_buf_str(&plain), sl_buf_str(&whole), whole.len) != 0)
            abort();
        sl_buf_free(&plain);
    }
    sl_buf_free(&whole);
    sl_buf_free(&split);
    s_request(input, len);
    provider_sink_t sink = {NULL, s_delta, s_finish, s_usage, s_count_error, NULL};
    s_errors = 0;
    provider_adapter_find(FUZZ_KIND)->http_error(400 + data[0], input, len, &sink);
    if (s_errors != 1)
        abort();
    return 0;
}
