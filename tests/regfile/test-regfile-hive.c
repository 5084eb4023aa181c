/* Merging, wildcards, CurrentControlSet, export round trips, on empty hives
 * from mkhive and on the fixture hives (in memory: nothing is committed
 * except where a test says so). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "reg.h"

#define H5 "Windows Registry Editor Version 5.00\r\n\r\n"
#define IFACES                                                                                     \
        "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"               \
        "\\Interfaces"

static char tmpdir[] = "/tmp/test-regfile-XXXXXX";

/* Plans point into their files: they live until the end of the run. */
static struct vhive_regfile kept[32];
static size_t n_kept;

static char *tmp_path(const char *name)
{
        char *p;

        assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
        return p;
}

/* A new empty hive from mkhive, opened for writing. */
static hive_h *empty_hive(const char *name)
{
        char *path = tmp_path(name), *cmd;
        hive_h *h;

        assert_true(asprintf(&cmd, "\"%s\" \"%s\"", getenv("MKHIVE"), path) > 0);
        assert_int_equal(system(cmd), 0);
        h = hivex_open(path, HIVEX_OPEN_WRITE);
        assert_non_null(h);
        free(cmd);
        free(path);
        return h;
}

static hive_h *fixture(const char *name)
{
        char *path;
        hive_h *h;

        assert_true(asprintf(&path, "%s/%s.hive", getenv("FIXTURES"), name) > 0);
        h = hivex_open(path, HIVEX_OPEN_WRITE);
        if (!h)
                fail_msg("cannot open %s", path);
        free(path);
        return h;
}

static void parse(struct vhive_regfile *rf, const char *name, const char *text)
{
        struct vhive_error err = { 0 };

        if (vhive_regfile_parse(rf, name, (const uint8_t *)text, strlen(text), &err) < 0)
                fail_msg("parse: %s", err.msg);
}

/* Parses, plans, applies and verifies text; returns the plan. */
static struct vhive_merge *merge(hive_h *h, const char *text, const struct vhive_merge_opts *o)
{
        struct vhive_merge_opts none = { 0 };
        struct vhive_regfile *rf = &kept[n_kept++];
        struct vhive_error err = { 0 };
        struct vhive_merge *m;

        assert_true(n_kept < sizeof(kept) / sizeof(kept[0]));
        parse(rf, "m.reg", text);
        if (vhive_merge_plan(h, rf, 1, o ? o : &none, &m, &err) < 0)
                fail_msg("plan: %s", err.msg);
        if (vhive_merge_apply(h, m, &err) < 0)
                fail_msg("apply: %s", err.msg);
        if (vhive_merge_verify(h, m, &err) < 0)
                fail_msg("verify: %s", err.msg);
        return m;
}

static char *export(hive_h *h, const char *key)
{
        struct vhive_export_opts o = { .prefix = "HKEY_LOCAL_MACHINE\\SYSTEM" };
        struct vhive_keypath kp;
        struct vhive_error err = { 0 };
        hive_node_h *nodes;
        char *out;
        size_t len;
        int n;

        assert_int_equal(vhive_keypath_parse(key, &kp, &err), 0);
        n = vhive_keypath_resolve(h, &kp, &nodes, &err);
        if (n < 0)
                fail_msg("resolve %s: %s", key, err.msg);
        assert_int_equal(vhive_export(h, nodes, (size_t)n, &o, &out, &len, &err), 0);
        assert_int_equal(strlen(out), len);
        free(nodes);
        vhive_keypath_free(&kp);
        return out;
}

static void value_is(hive_h *h, const char *key, const char *name, hive_type t, const char *data,
                     size_t len)
{
        struct vhive_keypath kp;
        struct vhive_error err = { 0 };
        hive_node_h *nodes;
        hive_value_h v;
        hive_type got;
        size_t got_len;
        char *d;

        assert_int_equal(vhive_keypath_parse(key, &kp, &err), 0);
        assert_int_equal(vhive_keypath_resolve(h, &kp, &nodes, &err), 1);
        v = hivex_node_get_value(h, nodes[0], name);
        if (!v)
                fail_msg("%s has no value %s", key, name);
        d = hivex_value_value(h, v, &got, &got_len);
        assert_int_equal(got, t);
        assert_int_equal(got_len, len);
        assert_memory_equal(d, data, len);
        free(d);
        free(nodes);
        vhive_keypath_free(&kp);
}

/* Every type, nested keys, names needing escapes, long hex lines: the text
 * is what export writes, so merge + export gives it back unchanged. */
static const char all_types[] = H5
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\r\n"
        "@=\"default\"\r\n"
        "\"Quote\\\"Back\\\\slash\"=\"C:\\\\Windows\\\\\\\"x\\\"\"\r\n"
        "\"Empty\"=\"\"\r\n"
        "\"Dword\"=dword:deadbeef\r\n"
        "\"Binary\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n"
        "  16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,\\\r\n"
        "  2f\r\n"
        "\"Expand\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,\\\r\n"
        "  00,25,00,00,00\r\n"
        "\"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n"
        "\"Qword\"=hex(b):01,02,03,04,05,06,07,08\r\n"
        "\"None\"=hex(0):\r\n"
        "\"ShortDword\"=hex(4):01,00\r\n"
        "\"Odd\"=hex(20001):ff\r\n"
        "\"NotAString\"=hex(1):61,00,62\r\n"
        "\"Unicode \xc3\xa9\"=\"\xe2\x82\xac \xc3\xa9\"\r\n"
        "\r\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\A\\Empty key]\r\n"
        "\r\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\A\\Sub]\r\n"
        "\"x\"=dword:00000001\r\n"
        "\r\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\A\\Sub\\Deeper]\r\n"
        "\"y\"=\"z\"\r\n"
        "\r\n";

static void round_trip(void **state)
{
        hive_h *h1 = empty_hive("rt1"), *h2 = empty_hive("rt2");
        char *first, *second;

        (void)state;
        vhive_merge_free(merge(h1, all_types, NULL));
        first = export(h1, "HKLM\\SYSTEM\\A");
        assert_string_equal(first, all_types);
        vhive_merge_free(merge(h2, first, NULL));
        second = export(h2, "A");
        assert_string_equal(first, second);
        value_is(h2, "A", "Multi", hive_t_REG_MULTI_SZ, "a\0\0\0b\0\0\0\0\0", 10);
        value_is(h2, "A", "NotAString", hive_t_REG_SZ, "a\0b", 3);
        free(first);
        free(second);
        hivex_close(h1);
        hivex_close(h2);
}

/* The round trip survives a commit and hivex reading the file again. */
static void round_trip_committed(void **state)
{
        hive_h *h = empty_hive("rt3");
        char *path = tmp_path("rt3.out"), *text;

        (void)state;
        vhive_merge_free(merge(h, all_types, NULL));
        assert_int_equal(hivex_commit(h, path, 0), 0);
        hivex_close(h);
        h = hivex_open(path, 0);
        assert_non_null(h);
        text = export(h, "A");
        assert_string_equal(text, all_types);
        free(text);
        free(path);
        hivex_close(h);
}

static const char pvs[] = H5
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n"
        "\"NameServer\"=\"\"\r\n"
        "[" IFACES "]\r\n"
        "[" IFACES "\\{GUID_OF_NETWORK_ADAPTOR}]\r\n"
        "\"NameServer\"=\"\"\r\n"
        "\"Domain\"=\"\"\r\n"
        "\"DhcpIPAddress\"=\"\"\r\n"
        "\"DhcpSubnetMask\"=\"\"\r\n"
        "\"DhcpServer\"=\"\"\r\n"
        "\"DhcpNameServer\"=\"\"\r\n"
        "\"DhcpDefaultGateway\"=\"\"\r\n";

static char *pvs_with(const char *guid)
{
        const char *at = strstr(pvs, "{GUID_OF");
        char *s;

        assert_true(asprintf(&s, "%.*s%s%s", (int)(at - pvs), pvs, guid,
                             at + strlen("{GUID_OF_NETWORK_ADAPTOR}")) > 0);
        return s;
}

static void placeholder_fails(void **state)
{
        hive_h *h = fixture("multi-iface");
        struct vhive_merge_opts o = { .placeholders_fail = true };
        struct vhive_regfile rf;
        struct vhive_error err = { 0 };
        struct vhive_merge *m = NULL;

        (void)state;
        parse(&rf, "pvs.reg", pvs);
        assert_int_equal(vhive_merge_plan(h, &rf, 1, &o, &m, &err), -ENOENT);
        assert_null(m);
        assert_non_null(strstr(err.msg, "pvs.reg:6: key " IFACES "\\{GUID_OF_NETWORK_ADAPTOR} "
                                        "does not exist"));
        vhive_regfile_free(&rf);
        hivex_close(h);
}

/* The same file with "*": every listed value on every interface is REG_SZ
 * "", as regedit would leave it; absent ones are created. */
static void wildcard_every_interface(void **state)
{
        hive_h *h = fixture("multi-iface");
        struct vhive_merge_opts o = { .placeholders_fail = true };
        char *text = pvs_with("*");
        struct vhive_merge *m = merge(h, text, &o);
        const struct vhive_change *c;
        size_t n, set = 0;
        const char *ifaces[] = { "{4D36E972-E325-11CE-BFC1-08002BE10318}",
                                 "{7A1C3B2E-9F10-4C55-8D21-5E0B6A7F3C11}",
                                 "{B5E0C2D4-1A2B-4C3D-9E8F-0A1B2C3D4E5F}" };

        (void)state;
        c = vhive_merge_changes(m, &n);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(c[i].kind, VHIVE_CHANGE_SET_VALUE);
                assert_string_equal(c[i].file, "m.reg");
                set++;
        }
        assert_int_equal(set, 15); /* 5 non-blank values on each of 3 interfaces */
        for (size_t i = 0; i < 3; i++) {
                char *key;

                assert_true(asprintf(&key, "%s\\%s", IFACES, ifaces[i]) > 0);
                value_is(h, key, "DhcpDefaultGateway", hive_t_REG_SZ, "\0", 2);
                value_is(h, key, "DhcpIPAddress", hive_t_REG_SZ, "\0", 2);
                free(key);
        }
        vhive_merge_free(m);
        /* merged again: nothing left to change */
        m = merge(h, text, &o);
        assert_false(vhive_merge_changes_hive(m));
        vhive_merge_free(m);
        free(text);
        hivex_close(h);
}

static void current_control_set_maps(void **state)
{
        hive_h *h = fixture("cs2-current");
        struct vhive_merge *m;
        const struct vhive_change *c;
        size_t n;

        (void)state;
        m = merge(h, H5 "[HKLM\\SYSTEM\\CurrentControlSet\\Services\\New]\r\n\"v\"=dword:2\r\n",
                  NULL);
        c = vhive_merge_changes(m, &n);
        assert_int_equal(n, 2);
        assert_int_equal(c[0].kind, VHIVE_CHANGE_ADD_KEY);
        assert_string_equal(c[0].key, "ControlSet002\\Services\\New");
        assert_int_equal(c[1].kind, VHIVE_CHANGE_ADD_VALUE);
        value_is(h, "ControlSet002\\Services\\New", "v", hive_t_REG_DWORD, "\2\0\0", 4);
        value_is(h, "CurrentControlSet\\Services\\New", "v", hive_t_REG_DWORD, "\2\0\0", 4);
        vhive_merge_free(m);
        hivex_close(h);
}

static void missing_parents_created(void **state)
{
        hive_h *h = empty_hive("parents");
        struct vhive_merge *m;
        size_t n;

        (void)state;
        m = merge(h, H5 "[HKLM\\SYSTEM\\a\\b\\c]\r\n\"x\"=\"y\"\r\n", NULL);
        vhive_merge_changes(m, &n);
        assert_int_equal(n, 4); /* a, a\b, a\b\c, x */
        value_is(h, "a\\B\\C", "X", hive_t_REG_SZ, "y\0\0", 4);
        vhive_merge_free(m);
        hivex_close(h);
}

/* Sections are applied in order: delete then recreate leaves a fresh key;
 * a value set twice keeps the last; a wildcard sees keys added before. */
static void sections_in_order(void **state)
{
        hive_h *h = empty_hive("order");
        struct vhive_merge *m;
        char *text;

        (void)state;
        vhive_merge_free(merge(h,
                               H5 "[HKLM\\SYSTEM\\K\\Old]\r\n\"a\"=\"1\"\r\n"
                                  "[HKLM\\SYSTEM\\K]\r\n\"keep\"=dword:1\r\n",
                               NULL));
        m = merge(h,
                  H5 "[-HKLM\\SYSTEM\\K]\r\n"
                     "[HKLM\\SYSTEM\\K\\New]\r\n\"b\"=\"1\"\r\n\"b\"=\"2\"\r\n"
                     "[HKLM\\SYSTEM\\K\\Two]\r\n"
                     "[HKLM\\SYSTEM\\K\\*]\r\n\"w\"=-\r\n\"all\"=dword:7\r\n"
                     "[HKLM\\SYSTEM\\K\\New]\r\n\"all\"=-\r\n",
                  NULL);
        text = export(h, "K");
        assert_string_equal(text, H5 "[HKEY_LOCAL_MACHINE\\SYSTEM\\K]\r\n\r\n"
                                     "[HKEY_LOCAL_MACHINE\\SYSTEM\\K\\New]\r\n\"b\"=\"2\"\r\n\r\n"
                                     "[HKEY_LOCAL_MACHINE\\SYSTEM\\K\\Two]\r\n"
                                     "\"all\"=dword:00000007\r\n\r\n");
        free(text);
        vhive_merge_free(m);
        hivex_close(h);
}

static void deletions(void **state)
{
        hive_h *h = fixture("one-iface");
        struct vhive_merge_opts strict = { .missing_delete_fails = true };
        struct vhive_regfile rf;
        struct vhive_error err = { 0 };
        struct vhive_merge *m;
        struct vhive_keypath kp;
        hive_node_h *nodes;

        (void)state;
        /* regedit: deleting what is not there is nothing to do */
        m = merge(h, H5 "[-HKLM\\SYSTEM\\Nope]\r\n[HKLM\\SYSTEM\\Select]\r\n\"Nope\"=-\r\n", NULL);
        assert_false(vhive_merge_changes_hive(m));
        vhive_merge_free(m);
        /* the delete command: it is an error */
        parse(&rf, "d.reg", H5 "[HKLM\\SYSTEM\\Select]\r\n\"Nope\"=-\r\n");
        assert_int_equal(vhive_merge_plan(h, &rf, 1, &strict, &m, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "Nope"));
        vhive_regfile_free(&rf);
        m = merge(h,
                  H5 "[-HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip]\r\n"
                     "[HKLM\\SYSTEM\\Select]\r\n\"Current\"=-\r\n",
                  &strict);
        vhive_merge_free(m);
        assert_int_equal(vhive_keypath_parse("ControlSet001\\Services\\Tcpip", &kp, &err), 0);
        assert_int_equal(vhive_keypath_resolve(h, &kp, &nodes, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "ControlSet001\\Services\\Tcpip does not exist"));
        vhive_keypath_free(&kp);
        hivex_close(h);
}

static void other_hive_refused(void **state)
{
        hive_h *h = empty_hive("other");
        struct vhive_merge_opts o = { .hive = "SYSTEM" };
        struct vhive_regfile rf;
        struct vhive_error err = { 0 };
        struct vhive_merge *m;

        (void)state;
        parse(&rf, "s.reg", H5 "[HKLM\\SOFTWARE\\Microsoft]\r\n");
        assert_int_equal(vhive_merge_plan(h, &rf, 1, &o, &m, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "s.reg:3:"));
        assert_non_null(strstr(err.msg, "outside"));
        vhive_regfile_free(&rf);
        /* unknown hive: the first key decides, the others must agree */
        o.hive = NULL;
        parse(&rf, "s.reg", H5 "[HKLM\\SOFTWARE\\A]\r\n[HKLM\\SYSTEM\\B]\r\n");
        assert_int_equal(vhive_merge_plan(h, &rf, 1, &o, &m, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "s.reg:4:"));
        vhive_regfile_free(&rf);
        hivex_close(h);
}

static void wildcard_no_match(void **state)
{
        hive_h *h = empty_hive("nomatch");
        struct vhive_merge *m = merge(h, H5 "[HKLM\\SYSTEM\\*\\x]\r\n\"v\"=\"\"\r\n", NULL);
        const struct vhive_change *c;
        size_t n;
        struct vhive_keypath kp;
        struct vhive_error err = { 0 };
        hive_node_h *nodes;

        (void)state;
        c = vhive_merge_changes(m, &n);
        assert_int_equal(n, 1);
        assert_int_equal(c[0].kind, VHIVE_CHANGE_NO_MATCH);
        assert_int_equal(c[0].line, 3);
        assert_false(vhive_merge_changes_hive(m));
        vhive_merge_free(m);
        assert_int_equal(vhive_keypath_parse("*", &kp, &err), 0);
        assert_int_equal(vhive_keypath_resolve(h, &kp, &nodes, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no key matches"));
        vhive_keypath_free(&kp);
        hivex_close(h);
}

static int setup(void **state)
{
        (void)state;
        if (!getenv("MKHIVE") || !getenv("FIXTURES")) {
                fprintf(stderr, "skip: MKHIVE or FIXTURES unset (fixtures need hivexregedit)\n");
                exit(77);
        }
        if (!mkdtemp(tmpdir))
                return -1;
        return 0;
}

static int teardown(void **state)
{
        char *cmd;

        (void)state;
        for (size_t i = 0; i < n_kept; i++)
                vhive_regfile_free(&kept[i]);
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) < 0)
                return -1;
        if (system(cmd) != 0)
                return -1;
        free(cmd);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(round_trip),
                cmocka_unit_test(round_trip_committed),
                cmocka_unit_test(placeholder_fails),
                cmocka_unit_test(wildcard_every_interface),
                cmocka_unit_test(current_control_set_maps),
                cmocka_unit_test(missing_parents_created),
                cmocka_unit_test(sections_in_order),
                cmocka_unit_test(deletions),
                cmocka_unit_test(other_hive_refused),
                cmocka_unit_test(wildcard_no_match),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
