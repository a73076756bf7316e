// err_test.c - error codes' names and texts, and the refusal that names what is wrong.
#include <string.h>

#include "check.h"
#include "sl/err.h"

int
main(void)
{
    CHECK_STR(sl_errname(SL_EINVAL), "SL_EINVAL");
    CHECK_STR(sl_strerror(SL_EPROTO), "malformed message");
    CHECK_STR(sl_strerror(SL_OK), "ok");
    CHECK_STR(sl_strerror(-1000), "unknown error");

    // The message goes into err, cut to its size, and the code is SL_EINVAL.
    char err[16];
    CHECK_INT(sl_err_invalid(err, sizeof err, "%s: bad %d", "field", 7), ==, SL_EINVAL);
    CHECK_STR(err, "field: bad 7");
    CHECK_INT(sl_err_invalid(err, sizeof err, "%s", "a message longer than err"), ==, SL_EINVAL);
    CHECK_STR(err, "a message longe");
    CHECK_INT(strlen(err), ==, sizeof err - 1);
    return 0;
}
