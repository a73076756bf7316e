// ingress_anthropic_fuzz.c - the Anthropic Messages request parser on arbitrary bytes: never
// crashes, and what it accepts normalizes into a JSON object with a non-empty messages list
// that the provider adapters can read.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "anthropic_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ingress_request_t req;
    char err[256];
    const char *param = NULL;
    if (ingress_anthropic_parse((const char *)data, size, &req, err, sizeof err, &param) != 0) {
        if (req.model || req.body || !memchr(err, '\0', sizeof err))
            abort();
        return 0;
    }
    cJSON *norm = cJSON_ParseWithLength(req.body, req.body_len);
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(norm, "messages");
    if (!cJSON_IsObject(norm) || !cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0
        || !req.model || !req.model[0] || !req.include_usage)
        abort();
    cJSON_Delete(norm);
    ingress_request_free(&req);
    return 0;
}
