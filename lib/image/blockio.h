/* A writable run of bytes (a disk) as the NTFS code (direct/ntfs-device.c)
 * reads and writes it: through qemu-nbd (nbd-disk.c), or whatever else
 * can serve a disk's bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhive.h"

struct vhive_blockio {
        void *ctx;
        uint64_t size;
        bool readonly;
        /* Whole transfers or -errno with a message. */
        int (*pread)(void *ctx, void *buf, size_t count, uint64_t offset, struct vhive_error *err);
        int (*pwrite)(void *ctx, const void *buf, size_t count, uint64_t offset,
                      struct vhive_error *err);
        /* Everything written so far reaches the image file. */
        int (*flush)(void *ctx, struct vhive_error *err);
};
