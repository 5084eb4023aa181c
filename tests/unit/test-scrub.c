/* vhive_scrub on fixture hives opened in memory (nothing is committed):
 * the report, what apply changes and keeps, the verify step. */
#include <strings.h>

#include "unit.h"

#define IFACE "{4D36E972-E325-11CE-BFC1-08002BE10318}"

static const char *const needed[] = {
        "one-iface",     "odd-types", "static",       "cs2-current", "no-select",
        "values-absent", "dhcpv6",    "software-min", NULL,
};

static hive_node_h path(hive_h *h, const char *p)
{
        hive_node_h n;
        struct vhive_error err = { 0 };

        assert_int_equal(vhive_lookup(h, hivex_root(h), p, &n, &err), 0);
        if (!n)
                fail_msg("no key %s", p);
        return n;
}

/* Reads a value; *len and *t filled; NULL when absent. */
static char *value(hive_h *h, const char *key, const char *name, hive_type *t, size_t *len)
{
        hive_value_h v = hivex_node_get_value(h, path(h, key), name);

        if (!v)
                return NULL;
        return hivex_value_value(h, v, t, len);
}

static const struct vhive_key_report *find_key(const struct vhive_cs_report *cr, const char *name)
{
        for (size_t i = 0; i < cr->n_keys; i++)
                if (strcasecmp(cr->keys[i].name, name) == 0)
                        return &cr->keys[i];
        fail_msg("no key %s in the report", name);
        return NULL;
}

static const struct vhive_value_report *find_value(const struct vhive_key_report *kr,
                                                   const char *name)
{
        for (size_t i = 0; i < kr->n_values; i++)
                if (strcasecmp(kr->values[i].name, name) == 0)
                        return &kr->values[i];
        fail_msg("no value %s in the report of %s", name, kr->name);
        return NULL;
}

#define CS1_IFACE "ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\" IFACE

static void report_without_apply(void **state)
{
        hive_h *h = unit_open("one-iface", 0);
        struct vhive_scrub_opts o = { .rules = unit_rules("seed") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        const struct vhive_key_report *kr;
        const struct vhive_value_report *vr;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), 0);
        assert_int_equal(rep.n_sets, 1);
        assert_string_equal(rep.sets[0].cs.name, "ControlSet001");
        assert_true(rep.sets[0].cs.current);
        assert_int_equal(rep.sets[0].n_keys, 2);
        /* Parameters first, holding only the global NameServer. */
        assert_string_equal(rep.sets[0].keys[0].name, "Parameters");
        assert_false(rep.sets[0].keys[0].is_interface);
        assert_int_equal(rep.sets[0].keys[0].n_values, 1);
        assert_int_equal(rep.sets[0].keys[0].values[0].action, VHIVE_ACTION_ALREADY_BLANK);
        kr = find_key(&rep.sets[0], IFACE);
        assert_true(kr->is_interface);
        assert_false(kr->is_static);
        assert_int_equal(kr->n_values, 7);
        vr = find_value(kr, "DhcpIPAddress");
        assert_int_equal(vr->action, VHIVE_ACTION_BLANKED);
        assert_int_equal(vr->type, hive_t_REG_SZ);
        assert_string_equal(vr->old_text, "10.20.0.57");
        vr = find_value(kr, "DhcpDefaultGateway");
        assert_int_equal(vr->type, hive_t_REG_MULTI_SZ);
        assert_string_equal(vr->old_text, "10.20.0.1");
        assert_int_equal(find_value(kr, "Domain")->action, VHIVE_ACTION_ALREADY_BLANK);
        assert_int_equal(rep.counts[VHIVE_ACTION_BLANKED], 5);
        assert_int_equal(rep.counts[VHIVE_ACTION_ALREADY_BLANK], 3);
        assert_int_equal(rep.counts[VHIVE_ACTION_ABSENT], 0);
        assert_int_equal(rep.counts[VHIVE_ACTION_KEPT], 0);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void apply_blanks_and_keeps_the_rest(void **state)
{
        hive_h *h = unit_open("one-iface", HIVEX_OPEN_WRITE);
        struct vhive_scrub_opts o = { .rules = unit_rules("lease") };
        struct vhive_scrub_report rep, again;
        struct vhive_error err = { 0 };
        hive_type t;
        size_t len;
        char *d;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        /* 15 of the interface, the global DhcpNameServer and DhcpDomain. */
        assert_int_equal(rep.counts[VHIVE_ACTION_BLANKED], 17);
        assert_string_equal(rep.sets[0].keys[0].name, "Parameters");
        assert_int_equal(rep.sets[0].keys[0].n_values, 3);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);

        d = value(h, CS1_IFACE, "DhcpIPAddress", &t, &len);
        assert_int_equal(t, hive_t_REG_SZ);
        assert_int_equal(len, 2);
        assert_memory_equal(d, "\0\0", 2);
        free(d);
        d = value(h, CS1_IFACE, "DhcpDefaultGateway", &t, &len);
        assert_int_equal(t, hive_t_REG_MULTI_SZ);
        assert_int_equal(len, 4);
        assert_memory_equal(d, "\0\0\0\0", 4);
        free(d);
        d = value(h, CS1_IFACE, "Lease", &t, &len);
        assert_int_equal(t, hive_t_REG_DWORD);
        assert_int_equal(len, 4);
        assert_memory_equal(d, "\0\0\0\0", 4);
        free(d);
        d = value(h, CS1_IFACE, "DhcpInterfaceOptions", &t, &len);
        assert_int_equal(t, hive_t_REG_BINARY);
        assert_int_equal(len, 0);
        free(d);
        /* Not in the profile: untouched. */
        d = value(h, CS1_IFACE, "EnableDHCP", &t, &len);
        assert_int_equal(t, hive_t_REG_DWORD);
        assert_int_equal((uint8_t)d[0], 1);
        free(d);
        d = value(h, CS1_IFACE, "IPAddress", &t, &len);
        assert_int_equal(t, hive_t_REG_MULTI_SZ);
        assert_int_equal(len, 18);
        free(d);
        d = value(h, "ControlSet001\\Services\\Tcpip\\Parameters", "DhcpDomain", &t, &len);
        assert_int_equal(t, hive_t_REG_SZ); /* the lease profile takes the global copy */
        assert_int_equal(len, 2);
        free(d);
        d = value(h, "ControlSet001\\Services\\Tcpip\\Parameters", "Hostname", &t, &len);
        assert_int_equal(len, 22); /* not in any profile */
        free(d);
        d = value(h, "ControlSet001\\Services\\Tcpip6\\Parameters", "Dhcpv6DUID", &t, &len);
        assert_int_equal(len, 14);
        free(d);

        /* A second pass finds nothing left to do. */
        assert_int_equal(vhive_scrub(h, &o, true, &again, &err), 0);
        assert_int_equal(again.counts[VHIVE_ACTION_BLANKED], 0);
        assert_int_equal(again.counts[VHIVE_ACTION_ALREADY_BLANK],
                         rep.counts[VHIVE_ACTION_BLANKED] + rep.counts[VHIVE_ACTION_ALREADY_BLANK]);
        vhive_scrub_report_free(&again);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void verify_catches_a_stale_value(void **state)
{
        hive_h *h = unit_open("one-iface", HIVEX_OPEN_WRITE);
        struct vhive_scrub_opts o = { .rules = unit_rules("seed") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        char data[] = { '9', 0, 0, 0 };
        hive_set_value sv = {
                .key = (char *)"DhcpServer", .t = hive_t_REG_SZ, .len = sizeof(data), .value = data
        };

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);
        assert_int_equal(hivex_node_set_value(h, path(h, CS1_IFACE), &sv, 0), 0);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), -EIO);
        assert_non_null(strstr(err.msg, "DhcpServer"));
        /* A blank of another type is not the value that was blanked either. */
        sv.t = hive_t_REG_BINARY;
        sv.len = 0;
        assert_int_equal(hivex_node_set_value(h, path(h, CS1_IFACE), &sv, 0), 0);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), -EIO);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void odd_types_keep_their_type(void **state)
{
        static const struct {
                const char *name;
                hive_type t;
                size_t len;
        } want[] = {
                { "NameServer", hive_t_REG_EXPAND_SZ, 2 },
                { "DhcpDefaultGateway", hive_t_REG_SZ, 2 },
                { "Lease", hive_t_REG_QWORD, 8 },
                { "T1", hive_t_REG_BINARY, 0 },
                { "DhcpServer", hive_t_REG_MULTI_SZ, 4 },
                { "DhcpIPAddress", hive_t_REG_SZ, 2 },
                { "DhcpInterfaceOptions", hive_t_REG_NONE, 0 },
        };
        hive_h *h = unit_open("odd-types", HIVEX_OPEN_WRITE);
        struct vhive_scrub_opts o = { .rules = unit_rules("lease") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        const struct vhive_key_report *kr;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        kr = find_key(&rep.sets[0], IFACE);
        assert_int_equal(find_value(kr, "DhcpInterfaceOptions")->action,
                         VHIVE_ACTION_ALREADY_BLANK);
        assert_int_equal(find_value(kr, "Lease")->type, hive_t_REG_QWORD);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                hive_type t;
                size_t len;
                char *d = value(h, CS1_IFACE, want[i].name, &t, &len);

                assert_non_null(d);
                if (t != want[i].t || len != want[i].len)
                        fail_msg("%s: type %d len %zu, want type %d len %zu", want[i].name, t, len,
                                 want[i].t, want[i].len);
                for (size_t k = 0; k < len; k++)
                        assert_int_equal(d[k], 0);
                free(d);
        }
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void keep_static(void **state)
{
        hive_h *h = unit_open("static", 0);
        struct vhive_scrub_opts o = { .rules = unit_rules("seed"), .keep_static = true };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        const struct vhive_key_report *st;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), 0);
        st = find_key(&rep.sets[0], "{B5E0C2D4-1A2B-4C3D-9E8F-0A1B2C3D4E5F}");
        assert_true(st->is_static);
        assert_false(find_key(&rep.sets[0], IFACE)->is_static);
        assert_int_equal(find_value(st, "NameServer")->action, VHIVE_ACTION_KEPT);
        assert_string_equal(find_value(st, "NameServer")->old_text, "192.168.10.1,192.168.10.2");
        assert_int_equal(find_value(st, "Domain")->action, VHIVE_ACTION_KEPT);
        /* Only NameServer and Domain are kept on a static interface. */
        assert_int_equal(find_value(st, "DhcpServer")->action, VHIVE_ACTION_BLANKED);
        assert_int_equal(rep.counts[VHIVE_ACTION_KEPT], 2);
        vhive_scrub_report_free(&rep);

        o.keep_static = false;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), 0);
        assert_int_equal(rep.counts[VHIVE_ACTION_KEPT], 0);
        st = find_key(&rep.sets[0], "{B5E0C2D4-1A2B-4C3D-9E8F-0A1B2C3D4E5F}");
        assert_int_equal(find_value(st, "NameServer")->action, VHIVE_ACTION_BLANKED);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void controlsets(void **state)
{
        hive_h *h = unit_open("cs2-current", 0);
        struct vhive_scrub_opts o = { .rules = unit_rules("seed") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), 0);
        assert_int_equal(rep.n_sets, 1);
        assert_string_equal(rep.sets[0].cs.name, "ControlSet002");
        assert_int_equal(rep.sets[0].n_keys, 3); /* Parameters and two interfaces */
        vhive_scrub_report_free(&rep);
        o.all_controlsets = true;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), 0);
        assert_int_equal(rep.n_sets, 2);
        assert_string_equal(rep.sets[0].cs.name, "ControlSet001");
        assert_false(rep.sets[0].cs.current);
        assert_string_equal(rep.sets[1].cs.name, "ControlSet002");
        assert_true(rep.sets[1].cs.current);
        assert_int_equal(rep.sets[0].n_keys, 2);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void absent_values_stay_absent(void **state)
{
        hive_h *h = unit_open("values-absent", HIVEX_OPEN_WRITE);
        struct vhive_scrub_opts o = { .rules = unit_rules("lease") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        hive_type t;
        size_t len;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        assert_int_equal(rep.counts[VHIVE_ACTION_BLANKED], 1);
        assert_int_equal(rep.counts[VHIVE_ACTION_ALREADY_BLANK], 0);
        /* Parameters 3 + 3 interfaces x 17, minus the one present. */
        assert_int_equal(rep.counts[VHIVE_ACTION_ABSENT], 3 + 3 * 17 - 1);
        assert_null(value(h, CS1_IFACE, "DhcpIPAddress", &t, &len));
        assert_null(value(h, CS1_IFACE, "Lease", &t, &len));
        assert_null(value(h, "ControlSet001\\Services\\Tcpip\\Parameters", "NameServer", &t, &len));
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

static void no_select_fails(void **state)
{
        hive_h *h = unit_open("no-select", 0);
        struct vhive_scrub_opts o = { .rules = unit_rules("seed") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "Select"));
        vhive_scrub_report_free(&rep); /* safe on a failed scrub */
        o.all_controlsets = true;
        assert_int_equal(vhive_scrub(h, &o, false, &rep, &err), -ENOENT);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

#define CS1_TCPIP6 "ControlSet001\\Services\\Tcpip6\\Parameters"

/* dhcpv6 through hivex's writer: the DUID leaves its key, everything else
 * there stays, ControlSet002 (not scrubbed) keeps its own, and a second
 * walk reports it absent. */
static void dhcpv6_deletes_the_duid(void **state)
{
        hive_h *h = unit_open("dhcpv6", HIVEX_OPEN_WRITE);
        struct vhive_scrub_opts o = { .rules = unit_rules("dhcpv6") };
        struct vhive_scrub_report rep, again;
        struct vhive_error err = { 0 };
        const struct vhive_value_report *vr;
        hive_type t;
        size_t len;
        char *data;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        assert_int_equal(rep.n_sets, 1);
        assert_int_equal(rep.sets[0].n_keys, 1); /* no Tcpip walk without seed/lease */
        assert_true(rep.sets[0].keys[0].is_tcpip6);
        vr = find_value(&rep.sets[0].keys[0], "Dhcpv6DUID");
        assert_int_equal(vr->action, VHIVE_ACTION_DELETED);
        assert_int_equal(vr->type, hive_t_REG_BINARY);
        assert_int_equal(rep.counts[VHIVE_ACTION_DELETED], 1);
        assert_int_equal(rep.counts[VHIVE_ACTION_BLANKED], 0);
        assert_null(value(h, CS1_TCPIP6, "Dhcpv6DUID", &t, &len));
        data = value(h, CS1_TCPIP6, "DisabledComponents", &t, &len);
        assert_non_null(data);
        free(data);
        data = value(h, CS1_TCPIP6 "\\Interfaces\\" IFACE, "Dhcpv6Iaid", &t, &len);
        assert_non_null(data);
        assert_int_equal(len, 4);
        assert_memory_equal(data, "\x5d\x15\x00\x0a", 4);
        free(data);
        data = value(h, "ControlSet002\\Services\\Tcpip6\\Parameters", "Dhcpv6DUID", &t, &len);
        assert_non_null(data);
        free(data);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);
        assert_int_equal(vhive_scrub(h, &o, true, &again, &err), 0);
        assert_int_equal(again.counts[VHIVE_ACTION_DELETED], 0);
        assert_int_equal(again.counts[VHIVE_ACTION_ABSENT], 1);
        vhive_scrub_report_free(&again);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

/* Without Tcpip6\Parameters the DUID is reported absent, never created. */
static void dhcpv6_without_tcpip6(void **state)
{
        hive_h *h = unit_open("values-absent", HIVEX_OPEN_WRITE);
        struct vhive_scrub_opts o = { .rules = unit_rules("dhcpv6") };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        hive_node_h n;

        (void)state;
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        assert_int_equal(rep.counts[VHIVE_ACTION_ABSENT], 1);
        assert_int_equal(rep.counts[VHIVE_ACTION_DELETED], 0);
        assert_int_equal(vhive_lookup(h, hivex_root(h), CS1_TCPIP6, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);
        vhive_scrub_report_free(&rep);
        hivex_close(h);
}

#define SW_PACK                                                                                    \
        "[wu-blank]\nhive = SOFTWARE\nkey = " WU "\nvalues = SusClientId\naction = blank\n"        \
        "source = t\n"                                                                             \
        "[wu]\nhive = SOFTWARE\nkey = " WU "\nvalues = SusClientId\naction = delete\nsource = t\n" \
        "[agent]\nhive = SOFTWARE\nkey = " AGENT "\nkey = Wow6432Node\\" AGENT "\n"                \
        "values = AgentGUID\naction = delete\nsource = t\n"                                        \
        "[sqm]\nhive = SOFTWARE\nkey = Microsoft\\SQMClient\nvalues = MachineId\n"                 \
        "action = blank\nsource = t\n"                                                             \
        "[guid]\nhive = SOFTWARE\nkey = Microsoft\\Cryptography\nvalues = MachineGuid\n"           \
        "action = detect\nadvice = a\nsource = t\n"
#define WU "Microsoft\\Windows\\CurrentVersion\\WindowsUpdate"
#define AGENT "Network Associates\\ePolicy Orchestrator\\Agent"

/* SOFTWARE rules below the hive root: blank, delete (a value two rules
 * name is deleted), detect (never written), a missing key of a delete rule
 * reported absent; the verify checks every rule's writes. */
static void software_rules(void **state)
{
        hive_h *h = unit_open("software-min", HIVEX_OPEN_WRITE);
        struct vhive_pack p;
        const struct vhive_rule *sel[5];
        struct vhive_rules rs = { .sel = sel, .n_sel = 5, .profile = (char *)"t" };
        struct vhive_scrub_opts o = { .rules = &rs, .hive = "SOFTWARE" };
        struct vhive_scrub_report rep;
        struct vhive_error err = { 0 };
        hive_set_value back = { (char *)"SusClientId", hive_t_REG_SZ, 2, (char *)"x\0" };
        const char *kind = NULL;
        hive_type t;
        size_t len;
        char *data;

        (void)state;
        assert_int_equal(vhive_pack_parse(SW_PACK, strlen(SW_PACK), "t.rules", "t", &p, &err), 0);
        for (size_t i = 0; i < 5; i++)
                sel[i] = &p.rules[i];
        struct vhive_reader rd = vhive_reader_hivex(h);

        assert_int_equal(vhive_scrub_hive_kind(&rd, &kind, &err), 0);
        assert_string_equal(kind, "SOFTWARE");
        assert_int_equal(vhive_scrub(h, &o, true, &rep, &err), 0);
        assert_string_equal(rep.hive, "SOFTWARE");
        assert_int_equal(rep.n_sets, 0);
        assert_int_equal(rep.root.n_keys, 5);
        assert_string_equal(rep.root.keys[0].path, WU);
        assert_string_equal(find_value(&rep.root.keys[0], "SusClientId")->rule->name, "t.wu");
        assert_int_equal(rep.counts[VHIVE_ACTION_DELETED], 2);
        assert_int_equal(rep.counts[VHIVE_ACTION_ABSENT], 1);
        assert_int_equal(rep.counts[VHIVE_ACTION_BLANKED], 1);
        assert_int_equal(rep.counts[VHIVE_ACTION_DETECTED], 1);
        assert_null(value(h, WU, "SusClientId", &t, &len));
        assert_null(value(h, "Wow6432Node\\" AGENT, "AgentGUID", &t, &len));
        data = value(h, "Microsoft\\SQMClient", "MachineId", &t, &len);
        assert_true(data && t == hive_t_REG_SZ && len == 2);
        free(data);
        data = value(h, "Microsoft\\Cryptography", "MachineGuid", &t, &len);
        assert_true(data && len > 2); /* detect: never written */
        free(data);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), 0);
        /* A deleted value back in place: the verify catches it. */
        assert_int_equal(hivex_node_set_value(h, path(h, WU), &back, 0), 0);
        assert_int_equal(vhive_scrub_verify(h, &rep, &err), -EIO);
        assert_non_null(strstr(err.msg, "SusClientId is still there"));
        vhive_scrub_report_free(&rep);
        vhive_pack_free(&p);
        hivex_close(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(report_without_apply),
                cmocka_unit_test(apply_blanks_and_keeps_the_rest),
                cmocka_unit_test(verify_catches_a_stale_value),
                cmocka_unit_test(odd_types_keep_their_type),
                cmocka_unit_test(keep_static),
                cmocka_unit_test(controlsets),
                cmocka_unit_test(absent_values_stay_absent),
                cmocka_unit_test(no_select_fails),
                cmocka_unit_test(dhcpv6_deletes_the_duid),
                cmocka_unit_test(dhcpv6_without_tcpip6),
                cmocka_unit_test(software_rules),
        };

        unit_require_fixtures(needed);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
