/* The appliance backend, finding Windows: each image's NTFS filesystems,
 * the one that holds Windows/System32/config/SYSTEM, mounted on the
 * image's own mountpoint while the job works on that image (see
 * appliance.c).
 */
#include <errno.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appliance-internal.h"
#include "macro.h"

/* ---- finding Windows ----------------------------------------------------- */

/* The filesystem lives on the drive: "/dev/sdb" itself or "/dev/sdbN". */
static bool on_drive(const char *fs_dev, const char *drive_dev)
{
        size_t len = strlen(drive_dev);

        if (strncmp(fs_dev, drive_dev, len) != 0)
                return false;
        return strspn(fs_dev + len, "0123456789") == strlen(fs_dev + len);
}

/* Trailing partition number of "/dev/sda2", "partition 2" or "2"; -1 if none. */
static int partnum_of(const char *s)
{
        size_t len = strlen(s), k = len;

        while (k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9')
                k--;
        return k == len ? -1 : atoi(s + k);
}

/* Looks for the SYSTEM hive, in any letter case, on the volume mounted on
 * the image's mountpoint: true when found (config_dir filled). */
static bool find_system(struct vhive_backend *be, struct image *img, char *config_dir, size_t size)
{
        _cleanup_free_ char *want = NULL, *real = NULL;
        unsigned type = 0;

        if (asprintf(&want, "%s/windows/system32/config/system", img->mnt) >= 0)
                real = guestfs_case_sensitive_path(be->g, want);
        if (real)
                type = ap_lstat_type(be, real, NULL);
        /* A SYSTEM that is a link counts: the job refuses it, naming it
         * (image-paths.c), rather than finding no Windows. */
        if (type == S_IFREG || type == S_IFLNK) {
                char *slash = strrchr(real, '/');
                *slash = '\0';
                snprintf(config_dir, size, "%s", real + strlen(img->mnt));
                return true;
        }
        return false;
}

/* Mounts dev read-only on the image's mountpoint and looks for the SYSTEM
 * hive.  1 found (config_dir filled), 0 not found. */
static int probe_windows(struct vhive_backend *be, struct image *img, const char *dev,
                         char *config_dir, size_t size)
{
        int found;

        if (guestfs_mount_ro(be->g, dev, img->mnt) < 0)
                return 0; /* not mountable: not a usable Windows volume */
        found = find_system(be, img, config_dir, size);
        guestfs_umount(be->g, img->mnt);
        return found;
}

struct candidates {
        char ntfs_dev[8][64]; /* the image's NTFS filesystems (the first 8) */
        size_t ntfs;          /* how many it holds */
        char scheme[8][8];    /* their partition table: "dos", "gpt", "" */
        char dev[8][64];      /* those that hold Windows */
        char config_dir[8][256];
        size_t n;
        char list[512]; /* "/dev/sda2, /dev/sda3" */
};

/* Calls fn on each device find_root looks at on img's drive: its
 * partitions, or the drive itself when it has none (a filesystem on the
 * whole disk). */
static void each_candidate(struct vhive_backend *be, const struct image *img,
                           void (*fn)(struct vhive_backend *, const char *, void *), void *opaque)
{
        const char *drive = be->devices[img->drive];
        bool any = false;

        for (char **p = be->parts; *p; p++)
                if (strcmp(*p, drive) != 0 && on_drive(*p, drive)) {
                        any = true;
                        fn(be, *p, opaque);
                }
        if (!any)
                fn(be, drive, opaque);
}

struct text {
        char *s;
        size_t len, size;
        bool bad; /* out of memory */
};

static void append(struct text *t, const char *piece)
{
        size_t n = strlen(piece);

        if (t->bad || t->len + n + 1 > t->size) {
                size_t size = (t->len + n + 1) * 2;
                char *s = t->bad ? NULL : realloc(t->s, size);

                if (!s) {
                        t->bad = true;
                        return;
                }
                t->s = s;
                t->size = size;
        }
        memcpy(t->s + t->len, piece, n + 1);
        t->len += n;
}

/* The name of libguestfs' dev (/dev/sdb1) a shell in the appliance can
 * use: the kernel names its disks in the order they answer, not the order
 * they were added (seen here: the second image was the kernel's sda, the
 * appliance's own disk sdb), and only the daemon's own calls translate
 * /dev/sdX.  udev names each disk by the serial libguestfs gives it, hdN
 * for the Nth drive added, and a partition with -partN after it.  false
 * when dev is none of the drives. */
static bool stable_name(const struct vhive_backend *be, const char *dev, char *out, size_t size)
{
        for (size_t k = 0; be->devices[k]; k++) {
                const char *part = dev + strlen(be->devices[k]);

                if (!on_drive(dev, be->devices[k]))
                        continue;
                snprintf(out, size, "/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_hd%zu%s%s", k,
                         *part ? "-part" : "", part);
                return true;
        }
        return false;
}

static void append_device(struct vhive_backend *be, const char *dev, void *opaque)
{
        struct text *t = opaque;
        char name[128];

        if (!stable_name(be, dev, name, sizeof(name)))
                return; /* not in the probe: add_ntfs asks guestfs_blkid */
        append(t, " ");
        append(t, name);
}

/* One blkid -p of every candidate device of every image, in one round
 * trip at the first find_root, kept for the others (issue 17: a blkid per
 * device, forked by the appliance's daemon, took 0.3-0.9 s under TCG, where
 * each more device in one blkid costs about 0.06 s).  The same probe as
 * guestfs_blkid's (-p: the superblocks themselves, an ambiguous device
 * refused), of each device by its stable name.  blkid stops at the first
 * device it cannot probe; that one and those after it are absent from the
 * text, and add_ntfs asks guestfs_blkid for each of them, as before. */
static void probe_all(struct vhive_backend *be)
{
        struct text t = { .s = NULL };
        char *args[2] = { NULL, NULL };

        be->probe_done = true;
        append(&t, "exec 2>/dev/null; blkid -c /dev/null -p -o export");
        for (size_t i = 0; i < be->n; i++)
                if (be->imgs[i].status == 0 && be->imgs[i].drive >= 0)
                        each_candidate(be, &be->imgs[i], append_device, &t);
        append(&t, "; exit 0");
        if (!t.bad) {
                args[0] = t.s;
                be->probe = guestfs_debug(be->g, "sh", args);
        }
        free(t.s);
}

/* The value of key in dev's entry of the batched probe: "" when the entry
 * has none; false when dev has no entry. */
static bool probed(const char *probe, const char *dev, const char *key, char *val, size_t size)
{
        size_t dlen = strlen(dev), klen = strlen(key);
        const char *e = probe;

        *val = '\0';
        while (e && (strncmp(e, "DEVNAME=", 8) != 0 || strncmp(e + 8, dev, dlen) != 0 ||
                     e[8 + dlen] != '\n')) {
                e = strstr(e, "\nDEVNAME=");
                e = e ? e + 1 : NULL;
        }
        if (!e)
                return false;
        for (const char *l = e; *l && *l != '\n'; l = strchr(l, '\n') + 1) {
                size_t len = strcspn(l, "\n");

                if (strncmp(l, key, klen) == 0 && l[klen] == '=')
                        snprintf(val, size, "%.*s", (int)(len - klen - 1), l + klen + 1);
                if (!l[len])
                        break;
        }
        return true;
}

/* dev holds NTFS: asked of every candidate before any mount.  blkid -p
 * gives the filesystem (TYPE) and the partition table's kind
 * (PART_ENTRY_SCHEME): from the batched probe, else one guestfs_blkid
 * (where vfs_type and a blkid of the drive took two calls of 0.3-1 s each
 * under TCG); vfs_type when that fails. */
static void add_ntfs(struct vhive_backend *be, const char *dev, void *opaque)
{
        struct candidates *c = opaque;
        char **kv = NULL;
        char name[128], type_buf[32], scheme_buf[sizeof(c->scheme[0])];
        const char *type = NULL, *scheme = "";
        _cleanup_free_ char *fallback = NULL;
        size_t k = c->ntfs;

        if (be->probe && stable_name(be, dev, name, sizeof(name)) &&
            probed(be->probe, name, "TYPE", type_buf, sizeof(type_buf)) &&
            probed(be->probe, name, "PART_ENTRY_SCHEME", scheme_buf, sizeof(scheme_buf))) {
                type = type_buf;
                scheme = scheme_buf;
        } else {
                kv = guestfs_blkid(be->g, dev);
                for (char **p = kv; p && p[0] && p[1]; p += 2)
                        if (strcmp(p[0], "TYPE") == 0)
                                type = p[1];
                        else if (strcmp(p[0], "PART_ENTRY_SCHEME") == 0)
                                scheme = p[1];
                if (!kv)
                        type = fallback = guestfs_vfs_type(be->g, dev);
        }
        if (type && strcmp(type, "ntfs") == 0) {
                if (k < ARRAY_SIZE(c->ntfs_dev)) {
                        snprintf(c->ntfs_dev[k], sizeof(c->ntfs_dev[0]), "%s", dev);
                        snprintf(c->scheme[k], sizeof(c->scheme[0]), "%s", scheme);
                }
                c->ntfs++;
        }
        ap_free_strings(kv);
}

/* The NTFS filesystems among the image's candidate devices. */
static void list_ntfs(struct vhive_backend *be, struct image *img, struct candidates *c)
{
        if (!be->probe_done)
                probe_all(be);
        each_candidate(be, img, add_ntfs, c);
}

static void found_on(struct candidates *c, const char *dev)
{
        size_t len = strlen(c->list), dlen = strnlen(dev, sizeof(c->dev[0]) - 1);

        memmove(c->dev[c->n], dev, dlen); /* dev: one of c->ntfs_dev */
        c->dev[c->n][dlen] = '\0';
        snprintf(c->list + len, sizeof(c->list) - len, "%s%s", c->n ? ", " : "", c->dev[c->n]);
        c->n++;
}

/* Which of the first n NTFS filesystems hold Windows, each mounted
 * read-only in turn. */
static void scan_roots(struct vhive_backend *be, struct image *img, struct candidates *c, size_t n)
{
        for (size_t k = 0; k < n && k < ARRAY_SIZE(c->ntfs_dev); k++)
                if (probe_windows(be, img, c->ntfs_dev[k], c->config_dir[c->n],
                                  sizeof(c->config_dir[0])))
                        found_on(c, c->ntfs_dev[k]);
}

/* The last candidate probed mounted for writing, as mount_root mounts it:
 * true when it holds the only Windows found and stays mounted writable.
 * Otherwise unmounted, and what it holds is recorded as a read-only probe
 * would have (one that cannot mount for writing is probed read-only). */
static bool probe_last(struct vhive_backend *be, struct image *img, struct candidates *c,
                       const char *dev)
{
        struct guestfs_statvfs *st;
        bool ro, found;

        if (guestfs_mount_options(be->g, "noatime", dev, img->mnt) < 0) {
                if (probe_windows(be, img, dev, c->config_dir[c->n], sizeof(c->config_dir[0])))
                        found_on(c, dev);
                return false;
        }
        st = guestfs_statvfs(be->g, img->mnt);
        ro = !st || (st->flag & 1); /* ST_RDONLY: ntfs-3g fell back (hibernated) */
        if (st)
                guestfs_free_statvfs(st);
        found = find_system(be, img, c->config_dir[c->n], sizeof(c->config_dir[0]));
        if (found)
                found_on(c, dev);
        if (found && !ro && c->n == 1)
                return true;
        guestfs_umount(be->g, img->mnt);
        return false;
}

/* Finds the Windows roots among the NTFS filesystems.  For a writable
 * image without --root, the last one (Windows after "System Reserved", or
 * alone) is probed mounted for writing and stays mounted when it holds the
 * only Windows: that saves a read-only mount and its unmount, about 1 s
 * per image under TCG.  True when so mounted; else mount_root does it. */
static bool find_roots(struct vhive_backend *be, struct image *img, const char *root_device,
                       struct candidates *c)
{
        size_t n = c->ntfs;

        if (img->readonly || root_device || n == 0 || n > ARRAY_SIZE(c->ntfs_dev)) {
                scan_roots(be, img, c, n);
                return false;
        }
        scan_roots(be, img, c, n - 1);
        return probe_last(be, img, c, c->ntfs_dev[n - 1]);
}

static int pick_root(const struct candidates *c, const char *root_device, size_t *pick,
                     struct vhive_error *err)
{
        if (c->n == 0 && c->ntfs == 0)
                return vhive_fail(err, ENOENT,
                                  "no Windows found: the image holds no NTFS "
                                  "filesystem");
        if (c->n == 0)
                return vhive_fail(err, ENOENT,
                                  "no Windows found: none of its %zu NTFS "
                                  "filesystem(s) holds Windows/System32/config/SYSTEM",
                                  c->ntfs);
        if (!root_device) {
                if (c->n > 1)
                        return vhive_fail(err, EINVAL,
                                          "several Windows roots (%s): pick "
                                          "one with --root DEVICE (or its partition "
                                          "number)",
                                          c->list);
                *pick = 0;
                return 0;
        }
        for (size_t k = 0; k < c->n; k++)
                if (strcmp(c->dev[k], root_device) == 0 ||
                    (partnum_of(root_device) > 0 &&
                     partnum_of(root_device) == partnum_of(c->dev[k]))) {
                        *pick = k;
                        return 0;
                }
        return vhive_fail(err, ENOENT,
                          "--root %s is not a Windows root; Windows was "
                          "found on %s",
                          root_device, c->list);
}

static bool looks_hibernated(const char *why)
{
        return why && (strstr(why, "ibernat") || strstr(why, "Windows cache") ||
                       strstr(why, "unclean") || strstr(why, "Fast Restart"));
}

#define HIBERNATED                                                                                 \
        "Windows was hibernated or shut down with Fast Startup; boot it and "                      \
        "shut down fully, or disable Fast Startup; vhive will not delete hiberfil.sys"

/* ntfs-3g falls back to a read-only mount, without failing, when Windows
 * was hibernated or its log is unclean. */
static int check_writable(struct vhive_backend *be, struct image *img, const char *dev,
                          struct vhive_error *err)
{
        struct guestfs_statvfs *st = guestfs_statvfs(be->g, img->mnt);
        bool ro = st && (st->flag & 1); /* ST_RDONLY */

        if (!st)
                return ap_gfail(be, err, "cannot check the mount of %s", dev);
        guestfs_free_statvfs(st);
        if (!ro)
                return 0;
        guestfs_umount(be->g, img->mnt);
        return vhive_fail(err, EROFS, "the Windows volume %s mounts only read-only: " HIBERNATED,
                          dev);
}

static int mount_root(struct vhive_backend *be, struct image *img, const char *dev,
                      struct vhive_error *err)
{
        const char *why;

        if (img->readonly) {
                if (guestfs_mount_ro(be->g, dev, img->mnt) < 0)
                        return ap_gfail(be, err, "cannot mount %s", dev);
                return 0;
        }
        /* noatime: reading SYSTEM must not change the image.  A run that
         * writes nothing (already clean, refused, interrupted) leaves it
         * byte for byte as it was.  Not "sync" (each write flushed to the
         * image file at once): extending a log is several unjournaled
         * ntfs-3g metadata writes, and a kill between two of them then
         * reaches the image (tried: a torn MFT record); without it they
         * stay in the appliance until the flush, and a kill drops them. */
        if (guestfs_mount_options(be->g, "noatime", dev, img->mnt) == 0)
                return check_writable(be, img, dev, err);
        why = guestfs_last_error(be->g);
        if (looks_hibernated(why))
                return vhive_fail(err, EROFS,
                                  "the Windows volume %s cannot be written: " HIBERNATED " (%s)",
                                  dev, why);
        return ap_gfail(be, err, "cannot mount %s read-write", dev);
}

int ap_unmount_root(struct vhive_backend *be, struct image *img, struct vhive_error *err)
{
        if (guestfs_umount(be->g, img->mnt) < 0)
                return ap_gfail(be, err, "cannot unmount %s", img->root.device);
        img->found = false;
        return 0;
}

int ap_mount_root_again(struct vhive_backend *be, struct image *img, struct vhive_error *err)
{
        int r = mount_root(be, img, img->root.device, err);

        img->found = r == 0;
        img->wrote_raw = false;
        return r;
}

static const char *scheme_of(const struct candidates *c, const char *dev)
{
        for (size_t k = 0; k < c->ntfs && k < ARRAY_SIZE(c->ntfs_dev); k++)
                if (strcmp(c->ntfs_dev[k], dev) == 0)
                        return c->scheme[k];
        return "";
}

/* scheme: "dos" or "gpt" from blkid (add_ntfs). */
static void describe_partition(struct vhive_backend *be, struct image *img, struct vhive_root *root,
                               const char *scheme)
{
        const char *drive = be->devices[img->drive];

        if (strcmp(root->device, drive) == 0) {
                snprintf(root->partition, sizeof(root->partition), "whole disk");
                return;
        }
        snprintf(root->partition, sizeof(root->partition), "%s partition %d",
                 strcmp(scheme, "gpt") == 0   ? "GPT"
                 : strcmp(scheme, "dos") == 0 ? "MBR"
                                              : "",
                 partnum_of(root->device));
        if (root->partition[0] == ' ')
                memmove(root->partition, root->partition + 1, strlen(root->partition));
}

bool ap_checked(const struct image *img, const char *path)
{
        for (size_t k = 0; k < img->n_checked; k++)
                if (strcmp(img->checked[k], path) == 0)
                        return true;
        return false;
}

void ap_remember(struct image *img, const char *path)
{
        if (img->n_checked < ARRAY_SIZE(img->checked) &&
            (img->checked[img->n_checked] = strdup(path)))
                img->n_checked++;
}

void ap_forget(struct image *img)
{
        for (size_t k = 0; k < img->n_checked; k++)
                free(img->checked[k]);
        img->n_checked = 0;
}

int ap_check_image(struct vhive_backend *be, size_t i, struct vhive_error *err)
{
        if (i >= be->n)
                return vhive_fail(err, EINVAL, "no image %zu", i);
        if (be->imgs[i].status < 0) {
                *err = be->imgs[i].err;
                return be->imgs[i].status;
        }
        return 0;
}

/* The job is done with image i: its caches go, and no call reaches its
 * volume any more (each needs found).  The volume stays mounted until
 * close unmounts every image's in one round trip (issue 17: an unmount
 * per image was 0.3-0.7 s under TCG, mostly the daemon's fork; 8 in one
 * umount take about as long as 2).  Nothing of it is lost: every step of
 * its commit already ended with an fsync of its file, what the unmount
 * writes is ntfs-3g's file times, and ntfs-3g marks no volume dirty while
 * mounted, so a kill before close leaves each image as a kill right after
 * its commit did.  No path of another image reaches it either: every read,
 * listing and write first resolves its path in the appliance and refuses
 * one outside its own mountpoint (appliance-files.c), after the lstat
 * checks refused every link (image-paths.c). */
int appliance_release(struct vhive_backend *be, size_t i, struct vhive_error *err)
{
        struct image *img = i < be->n ? &be->imgs[i] : NULL;

        (void)err;
        if (!img || !img->found)
                return 0;
        img->found = false;
        img->idle = true;
        free(img->ls_dir);
        ap_free_strings(img->ls_names);
        img->ls_dir = NULL;
        img->ls_names = NULL;
        ap_forget(img);
        return 0;
}

/* Whatever the caller did before, the job works on image i alone. */
static int release_others(struct vhive_backend *be, size_t i, struct vhive_error *err)
{
        for (size_t k = 0; k < be->n; k++)
                if (k != i && appliance_release(be, k, err) < 0)
                        return -err->errnum;
        return 0;
}

/* A second name of an image already worked on: still mounted (release),
 * and mounted afresh when its commit wrote clusters around ntfs-3g
 * (appliance-raw.c).  The mount's page cache still holds the hive as first
 * read (the raw writes change no file time, so FUSE keeps it): read there,
 * the second name worked on the old hive and wrote the change again. */
static int mount_again(struct vhive_backend *be, struct image *img, struct vhive_error *err)
{
        int r = 0;

        img->idle = false;
        if (img->wrote_raw) {
                if (guestfs_umount(be->g, img->mnt) < 0)
                        return ap_gfail(be, err, "cannot unmount %s", img->root.device);
                img->wrote_raw = false;
                r = mount_root(be, img, img->root.device, err);
        }
        img->found = r == 0;
        return r;
}

int appliance_find_root(struct vhive_backend *be, size_t i, const char *root_device,
                        struct vhive_root *root, struct vhive_error *err)
{
        struct image *img = &be->imgs[i];
        struct candidates c = { .n = 0 };
        size_t pick = 0;
        int r = ap_check_image(be, i, err);

        if (r == 0)
                r = release_others(be, i, err);
        if (r == 0 && img->idle)
                r = mount_again(be, img, err);
        if (r < 0 || img->found) {
                if (r == 0)
                        *root = img->root;
                return r;
        }
        if (!img->have_mountpoint) {
                if (guestfs_mkmountpoint(be->g, img->mnt) < 0)
                        return ap_gfail(be, err, "cannot create mountpoint %s", img->mnt);
                img->have_mountpoint = true;
        }
        list_ntfs(be, img, &c);
        if (!find_roots(be, img, root_device, &c)) {
                r = pick_root(&c, root_device, &pick, err);
                if (r == 0)
                        r = mount_root(be, img, c.dev[pick], err);
        }
        if (r < 0)
                return r;
        memset(&img->root, 0, sizeof(img->root));
        snprintf(img->root.device, sizeof(img->root.device), "%s", c.dev[pick]);
        snprintf(img->root.fs_type, sizeof(img->root.fs_type), "ntfs");
        snprintf(img->root.config_dir, sizeof(img->root.config_dir), "%s", c.config_dir[pick]);
        describe_partition(be, img, &img->root, scheme_of(&c, c.dev[pick]));
        img->found = true;
        *root = img->root;
        return 0;
}
