/* The logged commit: the protocol Windows uses for its own hives (M.
 * Suhanov, "Windows registry file format specification"; docs in
 * registry-notes.md, "Writing like Windows").
 *
 *   0. grow what is too small (log, primary), each flushed: a stop here
 *      leaves the old hive, only longer files;
 *   1. the log record (pages of the new hive), flushed;
 *   2. the primary's base block: first sequence number ahead of the
 *      second (being updated), new time, checksum; flushed;
 *   3. the changed pages in place, flushed;
 *   4. the base block with both numbers equal, flushed.
 *
 * A stop before 2 replays to the old hive, from 2 on to the new one.
 * commit-plan.c checks this for the chosen record before step 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commit-plan.h"
#include "log-replay-internal.h"
#include "macro.h"

static int flushed_write(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                         struct vhive_error *err)
{
        int r = f->ops->pwrite(f, buf, len, off, err);

        return r < 0 ? r : f->ops->flush(f, err);
}

static int grow(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *log = c->files->log[c->w.li], *p = c->files->primary;
        int r = 0;

        if (c->w.new_size)
                r = log->ops->extend(log, c->w.new_size, err);
        if (r == 0 && c->final_len > c->primary_size) {
                st->primary_extended = true;
                r = p->ops->extend(p, c->final_len, err);
        }
        return r;
}

static int write_log(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct log_write *w = &c->w;
        struct vhive_file *log = c->files->log[w->li];
        int r;

        st->log_bytes = w->body_len + (w->with_base ? VHIVE_LOG_SECTOR : 0);
        if (w->with_base && !w->base_last) {
                /* One write: the base block is followed by the record. */
                uint8_t *all = malloc(VHIVE_LOG_SECTOR + w->body_len);

                if (!all)
                        return vhive_fail(err, ENOMEM, "out of memory");
                memcpy(all, w->base, VHIVE_LOG_SECTOR);
                memcpy(all + VHIVE_LOG_SECTOR, w->body, w->body_len);
                r = flushed_write(log, all, VHIVE_LOG_SECTOR + w->body_len, 0, err);
                free(all);
                return r;
        }
        r = flushed_write(log, w->body, w->body_len, w->off, err);
        if (r == 0 && w->with_base)
                r = flushed_write(log, w->base, VHIVE_LOG_SECTOR, 0, err);
        return r;
}

/* Pages up to GAP_PAGES apart go in one write: the unchanged pages
 * between hold the same bytes in the file and in the new hive, and fewer,
 * larger writes cost less through NBD or the appliance. */
#define GAP_PAGES 8u

/* Contiguous pages go in one write. */
static int write_pages(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        const struct vhive_pages *pg = &c->pages;

        for (unsigned i = 0; i < pg->n;) {
                unsigned j = i + 1;
                uint64_t at = VHIVE_REGF_BASE_BLOCK + (uint64_t)pg->off[i];
                size_t len;
                int r;

                while (j < pg->n && pg->off[j] - pg->off[j - 1] <= GAP_PAGES * VHIVE_PAGE)
                        j++;
                len = (size_t)(pg->off[j - 1] - pg->off[i]) + VHIVE_PAGE;
                r = p->ops->pwrite(p, c->final + at, len, at, err);
                if (r < 0)
                        return r;
                st->primary_bytes += len;
                i = j;
        }
        return pg->n ? p->ops->flush(p, err) : 0;
}

static int update_primary(struct commit *c, struct vhive_commit_stats *st, struct vhive_error *err)
{
        struct vhive_file *p = c->files->primary;
        /* Whole base blocks: a torn write keeps its first sector whole. */
        int r = flushed_write(p, c->mid, VHIVE_REGF_BASE_BLOCK, 0, err);

        if (r == 0)
                r = write_pages(c, st, err);
        if (r == 0)
                r = flushed_write(p, c->final, VHIVE_REGF_BASE_BLOCK, 0, err);
        if (r == 0)
                st->primary_bytes += 2 * VHIVE_REGF_BASE_BLOCK;
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

int vhive_commit_logged(const struct vhive_hive_files *files, const uint8_t *old, size_t old_len,
                        const uint8_t *new_hive, size_t new_len, enum vhive_log_format fmt,
                        struct vhive_commit_stats *stats, struct vhive_error *err)
{
        struct vhive_commit_stats local;
        struct commit c = { .files = files, .fmt = fmt, .old = old, .old_len = old_len };
        int r;

        if (!stats)
                stats = &local;
        memset(stats, 0, sizeof(*stats));
        if (!files || !files->primary)
                return vhive_fail(err, EINVAL, "commit: no primary file");
        r = check_primary(&c, err);
        if (r == 0)
                r = vhive_commit_prepare(&c, new_hive, new_len, err);
        if (r == 0)
                r = vhive_commit_choose_log(&c, err);
        if (r == 0) {
                stats->pages = c.pages.n;
                stats->log_index = c.w.li;
                stats->format = c.fmt;
                stats->seq = c.seq;
                stats->timestamp = c.ts;
                r = grow(&c, stats, err);
        }
        if (r == 0)
                r = write_log(&c, stats, err);
        if (r == 0)
                r = update_primary(&c, stats, err);
        vhive_commit_free(&c);
        return r;
}
