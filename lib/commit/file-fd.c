/* struct vhive_file over a plain file descriptor: hive files in tests and
 * benchmarks, and the fault-injection wrapper's base. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"

struct fd_file {
        struct vhive_file f;
        int fd;
        char *name;
};

static int fd_of(struct vhive_file *f)
{
        return ((struct fd_file *)f->priv)->fd;
}

static int io_fail(struct vhive_file *f, struct vhive_error *err, int e, const char *what)
{
        return vhive_fail(err, e, "%s %s: %s", what, f->name, strerror(e));
}

static int fd_size(struct vhive_file *f, uint64_t *size, struct vhive_error *err)
{
        struct stat st;

        if (fstat(fd_of(f), &st) < 0)
                return io_fail(f, err, errno, "cannot stat");
        *size = (uint64_t)st.st_size;
        return 0;
}

static int fd_pread(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                    struct vhive_error *err)
{
        uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = pread(fd_of(f), p, len, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return io_fail(f, err, n < 0 ? errno : EIO, "reading");
                p += n;
                off += (uint64_t)n;
                len -= (size_t)n;
        }
        return 0;
}

static int fd_pwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                     struct vhive_error *err)
{
        const uint8_t *p = buf;
        uint64_t size = 0;
        int r = fd_size(f, &size, err);

        if (r < 0)
                return r;
        if (off > size || len > size - off)
                return vhive_fail(err, EFBIG, "writing %s: %zu bytes at %llu pass its end (%llu)",
                                  f->name, len, (unsigned long long)off, (unsigned long long)size);
        while (len > 0) {
                ssize_t n = pwrite(fd_of(f), p, len, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return io_fail(f, err, n < 0 ? errno : EIO, "writing");
                p += n;
                off += (uint64_t)n;
                len -= (size_t)n;
        }
        return 0;
}

static int fd_flush(struct vhive_file *f, struct vhive_error *err)
{
        if (fdatasync(fd_of(f)) < 0)
                return io_fail(f, err, errno, "syncing");
        return 0;
}

static int fd_extend(struct vhive_file *f, uint64_t size, struct vhive_error *err)
{
        uint64_t cur = 0;
        int r = fd_size(f, &cur, err);

        if (r < 0 || size <= cur)
                return r;
        /* Allocated, not sparse: later writes cannot fail for space. */
        r = posix_fallocate(fd_of(f), (off_t)cur, (off_t)(size - cur));
        if (r == EOPNOTSUPP || r == EINVAL)
                r = ftruncate(fd_of(f), (off_t)size) < 0 ? errno : 0;
        if (r)
                return io_fail(f, err, r, "extending");
        /* The new size is metadata: fsync, not fdatasync. */
        if (fsync(fd_of(f)) < 0)
                return io_fail(f, err, errno, "syncing");
        return 0;
}

static const struct vhive_file_ops fd_ops = {
        .size = fd_size,
        .pread = fd_pread,
        .pwrite = fd_pwrite,
        .flush = fd_flush,
        .extend = fd_extend,
};

int vhive_file_from_fd(int fd, const char *name, struct vhive_file **f, struct vhive_error *err)
{
        struct fd_file *ff = calloc(1, sizeof(*ff));

        if (!ff || !(ff->name = strdup(name ? name : "?"))) {
                free(ff);
                return vhive_fail(err, ENOMEM, "out of memory");
        }
        ff->fd = fd;
        ff->f.ops = &fd_ops;
        ff->f.name = ff->name;
        ff->f.priv = ff;
        *f = &ff->f;
        return 0;
}

void vhive_file_free(struct vhive_file *f)
{
        struct fd_file *ff;

        if (!f)
                return;
        ff = f->priv;
        free(ff->name);
        free(ff);
}
