/* A file's clusters, written around ntfs-3g (issue 17).
 *
 * ntfs-3g writes a file's MFT record (its times) after every write it is
 * given, and the folder's index entry with it: a power cut that lands one
 * 512-byte sector of such a 1 KiB record and not the other leaves it torn
 * ("incomplete multi-sector transfer"), and the hive unreadable until
 * chkdsk.  The direct backend writes only the files' $DATA clusters; this
 * does the same inside the appliance: the file's MFT record, read from the
 * partition (its number is ntfs-3g's inode number, from the lstat that
 * opened the file), says where its clusters are (mft-record.c: three
 * reads, where an ntfsinfo in the appliance took 0.28-0.8 s under TCG),
 * and the commit's reads and writes go to those sectors through a device
 * node of the partition; the barrier is an fsync of that node (sync(1)
 * given the device), which sends that disk a FLUSH.  Nothing of the
 * file's MFT record or of its folder is written.  Before the first write,
 * appliance-files.c checks that the clusters hold what ntfs-3g reads of
 * the file's first and last blocks.
 *
 * Only a plain file qualifies: non-resident unnamed $DATA, every cluster
 * allocated (no hole), initialized to its end, the runs inside the
 * partition and covering the file, all in one record (no attribute list:
 * a file in hundreds of fragments).  Anything else (an empty log, whose
 * data is resident) is written through ntfs-3g as before.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance-internal.h"
#include "macro.h"
#include "mft-record.h"

#define RAW_CHUNK (1u << 20)

/* The runs as extents of the partition, checked: contiguous from VCN 0,
 * covering size, inside the partition's part_size bytes. */
static int to_extents(const struct mft_data *d, uint64_t cs, uint64_t size, uint64_t part_size,
                      struct ap_extents *x)
{
        uint64_t vcn = 0;

        if (d->n == 0 || d->data_size != size || d->init_size != size)
                return -ENOTSUP;
        x->v = calloc(d->n, sizeof(*x->v));
        if (!x->v)
                return -ENOMEM;
        for (size_t k = 0; k < d->n; k++) {
                const struct mft_run *r = &d->runs[k];

                if (r->vcn != vcn || r->len == 0 || r->lcn > part_size / cs ||
                    r->len > part_size / cs - r->lcn)
                        return -ENOTSUP;
                x->v[x->n++] = (struct ap_extent){ .off = vcn * cs,
                                                   .dev_off = r->lcn * cs,
                                                   .len = r->len * cs };
                vcn += r->len;
        }
        return vcn * cs >= size ? 0 : -ENOTSUP;
}

/* The partition under img's mount: its device number and size, asked once
 * per image of the appliance's shell, in builtins only (each program run
 * costs 0.1 s and more under TCG). */
static int partition_of(struct vhive_backend *be, struct image *img)
{
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        char *args[2] = { NULL, NULL };

        if (img->part_sectors)
                return 0;
        if (asprintf(&cmd,
                     "while read -r src mp rest; do [ \"$mp\" = \"$root%s\" ] && break; "
                     "src=; done </proc/mounts; d=${src##*/}; [ -n \"$d\" ] && "
                     "read -r devno </sys/class/block/\"$d\"/dev && "
                     "read -r size </sys/class/block/\"$d\"/size && "
                     "echo \"devno=$devno sectors=$size\"",
                     img->mnt) < 0)
                return -ENOMEM;
        args[0] = cmd;
        out = guestfs_debug(be->g, "sh", args);
        if (!out ||
            sscanf(out, "devno=%u:%u sectors=%" SCNu64, &img->part_major, &img->part_minor,
                   &img->part_sectors) != 3 ||
            !img->part_major || !img->part_sectors || img->part_sectors > UINT64_MAX / 512) {
                img->part_sectors = 0;
                return -ENOTSUP;
        }
        return 0;
}

/* A block device node of the partition in the appliance's own root, out
 * of the guest's volumes: guestfs_pwrite/pread on it move the bytes
 * without the udev settle that guestfs_pwrite_device waits for after each
 * call (0.2 s under TCG), and no udev rule sees its close. */
static int make_node(struct vhive_backend *be, struct image *img, struct ap_extents *x)
{
        snprintf(x->node, sizeof(x->node), "/.vhive-blk-%u-%u", img->part_major, img->part_minor);
        if (!img->have_node)
                img->have_node = guestfs_mknod_b(be->g, 0600, (int)img->part_major,
                                                 (int)img->part_minor, x->node) == 0 ||
                                 guestfs_is_blockdev_opts(be->g, x->node, -1) > 0;
        return img->have_node ? 0 : -EIO;
}

/* len bytes of the partition at off, exactly. */
static int read_exact(struct vhive_backend *be, const struct ap_extents *x, uint64_t off,
                      size_t len, uint8_t *buf)
{
        size_t got = 0;
        _cleanup_free_ char *b = guestfs_pread(be->g, x->node, (int)len, (int64_t)off, &got);

        if (!b || got != len)
                return -EIO;
        memcpy(buf, b, len);
        return 0;
}

int ap_raw_partition(struct vhive_backend *be, struct image *img, struct ap_extents *x)
{
        int r = partition_of(be, img);

        *x = (struct ap_extents){ .v = NULL };
        if (r == 0)
                r = make_node(be, img, x);
        if (r == 0)
                x->size = img->part_sectors * 512;
        return r;
}

/* MFT record recno's unnamed $DATA, read from the partition: the boot
 * sector says where $MFT starts, $MFT's own record (0) where the others
 * are. */
static int file_data(struct vhive_backend *be, const struct ap_extents *x, uint64_t recno,
                     struct mft_geometry *g, struct mft_data *d)
{
        uint8_t boot[512];
        _cleanup_free_ uint8_t *rec = NULL;
        uint64_t off = 0;
        int r = read_exact(be, x, 0, sizeof(boot), boot);

        if (r == 0)
                r = mft_geometry(boot, sizeof(boot), g);
        if (r == 0 && !(rec = malloc(g->record_size)))
                r = -ENOMEM;
        if (r == 0)
                r = read_exact(be, x, g->mft_lcn * g->cluster, g->record_size, rec);
        if (r == 0)
                r = mft_fixup(rec, g->record_size);
        if (r == 0)
                r = mft_data(rec, g->record_size, 0, d); /* $MFT's: d for now */
        if (r == 0)
                r = mft_record_offset(g, d, recno, &off);
        if (r == 0)
                r = read_exact(be, x, off, g->record_size, rec);
        if (r == 0)
                r = mft_fixup(rec, g->record_size);
        if (r == 0)
                r = mft_data(rec, g->record_size, recno, d);
        return r;
}

int ap_raw_map(struct vhive_backend *be, struct image *img, uint64_t ino, uint64_t size,
               struct ap_extents *x)
{
        _cleanup_free_ struct mft_data *d = malloc(sizeof(*d));
        struct mft_geometry g;
        int r = d ? 0 : -ENOMEM;

        *x = (struct ap_extents){ .v = NULL };
        if (r == 0)
                r = partition_of(be, img);
        if (r == 0)
                r = make_node(be, img, x);
        if (r == 0)
                r = file_data(be, x, ino, &g, d);
        if (r == 0)
                r = to_extents(d, g.cluster, size, img->part_sectors * 512, x);
        if (r == 0)
                x->size = size;
        else
                ap_raw_free(x);
        return r;
}

void ap_raw_free(struct ap_extents *x)
{
        free(x->v);
        *x = (struct ap_extents){ .v = NULL };
}

/* One transfer of at most RAW_CHUNK within one extent, at file offset
 * off; *done what it moved. */
static int one_io(struct vhive_backend *be, const struct ap_extents *x, bool write, void *buf,
                  size_t len, uint64_t off, size_t *done)
{
        const struct ap_extent *e = NULL;
        size_t want;

        for (size_t k = 0; k < x->n && !e; k++)
                if (off >= x->v[k].off && off - x->v[k].off < x->v[k].len)
                        e = &x->v[k];
        if (!e)
                return -EINVAL;
        want = len;
        if (want > e->len - (off - e->off))
                want = (size_t)(e->len - (off - e->off));
        if (want > RAW_CHUNK)
                want = RAW_CHUNK;
        int64_t at = (int64_t)(e->dev_off + (off - e->off));
        if (write) {
                int n = guestfs_pwrite(be->g, x->node, buf, want, at);

                if (n <= 0)
                        return -EIO;
                *done = (size_t)n;
                return 0;
        }
        size_t got = 0;
        _cleanup_free_ char *data = guestfs_pread(be->g, x->node, (int)want, at, &got);

        if (!data || got == 0 || got > want)
                return -EIO;
        memcpy(buf, data, got);
        *done = got;
        return 0;
}

int ap_raw_io(struct vhive_backend *be, const struct ap_extents *x, bool write, void *buf,
              size_t len, uint64_t off)
{
        if (off > x->size || len > x->size - off)
                return -EINVAL;
        while (len > 0) {
                size_t done = 0;
                int r = one_io(be, x, write, buf, len, off, &done);

                if (r < 0)
                        return r;
                buf = (uint8_t *)buf + done;
                len -= done;
                off += done;
        }
        return 0;
}

/* The barrier: an fsync of the partition's block device in the
 * appliance, which writes its dirty pages and sends the disk a FLUSH. */
int ap_raw_flush(struct vhive_backend *be, const struct ap_extents *x)
{
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        char *args[2] = { NULL, NULL };

        if (asprintf(&cmd, "exec sync -- \"$root\"'%s'", x->node) < 0)
                return -ENOMEM;
        args[0] = cmd;
        out = guestfs_debug(be->g, "sh", args);
        return out ? 0 : -EIO;
}
