/* imgrec.so: an LD_PRELOAD library for qemu-nbd (direct backend) and
 * qemu (appliance, through LIBGUESTFS_HV) that records what reaches the
 * image file: every write with its offset and data, every fdatasync/fsync,
 * fallocate and ftruncate, in the order they complete.  imgcrash then
 * rebuilds the states a power cut could leave (imgcrash.c).
 *
 *   IMGREC_FILE=PATH[:PATH...]  the image files (other files pass)
 *   IMGREC_LOG=LOG[:LOG...]     one log for each, appended to (one run
 *                               after another)
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
#define MAX_IMG 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char targets[MAX_IMG][PATH_MAX];
static int log_fds[MAX_IMG], nimg;
static signed char known[MAX_FD]; /* 0 unknown, image k + 1, -1 another file */
static uint64_t writes[MAX_IMG];  /* changes (write, fallocate, truncate) so far */

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

/* Which image fd is: k + 1, or 0 for another file. */
static int image_of(int fd)
{
        char link[64], path[PATH_MAX];
        ssize_t n;

        if (!nimg || fd < 0 || fd >= MAX_FD)
                return 0;
        if (known[fd])
                return known[fd] > 0 ? known[fd] : 0;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof(path) - 1);
        path[n > 0 ? n : 0] = '\0';
        known[fd] = -1;
        for (int k = 0; k < nimg && n > 0; k++)
                if (strcmp(path, targets[k]) == 0)
                        known[fd] = (signed char)(k + 1);
        return known[fd] > 0 ? known[fd] : 0;
}

static void forget(int fd)
{
        if (fd >= 0 && fd < MAX_FD)
                known[fd] = 0;
}

static void put(int log_fd, const void *p, size_t len)
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

/* One record in image IMG's log (IMG: image_of's k + 1); for a write, the
 * data from IOV (N vectors, LEN bytes). */
static void record(int img, uint32_t type, uint64_t off, uint64_t len, uint64_t arg,
                   const struct iovec *iov, int n)
{
        struct imgrec_head h = { IMGREC_MAGIC, type, off, len, arg, 0 };
        int saved = errno, fd = log_fds[img - 1];

        pthread_mutex_lock(&lock);
        if (type == IMGREC_WRITE || type == IMGREC_FALLOCATE || type == IMGREC_TRUNCATE) {
                h.reserved = h.arg;
                h.arg = writes[img - 1]++;
        }
        put(fd, &h, sizeof(h));
        for (int i = 0; i < n && len; i++) {
                size_t k = iov[i].iov_len < len ? iov[i].iov_len : len;

                put(fd, iov[i].iov_base, k);
                len -= k;
        }
        pthread_mutex_unlock(&lock);
        errno = saved;
}

static uint64_t writes_so_far(int img)
{
        uint64_t w;

        pthread_mutex_lock(&lock);
        w = writes[img - 1];
        pthread_mutex_unlock(&lock);
        return w;
}

static void written(int fd, ssize_t r, off_t off, const struct iovec *iov, int n)
{
        int img = r > 0 ? image_of(fd) : 0;

        if (img)
                record(img, IMGREC_WRITE, (uint64_t)off, (uint64_t)r, 0, iov, n);
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
        off_t at = off == -1 && image_of(fd) ? lseek(fd, 0, SEEK_CUR) : off;
        ssize_t r = real_pwritev2(fd, iov, n, off, flags);

        written(fd, r, at, iov, n);
        return r;
}

ssize_t write(int fd, const void *buf, size_t count)
{
        REAL(ssize_t, write, int, const void *, size_t);
        struct iovec v = { (void *)buf, count };
        off_t at = image_of(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
        ssize_t r = real_write(fd, buf, count);

        written(fd, r, at, &v, 1);
        return r;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
        REAL(ssize_t, writev, int, const struct iovec *, int);
        off_t at = image_of(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
        ssize_t r = real_writev(fd, iov, n);

        written(fd, r, at, iov, n);
        return r;
}

static int flushed(int fd, int (*fn)(int), uint32_t type)
{
        int img = image_of(fd);
        uint64_t covers = img ? writes_so_far(img) : 0;
        int r = fn(fd);

        if (img && r == 0)
                record(img, type, 0, 0, covers, NULL, 0);
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

        int img = r == 0 ? image_of(fd) : 0;

        if (img)
                record(img, IMGREC_FALLOCATE, (uint64_t)off, (uint64_t)len, (uint64_t)mode, NULL,
                       0);
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

        int img = r == 0 ? image_of(fd) : 0;

        if (img)
                record(img, IMGREC_FALLOCATE, (uint64_t)off, (uint64_t)len, 0, NULL, 0);
        return r;
}

int ftruncate(int fd, off_t len)
{
        REAL(int, ftruncate, int, off_t);
        int r = real_ftruncate(fd, len);

        int img = r == 0 ? image_of(fd) : 0;

        if (img)
                record(img, IMGREC_TRUNCATE, (uint64_t)len, 0, 0, NULL, 0);
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
        for (int k = 1; k <= nimg; k++)
                record(k, IMGREC_UNSUPPORTED, 0, 0, 0, NULL, 0);
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

/* The next PATH of a ':' list into out (size len); NULL at the end. */
static const char *next_item(const char *list, char *out, size_t len)
{
        size_t n = strcspn(list, ":");

        if (!*list)
                return NULL;
        snprintf(out, len, "%.*s", (int)n, list);
        return list[n] ? list + n + 1 : list + n;
}

__attribute__((constructor)) static void init(void)
{
        const char *files = getenv("IMGREC_FILE"), *logs = getenv("IMGREC_LOG");
        char file[PATH_MAX], log[PATH_MAX];

        while (files && logs && nimg < MAX_IMG && (files = next_item(files, file, sizeof(file))) &&
               (logs = next_item(logs, log, sizeof(log)))) {
                if (!realpath(file, targets[nimg]))
                        continue;
                log_fds[nimg] = (int)syscall(SYS_openat, AT_FDCWD, log,
                                             O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (log_fds[nimg] < 0) {
                        fprintf(stderr, "imgrec: %s: %s\n", log, strerror(errno));
                        abort();
                }
                nimg++;
                record(nimg, IMGREC_OPEN, (uint64_t)getpid(), 0, 0, NULL, 0);
        }
}
