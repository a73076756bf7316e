// adapter.c - the table of provider kinds and what they share (see adapter.h).
#include "adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sl/err.h"
#include "sl/kinds.h"
#include "sl/mem.h"

// One adapter per kind the config accepts, from the same list (sl/kinds.h): a kind without its
// provider_<kind>_adapter does not link, and a kind the config refuses has no adapter here.
#define X(kind) &provider_##kind##_adapter,
static const provider_adapter_t *const s_adapters[] = {SL_PROVIDER_KINDS(X)};
#undef X

#define PROVIDER_MAX_URL  8192
#define PROVIDER_MAX_BODY (64u * 1024 * 1024)

void
provider_request_init(provider_request_t *self)
{
    memset(self, 0, sizeof *self);
    sl_buf_init(&self->url, PROVIDER_MAX_URL);
    sl_buf_init(&self->body, PROVIDER_MAX_BODY);
}

void
provider_request_free(provider_request_t *self)
{
    sl_buf_free(&self->url);
    sl_buf_free(&self->body);
    for (int i = 0; i < self->n_headers; i++) {
        // Headers may hold a key: wipe before freeing.
        size_t len = strlen(self->headers[i]);
        memset(self->headers[i], 0, len);
        free(self->headers[i]);
    }
    self->n_headers = 0;
}

int
provider_request_header(provider_request_t *self, const char *name, const char *value)
{
    if (self->n_headers >= PROVIDER_MAX_HEADERS)
        return SL_ETOOBIG;
    size_t len = strlen(name) + strlen(value) + 3;
    char *h = sl_xcalloc(1, len);
    snprintf(h, len, "%s: %s", name, value);
    self->headers[self->n_headers++] = h;
    return 0;
}

int
provider_request_json(provider_request_t *out,
                      cJSON *json,
                      const char *accept,
                      const char *key_header,
                      const char *key_prefix,
                      const char *api_key,
                      char *err,
                      size_t err_size)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!text) {
        snprintf(err, err_size, "cannot print request body");
        return SL_EINVAL;
    }
    int rc = sl_buf_append_str(&out->body, text);
    free(text);
    if (rc == 0)
        rc = provider_request_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = provider_request_header(out, "Accept", accept);
    if (rc == 0 && api_key && *api_key) {
        char value[4096];
        snprintf(value, sizeof value, "%s%s", key_prefix, api_key);
        rc = provider_request_header(out, key_header, value);
        memset(value, 0, sizeof value); // the key must not linger on the stack
    }
    if (rc < 0)
        snprintf(err, err_size, "request too large");
    return rc;
}

const provider_adapter_t *
provider_adapter_find(const char *kind)
{
    for (size_t i = 0; i < sizeof s_adapters / sizeof s_adapters[0]; i++)
        if (strcmp(s_adapters[i]->kind, kind) == 0)
            return s_adapters[i];
    return NULL;
}

void
provider_made_up_call_id(const char *req_id, uint32_t index, char *out, size_t size)
{
    char hex[13];
    size_t n = 0;
    // The last 12 hex digits of a UUIDv7 are random: enough to keep ids apart.
    for (size_t i = req_id ? strlen(req_id) : 0; i > 0 && n < 12; i--)
        if (req_id[i - 1] != '-')
            hex[11 - n++] = req_id[i - 1];
    if (n == 12) {
        hex[12] = '\0';
        snprintf(out, size, "call_%s_%u", hex, index);
    } else {
        snprintf(out, size, "call_%u", index);
    }
}

sl_errclass_t
provider_errclass_for_status(uint32_t status)
{
    if (status >= 200 && status < 300)
        return SL_ERRCLASS_NONE;
    if (status == 429)
        return SL_ERRCLASS_RATE_LIMIT;
    if (status == 408)
        return SL_ERRCLASS_TIMEOUT;
    if (status >= 500)
        return SL_ERRCLASS_PROVIDER_DOWN; // 500, 502, 503, 529 overloaded ...
    return SL_ERRCLASS_FATAL;             // 400, 401, 403, 404, 422 ...
}
