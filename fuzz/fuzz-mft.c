/* Fuzz target: the appliance's MFT record parser (lib/image/appliance/
 * mft-record.c), which reads an untrusted image's bytes on the host.
 *
 * Input: the first 512 bytes a boot sector, the rest one MFT record (its
 * size rounded down to a multiple of 512); byte 0x1ff of the boot sector,
 * unused by NTFS, picks the record number asked for.  Flag 0x40 of byte
 * 0x1fe writes the record's update sequence right before parsing, so that
 * mutations get past the torn-record check.  Whatever the parser answers
 * must be a run list contiguous from VCN 0, inside its bounds, and a
 * record offset must lie where the runs say. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/mft-record.h"

static void fix_usa(uint8_t *rec, size_t len)
{
        size_t ofs = rec[4] | rec[5] << 8;

        if (len < 48 || ofs % 2 || ofs + 2 * (len / 512 + 1) > 512)
                return;
        rec[6] = (uint8_t)(len / 512 + 1), rec[7] = 0;
        for (size_t k = 1; k <= len / 512; k++) {
                memcpy(rec + ofs + 2 * k, rec + k * 512 - 2, 2);
                memcpy(rec + k * 512 - 2, rec + ofs, 2);
        }
}

static void check_runs(const struct mft_data *d)
{
        uint64_t vcn = 0;

        if (d->n > MFT_MAX_RUNS)
                abort();
        for (size_t k = 0; k < d->n; k++) {
                if (d->runs[k].vcn != vcn || d->runs[k].len == 0)
                        abort();
                vcn += d->runs[k].len;
        }
}

/* The record at off lies whole inside one run's clusters. */
static bool inside_a_run(const struct mft_geometry *g, const struct mft_data *d, uint64_t off)
{
        for (size_t k = 0; k < d->n; k++) {
                unsigned __int128 start = (unsigned __int128)d->runs[k].lcn * g->cluster;
                unsigned __int128 end = start + (unsigned __int128)d->runs[k].len * g->cluster;

                if (off >= start && (unsigned __int128)off + g->record_size <= end)
                        return true;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct mft_data d;
        struct mft_geometry g;
        uint8_t rec[8192];
        size_t len;
        uint64_t off;

        if (size < 512 + 512)
                return 0;
        len = (size - 512) / 512 * 512;
        if (len > sizeof(rec))
                len = sizeof(rec);
        memcpy(rec, data + 512, len);
        if (data[0x1fe] & 0x40)
                fix_usa(rec, len);
        if (mft_fixup(rec, len) < 0 || mft_data(rec, len, data[0x1ff], &d) < 0)
                return 0; /* the caller uses nothing of a record refused */
        check_runs(&d);
        if (mft_geometry(data, 512, &g) == 0 && mft_record_offset(&g, &d, data[0x1ff], &off) == 0 &&
            !inside_a_run(&g, &d, off))
                abort();
        return 0;
}
