// adapter_test.c - the table of adapters: one per kind the config accepts (sl/kinds.h), each
// found by its name and complete; nothing else is found.
#include <string.h>

#include "adapter.h"
#include "check.h"
#include "sl/kinds.h"

static void
s_test_table(void)
{
    static const struct {
        const char *kind;
        const provider_adapter_t *adapter;
    } kinds[] = {
#define X(kind) {#kind, &provider_##kind##_adapter},
        SL_PROVIDER_KINDS(X)
#undef X
    };
    CHECK(sizeof kinds / sizeof kinds[0] >= 5);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const provider_adapter_t *a = provider_adapter_find(kinds[i].kind);
        CHECK(a == kinds[i].adapter);
        CHECK_STR(a->kind, kinds[i].kind); // provider_<kind>_adapter says it is <kind>
        CHECK(a->request && a->state_new && a->state_destroy && a->feed && a->is_complete
              && a->http_error); // eof is optional
    }
    CHECK(provider_adapter_find("nope") == NULL);
    CHECK(provider_adapter_find("") == NULL);
    CHECK(provider_adapter_find("OpenAI") == NULL); // kinds are exact
}

int
main(void)
{
    s_test_table();
    printf("adapter_test: ok\n");
    return 0;
}
