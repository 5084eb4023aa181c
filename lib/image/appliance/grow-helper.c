/* vhive-ntfs-grow DEVICE PATH SIZE: grows PATH, a file of the NTFS volume
 * on DEVICE (a partition), to SIZE bytes, allocated and zero-filled, with
 * the direct backend's NTFS code (direct/ntfs-files.c, record-write.c): no
 * MFT record a power cut can tear, the folder's index left as it was, the
 * cluster bitmap flushed before the record that names its clusters.
 *
 * It runs inside the libguestfs appliance (appliance-grow.c uploads it),
 * where the appliance's ntfs-3g would grow the file with records torn by a
 * power cut, and a record that can reach the disk before the bitmap: the
 * image's NTFS is parsed in the appliance, as every other access of the
 * appliance backend does.  Built without sanitizers: the appliance has the
 * host's libntfs-3g and libc, not its sanitizer runtimes.
 *
 * Exit 0 when grown and flushed (fsync of the device: a FLUSH to that disk
 * alone), 1 with a message on stderr, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "ntfs-device.h"

/* Whole transfers, retried where short. */
static int fd_io(int fd, bool writing, uint8_t *buf, size_t count, uint64_t offset,
                 struct vhive_error *err)
{
        while (count > 0) {
                ssize_t n = writing ? pwrite(fd, buf, count, (off_t)offset)
                                    : pread(fd, buf, count, (off_t)offset);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return vhive_fail(err, n < 0 ? errno : EIO, "%s the device: %s",
                                          writing ? "writing" : "reading",
                                          n < 0 ? strerror(errno) : "short transfer");
                buf += n;
                count -= (size_t)n;
                offset += (uint64_t)n;
        }
        return 0;
}

static int fd_pread(void *ctx, void *buf, size_t count, uint64_t offset, struct vhive_error *err)
{
        return fd_io(*(int *)ctx, false, buf, count, offset, err);
}

static int fd_pwrite(void *ctx, const void *buf, size_t count, uint64_t offset,
                     struct vhive_error *err)
{
        return fd_io(*(int *)ctx, true, (uint8_t *)buf, count, offset, err);
}

/* fsync of a block device writes its dirty pages, then sends the disk a
 * FLUSH, on which qemu fdatasyncs the image file. */
static int fd_flush(void *ctx, struct vhive_error *err)
{
        if (fsync(*(int *)ctx) < 0)
                return vhive_fail(err, errno, "flushing the device: %s", strerror(errno));
        return 0;
}

static int device_size(int fd, uint64_t *size)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -1;
        if (S_ISBLK(st.st_mode))
                return ioctl(fd, BLKGETSIZE64, size);
        *size = (uint64_t)st.st_size;
        return 0;
}

static int grow(int fd, const char *device, const char *path, uint64_t size,
                struct vhive_error *err)
{
        struct vhive_blockio io = {
                .ctx = &fd, .pread = fd_pread, .pwrite = fd_pwrite, .flush = fd_flush
        };
        struct vhive_ntfs *v = NULL;
        struct vhive_file *f = NULL;
        struct vhive_error e2;
        int r;

        if (device_size(fd, &io.size) < 0)
                return vhive_fail(err, errno, "%s: its size: %s", device, strerror(errno));
        r = vhive_ntfs_mount(&v, &io, 0, io.size, false, device, err);
        if (r == 0)
                r = vhive_ntfs_open_file(v, path, true, &f, err);
        if (r == 0)
                r = f->ops->extend(f, size, err);
        if (f)
                vhive_ntfs_close_file(f);
        if (v && vhive_ntfs_umount(v, &e2) < 0 && r == 0) {
                *err = e2;
                r = -e2.errnum;
        }
        return r;
}

int main(int argc, char **argv)
{
        struct vhive_error err = { 0 };
        char *end = NULL;
        uint64_t size;
        int fd;

        if (argc != 4 || (size = strtoull(argv[3], &end, 10), !*argv[3] || *end)) {
                fprintf(stderr, "usage: vhive-ntfs-grow DEVICE PATH SIZE\n");
                return 2;
        }
        fd = open(argv[1], O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "vhive-ntfs-grow: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        if (grow(fd, argv[1], argv[2], size, &err) < 0) {
                fprintf(stderr, "vhive-ntfs-grow: %s\n", err.msg);
                close(fd);
                return 1;
        }
        return close(fd) < 0 ? 1 : 0;
}
