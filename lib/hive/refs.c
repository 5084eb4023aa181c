/* Who refers to which cell, and big data as Windows lays it out.
 *
 * A hive is a tree only when nothing is damaged or hostile: two values
 * can point their data at one cell, two keys their value lists at one
 * list, two big-data (db) cells at one segment list, and every reader
 * (hivex, reglookup, libregf, Windows) reads both cleanly.  Freeing such a
 * cell for one of them leaves the other pointing into free space.  So,
 * once per hive, every reference the keys make is counted: each key's nk
 * (from its parent's subkey list), subkey lists, value list, vk cells,
 * data cells, db cells with their segment list and segments, class names
 * and security cells.  One byte per 8 bytes of hive bins (cells are
 * 8-aligned), saturating at 255: a saturated count is never decremented,
 * so such a cell is never taken as unshared.
 *
 * Everything is bounded: an offset outside the hive bins or a record
 * longer than its cell is not followed (other checks refuse it when it
 * matters), and a key reached twice is counted twice but walked once, so
 * a cycle ends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hive.h"
#include "macro.h"

#define HBIN_START VHIVE_REGF_BASE_BLOCK
#define NONE 0xffffffffu
#define MAX_DEPTH 512
#define INLINE_BIT 0x80000000u

struct walk {
        const uint8_t *b;
        size_t end; /* of the hive bins, file offset */
        uint32_t minor;
        uint8_t *count;
        struct vhive_big_flat *flat; /* optional: flat big data found */
        size_t bad_db;               /* a db cell whose count lies, or 0 */
};

/* The record (after the size field) of the used cell at rel, at least
 * min bytes; NULL when it is not one. */
static const uint8_t *record(const struct walk *w, uint32_t rel, size_t min, size_t *len)
{
        size_t at = HBIN_START + (size_t)rel;
        int32_t raw;

        if (rel == NONE || rel % 8 || at + 4 > w->end)
                return NULL;
        raw = (int32_t)vhive_le32(w->b + at);
        if (raw >= 0 || (size_t) - (int64_t)raw < 4 + min || (size_t) - (int64_t)raw > w->end - at)
                return NULL;
        *len = (size_t) - (int64_t)raw - 4;
        return w->b + at + 4;
}

/* Counts one more reference to the cell at rel; its count before. */
static unsigned ref(struct walk *w, uint32_t rel)
{
        size_t at = HBIN_START + (size_t)rel;
        unsigned before;

        if (rel == NONE || rel % 8 || at + 4 > w->end)
                return 0;
        before = w->count[rel / 8];
        if (before < 255)
                w->count[rel / 8]++;
        return before;
}

static void walk_db(struct walk *w, uint32_t db, uint32_t len)
{
        size_t n, ln;
        const uint8_t *r = record(w, db, 8, &n), *list;
        uint16_t segs;

        if (!r || memcmp(r, "db", 2) != 0)
                return;
        segs = vhive_le16(r + 2);
        /* Windows fills every segment but the last: any other count lies
         * about the length, and readers disagree on what the value is. */
        if (segs != (len + VHIVE_BIG_DATA_SEGMENT - 1) / VHIVE_BIG_DATA_SEGMENT && !w->bad_db)
                w->bad_db = HBIN_START + (size_t)db;
        if (ref(w, vhive_le32(r + 4)) > 0)
                return; /* its segments are counted already */
        list = record(w, vhive_le32(r + 4), 4 * (size_t)segs, &ln);
        for (uint16_t i = 0; list && i < segs; i++)
                ref(w, vhive_le32(list + 4 * i));
}

static void walk_value(struct walk *w, uint32_t vk)
{
        size_t n, dn;
        const uint8_t *r;
        const uint8_t *data;
        uint32_t len, off;

        if (ref(w, vk) > 0)
                return; /* its data is counted already */
        r = record(w, vk, 20, &n);
        if (!r || memcmp(r, "vk", 2) != 0)
                return;
        len = vhive_le32(r + 4);
        off = vhive_le32(r + 8);
        if (len & INLINE_BIT || len == 0)
                return;
        /* Only a big value's data cell is read (a db cell, or flat big
         * data): the others are counted without a look, one cache miss
         * less per value (issue 20). */
        if (ref(w, off) > 0 || len <= VHIVE_BIG_DATA_SEGMENT || w->minor < 4)
                return;
        data = record(w, off, 0, &dn);
        if (!data)
                return;
        if (dn >= 8 && memcmp(data, "db", 2) == 0)
                walk_db(w, off, len);
        else if (w->flat)
                vhive_big_flat_push(w->flat, HBIN_START + (size_t)vk);
}

static void walk_values(struct walk *w, const uint8_t *nk)
{
        uint32_t nv = vhive_le32(nk + 36), list = vhive_le32(nk + 40);
        size_t n;
        const uint8_t *r;

        if (nv == 0 || ref(w, list) > 0)
                return;
        r = record(w, list, 0, &n);
        for (uint32_t i = 0; r && i < nv && 4 * (size_t)i + 4 <= n; i++)
                walk_value(w, vhive_le32(r + 4 * i));
}

static void walk_key(struct walk *w, uint32_t nk, unsigned depth);

/* An lf/lh/li list, or an ri and the lists it holds. */
static void walk_list(struct walk *w, uint32_t list, unsigned depth, bool in_ri)
{
        size_t n, step;
        const uint8_t *r;
        uint16_t count;

        if (ref(w, list) > 0)
                return;
        r = record(w, list, 4, &n);
        if (!r)
                return;
        count = vhive_le16(r + 2);
        step = memcmp(r, "lf", 2) == 0 || memcmp(r, "lh", 2) == 0 ? 8 : 4;
        if (memcmp(r, "ri", 2) == 0 && !in_ri) {
                for (uint16_t i = 0; 4 + 4 * (size_t)i + 4 <= n && i < count; i++)
                        walk_list(w, vhive_le32(r + 4 + 4 * i), depth, true);
                return;
        }
        if (step == 4 && memcmp(r, "li", 2) != 0)
                return;
        for (uint16_t i = 0; 4 + step * i + 4 <= n && i < count; i++)
                walk_key(w, vhive_le32(r + 4 + step * i), depth + 1);
}

static void walk_key(struct walk *w, uint32_t nk, unsigned depth)
{
        size_t n;
        const uint8_t *r;

        if (depth > MAX_DEPTH || ref(w, nk) > 0)
                return; /* walked once, however often it is reached */
        r = record(w, nk, 76, &n);
        if (!r || memcmp(r, "nk", 2) != 0)
                return;
        ref(w, vhive_le32(r + 44)); /* security: shared by design */
        ref(w, vhive_le32(r + 48)); /* class name */
        if (vhive_le32(r + 20) != 0)
                walk_list(w, vhive_le32(r + 28), depth, false);
        walk_values(w, r);
}

static int walk_hive(const uint8_t *b, size_t len, struct vhive_big_flat *flat, uint8_t **count,
                     struct vhive_error *err)
{
        struct walk w = { .b = b, .flat = flat };
        size_t bins;

        *count = NULL;
        if (len < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "the hive is shorter than its base block");
        bins = vhive_le32(b + 40);
        w.end = HBIN_START + bins > len ? len : HBIN_START + bins;
        w.minor = vhive_le32(b + 24);
        /* Over the whole buffer, not only the bins the header claims: a
         * count is then there for any offset a caller holds. */
        w.count = calloc((len - HBIN_START) / 8 + 1, 1);
        if (!w.count)
                return vhive_fail(err, ENOMEM, "out of memory");
        vhive_huge_hint(w.count, (len - HBIN_START) / 8 + 1);
        vhive_populate_hint(w.count, (len - HBIN_START) / 8 + 1);
        walk_key(&w, vhive_le32(b + 36), 0);
        if (w.bad_db) {
                free(w.count);
                return vhive_fail(err, EUCLEAN,
                                  "the hive is damaged: the big-data cell at 0x%zx has a "
                                  "segment count that does not match its value's length; "
                                  "refusing to edit the hive",
                                  w.bad_db);
        }
        *count = w.count;
        return 0;
}

int vhive_refs_build(const uint8_t *b, size_t len, uint8_t **refs, struct vhive_error *err)
{
        return walk_hive(b, len, NULL, refs, err);
}

unsigned vhive_refs_get(const uint8_t *refs, size_t at)
{
        return refs && at >= HBIN_START && (at - HBIN_START) % 8 == 0 ? refs[(at - HBIN_START) / 8]
                                                                      : 0;
}

bool vhive_refs_drop(uint8_t *refs, size_t at)
{
        uint8_t *c;

        if (!refs || at < HBIN_START || (at - HBIN_START) % 8 != 0)
                return false;
        c = &refs[(at - HBIN_START) / 8];
        if (*c == 255)
                return false; /* saturated: never known unshared */
        if (*c > 0)
                (*c)--;
        return *c == 0;
}

/* ---- big data, laid out as Windows does ---------------------------------- */

void vhive_big_flat_push(struct vhive_big_flat *f, size_t vk)
{
        if (f->n == f->cap) {
                size_t cap = f->cap ? 2 * f->cap : 8;
                size_t *v = realloc(f->vk, cap * sizeof(*v));

                if (!v) {
                        f->oom = true;
                        return;
                }
                f->vk = v;
                f->cap = cap;
        }
        f->vk[f->n++] = vk;
}

static size_t round_up(size_t x, size_t to)
{
        return (x + to - 1) / to * to;
}

/* One new hive bin at the end holding the db cell, its segment list and
 * the segments (each a cell of 16,344 bytes of data, the last one padded
 * with zeros: every reader copes with a full last segment), the rest of
 * the bin one free cell.  The old flat cell is freed. */
static int split_one(uint8_t **bp, size_t *lenp, size_t vk, struct vhive_error *err)
{
        uint8_t *b = *bp;
        uint32_t dlen = vhive_le32(b + vk + 8), flat = vhive_le32(b + vk + 12);
        size_t segs = (dlen + VHIVE_BIG_DATA_SEGMENT - 1) / VHIVE_BIG_DATA_SEGMENT;
        size_t list_size = round_up(4 + 4 * segs, 8),
               seg_size = round_up(4 + VHIVE_BIG_DATA_SEGMENT, 8);
        size_t bin_rel = vhive_le32(b + 40), bin = HBIN_START + bin_rel, used, size, at;
        const uint8_t *src;

        if (segs > 0xffff)
                return vhive_fail(err, EFBIG, "a value of %u bytes is too large for a hive", dlen);
        used = 32 + 16 + list_size + segs * seg_size;
        size = round_up(used, 4096);
        if (bin > *lenp || bin_rel + size > 0x7fffffffu)
                return vhive_fail(err, EFBIG, "the hive cannot grow for a value of %u bytes", dlen);
        /* Anything after the last bin is padding: the new bin goes there. */
        b = realloc(b, bin + size);
        if (!b)
                return vhive_fail(err, ENOMEM, "out of memory");
        *bp = b;
        src = b + HBIN_START + flat + 4;
        memset(b + bin, 0, size);
        memcpy(b + bin, "hbin", 4);
        vhive_put_le32(b + bin + 4, (uint32_t)bin_rel);
        vhive_put_le32(b + bin + 8, (uint32_t)size);
        at = bin + 32;
        vhive_put_le32(b + at, (uint32_t)-16);
        memcpy(b + at + 4, "db", 2);
        b[at + 6] = (uint8_t)segs;
        b[at + 7] = (uint8_t)(segs >> 8);
        vhive_put_le32(b + at + 8, (uint32_t)(at + 16 - HBIN_START));
        at += 16;
        vhive_put_le32(b + at, (uint32_t) - (int32_t)list_size);
        for (size_t i = 0; i < segs; i++) {
                size_t seg = at + list_size + i * seg_size;
                size_t n = i + 1 < segs ? VHIVE_BIG_DATA_SEGMENT
                                        : dlen - (segs - 1) * VHIVE_BIG_DATA_SEGMENT;

                vhive_put_le32(b + at + 4 + 4 * i, (uint32_t)(seg - HBIN_START));
                vhive_put_le32(b + seg, (uint32_t) - (int32_t)seg_size);
                memcpy(b + seg + 4, src + i * VHIVE_BIG_DATA_SEGMENT, n);
        }
        if (size > used)
                vhive_put_le32(b + bin + used, (uint32_t)(size - used));
        /* The vk now points at the db cell; the flat cell is free. */
        vhive_put_le32(b + vk + 12, (uint32_t)(bin + 32 - HBIN_START));
        vhive_put_le32(b + HBIN_START + flat, -vhive_le32(b + HBIN_START + flat));
        vhive_put_le32(b + 40, (uint32_t)(bin_rel + size));
        *lenp = bin + size;
        return 0;
}

/* A flat data cell that holds the whole value (hivex's own). */
static bool flat_sound(const uint8_t *b, size_t len, size_t vk)
{
        uint32_t dlen = vhive_le32(b + vk + 8), flat = vhive_le32(b + vk + 12);
        size_t at = HBIN_START + (size_t)flat;
        int32_t raw;

        if (flat % 8 || at + 4 > len)
                return false;
        raw = (int32_t)vhive_le32(b + at);
        return raw < 0 && (size_t) - (int64_t)raw >= 4 + (size_t)dlen &&
               (size_t) - (int64_t)raw <= len - at;
}

int vhive_big_data_split(uint8_t **b, size_t *len, struct vhive_error *err)
{
        struct vhive_big_flat flat = { 0 };
        _cleanup_free_ uint8_t *count = NULL;
        int r;

        if (*len < VHIVE_REGF_BASE_BLOCK || vhive_le32(*b + 24) < 4)
                return 0; /* 1.3 and older: data of any size is one cell */
        r = walk_hive(*b, *len, &flat, &count, err);
        if (r == 0 && flat.oom)
                r = vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; r == 0 && i < flat.n; i++) {
                if (!flat_sound(*b, *len, flat.vk[i]) ||
                    vhive_refs_get(count, HBIN_START + vhive_le32(*b + flat.vk[i] + 12)) > 1)
                        r = vhive_fail(err, EUCLEAN,
                                       "the new hive holds a value of more than %u bytes "
                                       "whose data cell is damaged or shared; refusing to "
                                       "write it",
                                       VHIVE_BIG_DATA_SEGMENT);
                else
                        r = split_one(b, len, flat.vk[i], err);
        }
        free(flat.vk);
        return r;
}
