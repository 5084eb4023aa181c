/* Issue 20: the verification of a scrub in place parses again only the hive
 * bins the edits wrote (what hivex_open checks of each), then runs the op's
 * check on the session's own handle, which maps the new bytes; a cell
 * header broken in an edited bin is still caught, nothing written.  A
 * result hivex wrote, or an edit that recorded no cells, is parsed whole. */
#include <dirent.h>

#include "job.h"
#include "macro.h"
#include "unit.h"

static const char *const needed[] = { "multi-iface", NULL };

enum fault {
        NO_FAULT,
        EDITED_BIN,  /* the first cell of a bin an edit wrote crosses the bin's end */
        EDITED_CELL, /* an edited cell itself crosses its bin's end */
        OTHER_BIN,   /* the same in a bin no edit wrote */
};

struct probe {
        struct vhive_scrub_job job;
        enum fault fault;
        bool lose;         /* the touched cells forgotten: the whole parse */
        bool hivex_writes; /* blanked through hivex's writer, not in place */
        const struct vhive_session *s;
        bool on_session_handle, on_fresh_handle;
        char err[sizeof(((struct vhive_error *)0)->msg)]; /* the job's message */
};

/* The hive-bins offset of the bin holding rel. */
static size_t bin_start(const uint8_t *b, size_t rel)
{
        for (size_t bin = rel / 4096 * 4096;; bin -= 4096) {
                const uint8_t *h = b + VHIVE_REGF_BASE_BLOCK + bin;

                if (memcmp(h, "hbin", 4) == 0 && vhive_le32(h + 4) == bin)
                        return bin;
                assert_true(bin > 0);
        }
}

static size_t bin_size(const uint8_t *b, size_t bin)
{
        return vhive_le32(b + VHIVE_REGF_BASE_BLOCK + bin + 8);
}

static bool bin_touched(const struct vhive_hive_buf *hb, size_t bin)
{
        size_t root = vhive_le32(hb->b + 36);

        if (root >= bin && root < bin + bin_size(hb->b, bin))
                return true;
        for (unsigned i = 0; i < hb->n_touched; i++) {
                size_t rel = hb->touched[i] - VHIVE_REGF_BASE_BLOCK;

                if (rel >= bin && rel < bin + bin_size(hb->b, bin))
                        return true;
        }
        return false;
}

/* The cell at file offset at made to run past the end of its bin, its
 * sign (used or free) kept. */
static void cross(uint8_t *b, size_t at)
{
        size_t rel = at - VHIVE_REGF_BASE_BLOCK, bin = bin_start(b, rel);
        uint32_t size = (uint32_t)(bin + bin_size(b, bin) - rel + 8);
        int32_t raw = (int32_t)vhive_le32(b + at);

        vhive_put_le32(b + at, raw < 0 ? (uint32_t) - (int32_t)size : size);
}

static void corrupt(struct vhive_hive_buf *hb, enum fault f)
{
        size_t hbins = vhive_le32(hb->b + 40), bin;

        assert_true(hb->n_touched > 0);
        switch (f) {
        case NO_FAULT:
                return;
        case EDITED_BIN:
                bin = bin_start(hb->b, hb->touched[0] - VHIVE_REGF_BASE_BLOCK);
                cross(hb->b, VHIVE_REGF_BASE_BLOCK + bin + 32);
                return;
        case EDITED_CELL:
                cross(hb->b, hb->touched[0]);
                return;
        case OTHER_BIN:
                for (bin = 0; bin < hbins; bin += bin_size(hb->b, bin))
                        if (!bin_touched(hb, bin)) {
                                cross(hb->b, VHIVE_REGF_BASE_BLOCK + bin + 32);
                                return;
                        }
                fail_msg("every bin holds an edited cell");
        }
}

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct probe *p = ctx;
        int r;

        p->s = s;
        if (p->hivex_writes) {
                r = vhive_scrub(s->h, &p->job.opts, apply, &p->job.reps[0], err);
                p->job.n_reps = 1;
                *changed = r == 0 && p->job.reps[0].counts[VHIVE_ACTION_BLANKED] > 0;
                return r;
        }
        r = vhive_scrub_op.run(s, &p->job, apply, changed, err);
        if (r == 0)
                corrupt(&s->bytes, p->fault);
        if (p->lose)
                s->bytes.touched_lost = true;
        return r;
}

static int verify(hive_h *h, void *ctx, struct vhive_error *err)
{
        struct probe *p = ctx;

        if (h == p->s->h)
                p->on_session_handle = true;
        else
                p->on_fresh_handle = true;
        return vhive_scrub_op.verify(h, &p->job, err);
}

static unsigned entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' || strncmp(de->d_name, ".SYSTEM.", 8) == 0;
        closedir(d);
        return n;
}

/* Scrubs a grown copy of the fixture through the job, as vhive scrub does; the
 * job's status, with r filled. */
static int scrub(struct probe *p, struct vhive_job_result *r, bool *unchanged)
{
        char *src = unit_fixture("multi-iface"), *dir = unit_tmpdir(), *path = NULL;
        struct vhive_op op = { .writes = true,
                               .in_place = !p->hivex_writes,
                               .step = "probing",
                               .run = run,
                               .verify = verify };
        struct vhive_job_opts o = { 0 };
        struct vhive_error err = { 0 };
        uint8_t *before = NULL, *after = NULL;
        size_t blen, alen;

        assert_non_null(src);
        assert_non_null(dir);
        assert_true(asprintf(&path, "%s/SYSTEM", dir) > 0);
        unit_grow(src, path, 100);
        assert_int_equal(vhive_read_file(path, &before, &blen, &err), 0);
        p->job.opts.rules = unit_rules("lease");
        vhive_job_hive_file(path, &op, p, &o, r);
        assert_int_equal(vhive_read_file(path, &after, &alen, &err), 0);
        *unchanged = alen == blen && memcmp(after, before, blen) == 0;
        assert_int_equal(entries(dir), 1); /* no temp file left */
        if (r->status == 0 && p->fault == NO_FAULT) {
                hive_h *h = hivex_open(path, 0);

                assert_non_null(h);
                assert_int_equal(vhive_scrub_verify(h, &p->job.reps[0], &err), 0);
                hivex_close(h);
        }
        vhive_scrub_job_free(&p->job);
        free(before);
        free(after);
        free(path);
        free(src);
        unit_rmtree(dir);
        return r->status;
}

static void in_place_verified_on_own_handle(void **state)
{
        struct probe p = { .fault = NO_FAULT };
        struct vhive_job_result r;
        bool unchanged;

        (void)state;
        assert_int_equal(scrub(&p, &r, &unchanged), 0);
        assert_true(r.written && !unchanged);
        assert_true(p.on_session_handle);
        assert_false(p.on_fresh_handle); /* the whole hive not parsed again */
}

static void expect_caught(struct probe *p)
{
        struct vhive_job_result r;
        bool unchanged;

        assert_true(scrub(p, &r, &unchanged) < 0);
        fprintf(stderr, "caught: %s\n", r.err.msg);
        snprintf(p->err, sizeof(p->err), "%s", r.err.msg);
        assert_non_null(strstr(r.err.msg, "verify"));
        assert_false(r.written);
        assert_true(unchanged);
}

static void broken_cell_in_edited_bin_caught(void **state)
{
        struct probe p = { .fault = EDITED_BIN };

        (void)state;
        expect_caught(&p);
}

static void broken_edited_cell_caught(void **state)
{
        struct probe p = { .fault = EDITED_CELL };

        (void)state;
        expect_caught(&p);
}

/* No edit wrote there: the session's own hivex_open parsed that bin, and
 * only this test writes it behind the editor's back. */
static void other_bins_not_parsed_again(void **state)
{
        struct probe p = { .fault = OTHER_BIN };
        struct vhive_job_result r;
        bool unchanged;

        (void)state;
        assert_int_equal(scrub(&p, &r, &unchanged), 0);
        assert_true(r.written && !unchanged);
        assert_false(p.on_fresh_handle);
}

/* Cells not recorded: the whole hive is parsed again, as before. */
static void unrecorded_edits_parsed_whole(void **state)
{
        struct probe p = { .fault = OTHER_BIN, .lose = true };

        (void)state;
        expect_caught(&p);
        assert_non_null(strstr(p.err, "does not open")); /* hivex_open's */
}

static void hivex_written_parsed_whole(void **state)
{
        struct probe p = { .hivex_writes = true };
        struct vhive_job_result r;
        bool unchanged;

        (void)state;
        assert_int_equal(scrub(&p, &r, &unchanged), 0);
        assert_true(r.written && !unchanged);
        assert_true(p.on_fresh_handle);
        assert_false(p.on_session_handle);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(in_place_verified_on_own_handle),
                cmocka_unit_test(broken_cell_in_edited_bin_caught),
                cmocka_unit_test(broken_edited_cell_caught),
                cmocka_unit_test(other_bins_not_parsed_again),
                cmocka_unit_test(unrecorded_edits_parsed_whole),
                cmocka_unit_test(hivex_written_parsed_whole),
        };

        unit_require_fixtures(needed);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
