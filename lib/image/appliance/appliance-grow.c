/* Growing a file (a log too short for the commit's record) with no record
 * a power cut can tear (issue 17).
 *
 * ntfs-3g in the appliance grows a file with several writes of MFT
 * records, each with fresh update sequence numbers: the file's own, its
 * folder's (the index entry's size) and the records sharing their 4 KiB
 * block (times).  A power cut that lands one 512-byte sector of such a
 * record and not the other leaves it torn, and with the folder's record
 * the whole config folder, until chkdsk; and the record can reach the disk
 * before the cluster bitmap that allocates what it names (the crash model
 * found both: 385 and 683 of 3718 states of a growth).  The direct
 * backend's NTFS code grows a file with one record write that cannot tear,
 * after a flush of the bitmap (direct/ntfs-files.c, record-write.c).  The
 * same code, built as a program of its own (grow-helper.c), runs here
 * inside the appliance, so the image's NTFS is still parsed there and not
 * on the host: uploaded once per launch, it runs with the appliance's
 * ntfs-3g unmounted (it writes what it holds), on the partition's device,
 * and flushes with an fsync of it (a FLUSH to that disk alone); the volume
 * is then mounted again, its caches read afresh.
 *
 * Without the helper (not built beside the module), ntfs-3g grows the file
 * as before.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance-internal.h"
#include "macro.h"

#define HELPER "vhive-ntfs-grow"
/* In the appliance's own root, out of the guest's volumes. */
#define HELPER_IN_APPLIANCE "/.vhive-ntfs-grow"

/* The helper beside this module (the build tree's lib/, or the installed
 * module folder), or VHIVE_MODULE_DIR's: false when there is none. */
static bool helper_on_host(char *path, size_t len)
{
        Dl_info info;
        char dir[PATH_MAX];
        const char *env = getenv("VHIVE_MODULE_DIR");

        if (dladdr((void *)helper_on_host, &info) && info.dli_fname) {
                snprintf(dir, sizeof(dir), "%s", info.dli_fname);
                snprintf(path, len, "%s/%s", dirname(dir), HELPER);
                if (access(path, X_OK) == 0)
                        return true;
        }
        if (env) {
                snprintf(path, len, "%s/%s", env, HELPER);
                return access(path, X_OK) == 0;
        }
        return false;
}

/* Uploaded once per launch, while a volume is mounted (libguestfs writes
 * a path only then). */
static bool helper_ready(struct vhive_backend *be)
{
        char path[PATH_MAX + 32];

        if (be->grow_helper == 0)
                be->grow_helper = helper_on_host(path, sizeof(path)) &&
                                                  guestfs_upload(be->g, path,
                                                                 HELPER_IN_APPLIANCE) == 0 &&
                                                  guestfs_chmod(be->g, 0700, HELPER_IN_APPLIANCE) ==
                                                          0
                                          ? 1
                                          : -1;
        return be->grow_helper > 0;
}

/* On the partition's own node (appliance-raw.c), whose close no udev rule
 * sees, after udev is done with the close of the device by ntfs-3g's
 * unmount (its "watch" rule re-reads a whole disk's partition table then:
 * the helper once read no NTFS boot sector in that instant). */
static int run_helper(struct vhive_backend *be, const char *node, const char *guest_path,
                      uint64_t size, struct vhive_error *err)
{
        _cleanup_free_ char *dev = ap_sh_quote(node), *path = ap_sh_quote(guest_path);
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        char *args[2] = { NULL, NULL };

        if (!dev || !path ||
            asprintf(&cmd,
                     "udevadm settle >/dev/null 2>&1; "
                     "exec \"$root\"%s \"$root\"%s %s %" PRIu64 " 2>&1",
                     HELPER_IN_APPLIANCE, dev, path, size) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        args[0] = cmd;
        out = guestfs_debug(be->g, "sh", args);
        if (!out)
                return ap_gfail(be, err, "cannot grow %s", guest_path);
        return 0;
}

int ap_grow(struct vhive_backend *be, struct image *img, const char *guest_path, uint64_t size,
            struct vhive_error *err)
{
        struct ap_extents part;
        struct vhive_error e2;
        int r;

        if (!helper_ready(be) || ap_raw_partition(be, img, &part) < 0)
                return 1;
        vhive_watchdog_writing(&be->watchdog);
        r = ap_unmount_root(be, img, err);
        if (r < 0)
                return r;
        r = run_helper(be, part.node, guest_path, size, err);
        if (ap_mount_root_again(be, img, &e2) < 0) {
                /* Not mounted as the later calls expect: nothing more of
                 * this image is worked on. */
                img->status = -e2.errnum;
                img->err = e2;
                if (r == 0)
                        *err = e2;
                r = r < 0 ? r : -e2.errnum;
        }
        return r;
}
