/* The logged commit over a held copy (vhive_commit_logged_in, issue 20):
 * old is a copy of the primary made while the files were held, the new
 * hive is lent (stamped in place) and the crash states are built in a
 * private mapping of a file holding old.  The result replays to the same
 * hive as vhive_commit_logged's, also when the primary grows; a base
 * block or a page the commit writes that differs in the file refuses the
 * commit with nothing written; a read-back that differs fails;
 * VHIVE_COMMIT_FULL_READ=1 compares the whole file, also the pages the
 * commit does not write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "../replay/tlog.h"
#include "cfiles.h"
#include "commit-internal.h"
#include "probes.h"
#include "wfile.h"

#define S0 100u
#define NBINS 40u /* 164 KiB: blocks of 64 KiB the commit does not write */

/* The new hive: the old one with pages 1 and 4 changed (salt 7). */
static void make_new(const struct tbuf *old, struct tbuf *n)
{
        tbuf_copy(n, old);
        fill_page(n->b + T_BASE + 1 * T_BIN, 1 * T_BIN, T_BIN, 7);
        fill_page(n->b + T_BASE + 4 * T_BIN + 100, 4 * T_BIN + 100, 200, 7);
        set_seqs(n->b, vhive_le32(old->b + 4) + 1, vhive_le32(old->b + 4) + 1);
}

static int memfd_of(const struct tbuf *t)
{
        int fd = memfd_create("held-old", MFD_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(vhive_write_all(fd, t->b, t->len), 0);
        return fd;
}

/* A commit of n over ws's files, old (the copy) being copy. */
static int commit_held(struct wset *ws, const struct tbuf *copy, const struct tbuf *n,
                       struct vhive_commit_stats *st, struct vhive_error *e)
{
        struct tbuf lent;
        int fd = memfd_of(copy), r;

        tbuf_copy(&lent, n);
        const struct vhive_commit_in in = { .old = copy->b,
                                            .old_len = copy->len,
                                            .old_fd = fd,
                                            .based_on = copy->b,
                                            .based_len = copy->len,
                                            .new_hive = lent.b,
                                            .new_mut = lent.b,
                                            .new_len = lent.len,
                                            .held = true };
        r = vhive_commit_logged_in(&ws->files, &in, VHIVE_LOG_NEW, st, e);
        close(fd);
        free(lent.b);
        return r;
}

static void logs(struct tbuf *l1, struct tbuf *l2)
{
        *l1 = (struct tbuf){ 0 };
        *l2 = (struct tbuf){ 0 };
        tbuf_resize(l1, 65536);
        tbuf_resize(l2, 65536);
}

/* The same hive as the commit that reads the file itself. */
static void held_replays_as_read(void **state)
{
        struct tbuf h, n, l1, l2;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf want, got, cp, cn;
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        logs(&l1, &l2);
        wset_create(&ws, &h, &l1, &l2);
        if (commit_held(&ws, &h, &n, &st, &e) < 0)
                fail_msg("commit: %s", e.msg);
        assert_int_equal(st.pages, 2);
        cp = (struct cbuf){ h.b, h.len };
        cn = (struct cbuf){ n.b, n.len };
        cexpected(&cp, &cn, &st, &want);
        assert_int_equal(cset_replay(&ws.s, &got, &e), 0);
        assert_true(same_padded(got.b, got.len, want.b, want.len));
        free(want.b);
        free(got.b);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* A new hive longer than the file: the primary is extended first, and
 * the read-back covers what it grew by (a page of zeros there is not
 * written: the extension's zero fill must hold). */
static void held_grown(void **state)
{
        struct tbuf h, n, l1, l2;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf want, got, cp, cn;
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        synth_hive(&n, NBINS + 24, S0 + 1, 2000);
        memcpy(n.b + T_BASE, h.b + T_BASE, (size_t)NBINS * T_BIN);
        fill_page(n.b + T_BASE + 1 * T_BIN, 1 * T_BIN, T_BIN, 7);
        memset(n.b + T_BASE + (NBINS + 10) * T_BIN + 64, 0, T_BIN - 64);
        memset(n.b + T_BASE + (NBINS + 11) * T_BIN, 0, T_BIN);
        logs(&l1, &l2);
        wset_create(&ws, &h, &l1, &l2);
        if (commit_held(&ws, &h, &n, &st, &e) < 0)
                fail_msg("commit: %s", e.msg);
        assert_true(st.primary_extended);
        cp = (struct cbuf){ h.b, h.len };
        cn = (struct cbuf){ n.b, n.len };
        cexpected(&cp, &cn, &st, &want);
        assert_int_equal(cset_replay(&ws.s, &got, &e), 0);
        assert_true(same_padded(got.b, got.len, want.b, want.len));
        free(want.b);
        free(got.b);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* The file differs from the copy at off (a byte flipped): 0 or -ESTALE,
 * and on -ESTALE nothing was written. */
static int stale_at(size_t off, struct vhive_error *e)
{
        struct tbuf h, n, file, l1, l2;
        struct vhive_commit_stats st;
        struct wset ws;
        int r;

        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        tbuf_copy(&file, &h);
        file.b[off] ^= 0x20;
        logs(&l1, &l2);
        wset_create(&ws, &file, &l1, &l2);
        r = commit_held(&ws, &h, &n, &st, e);
        if (r == -ESTALE)
                assert_int_equal(ws.sh.n, 0);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(file.b);
        free(l1.b);
        free(l2.b);
        return r;
}

static void held_stale_refused(void **state)
{
        struct vhive_error e = { 0 };

        (void)state;
        /* the base block (the time), and a page the commit writes */
        assert_int_equal(stale_at(14, &e), -ESTALE);
        assert_non_null(strstr(e.msg, "no longer holds"));
        assert_int_equal(stale_at(T_BASE + 1 * T_BIN + 50, &e), -ESTALE);
        /* Another page of the same 64 KiB block: compared too. */
        assert_int_equal(stale_at(T_BASE + 3 * T_BIN + 50, &e), -ESTALE);
        /* A block the commit does not write is the held file's: not
         * compared, unless the whole file is asked for. */
        assert_int_equal(stale_at(T_BASE + 30 * T_BIN + 50, &e), 0);
        setenv("VHIVE_COMMIT_FULL_READ", "1", 1);
        assert_int_equal(stale_at(T_BASE + 30 * T_BIN + 50, &e), -ESTALE);
        unsetenv("VHIVE_COMMIT_FULL_READ");
}

/* A read-back that differs from what was written fails. */
static void held_read_back(void **state)
{
        struct tbuf h, n, l1, l2;
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        logs(&l1, &l2);
        wset_create(&ws, &h, &l1, &l2);
        ws.sh.corrupt_reads = true;
        ws.sh.corrupt_after = 1;
        assert_int_equal(commit_held(&ws, &h, &n, &st, &e), -EIO);
        assert_non_null(strstr(e.msg, "does not read back"));
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(l1.b);
        free(l2.b);
}

/* new_mut must be new_hive. */
static void held_lent_checked(void **state)
{
        struct tbuf h, n, l1, l2, other;
        struct vhive_error e = { 0 };
        struct wset ws;

        (void)state;
        synth_hive(&h, NBINS, S0, 1000);
        make_new(&h, &n);
        tbuf_copy(&other, &n);
        logs(&l1, &l2);
        wset_create(&ws, &h, &l1, &l2);
        const struct vhive_commit_in in = { .old = h.b,
                                            .old_len = h.len,
                                            .old_fd = -1,
                                            .new_hive = n.b,
                                            .new_mut = other.b,
                                            .new_len = n.len };
        assert_int_equal(vhive_commit_logged_in(&ws.files, &in, VHIVE_LOG_NEW, NULL, &e), -EINVAL);
        assert_int_equal(ws.sh.n, 0);
        cset_destroy(&ws.s);
        free(h.b);
        free(n.b);
        free(other.b);
        free(l1.b);
        free(l2.b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(held_replays_as_read), cmocka_unit_test(held_grown),
                cmocka_unit_test(held_stale_refused),   cmocka_unit_test(held_read_back),
                cmocka_unit_test(held_lent_checked),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
