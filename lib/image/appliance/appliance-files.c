/* Files of the mounted Windows volumes in the appliance: listing, copying
 * one out, and the struct vhive_file the logged commit writes through.
 *
 * The commit writes a plain file in its clusters, around ntfs-3g
 * (appliance-raw.c), and flushes with an fsync of the partition; a file
 * that is not plain (an empty log, its data resident) is written with
 * guestfs_pwrite on the mounted file, ntfs-3g writing its data into the
 * file's clusters (and its times into its MFT record), and flushed with an
 * fsync of the file itself (file_fsync): ntfs-3g answers it by fsyncing
 * its own block device.  Either way that disk's dirty pages are written
 * and it gets a FLUSH, on which qemu fdatasyncs that image file alone.
 * An extension (a log that grows) always goes through ntfs-3g: it
 * allocates.
 * guestfs_sync, the other barrier libguestfs offers, is sync(2) then an
 * fsync of every attached disk: a round trip over all the images of the
 * run for each step of each commit (0.65-1.23 s with 8 images), and it
 * drops the fsyncs' errors.  The job works on one image at a time, so the
 * writes a barrier must cover all went to that one device (the volumes of
 * the images done before stay mounted, idle, until close).
 * guestfs_pwrite/pread move at most a few MiB per message: the calls are split.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance-internal.h"
#include "commit.h"
#include "macro.h"

/* Well under the protocol's 4 MiB message. */
#define IO_CHUNK (1u << 20)

static int mounted_image(struct vhive_backend *be, size_t i, struct vhive_error *err)
{
        int r = ap_check_image(be, i, err);

        if (r == 0 && !be->imgs[i].found)
                r = vhive_fail(err, EINVAL, "no Windows root mounted");
        return r;
}

/* The appliance path of guest_path, once guest_path is known to stay
 * inside the image's own volume: its real path (every link resolved, as
 * the appliance's kernel would follow them) lies under the mountpoint.
 * The lstat checks (image-paths.c) refuse links first; this is the second
 * line, for any read, listing or write. */
static int inside(struct vhive_backend *be, struct image *img, const char *guest_path, char **out,
                  struct vhive_error *err)
{
        _cleanup_free_ char *g = ap_guest(img, guest_path), *real = NULL;
        size_t len = strlen(img->mnt);

        *out = NULL;
        if (!g)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (ap_checked(img, g)) { /* already resolved while this volume is mounted */
                *out = g;
                g = NULL;
                return 0;
        }
        real = guestfs_realpath(be->g, g);
        if (!real)
                return ap_gfail(be, err, "cannot resolve %s", guest_path);
        if (strncmp(real, img->mnt, len) != 0 || (real[len] != '/' && real[len] != '\0'))
                return vhive_fail(err, ELOOP,
                                  "%s leads out of the image's Windows volume (to %s): refused",
                                  guest_path, real);
        ap_remember(img, g);
        *out = g;
        g = NULL;
        return 0;
}

/* The NTFS attributes, which ntfs-3g shows as an extended attribute
 * (big-endian in system.ntfs_attrib_be); 0 when it shows none.  0x400 is a
 * reparse point it does not show as a link (an unknown tag, a deduplicated
 * or cloud file...); 0x200, 0x800, 0x4000: sparse, compressed, encrypted. */
static uint32_t ntfs_attrib(struct vhive_backend *be, const char *g)
{
        size_t len = 0;
        _cleanup_free_ char *v = guestfs_lgetxattr(be->g, g, "system.ntfs_attrib_be", &len);
        const uint8_t *b = (const uint8_t *)v;

        if (!v || len != 4)
                return 0;
        return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ntfs-3g's st_nlink is the MFT record's link count, in which an 8.3 DOS
 * name beside the long name is one more.  system.ntfs_dos_name answers
 * only when the file has a DOS name in its folder and one other name
 * (EMLINK when more): then the file has one name. */
static uint32_t names(struct vhive_backend *be, const char *g, uint32_t nlink)
{
        size_t len = 0;
        _cleanup_free_ char *dos = NULL;

        if (nlink <= 1)
                return nlink;
        dos = guestfs_lgetxattr(be->g, g, "system.ntfs_dos_name", &len);
        return dos ? 1 : nlink;
}

static void node_of(struct vhive_backend *be, const char *g, const struct guestfs_statns *st,
                    struct vhive_node *node)
{
        bool file = S_ISREG(st->st_mode), dir = S_ISDIR(st->st_mode);

        *node = (struct vhive_node){ .kind = VHIVE_NODE_OTHER,
                                     .size = (uint64_t)st->st_size,
                                     .ino = (uint64_t)st->st_ino,
                                     .nlink = names(be, g, (uint32_t)st->st_nlink) };
        if (S_ISLNK(st->st_mode)) {
                node->kind = VHIVE_NODE_LINK;
                return;
        }
        if (!file && !dir)
                return;
        node->attrs = ntfs_attrib(be, g);
        /* ntfs-3g counts a sparse or compressed file's blocks from the
         * clusters it holds: fewer than its size needs means holes or
         * compression, whatever the standard information says. */
        if (file && (uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size)
                node->attrs |= VHIVE_NTFS_SPARSE;
        node->kind = node->attrs & VHIVE_NTFS_REPARSE ? VHIVE_NODE_LINK
                     : dir                            ? VHIVE_NODE_DIR
                                                      : VHIVE_NODE_FILE;
}

int appliance_lstat(struct vhive_backend *be, size_t i, const char *guest_path,
                    struct vhive_node *node, struct vhive_error *err)
{
        _cleanup_free_ char *g = NULL;
        struct guestfs_statns *st;
        int r = mounted_image(be, i, err);

        if (r < 0)
                return r;
        g = ap_guest(&be->imgs[i], guest_path);
        if (!g)
                return vhive_fail(err, ENOMEM, "out of memory");
        st = guestfs_lstatns(be->g, g);
        if (!st)
                return ap_gfail(be, err, "cannot look at %s", guest_path);
        node_of(be, g, st, node);
        guestfs_free_statns(st);
        return 0;
}

/* The names in dir, listed once for all the lookups in it. */
static char **list_dir(struct vhive_backend *be, struct image *img, const char *dir,
                       struct vhive_error *err)
{
        _cleanup_free_ char *gdir = NULL;

        if (img->ls_dir && strcmp(img->ls_dir, dir) == 0)
                return img->ls_names;
        free(img->ls_dir);
        ap_free_strings(img->ls_names);
        img->ls_names = NULL;
        img->ls_dir = strdup(dir);
        if (!img->ls_dir) {
                vhive_fail(err, ENOMEM, "out of memory");
                return NULL;
        }
        if (inside(be, img, dir, &gdir, err) < 0) {
                free(img->ls_dir);
                img->ls_dir = NULL;
                return NULL;
        }
        img->ls_names = guestfs_ls(be->g, gdir);
        if (!img->ls_names) {
                ap_gfail(be, err, "cannot list %s", dir);
                free(img->ls_dir);
                img->ls_dir = NULL;
        }
        return img->ls_names;
}

int appliance_lookup(struct vhive_backend *be, size_t i, const char *dir, const char *name,
                     char **real, struct vhive_error *err)
{
        char **names;
        int r = mounted_image(be, i, err);

        *real = NULL;
        if (r < 0)
                return r;
        names = list_dir(be, &be->imgs[i], dir, err);
        if (!names)
                return -err->errnum;
        for (char **p = names; *p; p++)
                if (strcasecmp(*p, name) == 0) {
                        *real = strdup(*p);
                        return *real ? 0 : vhive_fail(err, ENOMEM, "out of memory");
                }
        return 0;
}

/* The file g copied into fd with guestfs_pread, 1 MiB a call, until a
 * read returns nothing.  Not guestfs_download: its chunked transfer costs
 * 0.3-1.1 s for a 16 KiB hive under TCG (an 8 KiB SYSTEM.LOG1 as much),
 * where a pread round trip is 5 ms; four files per image. */
static int copy_out(struct vhive_backend *be, const char *g, const char *name, int fd,
                    struct vhive_error *err)
{
        for (int64_t off = 0;;) {
                size_t got = 0;
                _cleanup_free_ char *data = guestfs_pread(be->g, g, IO_CHUNK, off, &got);

                if (!data)
                        return ap_gfail(be, err, "cannot download %s", name);
                if (got == 0)
                        return 0;
                for (size_t done = 0; done < got;) {
                        ssize_t n = write(fd, data + done, got - done);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return vhive_fail(err, errno, "cannot copy %s: %m", name);
                        done += (size_t)n;
                }
                off += (int64_t)got;
                if (off > (int64_t)VHIVE_IMAGE_HIVE_FILE_MAX)
                        return vhive_fail(err, EFBIG,
                                          "%s grew past %llu bytes while read: "
                                          "refused",
                                          name, (unsigned long long)VHIVE_IMAGE_HIVE_FILE_MAX);
        }
}

int appliance_download(struct vhive_backend *be, size_t i, const char *guest_path,
                       const char *host_path, struct vhive_error *err)
{
        _cleanup_free_ char *g = NULL;
        int fd, r = mounted_image(be, i, err);

        if (r < 0)
                return r;
        r = inside(be, &be->imgs[i], guest_path, &g, err);
        if (r < 0)
                return r;
        fd = open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return vhive_fail(err, errno, "cannot create %s: %m", host_path);
        r = copy_out(be, g, guest_path, fd, err);
        if (close(fd) < 0 && r == 0)
                r = vhive_fail(err, errno, "cannot write %s: %m", host_path);
        return r;
}

/* ---- the commit's file interface ----------------------------------------- */

struct guest_file {
        struct vhive_file f;
        struct vhive_backend *be;
        struct image *img;
        bool writable;
        /* Its clusters, when the commit reads and writes them around
         * ntfs-3g (appliance-raw.c); raw.v NULL: through ntfs-3g.  Found
         * at the first write (a log never written is never looked up);
         * reads go through ntfs-3g until then, and to the clusters after
         * (ntfs-3g's page cache of the file would not show the writes). */
        struct ap_extents raw;
        bool raw_tried;
        uint64_t ino; /* its MFT record number (lstat at the open) */
        char *path;   /* in the appliance: /imgN/Windows/... */
        char name[];
};

static struct guest_file *gf(struct vhive_file *f)
{
        return f->priv;
}

static int gf_size(struct vhive_file *f, uint64_t *size, struct vhive_error *err)
{
        struct guest_file *g = gf(f);
        int64_t n = guestfs_filesize(g->be->g, g->path);

        if (n < 0)
                return ap_gfail(g->be, err, "cannot read the size of %s", g->name);
        *size = (uint64_t)n;
        return 0;
}

static int gf_pread(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                    struct vhive_error *err)
{
        struct guest_file *g = gf(f);

        if (g->raw.v) {
                int r = ap_raw_io(g->be, &g->raw, false, buf, len, off);

                return r < 0 ? vhive_fail(err, -r, "cannot read %s in its partition: %s", g->name,
                                          strerror(-r))
                             : 0;
        }
        while (len > 0) {
                size_t got = 0;
                char *data = guestfs_pread(g->be->g, g->path, len < IO_CHUNK ? len : IO_CHUNK,
                                           (int64_t)off, &got);

                if (!data)
                        return ap_gfail(g->be, err, "cannot read %s", g->name);
                if (got == 0 || got > len) {
                        free(data);
                        return vhive_fail(err, EIO,
                                          "cannot read %s: %zu bytes at %llu lie "
                                          "past its end",
                                          g->name, len, (unsigned long long)off);
                }
                memcpy(buf, data, got);
                free(data);
                buf = (uint8_t *)buf + got;
                len -= got;
                off += got;
        }
        return 0;
}

/* Writes anywhere, also past the end (extend uses that). */
static int put(struct guest_file *g, const void *buf, size_t len, uint64_t off,
               struct vhive_error *err)
{
        if (!g->writable)
                return vhive_fail(err, EROFS, "%s was opened read-only", g->name);
        vhive_watchdog_writing(&g->be->watchdog);
        while (len > 0) {
                int n = guestfs_pwrite(g->be->g, g->path, buf, len < IO_CHUNK ? len : IO_CHUNK,
                                       (int64_t)off);

                if (n < 0)
                        return ap_gfail(g->be, err, "cannot write %s", g->name);
                if (n == 0)
                        return vhive_fail(err, EIO, "cannot write %s: nothing written at %llu",
                                          g->name, (unsigned long long)off);
                buf = (const uint8_t *)buf + n;
                len -= n;
                off += n;
        }
        return 0;
}

static void map_raw(struct guest_file *g);

#define MAP_CHECK 4096u

/* len bytes at off as ntfs-3g reads them and as the clusters found hold
 * them: 1 when they agree, 0 when not, -errno when either cannot be read. */
static int same_through_both(struct guest_file *g, uint64_t off, size_t len, uint8_t *raw,
                             struct vhive_error *err)
{
        size_t got = 0;
        _cleanup_free_ char *seen = guestfs_pread(g->be->g, g->path, (int)len, (int64_t)off, &got);
        int r;

        if (!seen)
                return ap_gfail(g->be, err, "cannot read %s", g->name);
        r = ap_raw_io(g->be, &g->raw, false, raw, len, off);
        if (r < 0)
                return vhive_fail(err, -r, "cannot read %s in its partition: %s", g->name,
                                  strerror(-r));
        return got == len && memcmp(seen, raw, len) == 0;
}

/* The file's first and last blocks as ntfs-3g reads them and as its
 * clusters, just found, hold them must agree before anything is written
 * there: a run list misread, or a mount whose cache no longer shows the
 * disk (mount_again in appliance-root.c), would put the change's pages
 * over the wrong bytes. */
static int check_mapping(struct guest_file *g, uint64_t size, struct vhive_error *err)
{
        size_t len = size < MAP_CHECK ? (size_t)size : MAP_CHECK;
        _cleanup_free_ uint8_t *raw = malloc(MAP_CHECK);
        int r;

        if (!raw)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (len == 0)
                return 0;
        r = same_through_both(g, 0, len, raw, err);
        if (r == 1 && size > len)
                r = same_through_both(g, size - len, len, raw, err);
        if (r == 0)
                return vhive_fail(err, ESTALE,
                                  "%s: its clusters in the partition do not hold what ntfs-3g "
                                  "reads of it (a stale cache, or its run list misread); "
                                  "nothing was written to it",
                                  g->name);
        return r < 0 ? r : 0;
}

static int gf_pwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                     struct vhive_error *err)
{
        struct guest_file *g = gf(f);
        uint64_t size = 0;
        int r = gf_size(f, &size, err);

        if (r == 0 && (off > size || len > size - off))
                r = vhive_fail(err, EINVAL,
                               "%zu bytes at %llu lie past the end of %s (%llu "
                               "bytes)",
                               len, (unsigned long long)off, g->name, (unsigned long long)size);
        if (r == 0 && !g->raw_tried) {
                map_raw(g);
                if (g->raw.v)
                        r = check_mapping(g, size, err);
        }
        if (r < 0 || !g->raw.v)
                return r < 0 ? r : put(g, buf, len, off, err);
        vhive_watchdog_writing(&g->be->watchdog);
        g->img->wrote_raw = true;
        r = ap_raw_io(g->be, &g->raw, true, (void *)buf, len, off);
        return r < 0 ? vhive_fail(err, -r, "cannot write %s in its partition: %s", g->name,
                                  strerror(-r))
                     : 0;
}

char *ap_sh_quote(const char *s)
{
        size_t n = 3;
        char *q, *p;

        for (const char *c = s; *c; c++)
                n += *c == '\'' ? 4 : 1;
        q = malloc(n);
        if (!q)
                return NULL;
        p = q;
        *p++ = '\'';
        for (const char *c = s; *c; c++)
                p = *c == '\'' ? stpcpy(p, "'\\''") : (*p = *c, p + 1);
        strcpy(p, "'");
        return q;
}

/* sh -c text that fsyncs path (under the appliance's sysroot, which
 * guestfs_debug's shell names $root): sync(1) given a file fsyncs it. */
static char *fsync_command(const char *path)
{
        _cleanup_free_ char *q = ap_sh_quote(path);
        char *cmd = NULL;

        if (!q || asprintf(&cmd, "exec sync -- \"$root\"%s", q) < 0)
                return NULL;
        return cmd;
}

/* The barrier between two steps of the commit: an fsync of this file (see
 * the top of the file), which reaches this image's disk only.  libguestfs
 * has no fsync call; guestfs_debug's "sh" runs one and reports its
 * failure (an I/O error of the flush fails the commit). */
static int file_fsync(struct guest_file *g, struct vhive_error *err)
{
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        char *args[2] = { NULL, NULL };

        cmd = fsync_command(g->path);
        if (!cmd)
                return vhive_fail(err, ENOMEM, "out of memory");
        args[0] = cmd;
        out = guestfs_debug(g->be->g, "sh", args);
        if (!out)
                return ap_gfail(g->be, err, "cannot flush %s", g->name);
        return 0;
}

static int gf_flush(struct vhive_file *f, struct vhive_error *err)
{
        struct guest_file *g = gf(f);
        int r;

        if (!g->writable)
                return 0;
        if (!g->raw.v)
                return file_fsync(g, err);
        r = ap_raw_flush(g->be, &g->raw);
        return r < 0 ? ap_gfail(g->be, err, "cannot flush the partition of %s", g->name) : 0;
}

/* Where the file's clusters are now (after an extension too); through
 * ntfs-3g when they cannot be used (appliance-raw.c says which). */
static void map_raw(struct guest_file *g)
{
        uint64_t size = 0;
        struct vhive_error e = { 0 };

        ap_raw_free(&g->raw);
        g->raw_tried = true;
        if (g->writable && gf_size(&g->f, &size, &e) == 0)
                (void)ap_raw_map(g->be, g->img, g->ino, size, &g->raw);
}

/* Grown by vhive's NTFS code in the appliance (appliance-grow.c), with no
 * record a power cut can tear.  Without its helper: zeros written past the
 * end through ntfs-3g, which allocates clusters for written data (truncate
 * would leave a sparse tail, and guestfs_fallocate64 recreates the file). */
static int gf_extend(struct vhive_file *f, uint64_t size, struct vhive_error *err)
{
        struct guest_file *g = gf(f);
        _cleanup_free_ uint8_t *zeros = NULL;
        uint64_t old = 0;
        int r = gf_size(f, &old, err);

        if (r < 0 || size <= old)
                return r;
        if (!g->writable)
                return vhive_fail(err, EROFS, "%s was opened read-only", g->name);
        r = ap_grow(g->be, g->img, g->path + strlen(g->img->mnt), size, err);
        if (r <= 0) {
                if (r == 0)
                        map_raw(g);
                return r;
        }
        r = 0;
        zeros = calloc(1, IO_CHUNK);
        if (!zeros)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (uint64_t pos = old; r == 0 && pos < size; pos += IO_CHUNK)
                r = put(g, zeros, size - pos < IO_CHUNK ? size - pos : IO_CHUNK, pos, err);
        /* An allocation: ntfs-3g writes the records, flushed by its own
         * fsync; the new clusters are then written around it. */
        if (r == 0)
                r = file_fsync(g, err);
        if (r == 0)
                map_raw(g);
        return r;
}

static const struct vhive_file_ops guest_file_ops = {
        .size = gf_size,
        .pread = gf_pread,
        .pwrite = gf_pwrite,
        .flush = gf_flush,
        .extend = gf_extend,
};

int appliance_open_file(struct vhive_backend *be, size_t i, const char *guest_path, bool writable,
                        struct vhive_file **out, struct vhive_error *err)
{
        struct guest_file *g;
        int r = mounted_image(be, i, err);

        *out = NULL;
        if (r < 0)
                return r;
        if (writable && be->imgs[i].readonly)
                return vhive_fail(err, EROFS, "the image was opened read-only");
        g = calloc(1, sizeof(*g) + strlen(guest_path) + 1);
        if (!g)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = inside(be, &be->imgs[i], guest_path, &g->path, err);
        if (r < 0) {
                free(g);
                return r;
        }
        strcpy(g->name, guest_path);
        g->be = be;
        g->img = &be->imgs[i];
        g->writable = writable;
        g->f = (struct vhive_file){ .ops = &guest_file_ops, .name = g->name, .priv = g };
        if (ap_lstat_type(be, g->path, &g->ino) != S_IFREG) {
                r = vhive_fail(err, ENOENT, "%s is not a regular file in the image", guest_path);
                appliance_close_file(be, &g->f);
                return r;
        }
        *out = &g->f;
        return 0;
}

void appliance_close_file(struct vhive_backend *be, struct vhive_file *f)
{
        (void)be;
        if (!f)
                return;
        ap_raw_free(&gf(f)->raw);
        free(gf(f)->path);
        free(gf(f));
}
