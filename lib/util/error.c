/* The one path every library message takes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "vhive.h"

int vhive_fail(struct vhive_error *err, int errnum, const char *fmt, ...)
{
        va_list ap;

        if (errnum <= 0)
                errnum = errnum < 0 ? -errnum : EINVAL;
        if (err) {
                err->errnum = errnum;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return -errnum;
}
