/* Record writes a power cut leaves old or new (see record-write.h). */
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "record-write.h"

/* NTFS's fixup stride, whatever the disk's sector size. */
#define STRIDE 512u

struct layout {
        size_t usa_ofs, sectors;
};

static void put_le16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

/* The record at rec (at most room bytes) as its header describes it, with
 * every sector's last two bytes equal to the sequence number, as they are
 * after the fixup: false when it is no such record. */
static bool record_layout(const uint8_t *rec, size_t room, struct layout *l)
{
        size_t usa_count;
        uint16_t usn;

        if (room < 2 * STRIDE || (memcmp(rec, "FILE", 4) != 0 && memcmp(rec, "INDX", 4) != 0))
                return false;
        l->usa_ofs = vhive_le16(rec + 4);
        usa_count = vhive_le16(rec + 6);
        if (usa_count < 3 || (usa_count - 1) * STRIDE > room || l->usa_ofs % 2 != 0 ||
            l->usa_ofs < 8 || l->usa_ofs + 2 * usa_count > STRIDE - 2)
                return false;
        l->sectors = usa_count - 1;
        usn = vhive_le16(rec + l->usa_ofs);
        for (size_t s = 1; s <= l->sectors; s++)
                if (vhive_le16(rec + s * STRIDE - 2) != usn)
                        return false;
        return true;
}

static size_t sectors_differing(const uint8_t *a, const uint8_t *b, size_t sectors)
{
        size_t n = 0;

        for (size_t s = 0; s < sectors; s++)
                n += memcmp(a + s * STRIDE, b + s * STRIDE, STRIDE) != 0;
        return n;
}

static void stamp_usn(uint8_t *rec, const struct layout *l, uint16_t usn)
{
        put_le16(rec + l->usa_ofs, usn);
        for (size_t s = 1; s <= l->sectors; s++)
                put_le16(rec + s * STRIDE - 2, usn);
}

/* One record: the disk's number when the change then fits one sector. */
static bool keep_one(uint8_t *rec, const uint8_t *old, const struct layout *l)
{
        uint16_t fresh = vhive_le16(rec + l->usa_ofs);
        uint16_t kept = vhive_le16(old + l->usa_ofs);

        if (fresh == kept)
                return false;
        stamp_usn(rec, l, kept);
        if (sectors_differing(rec, old, l->sectors) <= 1)
                return true;
        stamp_usn(rec, l, fresh);
        return false;
}

bool vhive_record_looks_like(const uint8_t *buf, size_t count)
{
        struct layout l;

        return record_layout(buf, count, &l);
}

size_t vhive_record_keep_usn(uint8_t *buf, const uint8_t *old, size_t count)
{
        size_t kept = 0, at = 0;
        struct layout l, lo;

        while (record_layout(buf + at, count - at, &l)) {
                size_t len = l.sectors * STRIDE;

                if (record_layout(old + at, count - at, &lo) &&
                    memcmp(buf + at, old + at, 4) == 0 && lo.usa_ofs == l.usa_ofs &&
                    lo.sectors == l.sectors)
                        kept += keep_one(buf + at, old + at, &l);
                at += len;
        }
        return kept;
}
