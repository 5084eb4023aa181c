/* The logged commit: the protocol Windows uses for its own hives (M.
 * Suhanov, "Windows registry file format specification"; docs in
 * registry-notes.md, "Writing like Windows").
 *
 *   -. a dirty hive whose needed log would have to grow is first
 *      recovered in place, as Windows does at boot: the replayed pages
 *      into the primary, flushed (its base block still dirty, so the
 *      logs, untouched, still apply); then its clean base block, flushed.
 *      The commit then starts again on the clean hive, which needs no
 *      log: from here on growing one puts nothing at risk;
 *   0. grow what is too small (log, primary), each flushed: a stop here
 *      leaves the old hive, only longer files;
 *   1. the log record (pages of the new hive), flushed; for a dirty hive
 *      a fresh record is written as: an invalid base block, flushed; the
 *      body, flushed; the base block, flushed;
 *   2. the primary's base block: first sequence number ahead of the
 *      second (being updated), new time, checksum; flushed;
 *   3. the changed pages in place, flushed;
 *   4. the base block with both numbers equal, flushed.
 *
 * A stop before 2 replays to the old hive, from 2 on to the new one.
 * commit-plan.c checks this for the chosen record before step 0.  Last,
 * the primary is read back and compared with what it must hold. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit-plan.h"
#include "log-replay-internal.h"
#include "macro.h"

static int flushed_write(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                         struct vhive_commit_stats *st, struct vhive_error *err)
{
        int r;

        st->files_touched = true;
        r = f->ops->pwrite(f, buf, len, off, err);
        return r < 0 ? r : f->ops->flush(f, err);
}

static int grow(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *log = c->files->log[c->w.li], *p = c->files->primary;
        int r = 0;

        if (c->w.new_size) {
                st->files_touched = true;
                r = log->ops->extend(log, c->w.new_size, err);
        }
        if (r == 0 && c->final_len > c->primary_size) {
                st->files_touched = true;
                st->primary_extended = true;
                r = p->ops->extend(p, c->final_len, err);
        }
        return r;
}

/* Body first, under an invalid base block: a stop anywhere leaves either
 * a log that no replay reads or the complete record. */
static int write_base_last(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        static const uint8_t invalid[VHIVE_LOG_SECTOR];
        struct log_write *w = &c->w;
        struct vhive_file *log = c->files->log[w->li];
        int r = flushed_write(log, invalid, sizeof(invalid), 0, st, err);

        if (r == 0)
                r = flushed_write(log, w->body, w->body_len, w->off, st, err);
        if (r == 0)
                r = flushed_write(log, w->base, VHIVE_LOG_SECTOR, 0, st, err);
        return r;
}

/* One write: the base block followed by the record. */
static int write_together(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct log_write *w = &c->w;
        uint8_t *all = malloc(VHIVE_LOG_SECTOR + w->body_len);
        int r;

        if (!all)
                return vhive_fail(err, ENOMEM, "out of memory");
        memcpy(all, w->base, VHIVE_LOG_SECTOR);
        memcpy(all + VHIVE_LOG_SECTOR, w->body, w->body_len);
        r = flushed_write(c->files->log[w->li], all, VHIVE_LOG_SECTOR + w->body_len, 0, st, err);
        free(all);
        return r;
}

static int write_log(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct log_write *w = &c->w;
        int r;

        if (w->base_last)
                r = write_base_last(c, st, err);
        else if (w->with_base)
                r = write_together(c, st, err);
        else
                r = flushed_write(c->files->log[w->li], w->body, w->body_len, w->off, st, err);
        if (r == 0)
                st->log_bytes = w->body_len + VHIVE_LOG_SECTOR * (w->base_last   ? 2u
                                                                  : w->with_base ? 1u
                                                                                 : 0u);
        return r;
}

/* Pages up to GAP_PAGES apart go in one write: the unchanged pages
 * between hold the same bytes in the file and in the new hive, and fewer,
 * larger writes cost less through NBD or the appliance. */
#define GAP_PAGES 8u

/* The run of pages from pg->off[*i]: pages up to GAP_PAGES apart, as one
 * write, [*at, *at + *len) of a file limit bytes long; *i moves past it. */
static void next_run(const struct vhive_pages *pg, unsigned *i, size_t limit, uint64_t *at,
                     size_t *len)
{
        unsigned j = *i + 1;

        while (j < pg->n && pg->off[j] - pg->off[j - 1] <= GAP_PAGES * VHIVE_PAGE)
                j++;
        *at = VHIVE_REGF_BASE_BLOCK + (uint64_t)pg->off[*i];
        *len = (size_t)(pg->off[j - 1] - pg->off[*i]) + VHIVE_PAGE;
        if (*at >= limit)
                *len = 0;
        else if (*len > limit - *at)
                *len = limit - *at;
        *i = j;
}

/* Contiguous pages of src (limit bytes long) go in one write. */
static int write_pages(struct commit *c, const struct vhive_pages *pg, const uint8_t *src,
                       size_t limit, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;

        for (unsigned i = 0; i < pg->n;) {
                uint64_t at;
                size_t len;
                int r;

                next_run(pg, &i, limit, &at, &len);
                st->files_touched = true;
                r = p->ops->pwrite(p, src + at, len, at, err);
                if (r < 0)
                        return r;
                st->primary_bytes += len;
        }
        return pg->n ? p->ops->flush(p, err) : 0;
}

static int update_primary(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        /* Whole base blocks: a torn write keeps its first sector whole. */
        int r = flushed_write(p, c->mid, VHIVE_REGF_BASE_BLOCK, 0, st, err);

        st->marked = r == 0;
        if (r == 0)
                r = write_pages(c, &c->pages, c->final, c->final_len, st, err);
        if (r == 0)
                r = flushed_write(p, c->final, VHIVE_REGF_BASE_BLOCK, 0, st, err);
        if (r == 0)
                st->primary_bytes += 2 * VHIVE_REGF_BASE_BLOCK;
        return r;
}

/* Windows' recovery at boot: the replayed pages (the logs, untouched,
 * still apply to a primary whose base block is dirty), then the clean
 * base block. */
static int recover_in_place(struct commit *c, struct vhive_commit_stats *st,
                            struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        int r = 0;

        if (c->found_len > c->primary_size) {
                st->files_touched = true;
                st->primary_extended = true;
                r = p->ops->extend(p, c->found_len, err);
        }
        if (r == 0)
                r = write_pages(c, &c->recover_pages, c->replayed, c->found_len, st, err);
        if (r == 0)
                r = flushed_write(p, c->replayed, VHIVE_REGF_BASE_BLOCK, 0, st, err);
        if (r == 0)
                st->recovered_first = true;
        return r;
}

static int check_primary(struct commit *c, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        int r = p->ops->size(p, &c->primary_size, err);

        if (r < 0)
                return r;
        if (c->primary_size != c->old_len)
                return vhive_fail(err, ESTALE,
                                  "%s changed since it was read (%llu bytes, "
                                  "read %zu)",
                                  p->name, (unsigned long long)c->primary_size, c->old_len);
        return 0;
}

/* Compared in blocks of this size: 64 KiB is NTFS's largest usual
 * cluster, so a read-modify-write of a cluster that went wrong next to a
 * written page is compared too. */
#define CHECK_BLOCK (64u * 1024)
#define CHECK_CHUNK (1u << 20)

static bool full_read(void)
{
        const char *full = getenv("VHIVE_COMMIT_FULL_READ");

        return full && *full && strcmp(full, "0") != 0;
}

/* [at, at + len) of the primary, read in chunks, equals want[at...]. */
static int same_in_file(struct vhive_file *p, uint64_t at, size_t len, const uint8_t *want,
                        uint8_t *buf, bool *same, struct vhive_error *err)
{
        while (len > 0 && *same) {
                size_t n = len < CHECK_CHUNK ? len : CHECK_CHUNK;
                int r = p->ops->pread(p, buf, n, at, err);

                if (r < 0)
                        return r;
                *same = memcmp(buf, want + at, n) == 0;
                at += n;
                len -= n;
        }
        return 0;
}

/* [at, at + len) widened to whole CHECK_BLOCKs inside [0, limit), less
 * what *done (the end of the last block compared) already covers. */
static int same_widened(struct vhive_file *p, uint64_t at, size_t len, size_t limit,
                        const uint8_t *want, uint8_t *buf, uint64_t *done, bool *same,
                        struct vhive_error *err)
{
        uint64_t from = at / CHECK_BLOCK * CHECK_BLOCK;
        uint64_t to = (at + len + CHECK_BLOCK - 1) / CHECK_BLOCK * CHECK_BLOCK;

        if (from < *done)
                from = *done;
        if (to > limit)
                to = limit;
        if (from >= to)
                return 0;
        *done = to;
        return same_in_file(p, from, (size_t)(to - from), want, buf, same, err);
}

/* Whether the primary holds want (limit bytes long) in its base block,
 * around every run of pg (what write_pages writes) and past its size
 * before the commit; the whole file when full. */
static int same_where_written(struct commit *c, const struct vhive_pages *pg, const uint8_t *want,
                              size_t limit, bool full, bool *same, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        uint8_t *buf = malloc(CHECK_CHUNK);
        uint64_t done = 0;
        int r;

        *same = true;
        if (!buf)
                return vhive_fail(err, ENOMEM, "out of memory");
        if (full)
                r = same_in_file(p, 0, limit, want, buf, same, err);
        else
                r = same_widened(p, 0, VHIVE_REGF_BASE_BLOCK, limit, want, buf, &done, same, err);
        for (unsigned i = 0; !full && r == 0 && *same && i < pg->n;) {
                uint64_t at;
                size_t len;

                next_run(pg, &i, limit, &at, &len);
                r = same_widened(p, at, len, limit, want, buf, &done, same, err);
        }
        /* What the primary grew by (zero-filled by extend; the pages
         * the commit did not write there must read as zeros). */
        if (!full && r == 0 && *same && c->primary_size < limit)
                r = same_widened(p, c->primary_size, (size_t)(limit - c->primary_size), limit, want,
                                 buf, &done, same, err);
        free(buf);
        return r;
}

/* The staleness check of a held copy (vhive_commit_in.held; a caller that read
 * the file itself just now needs none).  The copy was made, and the
 * commit planned, on the primary as downloaded; what the commit then
 * relies on is that the file still holds it.  The file has been held by
 * this process alone since (qemu's image lock: no other qemu, vhive or
 * Windows writes the image; vhive itself wrote only other files, checked
 * distinct, through writes that touch only their own clusters), so
 * reading it all again would find what the download found.  What is
 * compared is what a mix-up would hurt, and cheap: the base block (any
 * registry writer, Windows or vhive, changes its sequence numbers before
 * a bin) and the blocks the commit overwrites, whose old bytes the crash
 * states replayed in memory assume.  A difference refuses the commit
 * with nothing written (ESTALE), as the full comparison did. */
static int check_found(struct commit *c, struct vhive_error *err)
{
        const struct vhive_pages *pg = c->recover_first ? &c->recover_pages : &c->pages;
        bool same = true;
        int r;

        if (!c->held)
                return 0;
        r = same_where_written(c, pg, c->old, c->old_len, full_read(), &same, err);
        if (r == 0 && !same)
                r = vhive_fail(err, ESTALE,
                               "%s no longer holds the hive the change was made on: it was "
                               "changed since it was read; nothing was written",
                               c->files->primary->name);
        return r;
}

/* The primary as the disk now gives it must be what was written.  For
 * held files (no other writer) the base block and the blocks written are
 * read back: a write that was lost, or that landed elsewhere, leaves its
 * own block reading the old bytes (the pages written differ from the old
 * ones, or are between two that do), and a cluster rewritten wrong
 * around a page is inside its 64 KiB block.  Only a write that reached
 * its place and another place of this file as well is not seen: the
 * full read-back (VHIVE_COMMIT_FULL_READ, and files not held) sees that,
 * and neither sees it in another file, where such a write may as well
 * land. */
static int read_back(struct commit *c, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        bool full = !c->held || full_read(), same = true;
        uint64_t size;
        int r = p->ops->size(p, &size, err);

        if (r < 0)
                return r;
        if (size != c->final_len)
                return vhive_fail(err, EIO, "%s reads back %llu bytes long, not %zu", p->name,
                                  (unsigned long long)size, c->final_len);
        r = same_where_written(c, &c->pages, c->final, c->final_len, full, &same, err);
        if (r == 0 && !same)
                r = vhive_fail(err, EIO, "%s does not read back as written", p->name);
        return r;
}

/* A failure once the update is marked in progress: the log holds the new
 * hive, and both Windows and vhive replay it at the next load. */
static int failed_marked(int r, const char *name, struct vhive_error *err)
{
        char why[sizeof(err->msg)];

        snprintf(why, sizeof(why), "%s", err->msg);
        return vhive_fail(err, -r,
                          "%s; the update of %s was under way and its transaction "
                          "log holds the new hive: the image will hold the new hive (Windows "
                          "and vhive replay the log when the hive is next loaded)",
                          why, name);
}

static int run(struct commit *c, struct vhive_commit_stats *stats, struct vhive_error *err)
{
        int r = check_primary(c, err);

        if (r == 0)
                r = vhive_commit_prepare(c, c->new_hive, c->new_len, err);
        if (r == 0)
                r = vhive_commit_choose_log(c, err);
        if (r == 0)
                r = check_found(c, err);
        if (r < 0)
                return r;
        if (c->recover_first)
                return recover_in_place(c, stats, err);
        stats->pages = c->pages.n;
        stats->log_index = c->w.li;
        stats->format = c->fmt;
        stats->seq = c->seq;
        stats->timestamp = c->ts;
        r = grow(c, stats, err);
        if (r == 0)
                r = write_log(c, stats, err);
        if (r == 0)
                r = update_primary(c, stats, err);
        if (r < 0 && stats->marked && r != -ENOMEM)
                return failed_marked(r, c->files->primary->name, err);
        return r < 0 ? r : read_back(c, err);
}

/* A failure after the in-place recovery, before the mark: whatever the
 * message says, the files were written (they hold the old hive). */
static int failed_recovered(int r, const char *name, struct vhive_error *err)
{
        char why[sizeof(err->msg)];

        snprintf(why, sizeof(why), "%s", err->msg);
        return vhive_fail(err, -r,
                          "%s (%s had first been recovered in place from its logs: it "
                          "holds the old hive, clean)",
                          why, name);
}

/* The commit over the hive as recovered in place, read back from the
 * file (clean now: it needs no log, so a log may grow). */
static int run_again(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        struct commit again = { .files = c->files,
                                .fmt = c->fmt,
                                .old_fd = -1,
                                .based_on = c->based_on,
                                .based_len = c->based_len,
                                .new_hive = c->new_hive,
                                .new_len = c->new_len };
        uint8_t *now = NULL;
        uint64_t size = 0;
        int r = p->ops->size(p, &size, err);

        if (r == 0 && !(now = malloc(size ? size : 1)))
                r = vhive_fail(err, ENOMEM, "out of memory");
        if (r == 0)
                vhive_huge_hint(now, size);
        if (r == 0 && size)
                r = p->ops->pread(p, now, size, 0, err);
        if (r == 0 && (size < c->found_len || memcmp(now, c->replayed, c->found_len) != 0))
                r = vhive_fail(err, EIO, "%s does not read back as recovered", p->name);
        again.old = now;
        again.old_len = size;
        if (r == 0)
                r = run(&again, st, err);
        if (r == 0 && again.recover_first)
                r = vhive_fail(err, EUCLEAN, "%s is still dirty once recovered", p->name);
        if (r < 0 && !st->marked && r != -ENOMEM)
                r = failed_recovered(r, p->name, err);
        vhive_commit_free(&again);
        free(now);
        return r;
}

int vhive_commit_logged_in(const struct vhive_hive_files *files, const struct vhive_commit_in *in,
                           enum vhive_log_format fmt, struct vhive_commit_stats *stats,
                           struct vhive_error *err)
{
        struct vhive_commit_stats local;
        struct commit c = { .files = files,
                            .fmt = fmt,
                            .old = in->old,
                            .old_len = in->old_len,
                            .old_fd = in->old_fd,
                            .based_on = in->based_on,
                            .based_len = in->based_len,
                            .new_hive = in->new_hive,
                            .new_mut = in->new_mut,
                            .new_len = in->new_len,
                            .held = in->held };
        int r;

        if (!stats)
                stats = &local;
        memset(stats, 0, sizeof(*stats));
        if (!files || !files->primary)
                return vhive_fail(err, EINVAL, "commit: no primary file");
        if (in->new_mut && in->new_mut != in->new_hive)
                return vhive_fail(err, EINVAL, "commit: new_mut is not new_hive");
        r = run(&c, stats, err);
        if (r == 0 && c.recover_first)
                r = run_again(&c, stats, err);
        vhive_commit_free(&c);
        return r;
}

int vhive_commit_logged_on(const struct vhive_hive_files *files, const uint8_t *old, size_t old_len,
                           const uint8_t *based_on, size_t based_len, const uint8_t *new_hive,
                           size_t new_len, enum vhive_log_format fmt,
                           struct vhive_commit_stats *stats, struct vhive_error *err)
{
        const struct vhive_commit_in in = { .old = old,
                                            .old_len = old_len,
                                            .old_fd = -1,
                                            .based_on = based_on,
                                            .based_len = based_len,
                                            .new_hive = new_hive,
                                            .new_len = new_len };

        return vhive_commit_logged_in(files, &in, fmt, stats, err);
}

int vhive_commit_logged(const struct vhive_hive_files *files, const uint8_t *old, size_t old_len,
                        const uint8_t *new_hive, size_t new_len, enum vhive_log_format fmt,
                        struct vhive_commit_stats *stats, struct vhive_error *err)
{
        return vhive_commit_logged_on(files, old, old_len, NULL, 0, new_hive, new_len, fmt, stats,
                                      err);
}
