// image.c - image input from the client APIs (see image.h).
#include "image.h"

#include <stdio.h>
#include <string.h>

#include "sl/err.h"
#include "sl/image_url.h"

int
ingress_image_check(const char *url,
                    const char *url_field,
                    const cJSON *detail,
                    const char *detail_field,
                    char *err,
                    size_t err_size)
{
    char why[128];
    sl_image_url_t img;
    if (sl_image_url_parse(url, &img, why, sizeof why) != 0)
        return sl_err_invalid(err, err_size, "%s: %s", url_field, why);
    if (detail && !cJSON_IsNull(detail)
        && (!cJSON_IsString(detail)
            || (strcmp(detail->valuestring, "auto") != 0 && strcmp(detail->valuestring, "low") != 0
                && strcmp(detail->valuestring, "high") != 0)))
        return sl_err_invalid(err, err_size, "%s: expected 'auto', 'low' or 'high'", detail_field);
    return 0;
}

int
ingress_image_part(const char *url,
                   const char *url_field,
                   const cJSON *detail,
                   const char *detail_field,
                   cJSON **part_p,
                   char *err,
                   size_t err_size)
{
    *part_p = NULL;
    int rc = ingress_image_check(url, url_field, detail, detail_field, err, err_size);
    if (rc < 0)
        return rc;
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "image_url");
    cJSON *image_url = cJSON_AddObjectToObject(part, "image_url");
    cJSON_AddStringToObject(image_url, "url", url);
    if (cJSON_IsString(detail))
        cJSON_AddStringToObject(image_url, "detail", detail->valuestring);
    *part_p = part;
    return 0;
}

int
ingress_image_check_chat(const cJSON *messages, char *err, size_t err_size)
{
    const cJSON *m;
    int i = 0;
    cJSON_ArrayForEach(m, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        int j = 0;
        for (const cJSON *part = cJSON_IsArray(content) ? content->child : NULL; part;
             part = part->next, j++) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
            if (!cJSON_IsString(type) || strcmp(type->valuestring, "image_url") != 0)
                continue;
            if (!cJSON_IsString(role) || strcmp(role->valuestring, "user") != 0)
                return sl_err_invalid(
                    err, err_size,
                    "messages[%d].content[%d]: image_url parts are only allowed in user "
                    "messages",
                    i, j);
            const cJSON *image_url = cJSON_GetObjectItemCaseSensitive(part, "image_url");
            const cJSON *url = cJSON_GetObjectItemCaseSensitive(image_url, "url");
            char url_field[64], detail_field[64];
            snprintf(url_field, sizeof url_field, "messages[%d].content[%d].image_url.url", i, j);
            snprintf(detail_field, sizeof detail_field, "messages[%d].content[%d].image_url.detail",
                     i, j);
            if (!cJSON_IsString(url))
                return sl_err_invalid(err, err_size,
                                      "%s: expected a string (an http(s) URL or a data: URL)",
                                      url_field);
            int rc = ingress_image_check(url->valuestring, url_field,
                                         cJSON_GetObjectItemCaseSensitive(image_url, "detail"),
                                         detail_field, err, err_size);
            if (rc < 0)
                return rc;
        }
        i++;
    }
    return 0;
}
