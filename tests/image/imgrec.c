/* imgrec.so: an LD_PRELOAD library for qemu-nbd (direct backend) and
 * qemu (appliance, through LIBGUESTFS_HV) that records what reaches the
 * image file: every write with its offset and data, every fdatasync/fsync,
 * fallocate and ftruncate, in the order they complete.  imgcrash then
 * rebuilds the states a power cut could leave (imgcrash.c).
 *
 *   IMGREC_FILE=PATH  the image file (its real path; other files pass)
 *   IMGREC_LOG=LOG    the log, appended to (one run after another)
 *
 * The image's descriptors are found by their /proc/self/fd link, once per
 * descriptor (forgotten at close and at every open): dup'ed or reopened
 * descriptors are caught too.  qemu's thread pool writes concurrently; a
 * record is written once the call returns, under a lock.  A flush covers
 * the writes that had completed when it started: its record says how
 * many.  io_submit (aio=native) and io_uring bypass these calls: the
 * wrappers force aio=threads (qemu-nbd's default), and io_submit on the
 * image is recorded as an error the checker refuses.
 *
 * Record: struct imgrec_head, then len bytes of data for a write. */
/* Both names of each call are defined here (pwrite and pwrite64...): the
 * headers must not rename one into the other. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "imgrec.h"

#define MAX_FD 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char target[PATH_MAX];
static int log_fd = -1;
static signed char known[MAX_FD]; /* 0 unknown, 1 the image, -1 another file */
static uint64_t writes;           /* changes (write, fallocate, truncate) so far */

static void *next(const char *name)
{
        void *f = dlsym(RTLD_NEXT, name);

        if (!f) {
                fprintf(stderr, "imgrec: no %s\n", name);
                abort();
        }
        return f;
}

#define REAL(ret, name, ...)                                                                       \
        static ret (*real_##name)(__VA_ARGS__);                                                    \
        if (!real_##name)                                                                          \
        real_##name = next(#name)

static bool is_image(int fd)
{
        char link[64], path[PATH_MAX];
        ssize_t n;

        if (log_fd < 0 || fd < 0 || fd >= MAX_FD)
                return false;
        if (known[fd])
                return known[fd] > 0;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof(path) - 1);
        path[n > 0 ? n : 0] = '\0';
        known[fd] = n > 0 && strcmp(path, target) == 0 ? 1 : -1;
        return known[fd] > 0;
}

static void forget(int fd)
{
        if (fd >= 0 && fd < MAX_FD)
                known[fd] = 0;
}

static void put(const void *p, size_t len)
{
        const char *c = p;

        while (len) {
                ssize_t n = syscall(SYS_write, log_fd, c, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "imgrec: cannot write the log\n");
                        abort();
                }
                c += n;
                len -= (size_t)n;
        }
}

/* One record; for a write, the data from IOV (N vectors, LEN bytes). */
static void record(uint32_t type, uint64_t off, uint64_t len, uint64_t arg, const struct iovec *iov,
                   int n)
{
        struct imgrec_head h = { IMGREC_MAGIC, type, off, len, arg, 0 };
        int saved = errno;

        pthread_mutex_lock(&lock);
        if (type == IMGREC_WRITE || type == IMGREC_FALLOCATE || type == IMGREC_TRUNCATE) {
                h.reserved = h.arg;
                h.arg = writes++;
        }
        put(&h, sizeof(h));
        for (int i = 0; i < n && len; i++) {
                size_t k = iov[i].iov_len < len ? iov[i].iov_len : len;

                put(iov[i].iov_base, k);
                len -= k;
        }
        pthread_mutex_unlock(&lock);
        errno = saved;
}

static uint64_t writes_so_far(void)
{
        uint64_t w;

        pthread_mutex_lock(&lock);
        w = writes;
        pthread_mutex_unlock(&lock);
        return w;
}

static void written(int fd, ssize_t r, off_t off, const struct iovec *iov, int n)
{
        if (r > 0 && is_image(fd))
                record(IMGREC_WRITE, (uint64_t)off, (uint64_t)r, 0, iov, n);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
        REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
        struct iovec v = { (void *)buf, count };
        ssize_t r = real_pwrite(fd, buf, count, off);

        written(fd, r, off, &v, 1);
        return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
        REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
        struct iovec v = { (void *)buf, count };
        ssize_t r = real_pwrite64(fd, buf, count, off);

        written(fd, r, off, &v, 1);
        return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
        REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t);
        ssize_t r = real_pwritev(fd, iov, n, off);

        written(fd, r, off, iov, n);
        return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
        REAL(ssize_t, pwritev64, int, const struct iovec *, int, off_t);
        ssize_t r = real_pwritev64(fd, iov, n, off);

        written(fd, r, off, iov, n);
        return r;
}

ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
        REAL(ssize_t, pwritev2, int, const struct iovec *, int, off_t, int);
        off_t at = off == -1 && is_image(fd) ? lseek(fd, 0, SEEK_CUR) : off;
        ssize_t r = real_pwritev2(fd, iov, n, off, flags);

        written(fd, r, at, iov, n);
        return r;
}

ssize_t write(int fd, const void *buf, size_t count)
{
        REAL(ssize_t, write, int, const void *, size_t);
        struct iovec v = { (void *)buf, count };
        off_t at = is_image(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
        ssize_t r = real_write(fd, buf, count);

        written(fd, r, at, &v, 1);
        return r;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
        REAL(ssize_t, writev, int, const struct iovec *, int);
        off_t at = is_image(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
        ssize_t r = real_writev(fd, iov, n);

        written(fd, r, at, iov, n);
        return r;
}

static int flushed(int fd, int (*fn)(int), uint32_t type)
{
        bool img = is_image(fd);
        uint64_t covers = img ? writes_so_far() : 0;
        int r = fn(fd);

        if (img && r == 0)
                record(type, 0, 0, covers, NULL, 0);
        return r;
}

int fdatasync(int fd)
{
        REAL(int, fdatasync, int);
        return flushed(fd, real_fdatasync, IMGREC_FDATASYNC);
}

int fsync(int fd)
{
        REAL(int, fsync, int);
        return flushed(fd, real_fsync, IMGREC_FSYNC);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
        REAL(int, fallocate, int, int, off_t, off_t);
        int r = real_fallocate(fd, mode, off, len);

        if (r == 0 && is_image(fd))
                record(IMGREC_FALLOCATE, (uint64_t)off, (uint64_t)len, (uint64_t)mode, NULL, 0);
        return r;
}

int fallocate64(int fd, int mode, off_t off, off_t len)
{
        return fallocate(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
        REAL(int, posix_fallocate, int, off_t, off_t);
        int r = real_posix_fallocate(fd, off, len);

        if (r == 0 && is_image(fd))
                record(IMGREC_FALLOCATE, (uint64_t)off, (uint64_t)len, 0, NULL, 0);
        return r;
}

int ftruncate(int fd, off_t len)
{
        REAL(int, ftruncate, int, off_t);
        int r = real_ftruncate(fd, len);

        if (r == 0 && is_image(fd))
                record(IMGREC_TRUNCATE, (uint64_t)len, 0, 0, NULL, 0);
        return r;
}

int ftruncate64(int fd, off_t len)
{
        return ftruncate(fd, len);
}

/* aio=native would write behind our back: recorded, and imgcrash refuses
 * the log (the wrappers force aio=threads). */
int io_submit(unsigned long ctx, long nr, void **iocbs);
int io_submit(unsigned long ctx, long nr, void **iocbs)
{
        REAL(int, io_submit, unsigned long, long, void **);
        record(IMGREC_UNSUPPORTED, 0, 0, 0, NULL, 0);
        return real_io_submit(ctx, nr, iocbs);
}

int close(int fd)
{
        REAL(int, close, int);
        forget(fd);
        return real_close(fd);
}

static int opened(int fd)
{
        forget(fd);
        return fd;
}

int open(const char *path, int flags, ...)
{
        REAL(int, open, const char *, int, ...);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
        return opened(real_open(path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
        REAL(int, open64, const char *, int, ...);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
        return opened(real_open64(path, flags, mode));
}

int openat(int dir, const char *path, int flags, ...)
{
        REAL(int, openat, int, const char *, int, ...);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
        return opened(real_openat(dir, path, flags, mode));
}

int openat64(int dir, const char *path, int flags, ...)
{
        REAL(int, openat64, int, const char *, int, ...);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
        return opened(real_openat64(dir, path, flags, mode));
}

int dup(int fd)
{
        REAL(int, dup, int);
        return opened(real_dup(fd));
}

int dup2(int fd, int to)
{
        REAL(int, dup2, int, int);
        return opened(real_dup2(fd, to));
}

int dup3(int fd, int to, int flags)
{
        REAL(int, dup3, int, int, int);
        return opened(real_dup3(fd, to, flags));
}

__attribute__((constructor)) static void init(void)
{
        const char *file = getenv("IMGREC_FILE"), *log = getenv("IMGREC_LOG");

        if (!file || !log || !realpath(file, target))
                return;
        log_fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                              0600);
        if (log_fd < 0) {
                fprintf(stderr, "imgrec: %s: %s\n", log, strerror(errno));
                abort();
        }
        record(IMGREC_OPEN, (uint64_t)getpid(), 0, 0, NULL, 0);
}
