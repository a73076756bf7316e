// config_fuzz.c - libFuzzer target for the configuration loader: any bytes as a YAML file.
//
// The loader must return 0 or an error code, never crash, and free everything on every path.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sl/config.h"
#include "sl/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // sl_config_load_string takes a C string, so bytes after a NUL are not seen.
    char *yaml = sl_xstrndup((const char *)data, size);
    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    if (sl_config_load_string(yaml, "fuzz.yaml", &cfg, &diag) == 0)
        sl_config_destroy(&cfg);
    free(yaml);
    return 0;
}
