/* Files of an NTFS volume through libntfs-3g (see ntfs-device.h): copying
 * one out, and the struct vhive_file the logged commit writes through.
 *
 * The commit writes inside the unnamed $DATA attribute's existing clusters
 * with ntfs_attr_pwrite, which touches nothing but those clusters: no
 * name, no index, no bitmap, no MFT record (libntfs-3g keeps file times as
 * they are; only its FUSE layer updates them).  Growing a file (extend) is
 * the one metadata change, and the protocol makes it before a commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/reparse.h>
#include <ntfs-3g/security.h>
#include <ntfs-3g/types.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "commit.h"
#include "image.h"
#include "macro.h"
#include "ntfs-internal.h"

#define COPY_CHUNK (4u << 20)
/* Data an in-place write could not reach without allocating or encoding. */
#define NOT_IN_PLACE (ATTR_IS_SPARSE | ATTR_COMPRESSION_MASK | ATTR_IS_ENCRYPTED)

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

static int file_open_ref(struct vhive_ntfs *v, u64 ref, const char *path, struct open_file *f,
                         struct vhive_error *err)
{
        int r = nt_open_ref(v, ref, &f->ni, err);

        if (r < 0)
                return r;
        if (f->ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) {
                file_close(f);
                return vhive_fail(err, EISDIR, "%s: %s is a folder", v->name, path);
        }
        f->na = ntfs_attr_open(f->ni, AT_DATA, AT_UNNAMED, 0);
        if (!f->na) {
                r = nt_fail_errno(v, "opening the data of", path, err);
                file_close(f);
        }
        return r;
}

static int file_open(struct vhive_ntfs *v, const char *path, struct open_file *f,
                     struct vhive_error *err)
{
        u64 ref;
        int r = nt_resolve(v, path, &ref, err);

        return r < 0 ? r : file_open_ref(v, ref, path, f, err);
}

int vhive_ntfs_file_size(struct vhive_ntfs *v, const char *path, uint64_t *size,
                         struct vhive_error *err)
{
        struct open_file f = { 0 };
        int r;

        nt_quiet();
        r = file_open(v, path, &f, err);
        if (r < 0)
                return r;
        *size = f.na->data_size;
        file_close(&f);
        return 0;
}

static int attr_read(struct vhive_ntfs *v, ntfs_attr *na, s64 pos, size_t n, void *buf,
                     const char *path, struct vhive_error *err)
{
        s64 got = ntfs_attr_pread(na, pos, n, buf);

        if (got == (s64)n)
                return 0;
        if (got >= 0)
                errno = EIO;
        return nt_fail_errno(v, "reading", path, err);
}

/* A system file can be an Interix special file, which ntfs-3g (in the
 * appliance) shows as a symbolic link, a device, a FIFO or a socket:
 * judged the way ntfs-3g's getattr does, so that both backends agree. */
static enum vhive_node_kind intx_kind(ntfs_inode *ni, ntfs_attr *na)
{
        uint8_t magic[8];

        if (!(ni->flags & FILE_ATTR_SYSTEM))
                return VHIVE_NODE_FILE;
        if (!(ni->flags & FILE_ATTR_HIDDEN) && na->data_size <= 1)
                return VHIVE_NODE_OTHER;
        if (na->data_size <= (s64)sizeof(magic) ||
            na->data_size > (s64)(sizeof(magic) + sizeof(ntfschar) * PATH_MAX) ||
            ntfs_attr_pread(na, 0, sizeof(magic), magic) != (s64)sizeof(magic))
                return VHIVE_NODE_FILE;
        if (memcmp(magic, "IntxLNK\1", 8) == 0)
                return VHIVE_NODE_LINK;
        if (memcmp(magic, "IntxCHR", 8) == 0 || memcmp(magic, "IntxBLK", 8) == 0)
                return VHIVE_NODE_OTHER;
        return VHIVE_NODE_FILE;
}

/* The file's names as ntfs-3g's getattr counts them (st_nlink: the MFT
 * record's link count), so that both backends agree: a long name and its
 * 8.3 DOS name are one name, as ntfs-3g's system.ntfs_dos_name (which the
 * appliance asks) sees them: a DOS name beside a single other name. */
static uint32_t names_of(ntfs_inode *ni)
{
        ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
        uint32_t links = le16_to_cpu(ni->mrec->link_count), other = 0;
        bool dos = false;

        if (!ctx)
                return links;
        while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
                const FILE_NAME_ATTR *fn =
                        (const FILE_NAME_ATTR *)((const u8 *)ctx->attr +
                                                 le16_to_cpu(ctx->attr->value_offset));

                if (fn->file_name_type == FILE_NAME_DOS)
                        dos = true;
                else
                        other++;
        }
        ntfs_attr_put_search_ctx(ctx);
        return dos && other == 1 ? 1 : links;
}

/* The NTFS attributes, with what the data attribute itself says: a write
 * goes by the data's flags, whatever the standard information claims. */
static uint32_t attrs_of(ntfs_inode *ni, const ntfs_attr *na)
{
        uint32_t a = le32_to_cpu(ni->flags);

        if (na && (na->data_flags & ATTR_IS_SPARSE))
                a |= VHIVE_NTFS_SPARSE;
        if (na && (na->data_flags & ATTR_COMPRESSION_MASK))
                a |= VHIVE_NTFS_COMPRESSED;
        if (na && (na->data_flags & ATTR_IS_ENCRYPTED))
                a |= VHIVE_NTFS_ENCRYPTED;
        return a;
}

static int node_of(struct vhive_ntfs *v, ntfs_inode *ni, const char *path, struct vhive_node *node,
                   struct vhive_error *err)
{
        ntfs_attr *na;

        *node = (struct vhive_node){ .kind = VHIVE_NODE_DIR,
                                     .ino = ni->mft_no,
                                     .nlink = names_of(ni),
                                     .attrs = attrs_of(ni, NULL) };
        if (ni->flags & FILE_ATTR_REPARSE_POINT) {
                node->kind = VHIVE_NODE_LINK;
                return 0;
        }
        if (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY)
                return 0;
        na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
        if (!na)
                return nt_fail_errno(v, "opening the data of", path, err);
        node->kind = intx_kind(ni, na);
        node->size = (uint64_t)na->data_size;
        node->attrs = attrs_of(ni, na);
        ntfs_attr_close(na);
        return 0;
}

int vhive_ntfs_lstat(struct vhive_ntfs *v, const char *path, struct vhive_node *node,
                     struct vhive_error *err)
{
        ntfs_inode *ni;
        u64 ref;
        int r;

        nt_quiet();
        r = nt_resolve(v, path, &ref, err);
        if (r == 0)
                r = nt_open_ref(v, ref, &ni, err);
        if (r < 0)
                return r;
        r = node_of(v, ni, path, node, err);
        ntfs_inode_close(ni);
        return r;
}

static int attr_write(struct vhive_ntfs *v, ntfs_attr *na, s64 pos, size_t n, const void *buf,
                      const char *path, struct vhive_error *err)
{
        s64 done = ntfs_attr_pwrite(na, pos, n, buf);

        if (done == (s64)n)
                return 0;
        if (done >= 0)
                errno = EIO;
        return nt_fail_errno(v, "writing", path, err);
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

        nt_quiet();
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

/* ---- the commit's file interface ----------------------------------------- */

struct ntfs_file {
        struct vhive_file f;
        struct vhive_ntfs *v;
        struct open_file of;
        bool writable;
        char path[];
};

static struct ntfs_file *nf(struct vhive_file *f)
{
        return f->priv;
}

static int in_range(struct ntfs_file *n, size_t len, uint64_t off, struct vhive_error *err)
{
        uint64_t size = n->of.na->data_size;

        if (off > size || len > size - off)
                return vhive_fail(err, EINVAL,
                                  "%s: %zu bytes at %llu lie past the end of %s "
                                  "(%llu bytes)",
                                  n->v->name, len, (unsigned long long)off, n->path,
                                  (unsigned long long)size);
        return 0;
}

static int nf_size(struct vhive_file *f, uint64_t *size, struct vhive_error *err)
{
        (void)err;
        *size = nf(f)->of.na->data_size;
        return 0;
}

static int nf_pread(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                    struct vhive_error *err)
{
        struct ntfs_file *n = nf(f);
        int r = in_range(n, len, off, err);

        nt_quiet();
        return r < 0 || len == 0 ? r : attr_read(n->v, n->of.na, off, len, buf, n->path, err);
}

static int nf_pwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                     struct vhive_error *err)
{
        struct ntfs_file *n = nf(f);
        int r = in_range(n, len, off, err);

        nt_quiet();
        if (r == 0 && !n->writable)
                r = vhive_fail(err, EROFS, "%s: %s was opened read-only", n->v->name, n->path);
        return r < 0 || len == 0 ? r : attr_write(n->v, n->of.na, off, len, buf, n->path, err);
}

/* The MFT record, when something made it dirty (a resident file's data
 * lives there), then NBD_CMD_FLUSH: qemu-nbd writes its caches to the
 * image file before the call returns. */
static int nf_flush(struct vhive_file *f, struct vhive_error *err)
{
        struct ntfs_file *n = nf(f);

        nt_quiet();
        if (!n->writable)
                return 0;
        if (NInoDirty(n->of.ni) && ntfs_inode_sync(n->of.ni) < 0)
                return nt_fail_errno(n->v, "writing the metadata of", n->path, err);
        return nt_flush(n->v, err);
}

/* Allocates every new cluster (ntfs_attr_truncate would leave a sparse
 * tail that later writes fill piecemeal, each one a metadata change), then
 * writes the zeros, so that the initialized size is the whole file and the
 * commit's writes change data only.
 *
 * The folder's index entry for the file is left as it was: libntfs-3g
 * would rewrite the folder's record (or index block) to copy the new size
 * there, and a power cut tearing that record would cost the whole config
 * folder.  The sizes in an index entry are a cache that Windows itself
 * updates lazily; NTFS reads a file's size from its own record.  The
 * file's record is then the one metadata written, and its change fits its
 * first sector (record-write.h): old or new after a power cut. */
static int nf_extend(struct vhive_file *f, uint64_t size, struct vhive_error *err)
{
        struct ntfs_file *n = nf(f);
        uint64_t old = n->of.na->data_size;
        _cleanup_free_ uint8_t *zeros = NULL;
        int r = 0;

        nt_quiet();
        if (!n->writable)
                return vhive_fail(err, EROFS, "%s: %s was opened read-only", n->v->name, n->path);
        if (size <= old)
                return 0;
        zeros = calloc(1, COPY_CHUNK);
        if (!zeros)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (ntfs_attr_truncate_solid(n->of.na, size) < 0)
                return nt_fail_errno(n->v, "growing", n->path, err);
        for (uint64_t pos = old; r == 0 && pos < size; pos += COPY_CHUNK) {
                size_t len = size - pos < COPY_CHUNK ? (size_t)(size - pos) : COPY_CHUNK;

                r = attr_write(n->v, n->of.na, pos, len, zeros, n->path, err);
        }
        NInoFileNameClearDirty(n->of.ni);
        return r < 0 ? r : nf_flush(f, err);
}

static const struct vhive_file_ops ntfs_file_ops = {
        .size = nf_size,
        .pread = nf_pread,
        .pwrite = nf_pwrite,
        .flush = nf_flush,
        .extend = nf_extend,
};

/* plain_only: a write must reach the file's clusters in place (the
 * commit); only the test volumes' builder writes other files. */
static int open_vfile(struct vhive_ntfs *v, const char *path, bool writable, bool plain_only,
                      struct vhive_file **out, struct vhive_error *err)
{
        struct ntfs_file *n = calloc(1, sizeof(*n) + strlen(path) + 1);
        int r;

        *out = NULL;
        if (!n)
                return vhive_fail(err, ENOMEM, "out of memory");
        strcpy(n->path, path);
        nt_quiet();
        r = file_open(v, path, &n->of, err);
        if (r == 0 && writable && plain_only && (n->of.na->data_flags & NOT_IN_PLACE))
                r = vhive_fail(err, EOPNOTSUPP,
                               "%s: %s is sparse, compressed or encrypted: "
                               "vhive writes only into plain files",
                               v->name, path);
        if (r < 0) {
                file_close(&n->of);
                free(n);
                return r;
        }
        n->v = v;
        n->writable = writable;
        n->f = (struct vhive_file){ .ops = &ntfs_file_ops, .name = n->path, .priv = n };
        *out = &n->f;
        return 0;
}

int vhive_ntfs_open_file(struct vhive_ntfs *v, const char *path, bool writable,
                         struct vhive_file **out, struct vhive_error *err)
{
        return open_vfile(v, path, writable, true, out, err);
}

/* Nothing is left to write here: every write was flushed (a commit ends
 * with a flush), and libntfs-3g's data path marks no inode dirty. */
void vhive_ntfs_close_file(struct vhive_file *f)
{
        if (!f)
                return;
        file_close(&nf(f)->of);
        free(nf(f));
}

/* ---- building test volumes ----------------------------------------------- */

static int create_at(struct vhive_ntfs *v, u64 dir_ref, const char *name, mode_t type,
                     ntfs_inode **ni, struct vhive_error *err)
{
        _cleanup_free_ ntfschar *uname = NULL;
        int len = ntfs_mbstoucs(name, &uname);
        ntfs_inode *dir;
        u64 ref;
        int r = nt_open_ref(v, dir_ref, &dir, err);

        *ni = NULL;
        if (r < 0)
                return r;
        r = len < 0 ? vhive_fail(err, errno, "%s: invalid name \"%s\"", v->name, name)
                    : nt_child_ref(v, dir, name, &ref, err);
        if (r == 0)
                r = vhive_fail(err, EEXIST, "%s: %s exists", v->name, name);
        else if (r == -ENOENT && !(*ni = ntfs_create(dir, const_cpu_to_le32(0), uname, len, type)))
                r = nt_fail_errno(v, "creating", name, err);
        else if (r == -ENOENT)
                r = 0;
        if (ntfs_inode_close(dir) < 0 && r == 0)
                r = nt_fail_errno(v, "writing the folder of", name, err);
        return r;
}

int vhive_ntfs_mkdir(struct vhive_ntfs *v, const char *path, struct vhive_error *err)
{
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        ntfs_inode *ni;
        u64 dir_ref;
        int r;

        nt_quiet();
        r = nt_resolve_parent(v, path, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = create_at(v, dir_ref, name, S_IFDIR, &ni, err);
        if (r == -EEXIST)
                return 0;
        if (r == 0 && ntfs_inode_close(ni) < 0)
                r = nt_fail_errno(v, "writing", path, err);
        return r;
}

int vhive_ntfs_create(struct vhive_ntfs *v, const char *path, const char *host_path,
                      struct vhive_error *err)
{
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        struct vhive_file *f = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t len = 0;
        ntfs_inode *ni = NULL;
        u64 dir_ref;
        int r;

        nt_quiet();
        r = vhive_read_file(host_path, &data, &len, err);
        if (r == 0)
                r = nt_resolve_parent(v, path, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = create_at(v, dir_ref, name, S_IFREG, &ni, err);
        if (ni && ntfs_inode_close(ni) < 0 && r == 0)
                r = nt_fail_errno(v, "writing", path, err);
        if (r == 0) /* in a compressed folder, a compressed file */
                r = open_vfile(v, path, true, false, &f, err);
        if (r == 0)
                r = f->ops->extend(f, len, err);
        if (r == 0 && len)
                r = f->ops->pwrite(f, data, len, 0, err);
        if (r == 0)
                r = f->ops->flush(f, err);
        vhive_ntfs_close_file(f);
        return r;
}

/* Opens the inode at path for the test helpers below. */
static int open_path(struct vhive_ntfs *v, const char *path, ntfs_inode **ni,
                     struct vhive_error *err)
{
        u64 ref;
        int r = nt_resolve(v, path, &ref, err);

        return r < 0 ? r : nt_open_ref(v, ref, ni, err);
}

int vhive_ntfs_symlink(struct vhive_ntfs *v, const char *path, const char *target,
                       struct vhive_error *err)
{
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        _cleanup_free_ ntfschar *uname = NULL, *utarget = NULL;
        ntfs_inode *dir = NULL, *ni;
        int nlen, tlen;
        u64 dir_ref;
        int r;

        nt_quiet();
        r = nt_resolve_parent(v, path, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = nt_open_ref(v, dir_ref, &dir, err);
        if (r < 0)
                return r;
        nlen = ntfs_mbstoucs(name, &uname);
        tlen = ntfs_mbstoucs(target, &utarget);
        ni = nlen < 0 || tlen < 0 ? NULL
                                  : ntfs_create_symlink(dir, const_cpu_to_le32(0), uname, (u8)nlen,
                                                        utarget, tlen);
        if (!ni)
                r = nt_fail_errno(v, "creating the link", path, err);
        else if (ntfs_inode_close(ni) < 0)
                r = nt_fail_errno(v, "writing", path, err);
        if (ntfs_inode_close(dir) < 0 && r == 0)
                r = nt_fail_errno(v, "writing the folder of", path, err);
        return r;
}

/* A reparse point: tag IO_REPARSE_TAG_SYMLINK gets a relative symbolic
 * link to target (what Windows' mklink makes), any other tag target's
 * bytes as its data. */
static size_t reparse_buffer(uint32_t tag, const char *target, uint8_t *buf, size_t size)
{
        size_t len = strlen(target), data;
        uint8_t *p = buf + 8;

        memset(buf, 0, size);
        if (tag == 0xA000000Cu && 20 + 4 * len <= size) {
                for (size_t k = 0; k < len; k++) {
                        p[12 + 2 * k] = (uint8_t)(target[k] == '/' ? '\\' : target[k]);
                        p[12 + 2 * (len + k)] = p[12 + 2 * k];
                }
                uint16_t hdr[4] = { 0, (uint16_t)(2 * len), (uint16_t)(2 * len),
                                    (uint16_t)(2 * len) };
                memcpy(p, hdr, sizeof(hdr));
                p[8] = 1; /* SYMLINK_FLAG_RELATIVE */
                data = 12 + 4 * len;
        } else {
                data = len < size - 8 ? len : size - 8;
                memcpy(p, target, data);
        }
        memcpy(buf, &tag, 4);
        buf[4] = (uint8_t)data;
        buf[5] = (uint8_t)(data >> 8);
        return 8 + data;
}

int vhive_ntfs_set_reparse(struct vhive_ntfs *v, const char *path, uint32_t tag, const char *target,
                           struct vhive_error *err)
{
        uint8_t buf[1024];
        size_t len = reparse_buffer(tag, target, buf, sizeof(buf));
        ntfs_inode *ni;
        int r;

        nt_quiet();
        r = open_path(v, path, &ni, err);
        if (r < 0)
                return r;
        if (ntfs_set_ntfs_reparse_data(ni, (const char *)buf, len, 0) < 0)
                r = nt_fail_errno(v, "setting a reparse point on", path, err);
        if (ntfs_inode_close(ni) < 0 && r == 0)
                r = nt_fail_errno(v, "writing", path, err);
        return r;
}

/* A new file of size bytes, all of them a hole: nothing allocated. */
int vhive_ntfs_create_sparse(struct vhive_ntfs *v, const char *path, uint64_t size,
                             struct vhive_error *err)
{
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        struct open_file f = { 0 };
        ntfs_inode *ni = NULL;
        u64 dir_ref;
        int r;

        nt_quiet();
        r = nt_resolve_parent(v, path, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = create_at(v, dir_ref, name, S_IFREG, &ni, err);
        if (ni && ntfs_inode_close(ni) < 0 && r == 0)
                r = nt_fail_errno(v, "writing", path, err);
        if (r == 0)
                r = file_open(v, path, &f, err);
        if (r == 0 && ntfs_attr_truncate(f.na, (s64)size) < 0)
                r = nt_fail_errno(v, "growing", path, err);
        file_close(&f);
        return r;
}

/* Another name for the file at path: newpath (a hard link, as ln makes). */
int vhive_ntfs_link(struct vhive_ntfs *v, const char *path, const char *newpath,
                    struct vhive_error *err)
{
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        _cleanup_free_ ntfschar *uname = NULL;
        ntfs_inode *ni = NULL, *dir = NULL;
        u64 dir_ref;
        int len, r;

        nt_quiet();
        r = open_path(v, path, &ni, err);
        if (r == 0)
                r = nt_resolve_parent(v, newpath, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = nt_open_ref(v, dir_ref, &dir, err);
        len = r == 0 ? ntfs_mbstoucs(name, &uname) : -1;
        if (r == 0 && (len < 0 || ntfs_link(ni, dir, uname, (u8)len) < 0))
                r = nt_fail_errno(v, "linking", newpath, err);
        if (ni && ntfs_inode_close(ni) < 0 && r == 0)
                r = nt_fail_errno(v, "writing", path, err);
        if (dir && ntfs_inode_close(dir) < 0 && r == 0)
                r = nt_fail_errno(v, "writing the folder of", newpath, err);
        return r;
}

/* An 8.3 DOS name beside the file's long name, as Windows gives
 * SYSTEM.LOG1 (SYSTEM~1.LOG). */
int vhive_ntfs_set_dos_name(struct vhive_ntfs *v, const char *path, const char *dos,
                            struct vhive_error *err)
{
        char name[NTFS_MAX_NAME_LEN * 4 + 1];
        ntfs_inode *ni = NULL, *dir = NULL;
        u64 dir_ref;
        int r;

        nt_quiet();
        r = nt_resolve_parent(v, path, &dir_ref, name, sizeof(name), err);
        if (r == 0)
                r = nt_open_ref(v, dir_ref, &dir, err);
        if (r == 0)
                r = open_path(v, path, &ni, err);
        if (r < 0) {
                if (dir)
                        ntfs_inode_close(dir);
                return r;
        }
        /* Closes both inodes, whatever it returns. */
        if (ntfs_set_ntfs_dos_name(ni, dir, dos, strlen(dos), 0) < 0)
                r = nt_fail_errno(v, "setting the DOS name of", path, err);
        return r;
}

static int set_inode(struct vhive_ntfs *v, const char *path, uint32_t attrib, int link_count,
                     struct vhive_error *err)
{
        le32 le = cpu_to_le32(attrib);
        ntfs_inode *ni;
        int r;

        nt_quiet();
        r = open_path(v, path, &ni, err);
        if (r < 0)
                return r;
        if (link_count >= 0) {
                ni->mrec->link_count = cpu_to_le16((u16)link_count);
                ntfs_inode_mark_dirty(ni);
        } else if (ntfs_set_ntfs_attrib(ni, (const char *)&le, sizeof(le), 0) < 0) {
                r = nt_fail_errno(v, "setting the attributes of", path, err);
        }
        if (ntfs_inode_close(ni) < 0 && r == 0)
                r = nt_fail_errno(v, "writing", path, err);
        return r;
}

int vhive_ntfs_set_attrib(struct vhive_ntfs *v, const char *path, uint32_t attrib,
                          struct vhive_error *err)
{
        return set_inode(v, path, attrib, -1, err);
}

int vhive_ntfs_set_link_count(struct vhive_ntfs *v, const char *path, unsigned count,
                              struct vhive_error *err)
{
        return set_inode(v, path, 0, (int)(count & 0xffff), err);
}
