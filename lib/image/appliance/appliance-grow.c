/* Growing a file (a log too short for the commit's record) around the
 * appliance's ntfs-3g (issue 17).
 *
 * ntfs-3g in the appliance grows a file with several writes of MFT
 * records: the file's own, with fresh update sequence numbers, its
 * folder's (the index entry's size) and the records sharing their 4 KiB
 * block (times).  A power cut that lands one 512-byte sector of such a
 * record and not the other leaves it torn, and with the folder's record
 * the whole config folder, until chkdsk.  The direct backend grows a file
 * with one record write that cannot tear (direct/ntfs-files.c,
 * direct/record-write.c).  The same code does it here: the appliance's
 * ntfs-3g is unmounted (it writes what it holds), libntfs-3g on the host
 * mounts the partition through its device node in the appliance
 * (guestfs_pread/pwrite on it: the appliance's page cache of the disk,
 * which the appliance's next mount reads), grows the file, flushes (an
 * fsync of the node: a FLUSH to that disk alone), and the volume is
 * mounted again in the appliance, read-write, its caches read afresh.
 *
 * Cost under TCG, measured: about 1 s (an unmount, a mount, the round
 * trips of libntfs-3g's mount and two fsyncs), where ntfs-3g grew a file
 * in about 0.2 s; a log grows once in its life (Windows leaves them empty
 * when it last wrote the hive cleanly).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance-internal.h"
#include "commit.h"
#include "macro.h"
#include "ntfs-device.h"

/* Well under the protocol's 4 MiB message. */
#define NODE_CHUNK (1u << 20)

struct node_io {
        struct vhive_backend *be;
        struct ap_extents part;
};

static int node_pread(void *ctx, void *buf, size_t count, uint64_t offset, struct vhive_error *err)
{
        struct node_io *n = ctx;

        while (count > 0) {
                size_t want = count < NODE_CHUNK ? count : NODE_CHUNK, got = 0;
                _cleanup_free_ char *data = guestfs_pread(n->be->g, n->part.node, (int)want,
                                                          (int64_t)offset, &got);

                if (!data)
                        return ap_gfail(n->be, err, "cannot read the partition");
                if (got == 0 || got > want)
                        return vhive_fail(err, EIO, "the partition ends at %llu",
                                          (unsigned long long)offset);
                memcpy(buf, data, got);
                buf = (uint8_t *)buf + got;
                count -= got;
                offset += got;
        }
        return 0;
}

static int node_pwrite(void *ctx, const void *buf, size_t count, uint64_t offset,
                       struct vhive_error *err)
{
        struct node_io *n = ctx;

        while (count > 0) {
                size_t want = count < NODE_CHUNK ? count : NODE_CHUNK;
                int done = guestfs_pwrite(n->be->g, n->part.node, buf, want, (int64_t)offset);

                if (done < 0)
                        return ap_gfail(n->be, err, "cannot write the partition");
                if (done == 0)
                        return vhive_fail(err, EIO, "nothing written to the partition at %llu",
                                          (unsigned long long)offset);
                buf = (const uint8_t *)buf + done;
                count -= (size_t)done;
                offset += (size_t)done;
        }
        return 0;
}

static int node_flush(void *ctx, struct vhive_error *err)
{
        struct node_io *n = ctx;

        return ap_raw_flush(n->be, &n->part) < 0
                       ? ap_gfail(n->be, err, "cannot flush the partition")
                       : 0;
}

/* The volume mounted on the host, the file grown, the volume unmounted. */
static int grow_on_host(struct node_io *n, const char *name, const char *guest_path, uint64_t size,
                        struct vhive_error *err)
{
        struct vhive_blockio io = { .ctx = n,
                                    .size = n->part.size,
                                    .pread = node_pread,
                                    .pwrite = node_pwrite,
                                    .flush = node_flush };
        struct vhive_ntfs *v = NULL;
        struct vhive_file *f = NULL;
        struct vhive_error e2;
        int r = vhive_ntfs_mount(&v, &io, 0, n->part.size, false, name, err);

        if (r == 0)
                r = vhive_ntfs_open_file(v, guest_path, true, &f, err);
        if (r == 0)
                r = f->ops->extend(f, size, err);
        if (f)
                vhive_ntfs_close_file(f);
        if (v && vhive_ntfs_umount(v, &e2) < 0 && r == 0) {
                *err = e2;
                r = -e2.errnum;
        }
        return r;
}

/* libguestfs serves a call on a path (the node) only while something is
 * mounted in the appliance's root: a small tmpfs, mounted once, keeps it
 * so while the Windows volume is away.  Without it (the mount failed) the
 * volume is mounted read-only meanwhile (0.3-0.4 s more under TCG). */
static bool keep_root(struct vhive_backend *be)
{
        char cmd[] = "mkdir -p \"$root\"/.vhive-keep && "
                     "exec mount -t tmpfs -o size=4k,mode=0700 vhive \"$root\"/.vhive-keep";
        char *args[2] = { cmd, NULL };

        if (be->root_kept == 0) {
                char *out = guestfs_debug(be->g, "sh", args);

                be->root_kept = out ? 1 : -1;
                free(out);
        }
        return be->root_kept > 0;
}

/* libntfs-3g is not known to be thread-safe (its log handler is global):
 * the two appliances of a split batch (image-job.c) grow one at a time. */
static pthread_mutex_t ntfs_lock = PTHREAD_MUTEX_INITIALIZER;

int ap_grow(struct vhive_backend *be, struct image *img, const char *guest_path, uint64_t size,
            struct vhive_error *err)
{
        struct node_io n = { .be = be };
        struct vhive_error e2;
        int r = ap_raw_partition(be, img, &n.part);

        if (r < 0)
                return 1;
        vhive_watchdog_writing(&be->watchdog);
        bool kept = keep_root(be);
        r = ap_unmount_root(be, img, err);
        if (r == 0 && !kept)
                r = ap_mount_root_again(be, img, true, err);
        if (r < 0)
                return r;
        pthread_mutex_lock(&ntfs_lock);
        r = grow_on_host(&n, img->root.device, guest_path, size, err);
        pthread_mutex_unlock(&ntfs_lock);
        if ((!kept && ap_unmount_root(be, img, &e2) < 0) ||
            ap_mount_root_again(be, img, false, &e2) < 0) {
                /* The volume is not mounted as the later calls expect (a
                 * read-only mount may even stay): nothing more of this
                 * image is worked on. */
                img->status = -e2.errnum;
                img->err = e2;
                if (r == 0)
                        *err = e2;
                r = r < 0 ? r : -e2.errnum;
        }
        return r;
}
