/* An NTFS volume inside a disk image, through libntfs-3g with a custom
 * device (struct ntfs_device_operations) over a byte range of a disk
 * (blockio.h: an NBD disk): no FUSE, no loop device, no root.
 *
 * Paths are absolute inside the volume, '/' or '\' separated, looked up
 * case-insensitively as Windows does.  libntfs-3g's refusals stay on: a
 * read-write mount of a hibernated / Fast-Startup volume, or of one whose
 * $LogFile is not clean, fails with a message saying what to do.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "blockio.h"
#include "safe-file.h"

struct vhive_file;

struct vhive_ntfs;

/* name is for messages ("MBR partition 2").  The range must lie inside
 * the disk.  -EPERM hibernated/Fast Startup, -EOPNOTSUPP unclean $LogFile,
 * -EINVAL not NTFS, -EIO damaged; err says which and what to do. */
int vhive_ntfs_mount(struct vhive_ntfs **v, const struct vhive_blockio *io, uint64_t offset,
                     uint64_t size, bool readonly, const char *name, struct vhive_error *err);
/* Writes every dirty inode, flushes the disk, frees v (even on failure). */
int vhive_ntfs_umount(struct vhive_ntfs *v, struct vhive_error *err);

/* The real spelling of a whole path ("/Windows/System32/config"): 0 with
 * *real malloc'd, -ENOENT (with a message) when a component is absent. */
int vhive_ntfs_real_path(struct vhive_ntfs *v, const char *path, char **real,
                         struct vhive_error *err);
/* The real spelling of name inside dir: 0 with *real malloc'd, or 0 with
 * *real NULL when absent. */
int vhive_ntfs_lookup(struct vhive_ntfs *v, const char *dir, const char *name, char **real,
                      struct vhive_error *err);
/* What path is, without following it: a reparse point (symbolic link,
 * junction...) or an Interix link is VHIVE_NODE_LINK. */
struct vhive_node;
int vhive_ntfs_lstat(struct vhive_ntfs *v, const char *path, struct vhive_node *node,
                     struct vhive_error *err);
/* Size of a regular file; -ENOENT when absent. */
int vhive_ntfs_file_size(struct vhive_ntfs *v, const char *path, uint64_t *size,
                         struct vhive_error *err);

/* Copies a file's unnamed $DATA to host_path (created 0600 / truncated). */
int vhive_ntfs_download(struct vhive_ntfs *v, const char *path, const char *host_path,
                        struct vhive_error *err);

/* An existing file as a struct vhive_file (lib/commit/commit.h), for the
 * logged commit: pwrite writes inside the file's existing clusters
 * (ntfs_attr_pwrite), flush is NBD_CMD_FLUSH, extend allocates solidly
 * (ntfs_attr_truncate_solid), writes the zeros and flushes.  A sparse,
 * compressed or encrypted file is refused for writing.  The volume must
 * outlive the file. */
int vhive_ntfs_open_file(struct vhive_ntfs *v, const char *path, bool writable,
                         struct vhive_file **f, struct vhive_error *err);
void vhive_ntfs_close_file(struct vhive_file *f);

/* For tests that build volumes (no crash safety): a folder (EEXIST is
 * fine), and a new file holding host_path's bytes (EEXIST is an error). */
int vhive_ntfs_mkdir(struct vhive_ntfs *v, const char *path, struct vhive_error *err);
int vhive_ntfs_create(struct vhive_ntfs *v, const char *path, const char *host_path,
                      struct vhive_error *err);
/* More for tests: an Interix symbolic link as ntfs-3g makes one; a reparse
 * point on an existing file or folder (tag 0xA000000C: a relative symbolic
 * link to target; any other tag: target's bytes as data); a new sparse
 * file of size bytes with nothing allocated. */
int vhive_ntfs_symlink(struct vhive_ntfs *v, const char *path, const char *target,
                       struct vhive_error *err);
int vhive_ntfs_set_reparse(struct vhive_ntfs *v, const char *path, uint32_t tag, const char *target,
                           struct vhive_error *err);
int vhive_ntfs_create_sparse(struct vhive_ntfs *v, const char *path, uint64_t size,
                             struct vhive_error *err);
/* Hostile volumes: a hard link (newpath, another name of path); an 8.3 DOS
 * name; the NTFS attributes (ntfs-3g's system.ntfs_attrib: a folder's
 * 0x800 makes the files created in it compressed); an MFT record's link
 * count, whatever names it has. */
int vhive_ntfs_link(struct vhive_ntfs *v, const char *path, const char *newpath,
                    struct vhive_error *err);
int vhive_ntfs_set_dos_name(struct vhive_ntfs *v, const char *path, const char *dos,
                            struct vhive_error *err);
int vhive_ntfs_set_attrib(struct vhive_ntfs *v, const char *path, uint32_t attrib,
                          struct vhive_error *err);
int vhive_ntfs_set_link_count(struct vhive_ntfs *v, const char *path, unsigned count,
                              struct vhive_error *err);
