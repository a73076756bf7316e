// render.c - shared rendering helpers (see render.h).
#include "render.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rng.h"
#include "sl/err.h"

void
mockllm_render_begin(sl_buf_t *tmp, const sl_buf_t *out)
{
    sl_buf_init(tmp, out->max_len - out->len);
}

int
mockllm_render_commit(sl_buf_t *out, sl_buf_t *tmp, int rc)
{
    if (!rc)
        rc = sl_buf_append(out, sl_buf_str(tmp), tmp->len);
    sl_buf_free(tmp);
    return rc ? SL_ETOOBIG : 0;
}

int
mockllm_render_str(sl_buf_t *out, const char *s)
{
    return mockllm_render_strn(out, s, strlen(s));
}

int
mockllm_render_strn(sl_buf_t *out, const char *s, size_t len)
{
    if (sl_buf_append_str(out, "\"") || sl_buf_append_json_str(out, s, len)
        || sl_buf_append_str(out, "\""))
        return SL_ETOOBIG;
    return 0;
}

const char *
mockllm_render_eol(bool crlf)
{
    return crlf ? "\r\n" : "\n";
}

static int
s_newline(sl_buf_t *out, const char *eol, int depth)
{
    if (sl_buf_append_str(out, eol))
        return SL_ETOOBIG;
    for (int i = 0; i < depth; i++)
        if (sl_buf_append_str(out, "  "))
            return SL_ETOOBIG;
    return 0;
}

int
mockllm_render_pretty(sl_buf_t *out, const char *json, size_t len, const char *eol)
{
    int depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        int rc = 0;
        if (in_str) {
            rc = sl_buf_append(out, &c, 1);
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            rc = sl_buf_append(out, &c, 1);
        } else if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            size_t j = i + 1;
            while (j < len && json[j] == ' ')
                j++;
            if (j < len && json[j] == close) { // empty: stays on one line
                rc = sl_buf_append(out, &c, 1) || sl_buf_append(out, &close, 1);
                i = j;
            } else {
                rc = sl_buf_append(out, &c, 1) || s_newline(out, eol, ++depth);
            }
        } else if (c == '}' || c == ']') {
            rc = s_newline(out, eol, --depth) || sl_buf_append(out, &c, 1);
        } else if (c == ',') {
            rc = sl_buf_append(out, &c, 1) || s_newline(out, eol, depth);
        } else if (c == ':') {
            rc = sl_buf_append_str(out, ": ");
        } else if (c != ' ') {
            rc = sl_buf_append(out, &c, 1);
        }
        if (rc)
            return SL_ETOOBIG;
    }
    return 0;
}

void
mockllm_render_uuid(uint64_t seed, char id[MOCKLLM_RENDER_UUID_SIZE])
{
    mockllm_rng_t rng;
    mockllm_rng_seed(&rng, seed ^ 0x75756964u); // "uuid": apart from the text's stream
    uint64_t a = mockllm_rng_next(&rng), b = mockllm_rng_next(&rng);
    snprintf(id, MOCKLLM_RENDER_UUID_SIZE,
             "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-8%03" PRIx32 "-%012" PRIx64,
             (uint32_t)(a >> 32), (uint32_t)(a >> 16) & 0xffff, (uint32_t)(a >> 4) & 0xfff,
             (uint32_t)(b >> 52) & 0xfff, (uint64_t)(b & 0xffffffffffffULL));
}
