/* The lazy reader (lib/hive/lazy-reader.c) against hivex on generated
 * hives: every key, name, parent and value it reads must be hivex's, big
 * data (db) included; and hostile bytes (a subkey list that lists itself,
 * a cell larger than the hive, counts that lie, a name hivex cannot
 * convert) fail cleanly, marked as refused, never crash (the suite runs
 * under ASan/UBSan). */
#include <sys/mman.h>

#include "job.h"
#include "macro.h"
#include "unit.h"

struct mem {
        uint8_t *b;
        size_t len;
        size_t reads;
};

static int mem_pread(void *opaque, void *buf, size_t len, uint64_t off, struct vhive_error *err)
{
        struct mem *m = opaque;

        if (off > m->len || len > m->len - off)
                return vhive_fail(err, EIO, "read past the end");
        memcpy(buf, m->b + off, len);
        m->reads++;
        return 0;
}

/* The whole file at path. */
static struct mem load_path(const char *path)
{
        struct mem m = { 0 };
        FILE *f = fopen(path, "rb");
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        m.len = (size_t)n;
        m.b = malloc(m.len);
        assert_non_null(m.b);
        assert_int_equal(fread(m.b, 1, m.len, f), m.len);
        fclose(f);
        return m;
}

static struct mem load(const char *name)
{
        char *p = unit_fixture(name);
        struct mem m;

        assert_non_null(p);
        m = load_path(p);
        free(p);
        return m;
}

/* hivex on the bytes (a memfd: hivex opens paths). */
static hive_h *hivex_on(const struct mem *m, int *fd)
{
        char path[64];

        *fd = memfd_create("lazy-test", MFD_CLOEXEC);
        assert_true(*fd >= 0);
        assert_int_equal(vhive_write_all(*fd, m->b, m->len), 0);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", *fd);
        return hivex_open(path, 0);
}

static struct vhive_lazy *lazy_on(struct mem *m)
{
        struct vhive_regf_header hdr;
        struct vhive_error err = { 0 };
        struct vhive_lazy *lz = NULL;

        assert_int_equal(vhive_regf_parse(m->b, m->len, &hdr), 0);
        assert_int_equal(vhive_lazy_open(&hdr, m->len, mem_pread, m, &lz, &err), 0);
        return lz;
}

static void compare_values(hive_h *h, const struct vhive_reader *rd, hive_node_h node)
{
        hive_value_h *vals = hivex_node_values(h, node);

        assert_non_null(vals);
        for (size_t i = 0; vals[i]; i++) {
                char *key = hivex_value_key(h, vals[i]), *lkey, *a, *b;
                hive_type ta, tb;
                size_t la, lb;
                hive_value_h lv;

                assert_non_null(key);
                lv = rd->ops->get_value(rd, node, key);
                /* The first value of that name, in any case, as hivex finds it. */
                assert_int_equal(lv, hivex_node_get_value(h, node, key));
                lkey = rd->ops->value_key(rd, vals[i]);
                assert_string_equal(lkey, key);
                a = hivex_value_value(h, vals[i], &ta, &la);
                b = rd->ops->value_value(rd, vals[i], &tb, &lb);
                assert_non_null(a);
                assert_non_null(b);
                assert_int_equal(ta, tb);
                assert_int_equal(la, lb);
                assert_memory_equal(a, b, la);
                free(a);
                free(b);
                free(key);
                free(lkey);
        }
        free(vals);
        errno = 0;
        assert_int_equal(rd->ops->get_value(rd, node, "no such value"), 0);
        assert_int_equal(errno, 0);
}

/* Every key below node, both ways; returns how many. */
static size_t compare_tree(hive_h *h, const struct vhive_reader *rd, hive_node_h node,
                           unsigned depth)
{
        hive_node_h *a = hivex_node_children(h, node), *b = rd->ops->children(rd, node);
        size_t n = 1;

        assert_true(depth < 64);
        assert_non_null(a);
        assert_non_null(b);
        compare_values(h, rd, node);
        for (size_t i = 0;; i++) {
                char *na, *nb;

                assert_int_equal(a[i], b[i]);
                if (!a[i])
                        break;
                na = hivex_node_name(h, a[i]);
                nb = rd->ops->name(rd, a[i]);
                assert_string_equal(na, nb);
                assert_int_equal(rd->ops->parent(rd, a[i]), node);
                /* Lookup by name, in another case than the hive's. */
                for (char *c = na; *c; c++)
                        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
                assert_int_equal(rd->ops->get_child(rd, node, na),
                                 hivex_node_get_child(h, node, na));
                n += compare_tree(h, rd, a[i], depth + 1);
                free(na);
                free(nb);
        }
        free(a);
        free(b);
        return n;
}

static void compare_fixture(struct mem *m)
{
        int fd;
        hive_h *h = hivex_on(m, &fd);
        struct vhive_lazy *lz = lazy_on(m);
        struct vhive_reader rd = vhive_reader_lazy(lz);

        assert_non_null(h);
        assert_int_equal(rd.ops->root(&rd), hivex_root(h));
        assert_true(compare_tree(h, &rd, hivex_root(h), 0) > 1);
        assert_false(vhive_lazy_failed(lz));
        vhive_lazy_close(lz);
        hivex_close(h);
        close(fd);
}

static void test_fixtures_agree(void **state)
{
        static const char *const names[] = { "software",  "software-system", "lease-all-types",
                                             "odd-types", "mixed-case",      "multi-iface" };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct mem m = load(names[i]);

                compare_fixture(&m);
                free(m.b);
        }
}

/* A value of 40000 bytes: hivex writes it flat, vhive_big_data_split
 * makes the db cell, segment list and segments Windows writes. */
static struct mem with_big_value(void)
{
        char *src = unit_fixture("software");
        char *dir = unit_tmpdir(), *out = NULL;
        static char data[40000];
        hive_set_value v = { (char *)"Big", hive_t_REG_BINARY, sizeof(data), data };
        struct vhive_error err = { 0 };
        hive_h *h;
        struct mem m;

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (char)(i * 7 + i / 251);
        assert_true(asprintf(&out, "%s/big", dir) > 0);
        h = hivex_open(src, HIVEX_OPEN_WRITE);
        assert_non_null(h);
        assert_int_equal(hivex_node_set_value(h, hivex_root(h), &v, 0), 0);
        assert_int_equal(hivex_commit(h, out, 0), 0);
        hivex_close(h);
        m = load_path(out);
        assert_int_equal(vhive_big_data_split(&m.b, &m.len, &err), 0);
        vhive_regf_store_checksum(m.b);
        free(src);
        free(out);
        unit_rmtree(dir);
        return m;
}

/* The offset of the data cell of the root's value "Big" (a db cell). */
static uint64_t big_db(struct mem *m, hive_h *h)
{
        hive_value_h v = hivex_node_get_value(h, hivex_root(h), "Big");

        assert_true(v != 0);
        return 4096 + vhive_le32(m->b + v + 12);
}

static void test_big_data_agrees(void **state)
{
        struct mem m = with_big_value();
        int fd;
        hive_h *h = hivex_on(&m, &fd);

        (void)state;
        assert_non_null(h);
        assert_memory_equal(m.b + big_db(&m, h) + 4, "db", 2);
        hivex_close(h);
        close(fd);
        compare_fixture(&m);
        free(m.b);
}

/* One hostile edit of a copy; the lazy reader then must fail on what
 * touches it, say so, and not crash. */
static void expect_refused(struct vhive_lazy *lz, bool got)
{
        assert_false(got);
        assert_true(vhive_lazy_failed(lz));
}

static void test_cyclic_subkey_list(void **state)
{
        struct mem m = load("software");
        hive_node_h root;
        uint64_t list;
        struct vhive_lazy *lz;
        struct vhive_reader rd;

        (void)state;
        root = 4096 + vhive_le32(m.b + 36);
        list = 4096 + vhive_le32(m.b + root + 4 + 28);
        /* The root's subkey list becomes an ri list naming itself. */
        memcpy(m.b + list + 4, "ri", 2);
        m.b[list + 6] = 1;
        m.b[list + 7] = 0;
        vhive_put_le32(m.b + list + 8, (uint32_t)(list - 4096));
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        errno = 0;
        expect_refused(lz, rd.ops->children(&rd, root) != NULL);
        assert_true(errno != 0);
        errno = 0;
        expect_refused(lz, rd.ops->get_child(&rd, root, "Microsoft") != 0);
        assert_true(errno != 0);
        vhive_lazy_close(lz);
        free(m.b);
}

static void test_cell_past_end(void **state)
{
        struct mem m = load("software");
        hive_node_h root = 4096 + vhive_le32(m.b + 36);
        uint64_t list = 4096 + vhive_le32(m.b + root + 4 + 28);
        struct vhive_lazy *lz;
        struct vhive_reader rd;

        (void)state;
        vhive_put_le32(m.b + list, (uint32_t) - (int32_t)(m.len & ~7u)); /* larger than the hive */
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        expect_refused(lz, rd.ops->children(&rd, root) != NULL);
        vhive_lazy_close(lz);
        /* A root whose own size lies: the reader does not open. */
        vhive_put_le32(m.b + root, 0x80000008u);
        {
                struct vhive_regf_header hdr;
                struct vhive_error err = { 0 };

                assert_int_equal(vhive_regf_parse(m.b, m.len, &hdr), 0);
                lz = NULL;
                assert_int_equal(vhive_lazy_open(&hdr, m.len, mem_pread, &m, &lz, &err), 1);
                assert_null(lz);
        }
        free(m.b);
}

/* The offset of the key at path in m's hive, as hivex finds it. */
static hive_node_h key_at(struct mem *m, const char *path)
{
        int fd;
        hive_h *h = hivex_on(m, &fd);
        hive_node_h key = 0;
        struct vhive_error err = { 0 };

        assert_non_null(h);
        assert_int_equal(vhive_lookup(h, hivex_root(h), path, &key, &err), 0);
        assert_true(key != 0);
        hivex_close(h);
        close(fd);
        return key;
}

/* A key whose value count says more than its value list holds. */
static void test_value_count_lies(void **state)
{
        struct mem m = load("software");
        hive_node_h key = key_at(&m, "Microsoft\\Windows\\CurrentVersion\\WindowsUpdate");
        struct vhive_lazy *lz;
        struct vhive_reader rd;

        (void)state;
        vhive_put_le32(m.b + key + 4 + 36, 100000); /* under hivex's cap, far over the list */
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        expect_refused(lz, rd.ops->get_value(&rd, key, "SusClientId") != 0);
        vhive_lazy_close(lz);
        free(m.b);
}

/* A key name in UTF-16 with a lone surrogate: hivex cannot convert it
 * (iconv), so the lazy reader must not answer with U+FFFD either. */
static void test_lone_surrogate_name(void **state)
{
        struct mem m = load("software");
        hive_node_h key = key_at(&m, "Microsoft\\Windows");
        struct vhive_lazy *lz;
        struct vhive_reader rd;
        hive_h *h;
        char *name;
        int fd;

        (void)state;
        /* "Windows" (7 bytes of Latin-1) becomes a UTF-16 name of 6 bytes:
         * U+D800 (a high surrogate with no low one after it), then the
         * units that "nd" and "ow" make. */
        m.b[key + 4 + 2] &= (uint8_t)~0x20;
        m.b[key + 4 + 72] = 6;
        m.b[key + 4 + 73] = 0;
        m.b[key + 4 + 76] = 0x00;
        m.b[key + 4 + 77] = 0xd8;
        h = hivex_on(&m, &fd);
        assert_non_null(h);
        errno = 0;
        name = hivex_node_name(h, key);
        assert_null(name); /* hivex cannot: the premise */
        hivex_close(h);
        close(fd);
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        expect_refused(lz, rd.ops->name(&rd, key) != NULL);
        vhive_lazy_close(lz);
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        key = rd.ops->get_child(&rd, rd.ops->get_child(&rd, rd.ops->root(&rd), "Microsoft"),
                                "Windows");
        expect_refused(lz, key != 0);
        vhive_lazy_close(lz);
        free(m.b);
}

static void test_db_count_lies(void **state)
{
        struct mem m = with_big_value();
        int fd;
        hive_h *h = hivex_on(&m, &fd);
        hive_value_h v = hivex_node_get_value(h, hivex_root(h), "Big");
        uint64_t db = big_db(&m, h);
        struct vhive_lazy *lz;
        struct vhive_reader rd;
        hive_type t;
        size_t len;

        (void)state;
        hivex_close(h);
        close(fd);
        /* More segments than the value's length needs, then more than the
         * segment list holds with a length to match. */
        m.b[db + 6] = 0xff;
        m.b[db + 7] = 0x7f;
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        expect_refused(lz, rd.ops->value_value(&rd, v, &t, &len) != NULL);
        vhive_lazy_close(lz);
        m.b[db + 6] = 200;
        m.b[db + 7] = 0;
        vhive_put_le32(m.b + v + 4 + 4, 200 * VHIVE_BIG_DATA_SEGMENT - 5);
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        expect_refused(lz, rd.ops->value_value(&rd, v, &t, &len) != NULL);
        vhive_lazy_close(lz);
        free(m.b);
}

/* One lookup in a 16 MiB SOFTWARE-like hive (mkbighive, $MKBIGHIVE)
 * reads a few chunks, not the hive. */
static void test_reads_little(void **state)
{
        const char *mkbig = getenv("MKBIGHIVE");
        char *dir = unit_tmpdir(), *cmd = NULL;
        struct mem m;
        struct vhive_lazy *lz;
        struct vhive_reader rd;
        struct vhive_error err = { 0 };
        hive_node_h node;

        (void)state;
        if (!mkbig || !*mkbig)
                skip();
        assert_true(asprintf(&cmd, "'%s' -m 16 '%s/big'", mkbig, dir) > 0);
        assert_int_equal(system(cmd), 0);
        {
                char *path = NULL;

                assert_true(asprintf(&path, "%s/big", dir) > 0);
                m = load_path(path);
                free(path);
        }
        lz = lazy_on(&m);
        rd = vhive_reader_lazy(lz);
        assert_int_equal(vhive_rd_lookup(&rd, rd.ops->root(&rd),
                                         "microsoft\\WINDOWS\\CurrentVersion\\Installer", &node,
                                         &err),
                         0);
        assert_true(node != 0);
        assert_false(vhive_lazy_failed(lz));
        assert_true(m.len > 16000000);
        assert_true(vhive_lazy_bytes_read(lz) < 256 * 1024);
        vhive_lazy_close(lz);
        free(m.b);
        free(cmd);
        unit_rmtree(dir);
}

/* check's JSON for the hive file path, read lazily or (full) the full way. */
static char *check_json(const char *path, bool full)
{
        struct vhive_scrub_job c = { .opts = { .rules = unit_rules("seed,wsus") } };
        struct vhive_job_opts o = { 0 };
        struct vhive_job_result r;
        json_t *j;
        char *s;

        if (full)
                setenv("VHIVE_CHECK_FULL_READ", "1", 1);
        else
                unsetenv("VHIVE_CHECK_FULL_READ");
        vhive_job_hive_file(path, &vhive_check_op, &c, &o, &r);
        unsetenv("VHIVE_CHECK_FULL_READ");
        j = vhive_json_scrub_target(path, &r, &c);
        s = json_dumps(j, JSON_SORT_KEYS);
        json_decref(j);
        vhive_scrub_job_free(&c);
        return s;
}

static void write_file(const char *path, const struct mem *m)
{
        FILE *f = fopen(path, "wb");

        assert_non_null(f);
        assert_int_equal(fwrite(m->b, 1, m->len, f), m->len);
        assert_int_equal(fclose(f), 0);
}

/* The job reads lazily, and on a refused read runs the op again the full
 * way: the report is hivex's, byte for byte, sound or damaged. */
static void test_job_falls_back(void **state)
{
        char *dir = unit_tmpdir(), *path = NULL;
        struct mem m = load("software");
        struct vhive_error err = { 0 };
        hive_node_h key = 0;
        int fd;
        hive_h *h = hivex_on(&m, &fd);

        (void)state;
        assert_int_equal(vhive_lookup(h, hivex_root(h),
                                      "Microsoft\\Windows\\CurrentVersion\\WindowsUpdate", &key,
                                      &err),
                         0);
        hivex_close(h);
        close(fd);
        assert_true(asprintf(&path, "%s/SOFTWARE", dir) > 0);
        for (int round = 0; round < 3; round++) {
                char *lazy, *full;

                if (round == 1) /* a value count that lies */
                        vhive_put_le32(m.b + key + 4 + 36, 100000);
                if (round == 2) { /* the root's subkey list lists itself */
                        uint64_t root = 4096 + vhive_le32(m.b + 36);
                        uint64_t list = 4096 + vhive_le32(m.b + root + 4 + 28);

                        memcpy(m.b + list + 4, "ri", 2);
                        m.b[list + 6] = 1;
                        m.b[list + 7] = 0;
                        vhive_put_le32(m.b + list + 8, (uint32_t)(list - 4096));
                }
                write_file(path, &m);
                lazy = check_json(path, false);
                full = check_json(path, true);
                assert_non_null(lazy);
                assert_string_equal(lazy, full);
                if (round == 1)
                        assert_non_null(strstr(lazy, "\"ok\": false"));
                free(lazy);
                free(full);
        }
        free(m.b);
        free(path);
        unit_rmtree(dir);
}

int main(void)
{
        static const char *const need[] = { "software", "software-system", NULL };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixtures_agree),      cmocka_unit_test(test_big_data_agrees),
                cmocka_unit_test(test_cyclic_subkey_list),  cmocka_unit_test(test_cell_past_end),
                cmocka_unit_test(test_value_count_lies),    cmocka_unit_test(test_db_count_lies),
                cmocka_unit_test(test_reads_little),        cmocka_unit_test(test_job_falls_back),
                cmocka_unit_test(test_lone_surrogate_name),
        };

        unit_require_fixtures(need);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
