// callsig.c - a provider's signature carried inside a tool call id (see callsig.h).
#include "callsig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sl/mem.h"

#define S_SEP_LEN (sizeof PROVIDER_CALLSIG_SEPARATOR - 1)

static bool
s_is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// The length of sig without its padding when it is base64, standard or URL-safe, padded or
// not; 0 when it is not. Padding is at most two '=' at the end of a whole group of four.
static size_t
s_base64_len(const char *sig, size_t len)
{
    size_t n = 0;
    while (n < len && (s_is_alnum(sig[n]) || strchr("+/-_", sig[n])))
        n++;
    size_t pad = len - n;
    if (n == 0 || pad > 2 || n % 4 == 1)
        return 0; // one character left over holds no whole byte
    for (size_t i = n; i < len; i++)
        if (sig[i] != '=')
            return 0;
    if (pad > 0 && len % 4 != 0)
        return 0;
    return n;
}

char *
provider_callsig_join(const char *id, const char *signature)
{
    size_t len = signature ? strlen(signature) : 0;
    size_t n = len <= PROVIDER_CALLSIG_MAX_BYTES ? s_base64_len(signature, len) : 0;
    if (!id || !*id || n == 0)
        return NULL;
    size_t id_len = strlen(id);
    char *out = sl_xcalloc(1, id_len + S_SEP_LEN + n + 1);
    memcpy(out, id, id_len);
    memcpy(out + id_len, PROVIDER_CALLSIG_SEPARATOR, S_SEP_LEN);
    char *p = out + id_len + S_SEP_LEN;
    for (size_t i = 0; i < n; i++)
        p[i] = signature[i] == '+' ? '-' : signature[i] == '/' ? '_' : signature[i];
    return out;
}

char *
provider_callsig_split(const char *id, size_t *base_len)
{
    *base_len = id ? strlen(id) : 0;
    const char *sep = id ? strstr(id, PROVIDER_CALLSIG_SEPARATOR) : NULL;
    if (!sep || sep == id)
        return NULL; // join never writes an empty id
    const char *sig = sep + S_SEP_LEN;
    size_t len = strlen(sig);
    if (len == 0 || len > PROVIDER_CALLSIG_MAX_BYTES || s_base64_len(sig, len) != len)
        return NULL; // also refuses padding and the standard alphabet: join never writes them
    if (strchr(sig, '+') || strchr(sig, '/'))
        return NULL;
    size_t padded = (len + 3) / 4 * 4;
    char *out = sl_xcalloc(1, padded + 1);
    for (size_t i = 0; i < len; i++)
        out[i] = sig[i] == '-' ? '+' : sig[i] == '_' ? '/' : sig[i];
    memset(out + len, '=', padded - len);
    *base_len = (size_t)(sep - id);
    return out;
}

// Cut a string item down to the provider's id when it carries a signature.
static void
s_strip(cJSON *item)
{
    if (!cJSON_IsString(item))
        return;
    size_t base_len;
    char *sig = provider_callsig_split(item->valuestring, &base_len);
    if (!sig)
        return;
    free(sig);
    // The base is a prefix: cutting the string in place is a valid value for cJSON.
    item->valuestring[base_len] = '\0';
}

void
provider_callsig_strip(cJSON *root)
{
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
    cJSON *msg;
    cJSON_ArrayForEach(msg, messages)
    {
        s_strip(cJSON_GetObjectItemCaseSensitive(msg, "tool_call_id"));
        cJSON *call;
        cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))
        {
            s_strip(cJSON_GetObjectItemCaseSensitive(call, "id"));
        }
    }
}
