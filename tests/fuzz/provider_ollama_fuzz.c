// provider_ollama_fuzz.c - the ollama adapter on arbitrary bytes: the stream parser never
// crashes and gives the same events whether the bytes come whole or split where the first byte
// says (then the end of the body); the request translator never crashes on the same bytes taken
// as a normalized request body.
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "sl/buf.h"

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
    const provider_adapter_t *a = provider_adapter_find("ollama");
    void *state = a->state_new(4096, NULL);
    provider_sink_t sink = {log, s_delta, s_finish, s_usage, s_error};
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
s_translate(const char *input, size_t len)
{
    const provider_adapter_t *a = provider_adapter_find("ollama");
    sl_provider_cfg_t p = {.name = "p", .kind = "ollama", .base_url = "http://h"};
    provider_request_t req;
    provider_request_init(&req);
    char err[256];
    (void)a->request(&p, "k", "m", input, len, &req, err, sizeof err); // crashes are the bug
    provider_request_free(&req);
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
    sl_buf_free(&whole);
    sl_buf_free(&split);
    s_translate(input, len);
    return 0;
}
