/* File helpers for the write path: read whole, copy for backup, fsync,
 * rename into place.  Every step's result is checked. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "safe-file.h"

static int read_file(const char *path, int flags, uint8_t **data, size_t *len,
                     struct vhive_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags);
        struct stat st;
        uint8_t *buf;
        size_t done = 0;

        if (fd < 0 && errno == ELOOP && (flags & O_NOFOLLOW))
                return vhive_fail(err, ELOOP,
                                  "%s is a symbolic link, which vhive does not "
                                  "follow for a hive or its transaction logs",
                                  path);
        if (fd < 0)
                return vhive_fail(err, errno, "cannot open %s: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return vhive_fail(err, errno, "cannot stat %s: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return vhive_fail(err, EINVAL, "%s is not a regular file", path);
        buf = malloc(st.st_size ? (size_t)st.st_size : 1);
        if (!buf)
                return vhive_fail(err, ENOMEM, "out of memory reading %s", path);
        vhive_huge_hint(buf, (size_t)st.st_size);
        while (done < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + done, st.st_size - done);

                if (n <= 0) {
                        free(buf);
                        return vhive_fail(err, n < 0 ? errno : EIO, "reading %s: %s", path,
                                          n < 0 ? strerror(errno) : "file shrank");
                }
                done += n;
        }
        *data = buf;
        *len = done;
        return 0;
}

int vhive_read_file(const char *path, uint8_t **data, size_t *len, struct vhive_error *err)
{
        return read_file(path, 0, data, len, err);
}

int vhive_read_file_nofollow(const char *path, uint8_t **data, size_t *len, struct vhive_error *err)
{
        return read_file(path, O_NOFOLLOW, data, len, err);
}

int vhive_write_all(int fd, const void *data, size_t len)
{
        const uint8_t *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= n;
        }
        return 0;
}

static int sync_dir(const char *dir, struct vhive_error *err)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fsync(fd) < 0)
                return vhive_fail(err, errno, "syncing %s: %s", dir, strerror(errno));
        return 0;
}

int vhive_fsync_dir_of(const char *path, struct vhive_error *err)
{
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return vhive_fail(err, ENOMEM, "out of memory");
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return vhive_fail(err, errno, "syncing the folder of %s: %s", path,
                                  strerror(errno));
        return 0;
}

/* Writes data to a new file, fsync'd; never replaces an existing one. */
static int write_new_file(const char *path, const uint8_t *data, size_t len, mode_t mode,
                          struct vhive_error *err)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        int r;

        if (fd < 0)
                return vhive_fail(err, errno, "cannot create %s: %s", path, strerror(errno));
        r = vhive_write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                unlink(path);
                return vhive_fail(err, -r, "writing %s: %s", path, strerror(-r));
        }
        return 0;
}

static int mkdir_p(const char *dir, struct vhive_error *err)
{
        _cleanup_free_ char *copy = strdup(dir);

        if (!copy)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                        return vhive_fail(err, errno, "cannot create %s: %s", copy,
                                          strerror(errno));
                *p = '/';
        }
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                return vhive_fail(err, errno, "cannot create backup folder %s: %s", copy,
                                  strerror(errno));
        return 0;
}

static bool any_exists(const char *dir, const char *const *files, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *copy = files[i] ? strdup(files[i]) : NULL, *path = NULL;

                if (copy && asprintf(&path, "%s/%s", dir, basename(copy)) >= 0 &&
                    access(path, F_OK) == 0)
                        return true;
        }
        return false;
}

/* An earlier backup is never overwritten: a second run that writes again
 * keeps its originals in DIR/2, then DIR/3... */
static int pick_backup_dir(const char *dir, const char *const *files, size_t n, char **out,
                           struct vhive_error *err)
{
        for (unsigned k = 1; k < 10000; k++) {
                int r;

                free(*out);
                *out = NULL;
                if ((k == 1 ? asprintf(out, "%s", dir) : asprintf(out, "%s/%u", dir, k)) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
                r = mkdir_p(*out, err);
                if (r < 0)
                        return r;
                if (!any_exists(*out, files, n))
                        return 0;
        }
        return vhive_fail(err, EEXIST, "backup folder %s is full", dir);
}

static int copy_into(const char *src, const char *dir, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ char *copy = strdup(src), *dest = NULL;
        size_t len;
        int r;

        if (!copy || asprintf(&dest, "%s/%s", dir, basename(copy)) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = vhive_read_file(src, &data, &len, err);
        return r < 0 ? r : write_new_file(dest, data, len, 0600, err);
}

/* Two images of one name in a batch split over two appliances (image-job.c)
 * are backed up by two threads: the pick and the copies that claim the
 * folder go one at a time, else both could pick DIR/NAME. */
static pthread_mutex_t backup_lock = PTHREAD_MUTEX_INITIALIZER;

int vhive_backup_files(const char *const *files, size_t n, const char *dir, struct vhive_error *err)
{
        _cleanup_free_ char *target = NULL;
        int r;

        pthread_mutex_lock(&backup_lock);
        r = pick_backup_dir(dir, files, n, &target, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (files[i])
                        r = copy_into(files[i], target, err);
        pthread_mutex_unlock(&backup_lock);
        if (r == 0)
                r = sync_dir(target, err);
        return r;
}
