/* Fuzz target: MBR and GPT parsing.
 *
 * Input: byte 0 flags, bytes 1-8 the disk size (little-endian; bit 3 of
 * the flags scales it down to a multiple of 512 below 64 GiB), then the
 * head of the disk.  Flag bit 0 recomputes the GPT header and entry-array
 * CRCs (512-byte sectors, or 4096 with bit 1) before parsing, so that
 * mutations reach the entry checks.  Every partition found must lie
 * inside the disk. */
#include <stdint.h>

#include "fuzz-common.h"
#include "macro.h"
#include "partition.h"

static void fix_gpt(uint8_t *head, size_t len, uint32_t ss)
{
        uint8_t *h = head + ss;
        uint32_t hsize;
        uint64_t lba, bytes;

        if (len < 2 * (size_t)ss || memcmp(h, "EFI PART", 8) != 0)
                return;
        lba = vhive_le64(h + 72);
        bytes = (uint64_t)vhive_le32(h + 80) * vhive_le32(h + 84);
        if (lba < len / ss && bytes <= len - lba * ss)
                vhive_put_le32(h + 88, vhive_crc32(0, head + lba * ss, (size_t)bytes));
        hsize = vhive_le32(h + 12);
        if (hsize >= 92 && hsize <= ss) {
                memset(h + 16, 0, 4);
                vhive_put_le32(h + 16, vhive_crc32(0, h, hsize));
        }
}

static void check(const struct vhive_ptable *pt, uint64_t disk)
{
        if (pt->n > VHIVE_MAX_PARTITIONS)
                abort();
        for (size_t i = 0; i < pt->n; i++)
                if (pt->parts[i].offset > disk || pt->parts[i].size > disk - pt->parts[i].offset)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct vhive_ptable pt;
        struct vhive_gpt_header gh;
        struct vhive_error err;
        uint64_t disk;
        uint8_t flags, *head;

        if (size < 9)
                return 0;
        flags = data[0];
        disk = vhive_le64(data + 1);
        if (flags & 8)
                disk = disk % (64ull << 30) / 512 * 512;
        data += 9;
        size -= 9;
        head = malloc(size ? size : 1);
        if (!head)
                abort();
        memcpy(head, data, size);
        if (flags & 1)
                fix_gpt(head, size, flags & 2 ? 4096 : 512);

        if (vhive_ptable_parse(head, size, disk, &pt, &err) == 0)
                check(&pt, disk);
        /* The pieces on their own, as the direct backend's callers may use them. */
        if (vhive_mbr_parse(head, size, disk, &pt, &err) == 0 && pt.kind == VHIVE_PTABLE_MBR)
                check(&pt, disk);
        for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
                if (size < 2 * (size_t)ss ||
                    vhive_gpt_parse_header(head + ss, size - ss, ss, disk, &gh, &err) < 0)
                        continue;
                uint64_t off = gh.entries_lba * ss;

                if (off < size &&
                    vhive_gpt_parse_entries(&gh, head + off, size - off, disk, &pt, &err) == 0)
                        check(&pt, disk);
        }
        (void)vhive_is_ntfs_boot_sector(head, size);
        free(head);
        return 0;
}
