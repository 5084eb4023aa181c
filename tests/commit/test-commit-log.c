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

/* Dirty: the replayed state is the old one; the entry continues LOG2's. */
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
        assert_int_equal(st.log_index, 1);
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
