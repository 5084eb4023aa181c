/* In-place value edits on a hive's bytes, the way Windows makes them: a
 * blank of 4 bytes or less goes inline in the value's own vk cell (data
 * size with bit 31 set) and the old data cell is freed; a deleted value
 * leaves its key's value list (same cell, one slot shorter) and frees its
 * cells.  Nothing grows, so a scrub writes only the few pages that hold
 * the changed cells.
 *
 * hivex (a read-only handle on the same bytes) finds the cells; every
 * cell read or freed here is checked first (inside the hive bins, 8-byte
 * aligned, in use, large enough, signature), so a damaged hive gives
 * -EUCLEAN with a message and the bytes stay as they were.  A cell that
 * something else in the hive also refers to (lib/hive/refs.c: two values
 * sharing a data cell, two db cells one segment list) is never freed or
 * written into for one of them: a shared data cell stays allocated for
 * the others, and an edit that would change another key (a shared vk or
 * value list, a QWORD blank into a shared cell) is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hive.h"
#include "macro.h"

#define VK_MIN 24u /* cell size field + fixed part of a vk */
#define NK_MIN 80u
#define INLINE_BIT 0x80000000u

struct cell {
        size_t at;   /* file offset of the size field */
        size_t size; /* whole cell, size field included */
};

static int damaged(struct vhive_error *err, const char *what, size_t at)
{
        return vhive_fail(err, EUCLEAN,
                          "the hive is damaged: %s at 0x%zx; refusing to edit "
                          "it in place",
                          what, at);
}

/* The hive bin holding rel: its start (relative to the hive bins) is a
 * 4 KiB boundary whose header names its own offset. */
static bool bin_of(const struct vhive_hive_buf *hb, size_t end, uint32_t rel, size_t *bin,
                   size_t *bin_end)
{
        for (int64_t b = rel / 4096 * 4096; b >= 0; b -= 4096) {
                const uint8_t *h = hb->b + VHIVE_REGF_BASE_BLOCK + b;
                uint32_t size;

                if (VHIVE_REGF_BASE_BLOCK + (size_t)b + 32 > end || memcmp(h, "hbin", 4) != 0 ||
                    vhive_le32(h + 4) != (uint32_t)b)
                        continue;
                size = vhive_le32(h + 8);
                if (size < 4096 || (uint64_t)b + size <= rel ||
                    VHIVE_REGF_BASE_BLOCK + (size_t)b + size > end)
                        return false;
                *bin = (size_t)b;
                *bin_end = (size_t)b + size;
                return true;
        }
        return false;
}

/* Whether rel is where a cell starts: walking the cells of its bin from
 * the first one, not a position inside another cell. */
static bool cell_start(const struct vhive_hive_buf *hb, size_t end, uint32_t rel)
{
        size_t bin, bin_end, at;

        if (!bin_of(hb, end, rel, &bin, &bin_end))
                return false;
        for (at = bin + 32; at < rel && at + 4 <= bin_end;) {
                int32_t raw = (int32_t)vhive_le32(hb->b + VHIVE_REGF_BASE_BLOCK + at);
                size_t size = raw < 0 ? (size_t) - (int64_t)raw : (size_t)raw;

                if (size < 8 || size % 8 != 0)
                        return false;
                at += size;
        }
        return at == rel;
}

/* A used cell at hive-bins offset rel, at least min bytes. */
static int cell_at(const struct vhive_hive_buf *hb, uint32_t rel, size_t min, struct cell *c,
                   struct vhive_error *err)
{
        uint32_t hbins = vhive_le32(hb->b + 40);
        size_t end = VHIVE_REGF_BASE_BLOCK + (size_t)hbins;
        int32_t raw;

        if (end > hb->len)
                end = hb->len;
        c->at = VHIVE_REGF_BASE_BLOCK + (size_t)rel;
        if (rel % 8 != 0 || c->at + 4 > end || rel == 0xffffffffu)
                return damaged(err, "a cell offset outside the hive bins", c->at);
        raw = (int32_t)vhive_le32(hb->b + c->at);
        if (raw >= 0)
                return damaged(err, "a free cell still in use", c->at);
        c->size = (size_t) - (int64_t)raw;
        if (c->size < min || c->size % 8 != 0 || c->size > end - c->at)
                return damaged(err, "a cell of a bad size", c->at);
        if (!cell_start(hb, end, rel))
                return damaged(err, "a cell offset inside another cell", c->at);
        return 0;
}

static int sig_cell(const struct vhive_hive_buf *hb, uint32_t rel, const char *sig, size_t min,
                    struct cell *c, struct vhive_error *err)
{
        int r = cell_at(hb, rel, min, c, err);

        if (r == 0 && memcmp(hb->b + c->at + 4, sig, 2) != 0)
                return damaged(err,
                               sig[0] == 'v' ? "a value cell without its vk signature"
                                             : "a cell without its signature",
                               c->at);
        return r;
}

static void free_cell(struct vhive_hive_buf *hb, const struct cell *c)
{
        vhive_put_le32(hb->b + c->at, (uint32_t)c->size);
}

/* ---- a value's data cells ------------------------------------------------ */

struct data_cells {
        struct cell list[64]; /* db cell, segment list, segments: freed together */
        unsigned n;
        bool db;
};

static int add_db(const struct vhive_hive_buf *hb, const struct cell *db, uint32_t size,
                  struct data_cells *d, struct vhive_error *err)
{
        uint16_t count = vhive_le16(hb->b + db->at + 6);
        struct cell list;
        int r = cell_at(hb, vhive_le32(hb->b + db->at + 8), 4 + 4u * count, &list, err);

        if (r < 0)
                return r;
        /* Every segment but the last is full: another count lies. */
        if (count == 0 || count + 2u > ARRAY_SIZE(d->list) ||
            count != (size + VHIVE_BIG_DATA_SEGMENT - 1) / VHIVE_BIG_DATA_SEGMENT)
                return damaged(err, "a big-data cell with a bad segment count", db->at);
        d->db = true;
        d->list[d->n++] = list;
        for (unsigned i = 0; i < count; i++) {
                r = cell_at(hb, vhive_le32(hb->b + list.at + 4 + 4 * i), 8, &d->list[d->n], err);
                if (r < 0)
                        return r;
                d->n++;
        }
        return 0;
}

/* The cells holding vk's data (none when inline or empty). */
static int data_cells(const struct vhive_hive_buf *hb, const struct cell *vk, struct data_cells *d,
                      struct vhive_error *err)
{
        uint32_t size = vhive_le32(hb->b + vk->at + 8), off = vhive_le32(hb->b + vk->at + 12);
        uint32_t minor = vhive_le32(hb->b + 24);
        int r;

        d->n = 0;
        d->db = false;
        if (size & INLINE_BIT || size == 0)
                return 0;
        r = cell_at(hb, off, 8, &d->list[0], err);
        if (r < 0)
                return r;
        d->n = 1;
        if (size > VHIVE_BIG_DATA_SEGMENT && minor >= 4 && d->list[0].size >= 12 &&
            memcmp(hb->b + d->list[0].at + 4, "db", 2) == 0)
                return add_db(hb, &d->list[0], size, d, err);
        if (d->list[0].size - 4 < size)
                return damaged(err, "a value's data longer than its cell", d->list[0].at);
        return 0;
}

/* Two of the cells being the same one would free it twice, or free the
 * key's own cell. */
static int distinct(const struct data_cells *d, size_t vk_at, size_t list_at, size_t nk_at,
                    struct vhive_error *err)
{
        if (vk_at == list_at || vk_at == nk_at)
                return damaged(err, "a cell used twice", vk_at);
        for (unsigned i = 0; i < d->n; i++) {
                if (d->list[i].at == vk_at || d->list[i].at == list_at || d->list[i].at == nk_at)
                        return damaged(err, "a cell used twice", d->list[i].at);
                for (unsigned j = i + 1; j < d->n; j++)
                        if (d->list[i].at == d->list[j].at)
                                return damaged(err, "a cell used twice", d->list[i].at);
        }
        return 0;
}

/* ---- the key's value list -------------------------------------------- */

struct key_values {
        struct cell nk, list;
        uint32_t count;
        uint32_t slot; /* of the value in the list */
};

static int find_in_key(const struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                       struct key_values *k, struct vhive_error *err)
{
        uint32_t rel = (uint32_t)(value - VHIVE_REGF_BASE_BLOCK);
        int r = sig_cell(hb, (uint32_t)(node - VHIVE_REGF_BASE_BLOCK), "nk", NK_MIN, &k->nk, err);

        if (r < 0)
                return r;
        k->count = vhive_le32(hb->b + k->nk.at + 4 + 36);
        if (k->count == 0 || k->count > 0x1000000)
                return damaged(err, "a key whose value count does not hold the value", k->nk.at);
        r = cell_at(hb, vhive_le32(hb->b + k->nk.at + 4 + 40), 4 + 4 * (size_t)k->count, &k->list,
                    err);
        if (r < 0)
                return r;
        for (k->slot = 0; k->slot < k->count; k->slot++)
                if (vhive_le32(hb->b + k->list.at + 4 + 4 * (size_t)k->slot) == rel)
                        return 0;
        return damaged(err, "a value missing from its key's value list", k->nk.at);
}

/* The vk and the value list belong to this key alone: editing them for
 * one key would edit another. */
static int unshared(const struct vhive_hive_buf *hb, const struct cell *vk, const struct cell *list,
                    struct vhive_error *err)
{
        bool vk_shared = vhive_refs_get(hb->refs, vk->at) > 1;

        if (!vk_shared && vhive_refs_get(hb->refs, list->at) <= 1)
                return 0;
        return vhive_fail(err, EUCLEAN,
                          "the hive is damaged: %s (offset 0x%zx) is shared with another "
                          "key; editing it for one would change the other; refusing to edit "
                          "it in place",
                          vk_shared ? "a value cell" : "a key's value list",
                          vk_shared ? vk->at : list->at);
}

/* Frees the value's data cells that nothing else refers to any more: a
 * db cell still shared keeps its segment list, a list still shared its
 * segments. */
static void release_data(struct vhive_hive_buf *hb, const struct data_cells *d)
{
        for (unsigned i = 0; i < d->n; i++) {
                if (!vhive_refs_drop(hb->refs, d->list[i].at)) {
                        if (i < 2)
                                return; /* what it leads to stays in use */
                        continue;
                }
                free_cell(hb, &d->list[i]);
                if (!d->db)
                        return;
        }
}

static int ensure_refs(struct vhive_hive_buf *hb, struct vhive_error *err)
{
        return hb->refs ? 0 : vhive_refs_build(hb->b, hb->len, &hb->refs, err);
}

void vhive_hive_buf_drop_refs(struct vhive_hive_buf *hb)
{
        free(hb->refs);
        hb->refs = NULL;
}

static int value_cells(const struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                       struct key_values *k, struct cell *vk, struct data_cells *d,
                       struct vhive_error *err)
{
        int r = find_in_key(hb, node, value, k, err);

        if (r == 0)
                r = sig_cell(hb, (uint32_t)(value - VHIVE_REGF_BASE_BLOCK), "vk", VK_MIN, vk, err);
        if (r == 0 && VK_MIN + (size_t)vhive_le16(hb->b + vk->at + 6) > vk->size)
                r = damaged(err, "a value name longer than its cell", vk->at);
        if (r == 0)
                r = data_cells(hb, vk, d, err);
        if (r == 0)
                r = distinct(d, vk->at, k->list.at, k->nk.at, err);
        if (r == 0)
                r = unshared(hb, vk, &k->list, err);
        return r;
}

static int check_handles(const struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                         struct vhive_error *err)
{
        if (!hb || !hb->b || hb->len < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "in-place edit: no hive bytes");
        if (node < VHIVE_REGF_BASE_BLOCK || value < VHIVE_REGF_BASE_BLOCK || node >= hb->len ||
            value >= hb->len)
                return damaged(err, "a key or value handle outside the hive bins",
                               node < value ? value : node);
        return 0;
}

/* ---- the cells written, checked after the edits --------------------------- */

void vhive_hive_buf_touch(struct vhive_hive_buf *hb, size_t at)
{
        for (unsigned i = 0; i < hb->n_touched; i++)
                if (hb->touched[i] == at)
                        return;
        if (hb->n_touched == VHIVE_TOUCHED_MAX || at > UINT32_MAX)
                hb->touched_lost = true;
        else
                hb->touched[hb->n_touched++] = (uint32_t)at;
}

static void touch_value(struct vhive_hive_buf *hb, const struct cell *vk,
                        const struct data_cells *d)
{
        vhive_hive_buf_touch(hb, vk->at);
        for (unsigned i = 0; i < d->n; i++)
                vhive_hive_buf_touch(hb, d->list[i].at);
}

static int broken(struct vhive_error *err, const char *what, size_t at)
{
        return vhive_fail(err, EIO, "verify: the edited hive is damaged: %s at 0x%zx", what, at);
}

/* The bin at hive-bins offset bin (its header found sound by bin_of) is
 * whole pages, its cells chain from its first one to its end, and the
 * next bin, if any, starts right there: what hivex_open requires. */
static int check_bin(const struct vhive_hive_buf *hb, size_t end, size_t bin, size_t bin_end,
                     struct vhive_error *err)
{
        const uint8_t *next = hb->b + VHIVE_REGF_BASE_BLOCK + bin_end;
        size_t at = bin + 32;

        if ((bin_end - bin) % 4096 != 0)
                return broken(err, "a hive bin whose size is not whole pages",
                              VHIVE_REGF_BASE_BLOCK + bin);
        if (VHIVE_REGF_BASE_BLOCK + bin_end < end &&
            (VHIVE_REGF_BASE_BLOCK + bin_end + 32 > end || memcmp(next, "hbin", 4) != 0 ||
             vhive_le32(next + 4) != (uint32_t)bin_end))
                return broken(err, "a hive bin header that does not name its offset",
                              VHIVE_REGF_BASE_BLOCK + bin_end);
        while (at < bin_end) {
                int32_t raw = (int32_t)vhive_le32(hb->b + VHIVE_REGF_BASE_BLOCK + at);
                size_t size = raw < 0 ? (size_t) - (int64_t)raw : (size_t)raw;

                if (size < 8 || size % 4 != 0)
                        return broken(err, "a cell of a bad size", VHIVE_REGF_BASE_BLOCK + at);
                if (size > bin_end - at)
                        return broken(err, "a cell crossing its hive bin's end",
                                      VHIVE_REGF_BASE_BLOCK + at);
                at += size;
        }
        return 0;
}

static int check_root(const struct vhive_hive_buf *hb, size_t end, struct vhive_error *err)
{
        uint32_t rel = vhive_le32(hb->b + 36);
        size_t at = VHIVE_REGF_BASE_BLOCK + (size_t)rel;

        if (rel % 8 != 0 || at + 6 > end || (int32_t)vhive_le32(hb->b + at) >= 0 ||
            memcmp(hb->b + at + 4, "nk", 2) != 0 || !cell_start(hb, end, rel))
                return broken(err, "the root key not a used nk cell", at);
        return 0;
}

static bool seen_before(const uint32_t *bins, unsigned n, uint32_t bin)
{
        for (unsigned i = 0; i < n; i++)
                if (bins[i] == bin)
                        return true;
        return false;
}

int vhive_inplace_check(const struct vhive_hive_buf *hb, struct vhive_error *err)
{
        uint32_t bins[VHIVE_TOUCHED_MAX]; /* checked already */
        unsigned n_bins = 0;
        size_t end, bin, bin_end;
        int r;

        if (!hb->b || hb->len < VHIVE_REGF_BASE_BLOCK || hb->n_touched == 0 || hb->touched_lost)
                return 1;
        end = VHIVE_REGF_BASE_BLOCK + (size_t)vhive_le32(hb->b + 40);
        if (end > hb->len)
                return broken(err, "hive bins longer than the hive", 40);
        for (unsigned i = 0; i < hb->n_touched; i++) {
                size_t at = hb->touched[i];
                uint32_t rel = (uint32_t)(at - VHIVE_REGF_BASE_BLOCK);

                if (at < VHIVE_REGF_BASE_BLOCK || at + 4 > end ||
                    !bin_of(hb, end, rel, &bin, &bin_end))
                        return broken(err, "an edited cell outside a sound hive bin", at);
                if (!seen_before(bins, n_bins, (uint32_t)bin)) {
                        r = check_bin(hb, end, bin, bin_end, err);
                        if (r < 0)
                                return r;
                        bins[n_bins++] = (uint32_t)bin;
                }
                if (!cell_start(hb, end, rel))
                        return broken(err, "an edited cell that is not where a cell starts", at);
        }
        return check_root(hb, end, err);
}

/* ---- the edits ------------------------------------------------------------ */

/* Data that does not fit inline goes into the old data cell, when it is a
 * plain cell large enough (a QWORD 0 over a QWORD); else nothing fits. */
static int blank_out_of_line(struct vhive_hive_buf *hb, const struct cell *vk,
                             const struct data_cells *d, const char *blank, size_t len,
                             struct vhive_error *err)
{
        const struct cell *c = &d->list[0];

        if (d->n == 1 && vhive_refs_get(hb->refs, c->at) > 1)
                return vhive_fail(err, EUCLEAN,
                                  "the hive is damaged: the value's data cell (offset 0x%zx) "
                                  "is shared with another value, and its blank does not fit "
                                  "in the value's own cell; refusing to edit it in place",
                                  c->at);
        if (d->n != 1 || c->size - 4 < len)
                return vhive_fail(err, ENOSPC,
                                  "the blank value (%zu bytes) does not fit in "
                                  "the value's cells",
                                  len);
        memset(hb->b + c->at + 4, 0, c->size - 4);
        memcpy(hb->b + c->at + 4, blank, len);
        vhive_put_le32(hb->b + vk->at + 8, (uint32_t)len);
        return 0;
}

int vhive_inplace_blank(struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                        struct vhive_error *err)
{
        struct key_values k;
        struct data_cells d;
        struct cell vk;
        const char *blank;
        size_t len;
        uint8_t inline_data[4] = { 0 };
        int r = check_handles(hb, node, value, err);

        if (r == 0)
                r = ensure_refs(hb, err);
        if (r == 0)
                r = value_cells(hb, node, value, &k, &vk, &d, err);
        if (r < 0)
                return r;
        touch_value(hb, &vk, &d);
        vhive_blank_for_type((hive_type)vhive_le32(hb->b + vk.at + 16), &blank, &len);
        if (len > 4)
                return blank_out_of_line(hb, &vk, &d, blank, len, err);
        memcpy(inline_data, blank, len);
        vhive_put_le32(hb->b + vk.at + 8, INLINE_BIT | (uint32_t)len);
        memcpy(hb->b + vk.at + 12, inline_data, 4);
        release_data(hb, &d);
        return 0;
}

int vhive_inplace_delete(struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                         struct vhive_error *err)
{
        struct key_values k;
        struct data_cells d;
        struct cell vk;
        uint8_t *list;
        int r = check_handles(hb, node, value, err);

        if (r == 0)
                r = ensure_refs(hb, err);
        if (r == 0)
                r = value_cells(hb, node, value, &k, &vk, &d, err);
        if (r < 0)
                return r;
        touch_value(hb, &vk, &d);
        vhive_hive_buf_touch(hb, k.list.at);
        vhive_hive_buf_touch(hb, k.nk.at);
        list = hb->b + k.list.at + 4;
        memmove(list + 4 * (size_t)k.slot, list + 4 * ((size_t)k.slot + 1),
                4 * ((size_t)k.count - k.slot - 1));
        vhive_put_le32(list + 4 * ((size_t)k.count - 1), 0);
        vhive_put_le32(hb->b + k.nk.at + 4 + 36, k.count - 1);
        if (k.count == 1) {
                /* No values: no list, as Windows leaves an empty key. */
                vhive_put_le32(hb->b + k.nk.at + 4 + 40, 0xffffffffu);
                if (vhive_refs_drop(hb->refs, k.list.at))
                        free_cell(hb, &k.list);
        }
        if (vhive_refs_drop(hb->refs, vk.at))
                free_cell(hb, &vk);
        release_data(hb, &d);
        return 0;
}
