/* NTFS through libntfs-3g over an NBD byte range (see ntfs-device.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/types.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "image.h"
#include "macro.h"
#include "ntfs-internal.h"
#include "record-write.h"

/* ---- libntfs-3g's messages: kept, never printed ------------------------ */

/* libntfs-3g logs through one global handler; the last error it reported
 * in this thread is quoted in our messages.  (The direct backend works in
 * one thread: its batches are not split, image-job.c.) */
static _Thread_local char ntfs_last_msg[512];

__attribute__((format(printf, 6, 0))) static int capture_log(const char *function, const char *file,
                                                             int line, u32 level, void *data,
                                                             const char *format, va_list args)
{
        int saved = errno;
        size_t n;

        (void)function, (void)file, (void)line, (void)data;
        if (!(level & (NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL)))
                return 0;
        vsnprintf(ntfs_last_msg, sizeof(ntfs_last_msg), format, args);
        n = strlen(ntfs_last_msg);
        while (n > 0 && (ntfs_last_msg[n - 1] == '\n' || ntfs_last_msg[n - 1] == '.'))
                ntfs_last_msg[--n] = '\0';
        if (level & NTFS_LOG_LEVEL_PERROR)
                snprintf(ntfs_last_msg + n, sizeof(ntfs_last_msg) - n, ": %s", strerror(saved));
        errno = saved;
        return 0;
}

void nt_quiet(void)
{
        ntfs_log_set_handler(capture_log);
        ntfs_last_msg[0] = '\0';
}

/* ---- the device: a byte range of an NBD disk --------------------------- */

static struct range_dev *rdev(struct ntfs_device *dev)
{
        return dev->d_private;
}

static int dev_open(struct ntfs_device *dev, int flags)
{
        if (NDevOpen(dev)) {
                errno = EBUSY;
                return -1;
        }
        if ((flags & O_ACCMODE) != O_RDONLY && rdev(dev)->io.readonly) {
                errno = EROFS;
                return -1;
        }
        if ((flags & O_ACCMODE) == O_RDONLY)
                NDevSetReadOnly(dev);
        NDevSetOpen(dev);
        return 0;
}

/* Everything written so far reaches the image file; the device is clean
 * after it. */
static int flush_device(struct ntfs_device *dev, struct vhive_error *err)
{
        struct range_dev *r = rdev(dev);
        int ret = r->io.flush(r->io.ctx, err);

        if (ret == 0) {
                r->dirty = false;
                NDevClearDirty(dev);
        }
        return ret;
}

static int dev_sync(struct ntfs_device *dev)
{
        struct range_dev *r = rdev(dev);

        if (NDevReadOnly(dev) || !r->dirty)
                return 0;
        if (flush_device(dev, &r->io_err) < 0) {
                errno = r->io_err.errnum;
                return -1;
        }
        return 0;
}

/* The file's own flush: the unmount then need not flush again. */
int nt_flush(struct vhive_ntfs *v, struct vhive_error *err)
{
        return flush_device(v->vol->dev, err);
}

static int dev_close(struct ntfs_device *dev)
{
        if (!NDevOpen(dev)) {
                errno = EBADF;
                return -1;
        }
        if (dev_sync(dev) < 0)
                return -1;
        NDevClearOpen(dev);
        return 0;
}

static s64 dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
        struct range_dev *r = rdev(dev);
        s64 base = whence == SEEK_SET   ? 0
                   : whence == SEEK_CUR ? r->pos
                   : whence == SEEK_END ? (s64)r->size
                                        : -1;

        if (base < 0 || base + offset < 0) {
                errno = EINVAL;
                return -1;
        }
        r->pos = base + offset;
        return r->pos;
}

static s64 dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
        struct range_dev *r = rdev(dev);

        if (offset < 0 || count < 0) {
                errno = EINVAL;
                return -1;
        }
        if ((uint64_t)offset >= r->size)
                return 0;
        if ((uint64_t)count > r->size - offset)
                count = r->size - offset;
        if (r->io.pread(r->io.ctx, buf, count, r->base + offset, &r->io_err) < 0) {
                errno = r->io_err.errnum;
                return -1;
        }
        return count;
}

/* A record (MFT record, index block) is written, where its change fits one
 * sector, with the sequence number it has on the disk (record-write.h):
 * the disk's bytes are read first.  Returns the bytes to write (buf, or
 * *copy); *record when they are records, *same when the disk holds them
 * already. */
static const void *untearable(struct range_dev *r, const void *buf, size_t count, uint64_t at,
                              uint8_t **copy, bool *record, bool *same)
{
        _cleanup_free_ uint8_t *old = NULL;

        *copy = NULL;
        *same = false;
        *record = count % 512 == 0 && at % 512 == 0 && vhive_record_looks_like(buf, count);
        if (!*record)
                return buf;
        old = malloc(count);
        *copy = malloc(count);
        if (!old || !*copy || r->io.pread(r->io.ctx, old, count, at, &r->io_err) < 0)
                return buf; /* the write as libntfs-3g made it: as safe as before */
        memcpy(*copy, buf, count);
        vhive_record_keep_usn(*copy, old, count);
        *same = memcmp(*copy, old, count) == 0;
        return *copy;
}

static s64 dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
        struct range_dev *r = rdev(dev);
        _cleanup_free_ uint8_t *copy = NULL;
        bool record, same;

        if (NDevReadOnly(dev)) {
                errno = EROFS;
                return -1;
        }
        if (offset < 0 || count < 0 || (uint64_t)offset > r->size ||
            (uint64_t)count > r->size - offset) {
                errno = ENOSPC;
                return -1;
        }
        buf = untearable(r, buf, count, r->base + offset, &copy, &record, &same);
        if (same)
                return count;
        /* A record reaches the disk after what was written before it: the
         * cluster bitmap that allocates what the record names is never
         * behind it (a power cut between them then leaves clusters marked
         * used that no file holds, which chkdsk frees, never clusters a
         * file holds marked free, which NTFS would hand out again). */
        if (record && r->dirty && dev_sync(dev) < 0)
                return -1;
        if (r->io.pwrite(r->io.ctx, buf, count, r->base + offset, &r->io_err) < 0) {
                errno = r->io_err.errnum;
                return -1;
        }
        r->dirty = true;
        NDevSetDirty(dev);
        return count;
}

static s64 dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
        s64 n = dev_pread(dev, buf, count, rdev(dev)->pos);

        if (n > 0)
                rdev(dev)->pos += n;
        return n;
}

static s64 dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
        s64 n = dev_pwrite(dev, buf, count, rdev(dev)->pos);

        if (n > 0)
                rdev(dev)->pos += n;
        return n;
}

static int dev_stat(struct ntfs_device *dev, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_mode = S_IFBLK | 0600;
        st->st_size = rdev(dev)->size;
        st->st_blksize = 512;
        return 0;
}

static int dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
        switch (request) {
        case BLKGETSIZE64:
                *(uint64_t *)argp = rdev(dev)->size;
                return 0;
        case BLKSSZGET:
                *(int *)argp = 512;
                return 0;
        case BLKBSZSET:
                return 0;
        default:
                errno = ENOTTY; /* no discard, no geometry */
                return -1;
        }
}

static struct ntfs_device_operations range_ops = {
        .open = dev_open,
        .close = dev_close,
        .seek = dev_seek,
        .read = dev_read,
        .write = dev_write,
        .pread = dev_pread,
        .pwrite = dev_pwrite,
        .sync = dev_sync,
        .stat = dev_stat,
        .ioctl = dev_ioctl,
};

/* ---- mount -------------------------------------------------------------- */

/* libntfs-3g's (or the disk's) own words, as ": detail", or "". */
static const char *detail(const struct vhive_ntfs *v, char *buf, size_t len)
{
        const char *d = v->rd.io_err.msg[0] ? v->rd.io_err.msg : ntfs_last_msg;

        snprintf(buf, len, "%s%.600s", d[0] ? ": " : "", d);
        return buf;
}

static int mount_failure(struct vhive_ntfs *v, int e, struct vhive_error *err)
{
        char d[640];

        switch (e) {
        case EPERM:
                return vhive_fail(err, EPERM,
                                  "%s: Windows was hibernated or shut down with Fast Startup "
                                  "(the volume holds a hibernation image or cached metadata), "
                                  "so libntfs-3g refuses to write to it. Start Windows and shut "
                                  "it down fully (shutdown /s /t 0, or turn Fast Startup off), "
                                  "then retry. vhive will not delete hiberfil.sys: Windows "
                                  "would resume without the change",
                                  v->name);
        case EOPNOTSUPP:
                return vhive_fail(err, EOPNOTSUPP,
                                  "%s: the NTFS volume was not shut down cleanly (its $LogFile "
                                  "holds changes not yet applied), so libntfs-3g refuses to "
                                  "write to it. Boot Windows and shut it down cleanly (or run "
                                  "chkdsk on it), then retry",
                                  v->name);
        case EINVAL:
                return vhive_fail(err, EINVAL, "%s: not an NTFS volume%s", v->name,
                                  detail(v, d, sizeof(d)));
        case EIO:
                return vhive_fail(err, EIO, "%s: the NTFS volume cannot be read%s", v->name,
                                  detail(v, d, sizeof(d)));
        default:
                return vhive_fail(err, e, "%s: mounting NTFS: %s%s", v->name, strerror(e),
                                  detail(v, d, sizeof(d)));
        }
}

int vhive_ntfs_mount(struct vhive_ntfs **vp, const struct vhive_blockio *io, uint64_t offset,
                     uint64_t size, bool readonly, const char *name, struct vhive_error *err)
{
        struct vhive_ntfs *v;
        struct ntfs_device *dev;
        int r, e;

        *vp = NULL;
        if (offset > io->size || size > io->size - offset)
                return vhive_fail(err, EINVAL, "%s lies past the end of the disk", name);
        v = calloc(1, sizeof(*v));
        if (!v)
                return vhive_fail(err, ENOMEM, "out of memory");
        v->rd = (struct range_dev){ .io = *io, .base = offset, .size = size };
        snprintf(v->name, sizeof(v->name), "%s", name);
        nt_quiet();
        dev = ntfs_device_alloc(v->name, 0, &range_ops, &v->rd);
        if (!dev) {
                free(v);
                return vhive_fail(err, ENOMEM, "out of memory");
        }
        v->vol = ntfs_device_mount(dev, readonly ? NTFS_MNT_RDONLY : NTFS_MNT_NONE);
        if (!v->vol) {
                e = errno ? errno : EIO;
                r = mount_failure(v, e, err);
                ntfs_device_free(dev);
                free(v);
                return r;
        }
        if (ntfs_set_ignore_case(v->vol) < 0) {
                r = vhive_fail(err, errno, "%s: ntfs_set_ignore_case: %s", v->name,
                               strerror(errno));
                vhive_ntfs_umount(v, NULL);
                return r;
        }
        *vp = v;
        return 0;
}

int vhive_ntfs_umount(struct vhive_ntfs *v, struct vhive_error *err)
{
        char d[640];
        int r = 0;

        if (!v)
                return 0;
        nt_quiet();
        v->rd.io_err.msg[0] = '\0';
        if (ntfs_umount(v->vol, FALSE) < 0)
                r = vhive_fail(err, errno ? errno : EIO, "%s: unmounting NTFS: %s%s", v->name,
                               strerror(errno ? errno : EIO), detail(v, d, sizeof(d)));
        free(v);
        return r;
}

/* ---- paths -------------------------------------------------------------- */

static bool is_sep(char c)
{
        return c == '/' || c == '\\';
}

/* Next component of *p (skipping separators) into buf; false at the end. */
static bool next_component(const char **p, char *buf, size_t len)
{
        const char *s = *p, *e;

        while (is_sep(*s))
                s++;
        if (!*s)
                return false;
        e = s;
        while (*e && !is_sep(*e))
                e++;
        snprintf(buf, len, "%.*s", (int)(e - s), s);
        *p = e;
        return true;
}

int nt_fail_errno(struct vhive_ntfs *v, const char *what, const char *path, struct vhive_error *err)
{
        char d[640];
        int e = errno ? errno : EIO;

        return vhive_fail(err, e, "%s: %s %s: %s%s", v->name, what, path, strerror(e),
                          detail(v, d, sizeof(d)));
}

/* The MFT reference of name inside the open directory dir: 0, or -ENOENT
 * (no message), or -errno with a message. */
int nt_child_ref(struct vhive_ntfs *v, ntfs_inode *dir, const char *name, u64 *ref,
                 struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uname = NULL;
        int len = ntfs_mbstoucs(name, &uname);

        if (len < 0)
                return vhive_fail(err, errno, "%s: invalid name \"%s\"", v->name, name);
        if (len > NTFS_MAX_NAME_LEN)
                return vhive_fail(err, ENAMETOOLONG, "%s: name too long: %s", v->name, name);
        errno = 0;
        *ref = ntfs_inode_lookup_by_name(dir, uname, len);
        if (*ref != (u64)-1)
                return 0;
        if (errno == ENOENT)
                return -ENOENT;
        return nt_fail_errno(v, "looking up", name, err);
}

int nt_open_ref(struct vhive_ntfs *v, u64 ref, ntfs_inode **ni, struct vhive_error *err)
{
        char what[48];

        *ni = ntfs_inode_open(v->vol, ref);
        if (*ni)
                return 0;
        snprintf(what, sizeof(what), "opening inode %llu", (unsigned long long)MREF(ref));
        return nt_fail_errno(v, what, "", err);
}

/* Walks path from the root: 0 with *ref, -ENOENT with a message naming the
 * missing component. */
int nt_resolve(struct vhive_ntfs *v, const char *path, u64 *ref, struct vhive_error *err)
{
        const char *p = path;
        char comp[NTFS_MAX_NAME_LEN * 4 + 1];
        ntfs_inode *dir;
        int r;

        *ref = FILE_root;
        while (next_component(&p, comp, sizeof(comp))) {
                r = nt_open_ref(v, *ref, &dir, err);
                if (r < 0)
                        return r;
                r = nt_child_ref(v, dir, comp, ref, err);
                ntfs_inode_close(dir);
                if (r == -ENOENT)
                        return vhive_fail(err, ENOENT, "%s: %s: no \"%s\"", v->name, path, comp);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The name of ni in directory dir_no that equals want ignoring case (the
 * Win32 or POSIX name, never the DOS 8.3 one). */
static int name_in_dir(struct vhive_ntfs *v, ntfs_inode *ni, u64 dir_no, const char *want,
                       char **real, struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uwant = NULL;
        int wlen = ntfs_mbstoucs(want, &uwant);
        ntfs_attr_search_ctx *ctx;
        int r = -ENOENT;

        *real = NULL;
        ctx = wlen < 0 ? NULL : ntfs_attr_get_search_ctx(ni, NULL);
        if (!ctx)
                return nt_fail_errno(v, "reading the names of", want, err);
        while (r == -ENOENT &&
               !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
                const FILE_NAME_ATTR *fn =
                        (const FILE_NAME_ATTR *)((const u8 *)ctx->attr +
                                                 le16_to_cpu(ctx->attr->value_offset));
                ntfschar fname[NTFS_MAX_NAME_LEN]; /* aligned copy of a packed field */
                unsigned flen = fn->file_name_length;

                memcpy(fname, (const u8 *)fn + offsetof(FILE_NAME_ATTR, file_name),
                       flen * sizeof(ntfschar));
                if (MREF_LE(fn->parent_directory) != dir_no ||
                    fn->file_name_type == FILE_NAME_DOS ||
                    !ntfs_names_are_equal(fname, flen, uwant, wlen, IGNORE_CASE, v->vol->upcase,
                                          v->vol->upcase_len))
                        continue;
                if (ntfs_ucstombs(fname, flen, real, 0) < 0)
                        r = nt_fail_errno(v, "converting the name of", want, err);
                else
                        r = 0;
        }
        ntfs_attr_put_search_ctx(ctx);
        if (r == -ENOENT) /* found by the index but not in the record: use ours */
                r = (*real = strdup(want)) ? 0 : vhive_fail(err, ENOMEM, "out of memory");
        return r;
}

/* Real spelling of name in the directory dir_ref; *real NULL when absent. */
static int real_name(struct vhive_ntfs *v, u64 dir_ref, const char *name, char **real,
                     struct vhive_error *err)
{
        ntfs_inode *dir, *ni;
        u64 ref;
        int r;

        *real = NULL;
        r = nt_open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        r = nt_child_ref(v, dir, name, &ref, err);
        ntfs_inode_close(dir);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = nt_open_ref(v, ref, &ni, err);
        if (r < 0)
                return r;
        r = name_in_dir(v, ni, MREF(dir_ref), name, real, err);
        ntfs_inode_close(ni);
        return r;
}

/* libntfs-3g follows no link, but a folder on the way to Windows that is
 * one is refused all the same, as the appliance (which follows them) does. */
static int no_link(struct vhive_ntfs *v, const char *path, struct vhive_error *err)
{
        struct vhive_node node;
        int r = vhive_ntfs_lstat(v, path, &node, err);

        if (r == 0 && node.kind == VHIVE_NODE_LINK)
                r = vhive_fail(err, ELOOP, VHIVE_LINK_REFUSED, path + 1);
        return r;
}

int vhive_ntfs_real_path(struct vhive_ntfs *v, const char *path, char **real,
                         struct vhive_error *err)
{
        const char *p = path;
        char comp[NTFS_MAX_NAME_LEN * 4 + 1];
        _cleanup_free_ char *out = strdup("");
        u64 ref = FILE_root;
        int r;

        *real = NULL;
        nt_quiet();
        while (out && next_component(&p, comp, sizeof(comp))) {
                _cleanup_free_ char *name = NULL;
                char *grown;
                ntfs_inode *dir;

                r = real_name(v, ref, comp, &name, err);
                if (r < 0)
                        return r;
                if (!name)
                        return vhive_fail(err, ENOENT, "%s: %s: no \"%s\"", v->name, path, comp);
                r = nt_open_ref(v, ref, &dir, err);
                if (r < 0)
                        return r;
                r = nt_child_ref(v, dir, comp, &ref, err);
                ntfs_inode_close(dir);
                if (r < 0)
                        return r == -ENOENT
                                       ? vhive_fail(err, ENOENT, "%s: %s vanished", v->name, path)
                                       : r;
                if (asprintf(&grown, "%s/%s", out, name) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
                free(out);
                out = grown;
                r = no_link(v, out, err);
                if (r < 0)
                        return r;
        }
        if (!out)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (!out[0]) {
                free(out);
                out = strdup("/");
        }
        *real = out;
        out = NULL;
        return *real ? 0 : vhive_fail(err, ENOMEM, "out of memory");
}

int vhive_ntfs_lookup(struct vhive_ntfs *v, const char *dir, const char *name, char **real,
                      struct vhive_error *err)
{
        u64 dir_ref;
        int r;

        *real = NULL;
        nt_quiet();
        r = nt_resolve(v, dir, &dir_ref, err);
        if (r < 0)
                return r;
        return real_name(v, dir_ref, name, real, err);
}

/* Splits "/a/b/name" into the folder's reference and "name". */
int nt_resolve_parent(struct vhive_ntfs *v, const char *path, u64 *dir_ref, char *name, size_t len,
                      struct vhive_error *err)
{
        size_t n = strlen(path);
        _cleanup_free_ char *dir = NULL;

        while (n > 0 && is_sep(path[n - 1]))
                n--;
        if (n == 0)
                return vhive_fail(err, EINVAL, "%s: \"%s\" names no file", v->name, path);
        dir = strndup(path, n);
        if (!dir)
                return vhive_fail(err, ENOMEM, "out of memory");
        while (n > 0 && !is_sep(dir[n - 1]))
                n--;
        snprintf(name, len, "%s", dir + n);
        dir[n] = '\0';
        return nt_resolve(v, dir, dir_ref, err);
}
