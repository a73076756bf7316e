// ds_http.c - the Durable Streams protocol's HTTP vocabulary (see ds_http.h).
#define _DEFAULT_SOURCE // timegm
#include "ds_http.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sl/err.h"
#include "sl/text.h"

int
ingress_ds_offset_parse(const char *s, uint64_t *offset, bool *now)
{
    *offset = 0;
    *now = false;
    if (!s || strcmp(s, "-1") == 0)
        return 0;
    if (strcmp(s, "now") == 0) {
        *now = true;
        return 0;
    }
    if (strlen(s) != INGRESS_DS_OFFSET_LEN || s[16] != '_')
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < INGRESS_DS_OFFSET_LEN; i++) {
        if (i == 16)
            continue;
        if (!isdigit((unsigned char)s[i]))
            return -1;
        if (i > 16)
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *offset = v;
    return 0;
}

void
ingress_ds_offset_format(uint64_t v, char out[INGRESS_DS_OFFSET_LEN + 1])
{
    snprintf(out, INGRESS_DS_OFFSET_LEN + 1, "0000000000000000_%016" PRIu64, v);
}

// A decimal integer of at most max_digits digits, no sign, no leading zero but "0".
static int
s_decimal(const char *s, size_t max_digits, uint64_t *v)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max_digits || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

int
ingress_ds_ttl_parse(const char *s, uint64_t *ttl_s)
{
    return s_decimal(s, 10, ttl_s);
}

int
ingress_ds_uint53_parse(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (s_decimal(s, 16, &x) != 0 || x > INGRESS_DS_UINT53_MAX)
        return -1;
    *v = x;
    return 0;
}

// n digits at s as an int; -1 when they are not digits.
static int
s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int
ingress_ds_time_parse(const char *s, int64_t *ms)
{
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't')
        || s[13] != ':' || s[16] != ':')
        return -1;
    int year = s_digits(s, 4), mon = s_digits(s + 5, 2), day = s_digits(s + 8, 2);
    int hour = s_digits(s + 11, 2), min = s_digits(s + 14, 2), sec = s_digits(s + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0
        || min > 59 || sec < 0 || sec > 60)
        return -1;
    const char *p = s + 19;
    int frac_ms = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = s_digits(p + 1, 2), om = p[3] == ':' ? s_digits(p + 4, 2) : -1;
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = min,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - (int64_t)offset_min * 60) * 1000 + frac_ms;
    return 0;
}

void
ingress_ds_time_format(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

bool
ingress_ds_closed(const char *value)
{
    return value && strcasecmp(value, "true") == 0;
}

// The media type of content_type is type (prefix: begins with it), in any case.
static bool
s_media_is(const char *content_type, const char *type, bool prefix)
{
    if (!content_type)
        return false;
    size_t n = 0, t = strlen(type);
    const char *m = sl_text_media_type(content_type, strlen(content_type), &n);
    return (prefix ? n >= t : n == t) && strncasecmp(m, type, t) == 0;
}

bool
ingress_ds_is_json(const char *content_type)
{
    return s_media_is(content_type, "application/json", false);
}

bool
ingress_ds_is_text(const char *content_type)
{
    return s_media_is(content_type, "text/", true) || ingress_ds_is_json(content_type);
}

// Append the JSON text s[0..len) without the blanks outside its strings.
static int
s_minify(const char *s, size_t len, sl_buf_t *out)
{
    size_t start = out->len;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        } else if (c == '"') {
            in_string = true;
        }
        if (sl_buf_append(out, &c, 1) != 0) {
            out->len = start;
            return SL_ETOOBIG;
        }
    }
    return 0;
}

int
ingress_ds_json_messages(
    const char *body, size_t len, bool flatten, sl_buf_t *out, uint32_t *count_p, const char **why)
{
    *count_p = 0;
    const char *parsed = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(body, len, &parsed, false);
    while (doc && parsed && parsed < body + len
           && (*parsed == ' ' || *parsed == '\t' || *parsed == '\n' || *parsed == '\r'))
        parsed++;
    if (doc && parsed != body + len) { // something after the value
        cJSON_Delete(doc);
        doc = NULL;
    }
    if (!doc) {
        *why = "the body is not valid JSON";
        return SL_EPROTO;
    }
    bool array = cJSON_IsArray(doc);
    cJSON_Delete(doc);
    sl_buf_t whole;
    sl_buf_init(&whole, out->max_len);
    int rc = s_minify(body, len, &whole);
    if (rc == 0 && !(array && flatten)) {
        rc = sl_buf_append(out, whole.data, whole.len);
        *count_p = 1;
    } else if (rc == 0) {
        // Split "[a,b,...]" at the commas of depth 1 outside strings.
        const char *p = whole.data + 1, *end = whole.data + whole.len - 1;
        const char *item = p;
        int depth = 0;
        bool in_string = false;
        for (; rc == 0 && p <= end; p++) {
            char c = p < end ? *p : ',';
            if (in_string) {
                if (c == '\\')
                    p++;
                else if (c == '"')
                    in_string = false;
                continue;
            }
            if (c == '"')
                in_string = true;
            else if (c == '[' || c == '{')
                depth++;
            else if (c == ']' || c == '}')
                depth--;
            else if (c == ',' && depth == 0 && p > item) {
                if ((*count_p && sl_buf_append(out, "\n", 1) != 0)
                    || sl_buf_append(out, item, (size_t)(p - item)) != 0)
                    rc = SL_ETOOBIG;
                (*count_p)++;
                item = p + 1;
            }
        }
    }
    sl_buf_free(&whole);
    if (rc != 0)
        *why = "the body is too big";
    return rc;
}

int
ingress_ds_base64(const void *data, size_t len, sl_buf_t *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)b[i + 1] << 8;
        if (i + 2 < len)
            v |= b[i + 2];
        char q[4] = {abc[v >> 18 & 63], abc[v >> 12 & 63], i + 1 < len ? abc[v >> 6 & 63] : '=',
                     i + 2 < len ? abc[v & 63] : '='};
        if (sl_buf_append(out, q, 4) != 0)
            return SL_ETOOBIG;
    }
    return 0;
}
