/* Fuzz target: target-kind and image-format detection (VHD footer, VHDX
 * region and metadata tables) on a sparse memfd laid out from the input.
 *
 * Input: byte 0 flags, bytes 1-2, 3-4, 5-6 the lengths of parts A, B, C
 * (little-endian, clipped), then A, B, C and the rest D:
 *   A at offset 0 (the head: "vhdxfile", "QFI\xfb", "conectix"...)
 *   B at 192 KiB, the first VHDX region table (at 256 KiB, the second,
 *     when flag bit 2 is set), padded to 64 KiB; bit 0 recomputes its
 *     CRC-32C so that mutations get past it
 *   C at 3 MiB (where qemu-img puts the VHDX metadata region)
 *   D at the end of the file, after everything else (a VHD footer)
 * Flag bit 1 leaves D out of the tail and writes it right after A.
 * Empty parts are not written, so a short input stays a short file. */
#include <stdint.h>
#include <sys/stat.h>

#include "fuzz-common.h"
#include "image.h"
#include "macro.h"

#define REGION1 (192u * 1024)
#define REGION2 (256u * 1024)
#define REGION_SIZE (64u * 1024)
#define METADATA (3u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t region[REGION_SIZE];
        struct vhive_image_info info;
        enum vhive_target_kind kind;
        struct vhive_error err;
        size_t la, lb, lc, ld;
        uint64_t end;
        uint8_t flags;
        char path[64];
        int fd;

        if (size < 7)
                return 0;
        flags = data[0];
        la = fuzz_le16(data + 1);
        lb = fuzz_le16(data + 3);
        lc = fuzz_le16(data + 5);
        data += 7;
        size -= 7;
        la = la > size ? size : la;
        lb = lb > size - la ? size - la : lb;
        lc = lc > size - la - lb ? size - la - lb : lc;
        ld = size - la - lb - lc;

        fd = fuzz_memfd(data, la, path);
        end = la;
        if (lb) {
                uint32_t at = flags & 4 ? REGION2 : REGION1;

                memset(region, 0, sizeof(region));
                memcpy(region, data + la, lb > REGION_SIZE ? REGION_SIZE : lb);
                if (flags & 1) {
                        memset(region + 4, 0, 4);
                        vhive_put_le32(region + 4, vhive_crc32c(region, REGION_SIZE));
                }
                fuzz_pwrite(fd, region, REGION_SIZE, at);
                end = at + REGION_SIZE;
        }
        if (lc) {
                fuzz_pwrite(fd, data + la + lb, lc, METADATA);
                end = METADATA + lc;
        }
        if (ld)
                fuzz_pwrite(fd, data + la + lb + lc, ld, flags & 2 ? (off_t)la : (off_t)end);

        if (vhive_target_kind(path, &kind, &err) < 0)
                abort(); /* a regular, readable file */
        if (vhive_image_detect(path, &info, &err) == 0) {
                if (!memchr(info.format, 0, sizeof(info.format)) ||
                    !memchr(info.label, 0, sizeof(info.label)))
                        abort();
                (void)vhive_image_refusals(path, &info, false, false, &err);
        }
        close(fd);
        return 0;
}
