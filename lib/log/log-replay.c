/* Transaction-log replay: brings a dirty primary hive up to date from its
 * SYSTEM.LOG1/LOG2 in memory, the way the Windows kernel would at load.
 *
 * Everything read from the primary and the logs is untrusted: every
 * offset and length is checked against the buffer it points into before
 * use, and the hive-bins size a log may grow the image to is capped.  The
 * rules follow M. Suhanov's "Windows registry file format specification"
 * (sections "Format of transaction log files", "Dirty state of a hive",
 * "Multiple transaction log files") and docs/registry-notes.md; where the
 * kernel would silently drop unreplayable newer entries, we refuse instead,
 * because silently losing unreconciled changes is the failure this code
 * exists to prevent. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log-replay-ctx.h"
#include "log-replay-internal.h"
#include "macro.h"

struct image {
        uint8_t *buf;
        size_t len;
        size_t cap; /* allocated: a reused buffer may hold more than len */
        bool fixed; /* the caller's buffer, replayed in place: never moved */
};

/* ---- planning ----------------------------------------------------------- */

static int fail_no_log(struct replay_ctx *c, struct vhive_error *err)
{
        const char *a = c->log[0].why, *b = c->log[1].why;

        if (!c->primary_ok)
                return vhive_fail(err, EUCLEAN,
                                  "the hive's base block is unusable (%s) and no "
                                  "transaction log can rebuild it: %s; %s",
                                  c->primary_why, a, b);
        return vhive_fail(err, EUCLEAN,
                          "hive is dirty (sequence %u/%u) and no transaction log can be "
                          "replayed: %s; %s",
                          c->phdr.seq_primary, c->phdr.seq_secondary, a, b);
}

static bool is_candidate(const struct log_ctx *l, enum vhive_log_format f)
{
        return l->info->eligible && l->info->format == f;
}

/* Primary unusable: only the log with the latest entries is used, and its
 * base block becomes the hive's. */
static int plan_rebuild(struct replay_ctx *c, struct vhive_error *err)
{
        int best = -1;

        for (int i = 0; i < N_LOGS; i++) {
                const struct log_ctx *l = &c->log[i];

                if (!is_candidate(l, c->format))
                        continue;
                if (c->format == VHIVE_LOG_NEW && l->info->entries == 0)
                        continue;
                if (best < 0 || l->hdr.seq_primary > c->log[best].hdr.seq_primary)
                        best = i;
        }
        if (best < 0)
                return fail_no_log(c, err);
        c->order[c->n_order++] = best;
        c->base_from = best;
        return 0;
}

/* Old format: one cumulative log.  Windows applies the one whose time is the primary's (both: LOG1,
 * which the boot loader reads first); without one, take the newest. */
static int plan_old(struct replay_ctx *c, struct vhive_error *err)
{
        int best = -1;

        if (!c->primary_ok)
                return plan_rebuild(c, err);
        for (int i = 0; i < N_LOGS; i++) {
                const struct log_ctx *l = &c->log[i], *b;
                bool same_l, same_b;

                if (!is_candidate(l, VHIVE_LOG_OLD))
                        continue;
                b = best < 0 ? NULL : &c->log[best];
                same_l = l->hdr.timestamp == c->phdr.timestamp;
                same_b = b && b->hdr.timestamp == c->phdr.timestamp;
                if (b && (same_l != same_b || same_l)) {
                        if (same_l && !same_b)
                                best = i;
                        continue;
                }
                if (!b || l->hdr.timestamp > b->hdr.timestamp ||
                    (l->hdr.timestamp == b->hdr.timestamp &&
                     l->hdr.seq_primary > b->hdr.seq_primary))
                        best = i;
        }
        if (best < 0)
                return fail_no_log(c, err);
        c->order[c->n_order++] = best;
        return 0;
}

static int fail_gap(struct log_ctx *prev, uint32_t last, struct log_ctx *next,
                    struct vhive_error *err)
{
        return vhive_fail(err, EUCLEAN,
                          "transaction logs are inconsistent: %s ends at entry %u but %s "
                          "starts at entry %u (a log is missing or damaged)",
                          prev->name, last, next->name, next->info->first_seq);
}

static int fail_hole(struct log_ctx *empty, struct log_ctx *next, struct vhive_error *err)
{
        return vhive_fail(err, EUCLEAN,
                          "transaction logs are inconsistent: %s should hold entries from "
                          "%u but has none that can be read, and %s starts at entry %u",
                          empty->name, empty->hdr.seq_primary, next->name, next->info->first_seq);
}

/* A gap between the hive's sequence number and the first entry is normal
 * when both logs are there (a partial reconcile writes pages without
 * touching the base block, so SYSTEM_B stops at 1621 and its logs start at
 * 2107).  With one log file absent, empty or ignored (an invalid base
 * block), the entries in between may have been in that file: refuse
 * rather than guess. */
static int check_missing(struct replay_ctx *c, struct vhive_error *err)
{
        const struct log_ctx *first = &c->log[c->order[0]];
        uint64_t next = (uint64_t)c->phdr.seq_secondary + 1;

        if (first->info->first_seq <= next)
                return 0;
        for (int i = 0; i < N_LOGS; i++) {
                const struct log_ctx *l = &c->log[i];

                if (l->info->format == VHIVE_LOG_NONE || l->info->ignored)
                        return vhive_fail(err, EUCLEAN,
                                          "transaction logs are inconsistent: %s and %s "
                                          "starts at entry %u while the hive stopped at %u "
                                          "(the entries between may have been in %s)",
                                          l->why, first->name, first->info->first_seq,
                                          c->phdr.seq_secondary, l->name);
        }
        return 0;
}

/* New format, sound primary: the log with the earlier entries first, the
 * other only when it continues the sequence.  A log that cannot continue
 * but holds newer entries means data we cannot reach: refuse. */
static int plan_new(struct replay_ctx *c, struct vhive_error *err)
{
        int idx[N_LOGS], n = 0;
        struct log_ctx *prev = NULL;
        uint32_t last = 0;

        if (!c->primary_ok)
                return plan_rebuild(c, err);
        for (int i = 0; i < N_LOGS; i++)
                if (is_candidate(&c->log[i], VHIVE_LOG_NEW))
                        idx[n++] = i;
        if (n == 2 && c->log[idx[1]].hdr.seq_primary < c->log[idx[0]].hdr.seq_primary) {
                int t = idx[0];
                idx[0] = idx[1];
                idx[1] = t;
        }
        for (int k = 0; k < n; k++) {
                struct log_ctx *l = &c->log[idx[k]];

                if (l->info->entries == 0) {
                        /* The newest log may be empty after a crash while
                         * writing it; an older one may not be. */
                        if (k + 1 < n && c->log[idx[k + 1]].info->entries > 0)
                                return fail_hole(l, &c->log[idx[k + 1]], err);
                        continue;
                }
                if (prev && l->info->first_seq != last + 1) {
                        if (l->info->last_seq <= last) {
                                vhive_log_why(l, "holds only entries already applied");
                                continue;
                        }
                        return fail_gap(prev, last, l, err);
                }
                c->order[c->n_order++] = idx[k];
                prev = l;
                last = l->info->last_seq;
        }
        if (c->n_order == 0)
                return fail_no_log(c, err);
        return check_missing(c, err);
}

/* A log whose base block is sound but whose body cannot be read (an
 * old-format log without its dirty vector, or truncated) is one Windows
 * would use and cannot: what it would load is unknown, and whatever the
 * log held would be lost for good once a writer marks the hive clean.  A
 * log with an invalid base block is not such a log: Windows ignores it,
 * and the replay (which skips it) gives what Windows loads. */
static int refuse_damaged(struct replay_ctx *c, struct vhive_error *err)
{
        for (int i = 0; i < N_LOGS; i++)
                if (c->log[i].info->damaged && !c->log[i].info->ignored)
                        return vhive_fail(err, EUCLEAN,
                                          "transaction log %s: vhive cannot know what "
                                          "Windows would load from this hive (a log "
                                          "Windows would use is never skipped)",
                                          c->log[i].why);
        return 0;
}

/* Every hive-bins byte a replay produces comes from the primary or from
 * a log page: a log claiming more (a 1 KiB entry announcing 2 GiB) must
 * not make us allocate it. */
static int refuse_oversized(struct replay_ctx *c, struct vhive_error *err)
{
        uint64_t have = c->primary_len > VHIVE_REGF_BASE_BLOCK ? c->primary_len
                                                               : VHIVE_REGF_BASE_BLOCK;
        uint64_t logs = (uint64_t)c->log[0].len + c->log[1].len;

        for (int k = 0; k < c->n_order; k++) {
                const struct log_ctx *l = &c->log[c->order[k]];
                uint64_t want = (uint64_t)VHIVE_REGF_BASE_BLOCK + l->max_hbins;

                if (want > have + logs)
                        return vhive_fail(err, EUCLEAN,
                                          "transaction log %s claims %u bytes of hive bins, "
                                          "more than the hive (%llu bytes) and its logs "
                                          "(%llu bytes) hold: refusing to replay it",
                                          l->name, l->max_hbins, (unsigned long long)have,
                                          (unsigned long long)logs);
        }
        return 0;
}

static int plan(struct replay_ctx *c, struct vhive_error *err)
{
        bool any_new = is_candidate(&c->log[0], VHIVE_LOG_NEW) ||
                       is_candidate(&c->log[1], VHIVE_LOG_NEW);

        c->format = any_new ? VHIVE_LOG_NEW : VHIVE_LOG_OLD;
        return any_new ? plan_new(c, err) : plan_old(c, err);
}

/* ---- applying ------------------------------------------------------------ */

/* Grows (never shrinks) the image to hold a base block and hbins bytes. */
static int image_grow(struct image *img, uint32_t hbins)
{
        size_t want = (size_t)VHIVE_REGF_BASE_BLOCK + hbins;
        uint8_t *p;

        if (want <= img->len)
                return 0;
        if (want > img->cap && img->fixed)
                return -EFBIG;
        if (want > img->cap) {
                p = realloc(img->buf, want);
                if (!p)
                        return -ENOMEM;
                vhive_huge_hint(p, want);
                img->buf = p;
                img->cap = want;
        }
        memset(img->buf + img->len, 0, want - img->len);
        img->len = want;
        return 0;
}

static int image_init(struct replay_ctx *c, struct image *img)
{
        size_t len = c->primary_len > VHIVE_REGF_BASE_BLOCK ? c->primary_len
                                                            : VHIVE_REGF_BASE_BLOCK;
        size_t have = c->primary ? c->primary_len : 0;
        const struct log_ctx *l;

        if (img->fixed && (img->buf != c->primary || img->cap < len))
                return -EINVAL; /* in place: the primary must be there already */
        if (!img->fixed && img->cap < len) {
                /* A reused buffer too small: a new one (its old bytes are
                 * all overwritten anyway). */
                free(img->buf);
                img->buf = malloc(len);
                if (!img->buf) {
                        img->cap = 0;
                        return -ENOMEM;
                }
                vhive_huge_hint(img->buf, len);
                img->cap = len;
        }
        if (!img->fixed) {
                if (have > 0)
                        memcpy(img->buf, c->primary, have);
                memset(img->buf + have, 0, len - have);
        }
        img->len = len;
        if (c->base_from < 0)
                return 0;
        /* A log keeps only the first sector of the base block; the rest
         * of the rebuilt one is zero, as in a freshly written hive. */
        l = &c->log[c->base_from];
        memset(img->buf, 0, VHIVE_REGF_BASE_BLOCK);
        memcpy(img->buf, l->buf, VHIVE_LOG_SECTOR);
        c->res->base_block_rebuilt = true;
        return 0;
}

static void apply_entry(struct image *img, const struct vhive_hvle *e)
{
        size_t data = VHIVE_HVLE_HEADER + (size_t)e->count * 8;
        uint32_t flags = vhive_le32(img->buf + 144);

        for (uint32_t i = 0; i < e->count; i++) {
                const uint8_t *ref = e->p + VHIVE_HVLE_HEADER + (size_t)i * 8;
                uint32_t page_off = vhive_le32(ref), page_size = vhive_le32(ref + 4);

                memcpy(img->buf + VHIVE_REGF_BASE_BLOCK + page_off, e->p + data, page_size);
                data += page_size;
        }
        /* Only bit 0 travels through a log entry (see the spec, note 11). */
        flags = (flags & ~1u) | (e->flags & 1u);
        vhive_put_le32(img->buf + 144, flags);
        vhive_put_le32(img->buf + 40, e->hbins_size);
}

static int apply_new(struct replay_ctx *c, struct log_ctx *l, struct image *img)
{
        size_t off = VHIVE_LOG_SECTOR;
        struct vhive_hvle e;
        int r;

        for (unsigned n = 0; n < l->info->entries; n++) {
                /* Checked again: the scan kept no pointers, and re-checking
                 * costs little next to the copy. */
                r = vhive_hvle_check(l->buf, l->len, off, &e);
                if (r < 0)
                        return -EIO;
                r = image_grow(img, e.hbins_size);
                if (r < 0)
                        return r;
                apply_entry(img, &e);
                l->info->applied++;
                c->res->entries_applied++;
                c->res->final_seq = e.seq;
                off += e.size;
        }
        return 0;
}

static int apply_old(struct replay_ctx *c, struct log_ctx *l, struct image *img)
{
        const uint8_t *bitmap = l->buf + VHIVE_LOG_SECTOR + 4;
        const uint8_t *page = l->buf + l->pages_off;
        uint32_t hbins = l->hdr.hbins_size;
        int r = image_grow(img, hbins);

        if (r < 0)
                return r;
        for (size_t bit = 0; bit < l->bitmap_len * 8; bit++) {
                if (!(bitmap[bit / 8] & (1u << (bit % 8))))
                        continue;
                memcpy(img->buf + VHIVE_REGF_BASE_BLOCK + bit * VHIVE_LOG_SECTOR, page,
                       VHIVE_LOG_SECTOR);
                page += VHIVE_LOG_SECTOR;
                l->info->applied++;
                c->res->entries_applied++;
        }
        vhive_put_le32(img->buf + 40, hbins);
        c->res->final_seq = l->hdr.seq_primary;
        return 0;
}

static void finish_header(struct image *img, uint32_t seq)
{
        vhive_put_le32(img->buf + 4, seq);
        vhive_put_le32(img->buf + 8, seq);
        vhive_put_le32(img->buf + 28, VHIVE_REGF_FILE_PRIMARY);
        vhive_regf_store_checksum(img->buf);
}

static int apply_plan(struct replay_ctx *c, struct image *img)
{
        int r = image_init(c, img);

        for (int k = 0; r == 0 && k < c->n_order; k++) {
                struct log_ctx *l = &c->log[c->order[k]];

                r = c->format == VHIVE_LOG_NEW ? apply_new(c, l, img) : apply_old(c, l, img);
        }
        if (r == 0)
                finish_header(img, c->res->final_seq);
        return r;
}

/* ---- the API ------------------------------------------------------------- */

int vhive_logs_check_readable(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                              size_t log1_len, const uint8_t *log2, size_t log2_len,
                              struct vhive_error *err)
{
        struct vhive_replay_result res;
        struct replay_ctx c;

        vhive_replay_describe(&c, primary, primary_len, log1, log1_len, log2, log2_len, &res);
        if (c.primary_ok && !vhive_regf_is_dirty(&c.phdr))
                return 0; /* Windows reads no log for a clean hive */
        return refuse_damaged(&c, err);
}

void vhive_logs_describe(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                         size_t log1_len, const uint8_t *log2, size_t log2_len,
                         struct vhive_replay_result *res)
{
        struct replay_ctx c;

        vhive_replay_describe(&c, primary, primary_len, log1, log1_len, log2, log2_len, res);
}

static int plain_copy(const uint8_t *primary, size_t len, uint8_t **out, size_t *out_len)
{
        *out = malloc(len);
        if (!*out)
                return -ENOMEM;
        vhive_huge_hint(*out, len);
        memcpy(*out, primary, len);
        *out_len = len;
        return 0;
}

/* The replay into img (reused when it has room); *no_log set, and
 * nothing applied, when the primary needs no log. */
static int replay_into(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                       size_t log1_len, const uint8_t *log2, size_t log2_len, struct image *img,
                       bool *no_log, struct vhive_replay_result *res, struct vhive_error *err)
{
        struct replay_ctx c;
        int r;

        vhive_replay_describe(&c, primary, primary_len, log1, log1_len, log2, log2_len, res);
        *no_log = c.primary_ok && !vhive_regf_is_dirty(&c.phdr);
        if (*no_log) {
                res->final_seq = c.phdr.seq_primary;
                return 0;
        }
        r = plan(&c, err);
        if (r == 0)
                r = refuse_oversized(&c, err);
        if (r < 0)
                return r;
        r = apply_plan(&c, img);
        if (r < 0) {
                for (int i = 0; i < N_LOGS; i++)
                        res->log[i].applied = 0;
                res->entries_applied = 0;
                return vhive_fail(err, -r, "replaying the transaction logs: %s", strerror(-r));
        }
        return 0;
}

int vhive_replay(const uint8_t *primary, size_t primary_len, const uint8_t *log1, size_t log1_len,
                 const uint8_t *log2, size_t log2_len, uint8_t **out, size_t *out_len,
                 struct vhive_replay_result *res, struct vhive_error *err)
{
        struct vhive_replay_result local;
        struct image img = { 0 };
        bool no_log = false;
        int r;

        if (!out || !out_len)
                return vhive_fail(err, EINVAL, "replay: no output buffer");
        *out = NULL;
        *out_len = 0;
        r = replay_into(primary, primary_len, log1, log1_len, log2, log2_len, &img, &no_log,
                        res ? res : &local, err);
        if (r == 0 && no_log) {
                r = plain_copy(primary, primary_len, out, out_len);
                return r < 0 ? vhive_fail(err, -r, "replay: out of memory") : 0;
        }
        if (r < 0) {
                free(img.buf);
                return r;
        }
        *out = img.buf;
        *out_len = img.len;
        return 0;
}

int vhive_replay_view(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                      size_t log1_len, const uint8_t *log2, size_t log2_len,
                      struct vhive_replay_buf *scratch, const uint8_t **out, size_t *out_len,
                      struct vhive_replay_result *res, struct vhive_error *err)
{
        struct vhive_replay_result local;
        struct image img = { .buf = scratch->b, .cap = scratch->cap };
        bool no_log = false;
        int r;

        *out = NULL;
        *out_len = 0;
        r = replay_into(primary, primary_len, log1, log1_len, log2, log2_len, &img, &no_log,
                        res ? res : &local, err);
        scratch->b = img.buf;
        scratch->cap = img.cap;
        if (r < 0)
                return r;
        *out = no_log ? primary : img.buf;
        *out_len = no_log ? primary_len : img.len;
        return 0;
}

int vhive_replay_in_place(uint8_t *buf, size_t len, const uint8_t *log1, size_t log1_len,
                          const uint8_t *log2, size_t log2_len, size_t *out_len,
                          struct vhive_replay_result *res, struct vhive_error *err)
{
        struct vhive_replay_result local;
        struct image img = { .buf = buf, .cap = len, .fixed = true };
        bool no_log = false;
        int r;

        *out_len = len;
        if (len < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "replay: a hive shorter than its base block");
        r = replay_into(buf, len, log1, log1_len, log2, log2_len, &img, &no_log, res ? res : &local,
                        err);
        if (r == 0 && !no_log)
                *out_len = img.len;
        return r;
}
