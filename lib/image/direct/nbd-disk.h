/* A disk image served by a private qemu-nbd child, spoken to with libnbd.
 *
 * qemu-nbd runs with the image format given explicitly (never probed), on
 * a Unix socket in a private mkdtemp folder that it inherits already
 * listening (systemd-style socket activation), so there is no race on
 * start-up and no port.  vhive keeps the child's pid, so closing checks
 * that qemu-nbd flushed and exited with status 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blockio.h"
#include "vhive.h"

struct vhive_nbd_disk;

/* Starts qemu-nbd on path.  format is one of "vpc", "vhdx", "qcow2",
 * "raw"; anything else is -EINVAL.  Does not wait for qemu-nbd to open
 * the image: vhive_nbd_connect does, so several images can start at once. */
int vhive_nbd_start(struct vhive_nbd_disk **d, const char *path, const char *format, bool readonly,
                    struct vhive_error *err);
/* Connects (the NBD handshake), reads the size.  When qemu-nbd could not
 * open the image, the message carries qemu-nbd's own words. */
int vhive_nbd_connect(struct vhive_nbd_disk *d, struct vhive_error *err);
/* Both of the above. */
int vhive_nbd_open(struct vhive_nbd_disk **d, const char *path, const char *format, bool readonly,
                   struct vhive_error *err);

uint64_t vhive_nbd_size(const struct vhive_nbd_disk *d);
bool vhive_nbd_readonly(const struct vhive_nbd_disk *d);

/* Whole transfers (split as the server needs); -EIO etc. with a message.
 * A range past the end of the disk is -EINVAL. */
int vhive_nbd_pread(struct vhive_nbd_disk *d, void *buf, size_t count, uint64_t offset,
                    struct vhive_error *err);
int vhive_nbd_pwrite(struct vhive_nbd_disk *d, const void *buf, size_t count, uint64_t offset,
                     struct vhive_error *err);
/* Asks qemu-nbd to write its caches to the image file (NBD_CMD_FLUSH). */
int vhive_nbd_flush(struct vhive_nbd_disk *d, struct vhive_error *err);

/* The disk as the NTFS code reads and writes it (ntfs-device.h). */
struct vhive_blockio vhive_nbd_blockio(struct vhive_nbd_disk *d);

/* Flushes (when writable), disconnects, waits for qemu-nbd and checks it
 * exited with status 0, removes the private folder, frees d.  Always frees;
 * returns the first failure.  d may be NULL. */
int vhive_nbd_close(struct vhive_nbd_disk *d, struct vhive_error *err);
