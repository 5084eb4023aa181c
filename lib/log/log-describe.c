/* Describing a hive's transaction logs without applying them: the
 * primary's and each log's base block, their entries (new format) or dirty
 * vector (old format), and whether each is eligible for replay.  Every
 * offset and length read from the files is checked before use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log-replay-ctx.h"
#include "log-replay-internal.h"
#include "macro.h"

void vhive_log_why(struct log_ctx *l, const char *fmt, ...)
{
        va_list ap;
        int n = snprintf(l->why, sizeof(l->why), "%s ", l->name);

        va_start(ap, fmt);
        vsnprintf(l->why + n, sizeof(l->why) - n, fmt, ap);
        va_end(ap);
}

/* ---- one new-format entry --------------------------------------------- */

int vhive_hvle_check(const uint8_t *log, size_t len, size_t off, struct vhive_hvle *e)
{
        const uint8_t *p;
        size_t data;

        if (off > len || len - off < VHIVE_HVLE_HEADER)
                return -EINVAL;
        p = log + off;
        if (memcmp(p, "HvLE", 4) != 0)
                return -EINVAL;
        e->p = p;
        e->size = vhive_le32(p + 4);
        e->flags = vhive_le32(p + 8);
        e->seq = vhive_le32(p + 12);
        e->hbins_size = vhive_le32(p + 16);
        e->count = vhive_le32(p + 20);
        /* A multiple of 512 is at least 512 > 40: the scan always moves on. */
        if (e->size == 0 || e->size % VHIVE_LOG_SECTOR != 0 || e->size > len - off)
                return -EINVAL;
        if (!vhive_hbins_size_ok(e->hbins_size))
                return -EINVAL;
        if (e->count > (e->size - VHIVE_HVLE_HEADER) / 8)
                return -EINVAL;
        if (vhive_le64(p + 32) != vhive_marvin32(VHIVE_HVLE_SEED, p, 32) ||
            vhive_le64(p + 24) != vhive_marvin32(VHIVE_HVLE_SEED, p + VHIVE_HVLE_HEADER,
                                                 e->size - VHIVE_HVLE_HEADER))
                return -EBADMSG;
        /* Every page must lie inside the entry and inside the hive bins. */
        data = VHIVE_HVLE_HEADER + (size_t)e->count * 8;
        for (uint32_t i = 0; i < e->count; i++) {
                const uint8_t *ref = p + VHIVE_HVLE_HEADER + (size_t)i * 8;
                uint32_t page_off = vhive_le32(ref), page_size = vhive_le32(ref + 4);

                if (page_size > e->size - data)
                        return -EINVAL;
                if ((uint64_t)page_off + page_size > e->hbins_size)
                        return -EINVAL;
                data += page_size;
        }
        return 0;
}

bool vhive_hbins_size_ok(uint32_t size)
{
        return size != 0 && size % VHIVE_REGF_BASE_BLOCK == 0 && size < VHIVE_HBINS_MAX;
}

/* ---- describing a log --------------------------------------------------- */

/* A log whose base block is invalid is one Windows never reads (the
 * spec, "Transaction log files", note 2): it is skipped, with a warning. */
static void ignore_log(struct log_ctx *l)
{
        l->info->ignored = true;
        snprintf(l->info->warning, sizeof(l->info->warning),
                 "transaction log %s: ignored, as Windows ignores a log whose base block is "
                 "invalid",
                 l->why);
}

/* Fills l->hdr and l->usable from the log's 512-byte base block. */
static void parse_log_base(struct log_ctx *l)
{
        struct vhive_log_info *info = l->info;

        if (!l->buf || l->len == 0) {
                info->format = VHIVE_LOG_NONE;
                vhive_log_why(l, "is missing or empty");
                return;
        }
        info->format = VHIVE_LOG_INVALID;
        /* Cleared below once the base block reads as a log's. */
        info->damaged = true;
        if (vhive_regf_parse(l->buf, l->len, &l->hdr) < 0) {
                vhive_log_why(l, "has no regf base block");
                ignore_log(l);
                return;
        }
        info->seq_primary = l->hdr.seq_primary;
        info->seq_secondary = l->hdr.seq_secondary;
        if (!l->hdr.checksum_ok) {
                vhive_log_why(l, "has a bad base block checksum");
                ignore_log(l);
                return;
        }
        if (l->hdr.file_type == 6)
                info->format = VHIVE_LOG_NEW;
        else if (l->hdr.file_type == 1 || l->hdr.file_type == 2)
                info->format = VHIVE_LOG_OLD;
        else {
                vhive_log_why(l, "has file type %u, not a log's", l->hdr.file_type);
                ignore_log(l);
                return;
        }
        if (l->hdr.seq_primary != l->hdr.seq_secondary) {
                vhive_log_why(l, "has torn sequence numbers %u/%u in its base block",
                              l->hdr.seq_primary, l->hdr.seq_secondary);
                ignore_log(l);
                return;
        }
        info->damaged = false;
        l->usable = true;
}

/* Counts the entries that form a chain from the first sector: the first
 * must carry the base block's sequence number, each next one N + 1. */
static void scan_new(struct log_ctx *l)
{
        struct vhive_log_info *info = l->info;
        uint32_t expect = l->hdr.seq_primary;
        size_t off = VHIVE_LOG_SECTOR;
        struct vhive_hvle e;

        while (vhive_hvle_check(l->buf, l->len, off, &e) == 0 && e.seq == expect) {
                if (info->entries == 0)
                        info->first_seq = e.seq;
                info->last_seq = e.seq;
                info->entries++;
                if (e.hbins_size > l->max_hbins)
                        l->max_hbins = e.hbins_size;
                off += e.size;
                expect++;
        }
        if (info->entries == 0)
                vhive_log_why(l, "has no valid entry with sequence %u", l->hdr.seq_primary);
}

/* Locates the dirty vector and checks that every page it names is there. */
static void scan_old(struct log_ctx *l)
{
        uint32_t hbins = l->hdr.hbins_size;
        size_t need, pages = 0;

        if (!vhive_hbins_size_ok(hbins)) {
                vhive_log_why(l, "has a bad hive-bins size %u", hbins);
                l->usable = false;
                l->info->damaged = true;
                return;
        }
        /* One bit per 512-byte page: the size is a multiple of 4096, so
         * the bitmap is a whole number of bytes. */
        l->bitmap_len = hbins / VHIVE_LOG_SECTOR / 8;
        need = VHIVE_LOG_SECTOR + 4 + l->bitmap_len;
        if (l->len < need || memcmp(l->buf + VHIVE_LOG_SECTOR, "DIRT", 4) != 0) {
                vhive_log_why(l, "has no dirty vector");
                l->usable = false;
                l->info->damaged = true;
                return;
        }
        for (size_t i = 0; i < l->bitmap_len; i++)
                pages += (size_t)__builtin_popcount(l->buf[VHIVE_LOG_SECTOR + 4 + i]);
        l->pages_off = (need + VHIVE_LOG_SECTOR - 1) / VHIVE_LOG_SECTOR * VHIVE_LOG_SECTOR;
        if (l->pages_off > l->len || pages > (l->len - l->pages_off) / VHIVE_LOG_SECTOR) {
                vhive_log_why(l, "is truncated (%zu dirty pages)", pages);
                l->usable = false;
                l->info->damaged = true;
                return;
        }
        l->info->entries = (unsigned)pages;
        l->max_hbins = hbins;
}

/* Whether the log could bring this primary up to date. */
static void judge_log(struct replay_ctx *c, struct log_ctx *l)
{
        if (!l->usable)
                return;
        if (l->info->format == VHIVE_LOG_NEW) {
                scan_new(l);
                if (c->primary_ok && l->hdr.seq_primary < c->phdr.seq_secondary) {
                        vhive_log_why(l, "is older than the hive (sequence %u < %u)",
                                      l->hdr.seq_primary, c->phdr.seq_secondary);
                        return;
                }
        } else {
                scan_old(l);
                if (!l->usable)
                        return;
                if (c->primary_ok && l->hdr.timestamp < c->phdr.timestamp) {
                        vhive_log_why(l, "is older than the hive (last written time)");
                        return;
                }
        }
        l->info->eligible = true;
}

static void judge_primary(struct replay_ctx *c)
{
        if (!c->primary || c->primary_len < VHIVE_REGF_BASE_BLOCK ||
            vhive_regf_parse(c->primary, c->primary_len, &c->phdr) < 0) {
                snprintf(c->primary_why, sizeof(c->primary_why), "no regf base block");
                return;
        }
        if (!c->phdr.checksum_ok) {
                snprintf(c->primary_why, sizeof(c->primary_why),
                         "bad base block checksum %08x, expected %08x", c->phdr.checksum_stored,
                         c->phdr.checksum_computed);
                return;
        }
        if (c->phdr.file_type != VHIVE_REGF_FILE_PRIMARY) {
                snprintf(c->primary_why, sizeof(c->primary_why),
                         "file type %u is not a primary hive", c->phdr.file_type);
                return;
        }
        c->primary_ok = true;
}

void vhive_replay_describe(struct replay_ctx *c, const uint8_t *primary, size_t primary_len,
                           const uint8_t *log1, size_t log1_len, const uint8_t *log2,
                           size_t log2_len, struct vhive_replay_result *res)
{
        static const char *const names[N_LOGS] = { "LOG1", "LOG2" };
        const uint8_t *bufs[N_LOGS] = { log1, log2 };
        size_t lens[N_LOGS] = { log1_len, log2_len };

        memset(c, 0, sizeof(*c));
        memset(res, 0, sizeof(*res));
        c->primary = primary;
        c->primary_len = primary_len;
        c->res = res;
        c->base_from = -1;
        judge_primary(c);
        for (int i = 0; i < N_LOGS; i++) {
                struct log_ctx *l = &c->log[i];

                l->name = names[i];
                l->buf = bufs[i];
                l->len = bufs[i] ? lens[i] : 0;
                l->info = &res->log[i];
                parse_log_base(l);
                judge_log(c, l);
        }
}
