/* Control-set resolution: Select\Current -> ControlSetNNN, on hives built
 * from the .reg fixtures, and on copies edited in memory with hivex for the
 * cases no fixture covers (a Current of the wrong type, out of range...). */
#include "unit.h"

static const char *const needed[] = {
        "one-iface",  "cs2-current", "mixed-case",         "no-select", "no-select-cs",
        "no-current", "bad-current", "cs-default-differs", NULL,
};

static hive_node_h child(hive_h *h, hive_node_h parent, const char *name)
{
        hive_node_h n = hivex_node_get_child(h, parent, name);

        if (!n)
                fail_msg("no key %s in the fixture", name);
        return n;
}

static void set_select(hive_h *h, const char *name, hive_type t, const void *data, size_t len)
{
        char *buf = malloc(len ? len : 1);
        hive_set_value v = { .key = (char *)name, .t = t, .len = len, .value = buf };

        assert_non_null(buf);
        memcpy(buf, data, len);
        assert_int_equal(hivex_node_set_value(h, child(h, hivex_root(h), "Select"), &v, 0), 0);
        free(buf);
}

static void set_current(hive_h *h, hive_type t, const void *data, size_t len)
{
        set_select(h, "Current", t, data, len);
}

static void set_select_dword(hive_h *h, const char *name, uint32_t n)
{
        uint8_t le[4] = { n, n >> 8, n >> 16, n >> 24 };

        set_select(h, name, hive_t_REG_DWORD, le, sizeof(le));
}

static void set_current_dword(hive_h *h, uint32_t n)
{
        set_select_dword(h, "Current", n);
}

/* Expects failure with -errnum and a message containing each word. */
static void expect_fail(hive_h *h, int errnum, const char *w1, const char *w2)
{
        struct vhive_controlset cs;
        struct vhive_error err = { 0 };

        memset(&cs, 0xa5, sizeof(cs));
        assert_int_equal(vhive_controlset_current(h, &cs, &err), -errnum);
        assert_int_equal(err.errnum, errnum);
        if (w1 && !strstr(err.msg, w1))
                fail_msg("message \"%s\" does not mention %s", err.msg, w1);
        if (w2 && !strstr(err.msg, w2))
                fail_msg("message \"%s\" does not mention %s", err.msg, w2);
}

static void current_is_1(void **state)
{
        hive_h *h = unit_open("one-iface", 0);
        struct vhive_controlset cs;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_controlset_current(h, &cs, &err), 0);
        assert_int_equal(cs.number, 1);
        assert_true(cs.current);
        assert_string_equal(cs.name, "ControlSet001");
        assert_int_equal(cs.node, child(h, hivex_root(h), "ControlSet001"));
        hivex_close(h);
}

static void current_is_2(void **state)
{
        hive_h *h = unit_open("cs2-current", 0);
        struct vhive_controlset cs;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_controlset_current(h, &cs, &err), 0);
        assert_int_equal(cs.number, 2);
        assert_true(cs.current);
        assert_string_equal(cs.name, "ControlSet002");
        assert_int_equal(cs.node, child(h, hivex_root(h), "ControlSet002"));
        assert_int_not_equal(cs.node, child(h, hivex_root(h), "ControlSet001"));
        hivex_close(h);
}

static void list_marks_current(void **state)
{
        hive_h *h = unit_open("cs2-current", 0);
        struct vhive_controlset *list = NULL;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_controlset_list(h, &list, &err), 2);
        assert_int_equal(list[0].number, 1);
        assert_false(list[0].current);
        assert_string_equal(list[0].name, "ControlSet001");
        assert_int_equal(list[1].number, 2);
        assert_true(list[1].current);
        assert_string_equal(list[1].name, "ControlSet002");
        assert_int_equal(list[1].node, child(h, hivex_root(h), "ControlSet002"));
        free(list);
        hivex_close(h);
}

/* Key and value names in any case; the hive's own spelling is kept. */
static void mixed_case_names(void **state)
{
        hive_h *h = unit_open("mixed-case", 0);
        struct vhive_controlset cs;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_controlset_current(h, &cs, &err), 0);
        assert_int_equal(cs.number, 1);
        assert_string_equal(cs.name, "controlset001");
        assert_int_equal(cs.node, child(h, hivex_root(h), "controlset001"));
        hivex_close(h);
}

static void missing_select(void **state)
{
        hive_h *h = unit_open("no-select", 0);

        (void)state;
        expect_fail(h, ENOENT, "Select", "SYSTEM");
        hivex_close(h);
        h = unit_open("no-select-cs", 0);
        expect_fail(h, ENOENT, "Select", NULL);
        hivex_close(h);
}

static void missing_current(void **state)
{
        hive_h *h = unit_open("no-current", 0);

        (void)state;
        expect_fail(h, ENOENT, "Current", NULL);
        hivex_close(h);
}

static void current_names_missing_set(void **state)
{
        hive_h *h = unit_open("bad-current", 0);

        (void)state;
        expect_fail(h, ENOENT, "ControlSet003", NULL);
        hivex_close(h);
        h = unit_open("one-iface", HIVEX_OPEN_WRITE);
        set_current_dword(h, 2);
        expect_fail(h, ENOENT, "ControlSet002", NULL);
        hivex_close(h);
}

static void current_out_of_range(void **state)
{
        hive_h *h = unit_open("one-iface", HIVEX_OPEN_WRITE);

        (void)state;
        set_current_dword(h, 0);
        expect_fail(h, ENOENT, "0", NULL);
        /* ControlSet1000 would not be ControlSet%03u. */
        set_current_dword(h, 1000);
        expect_fail(h, ENOENT, "1000", NULL);
        set_current_dword(h, 0xffffffffu);
        expect_fail(h, ENOENT, NULL, NULL);
        hivex_close(h);
}

static void current_not_dword(void **state)
{
        static const char sz_one[] = { '1', 0, 0, 0 };
        static const uint8_t qword_one[8] = { 1 };
        static const uint8_t short_dword[2] = { 1, 0 };
        hive_h *h = unit_open("one-iface", HIVEX_OPEN_WRITE);

        (void)state;
        set_current(h, hive_t_REG_SZ, sz_one, sizeof(sz_one));
        expect_fail(h, EINVAL, "REG_DWORD", NULL);
        set_current(h, hive_t_REG_QWORD, qword_one, sizeof(qword_one));
        expect_fail(h, EINVAL, "REG_DWORD", NULL);
        set_current(h, hive_t_REG_BINARY, qword_one, 4);
        expect_fail(h, EINVAL, "REG_DWORD", NULL);
        set_current(h, hive_t_REG_DWORD, short_dword, sizeof(short_dword));
        expect_fail(h, EINVAL, "REG_DWORD", NULL);
        /* And back to a good one: the handle still resolves. */
        set_current_dword(h, 1);
        {
                struct vhive_controlset cs;
                struct vhive_error err = { 0 };

                assert_int_equal(vhive_controlset_current(h, &cs, &err), 0);
                assert_int_equal(cs.number, 1);
        }
        hivex_close(h);
}

/* Only ControlSet + exactly three digits count, in any case; sorted. */
static void list_ignores_lookalikes(void **state)
{
        static const char *const others[] = {
                "ControlSet",    "ControlSet01",    "ControlSet0001", "ControlSetX01",
                "ControlSet00a", "MyControlSet001", "Control",
        };
        hive_h *h = unit_open("cs2-current", HIVEX_OPEN_WRITE);
        struct vhive_controlset *list = NULL;
        struct vhive_error err = { 0 };
        hive_node_h root = hivex_root(h);

        (void)state;
        assert_int_not_equal(hivex_node_add_child(h, root, "controlset010"), 0);
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                assert_int_not_equal(hivex_node_add_child(h, root, others[i]), 0);
        assert_int_not_equal(hivex_node_add_child(h, root, "ControlSet003"), 0);
        assert_int_equal(vhive_controlset_list(h, &list, &err), 4);
        assert_int_equal(list[0].number, 1);
        assert_int_equal(list[1].number, 2);
        assert_int_equal(list[2].number, 3);
        assert_int_equal(list[3].number, 10);
        assert_string_equal(list[3].name, "controlset010");
        assert_int_equal(list[3].node, child(h, root, "controlset010"));
        for (int i = 0; i < 4; i++)
                assert_true(list[i].current == (list[i].number == 2));
        free(list);
        hivex_close(h);
}

static void list_fails_without_current(void **state)
{
        static const char *const bad[] = { "no-select", "no-current", "bad-current", NULL };

        (void)state;
        for (size_t i = 0; bad[i]; i++) {
                hive_h *h = unit_open(bad[i], 0);
                struct vhive_controlset *list = NULL;
                struct vhive_error err = { 0 };

                assert_int_equal(vhive_controlset_list(h, &list, &err), -ENOENT);
                assert_null(list);
                assert_true(err.msg[0] != '\0');
                hivex_close(h);
        }
}

/* Select\Default = 2, Current = 1: both boot sets, sorted, roles marked. */
static void boot_default_differs(void **state)
{
        hive_h *h = unit_open("cs-default-differs", 0);
        struct vhive_controlset sets[2], cs, *list = NULL;
        struct vhive_error err = { 0 };
        char roles[64];

        (void)state;
        assert_int_equal(vhive_controlset_boot(h, sets, &err), 2);
        assert_int_equal(sets[0].number, 1);
        assert_true(sets[0].current && !sets[0].next_boot && sets[0].last_known_good);
        assert_false(sets[0].failed);
        assert_int_equal(sets[1].number, 2);
        assert_true(!sets[1].current && sets[1].next_boot && !sets[1].last_known_good);
        assert_int_equal(sets[1].node, child(h, hivex_root(h), "ControlSet002"));
        assert_string_equal(vhive_controlset_roles(&sets[0], false, roles, sizeof(roles)),
                            "current, last known good");
        assert_string_equal(vhive_controlset_roles(&sets[0], true, roles, sizeof(roles)),
                            "current");
        assert_string_equal(vhive_controlset_roles(&sets[1], false, roles, sizeof(roles)),
                            "default");
        /* CurrentControlSet in a key path would miss one of them. */
        assert_int_equal(vhive_controlset_ccs(h, &cs, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "name ControlSet001 or ControlSet002 explicitly"));
        assert_int_equal(vhive_controlset_list(h, &list, &err), 2);
        assert_true(list[0].current && list[0].last_known_good && !list[0].next_boot);
        assert_true(list[1].next_boot && !list[1].current);
        free(list);
        hivex_close(h);
}

/* Default = Current: one boot set with both roles; a path's
 * CurrentControlSet resolves to it. */
static void boot_default_same(void **state)
{
        hive_h *h = unit_open("cs2-current", 0);
        struct vhive_controlset sets[2], cs;
        struct vhive_error err = { 0 };
        char roles[64];

        (void)state;
        assert_int_equal(vhive_controlset_boot(h, sets, &err), 1);
        assert_int_equal(sets[0].number, 2);
        assert_true(sets[0].current && sets[0].next_boot && !sets[0].last_known_good);
        assert_string_equal(vhive_controlset_roles(&sets[0], false, roles, sizeof(roles)),
                            "current");
        assert_int_equal(vhive_controlset_ccs(h, &cs, &err), 0);
        assert_int_equal(cs.number, 2);
        hivex_close(h);
}

static void expect_boot_fail(hive_h *h, int errnum, const char *w)
{
        struct vhive_controlset sets[2], *list = NULL;
        struct vhive_error err = { 0 };

        assert_int_equal(vhive_controlset_boot(h, sets, &err), -errnum);
        if (!strstr(err.msg, w))
                fail_msg("message \"%s\" does not mention %s", err.msg, w);
        assert_int_equal(vhive_controlset_list(h, &list, &err), -errnum);
        assert_null(list);
}

static void default_names_missing_set(void **state)
{
        static const char sz_one[] = { '1', 0, 0, 0 };
        hive_h *h = unit_open("one-iface", HIVEX_OPEN_WRITE);

        (void)state;
        set_select_dword(h, "Default", 5);
        expect_boot_fail(h, ENOENT, "Select\\Default names ControlSet005");
        set_select_dword(h, "Default", 0);
        expect_boot_fail(h, ENOENT, "Select\\Default is 0");
        set_select(h, "Default", hive_t_REG_SZ, sz_one, sizeof(sz_one));
        expect_boot_fail(h, EINVAL, "Default is not a REG_DWORD");
        hivex_close(h);
}

/* No Default value: the next boot can only mean Current. */
static void default_absent(void **state)
{
        static const uint8_t one[4] = { 1 };
        hive_set_value v = {
                .key = (char *)"Current", .t = hive_t_REG_DWORD, .len = 4, .value = (char *)one
        };
        hive_h *h = unit_open("cs-default-differs", HIVEX_OPEN_WRITE);
        struct vhive_controlset sets[2];
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(hivex_node_set_values(h, child(h, hivex_root(h), "Select"), 1, &v, 0), 0);
        assert_int_equal(vhive_controlset_boot(h, sets, &err), 1);
        assert_int_equal(sets[0].number, 1);
        assert_true(sets[0].current && sets[0].next_boot && !sets[0].last_known_good);
        hivex_close(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(current_is_1),
                cmocka_unit_test(current_is_2),
                cmocka_unit_test(list_marks_current),
                cmocka_unit_test(mixed_case_names),
                cmocka_unit_test(missing_select),
                cmocka_unit_test(missing_current),
                cmocka_unit_test(current_names_missing_set),
                cmocka_unit_test(current_out_of_range),
                cmocka_unit_test(current_not_dword),
                cmocka_unit_test(list_ignores_lookalikes),
                cmocka_unit_test(list_fails_without_current),
                cmocka_unit_test(boot_default_differs),
                cmocka_unit_test(boot_default_same),
                cmocka_unit_test(default_names_missing_set),
                cmocka_unit_test(default_absent),
        };

        unit_require_fixtures(needed);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
