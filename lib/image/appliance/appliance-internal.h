/* What the appliance backend's files share: appliance.c (launch, finding
 * Windows), appliance-files.c (reading and writing files); ../watchdog.c
 * stops qemu when vhive dies.
 */
#pragma once

#include <guestfs.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"
#include "watchdog.h"

struct image {
        char *path;
        char *format;
        bool readonly;
        int status; /* error found while opening, or 0 */
        struct vhive_error err;
        int drive;    /* index among the drives added, -1 when none */
        char mnt[32]; /* "/img3" */
        bool have_mountpoint;
        bool found;     /* root is valid and mounted on mnt */
        bool idle;      /* released and still mounted: unmounted at close (appliance_release) */
        bool wrote_raw; /* clusters written around ntfs-3g: its cache of them is stale */
        unsigned part_major, part_minor; /* the mounted partition (appliance-raw.c), */
        uint64_t part_sectors;           /* 0 until asked */
        bool have_node;                  /* its device node is made */
        struct vhive_root root;
        char *ls_dir;    /* the last folder listed, and its names: */
        char **ls_names; /* a hive and its logs take one listing */
        /* Appliance paths found to resolve inside mnt while it is mounted
         * (a copy, then the commit's open: one realpath each). */
        char *checked[8];
        size_t n_checked;
};

struct vhive_backend {
        guestfs_h *g;
        char launch_errors[512];                   /* what libguestfs said while launching */
        char notice[256];                          /* e.g. the fall-back to TCG; "" when none */
        const struct vhive_backend_launch *launch; /* progress; NULL: none */
        struct image *imgs;
        size_t n;
        char **devices;  /* drive order (appliance-disks.c) */
        char **parts;    /* the partitions of all drives, in order */
        char *probe;     /* one blkid -p of every image's candidates (appliance-root.c) */
        bool probe_done; /* asked once, at the first find_root; probe NULL if it failed */
        struct vhive_watchdog watchdog; /* stops qemu when vhive dies */
        int grow_helper;                /* appliance-grow.c: 1 uploaded, -1 none, 0 not yet asked */
};

void ap_free_strings(char **v);
/* "what: libguestfs' reason" with its errno (EIO when it gave none). */
int ap_gfail(struct vhive_backend *be, struct vhive_error *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* s in single quotes for guestfs_debug's sh, each quote in it closed,
 * escaped, reopened (names come from the image); malloc'd, NULL when out
 * of memory (appliance-files.c). */
char *ap_sh_quote(const char *s);
/* Appliance path of a volume-relative guest path (malloc'd). */
char *ap_guest(const struct image *img, const char *path);
/* path was found to resolve inside img's mounted volume (ap_remember);
 * ap_forget when it is unmounted. */
bool ap_checked(const struct image *img, const char *path);
/* ---- a file's clusters (appliance-raw.c) ---- */
struct ap_extent {
        uint64_t off, dev_off, len; /* file offset, partition offset, bytes */
};
struct ap_extents {
        struct ap_extent *v;
        size_t n;
        uint64_t size; /* the file's */
        char node[48]; /* the partition's device node, in the appliance's root */
};
/* Where the file's clusters are, when it is a plain file (see the top of
 * appliance-raw.c); -ENOTSUP when it is not, -errno when it cannot tell. */
int ap_raw_map(struct vhive_backend *be, struct image *img, uint64_t ino, uint64_t size,
               struct ap_extents *x);
void ap_raw_free(struct ap_extents *x);
/* len bytes at file offset off, read or written in the partition. */
int ap_raw_io(struct vhive_backend *be, const struct ap_extents *x, bool write, void *buf,
              size_t len, uint64_t off);
/* The partition under img's mount: its device node (x->node, in the
 * appliance's root) and size (x->size), no runs. */
int ap_raw_partition(struct vhive_backend *be, struct image *img, struct ap_extents *x);
/* fsync of the partition in the appliance: a FLUSH to that disk. */
int ap_raw_flush(struct vhive_backend *be, const struct ap_extents *x);

/* ---- growing a file (appliance-grow.c) ---- */
/* guest_path (inside img's volume) grown to size bytes, allocated and
 * zeroed, by vhive's NTFS code run in the appliance, with the volume
 * unmounted meanwhile; flushed.  1 (nothing done) when there is no helper. */
int ap_grow(struct vhive_backend *be, struct image *img, const char *guest_path, uint64_t size,
            struct vhive_error *err);
/* For a change made with ntfs-3g away: the volume unmounted (ntfs-3g
 * writes what it holds), then mounted afresh (appliance-root.c). */
int ap_unmount_root(struct vhive_backend *be, struct image *img, struct vhive_error *err);
int ap_mount_root_again(struct vhive_backend *be, struct image *img, struct vhive_error *err);

/* be->devices and be->parts, for the drives added (appliance-disks.c). */
int ap_list_disks(struct vhive_backend *be, size_t drives, struct vhive_error *err);

void ap_remember(struct image *img, const char *path);
void ap_forget(struct image *img);
/* The file type bits (S_IFMT) of path's lstat in the appliance, and its
 * inode number in *ino unless NULL (ntfs-3g's is the MFT record number);
 * 0 when it cannot be looked at (absent...).  guestfs_lstatns is answered
 * by the daemon itself, where is_file and is_symlink fork a child to
 * chroot in: 3 ms against 20 under TCG (issue 17). */
unsigned ap_lstat_type(struct vhive_backend *be, const char *path, uint64_t *ino);
/* Image i exists and opened without error. */
int ap_check_image(struct vhive_backend *be, size_t i, struct vhive_error *err);

int appliance_find_root(struct vhive_backend *be, size_t i, const char *root_device,
                        struct vhive_root *root, struct vhive_error *err);
int appliance_release(struct vhive_backend *be, size_t i, struct vhive_error *err);
int appliance_lookup(struct vhive_backend *be, size_t i, const char *dir, const char *name,
                     char **real, struct vhive_error *err);
int appliance_lstat(struct vhive_backend *be, size_t i, const char *guest_path,
                    struct vhive_node *node, struct vhive_error *err);
int appliance_download(struct vhive_backend *be, size_t i, const char *guest_path,
                       const char *host_path, struct vhive_error *err);
int appliance_open_file(struct vhive_backend *be, size_t i, const char *guest_path, bool writable,
                        struct vhive_file **f, struct vhive_error *err);
void appliance_close_file(struct vhive_backend *be, struct vhive_file *f);

/* After the launch: a process that stops qemu as soon as vhive dies. */
