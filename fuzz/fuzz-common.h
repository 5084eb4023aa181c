/* Shared by the libFuzzer targets: inputs as files (memfd), and the
 * checksum fix-ups that let mutations get past CRCs and hashes. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data (at offset 0); *path is "/proc/self/fd/N".
 * -1 when the kernel refuses, which only happens on a broken system. */
static inline int fuzz_memfd(const uint8_t *data, size_t len, char path[64])
{
        int fd = memfd_create("vhive-fuzz", MFD_CLOEXEC);
        size_t done = 0;

        if (fd < 0)
                abort();
        while (done < len) {
                ssize_t n = pwrite(fd, data + done, len - done, (off_t)done);

                if (n <= 0)
                        abort();
                done += (size_t)n;
        }
        snprintf(path, 64, "/proc/self/fd/%d", fd);
        return fd;
}

static inline void fuzz_pwrite(int fd, const uint8_t *data, size_t len, off_t off)
{
        size_t done = 0;

        while (done < len) {
                ssize_t n = pwrite(fd, data + done, len - done, off + (off_t)done);

                if (n <= 0)
                        abort();
                done += (size_t)n;
        }
}

static inline uint16_t fuzz_le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}
