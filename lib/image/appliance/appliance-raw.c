/* A file's clusters, written around ntfs-3g (issue 17).
 *
 * ntfs-3g writes a file's MFT record (its times) after every write it is
 * given, and the folder's index entry with it: a power cut that lands one
 * 512-byte sector of such a 1 KiB record and not the other leaves it torn
 * ("incomplete multi-sector transfer"), and the hive unreadable until
 * chkdsk.  The direct backend writes only the files' $DATA clusters; this
 * does the same inside the appliance: ntfsinfo, run by the appliance on its
 * own mounted volume, says where the file's clusters are, and the commit's
 * reads and writes go to those sectors of the partition
 * (guestfs_pread_device/pwrite_device); its barrier is an fsync of the
 * partition (sync(1) given the device), which sends that disk a FLUSH.
 * Nothing of the file's MFT record or of its folder is written.
 *
 * Only a plain file qualifies: non-resident unnamed $DATA, every cluster
 * allocated (no hole), initialized to its end, the runs inside the
 * partition and covering the file.  Anything else (an empty log, whose
 * data is resident) is written through ntfs-3g as before.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance-internal.h"
#include "macro.h"

#define RAW_CHUNK (1u << 20)
#define MAX_RUNS 4096

struct run {
        uint64_t vcn, lcn, len;
};

struct parsed {
        uint64_t cluster, data_size, init_size;
        bool seen_data, resident, named;
        struct run runs[MAX_RUNS];
        size_t n;
        unsigned major, minor;
        uint64_t part_sectors;
};

static bool field(const char *line, const char *name, uint64_t *v)
{
        const char *p = strstr(line, name);

        if (!p)
                return false;
        p += strlen(name);
        while (*p == ' ' || *p == '\t')
                p++;
        return sscanf(p, "%" SCNu64, v) == 1;
}

/* One line of ntfsinfo's runlist: "\t\t\t0x0\t\t0x8070\t\t0x4". */
static int run_line(struct parsed *p, const char *line)
{
        uint64_t vcn, lcn, len;

        if (sscanf(line, " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64, &vcn, &lcn, &len) != 3)
                return 0;
        if (p->n >= MAX_RUNS)
                return -E2BIG;
        p->runs[p->n++] = (struct run){ vcn, lcn, len };
        return 1;
}

/* What the shell printed: "devno=8:17", "sectors=N", then ntfsinfo -F's
 * attributes.  Runs are kept from unnamed $DATA only. */
static int parse(struct parsed *p, char *out)
{
        bool in_data = false, in_runs = false;
        uint64_t v;

        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
                if (sscanf(line, "devno=%x:%x", &p->major, &p->minor) == 2 ||
                    sscanf(line, "sectors=%" SCNu64, &p->part_sectors) == 1)
                        continue;
                if (strstr(line, "Dumping attribute")) {
                        in_data = strstr(line, "$DATA") != NULL;
                        in_runs = false;
                        p->seen_data |= in_data;
                        continue;
                }
                if (!in_data)
                        continue;
                if (in_runs) {
                        int r = run_line(p, line);

                        if (r < 0)
                                return r;
                        if (r == 1)
                                continue;
                        if (strstr(line, "<HOLE>") || strstr(line, "HOLE"))
                                return -ENOTSUP;
                        in_runs = false;
                }
                if (field(line, "Name length:", &v) && v != 0)
                        p->named = true, in_data = false;
                else if (strstr(line, "Resident:") && strstr(line, "Yes"))
                        p->resident = true;
                else if (field(line, "Data size:", &v))
                        p->data_size = v;
                else if (field(line, "Initialized size:", &v))
                        p->init_size = v;
                else if (strstr(line, "Runlist:"))
                        in_runs = true;
        }
        return 0;
}

static int by_vcn(const void *a, const void *b)
{
        const struct run *x = a, *y = b;

        return x->vcn < y->vcn ? -1 : x->vcn > y->vcn;
}

/* The runs as extents of the partition, checked: contiguous from VCN 0,
 * covering size, inside the partition's part_size bytes. */
static int to_extents(struct parsed *p, uint64_t size, uint64_t part_size, struct ap_extents *x)
{
        uint64_t vcn = 0, cs = p->cluster;

        if (!p->seen_data || p->resident || p->n == 0 || cs < 512 || cs > (1u << 21) ||
            p->data_size != size || p->init_size != size)
                return -ENOTSUP;
        qsort(p->runs, p->n, sizeof(p->runs[0]), by_vcn);
        x->v = calloc(p->n, sizeof(*x->v));
        if (!x->v)
                return -ENOMEM;
        for (size_t k = 0; k < p->n; k++) {
                const struct run *r = &p->runs[k];

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

/* path in single quotes for sh (each quote closed, escaped, reopened). */
static char *quoted(const char *path)
{
        size_t n = 3;
        char *q, *p;

        for (const char *c = path; *c; c++)
                n += *c == '\'' ? 4 : 1;
        q = p = malloc(n);
        if (!q)
                return NULL;
        *p++ = '\'';
        for (const char *c = path; *c; c++)
                p = *c == '\'' ? stpcpy(p, "'\\''") : (*p = *c, p + 1);
        strcpy(p, "'");
        return q;
}

/* sh text: the mounted volume's device, its cluster size, then the file's
 * attributes. */
static char *map_command(const char *mnt, const char *path)
{
        _cleanup_free_ char *q = quoted(path);
        char *cmd;

        if (!q || asprintf(&cmd,
                           "d=$(findmnt -no SOURCE \"$root%s\") && "
                           "stat -Lc 'devno=%%t:%%T' \"$d\" && "
                           "echo \"sectors=$(cat /sys/class/block/${d##*/}/size)\" && "
                           "exec ntfsinfo -f -v -F %s \"$d\"",
                           mnt, q) < 0)
                return NULL;
        return cmd;
}

/* A block device node of the partition in the appliance's own root, out
 * of the guest's volumes: guestfs_pwrite/pread on it move the bytes
 * without the udev settle that guestfs_pwrite_device waits for after each
 * call (0.2 s under TCG), and no udev rule sees its close. */
static int make_node(struct vhive_backend *be, unsigned major, unsigned minor, struct ap_extents *x)
{
        snprintf(x->node, sizeof(x->node), "/.vhive-blk-%u-%u", major, minor);
        if (guestfs_mknod_b(be->g, 0600, (int)major, (int)minor, x->node) == 0)
                return 0;
        return guestfs_is_blockdev_opts(be->g, x->node, -1) > 0 ? 0 : -EIO;
}

/* The cluster size from the volume's boot sector: bytes per sector
 * (offset 11) times sectors per cluster (13; from 0x80 on, a power of two:
 * 2^(256 - n)). */
static int cluster_size(struct vhive_backend *be, const struct ap_extents *x, uint64_t *cs)
{
        size_t got = 0;
        _cleanup_free_ char *b = guestfs_pread(be->g, x->node, 512, 0, &got);
        const uint8_t *u = (const uint8_t *)b;
        unsigned bps, spc;

        if (!b || got != 512 || memcmp(u + 3, "NTFS    ", 8) != 0)
                return -ENOTSUP;
        bps = u[11] | u[12] << 8;
        spc = u[13] <= 0x80 ? u[13] : 1u << (256 - u[13]);
        if (bps < 256 || bps > 4096 || (bps & (bps - 1)) || spc == 0 || spc > 4096)
                return -ENOTSUP;
        *cs = (uint64_t)bps * spc;
        return 0;
}

int ap_raw_map(struct vhive_backend *be, const struct image *img, const char *guest_path,
               uint64_t size, struct ap_extents *x)
{
        _cleanup_free_ char *cmd = map_command(img->mnt, guest_path), *out = NULL;
        _cleanup_free_ struct parsed *p = calloc(1, sizeof(*p));
        char *args[2] = { cmd, NULL };
        int r;

        *x = (struct ap_extents){ .v = NULL };
        if (!cmd || !p)
                return -ENOMEM;
        out = guestfs_debug(be->g, "sh", args);
        if (!out)
                return -EIO;
        r = parse(p, out);
        if (r == 0 && (p->part_sectors == 0 || p->part_sectors > UINT64_MAX / 512 || !p->major))
                r = -ENOTSUP;
        if (r == 0)
                r = make_node(be, p->major, p->minor, x);
        if (r == 0)
                r = cluster_size(be, x, &p->cluster);
        if (r == 0)
                r = to_extents(p, size, p->part_sectors * 512, x);
        if (r == 0) {
                x->size = size;
        } else {
                ap_raw_free(x);
        }
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
