/* Partition tables of a disk image: MBR and GPT, read from the first
 * sectors.  The parsers are pure functions on buffers (fuzzed); a table
 * that points past the end of the disk is an error, never clipped.
 *
 * Numbering follows Linux (and so the appliance's /dev/sdaN): MBR primary
 * entries 1-4, GPT entry index + 1.  An NTFS boot sector at offset 0 is a
 * partitionless disk: one "partition" 0 covering the whole disk.
 * Extended (logical) MBR partitions are not followed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhive.h"

#define VHIVE_MAX_PARTITIONS 128u
#define VHIVE_GPT_MAX_ENTRIES_BYTES (1u << 20)

enum vhive_ptable_kind {
        VHIVE_PTABLE_NONE, /* partitionless: a filesystem at offset 0 */
        VHIVE_PTABLE_MBR,
        VHIVE_PTABLE_GPT,
};

struct vhive_partition {
        unsigned number;  /* 1-based; 0 for the whole disk */
        uint64_t offset;  /* bytes */
        uint64_t size;    /* bytes */
        uint8_t mbr_type; /* MBR only */
        bool basic_data;  /* MBR type 0x07 or GPT basic-data GUID */
        char desc[40];    /* "MBR partition 2", "GPT partition 3", "whole disk" */
};

struct vhive_ptable {
        enum vhive_ptable_kind kind;
        uint32_t sector_size;
        size_t n;
        struct vhive_partition parts[VHIVE_MAX_PARTITIONS];
};

struct vhive_gpt_header {
        uint32_t sector_size;
        uint64_t my_lba, alternate_lba;
        uint64_t first_usable, last_usable;
        uint64_t entries_lba;
        uint32_t n_entries, entry_size;
        uint32_t entries_crc;
};

/* IEEE 802.3 CRC-32 as GPT uses it (crc 0 to start). */
uint32_t vhive_crc32(uint32_t crc, const uint8_t *buf, size_t len);

/* Sector 0 (len >= 512).  Sets pt->kind: NONE for an NTFS boot sector,
 * GPT for a protective MBR (then read the GPT), MBR with its entries.
 * -EINVAL "no partition table" when there is no 0x55AA signature or the
 * entries are not an MBR; -EINVAL when an entry lies past disk_size. */
int vhive_mbr_parse(const uint8_t *sector0, size_t len, uint64_t disk_size, struct vhive_ptable *pt,
                    struct vhive_error *err);

/* The GPT header sector (len >= sector_size): signature, header CRC,
 * my_lba 1, usable range and entry array inside the disk. */
int vhive_gpt_parse_header(const uint8_t *buf, size_t len, uint32_t sector_size, uint64_t disk_size,
                           struct vhive_gpt_header *h, struct vhive_error *err);

/* The entry array (len >= n_entries * entry_size): checks its CRC, fills
 * pt with the used entries; an entry past the end of the disk or with
 * first > last is -EINVAL. */
int vhive_gpt_parse_entries(const struct vhive_gpt_header *h, const uint8_t *buf, size_t len,
                            uint64_t disk_size, struct vhive_ptable *pt, struct vhive_error *err);

/* Reads count bytes at offset; 0 or -errno with err set. */
typedef int (*vhive_read_fn)(void *ctx, void *buf, size_t count, uint64_t offset,
                             struct vhive_error *err);

/* The whole table of a disk of disk_size bytes through rd.  GPT is looked
 * for with 512- then 4096-byte sectors. */
int vhive_ptable_read(vhive_read_fn rd, void *ctx, uint64_t disk_size, struct vhive_ptable *pt,
                      struct vhive_error *err);

/* The same over a buffer holding the first len bytes of the disk (for
 * tests and fuzzing); reads past len are -EIO. */
int vhive_ptable_parse(const uint8_t *head, size_t len, uint64_t disk_size, struct vhive_ptable *pt,
                       struct vhive_error *err);

/* True when the 512-byte boot sector looks like NTFS ("NTFS    " at 3). */
bool vhive_is_ntfs_boot_sector(const uint8_t *buf, size_t len);
