/* A file's clusters from its NTFS MFT record (see mft-record.h).  Offsets
 * are those of the NTFS on-disk format as libntfs-3g's layout.h names
 * them; every field that says where something is, or how long, is checked
 * against the bytes the caller holds before it is used. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "mft-record.h"

#define NTFS_BLOCK 512u   /* the stride of the update sequence, whatever the sector */
#define AT_ATTR_LIST 0x20 /* attribute types */
#define AT_DATA 0x80
#define AT_END 0xffffffffu
#define ATTR_IRREGULAR 0xc0ffu /* compressed (0x00ff), encrypted 0x4000, sparse 0x8000 */
#define NONRES_HEADER 64u      /* a non-resident attribute's header, to its sizes */

/* n little-endian bytes (a mapping pair's fields are 1 to 8 bytes long). */
static uint64_t le(const uint8_t *p, size_t n)
{
        uint64_t v = 0;

        for (size_t k = n; k > 0; k--)
                v = v << 8 | p[k - 1];
        return v;
}

static int64_t le_signed(const uint8_t *p, size_t n)
{
        uint64_t v = le(p, n);

        if (n < 8 && (p[n - 1] & 0x80))
                v |= ~0ull << (8 * n); /* sign-extend */
        return (int64_t)v;
}

static bool power_of_two(uint64_t v)
{
        return v && !(v & (v - 1));
}

int mft_geometry(const uint8_t *boot, size_t len, struct mft_geometry *g)
{
        uint64_t bps, spc;
        int8_t per_record;

        if (len < 512 || memcmp(boot + 3, "NTFS    ", 8) != 0)
                return -ENOTSUP;
        bps = vhive_le16(boot + 0x0b);
        /* From 0x81 on, a power of two: 2^(256 - n), 4096 at most (0xf4). */
        spc = boot[0x0d] <= 0x80 ? boot[0x0d] : boot[0x0d] >= 0xf4 ? 1ull << (256 - boot[0x0d]) : 0;
        if (bps < 256 || bps > 4096 || !power_of_two(bps) || spc == 0 || spc > 4096)
                return -ENOTSUP;
        g->cluster = bps * spc;
        per_record = (int8_t)boot[0x40];
        if (per_record > 0)
                g->record_size = (uint64_t)per_record * g->cluster;
        else if (per_record >= -16 && per_record <= -9)
                g->record_size = 1ull << -per_record;
        else
                return -ENOTSUP;
        if (!power_of_two(g->record_size) || g->record_size < 1024 || g->record_size > 65536)
                return -ENOTSUP;
        g->mft_lcn = vhive_le64(boot + 0x30);
        if (g->mft_lcn == 0 || g->mft_lcn > UINT64_MAX / g->cluster)
                return -ENOTSUP;
        return 0;
}

int mft_fixup(uint8_t *rec, size_t len)
{
        size_t usa_ofs, usa_count;

        if (len < 48 || len % NTFS_BLOCK || memcmp(rec, "FILE", 4) != 0)
                return -EIO;
        usa_ofs = vhive_le16(rec + 4);
        usa_count = vhive_le16(rec + 6);
        if (usa_ofs % 2 || usa_count != len / NTFS_BLOCK + 1 ||
            usa_ofs + 2 * usa_count > NTFS_BLOCK)
                return -EINVAL;
        for (size_t k = 1; k < usa_count; k++) {
                uint8_t *end = rec + k * NTFS_BLOCK - 2;

                if (memcmp(end, rec + usa_ofs, 2) != 0)
                        return -EIO; /* torn: this sector is not of the same write */
                memcpy(end, rec + usa_ofs + 2 * k, 2);
        }
        return 0;
}

/* The mapping pairs of a non-resident attribute, from VCN 0: each a
 * header byte (length's size, offset's size), the run's length, and its
 * LCN as a signed delta from the previous run's; a pair with no offset is
 * a hole, which a plain file has none of. */
static int decode_runs(const uint8_t *p, const uint8_t *end, uint64_t highest_vcn,
                       struct mft_data *d)
{
        uint64_t vcn = 0;
        int64_t lcn = 0;

        while (p < end && *p) {
                size_t lb = *p & 0xf, ob = *p >> 4;
                int64_t len, delta;

                if (lb == 0 || lb > 8 || ob > 8 || (size_t)(end - p) < 1 + lb + ob)
                        return -EINVAL;
                if (ob == 0)
                        return -ENOTSUP;
                len = le_signed(p + 1, lb);
                delta = le_signed(p + 1 + lb, ob);
                if (len <= 0 || __builtin_add_overflow(lcn, delta, &lcn) || lcn < 0 ||
                    d->n == MFT_MAX_RUNS)
                        return -EINVAL;
                d->runs[d->n++] = (struct mft_run){ vcn, (uint64_t)lcn, (uint64_t)len };
                if (__builtin_add_overflow(vcn, (uint64_t)len, &vcn))
                        return -EINVAL;
                p += 1 + lb + ob;
        }
        return p < end && vcn > 0 && vcn - 1 == highest_vcn ? 0 : -EINVAL;
}

static int data_attribute(const uint8_t *a, size_t alen, struct mft_data *d)
{
        size_t mp;

        if (a[8] == 0 || vhive_le16(a + 12) & ATTR_IRREGULAR)
                return -ENOTSUP; /* resident (an empty log), or not plain */
        if (alen < NONRES_HEADER || vhive_le64(a + 16) != 0)
                return -EINVAL; /* a base record's $DATA starts at VCN 0 */
        mp = vhive_le16(a + 32);
        if (mp < NONRES_HEADER || mp >= alen)
                return -EINVAL;
        d->data_size = vhive_le64(a + 48);
        d->init_size = vhive_le64(a + 56);
        d->n = 0;
        return decode_runs(a + mp, a + alen, vhive_le64(a + 24), d);
}

int mft_data(const uint8_t *rec, size_t len, uint64_t recno, struct mft_data *d)
{
        size_t used, off;
        bool found = false;

        if (len < 48)
                return -ENOTSUP;
        used = vhive_le32(rec + 24);
        off = vhive_le16(rec + 20);
        if (used > len || !(vhive_le16(rec + 22) & 1) || vhive_le64(rec + 32) != 0 ||
            vhive_le16(rec + 4) < 48 || vhive_le32(rec + 44) != (recno & 0xffffffffu))
                return -ENOTSUP; /* not in use, an extension record, NTFS 3.0's (no
                                  * number), or not this one */
        while (off + 8 <= used) {
                uint32_t type = (uint32_t)vhive_le32(rec + off);
                size_t alen = vhive_le32(rec + off + 4);

                if (type == AT_END)
                        break;
                if (alen < 24 || alen % 8 || alen > used - off)
                        return -EINVAL;
                if (type == AT_ATTR_LIST)
                        return -ENOTSUP;                    /* $DATA may go on in other records */
                if (type == AT_DATA && rec[off + 9] == 0) { /* unnamed */
                        int r = found ? -EINVAL : data_attribute(rec + off, alen, d);

                        if (r < 0)
                                return r;
                        found = true;
                }
                off += alen;
        }
        return found ? 0 : -ENOTSUP;
}

int mft_record_offset(const struct mft_geometry *g, const struct mft_data *mft, uint64_t recno,
                      uint64_t *offset)
{
        uint64_t byte, vcn, last;

        if (recno > UINT64_MAX / g->record_size - 1)
                return -EINVAL;
        byte = recno * g->record_size;
        if (byte + g->record_size > mft->data_size)
                return -EINVAL; /* past $MFT's end */
        vcn = byte / g->cluster;
        last = (byte + g->record_size - 1) / g->cluster;
        for (size_t k = 0; k < mft->n; k++) {
                const struct mft_run *r = &mft->runs[k];

                if (vcn < r->vcn || vcn - r->vcn >= r->len)
                        continue;
                if (last - r->vcn >= r->len)
                        return -ENOTSUP; /* straddles two runs */
                if (r->lcn + (vcn - r->vcn) >
                    (UINT64_MAX - byte % g->cluster - g->record_size) / g->cluster)
                        return -EINVAL; /* the record's end would not be a number */
                *offset = (r->lcn + (vcn - r->vcn)) * g->cluster + byte % g->cluster;
                return 0;
        }
        return -EINVAL;
}
