/* What ntfs-device.c (the device, mounting, paths) shares with
 * ntfs-files.c (reading and writing files).  Not a public interface.
 */
#pragma once

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>

#include "ntfs-device.h"

struct range_dev {
        struct vhive_blockio io;
        uint64_t base, size;
        s64 pos;
        bool dirty;
        struct vhive_error io_err; /* the last NBD failure, for messages */
};

struct vhive_ntfs {
        ntfs_volume *vol;
        struct range_dev rd;
        char name[64];
};

/* Everything written so far reaches the image file (NBD_CMD_FLUSH, or an
 * fsync of the partition in the appliance). */
int nt_flush(struct vhive_ntfs *v, struct vhive_error *err);
/* libntfs-3g's messages are captured, never printed; call before each
 * operation so that a message quoted later is this operation's. */
void nt_quiet(void);
/* "volume: what path: strerror(errno): libntfs-3g's detail" */
int nt_fail_errno(struct vhive_ntfs *v, const char *what, const char *path,
                  struct vhive_error *err);
/* The MFT reference of name in the open folder dir: 0, -ENOENT without a
 * message, or -errno with one. */
int nt_child_ref(struct vhive_ntfs *v, ntfs_inode *dir, const char *name, u64 *ref,
                 struct vhive_error *err);
int nt_open_ref(struct vhive_ntfs *v, u64 ref, ntfs_inode **ni, struct vhive_error *err);
/* Walks path from the root, case-insensitively. */
int nt_resolve(struct vhive_ntfs *v, const char *path, u64 *ref, struct vhive_error *err);
/* Splits "/a/b/name" into the folder's reference and "name". */
int nt_resolve_parent(struct vhive_ntfs *v, const char *path, u64 *dir_ref, char *name, size_t len,
                      struct vhive_error *err);
