/* The log writer and the logged commit, round trip: commit a new hive
 * with vhive_commit_logged over plain files, replay the files with
 * vhive_replay, and get the new hive byte for byte.  Both log formats;
 * logs empty (extended first), holding older entries, where the other log
 * is next, and for a dirty hive whose logs must be continued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../replay/tlog.h"
#include "cfiles.h"
#include "commit-internal.h"
#include "probes.h"
#include "wfile.h"

#define S0 100u
#define NBINS 6u

static struct cbuf as_cbuf(const struct tbuf *t)
{
        return (struct cbuf){ t->b, t->len };
}

/* The new hive: the old one with pages 1 and 4 changed (salt 7). */
static void make_new(const struct tbuf *old, struct tbuf *n)
{
        tbuf_copy(n, old);
        fill_page(n->b + T_BASE + 1 * T_BIN, 1 * T_BIN, T_BIN, 7);
        fill_page(n->b + T_BASE + 4 * T_BIN + 100, 4 * T_BIN + 100, 200, 7);
        set_seqs(n->b, vhive_le32(old->b + 4) + 1, vhive_le32(old->b + 4) + 1);
}

/* Commits and checks the replay; returns the stats. */
static struct vhive_commit_stats commit_and_check(const struct tbuf *primary,
                                                  const struct tbuf *log1, const struct tbuf *log2,
                                                  const struct tbuf *new_hive,
                                                  enum vhive_log_format fmt)
{
        struct cbuf p = as_cbuf(primary), l1 = as_cbuf(log1), l2 = as_cbuf(log2);
        struct cbuf n = as_cbuf(new_hive), want, got;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cset s;
        uint64_t size;
        int r;

        cset_create(&s, &p, log1 ? &l1 : NULL, log2 ? &l2 : NULL);
        r = vhive_commit_logged(&s.files, p.b, p.len, n.b, n.len, fmt, &st, &e);
        if (r < 0)
                fail_msg("commit: %s", e.msg);
        cexpected(&p, &n, &st, &want);
        assert_int_equal(cset_replay(&s, &got, &e), 0);
        assert_true(same_padded(got.b, got.len, want.b, want.len));
        /* The primary is clean already: no replay needed. */
        s.f[0]->ops->size(s.f[0], &size, &e);
        assert_int_equal(size, p.len > n.len ? p.len : n.len);
        free(want.b);
        free(got.b);
        cset_destroy(&s);
        return st;
}

static void new_format_empty_logs(void **state)
{
        struct tbuf h, n, l1 = { 0 }, l2 = { 0 };
        struct vhive_commit_stats st;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        st = commit_and_check(&h, &l1, &l2, &n, VHIVE_LOG_NEW);
        assert_int_equal(st.pages, 2);
        assert_int_equal(st.seq, S0 + 1);
        assert_int_equal(st.format, VHIVE_LOG_NEW);
        free(h.b);
        free(n.b);
}

static void new_format_none_refused_without_logs(void **state)
{
        struct tbuf h, n;
        struct cbuf p, nb, l1 = { 0 }, l2 = { 0 };
        struct vhive_error e = { 0 };
        struct cset s;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        p = as_cbuf(&h);
        nb = as_cbuf(&n);
        cset_create(&s, &p, &l1, &l2);
        assert_int_equal(
                vhive_commit_logged(&s.files, p.b, p.len, nb.b, nb.len, VHIVE_LOG_NONE, NULL, &e),
                -EINVAL);
        assert_non_null(strstr(e.msg, "format"));
        /* Nothing was written: the logs are still empty. */
        struct cbuf f[3];
        cset_load(&s, f);
        assert_int_equal(f[1].len, 0);
        assert_int_equal(f[2].len, 0);
        assert_memory_equal(f[0].b, h.b, h.len);
        for (int i = 0; i < 3; i++)
                free(f[i].b);
        cset_destroy(&s);
        free(h.b);
        free(n.b);
}

/* LOG1 holds the entries that made the clean hive: the format comes from
 * the logs, and LOG2 (not holding the newer entries) is written. */
static void new_format_older_entries(void **state)
{
        const struct tpage pg[] = { { 0, T_BIN } };
        struct tbuf h, n, l1, l2;
        struct vhive_commit_stats st;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        log_start(&l1, h.b, S0 - 1, 6);
        log_add_entry(&l1, S0 - 1, NBINS * T_BIN, 1, pg, 1, 0);
        log_add_entry(&l1, S0, NBINS * T_BIN, 1, pg, 1, 0);
        log_start(&l2, h.b, S0 - 5, 6);
        log_add_entry(&l2, S0 - 5, NBINS * T_BIN, 1, pg, 1, 0);
        tbuf_resize(&l2, 65536);
        make_new(&h, &n);
        st = commit_and_check(&h, &l1, &l2, &n, VHIVE_LOG_NONE);
        assert_int_equal(st.format, VHIVE_LOG_NEW);
        assert_int_equal(st.log_index, 1);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* LOG2 holds the newer entries: LOG1 is next. */
static void new_format_log1_next(void **state)
{
        const struct tpage pg[] = { { T_BIN, T_BIN } };
        struct tbuf h, n, l1, l2;
        struct vhive_commit_stats st;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        log_start(&l1, h.b, S0 - 4, 6);
        log_add_entry(&l1, S0 - 4, NBINS * T_BIN, 1, pg, 1, 0);
        log_start(&l2, h.b, S0, 6);
        log_add_entry(&l2, S0, NBINS * T_BIN, 1, pg, 1, 0);
        make_new(&h, &n);
        st = commit_and_check(&h, &l1, &l2, &n, VHIVE_LOG_NONE);
        assert_int_equal(st.log_index, 0);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* Dirty, both logs needed: neither is written while the hive is dirty;
 * it is recovered in place first, then the record starts LOG1 afresh. */
static void new_format_dirty_continues(void **state)
{
        const struct tpage a[] = { { 0, T_BIN } }, b[] = { { 2 * T_BIN, T_BIN } };
        struct tbuf h, n, l1, l2, r;
        struct vhive_commit_stats st;
        struct vhive_error e;
        uint8_t *out;
        size_t out_len;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        set_seqs(h.b, S0 + 1, S0);
        log_start(&l1, h.b, S0 + 1, 6);
        log_add_entry(&l1, S0 + 1, NBINS * T_BIN, 1, a, 1, 3);
        log_start(&l2, h.b, S0 + 2, 6);
        log_add_entry(&l2, S0 + 2, (NBINS + 1) * T_BIN, 1, b, 1, 4); /* grows */
        tbuf_resize(&l2, 65536);
        assert_int_equal(
                vhive_replay(h.b, h.len, l1.b, l1.len, l2.b, l2.len, &out, &out_len, NULL, &e), 0);
        r = (struct tbuf){ out, out_len };
        make_new(&r, &n);
        st = commit_and_check(&h, &l1, &l2, &n, VHIVE_LOG_NONE);
        assert_true(st.recovered_first);
        assert_int_equal(st.log_index, 0);
        assert_int_equal(st.seq, S0 + 3);
        assert_true(st.primary_extended);
        free(h.b);
        free(n.b);
        free(r.b);
        free(l1.b);
        free(l2.b);
}

static void old_format_empty_logs(void **state)
{
        struct tbuf h, n, l1 = { 0 }, l2 = { 0 };
        struct vhive_commit_stats st;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        st = commit_and_check(&h, &l1, &l2, &n, VHIVE_LOG_OLD);
        assert_int_equal(st.format, VHIVE_LOG_OLD);
        assert_int_equal(st.log_index, 0);
        free(h.b);
        free(n.b);
}

/* Dirty, old format: LOG1 (time equal to the primary's) recovers the old
 * state; the new cumulative log goes to LOG2. */
static void old_format_dirty(void **state)
{
        uint32_t offs[] = { 3 * T_BIN };
        struct vhive_pages pg = { offs, 1 };
        struct tbuf h, img, n, l1 = { 0 }, l2 = { 0 }, r;
        struct vhive_commit_stats st;
        struct vhive_error e;
        uint8_t *body, *out;
        size_t body_len, out_len;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        set_seqs(h.b, S0 + 1, S0);
        tbuf_copy(&img, &h);
        fill_page(img.b + T_BASE + 3 * T_BIN, 3 * T_BIN, T_BIN, 9);
        tbuf_resize(&l1, 512);
        vhive_log_base_block(h.b, 1, S0 + 1, l1.b);
        assert_int_equal(vhive_dirt_build(img.b, &pg, NBINS * T_BIN, &body, &body_len), 0);
        tbuf_resize(&l1, 512 + body_len);
        memcpy(l1.b + 512, body, body_len);
        assert_int_equal(vhive_replay(h.b, h.len, l1.b, l1.len, NULL, 0, &out, &out_len, NULL, &e),
                         0);
        assert_memory_equal(out + T_BASE, img.b + T_BASE, img.len - T_BASE);
        r = (struct tbuf){ out, out_len };
        make_new(&r, &n);
        st = commit_and_check(&h, &l1, &l2, &n, VHIVE_LOG_NONE);
        assert_int_equal(st.format, VHIVE_LOG_OLD);
        assert_int_equal(st.log_index, 1);
        free(body);
        free(h.b);
        free(img.b);
        free(n.b);
        free(r.b);
        free(l1.b);
        free(l2.b);
}

/* The writes to log li: an invalid sector 0 (flushed), the body
 * (flushed), then the valid base block (flushed). */
static void assert_base_last(const struct wshared *sh, int li)
{
        const struct wcall *c[6];
        unsigned k = 0;
        struct vhive_regf_header h;

        for (unsigned i = 0; i < sh->n && k < 6; i++)
                if (sh->calls[i].file == li + 1 && sh->calls[i].kind != W_EXTEND)
                        c[k++] = &sh->calls[i];
        assert_int_equal(k, 6);
        assert_int_equal(c[0]->kind, W_WRITE);
        assert_int_equal(c[0]->off, 0);
        assert_true(vhive_regf_parse(c[0]->head, 512, &h) < 0 || !h.checksum_ok);
        assert_int_equal(c[1]->kind, W_FLUSH);
        assert_int_equal(c[2]->kind, W_WRITE);
        assert_int_equal(c[2]->off, 512);
        assert_int_equal(c[3]->kind, W_FLUSH);
        assert_int_equal(c[4]->kind, W_WRITE);
        assert_int_equal(c[4]->off, 0);
        assert_int_equal(c[4]->len, 512);
        assert_int_equal(vhive_regf_parse(c[4]->head, 512, &h), 0);
        assert_true(h.checksum_ok);
        assert_int_equal(c[5]->kind, W_FLUSH);
}

/* Replays primary with the logs in both orders; both must give want. */
static void assert_both_orders(const uint8_t *primary, size_t len, const struct cbuf f[3],
                               const struct cbuf *want)
{
        for (int order = 0; order < 2; order++) {
                const struct cbuf *a = &f[1 + order], *b = &f[2 - order];
                struct vhive_error e;
                uint8_t *out;
                size_t out_len;

                assert_int_equal(vhive_replay(primary, len, a->b, a->len, b->b, b->len, &out,
                                              &out_len, NULL, &e),
                                 0);
                assert_true(same_padded(out, out_len, want->b, want->len));
                free(out);
        }
}

/* Review finding 1: clean primary at S0; LOG2 holds a stale base S0+1
 * with an entry S0+1 (hivex marks a dirty hive clean that way).  A fresh
 * record S0+1 in LOG1 would tie with it, and with LOG2 taken first the
 * update in progress would replay to neither hive: LOG2 is written. */
static void tie_new_not_written_beside(void **state)
{
        struct tbuf h, n, l1, l2;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf f[3], want, cp;
        struct wset ws;
        uint8_t *mid;

        (void)state;
        probe_tie_new(&h, &l1, &l2);
        make_new(&h, &n);
        wset_create(&ws, &h, &l1, &l2);
        if (wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e) < 0)
                fail_msg("commit: %s", e.msg);
        assert_int_equal(st.log_index, 1);
        cset_load(&ws.s, f);
        cp = as_cbuf(&h);
        cexpected(&cp, &(struct cbuf){ n.b, n.len }, &st, &want);
        /* The update in progress: old pages under the marked base block. */
        mid = malloc(h.len);
        memcpy(mid, h.b, h.len);
        memcpy(mid, want.b, 512);
        set_seqs(mid, S0 + 1, S0);
        assert_both_orders(mid, h.len, f, &want);
        free(mid);
        free(want.b);
        for (int i = 0; i < 3; i++)
                free(f[i].b);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* Review finding 2: dirty, old format, both logs carry the primary's
 * time.  The boot loader takes LOG1, so vhive does; the new record goes
 * to LOG2, its body under an invalid base block. */
static void tie_old_log1_and_base_last(void **state)
{
        struct tbuf d, o[2], n, r;
        struct vhive_replay_result res;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct wset ws;

        (void)state;
        probe_tie_old(&d, o);
        assert_int_equal(vhive_replay(d.b, d.len, o[0].b, o[0].len, o[1].b, o[1].len, &r.b, &r.len,
                                      &res, &e),
                         0);
        assert_true(res.log[0].applied > 0);
        assert_int_equal(res.log[1].applied, 0);
        make_new(&r, &n);
        wset_create(&ws, &d, &o[0], &o[1]);
        if (wset_commit(&ws, &d, &n, VHIVE_LOG_OLD, &st, &e) < 0)
                fail_msg("commit: %s", e.msg);
        assert_int_equal(st.log_index, 1);
        assert_base_last(&ws.sh, 1);
        cset_destroy(&ws.s);
        free(d.b);
        free(n.b);
        free(r.b);
        free(o[0].b);
        free(o[1].b);
}

/* Review finding 6: a fresh new-format record for a dirty hive whose
 * base block is damaged (rebuilt from a log) goes base block last. */
static void dirty_fresh_new_base_last(void **state)
{
        const struct tpage a[] = { { 0, T_BIN } };
        struct tbuf h, n, l1, l2 = { 0 }, r;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        set_seqs(h.b, S0 + 1, S0);
        log_start(&l1, h.b, S0 + 1, 6);
        log_add_entry(&l1, S0 + 1, NBINS * T_BIN, 1, a, 1, 3);
        h.b[508] ^= 0xff; /* the primary's checksum: rebuilt from LOG1 */
        tbuf_resize(&l2, 65536);
        assert_int_equal(
                vhive_replay(h.b, h.len, l1.b, l1.len, l2.b, l2.len, &r.b, &r.len, NULL, &e), 0);
        make_new(&r, &n);
        /* LOG1 is full: the record goes to LOG2, fresh. */
        wset_create(&ws, &h, &l1, &l2);
        if (wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e) < 0)
                fail_msg("commit: %s", e.msg);
        assert_int_equal(st.log_index, 1);
        assert_base_last(&ws.sh, 1);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(r.b);
        free(l1.b);
        free(l2.b);
}

/* Review finding 5: the log holding the only copy of unsaved changes is
 * not grown when the other log can take a fresh record. */
static void dirty_needed_log_not_grown(void **state)
{
        const struct tpage a[] = { { 0, T_BIN } };
        struct tbuf h, n, l1, l2, r;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf f[3];
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        set_seqs(h.b, S0 + 1, S0);
        log_start(&l1, h.b, S0 - 3, 6);
        log_add_entry(&l1, S0 - 3, NBINS * T_BIN, 1, a, 1, 1);
        tbuf_resize(&l1, 65536);
        log_start(&l2, h.b, S0 + 1, 6);
        log_add_entry(&l2, S0 + 1, NBINS * T_BIN, 1, a, 1, 3); /* ends the file */
        assert_int_equal(
                vhive_replay(h.b, h.len, l1.b, l1.len, l2.b, l2.len, &r.b, &r.len, NULL, &e), 0);
        make_new(&r, &n);
        wset_create(&ws, &h, &l1, &l2);
        if (wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e) < 0)
                fail_msg("commit: %s", e.msg);
        assert_int_equal(st.log_index, 0);
        cset_load(&ws.s, f);
        assert_int_equal(f[2].len, l2.len);
        assert_memory_equal(f[2].b, l2.b, l2.len);
        for (int i = 0; i < 3; i++)
                free(f[i].b);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(r.b);
        free(l1.b);
        free(l2.b);
}

/* Review finding 3: a failure once the update is marked says that the
 * image will hold the new hive (and it does); a primary that reads back
 * differently is an error. */
static void failure_after_mark_says_new(void **state)
{
        struct tbuf h, n, l1 = { 0 }, l2 = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf got, want, cp = { 0 };
        struct wset ws;
        unsigned total;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        tbuf_resize(&l2, 65536);
        log_start(&l1, h.b, S0 - 1, 6);
        tbuf_resize(&l1, 65536);
        wset_create(&ws, &h, &l1, &l2);
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e), 0);
        total = ws.sh.n;
        cset_destroy(&ws.s);
        /* The last call is the flush of the final base block. */
        wset_create(&ws, &h, &l1, &l2);
        ws.sh.fail_at = total;
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e), -EIO);
        assert_true(st.marked);
        assert_true(st.files_touched);
        assert_non_null(strstr(e.msg, "will hold the new hive"));
        assert_int_equal(cset_replay(&ws.s, &got, &e), 0);
        cp = as_cbuf(&h);
        cexpected(&cp, &(struct cbuf){ n.b, n.len }, &st, &want);
        assert_true(same_padded(got.b, got.len, want.b, want.len));
        free(got.b);
        free(want.b);
        cset_destroy(&ws.s);
        /* Reads that differ after the writes. */
        wset_create(&ws, &h, &l1, &l2);
        ws.sh.corrupt_reads = true;
        ws.sh.corrupt_after = 1;
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e), -EIO);
        assert_non_null(strstr(e.msg, "does not read back"));
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* Review finding 9: what was written is reported as it happened. */
static void touched_reported(void **state)
{
        struct tbuf h, n, l1 = { 0 }, l2 = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        /* 0-byte logs: the first call extends LOG1, and it fails. */
        wset_create(&ws, &h, &l1, &l2);
        ws.sh.fail_at = 1;
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e), -EIO);
        assert_int_equal(ws.sh.calls[0].kind, W_EXTEND);
        assert_true(st.files_touched);
        assert_false(st.marked);
        assert_int_equal(st.log_bytes, 0);
        assert_null(strstr(e.msg, "new hive"));
        cset_destroy(&ws.s);
        /* Logs large enough: the log write is the first call; it fails. */
        tbuf_resize(&l1, 65536);
        tbuf_resize(&l2, 65536);
        wset_create(&ws, &h, &l1, &l2);
        ws.sh.fail_at = 1;
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e), -EIO);
        assert_int_equal(ws.sh.calls[0].kind, W_WRITE);
        assert_true(st.files_touched);
        assert_int_equal(st.log_bytes, 0);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* Review finding 4: the files must still hold the hive the edit was
 * made on. */
static void stale_base_refused(void **state)
{
        struct tbuf h, n, other, l1 = { 0 }, l2 = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf f[3];
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        tbuf_copy(&other, &h);
        fill_page(other.b + T_BASE + 3 * T_BIN, 3 * T_BIN, T_BIN, 5);
        tbuf_resize(&l1, 65536);
        tbuf_resize(&l2, 65536);
        wset_create(&ws, &h, &l1, &l2);
        assert_int_equal(vhive_commit_logged_on(&ws.files, h.b, h.len, other.b, other.len, n.b,
                                                n.len, VHIVE_LOG_NEW, &st, &e),
                         -ESTALE);
        assert_int_equal(ws.sh.n, 0);
        cset_load(&ws.s, f);
        assert_memory_equal(f[0].b, h.b, h.len);
        for (int i = 0; i < 3; i++)
                free(f[i].b);
        assert_int_equal(vhive_commit_logged_on(&ws.files, h.b, h.len, h.b, h.len, n.b, n.len,
                                                VHIVE_LOG_NEW, &st, &e),
                         0);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(other.b);
        free(l1.b);
        free(l2.b);
}

/* Review finding 7: old format, the first bin's time follows the hive's. */
static void old_format_bin_time(void **state)
{
        struct tbuf h, n, l1 = { 0 }, l2 = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf f[3];
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        wset_create(&ws, &h, &l1, &l2);
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_OLD, &st, &e), 0);
        cset_load(&ws.s, f);
        assert_int_equal(vhive_le64(f[0].b + 12), st.timestamp);
        assert_int_equal(vhive_le64(f[0].b + T_BASE + 20), st.timestamp);
        for (int i = 0; i < 3; i++)
                free(f[i].b);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
}

/* Review finding 10: a damaged log's time does not count (a garbage
 * value near the maximum wrapped the new time to 0). */
static void damaged_log_time_ignored(void **state)
{
        const uint64_t y2020 = 132223104000000000ull;
        struct tbuf h, n, l1, l2 = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        log_start(&l1, h.b, S0 - 1, 6);
        put64(l1.b + 12, UINT64_MAX); /* checksum left stale: invalid */
        tbuf_resize(&l1, 65536);
        tbuf_resize(&l2, 65536);
        wset_create(&ws, &h, &l1, &l2);
        assert_int_equal(wset_commit(&ws, &h, &n, VHIVE_LOG_NEW, &st, &e), 0);
        assert_true(st.timestamp > y2020);
        assert_true(st.timestamp < UINT64_MAX - 1);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(new_format_empty_logs),
                cmocka_unit_test(new_format_none_refused_without_logs),
                cmocka_unit_test(new_format_older_entries),
                cmocka_unit_test(new_format_log1_next),
                cmocka_unit_test(new_format_dirty_continues),
                cmocka_unit_test(old_format_empty_logs),
                cmocka_unit_test(old_format_dirty),
                cmocka_unit_test(tie_new_not_written_beside),
                cmocka_unit_test(tie_old_log1_and_base_last),
                cmocka_unit_test(failure_after_mark_says_new),
                cmocka_unit_test(stale_base_refused),
                cmocka_unit_test(dirty_needed_log_not_grown),
                cmocka_unit_test(dirty_fresh_new_base_last),
                cmocka_unit_test(old_format_bin_time),
                cmocka_unit_test(touched_reported),
                cmocka_unit_test(damaged_log_time_ignored),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
