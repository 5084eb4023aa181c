/* Writers of synthetic hives and transaction logs for the replay tests.
 *
 * The replay works on bytes, so the hives here are a base block and
 * "hbin" pages filled with a pattern that depends on a salt: an expected
 * result is built by writing the same patterns at the same offsets, with
 * no replay logic involved.  Header-only, shared by the unit tests and
 * mkdirty. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log-replay-internal.h"
#include "macro.h"
#include "safe-file.h"
#include "scrub.h"

#define T_BASE 4096u
#define T_BIN 4096u

struct tbuf {
        uint8_t *b;
        size_t len;
};

struct tpage {
        uint32_t off, size; /* relative to the hive bins */
};

static inline void tbuf_resize(struct tbuf *t, size_t len)
{
        uint8_t *p = realloc(t->b, len ? len : 1);

        if (!p)
                abort();
        if (len > t->len)
                memset(p + t->len, 0, len - t->len);
        t->b = p;
        t->len = len;
}

static inline void tbuf_copy(struct tbuf *dst, const struct tbuf *src)
{
        dst->b = NULL;
        dst->len = 0;
        tbuf_resize(dst, src->len);
        memcpy(dst->b, src->b, src->len);
}

static inline void put64(uint8_t *p, uint64_t v)
{
        vhive_put_le32(p, (uint32_t)v);
        vhive_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Writes to dst the bytes of the hive bins at off..off+size for a salt.
 * A page starting a 4096-byte bin gets a plausible hbin header, the rest
 * a pattern of the salt and the offset. */
static inline void fill_page(uint8_t *dst, uint32_t off, uint32_t size, uint32_t salt)
{
        for (uint32_t i = 0; i < size; i++)
                dst[i] = (uint8_t)(salt * 131u + (off + i) / 8u * 7u + i);
        if (off % T_BIN == 0 && size >= 32) {
                memcpy(dst, "hbin", 4);
                vhive_put_le32(dst + 4, off);
                vhive_put_le32(dst + 8, T_BIN);
        }
}

/* A clean synthetic hive: base block, nbins bins of 4096 bytes. */
static inline void synth_hive(struct tbuf *h, unsigned nbins, uint32_t seq, uint64_t ts)
{
        uint32_t hbins = nbins * T_BIN;

        h->b = NULL;
        h->len = 0;
        tbuf_resize(h, T_BASE + hbins);
        memcpy(h->b, "regf", 4);
        vhive_put_le32(h->b + 4, seq);
        vhive_put_le32(h->b + 8, seq);
        put64(h->b + 12, ts);
        vhive_put_le32(h->b + 20, 1);
        vhive_put_le32(h->b + 24, 5);
        vhive_put_le32(h->b + 32, 1);
        vhive_put_le32(h->b + 36, 0x20);
        vhive_put_le32(h->b + 40, hbins);
        vhive_put_le32(h->b + 44, 1);
        vhive_put_le32(h->b + 144, 1); /* set on most healthy real hives */
        vhive_regf_store_checksum(h->b);
        for (uint32_t off = 0; off < hbins; off += T_BIN)
                fill_page(h->b + T_BASE + off, off, T_BIN, 0);
}

static inline void set_seqs(uint8_t *base, uint32_t primary, uint32_t secondary)
{
        vhive_put_le32(base + 4, primary);
        vhive_put_le32(base + 8, secondary);
        vhive_regf_store_checksum(base);
}

/* A log's first sector: the hive's base block with the log's type and
 * sequence number, as Windows writes it. */
static inline void log_start(struct tbuf *log, const uint8_t *hive_base, uint32_t seq,
                             uint32_t type)
{
        log->b = NULL;
        log->len = 0;
        tbuf_resize(log, VHIVE_LOG_SECTOR);
        memcpy(log->b, hive_base, VHIVE_LOG_SECTOR);
        vhive_put_le32(log->b + 28, type);
        set_seqs(log->b, seq, seq);
}

/* Recomputes both hashes of the entry at e (hash-1 first: hash-2
 * covers it). */
static inline void entry_rehash(uint8_t *e)
{
        uint32_t size = vhive_le32(e + 4);

        put64(e + 24,
              vhive_marvin32(VHIVE_HVLE_SEED, e + VHIVE_HVLE_HEADER, size - VHIVE_HVLE_HEADER));
        put64(e + 32, vhive_marvin32(VHIVE_HVLE_SEED, e, 32));
}

/* Appends an HvLE entry whose pages hold fill_page(salt); returns its
 * offset in the log. */
static inline size_t log_add_entry(struct tbuf *log, uint32_t seq, uint32_t hbins, uint32_t flags,
                                   const struct tpage *pages, unsigned n, uint32_t salt)
{
        size_t at = log->len, size = VHIVE_HVLE_HEADER + (size_t)n * 8, data;
        uint8_t *e;

        for (unsigned i = 0; i < n; i++)
                size += pages[i].size;
        size = (size + VHIVE_LOG_SECTOR - 1) / VHIVE_LOG_SECTOR * VHIVE_LOG_SECTOR;
        tbuf_resize(log, at + size);
        e = log->b + at;
        memcpy(e, "HvLE", 4);
        vhive_put_le32(e + 4, (uint32_t)size);
        vhive_put_le32(e + 8, flags);
        vhive_put_le32(e + 12, seq);
        vhive_put_le32(e + 16, hbins);
        vhive_put_le32(e + 20, n);
        data = VHIVE_HVLE_HEADER + (size_t)n * 8;
        for (unsigned i = 0; i < n; i++) {
                vhive_put_le32(e + VHIVE_HVLE_HEADER + i * 8, pages[i].off);
                vhive_put_le32(e + VHIVE_HVLE_HEADER + i * 8 + 4, pages[i].size);
                fill_page(e + data, pages[i].off, pages[i].size, salt);
                data += pages[i].size;
        }
        entry_rehash(e);
        return at;
}

/* What applying an entry's pages does to an image, written directly. */
static inline void expect_pages(struct tbuf *img, uint32_t hbins, const struct tpage *pages,
                                unsigned n, uint32_t salt)
{
        if (img->len < T_BASE + (size_t)hbins)
                tbuf_resize(img, T_BASE + (size_t)hbins);
        for (unsigned i = 0; i < n; i++)
                fill_page(img->b + T_BASE + pages[i].off, pages[i].off, pages[i].size, salt);
}

/* The header of a replayed hive. */
static inline void expect_header(struct tbuf *img, uint32_t seq, uint32_t hbins,
                                 uint32_t flags_bit0)
{
        uint32_t flags = vhive_le32(img->b + 144);

        vhive_put_le32(img->b + 144, (flags & ~1u) | (flags_bit0 & 1u));
        vhive_put_le32(img->b + 40, hbins);
        vhive_put_le32(img->b + 28, 0);
        set_seqs(img->b, seq, seq);
}
