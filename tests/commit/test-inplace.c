/* In-place value edits: blanks stored inline in the vk cell (old data
 * freed), a value deleted from its key's list; the result read back by
 * hivex and by reglookup, the file size unchanged, and a damaged cell
 * refused with the bytes untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../unit/unit.h"
#include "cfiles.h"

#define IFACE                                                                                      \
        "ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\"                                 \
        "{4D36E972-E325-11CE-BFC1-08002BE10318}"

struct fx {
        char *path;
        struct vhive_hive_buf hb;
        hive_h *h;
        hive_node_h node;
        char out[300];
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        struct vhive_error e;

        f->path = unit_fixture("lease-all-types");
        assert_non_null(f->path);
        assert_int_equal(vhive_read_file(f->path, &f->hb.b, &f->hb.len, &e), 0);
        f->h = hivex_open(f->path, 0);
        assert_non_null(f->h);
        assert_int_equal(vhive_lookup(f->h, hivex_root(f->h), IFACE, &f->node, &e), 0);
        assert_true(f->node != 0);
        snprintf(f->out, sizeof(f->out), "%s/vhive-inplace-%d.hive",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        hivex_close(f->h);
        unlink(f->out);
        vhive_hive_buf_drop_refs(&f->hb);
        free(f->hb.b);
        free(f->path);
        free(f);
        return 0;
}

static hive_value_h value(struct fx *f, const char *name)
{
        hive_value_h v = hivex_node_get_value(f->h, f->node, name);

        assert_true(v != 0);
        return v;
}

/* Writes the edited bytes and reopens them with hivex. */
static hive_h *reopen(struct fx *f, hive_node_h *node)
{
        struct cbuf b = { f->hb.b, f->hb.len };
        struct vhive_error e;
        hive_h *h;

        cset_write(f->out, &b);
        h = hivex_open(f->out, 0);
        assert_non_null(h);
        assert_int_equal(vhive_lookup(h, hivex_root(h), IFACE, node, &e), 0);
        return h;
}

static void assert_blank(hive_h *h, hive_node_h node, const char *name, hive_type want)
{
        hive_value_h v = hivex_node_get_value(h, node, name);
        hive_type t;
        size_t len;
        char *data;

        assert_true(v != 0);
        data = hivex_value_value(h, v, &t, &len);
        assert_non_null(data);
        assert_int_equal(t, want);
        assert_true(vhive_value_is_blank(t, data, len));
        free(data);
}

static void reglookup_sees(const char *file, const char *grep, bool present)
{
        char cmd[1024];

        snprintf(cmd, sizeof(cmd), "reglookup -p '/%s' '%s' 2>/dev/null | grep -qF '%s/%s'",
                 "ControlSet001/Services/Tcpip/Parameters/Interfaces", file,
                 "{4D36E972-E325-11CE-BFC1-08002BE10318}", grep);
        assert_int_equal(system(cmd) == 0, present);
}

static void blank_every_type(void **state)
{
        struct fx *f = *state;
        static const struct {
                const char *name;
                hive_type t;
        } vals[] = {
                { "DhcpIPAddress", hive_t_REG_SZ },
                { "DhcpDefaultGateway", hive_t_REG_MULTI_SZ },
                { "Lease", hive_t_REG_DWORD },
                { "DhcpInterfaceOptions", hive_t_REG_BINARY },
        };
        struct vhive_error e;
        hive_node_h node;
        hive_h *h;
        size_t len = f->hb.len;

        for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
                assert_int_equal(vhive_inplace_blank(&f->hb, f->node, value(f, vals[i].name), &e),
                                 0);
        assert_int_equal(f->hb.len, len);
        h = reopen(f, &node);
        for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
                assert_blank(h, node, vals[i].name, vals[i].t);
        /* Untouched neighbours still read as before. */
        assert_int_equal(hivex_value_dword(h, hivex_node_get_value(h, node, "EnableDHCP")), 1);
        hivex_close(h);
        if (system("command -v reglookup >/dev/null") == 0) {
                reglookup_sees(f->out, "DhcpIPAddress,SZ,,", true);
                reglookup_sees(f->out, "DhcpServer,SZ,10.20.0.2,", true);
        }
}

static void delete_one_value(void **state)
{
        struct fx *f = *state;
        struct vhive_error e;
        hive_node_h node;
        hive_value_h *vals;
        size_t before = 0, after = 0;
        hive_h *h;

        vals = hivex_node_values(f->h, f->node);
        while (vals[before])
                before++;
        free(vals);
        assert_int_equal(vhive_inplace_delete(&f->hb, f->node, value(f, "DhcpServer"), &e), 0);
        h = reopen(f, &node);
        errno = 0;
        assert_true(hivex_node_get_value(h, node, "DhcpServer") == 0);
        vals = hivex_node_values(h, node);
        while (vals[after])
                after++;
        free(vals);
        assert_int_equal(after, before - 1);
        assert_blank(h, node, "Domain", hive_t_REG_SZ);
        assert_int_equal(hivex_value_dword(h, hivex_node_get_value(h, node, "Lease")), 0x15180);
        hivex_close(h);
        if (system("command -v reglookup >/dev/null") == 0) {
                reglookup_sees(f->out, "DhcpServer,", false);
                reglookup_sees(f->out, "DhcpIPAddress,SZ,10.20.0.57,", true);
        }
}

/* A vk whose data offset points outside the hive bins: refused, nothing
 * changed. */
static void damaged_cell_refused(void **state)
{
        struct fx *f = *state;
        hive_value_h v = value(f, "DhcpServer");
        struct vhive_error e = { 0 };
        uint8_t *copy = malloc(f->hb.len);

        vhive_put_le32(f->hb.b + v + 12, 0x7ffffff8);
        memcpy(copy, f->hb.b, f->hb.len);
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, v, &e), -EUCLEAN);
        assert_non_null(strstr(e.msg, "damaged"));
        assert_int_equal(vhive_inplace_delete(&f->hb, f->node, v, &e), -EUCLEAN);
        assert_memory_equal(copy, f->hb.b, f->hb.len);
        /* A handle that is not a vk at all. */
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, f->node, &e), -EUCLEAN);
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, (hive_value_h)f->hb.len + 8, &e),
                         -EUCLEAN);
        free(copy);
}

/* Review finding 8: a data offset naming the key's own cell, or a
 * position inside a cell (where a fake used-cell size sits), is refused
 * with the bytes untouched (it would free the key, or corrupt a cell). */
static void cell_shared_or_inside_refused(void **state)
{
        struct fx *f = *state;
        hive_value_h v = value(f, "DhcpServer");
        struct vhive_error e = { 0 };
        uint8_t *copy = malloc(f->hb.len);
        uint32_t data = vhive_le32(f->hb.b + v + 12);
        size_t cell = VHIVE_REGF_BASE_BLOCK + data;

        vhive_put_le32(f->hb.b + v + 12, (uint32_t)(f->node - VHIVE_REGF_BASE_BLOCK));
        memcpy(copy, f->hb.b, f->hb.len);
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, v, &e), -EUCLEAN);
        assert_non_null(strstr(e.msg, "used twice"));
        assert_memory_equal(copy, f->hb.b, f->hb.len);
        /* Inside the old data cell: a fake 8-byte used cell, 2 bytes. */
        assert_true((int32_t)vhive_le32(f->hb.b + cell) <= -16);
        vhive_put_le32(f->hb.b + cell + 8, (uint32_t)-8);
        vhive_put_le32(f->hb.b + v + 12, data + 8);
        vhive_put_le32(f->hb.b + v + 8, 2);
        memcpy(copy, f->hb.b, f->hb.len);
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, v, &e), -EUCLEAN);
        assert_non_null(strstr(e.msg, "inside another cell"));
        assert_int_equal(vhive_inplace_delete(&f->hb, f->node, v, &e), -EUCLEAN);
        assert_memory_equal(copy, f->hb.b, f->hb.len);
        free(copy);
}

/* Deleting every value of a key: the list cell is freed, the offset -1. */
static void delete_all_values(void **state)
{
        struct fx *f = *state;
        struct vhive_error e;
        hive_value_h *vals = hivex_node_values(f->h, f->node), *left;
        hive_node_h node;
        hive_h *h;

        for (size_t i = 0; vals[i]; i++)
                assert_int_equal(vhive_inplace_delete(&f->hb, f->node, vals[i], &e), 0);
        free(vals);
        assert_int_equal(vhive_le32(f->hb.b + f->node + 4 + 40), 0xffffffffu);
        h = reopen(f, &node);
        left = hivex_node_values(h, node);
        assert_non_null(left);
        assert_true(left[0] == 0);
        free(left);
        hivex_close(h);
}

/* hivex never writes big data: carve a db cell, its segment list and two
 * segments out of one large data cell, check that hivex reads it, blank
 * it in place, and see all four cells freed. */
static void carve_db(uint8_t *b, size_t cell, uint32_t size)
{
        uint32_t rel = (uint32_t)(cell - VHIVE_REGF_BASE_BLOCK), l1 = 16352;

        vhive_put_le32(b + cell, (uint32_t)-16);
        memcpy(b + cell + 4, "db", 2);
        b[cell + 6] = 2;
        b[cell + 7] = 0;
        vhive_put_le32(b + cell + 8, rel + 16);
        vhive_put_le32(b + cell + 16, (uint32_t)-16);
        vhive_put_le32(b + cell + 20, rel + 32);
        vhive_put_le32(b + cell + 24, rel + 32 + l1);
        vhive_put_le32(b + cell + 32, (uint32_t) - (int32_t)l1);
        vhive_put_le32(b + cell + 32 + l1, (uint32_t) - (int32_t)(size - 32 - l1));
}

static void blank_big_data(void **state)
{
        struct fx *f = *state;
        char *d = calloc(1, 20000);
        hive_set_value sv = { (char *)"Big", hive_t_REG_BINARY, 20000, d };
        hive_h *w = hivex_open(f->path, HIVEX_OPEN_WRITE), *h;
        struct vhive_error e;
        hive_value_h v;
        hive_node_h node;
        size_t len, cell;
        uint32_t size;
        hive_type t;
        char *data;

        assert_non_null(w);
        assert_int_equal(hivex_node_set_value(w, f->node, &sv, 0), 0);
        assert_int_equal(hivex_commit(w, f->out, 0), 0);
        hivex_close(w);
        free(d);
        free(f->hb.b);
        assert_int_equal(vhive_read_file(f->out, &f->hb.b, &f->hb.len, &e), 0);
        h = hivex_open(f->out, 0);
        v = hivex_node_get_value(h, f->node, "Big");
        cell = hivex_value_data_cell_offset(h, v, &len);
        hivex_close(h);
        size = (uint32_t) - (int32_t)vhive_le32(f->hb.b + cell);
        carve_db(f->hb.b, cell, size);
        vhive_put_le32(f->hb.b + v + 8, 16348 + (size - 32 - 16352 - 4));
        vhive_put_le32(f->hb.b + 24, 5); /* big data: hives 1.4 and later */
        vhive_regf_store_checksum(f->hb.b);
        h = reopen(f, &node);
        data = hivex_value_value(h, hivex_node_get_value(h, node, "Big"), &t, &len);
        assert_non_null(data); /* hivex reads the carved db cell */
        assert_true(len > 16344);
        free(data);
        hivex_close(h);
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, v, &e), 0);
        for (size_t at = cell, k = 0; k < 4; k++) {
                int32_t sz = (int32_t)vhive_le32(f->hb.b + at);

                assert_true(sz > 0); /* freed */
                at += (size_t)sz;
        }
        h = reopen(f, &node);
        assert_blank(h, node, "Big", hive_t_REG_BINARY);
        hivex_close(h);
}

/* Issue 18: DhcpServer's vk points at DhcpIPAddress's data cell.  Blanking
 * DhcpServer keeps the cell for DhcpIPAddress; blanking DhcpIPAddress
 * then frees it, nothing else referring to it any more. */
static void shared_data_kept(void **state)
{
        struct fx *f = *state;
        hive_value_h server = value(f, "DhcpServer"), ip = value(f, "DhcpIPAddress");
        struct vhive_error e = { 0 };
        size_t cell = VHIVE_REGF_BASE_BLOCK + vhive_le32(f->hb.b + ip + 12), len;
        char *before = hivex_value_value(f->h, ip, &(hive_type){ 0 }, &len), *after;
        hive_node_h node;
        hive_type t;
        hive_h *h;

        assert_non_null(before);
        assert_false(vhive_le32(f->hb.b + ip + 8) & 0x80000000u);
        vhive_put_le32(f->hb.b + server + 8, vhive_le32(f->hb.b + ip + 8));
        vhive_put_le32(f->hb.b + server + 12, vhive_le32(f->hb.b + ip + 12));
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, server, &e), 0);
        assert_true((int32_t)vhive_le32(f->hb.b + cell) < 0); /* still in use */
        h = reopen(f, &node);
        after = hivex_value_value(h, hivex_node_get_value(h, node, "DhcpIPAddress"), &t, &len);
        assert_non_null(after);
        assert_memory_equal(after, before, len);
        hivex_close(h);
        assert_int_equal(vhive_inplace_blank(&f->hb, f->node, ip, &e), 0);
        assert_true((int32_t)vhive_le32(f->hb.b + cell) > 0); /* freed */
        free(before);
        free(after);
}

int main(void)
{
        static const char *const need[] = { "lease-all-types", NULL };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(blank_every_type, setup, teardown),
                cmocka_unit_test_setup_teardown(delete_one_value, setup, teardown),
                cmocka_unit_test_setup_teardown(damaged_cell_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(delete_all_values, setup, teardown),
                cmocka_unit_test_setup_teardown(cell_shared_or_inside_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(blank_big_data, setup, teardown),
                cmocka_unit_test_setup_teardown(shared_data_kept, setup, teardown),
        };

        unit_require_fixtures(need);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
