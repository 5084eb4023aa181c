/* The direct backend: one private qemu-nbd per image (nbd-disk.c), the
 * partition table read over NBD (partition.c), NTFS through libntfs-3g
 * with a custom device (ntfs-device.c).  No appliance, no root, no FUSE,
 * no loop device, no kernel module.
 *
 * NTFS is parsed in this process: use it on images you trust.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "image.h"
#include "macro.h"
#include "nbd-disk.h"
#include "ntfs-device.h"
#include "partition.h"

#define CONFIG_DIR "/Windows/System32/config"
#define HIVE_PROBE "SYSTEM"

struct direct_image {
        struct vhive_nbd_disk *disk;
        bool readonly;
        int status; /* opening failed: -errno */
        struct vhive_error err;
        struct vhive_ntfs *vol; /* the Windows volume once find_root chose it */
};

struct direct_backend {
        struct direct_image *imgs;
        size_t n;
};

static struct direct_backend *db(struct vhive_backend *be)
{
        return (struct direct_backend *)be;
}

/* ---- open / close ------------------------------------------------------- */

static bool in_path(const char *prog)
{
        const char *path = getenv("PATH");
        char buf[4096];

        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                size_t n = strcspn(path, ":");

                snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", prog);
                if (access(buf, X_OK) == 0)
                        return true;
                path += n + (path[n] == ':');
        }
        return false;
}

static void image_failed(struct direct_image *im, int r, const struct vhive_error *e)
{
        im->status = r;
        im->err = *e;
        vhive_nbd_close(im->disk, NULL);
        im->disk = NULL;
}

static int direct_open(struct vhive_backend **be, const struct vhive_image_spec *imgs, size_t n,
                       const struct vhive_backend_launch *launch, struct vhive_error *err)
{
        struct direct_backend *b;
        struct vhive_error e;
        int r;

        (void)launch; /* no launch to show: qemu-nbd starts in milliseconds */
        *be = NULL;
        if (!in_path("qemu-nbd"))
                return vhive_fail(err, ENOENT,
                                  "qemu-nbd not found: the direct backend needs "
                                  "it (install qemu-utils)");
        b = calloc(1, sizeof(*b));
        if (!b || !(b->imgs = calloc(n ? n : 1, sizeof(*b->imgs)))) {
                free(b);
                return vhive_fail(err, ENOMEM, "out of memory");
        }
        b->n = n;
        /* Start every qemu-nbd first, then connect: they open in parallel. */
        for (size_t i = 0; i < n; i++) {
                b->imgs[i].readonly = imgs[i].readonly;
                r = vhive_nbd_start(&b->imgs[i].disk, imgs[i].path, imgs[i].format,
                                    imgs[i].readonly, &e);
                if (r < 0)
                        image_failed(&b->imgs[i], r, &e);
        }
        for (size_t i = 0; i < n; i++) {
                if (!b->imgs[i].disk)
                        continue;
                r = vhive_nbd_connect(b->imgs[i].disk, &e);
                if (r < 0)
                        image_failed(&b->imgs[i], r, &e);
        }
        *be = (struct vhive_backend *)b;
        return 0;
}

static int direct_close(struct vhive_backend *be, struct vhive_error *err)
{
        struct direct_backend *b = db(be);
        struct vhive_error e;
        int r = 0, r2;

        if (!b)
                return 0;
        for (size_t i = 0; i < b->n; i++) {
                struct direct_image *im = &b->imgs[i];

                /* Unmount first: libntfs-3g writes its last metadata there. */
                r2 = vhive_ntfs_umount(im->vol, &e);
                if (r2 < 0 && r == 0)
                        r = vhive_fail(err, -r2, "image %zu: %s", i + 1, e.msg);
                r2 = vhive_nbd_close(im->disk, &e);
                if (r2 < 0 && r == 0)
                        r = vhive_fail(err, -r2, "image %zu: %s", i + 1, e.msg);
        }
        free(b->imgs);
        free(b);
        return r;
}

static int image_at(struct vhive_backend *be, size_t i, struct direct_image **im,
                    struct vhive_error *err)
{
        struct direct_backend *b = db(be);

        if (!b || i >= b->n)
                return vhive_fail(err, EINVAL, "no image %zu", i + 1);
        *im = &b->imgs[i];
        if ((*im)->status < 0) {
                *err = (*im)->err;
                return (*im)->status;
        }
        return 0;
}

static int direct_image_status(struct vhive_backend *be, size_t i, struct vhive_error *err)
{
        struct direct_image *im = NULL;

        return image_at(be, i, &im, err);
}

/* ---- find_root ---------------------------------------------------------- */

/* --root: "2", "partition 2", "/dev/sda2", "sda2", "/dev/vdb1"; "/dev/sda"
 * (a partitionless disk) is 0.  -1 when unparsable. */
static long parse_root(const char *s)
{
        char *end;
        long n;

        if (strncmp(s, "/dev/", 5) == 0)
                s += 5;
        if (strncmp(s, "partition", 9) == 0) {
                s += 9;
                while (*s == ' ')
                        s++;
        } else if ((s[0] == 's' || s[0] == 'v' || s[0] == 'h') && s[1] == 'd') {
                s += 2;
                if (*s < 'a' || *s > 'z')
                        return -1;
                while (*s >= 'a' && *s <= 'z')
                        s++;
                if (!*s)
                        return 0;
        }
        if (*s < '0' || *s > '9')
                return -1;
        n = strtol(s, &end, 10);
        return *end || n > 1000 ? -1 : n;
}

static int read_disk(void *ctx, void *buf, size_t count, uint64_t offset, struct vhive_error *err)
{
        return vhive_nbd_pread(ctx, buf, count, offset, err);
}

static void device_name(const struct vhive_partition *p, char *buf, size_t len)
{
        if (p->number)
                snprintf(buf, len, "partition %u", p->number);
        else
                snprintf(buf, len, "whole disk");
}

/* What probing one partition found. */
enum probe {
        PROBE_NOT_NTFS,
        PROBE_NO_WINDOWS,
        PROBE_WINDOWS,
        PROBE_INTERRUPTED,
        PROBE_LINK, /* a folder on the way to config is a link: *perr says which */
        PROBE_FAILED,
};

/* Read-only look at a partition: NTFS?  Windows/System32/config/SYSTEM?
 * Fills config (real spelling) when Windows is there, and then hands the
 * read-only mount over in *keep when keep is not NULL. */
static enum probe probe(struct direct_image *im, const struct vhive_partition *p, char *config,
                        size_t len, struct vhive_ntfs **keep, struct vhive_error *perr)
{
        uint8_t boot[512];
        struct vhive_ntfs *v;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *hive = NULL;
        struct vhive_error e;
        enum probe res = PROBE_NO_WINDOWS;

        if (p->size < sizeof(boot) ||
            vhive_nbd_pread(im->disk, boot, sizeof(boot), p->offset, &e) < 0 ||
            !vhive_is_ntfs_boot_sector(boot, sizeof(boot)))
                return PROBE_NOT_NTFS;
        struct vhive_blockio io = vhive_nbd_blockio(im->disk);

        if (vhive_ntfs_mount(&v, &io, p->offset, p->size, true, p->desc, perr) < 0)
                return PROBE_FAILED;
        if (vhive_ntfs_real_path(v, CONFIG_DIR, &dir, &e) == -ELOOP) {
                *perr = e;
                res = PROBE_LINK;
        } else if (dir && vhive_ntfs_lookup(v, dir, HIVE_PROBE, &hive, &e) == 0 &&
                   (hive ||
                    (vhive_ntfs_lookup(v, dir, HIVE_PROBE ".vhive-old", &hive, &e) == 0 && hive))) {
                /* SYSTEM absent, SYSTEM.vhive-old there: a replacement was
                 * killed between its steps; find_root deals with it. */
                res = strcasecmp(hive, HIVE_PROBE) == 0 ? PROBE_WINDOWS : PROBE_INTERRUPTED;
                snprintf(config, len, "%s", dir);
                if (keep) {
                        *keep = v;
                        return res;
                }
        }
        if (vhive_ntfs_umount(v, &e) < 0) {
                *perr = e;
                return PROBE_FAILED;
        }
        return res;
}

struct found {
        const struct vhive_partition *part;
        bool interrupted; /* SYSTEM missing, SYSTEM.vhive-old whole */
        bool link;        /* refused: a folder on the way is a link (why) */
        struct vhive_error why;
        char config[256];
        struct vhive_ntfs *vol; /* read-only images: the probe's mount, kept */
};

static void unmount_found(struct found *f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                vhive_ntfs_umount(f[i].vol, NULL); /* read-only: nothing to lose */
                f[i].vol = NULL;
        }
}

static int no_windows(const struct vhive_ptable *pt, unsigned ntfs, unsigned failed,
                      const struct vhive_error *last_failure, struct vhive_error *err)
{
        if (pt->n == 0)
                return vhive_fail(err, ENOENT,
                                  "no Windows installation: the disk has an "
                                  "empty partition table");
        if (failed)
                return vhive_fail(err, ENOENT,
                                  "no Windows installation found; %u NTFS "
                                  "volume(s) could not be read (%s)",
                                  failed, last_failure->msg);
        if (ntfs == 0)
                return vhive_fail(err, ENOENT,
                                  "no Windows installation: none of the %zu "
                                  "partition(s) holds an NTFS volume",
                                  pt->n);
        return vhive_fail(err, ENOENT,
                          "no Windows installation: no NTFS volume holds "
                          "%s/%s",
                          CONFIG_DIR, HIVE_PROBE);
}

static int several(const struct found *f, size_t n, struct vhive_error *err)
{
        char list[768] = "";
        size_t used = 0;

        for (size_t i = 0; i < n && used < sizeof(list); i++)
                used += snprintf(list + used, sizeof(list) - used, "%s%s (%s)", i ? ", " : "",
                                 f[i].part->desc, f[i].config);
        return vhive_fail(err, EEXIST,
                          "several Windows installations: %s; pick one with "
                          "--root (e.g. --root %u)",
                          list, f[0].part->number);
}

/* Probes the partitions (only the one asked for with --root) and picks the
 * Windows volume. */
static int choose(struct direct_image *im, const struct vhive_ptable *pt, long want,
                  const char *root_device, struct found *chosen, struct vhive_error *err)
{
        _cleanup_free_ struct found *f = calloc(pt->n ? pt->n : 1, sizeof(*f));
        struct vhive_error failure = { 0 };
        unsigned ntfs = 0, failed = 0;
        size_t n = 0;
        bool seen = false;

        if (!f)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < pt->n; i++) {
                const struct vhive_partition *p = &pt->parts[i];

                if (want >= 0 && p->number != (unsigned long)want)
                        continue;
                seen = true;
                switch (probe(im, p, f[n].config, sizeof(f[n].config),
                              im->readonly ? &f[n].vol : NULL, &failure)) {
                case PROBE_LINK:
                        f[n].link = true;
                        f[n].why = failure;
                        f[n++].part = p;
                        ntfs++;
                        break;
                case PROBE_INTERRUPTED:
                        f[n].interrupted = true;
                        /* fallthrough */
                case PROBE_WINDOWS:
                        f[n++].part = p;
                        /* fallthrough */
                case PROBE_NO_WINDOWS:
                        ntfs++;
                        break;
                case PROBE_FAILED:
                        failed++;
                        break;
                case PROBE_NOT_NTFS:
                        break;
                }
        }
        if (want >= 0 && !seen)
                return vhive_fail(err, ENOENT, "--root %s: the disk has no such partition",
                                  root_device);
        if (want >= 0 && n == 0 && failed)
                return vhive_fail(err, -failure.errnum, "--root %s: %s", root_device, failure.msg);
        if (want >= 0 && n == 0)
                return vhive_fail(err, ENOENT, "--root %s: no %s/%s there", root_device, CONFIG_DIR,
                                  HIVE_PROBE);
        if (n == 0)
                return no_windows(pt, ntfs, failed, &failure, err);
        if (n > 1) {
                unmount_found(f, n);
                return several(f, n, err);
        }
        *chosen = f[0];
        return 0;
}

/* SYSTEM missing, the old hive whole as SYSTEM.vhive-old: a vhive older
 * than the logged commit (which replaced the hive by switching names) was
 * killed between renames.  vhive no longer renames anything, so only
 * images touched by those versions can show this; the kill may also have
 * left libntfs-3g's unjournaled metadata half-updated, so nothing is
 * written on top: say what happened and how to put the old hive back. */
static int interrupted(const struct found *f, struct vhive_error *err)
{
        return vhive_fail(err, EUCLEAN,
                          "%s: an older vhive (one that switched names) was interrupted "
                          "while replacing %s/%s: it is missing, and the old hive is whole as "
                          "%s.vhive-old; Windows cannot boot like this.  Check the volume "
                          "(chkdsk) and rename it back, e.g. guestfish -a IMAGE -i mv "
                          "%s/%s.vhive-old %s/%s",
                          f->part->desc, f->config, HIVE_PROBE, HIVE_PROBE, f->config, HIVE_PROBE,
                          f->config, HIVE_PROBE);
}

static int direct_find_root(struct vhive_backend *be, size_t i, const char *root_device,
                            struct vhive_root *root, struct vhive_error *err)
{
        struct direct_image *im = NULL;
        struct vhive_ptable *pt;
        struct found chosen = { 0 };
        long want = -1;
        int r = image_at(be, i, &im, err);

        if (r < 0)
                return r;
        if (root_device && (want = parse_root(root_device)) < 0)
                return vhive_fail(err, EINVAL,
                                  "--root %s: expected a partition number, "
                                  "\"partition N\" or a device name such as /dev/sda2",
                                  root_device);
        r = vhive_ntfs_umount(im->vol, err); /* a second call starts afresh */
        im->vol = NULL;
        if (r < 0)
                return r;
        pt = malloc(sizeof(*pt));
        if (!pt)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = vhive_ptable_read(read_disk, im->disk, vhive_nbd_size(im->disk), pt, err);
        if (r == 0)
                r = choose(im, pt, want, root_device, &chosen, err);
        /* The chosen volume stays mounted, read-write for a write job: here
         * libntfs-3g's hibernation and $LogFile refusals apply. */
        if (r == 0 && chosen.link) {
                *err = chosen.why;
                r = -chosen.why.errnum;
        } else if (r == 0 && chosen.vol)
                im->vol = chosen.vol;
        else if (r == 0) {
                struct vhive_blockio io = vhive_nbd_blockio(im->disk);

                r = vhive_ntfs_mount(&im->vol, &io, chosen.part->offset, chosen.part->size,
                                     im->readonly, chosen.part->desc, err);
        }
        if (r == 0 && chosen.interrupted)
                r = interrupted(&chosen, err);
        if (r == 0) {
                memset(root, 0, sizeof(*root));
                device_name(chosen.part, root->device, sizeof(root->device));
                snprintf(root->fs_type, sizeof(root->fs_type), "ntfs");
                snprintf(root->config_dir, sizeof(root->config_dir), "%s", chosen.config);
                snprintf(root->partition, sizeof(root->partition), "%s", chosen.part->desc);
        }
        free(pt);
        return r;
}

/* ---- files -------------------------------------------------------------- */

static int mounted(struct vhive_backend *be, size_t i, struct direct_image **im,
                   struct vhive_error *err)
{
        int r = image_at(be, i, im, err);

        if (r == 0 && !(*im)->vol)
                r = vhive_fail(err, EINVAL, "no Windows volume chosen yet (find_root)");
        return r;
}

static int direct_lookup(struct vhive_backend *be, size_t i, const char *dir, const char *name,
                         char **real, struct vhive_error *err)
{
        struct direct_image *im = NULL;
        int r = mounted(be, i, &im, err);

        *real = NULL;
        return r < 0 ? r : vhive_ntfs_lookup(im->vol, dir, name, real, err);
}

static int direct_lstat(struct vhive_backend *be, size_t i, const char *guest_path,
                        struct vhive_node *node, struct vhive_error *err)
{
        struct direct_image *im = NULL;
        int r = mounted(be, i, &im, err);

        return r < 0 ? r : vhive_ntfs_lstat(im->vol, guest_path, node, err);
}

static int direct_download(struct vhive_backend *be, size_t i, const char *guest_path,
                           const char *host_path, struct vhive_error *err)
{
        struct direct_image *im = NULL;
        int r = mounted(be, i, &im, err);

        return r < 0 ? r : vhive_ntfs_download(im->vol, guest_path, host_path, err);
}

static int writable(struct vhive_backend *be, size_t i, struct direct_image **im,
                    struct vhive_error *err)
{
        int r = mounted(be, i, im, err);

        if (r == 0 && (*im)->readonly)
                r = vhive_fail(err, EROFS, "the image was opened read-only");
        return r;
}

static int direct_open_file(struct vhive_backend *be, size_t i, const char *guest_path,
                            bool writable_file, struct vhive_file **f, struct vhive_error *err)
{
        struct direct_image *im = NULL;
        int r = writable_file ? writable(be, i, &im, err) : mounted(be, i, &im, err);

        *f = NULL;
        return r < 0 ? r : vhive_ntfs_open_file(im->vol, guest_path, writable_file, f, err);
}

static void direct_close_file(struct vhive_backend *be, struct vhive_file *f)
{
        (void)be;
        vhive_ntfs_close_file(f);
}

const struct vhive_backend_ops vhive_backend_direct = {
        .name = "direct",
        .reads_in_place = true,
        .open = direct_open,
        .image_status = direct_image_status,
        .find_root = direct_find_root,
        .lookup = direct_lookup,
        .lstat = direct_lstat,
        .download = direct_download,
        .open_file = direct_open_file,
        .close_file = direct_close_file,
        .close = direct_close,
};
