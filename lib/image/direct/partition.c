/* MBR and GPT parsing (see partition.h).  Little-endian on-disk fields;
 * every offset and length is checked against the buffer and the disk. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "partition.h"

#define MBR_SIZE 512u
#define MBR_ENTRIES 446u
#define MBR_TYPE_EMPTY 0x00
#define MBR_TYPE_NTFS 0x07
#define MBR_TYPE_PROTECTIVE 0xee
#define GPT_HEADER_MIN 92u
#define GPT_ENTRY_MIN 128u

/* EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 as stored (mixed endian). */
static const uint8_t guid_basic_data[16] = {
        0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44,
        0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
};

uint32_t vhive_crc32(uint32_t crc, const uint8_t *buf, size_t len)
{
        crc = ~crc;
        for (size_t i = 0; i < len; i++) {
                crc ^= buf[i];
                for (int k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
        }
        return ~crc;
}

bool vhive_is_ntfs_boot_sector(const uint8_t *buf, size_t len)
{
        return len >= MBR_SIZE && memcmp(buf + 3, "NTFS    ", 8) == 0 && buf[510] == 0x55 &&
               buf[511] == 0xaa;
}

static void add_part(struct vhive_ptable *pt, unsigned number, uint64_t offset, uint64_t size,
                     const char *what)
{
        struct vhive_partition *p = &pt->parts[pt->n++];

        memset(p, 0, sizeof(*p));
        p->number = number;
        p->offset = offset;
        p->size = size;
        if (number)
                snprintf(p->desc, sizeof(p->desc), "%s partition %u", what, number);
        else
                snprintf(p->desc, sizeof(p->desc), "whole disk");
}

/* An MBR has only 0x00/0x80 status bytes; anything else is boot code. */
static bool mbr_plausible(const uint8_t *s)
{
        for (unsigned i = 0; i < 4; i++) {
                uint8_t status = s[MBR_ENTRIES + 16 * i];

                if (status != 0x00 && status != 0x80)
                        return false;
        }
        return true;
}

static int mbr_entry(const uint8_t *e, unsigned number, uint64_t sectors, struct vhive_ptable *pt,
                     struct vhive_error *err)
{
        uint8_t type = e[4];
        uint64_t start = vhive_le32(e + 8), count = vhive_le32(e + 12);

        if (type == MBR_TYPE_EMPTY || count == 0)
                return 0;
        if (start == 0)
                return vhive_fail(err, EINVAL, "MBR partition %u starts at sector 0", number);
        if (start + count > sectors)
                return vhive_fail(err, EINVAL,
                                  "MBR partition %u (sectors %llu-%llu) ends past the end "
                                  "of the disk (%llu sectors)",
                                  number, (unsigned long long)start,
                                  (unsigned long long)(start + count - 1),
                                  (unsigned long long)sectors);
        add_part(pt, number, start * MBR_SIZE, count * MBR_SIZE, "MBR");
        pt->parts[pt->n - 1].mbr_type = type;
        pt->parts[pt->n - 1].basic_data = type == MBR_TYPE_NTFS;
        return 0;
}

int vhive_mbr_parse(const uint8_t *s, size_t len, uint64_t disk_size, struct vhive_ptable *pt,
                    struct vhive_error *err)
{
        uint64_t sectors = disk_size / MBR_SIZE;
        int r;

        memset(pt, 0, sizeof(*pt));
        pt->sector_size = MBR_SIZE;
        if (len < MBR_SIZE)
                return vhive_fail(err, EINVAL, "no partition table: disk shorter than a sector");
        if (vhive_is_ntfs_boot_sector(s, len)) {
                pt->kind = VHIVE_PTABLE_NONE;
                add_part(pt, 0, 0, disk_size, NULL);
                return 0;
        }
        if (s[510] != 0x55 || s[511] != 0xaa || !mbr_plausible(s))
                return vhive_fail(err, EINVAL,
                                  "no partition table: sector 0 holds neither an MBR nor "
                                  "an NTFS boot sector");
        for (unsigned i = 0; i < 4; i++)
                if (s[MBR_ENTRIES + 16 * i + 4] == MBR_TYPE_PROTECTIVE) {
                        pt->kind = VHIVE_PTABLE_GPT;
                        return 0;
                }
        pt->kind = VHIVE_PTABLE_MBR;
        for (unsigned i = 0; i < 4; i++) {
                r = mbr_entry(s + MBR_ENTRIES + 16 * i, i + 1, sectors, pt, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int gpt_header_crc(const uint8_t *buf, uint32_t hsize, struct vhive_error *err)
{
        uint8_t tmp[4096];
        uint32_t stored = vhive_le32(buf + 16), computed;

        memcpy(tmp, buf, hsize);
        memset(tmp + 16, 0, 4);
        computed = vhive_crc32(0, tmp, hsize);
        if (computed != stored)
                return vhive_fail(err, EINVAL,
                                  "GPT header CRC mismatch (stored %08x, computed %08x): "
                                  "the partition table is damaged",
                                  stored, computed);
        return 0;
}

static int gpt_header_fields(const uint8_t *buf, uint32_t ss, uint64_t sectors,
                             struct vhive_gpt_header *h, struct vhive_error *err)
{
        uint64_t array;

        h->sector_size = ss;
        h->my_lba = vhive_le64(buf + 24);
        h->alternate_lba = vhive_le64(buf + 32);
        h->first_usable = vhive_le64(buf + 40);
        h->last_usable = vhive_le64(buf + 48);
        h->entries_lba = vhive_le64(buf + 72);
        h->n_entries = vhive_le32(buf + 80);
        h->entry_size = vhive_le32(buf + 84);
        h->entries_crc = vhive_le32(buf + 88);
        if (h->my_lba != 1)
                return vhive_fail(err, EINVAL, "GPT header: my LBA is %llu, not 1",
                                  (unsigned long long)h->my_lba);
        if (h->first_usable > h->last_usable || h->last_usable >= sectors)
                return vhive_fail(err, EINVAL,
                                  "GPT header: usable sectors %llu-%llu lie outside the disk "
                                  "(%llu sectors)",
                                  (unsigned long long)h->first_usable,
                                  (unsigned long long)h->last_usable, (unsigned long long)sectors);
        if (h->entry_size < GPT_ENTRY_MIN || h->entry_size % GPT_ENTRY_MIN || h->n_entries == 0 ||
            (uint64_t)h->n_entries * h->entry_size > VHIVE_GPT_MAX_ENTRIES_BYTES)
                return vhive_fail(err, EINVAL, "GPT header: %u entries of %u bytes", h->n_entries,
                                  h->entry_size);
        array = ((uint64_t)h->n_entries * h->entry_size + ss - 1) / ss;
        if (h->entries_lba < 2 || h->entries_lba >= sectors || array > sectors - h->entries_lba)
                return vhive_fail(err, EINVAL,
                                  "GPT header: the partition entries (LBA %llu) lie past the "
                                  "end of the disk",
                                  (unsigned long long)h->entries_lba);
        return 0;
}

int vhive_gpt_parse_header(const uint8_t *buf, size_t len, uint32_t ss, uint64_t disk_size,
                           struct vhive_gpt_header *h, struct vhive_error *err)
{
        uint32_t hsize;
        int r;

        memset(h, 0, sizeof(*h));
        if ((ss != 512 && ss != 4096) || len < ss)
                return vhive_fail(err, EINVAL, "GPT header: short read");
        if (memcmp(buf, "EFI PART", 8) != 0)
                return vhive_fail(err, EINVAL,
                                  "protective MBR but no GPT header (\"EFI PART\") at LBA 1");
        hsize = vhive_le32(buf + 12);
        if (hsize < GPT_HEADER_MIN || hsize > ss)
                return vhive_fail(err, EINVAL, "GPT header: size %u is invalid", hsize);
        r = gpt_header_crc(buf, hsize, err);
        if (r < 0)
                return r;
        return gpt_header_fields(buf, ss, disk_size / ss, h, err);
}

static int gpt_entry(const struct vhive_gpt_header *h, const uint8_t *e, unsigned number,
                     uint64_t sectors, struct vhive_ptable *pt, struct vhive_error *err)
{
        static const uint8_t zero[16];
        uint64_t first = vhive_le64(e + 32), last = vhive_le64(e + 40);

        if (memcmp(e, zero, 16) == 0)
                return 0;
        if (first > last || first == 0)
                return vhive_fail(err, EINVAL, "GPT partition %u: sectors %llu-%llu are invalid",
                                  number, (unsigned long long)first, (unsigned long long)last);
        if (last >= sectors)
                return vhive_fail(err, EINVAL,
                                  "GPT partition %u (sectors %llu-%llu) ends past the end of "
                                  "the disk (%llu sectors)",
                                  number, (unsigned long long)first, (unsigned long long)last,
                                  (unsigned long long)sectors);
        if (pt->n == VHIVE_MAX_PARTITIONS)
                return vhive_fail(err, EINVAL, "GPT: more than %u partitions",
                                  VHIVE_MAX_PARTITIONS);
        add_part(pt, number, first * h->sector_size, (last - first + 1) * h->sector_size, "GPT");
        pt->parts[pt->n - 1].basic_data = memcmp(e, guid_basic_data, 16) == 0;
        return 0;
}

int vhive_gpt_parse_entries(const struct vhive_gpt_header *h, const uint8_t *buf, size_t len,
                            uint64_t disk_size, struct vhive_ptable *pt, struct vhive_error *err)
{
        size_t array = (size_t)h->n_entries * h->entry_size;
        uint32_t crc;
        int r;

        pt->n = 0;
        pt->kind = VHIVE_PTABLE_GPT;
        pt->sector_size = h->sector_size;
        if (h->sector_size == 0 || len < array)
                return vhive_fail(err, EINVAL, "GPT partition entries: short read");
        crc = vhive_crc32(0, buf, array);
        if (crc != h->entries_crc)
                return vhive_fail(err, EINVAL,
                                  "GPT partition entries CRC mismatch (stored %08x, computed "
                                  "%08x): the partition table is damaged",
                                  h->entries_crc, crc);
        for (uint32_t i = 0; i < h->n_entries; i++) {
                r = gpt_entry(h, buf + (size_t)i * h->entry_size, i + 1, disk_size / h->sector_size,
                              pt, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_gpt(vhive_read_fn rd, void *ctx, uint64_t disk_size, struct vhive_ptable *pt,
                    struct vhive_error *err)
{
        static const uint32_t sizes[] = { 512, 4096 };
        struct vhive_gpt_header h;
        uint8_t hdr[4096];
        _cleanup_free_ uint8_t *array = NULL;
        bool found = false;
        size_t len;
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(sizes) && !found; i++) {
                if (disk_size < 2 * (uint64_t)sizes[i])
                        break;
                r = rd(ctx, hdr, sizes[i], sizes[i], err);
                if (r < 0)
                        return r;
                if (memcmp(hdr, "EFI PART", 8) != 0)
                        continue;
                r = vhive_gpt_parse_header(hdr, sizes[i], sizes[i], disk_size, &h, err);
                if (r < 0)
                        return r;
                found = true;
        }
        if (!found)
                return vhive_fail(err, EINVAL,
                                  "protective MBR but no GPT header (\"EFI PART\") at LBA 1");
        len = (size_t)h.n_entries * h.entry_size;
        array = malloc(len);
        if (!array)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = rd(ctx, array, len, h.entries_lba * h.sector_size, err);
        if (r < 0)
                return r;
        return vhive_gpt_parse_entries(&h, array, len, disk_size, pt, err);
}

int vhive_ptable_read(vhive_read_fn rd, void *ctx, uint64_t disk_size, struct vhive_ptable *pt,
                      struct vhive_error *err)
{
        uint8_t s0[MBR_SIZE];
        int r;

        memset(pt, 0, sizeof(*pt));
        if (disk_size < MBR_SIZE)
                return vhive_fail(err, EINVAL, "no partition table: the disk is %llu bytes",
                                  (unsigned long long)disk_size);
        r = rd(ctx, s0, sizeof(s0), 0, err);
        if (r < 0)
                return r;
        r = vhive_mbr_parse(s0, sizeof(s0), disk_size, pt, err);
        if (r < 0 || pt->kind != VHIVE_PTABLE_GPT)
                return r;
        return read_gpt(rd, ctx, disk_size, pt, err);
}

struct mem_disk {
        const uint8_t *head;
        size_t len;
};

static int mem_read(void *ctx, void *buf, size_t count, uint64_t offset, struct vhive_error *err)
{
        const struct mem_disk *m = ctx;

        if (offset > m->len || count > m->len - offset)
                return vhive_fail(err, EIO, "read of %zu bytes at %llu past the buffer", count,
                                  (unsigned long long)offset);
        memcpy(buf, m->head + offset, count);
        return 0;
}

int vhive_ptable_parse(const uint8_t *head, size_t len, uint64_t disk_size, struct vhive_ptable *pt,
                       struct vhive_error *err)
{
        struct mem_disk m = { head, len };

        return vhive_ptable_read(mem_read, &m, disk_size, pt, err);
}
