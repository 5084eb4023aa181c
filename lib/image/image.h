/* Disk images: kind detection, refusals, and the backend interface that
 * the appliance (libguestfs) and direct (qemu-nbd + libntfs-3g) backends
 * implement.  The hive code never knows which backend it runs on.
 */
#pragma once

#include "hive.h"
#include "log-replay-internal.h"
#include "vhive.h"

struct vhive_file;

/* The largest hive or transaction log vhive copies out of an image: a base
 * block plus the largest hive-bins size a hive can have (the bound replay
 * enforces too).  A bigger file is refused before any byte is copied. */
#define VHIVE_IMAGE_HIVE_FILE_MAX ((uint64_t)VHIVE_REGF_BASE_BLOCK + VHIVE_HBINS_MAX)

/* ---- kind detection and refusals (lib/image/detect.c) ----------------- */

enum vhive_target_kind {
        VHIVE_KIND_HIVE,  /* "regf" at offset 0 */
        VHIVE_KIND_IMAGE, /* anything else: a disk image */
};

/* Reads the first/last bytes of path: hive or image. -errno on I/O. */
int vhive_target_kind(const char *path, enum vhive_target_kind *kind, struct vhive_error *err);
/* Detects the image format by content (never by qemu guessing). */
int vhive_image_detect(const char *path, struct vhive_image_info *info, struct vhive_error *err);

/* CRC-32C (Castagnoli) of len bytes, as VHDX checksums its structures. */
uint32_t vhive_crc32c(const uint8_t *p, size_t len);
/* Refusals that need no backend: differencing disks, a .lok beside it
 * (unless force), version siblings NAME.N.avhdx/.avhd/.vhdx (unless
 * force), a read-only file for a write.  -EPERM/-EBUSY/-EROFS with a
 * message that says why and what to do. */
int vhive_image_refusals(const char *path, const struct vhive_image_info *info, bool for_write,
                         bool force, struct vhive_error *err);

/* ---- backends (lib/backend-*.c) -------------------------------------- */

struct vhive_image_spec {
        const char *path;
        const char *format; /* explicit qemu format: "vpc", "vhdx", ... */
        bool readonly;
};

struct vhive_backend;

/* What a path of the Windows volume is, seen without following it. */
enum vhive_node_kind {
        VHIVE_NODE_FILE,  /* a plain file */
        VHIVE_NODE_DIR,   /* a plain folder */
        VHIVE_NODE_LINK,  /* a symbolic link, junction or any other reparse point */
        VHIVE_NODE_OTHER, /* a FIFO, device... as ntfs-3g shows Interix files */
};

/* How every backend words the refusal of a link (the path shown relative
 * to the volume's root). */
#define VHIVE_LINK_REFUSED "%s is a symbolic link or reparse point: refused"

/* NTFS file attributes (FILE_ATTRIBUTE_*) a write cares about. */
#define VHIVE_NTFS_SPARSE 0x200u
#define VHIVE_NTFS_REPARSE 0x400u
#define VHIVE_NTFS_COMPRESSED 0x800u
#define VHIVE_NTFS_ENCRYPTED 0x4000u
/* Data a write into the existing clusters could not reach without
 * allocating (filling a hole) or encoding. */
#define VHIVE_NTFS_NOT_PLAIN (VHIVE_NTFS_SPARSE | VHIVE_NTFS_COMPRESSED | VHIVE_NTFS_ENCRYPTED)

struct vhive_node {
        enum vhive_node_kind kind;
        uint64_t size;  /* a file's data size */
        uint64_t ino;   /* the MFT record number: one file under two names has one */
        uint32_t nlink; /* its names (hard links), as ntfs-3g counts: an 8.3 DOS name
                         * beside its long name is not one more */
        uint32_t attrs; /* NTFS file attributes: VHIVE_NTFS_* */
};

/* How a backend launches.  progress (may be NULL) is for the launch and
 * long transfers: the backend passes VHIVE_PROGRESS_RUN as the target and
 * the image job maps it to the image it works on (image-job.c). */
struct vhive_backend_launch {
        bool verbose;
        vhive_progress_fn *progress;
        void *progress_opaque;
};

struct vhive_backend_ops {
        const char *name; /* "appliance" or "direct" */
        /* A pread of an open_file costs no more than a download of the
         * same bytes (no round trip per call): a read-only op may read a
         * clean hive in place, only the cells it needs. */
        bool reads_in_place;
        /* A launch costs more than the images' own work, and two can run
         * side by side: a batch of several images is split over two
         * (image-job.c), each of its own thread.  The backend then keeps no
         * state but its struct vhive_backend's, bar what it locks. */
        bool split_batches;
        /* Adds every image, then launches once.  Per-image failures are
         * reported later by the per-image calls, not here; -errno here
         * means nothing can work (no appliance). */
        int (*open)(struct vhive_backend **be, const struct vhive_image_spec *imgs, size_t n,
                    const struct vhive_backend_launch *launch, struct vhive_error *err);
        /* Any error recorded for image i while opening (0 when fine). */
        int (*image_status)(struct vhive_backend *be, size_t i, struct vhive_error *err);
        /* Finds the Windows root(s).  root_device picks one when several
         * exist (--root); more than one without it is an error listing them. */
        int (*find_root)(struct vhive_backend *be, size_t i, const char *root_device,
                         struct vhive_root *root, struct vhive_error *err);
        /* Real spelling of name inside dir (case-insensitive); *real NULL
         * when absent. */
        int (*lookup)(struct vhive_backend *be, size_t i, const char *dir, const char *name,
                      char **real, struct vhive_error *err);
        /* What guest_path is, without following it (-ENOENT when absent). */
        int (*lstat)(struct vhive_backend *be, size_t i, const char *guest_path,
                     struct vhive_node *node, struct vhive_error *err);
        /* Copies a file into a host file (the session's private copy). */
        int (*download)(struct vhive_backend *be, size_t i, const char *guest_path,
                        const char *host_path, struct vhive_error *err);
        /* Opens an existing file of the Windows volume for the logged
         * commit (lib/commit/commit.h): reads and writes go to the file's
         * existing clusters; extend is the one call that allocates.  No
         * file is ever created, renamed, unlinked or truncated.  Freed
         * with close_file (or by close). */
        int (*open_file)(struct vhive_backend *be, size_t i, const char *guest_path, bool writable,
                         struct vhive_file **f, struct vhive_error *err);
        void (*close_file)(struct vhive_backend *be, struct vhive_file *f);
        /* Optional: the job is done with image i: no call reaches it any
         * more (the appliance keeps its volume mounted until close, which
         * unmounts all in one round trip).  An error means what was
         * written may not have reached the image. */
        int (*release)(struct vhive_backend *be, size_t i, struct vhive_error *err);
        /* Unmounts, syncs, shuts down; checks every result. */
        int (*close)(struct vhive_backend *be, struct vhive_error *err);
        /* Optional: one line the user should see about the whole run (the
         * appliance fell back to software emulation...), or NULL. */
        const char *(*notice)(struct vhive_backend *be);
};

/* ---- paths inside an image (lib/image/image-paths.c) ------------------- */

/* Every component of dir (absolute in the volume) is a plain folder: a
 * symbolic link, junction or other reparse point is refused, naming it. */
int vhive_image_check_dir(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                          const char *dir, struct vhive_error *err);
/* dir/name (dir checked already) is a plain file with one name (no hard
 * link), no larger than a hive can be; then copies it to host_path (NULL:
 * only the checks).  node (may be NULL) gets what the file is, for the
 * checks below. */
int vhive_image_fetch_file(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                           const char *guest_path, const char *host_path, struct vhive_node *node,
                           struct vhive_error *err);
/* No two of the n files (paths[k] "" when absent) are one file: a log
 * written over its hive, or two logs that are one. */
int vhive_image_check_distinct(const char *const *paths, const struct vhive_node *nodes, size_t n,
                               struct vhive_error *err);
/* The file's data lies in clusters a write reaches in place: not sparse,
 * compressed or encrypted. */
int vhive_image_check_plain(const char *path, const struct vhive_node *node,
                            struct vhive_error *err);

/* Defined by the modules (and by the static test libraries). */
extern const struct vhive_backend_ops vhive_backend_appliance;
extern const struct vhive_backend_ops vhive_backend_direct;

/* Each backend is a loadable module (vhive-backend-NAME.so), loaded only
 * when an image is opened.  The job driver (lib/job/driver.c) picks name. */
int vhive_backend_load(const char *name, const struct vhive_backend_ops **ops,
                       struct vhive_error *err);
bool vhive_backend_name_valid(const char *name);
