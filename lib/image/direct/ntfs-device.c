/* NTFS through libntfs-3g over an NBD byte range (see ntfs-device.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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

#include "macro.h"
#include "ntfs-device.h"

#define COPY_CHUNK (4u << 20)
#define TMP_NEW ".vhive-new"
#define TMP_OLD ".vhive-old"
/* The DOS attributes a replacement inherits from the file it replaces. */
#define KEPT_ATTRS                                                                                 \
        (FILE_ATTR_READONLY | FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM | FILE_ATTR_ARCHIVE |            \
         FILE_ATTR_NOT_CONTENT_INDEXED)

/* ---- libntfs-3g's messages: kept, never printed ------------------------ */

/* libntfs-3g logs through one global handler; the last error it reported
 * is quoted in our messages.  (Not thread-safe; neither is libntfs-3g's
 * logging.) */
static char ntfs_last_msg[512];

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

static void quiet_libntfs(void)
{
        ntfs_log_set_handler(capture_log);
        ntfs_last_msg[0] = '\0';
}

/* ---- the device: a byte range of an NBD disk --------------------------- */

struct range_dev {
        struct vhive_nbd_disk *disk;
        uint64_t base, size;
        s64 pos;
        bool dirty;
        struct vhive_error io_err; /* the last NBD failure, for messages */
};

struct vhive_ntfs {
        ntfs_volume *vol;
        struct range_dev rd;
        char name[64];
};

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
        if ((flags & O_ACCMODE) != O_RDONLY && vhive_nbd_readonly(rdev(dev)->disk)) {
                errno = EROFS;
                return -1;
        }
        if ((flags & O_ACCMODE) == O_RDONLY)
                NDevSetReadOnly(dev);
        NDevSetOpen(dev);
        return 0;
}

static int dev_sync(struct ntfs_device *dev)
{
        struct range_dev *r = rdev(dev);

        if (NDevReadOnly(dev) || !r->dirty)
                return 0;
        if (vhive_nbd_flush(r->disk, &r->io_err) < 0) {
                errno = r->io_err.errnum;
                return -1;
        }
        r->dirty = false;
        NDevClearDirty(dev);
        return 0;
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
        if (vhive_nbd_pread(r->disk, buf, count, r->base + offset, &r->io_err) < 0) {
                errno = r->io_err.errnum;
                return -1;
        }
        return count;
}

static s64 dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
        struct range_dev *r = rdev(dev);

        if (NDevReadOnly(dev)) {
                errno = EROFS;
                return -1;
        }
        if (offset < 0 || count < 0 || (uint64_t)offset > r->size ||
            (uint64_t)count > r->size - offset) {
                errno = ENOSPC;
                return -1;
        }
        if (vhive_nbd_pwrite(r->disk, buf, count, r->base + offset, &r->io_err) < 0) {
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

int vhive_ntfs_mount(struct vhive_ntfs **vp, struct vhive_nbd_disk *disk, uint64_t offset,
                     uint64_t size, bool readonly, const char *name, struct vhive_error *err)
{
        struct vhive_ntfs *v;
        struct ntfs_device *dev;
        int r, e;

        *vp = NULL;
        if (offset > vhive_nbd_size(disk) || size > vhive_nbd_size(disk) - offset)
                return vhive_fail(err, EINVAL, "%s lies past the end of the disk", name);
        v = calloc(1, sizeof(*v));
        if (!v)
                return vhive_fail(err, ENOMEM, "out of memory");
        v->rd = (struct range_dev){ .disk = disk, .base = offset, .size = size };
        snprintf(v->name, sizeof(v->name), "%s", name);
        quiet_libntfs();
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
        quiet_libntfs();
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

static int fail_errno(struct vhive_ntfs *v, const char *what, const char *path,
                      struct vhive_error *err)
{
        char d[640];
        int e = errno ? errno : EIO;

        return vhive_fail(err, e, "%s: %s %s: %s%s", v->name, what, path, strerror(e),
                          detail(v, d, sizeof(d)));
}

/* The MFT reference of name inside the open directory dir: 0, or -ENOENT
 * (no message), or -errno with a message. */
static int child_ref(struct vhive_ntfs *v, ntfs_inode *dir, const char *name, u64 *ref,
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
        return fail_errno(v, "looking up", name, err);
}

static int open_ref(struct vhive_ntfs *v, u64 ref, ntfs_inode **ni, struct vhive_error *err)
{
        char what[48];

        *ni = ntfs_inode_open(v->vol, ref);
        if (*ni)
                return 0;
        snprintf(what, sizeof(what), "opening inode %llu", (unsigned long long)MREF(ref));
        return fail_errno(v, what, "", err);
}

/* Walks path from the root: 0 with *ref, -ENOENT with a message naming the
 * missing component. */
static int resolve(struct vhive_ntfs *v, const char *path, u64 *ref, struct vhive_error *err)
{
        const char *p = path;
        char comp[NTFS_MAX_NAME_LEN * 4 + 1];
        ntfs_inode *dir;
        int r;

        *ref = FILE_root;
        while (next_component(&p, comp, sizeof(comp))) {
                r = open_ref(v, *ref, &dir, err);
                if (r < 0)
                        return r;
                r = child_ref(v, dir, comp, ref, err);
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
                return fail_errno(v, "reading the names of", want, err);
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
                        r = fail_errno(v, "converting the name of", want, err);
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
        r = open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        r = child_ref(v, dir, name, &ref, err);
        ntfs_inode_close(dir);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = open_ref(v, ref, &ni, err);
        if (r < 0)
                return r;
        r = name_in_dir(v, ni, MREF(dir_ref), name, real, err);
        ntfs_inode_close(ni);
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
        quiet_libntfs();
        while (out && next_component(&p, comp, sizeof(comp))) {
                _cleanup_free_ char *name = NULL;
                char *grown;
                ntfs_inode *dir;

                r = real_name(v, ref, comp, &name, err);
                if (r < 0)
                        return r;
                if (!name)
                        return vhive_fail(err, ENOENT, "%s: %s: no \"%s\"", v->name, path, comp);
                r = open_ref(v, ref, &dir, err);
                if (r < 0)
                        return r;
                r = child_ref(v, dir, comp, &ref, err);
                ntfs_inode_close(dir);
                if (r < 0)
                        return r == -ENOENT
                                       ? vhive_fail(err, ENOENT, "%s: %s vanished", v->name, path)
                                       : r;
                if (asprintf(&grown, "%s/%s", out, name) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
                free(out);
                out = grown;
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
        quiet_libntfs();
        r = resolve(v, dir, &dir_ref, err);
        if (r < 0)
                return r;
        return real_name(v, dir_ref, name, real, err);
}

/* Splits "/a/b/name" into the folder's reference and "name". */
static int resolve_parent(struct vhive_ntfs *v, const char *path, u64 *dir_ref, char *name,
                          size_t len, struct vhive_error *err)
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
        return resolve(v, dir, dir_ref, err);
}

/* ---- files -------------------------------------------------------------- */

struct open_file {
        ntfs_inode *ni;
        ntfs_attr *na;
};

static void file_close(struct open_file *f)
{
        if (f->na)
                ntfs_attr_close(f->na);
        if (f->ni)
                ntfs_inode_close(f->ni);
        f->na = NULL;
        f->ni = NULL;
}

/* Closes and reports whether the inode's metadata reached the disk. */
static int file_close_checked(struct vhive_ntfs *v, struct open_file *f, const char *path,
                              struct vhive_error *err)
{
        if (f->na)
                ntfs_attr_close(f->na);
        f->na = NULL;
        if (f->ni && ntfs_inode_close(f->ni) < 0) {
                f->ni = NULL;
                return fail_errno(v, "writing the metadata of", path, err);
        }
        f->ni = NULL;
        return 0;
}

static int file_open_ref(struct vhive_ntfs *v, u64 ref, const char *path, struct open_file *f,
                         struct vhive_error *err)
{
        int r = open_ref(v, ref, &f->ni, err);

        if (r < 0)
                return r;
        if (f->ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) {
                file_close(f);
                return vhive_fail(err, EISDIR, "%s: %s is a folder", v->name, path);
        }
        f->na = ntfs_attr_open(f->ni, AT_DATA, AT_UNNAMED, 0);
        if (!f->na) {
                r = fail_errno(v, "opening the data of", path, err);
                file_close(f);
        }
        return r;
}

static int file_open(struct vhive_ntfs *v, const char *path, struct open_file *f,
                     struct vhive_error *err)
{
        u64 ref;
        int r = resolve(v, path, &ref, err);

        return r < 0 ? r : file_open_ref(v, ref, path, f, err);
}

int vhive_ntfs_file_size(struct vhive_ntfs *v, const char *path, uint64_t *size,
                         struct vhive_error *err)
{
        struct open_file f = { 0 };
        int r;

        quiet_libntfs();
        r = file_open(v, path, &f, err);
        if (r < 0)
                return r;
        *size = f.na->data_size;
        file_close(&f);
        return 0;
}

static int read_full(int fd, uint8_t *buf, size_t len)
{
        size_t done = 0;

        while (done < len) {
                ssize_t n = read(fd, buf + done, len - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                if (n == 0) {
                        errno = EIO; /* the file shrank under us */
                        return -1;
                }
                done += n;
        }
        return 0;
}

static int attr_read(struct vhive_ntfs *v, ntfs_attr *na, s64 pos, size_t n, uint8_t *buf,
                     const char *path, struct vhive_error *err)
{
        s64 got = ntfs_attr_pread(na, pos, n, buf);

        if (got == (s64)n)
                return 0;
        if (got >= 0)
                errno = EIO;
        return fail_errno(v, "reading", path, err);
}

static int copy_out(struct vhive_ntfs *v, struct open_file *f, int fd, const char *path,
                    const char *host_path, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *buf = malloc(COPY_CHUNK);
        s64 size = f->na->data_size;

        if (!buf)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (s64 pos = 0; pos < size; pos += COPY_CHUNK) {
                size_t n = size - pos < COPY_CHUNK ? (size_t)(size - pos) : COPY_CHUNK;
                int r = attr_read(v, f->na, pos, n, buf, path, err);

                if (r < 0)
                        return r;
                if (vhive_write_all(fd, buf, n) < 0)
                        return vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
        }
        return 0;
}

int vhive_ntfs_download(struct vhive_ntfs *v, const char *path, const char *host_path,
                        struct vhive_error *err)
{
        struct open_file f = { 0 };
        int fd, r;

        quiet_libntfs();
        r = file_open(v, path, &f, err);
        if (r < 0)
                return r;
        fd = open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                file_close(&f);
                return vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
        }
        r = copy_out(v, &f, fd, path, host_path, err);
        file_close(&f);
        if (close(fd) < 0 && r == 0)
                r = vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
        return r;
}

/* A write barrier: what libntfs-3g wrote so far reaches the image file
 * before anything written after it (NBD_CMD_FLUSH to qemu-nbd). */
static int barrier(struct vhive_ntfs *v, struct vhive_error *err)
{
        return vhive_nbd_flush(v->rd.disk, err);
}

int vhive_ntfs_truncate(struct vhive_ntfs *v, const char *path, struct vhive_error *err)
{
        struct open_file f = { 0 };
        int r;

        quiet_libntfs();
        r = file_open(v, path, &f, err);
        if (r < 0)
                return r;
        if (f.na->data_size != 0 && ntfs_attr_truncate(f.na, 0) < 0) {
                r = fail_errno(v, "truncating", path, err);
                file_close(&f);
                return r;
        }
        /* No barrier: nothing later depends on this reaching the disk
         * first, and closing flushes. */
        return file_close_checked(v, &f, path, err);
}

/* ---- names: link and unlink --------------------------------------------- */

/* Adds the name `name` in dir_ref for the file ref. */
static int link_name(struct vhive_ntfs *v, u64 dir_ref, u64 ref, const char *name,
                     struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uname = NULL;
        int len = ntfs_mbstoucs(name, &uname);
        ntfs_inode *dir = NULL, *ni = NULL;
        int r;

        if (len < 0)
                return vhive_fail(err, errno, "%s: invalid name \"%s\"", v->name, name);
        r = open_ref(v, dir_ref, &dir, err);
        if (r == 0)
                r = open_ref(v, ref, &ni, err);
        if (r == 0 && ntfs_link(ni, dir, uname, len) < 0)
                r = fail_errno(v, "adding the name", name, err);
        /* The folder first: the file's name sync needs the index on disk. */
        if (dir && ntfs_inode_close(dir) < 0 && r == 0)
                r = fail_errno(v, "writing the folder of", name, err);
        if (ni && ntfs_inode_close(ni) < 0 && r == 0)
                r = fail_errno(v, "writing the metadata of", name, err);
        return r;
}

/* Removes the name `name` from dir_ref (the file goes when it was its
 * last name).  -ENOENT without a message when there is no such name. */
static int unlink_name(struct vhive_ntfs *v, u64 dir_ref, const char *name, struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uname = NULL;
        int len = ntfs_mbstoucs(name, &uname);
        ntfs_inode *dir = NULL, *ni = NULL;
        u64 ref;
        int r;

        if (len < 0)
                return vhive_fail(err, errno, "%s: invalid name \"%s\"", v->name, name);
        r = open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        r = child_ref(v, dir, name, &ref, err);
        if (r == 0)
                r = open_ref(v, ref, &ni, err);
        if (r < 0) {
                ntfs_inode_close(dir);
                return r;
        }
        /* ntfs_delete closes both inodes, whatever happens. */
        if (ntfs_delete(v->vol, NULL, ni, dir, uname, len) < 0)
                return fail_errno(v, "removing", name, err);
        return 0;
}

static int unlink_if_present(struct vhive_ntfs *v, u64 dir_ref, const char *name,
                             struct vhive_error *err)
{
        int r = unlink_name(v, dir_ref, name, err);

        return r == -ENOENT ? 0 : r;
}

/* ---- replace ------------------------------------------------------------ */

/* Security descriptor and DOS attributes of the file being replaced. */
struct inherit {
        bool have;
        le32 security_id;
        FILE_ATTR_FLAGS flags;
};

static int create_file(struct vhive_ntfs *v, u64 dir_ref, const char *name,
                       const struct inherit *in, struct open_file *f, struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uname = NULL;
        int len = ntfs_mbstoucs(name, &uname);
        ntfs_inode *dir;
        int r;

        if (len < 0)
                return vhive_fail(err, errno, "%s: invalid name \"%s\"", v->name, name);
        r = open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        /* security_id 0 would give the file an "Everyone" descriptor: reuse
         * the old file's, as Windows keeps it on a replace. */
        f->ni = ntfs_create(dir, in->have ? in->security_id : const_cpu_to_le32(0), uname, len,
                            S_IFREG);
        if (!f->ni)
                r = fail_errno(v, "creating", name, err);
        if (ntfs_inode_close(dir) < 0 && r == 0)
                r = fail_errno(v, "writing the folder of", name, err);
        if (r < 0) {
                file_close(f);
                return r;
        }
        if (in->have) {
                f->ni->flags = (f->ni->flags & ~KEPT_ATTRS) | (in->flags & KEPT_ATTRS);
                ntfs_inode_mark_dirty(f->ni);
                NInoFileNameSetDirty(f->ni);
        }
        f->na = ntfs_attr_open(f->ni, AT_DATA, AT_UNNAMED, 0);
        if (!f->na) {
                r = fail_errno(v, "opening the data of", name, err);
                file_close(f);
        }
        return r;
}

static int copy_in(struct vhive_ntfs *v, struct open_file *f, int fd, uint64_t size,
                   const char *name, const char *host_path, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *buf = malloc(COPY_CHUNK);

        if (!buf)
                return vhive_fail(err, ENOMEM, "out of memory");
        /* Allocate every cluster now (as ntfscp does): ntfs_attr_truncate
         * would leave a sparse file that later writes fill piecemeal. */
        if (size && ntfs_attr_truncate_solid(f->na, size) < 0)
                return fail_errno(v, "allocating", name, err);
        for (uint64_t pos = 0; pos < size; pos += COPY_CHUNK) {
                size_t n = size - pos < COPY_CHUNK ? (size_t)(size - pos) : COPY_CHUNK;

                if (read_full(fd, buf, n) < 0)
                        return vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
                if (ntfs_attr_pwrite(f->na, pos, n, buf) != (s64)n)
                        return fail_errno(v, "writing", name, err);
        }
        return 0;
}

/* Reads the new file back through the disk and compares it with the host
 * file: what the volume holds is what we meant to write. */
static int verify(struct vhive_ntfs *v, u64 dir_ref, const char *name, int fd, uint64_t size,
                  const char *host_path, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *a = malloc(COPY_CHUNK);
        _cleanup_free_ uint8_t *b = malloc(COPY_CHUNK);
        struct open_file f = { 0 };
        ntfs_inode *dir;
        u64 ref;
        int r;

        if (!a || !b)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        r = child_ref(v, dir, name, &ref, err);
        ntfs_inode_close(dir);
        if (r == -ENOENT)
                return vhive_fail(err, EIO, "%s: %s vanished after writing", v->name, name);
        if (r == 0)
                r = file_open_ref(v, ref, name, &f, err);
        if (r < 0)
                return r;
        if ((uint64_t)f.na->data_size != size)
                r = vhive_fail(err, EIO, "%s: %s reads back %lld bytes, not %llu", v->name, name,
                               (long long)f.na->data_size, (unsigned long long)size);
        if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
                r = vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
        for (uint64_t pos = 0; r == 0 && pos < size; pos += COPY_CHUNK) {
                size_t n = size - pos < COPY_CHUNK ? (size_t)(size - pos) : COPY_CHUNK;

                r = attr_read(v, f.na, pos, n, a, name, err);
                if (r == 0 && read_full(fd, b, n) < 0)
                        r = vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
                if (r == 0 && memcmp(a, b, n) != 0)
                        r = vhive_fail(err, EIO,
                                       "%s: %s reads back different from %s "
                                       "near offset %llu",
                                       v->name, name, host_path, (unsigned long long)pos);
        }
        file_close(&f);
        return r;
}

/* Writes host_path into a new file `name` in dir_ref; returns its ref. */
static int write_new(struct vhive_ntfs *v, u64 dir_ref, const char *name, const struct inherit *in,
                     const char *host_path, u64 *ref, struct vhive_error *err)
{
        _cleanup_close_ int fd = open(host_path, O_RDONLY | O_CLOEXEC);
        struct open_file f = { 0 };
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return vhive_fail(err, errno, "%s: %s", host_path, strerror(errno));
        r = create_file(v, dir_ref, name, in, &f, err);
        if (r < 0)
                return r;
        *ref = MK_MREF(f.ni->mft_no, le16_to_cpu(f.ni->mrec->sequence_number));
        r = copy_in(v, &f, fd, st.st_size, name, host_path, err);
        if (r < 0) {
                file_close(&f);
                return r;
        }
        r = file_close_checked(v, &f, name, err);
        if (r == 0)
                r = barrier(v, err);
        if (r == 0)
                r = verify(v, dir_ref, name, fd, st.st_size, host_path, err);
        return r;
}

static int read_inherit(struct vhive_ntfs *v, u64 ref, struct inherit *in, struct vhive_error *err)
{
        ntfs_inode *ni;
        int r = open_ref(v, ref, &ni, err);

        if (r < 0)
                return r;
        in->have = true;
        in->security_id = ni->security_id;
        in->flags = ni->flags;
        ntfs_inode_close(ni);
        return 0;
}

/* Steps 1-4 each end with a barrier; what is reachable after each:
 *   1. write NAME.vhive-new, read it back and compare      old at NAME
 *   2. link the old file as NAME.vhive-old                 old at NAME
 *   3. remove the name NAME                                old at NAME.vhive-old
 *   4. link the new file as NAME                           new at NAME
 *   5. remove NAME.vhive-new, then NAME.vhive-old          new at NAME
 * libntfs-3g has no atomic rename (its FUSE rename is link + unlink), so
 * between 3 and 4 NAME is absent; the old content is whole under
 * NAME.vhive-old and the new under NAME.vhive-new, never a mix.  A failure
 * at 4 links the old file back as NAME.  The barrier after 4 also orders
 * the new hive before anything the caller does next (truncating the logs
 * of a replayed hive must not reach the disk before it); step 5 is only
 * cleanup and is flushed when the disk is closed. */
static int switch_names(struct vhive_ntfs *v, u64 dir_ref, const char *name, u64 old_ref,
                        u64 new_ref, const char *tmp_new, const char *tmp_old,
                        struct vhive_error *err)
{
        struct vhive_error e2;
        int r;

        r = link_name(v, dir_ref, old_ref, tmp_old, err);
        if (r == 0)
                r = barrier(v, err);
        if (r == 0)
                r = unlink_name(v, dir_ref, name, err);
        if (r == -ENOENT)
                r = vhive_fail(err, ENOENT, "%s: %s vanished", v->name, name);
        if (r == 0)
                r = barrier(v, err);
        if (r < 0)
                return r;
        r = link_name(v, dir_ref, new_ref, name, err);
        if (r == 0)
                r = barrier(v, err);
        if (r < 0) {
                if (link_name(v, dir_ref, old_ref, name, &e2) == 0 && barrier(v, &e2) == 0)
                        return r;
                snprintf(e2.msg, sizeof(e2.msg), "%s", err->msg);
                return vhive_fail(err, -r,
                                  "%s (and restoring the old %s failed: it is "
                                  "intact as %s)",
                                  e2.msg, name, tmp_old);
        }
        r = unlink_name(v, dir_ref, tmp_new, err);
        return r == 0 ? unlink_name(v, dir_ref, tmp_old, err) : r;
}

int vhive_ntfs_replace(struct vhive_ntfs *v, const char *path, const char *host_path,
                       struct vhive_error *err)
{
        char want[NTFS_MAX_NAME_LEN * 4 + 1], tmp_new[sizeof(want) + 16];
        char tmp_old[sizeof(want) + 16];
        _cleanup_free_ char *name = NULL;
        struct inherit in = { 0 };
        ntfs_inode *dir;
        u64 dir_ref, old_ref = 0, new_ref = 0;
        int r;

        quiet_libntfs();
        r = resolve_parent(v, path, &dir_ref, want, sizeof(want), err);
        if (r == 0)
                r = real_name(v, dir_ref, want, &name, err);
        if (r < 0)
                return r;
        if (!name && !(name = strdup(want)))
                return vhive_fail(err, ENOMEM, "out of memory");
        snprintf(tmp_new, sizeof(tmp_new), "%s%s", name, TMP_NEW);
        snprintf(tmp_old, sizeof(tmp_old), "%s%s", name, TMP_OLD);

        r = open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        r = child_ref(v, dir, name, &old_ref, err);
        ntfs_inode_close(dir);
        if (r == 0)
                r = read_inherit(v, old_ref, &in, err);
        else if (r == -ENOENT)
                r = unlink_name(v, dir_ref, tmp_old, err) == -ENOENT
                            ? 0
                            : vhive_fail(err, EEXIST,
                                         "%s: %s is absent but %s exists: an earlier "
                                         "replacement was interrupted; the old content is %s",
                                         v->name, name, tmp_old, tmp_old);
        if (r < 0)
                return r;
        /* Leftovers of an interrupted run: NAME is intact, so they can go. */
        r = unlink_if_present(v, dir_ref, tmp_new, err);
        if (r == 0 && in.have)
                r = unlink_if_present(v, dir_ref, tmp_old, err);
        if (r == 0)
                r = write_new(v, dir_ref, tmp_new, &in, host_path, &new_ref, err);
        if (r < 0)
                return r;
        if (!in.have) {
                r = link_name(v, dir_ref, new_ref, name, err);
                if (r == 0)
                        r = unlink_name(v, dir_ref, tmp_new, err);
                return r == 0 ? barrier(v, err) : r;
        }
        return switch_names(v, dir_ref, name, old_ref, new_ref, tmp_new, tmp_old, err);
}

int vhive_ntfs_mkdir(struct vhive_ntfs *v, const char *path, struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uname = NULL;
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        ntfs_inode *dir, *ni;
        u64 dir_ref, ref;
        int len, r;

        quiet_libntfs();
        r = resolve_parent(v, path, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        r = child_ref(v, dir, name, &ref, err);
        if (r != -ENOENT) {
                ntfs_inode_close(dir);
                return r;
        }
        len = ntfs_mbstoucs(name, &uname);
        ni = len < 0 ? NULL : ntfs_create(dir, const_cpu_to_le32(0), uname, len, S_IFDIR);
        r = ni ? 0 : fail_errno(v, "creating the folder", path, err);
        if (ntfs_inode_close(dir) < 0 && r == 0)
                r = fail_errno(v, "writing the folder of", path, err);
        if (ni && ntfs_inode_close(ni) < 0 && r == 0)
                r = fail_errno(v, "writing", path, err);
        return r;
}
