/* Issue 20: the cell checks read every page of the hive before hivex maps
 * it, then the session's mapping lets go of them: after a scrub in place
 * it holds only the pages the edits changed, not the whole hive again. */
#include <inttypes.h>

#include "unit.h"

static const char *const needed[] = { "multi-iface", NULL };

/* Rss of the mapping that starts at p, from /proc/self/smaps, in bytes. */
static size_t mapping_rss(const void *p)
{
        FILE *f = fopen("/proc/self/smaps", "r");
        char line[512];
        bool in = false;
        size_t kb = SIZE_MAX;

        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                uintptr_t lo, hi;

                if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2)
                        in = lo == (uintptr_t)p;
                else if (in && sscanf(line, "Rss: %zu kB", &kb) == 1)
                        break;
        }
        fclose(f);
        assert_true(kb != SIZE_MAX);
        return kb * 1024;
}

/* The fixture grown by keys the scrub never visits (the checks do): 400
 * keys of 1 KiB, about 100 pages that only the checks' walk reads. */
enum { GROW_KEYS = 400 };

/* A grown copy of the fixture in a scratch folder (*dir, *path), opened as a
 * session and scrubbed in place with the lease profile. */
static void open_scrubbed(struct vhive_session *s, char **dir, char **path)
{
        char *src = unit_fixture("multi-iface");
        struct vhive_error err = { 0 };
        struct vhive_scrub_opts o = { .rules = unit_rules("lease") };
        struct vhive_scrub_report rep = { 0 };

        *dir = unit_tmpdir();
        assert_non_null(*dir);
        assert_int_equal(asprintf(path, "%s/SYSTEM", *dir) > 0, 1);
        unit_grow(src, *path, GROW_KEYS);
        free(src);
        assert_int_equal(vhive_session_open(s, *path, true, false, &err), 0);
        assert_non_null(s->bytes.b);
        assert_int_equal(vhive_scrub_in_place(s->h, &s->bytes, &o, &rep, &err), 0);
        assert_true(rep.counts[VHIVE_ACTION_BLANKED] > 0);
        vhive_scrub_report_free(&rep);
}

static void close_scrubbed(struct vhive_session *s, char *dir, char *path)
{
        vhive_session_close(s);
        free(path);
        unit_rmtree(dir);
}

static void scrub_touches_edited_pages_only(void **state)
{
        struct vhive_session s;
        char *dir, *path;
        size_t len;

        (void)state;
        open_scrubbed(&s, &dir, &path);
        /* The whole hive is len bytes; the edits change a few cells. */
        len = s.bytes.len;
        fprintf(stderr, "hive %zu bytes, the session's mapping holds %zu\n", len,
                mapping_rss(s.bytes.b));
        assert_true(mapping_rss(s.bytes.b) < len / 4);
        close_scrubbed(&s, dir, path);
}

/* The new hive goes into its temp file from the memfd, not through the
 * session's mapping, which still holds only the edited pages after. */
static void write_leaves_mapping_small(void **state)
{
        struct vhive_error err = { 0 };
        struct vhive_session s;
        char *dir, *path, *tmp = NULL;
        uint8_t *data, *written = NULL;
        size_t len, wlen;
        int fd;

        (void)state;
        open_scrubbed(&s, &dir, &path);
        s.edited_in_place = true;
        assert_int_equal(vhive_session_result(&s, &data, &len, &fd, &err), 0);
        assert_true(fd >= 0);
        assert_int_equal(vhive_write_temp_beside(data, len, fd, path, NULL, &tmp, &err), 0);
        fprintf(stderr, "hive %zu bytes, after the write the session's mapping holds %zu\n", len,
                mapping_rss(s.bytes.b));
        assert_true(mapping_rss(s.bytes.b) < len / 4);
        assert_int_equal(vhive_read_file(tmp, &written, &wlen, &err), 0);
        assert_true(wlen == len && memcmp(written, data, len) == 0);
        free(written);
        free(tmp);
        close_scrubbed(&s, dir, path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(scrub_touches_edited_pages_only),
                cmocka_unit_test(write_leaves_mapping_small),
        };

        unit_require_fixtures(needed);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
