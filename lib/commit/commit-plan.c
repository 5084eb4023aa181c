/* Planning a logged commit: what the files hold (replayed), what the
 * primary will hold, which 4 KiB pages change, and which log record, in
 * which log file, keeps every intermediate state recoverable.  Each
 * candidate layout is checked by replaying, in memory, the states a crash
 * can leave, before anything is written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "commit-plan.h"
#include "log-replay-internal.h"
#include "macro.h"

#define FILETIME_UNIX_EPOCH 116444736000000000ull
#define LOG_GROWTH 65536u /* logs grow in whole 64 KiB steps */

static const char *const log_names[2] = { "LOG1", "LOG2" };

static int read_all(struct vhive_file *f, uint8_t **buf, size_t *len, struct vhive_error *err)
{
        uint64_t size;
        int r = f->ops->size(f, &size, err);

        *buf = NULL;
        *len = 0;
        if (r < 0)
                return r;
        if (size >= VHIVE_HBINS_MAX)
                return vhive_fail(err, EFBIG, "%s is too large for a log (%llu bytes)", f->name,
                                  (unsigned long long)size);
        *buf = malloc(size ? size : 1);
        if (!*buf)
                return vhive_fail(err, ENOMEM, "out of memory");
        vhive_huge_hint(*buf, size);
        *len = size;
        return size ? f->ops->pread(f, *buf, size, 0, err) : 0;
}

static int read_logs(struct commit *c, struct vhive_error *err)
{
        for (int i = 0; i < 2; i++) {
                struct vhive_file *f = c->files->log[i];
                int r = f ? read_all(f, &c->log[i], &c->log_len[i], err) : 0;

                if (r < 0)
                        return r;
        }
        return 0;
}

static int replay_found(struct commit *c, struct vhive_error *err)
{
        struct vhive_error e = { 0 };
        int r = vhive_replay_view(c->old, c->old_len, c->log[0], c->log_len[0], c->log[1],
                                  c->log_len[1], &c->found_buf, &c->replayed, &c->replayed_len,
                                  &c->res, &e);

        if (r < 0)
                return vhive_fail(err, -r,
                                  "the hive as found cannot be recovered, so no "
                                  "commit can be made safe: %s",
                                  e.msg);
        /* The edit was made on bytes read earlier (host copies): writing
         * pages of it over anything else would mix two hives. */
        if (c->based_on && (c->based_len != c->replayed_len ||
                            (c->based_on != c->replayed &&
                             memcmp(c->based_on, c->replayed, c->replayed_len) != 0)))
                return vhive_fail(err, ESTALE,
                                  "%s (with its logs) no longer holds the hive "
                                  "the change was made on: it was changed since it was "
                                  "read; nothing was written",
                                  c->files->primary->name);
        return 0;
}

static int pick_format(struct commit *c, struct vhive_error *err)
{
        if (c->fmt == VHIVE_LOG_NONE)
                c->fmt = vhive_log_format_of(c->log[0], c->log_len[0], c->log[1], c->log_len[1]);
        if (c->fmt == VHIVE_LOG_NONE)
                return vhive_fail(err, EINVAL,
                                  "cannot tell which transaction-log format this "
                                  "Windows reads: the logs are missing or empty (give the "
                                  "format, from SOFTWARE's CurrentBuild)");
        if (c->fmt != VHIVE_LOG_NEW && c->fmt != VHIVE_LOG_OLD)
                return vhive_fail(err, EINVAL, "unknown transaction-log format %d", c->fmt);
        for (int i = 0; c->dirty && i < 2; i++)
                if (c->res.log[i].applied && c->res.log[i].format != c->fmt)
                        return vhive_fail(err, EINVAL,
                                          "the hive is dirty with %s-format logs, "
                                          "but a %s-format commit was asked for",
                                          c->res.log[i].format == VHIVE_LOG_NEW ? "new" : "old",
                                          c->fmt == VHIVE_LOG_NEW ? "new" : "old");
        return 0;
}

static uint64_t filetime_now(void)
{
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        return FILETIME_UNIX_EPOCH + (uint64_t)now.tv_sec * 10000000u + (uint64_t)now.tv_nsec / 100;
}

/* Later than anything in the files, so that the new log is the one whose
 * time matches the updated primary.  Only base blocks that Windows would
 * read count: a damaged log's time may be any garbage. */
static uint64_t new_timestamp(const struct commit *c)
{
        uint64_t t = filetime_now(), floor = vhive_le64(c->replayed + 12);

        for (int i = 0; i < 2; i++) {
                enum vhive_log_format f = c->res.log[i].format;

                if ((f == VHIVE_LOG_NEW || f == VHIVE_LOG_OLD) &&
                    vhive_le64(c->log[i] + 12) > floor)
                        floor = vhive_le64(c->log[i] + 12);
        }
        if (floor == UINT64_MAX)
                return floor; /* cannot be later: the replay checks decide */
        return t > floor ? t : floor + 1;
}

/* Sequence numbers and time.  A dirty hive written in the new format
 * keeps its time: its logs' base blocks carry it (the boot loader picks
 * the log whose time equals the primary's) and a crash before the primary
 * changes must still replay to exactly the new hive. */
static void pick_numbers(struct commit *c)
{
        uint32_t lowest = c->res.final_seq;

        c->seq = (c->dirty ? c->res.final_seq : c->ohdr.seq_primary) + 1;
        if (c->dirty && c->fmt == VHIVE_LOG_NEW)
                c->ts = vhive_le64(c->replayed + 12);
        else
                c->ts = new_timestamp(c);
        for (int i = 0; i < 2; i++)
                if (c->res.log[i].applied && c->res.log[i].seq_primary < lowest)
                        lowest = c->res.log[i].seq_primary;
        /* The secondary number decides which logs are eligible: keep it. */
        c->seq2_mid = !c->dirty || c->old_ok ? c->ohdr.seq_secondary : lowest;
}

static int check_new(const uint8_t *n, size_t len, uint32_t *hbins, struct vhive_error *err)
{
        struct vhive_regf_header h;

        if (vhive_regf_parse(n, len, &h) < 0 || len < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "the new hive has no regf base block");
        if (!vhive_hbins_size_ok(h.hbins_size) ||
            len < VHIVE_REGF_BASE_BLOCK + (size_t)h.hbins_size)
                return vhive_fail(err, EINVAL,
                                  "the new hive's hive-bins size %u does not fit "
                                  "its %zu bytes",
                                  h.hbins_size, len);
        *hbins = h.hbins_size;
        return 0;
}

static void stamp(uint8_t *base, uint32_t seq1, uint32_t seq2, uint64_t ts)
{
        vhive_put_le32(base + 4, seq1);
        vhive_put_le32(base + 8, seq2);
        vhive_put_le32(base + 12, (uint32_t)ts);
        vhive_put_le32(base + 16, (uint32_t)(ts >> 32));
        vhive_put_le32(base + 28, VHIVE_REGF_FILE_PRIMARY);
        vhive_regf_store_checksum(base);
}

/* The primary after the commit: the file's bytes with the new hive over
 * them (a longer file keeps its tail: nothing is truncated). */
static int build_final(struct commit *c, const uint8_t *n, size_t n_len, struct vhive_error *err)
{
        c->final_len = c->old_len > n_len ? c->old_len : n_len;
        c->final_lent = c->new_mut && n_len >= c->old_len;
        c->final = c->final_lent ? c->new_mut : malloc(c->final_len);
        if (!c->final)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (!c->final_lent) {
                vhive_huge_hint(c->final, c->final_len);
                memcpy(c->final, n, n_len);
                if (c->old_len > n_len) /* only the tail: the rest is the new hive's */
                        memcpy(c->final + n_len, c->old + n_len, c->old_len - n_len);
        }
        stamp(c->final, c->seq, c->seq, c->ts);
        /* Old format: the first bin's time picks the log when the base
         * block is lost (spec, "Hive bin"), so it moves with the hive's. */
        if (c->fmt == VHIVE_LOG_OLD && c->final_len >= VHIVE_REGF_BASE_BLOCK + 32 &&
            memcmp(c->final + VHIVE_REGF_BASE_BLOCK, "hbin", 4) == 0) {
                vhive_put_le32(c->final + VHIVE_REGF_BASE_BLOCK + 20, (uint32_t)c->ts);
                vhive_put_le32(c->final + VHIVE_REGF_BASE_BLOCK + 24, (uint32_t)(c->ts >> 32));
        }
        memcpy(c->mid, c->final, sizeof(c->mid));
        stamp(c->mid, c->seq, c->seq2_mid, c->ts);
        return 0;
}

static bool page_differs(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, size_t at)
{
        static const uint8_t zero[VHIVE_PAGE];
        const uint8_t *pa = at + VHIVE_PAGE <= a_len ? a + at : zero;
        const uint8_t *pb = at + VHIVE_PAGE <= b_len ? b + at : zero;

        /* hive bins are whole 4 KiB pages; a short tail reads as zeros */
        return memcmp(pa, pb, VHIVE_PAGE) != 0;
}

static int push_page(struct vhive_pages *p, uint32_t off)
{
        uint32_t *o = realloc(p->off, (p->n + 1) * sizeof(*o));

        if (!o)
                return -ENOMEM;
        p->off = o;
        o[p->n++] = off;
        return 0;
}

/* In place: pages that differ from the file.  Logged: those, plus pages
 * the replay changed, which the log must carry for a replay that reaches
 * them through the old entries to end at the new hive. */
static int diff_pages(struct commit *c, struct vhive_error *err)
{
        for (uint32_t off = 0; off < c->hbins; off += VHIVE_PAGE) {
                size_t at = VHIVE_REGF_BASE_BLOCK + (size_t)off;
                bool disk = page_differs(c->final, c->final_len, c->old, c->old_len, at);
                /* A clean hive's replay is the file itself (not a copy). */
                bool repl = c->replayed == c->old && c->replayed_len == c->old_len
                                    ? disk
                                    : page_differs(c->final, c->final_len, c->replayed,
                                                   c->replayed_len, at);

                if ((disk && push_page(&c->pages, off) < 0) ||
                    ((disk || repl) && push_page(&c->logged, off) < 0))
                        return vhive_fail(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int pad_to(uint8_t **buf, size_t *len, size_t want)
{
        uint8_t *b;

        if (*len >= want)
                return 0;
        b = realloc(*buf, want);
        if (!b)
                return -ENOMEM;
        vhive_huge_hint(b, want);
        memset(b + *len, 0, want - *len);
        *buf = b;
        *len = want;
        return 0;
}

/* src followed by zeros up to want bytes, in a buffer of its own. */
static uint8_t *padded_copy(const uint8_t *src, size_t len, size_t want)
{
        uint8_t *b = malloc(want ? want : 1);

        if (!b)
                return NULL;
        vhive_huge_hint(b, want);
        memcpy(b, src, len);
        memset(b + len, 0, want - len);
        return b;
}

/* A primary that must grow is extended (zero-filled) before anything
 * else: from then on "the old hive" is the old one followed by zeros.
 * A hive that keeps its length is not copied (issue 20). */
static int pad_all(struct commit *c, struct vhive_error *err)
{
        size_t len = c->final_len > c->replayed_len ? c->final_len : c->replayed_len;

        if (c->final_lent && c->final_len < len) {
                uint8_t *own = padded_copy(c->final, c->final_len, len);

                if (!own)
                        return vhive_fail(err, ENOMEM, "out of memory");
                c->final = own;
                c->final_len = len;
                c->final_lent = false;
        }
        if (pad_to(&c->final, &c->final_len, len) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (c->replayed_len < len) {
                c->replayed_own = padded_copy(c->replayed, c->replayed_len, len);
                if (!c->replayed_own)
                        return vhive_fail(err, ENOMEM, "out of memory");
                c->replayed = c->replayed_own;
                c->replayed_len = len;
        }
        c->oldpad = c->old;
        if (c->old_len < len) {
                c->oldpad = c->oldpad_own = padded_copy(c->old, c->old_len, len);
                if (!c->oldpad_own)
                        return vhive_fail(err, ENOMEM, "out of memory");
        }
        return 0;
}

int vhive_commit_prepare(struct commit *c, const uint8_t *new_hive, size_t new_len,
                         struct vhive_error *err)
{
        int r = check_new(new_hive, new_len, &c->hbins, err);

        if (r == 0)
                r = read_logs(c, err);
        if (r == 0)
                r = replay_found(c, err);
        if (r < 0)
                return r;
        c->old_ok = vhive_regf_parse(c->old, c->old_len, &c->ohdr) == 0 && c->ohdr.checksum_ok &&
                    c->ohdr.file_type == VHIVE_REGF_FILE_PRIMARY;
        c->dirty = !c->old_ok || vhive_regf_is_dirty(&c->ohdr);
        r = pick_format(c, err);
        if (r < 0)
                return r;
        pick_numbers(c);
        r = build_final(c, new_hive, new_len, err);
        c->found_len = c->replayed_len;
        if (r == 0)
                r = pad_all(c, err);
        return r < 0 ? r : diff_pages(c, err);
}

/* ---- the log record, and where it goes --------------------------------- */

static uint64_t log_file_size(const struct commit *c, int i)
{
        return c->log_len[i];
}

/* Grows the record's log when it is too small; a zero sector after a new
 * entry, when the log has room, ends the chain there (an older entry that
 * happened to start at that offset must not be taken as the next one). */
static int size_log(struct commit *c, struct log_write *w, struct vhive_error *err)
{
        uint64_t size = log_file_size(c, w->li), need = w->off + w->body_len;
        uint8_t *b;

        w->new_size = 0;
        if (need > size) {
                w->new_size = (need + VHIVE_LOG_SECTOR + LOG_GROWTH - 1) / LOG_GROWTH * LOG_GROWTH;
                size = w->new_size;
        }
        if (c->fmt != VHIVE_LOG_NEW || need + VHIVE_LOG_SECTOR > size)
                return 0;
        b = realloc(w->body, w->body_len + VHIVE_LOG_SECTOR);
        if (!b)
                return vhive_fail(err, ENOMEM, "out of memory");
        memset(b + w->body_len, 0, VHIVE_LOG_SECTOR);
        w->body = b;
        w->body_len += VHIVE_LOG_SECTOR;
        return 0;
}

/* A record always starts its log afresh: a base block, then the body from
 * the first sector (appending to a chain would write a log the hive may
 * still need). */
static int build_record(struct commit *c, struct log_write *w, struct vhive_error *err)
{
        uint32_t flags = vhive_le32(c->final + 144) & 1u;
        int r;

        w->with_base = true;
        w->base_last = c->dirty;
        w->off = VHIVE_LOG_SECTOR;
        vhive_log_base_block(c->final, c->fmt == VHIVE_LOG_NEW ? 6 : 1, c->seq, w->base);
        if (c->fmt == VHIVE_LOG_NEW)
                r = vhive_hvle_build(c->final, &c->logged, c->seq, c->hbins, flags, &w->body,
                                     &w->body_len);
        else
                r = vhive_dirt_build(c->final, &c->pages, c->hbins, &w->body, &w->body_len);
        if (r < 0)
                return vhive_fail(err, -r, "out of memory");
        return size_log(c, w, err);
}

/* ---- candidates ---------------------------------------------------------- */

/* Writing a log, and growing it most of all, changes filesystem metadata
 * (ntfs-3g rewrites the log's file record, and for growth its folder's
 * index record; a torn 1 KiB record makes the file unreadable): a log the
 * dirty hive needs (the only copy of changes not yet in the primary) is
 * left untouched: no candidate names one.  When no other log can take the
 * record, the hive is recovered in place first, as Windows does at boot. */
struct candidate {
        int li;
};

/* New format, dirty: a fresh start in a log the replay did not need (a
 * needed log is left as it is until the hive is clean on disk; appending
 * to it would still rewrite its filesystem record: its size, its times).
 * Clean: a fresh start, first in the log that does not hold the newer
 * entries (Windows alternates), then in the other. */
static int candidates_new(const struct commit *c, struct candidate *cand)
{
        int n = 0, first = 0;

        if (c->dirty) {
                for (int i = 0; i < 2; i++)
                        if (!c->res.log[i].applied)
                                cand[n++] = (struct candidate){ i };
                return n;
        }
        if (c->res.log[0].format == VHIVE_LOG_NEW && c->res.log[1].format == VHIVE_LOG_NEW &&
            c->res.log[0].seq_primary > c->res.log[1].seq_primary)
                first = 1;
        cand[n++] = (struct candidate){ first };
        cand[n++] = (struct candidate){ !first };
        return n;
}

/* Old format: one cumulative log, LOG1 normally; for a dirty hive the
 * one the replay did not use, so that the old state stays recoverable
 * while the new log is written. */
static int candidates_old(const struct commit *c, struct candidate *cand)
{
        int n = 0;

        for (int i = 0; i < 2; i++)
                if (!c->dirty || !c->res.log[i].applied)
                        cand[n++] = (struct candidate){ i };
        return n;
}

/* 1 and the record in *w when candidate k passes, 0 when not, -errno. */
static int try_candidate(struct commit *c, const struct candidate *k, struct log_write *w,
                         struct vhive_error *err)
{
        int r;

        *w = (struct log_write){ .li = k->li };
        r = build_record(c, w, err);
        if (r == 0)
                r = vhive_commit_layout_ok(c, w);
        if (r > 0)
                r = vhive_commit_two_step_ok(c, w);
        if (r <= 0) {
                free(w->body);
                w->body = NULL;
        }
        return r;
}

/* ---- recovering a dirty hive in place first ------------------------------ */

static bool chunk_differs(const struct commit *c, size_t at, size_t len)
{
        static const uint8_t zero[VHIVE_PAGE];
        size_t have = at < c->old_len ? c->old_len - at : 0;

        if (have > len)
                have = len;
        return memcmp(c->replayed + at, c->old + at, have) != 0 ||
               memcmp(c->replayed + at + have, zero, len - have) != 0;
}

/* The replayed hive's pages (past the base block) that differ from the
 * file: Windows' recovery at boot writes them, then the clean base block. */
static int recovery_pages(struct commit *c)
{
        for (size_t at = VHIVE_REGF_BASE_BLOCK; at < c->found_len; at += VHIVE_PAGE) {
                size_t len = c->found_len - at < VHIVE_PAGE ? c->found_len - at : VHIVE_PAGE;

                if (chunk_differs(c, at, len) &&
                    push_page(&c->recover_pages, (uint32_t)(at - VHIVE_REGF_BASE_BLOCK)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* While the pages are written the base block is the file's own, so the
 * logs as they are still apply: with every page written (a page not
 * written is the file's), both orders must give the replayed hive. */
static int recovery_ok(struct commit *c)
{
        const uint8_t *logs[2] = { c->log[0], c->log[1] };
        size_t lens[2] = { c->log_len[0], c->log_len[1] };
        uint8_t *st = malloc(c->final_len);
        int r;

        vhive_huge_hint(st, c->final_len);

        if (!st)
                return -ENOMEM;
        memcpy(st, c->oldpad, c->final_len);
        for (unsigned i = 0; i < c->recover_pages.n; i++) {
                size_t at = VHIVE_REGF_BASE_BLOCK + c->recover_pages.off[i];
                size_t len = c->found_len - at < VHIVE_PAGE ? c->found_len - at : VHIVE_PAGE;

                memcpy(st + at, c->replayed + at, len);
        }
        r = vhive_commit_replays_to(c, logs, lens, st, c->final_len, c->replayed, c->replayed_len,
                                    NULL, 0);
        free(st);
        return r;
}

static int plan_recovery(struct commit *c, struct vhive_error *err)
{
        int r = recovery_pages(c);

        if (r == 0)
                r = recovery_ok(c);
        if (r == -ENOMEM)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (r <= 0)
                return vhive_fail(err, EUCLEAN,
                                  "%s is dirty, its logs have no room for the change, and "
                                  "writing the recovered hive in place first would not keep "
                                  "it recoverable; nothing was written",
                                  c->files->primary->name);
        c->recover_first = true;
        return 0;
}

static int no_log(const struct commit *c, struct vhive_error *err)
{
        if (c->dirty && c->fmt == VHIVE_LOG_OLD)
                return vhive_fail(err, ENOENT,
                                  "%s is dirty and its one old-format log is "
                                  "needed to recover it until the update is complete; there "
                                  "is no second log file to write the change to",
                                  c->files->primary->name);
        return vhive_fail(err, ENOENT,
                          "%s has no transaction log file (.%s or .%s) "
                          "to write the change to first",
                          c->files->primary->name, log_names[0], log_names[1]);
}

int vhive_commit_choose_log(struct commit *c, struct vhive_error *err)
{
        struct candidate cand[4];
        int n = c->fmt == VHIVE_LOG_NEW ? candidates_new(c, cand) : candidates_old(c, cand);
        bool any = false;

        for (int k = 0; k < n; k++) {
                struct log_write w;
                int r;

                if (!c->files->log[cand[k].li])
                        continue;
                any = true;
                r = try_candidate(c, &cand[k], &w, err);
                if (r > 0) {
                        c->w = w;
                        return 0;
                }
                if (r == -ENOMEM)
                        return vhive_fail(err, ENOMEM, "out of memory");
                if (r < 0)
                        return r;
        }
        /* New format: both logs needed (no candidate) still leaves a log
         * to use once the hive is recovered.  Old format: a single log
         * is refused as before. */
        if (!any && (c->fmt == VHIVE_LOG_OLD || (!c->files->log[0] && !c->files->log[1])))
                return no_log(c, err);
        if (c->dirty)
                return plan_recovery(c, err);
        return vhive_fail(err, EUCLEAN,
                          "the transaction logs are in a state where no log "
                          "record would keep the hive recoverable at every step; nothing "
                          "was written");
}

void vhive_commit_free(struct commit *c)
{
        for (int i = 0; i < 2; i++)
                free(c->log[i]);
        free(c->found_buf.b);
        free(c->replayed_own);
        free(c->oldpad_own);
        free(c->scratch.b);
        if (c->mixed_mapped)
                munmap(c->mixed, c->final_len);
        else
                free(c->mixed);
        if (!c->final_lent)
                free(c->final);
        free(c->pages.off);
        free(c->logged.off);
        free(c->recover_pages.off);
        free(c->w.body);
}
