/* The log imgrec.so writes and imgcrash reads (imgrec.c). */
#pragma once

#include <stdint.h>

#define IMGREC_MAGIC 0x43455249u /* "IREC" */

enum {
        IMGREC_OPEN = 1,   /* a process started recording: off = its pid */
        IMGREC_WRITE,      /* len bytes at off, the data follows */
        IMGREC_FDATASYNC,  /* arg = the changes it covers (those completed before it) */
        IMGREC_FSYNC,      /* as fdatasync */
        IMGREC_FALLOCATE,  /* off, len, reserved = mode */
        IMGREC_TRUNCATE,   /* off = the new size */
        IMGREC_UNSUPPORTED /* a write the recorder cannot see (io_submit) */
};

/* A change (write, fallocate, truncate) has arg = its index among the
 * changes, in the order they completed. */
struct imgrec_head {
        uint32_t magic, type;
        uint64_t off, len, arg, reserved;
};
