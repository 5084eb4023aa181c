/* A file's clusters from its NTFS MFT record, parsed from bytes (issue 17).
 *
 * The appliance backend writes a hive's clusters around ntfs-3g
 * (appliance-raw.c); where they are was one ntfsinfo per file, 0.28-0.8 s
 * under TCG.  These functions read the same from three sectors' worth of
 * bytes the caller fetched: the boot sector, $MFT's own record and the
 * file's.  Pure: no I/O, every length checked, so a test can hold them
 * against ntfsinfo on any volume.  Only the simple case is answered, one
 * record holding the whole unnamed $DATA (no attribute list); anything
 * else is -ENOTSUP and the caller goes through ntfs-3g.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct mft_geometry {
        uint64_t cluster;     /* bytes */
        uint64_t record_size; /* bytes of one MFT record */
        uint64_t mft_lcn;     /* $MFT's first cluster */
};

struct mft_run {
        uint64_t vcn, lcn, len; /* clusters */
};

#define MFT_MAX_RUNS 4096

/* A file's unnamed $DATA, non-resident, plain: no hole, not compressed,
 * encrypted or sparse. */
struct mft_data {
        uint64_t data_size, init_size;
        struct mft_run runs[MFT_MAX_RUNS];
        size_t n;
};

/* The volume's geometry from its boot sector (512 bytes). */
int mft_geometry(const uint8_t *boot, size_t len, struct mft_geometry *g);
/* Applies a record's update sequence (its multi-sector fixups) in place;
 * -EIO when the record is not "FILE" or torn (a sector's check bytes do
 * not match), -EINVAL when its header lies. */
int mft_fixup(uint8_t *rec, size_t len);
/* The unnamed $DATA of a fixed-up record of MFT number recno (the record
 * must say it is that record, in use, a base record). */
int mft_data(const uint8_t *rec, size_t len, uint64_t recno, struct mft_data *d);
/* Where record recno lies in the partition, from $MFT's own $DATA; the
 * record must not straddle two runs. */
int mft_record_offset(const struct mft_geometry *g, const struct mft_data *mft, uint64_t recno,
                      uint64_t *offset);
