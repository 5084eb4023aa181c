/* Writing transaction-log records the way Windows does (M. Suhanov,
 * "Windows registry file format specification", "Format of transaction log
 * files"), so that lib/hive/log-replay.c and Windows both replay them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commit-internal.h"
#include "log-replay-internal.h"
#include "macro.h"

static void put_le64(uint8_t *p, uint64_t v)
{
        vhive_put_le32(p, (uint32_t)v);
        vhive_put_le32(p + 4, (uint32_t)(v >> 32));
}

static size_t round_sector(size_t n)
{
        return (n + VHIVE_LOG_SECTOR - 1) / VHIVE_LOG_SECTOR * VHIVE_LOG_SECTOR;
}

void vhive_log_base_block(const uint8_t *hive_base, uint32_t type, uint32_t seq, uint8_t out[512])
{
        memcpy(out, hive_base, VHIVE_LOG_SECTOR);
        vhive_put_le32(out + 4, seq);
        vhive_put_le32(out + 8, seq);
        vhive_put_le32(out + 28, type);
        vhive_regf_store_checksum(out);
}

int vhive_hvle_build(const uint8_t *img, const struct vhive_pages *p, uint32_t seq, uint32_t hbins,
                     uint32_t flags, uint8_t **out, size_t *len)
{
        size_t refs = VHIVE_HVLE_HEADER + (size_t)p->n * 8;
        size_t size = round_sector(refs + (size_t)p->n * VHIVE_PAGE);
        uint8_t *e = calloc(1, size);

        if (!e)
                return -ENOMEM;
        memcpy(e, "HvLE", 4);
        vhive_put_le32(e + 4, (uint32_t)size);
        vhive_put_le32(e + 8, flags);
        vhive_put_le32(e + 12, seq);
        vhive_put_le32(e + 16, hbins);
        vhive_put_le32(e + 20, p->n);
        for (unsigned i = 0; i < p->n; i++) {
                vhive_put_le32(e + VHIVE_HVLE_HEADER + (size_t)i * 8, p->off[i]);
                vhive_put_le32(e + VHIVE_HVLE_HEADER + (size_t)i * 8 + 4, VHIVE_PAGE);
                memcpy(e + refs + (size_t)i * VHIVE_PAGE, img + VHIVE_REGF_BASE_BLOCK + p->off[i],
                       VHIVE_PAGE);
        }
        /* Hash-2 covers hash-1: hash-1 first. */
        put_le64(e + 24,
                 vhive_marvin32(VHIVE_HVLE_SEED, e + VHIVE_HVLE_HEADER, size - VHIVE_HVLE_HEADER));
        put_le64(e + 32, vhive_marvin32(VHIVE_HVLE_SEED, e, 32));
        *out = e;
        *len = size;
        return 0;
}

int vhive_dirt_build(const uint8_t *img, const struct vhive_pages *p, uint32_t hbins, uint8_t **out,
                     size_t *len)
{
        size_t bitmap = hbins / VHIVE_LOG_SECTOR / 8;
        size_t head = round_sector(4 + bitmap);
        size_t size = head + (size_t)p->n * VHIVE_PAGE;
        uint8_t *b = calloc(1, size);

        if (!b)
                return -ENOMEM;
        memcpy(b, "DIRT", 4);
        for (unsigned i = 0; i < p->n; i++) {
                /* A 4 KiB page is eight 512-byte pages: one 0xFF byte. */
                b[4 + p->off[i] / VHIVE_PAGE] = 0xff;
                memcpy(b + head + (size_t)i * VHIVE_PAGE, img + VHIVE_REGF_BASE_BLOCK + p->off[i],
                       VHIVE_PAGE);
        }
        *out = b;
        *len = size;
        return 0;
}

static enum vhive_log_format type_of(const uint8_t *log, size_t len, struct vhive_regf_header *h)
{
        if (!log || vhive_regf_parse(log, len, h) < 0)
                return VHIVE_LOG_NONE;
        if (h->file_type == 6)
                return VHIVE_LOG_NEW;
        if (h->file_type == 1 || h->file_type == 2)
                return VHIVE_LOG_OLD;
        return VHIVE_LOG_NONE;
}

enum vhive_log_format vhive_log_format_of(const uint8_t *log1, size_t len1, const uint8_t *log2,
                                          size_t len2)
{
        struct vhive_regf_header h1, h2;
        enum vhive_log_format f1 = type_of(log1, len1, &h1), f2 = type_of(log2, len2, &h2);

        if (f1 == VHIVE_LOG_NONE || f1 == f2)
                return f2;
        if (f2 == VHIVE_LOG_NONE)
                return f1;
        /* They disagree (an upgraded Windows): the one written last. */
        if (h1.checksum_ok != h2.checksum_ok)
                return h1.checksum_ok ? f1 : f2;
        return h1.timestamp >= h2.timestamp ? f1 : f2;
}
