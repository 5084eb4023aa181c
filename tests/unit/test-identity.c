/* The identity report (lib/scrub/identity.c): which targets share which
 * identity value, by exact bytes and type, blanks never, each target once,
 * in a fixed order, and fast enough for a store of thousands of vDisks. */
#include <time.h>

#include "unit.h"

#define RULE_SUS "wsus.sus-client-id"
#define RULE_GUID "machineguid.machine-guid"
#define KEY_WSUS "Microsoft\\Windows\\CurrentVersion\\WindowsUpdate"
#define KEY_CRYPTO "Microsoft\\Cryptography"

/* REG_SZ text in the SOFTWARE hive, its bytes in one of a few static buffers. */
static struct vhive_identity_value sz(size_t target, const char *rule, const char *key,
                                      const char *name, const char *text)
{
        static uint8_t bufs[8][128];
        static unsigned next;

        return unit_identity_sz(target, rule, key, name, text, bufs[next++ % 8], sizeof(bufs[0]));
}

/* Any value, in the SYSTEM hive's ControlSet001. */
static struct vhive_identity_value raw(size_t target, const char *rule, const char *name, int type,
                                       const uint8_t *data, size_t len)
{
        struct vhive_identity_value v = {
                .target = target,
                .rule = rule,
                .hive = "SYSTEM",
                .key = "ControlSet001",
                .name = name,
                .type = type,
                .data = data,
                .len = len,
        };

        return v;
}

static void three_of_four(void **state)
{
        struct vhive_identity_value v[5];
        struct vhive_identity_report rep;

        (void)state;
        v[0] = sz(3, RULE_SUS, KEY_WSUS, "SusClientId", "{aaaa}");
        v[1] = sz(0, RULE_SUS, KEY_WSUS, "SusClientId", "{aaaa}");
        v[2] = sz(1, RULE_SUS, KEY_WSUS, "SusClientId", "{bbbb}");
        v[3] = sz(2, RULE_SUS, KEY_WSUS, "SusClientId", "{aaaa}");
        v[4] = sz(1, RULE_GUID, KEY_CRYPTO, "MachineGuid", "{cccc}");
        unit_identity_group(v, 5, &rep);
        assert_int_equal(rep.n_groups, 1);
        assert_int_equal(rep.n_targets, 3);
        assert_string_equal(rep.groups[0].value->rule, RULE_SUS);
        assert_string_equal(rep.groups[0].value->name, "SusClientId");
        assert_string_equal(rep.groups[0].text, "{aaaa}");
        assert_int_equal(rep.groups[0].n_targets, 3);
        for (size_t i = 0; i < 3; i++) {
                static const size_t want[] = { 0, 2, 3 };

                assert_int_equal(rep.groups[0].targets[i].target, want[i]);
                assert_string_equal(rep.groups[0].targets[i].key, KEY_WSUS);
        }
        vhive_identity_report_free(&rep);
        assert_int_equal(rep.n_groups, 0);
}

/* A DUID in two control sets of one image is that image's, once; the
 * same DUID in another image is shared, shown with the first key. */
static void twice_in_one_target(void **state)
{
        static const uint8_t duid[] = { 0, 1, 0, 1, 0x2a, 0x3b, 0x4c, 0x5d, 0, 0x15, 0x5d, 1 };
        struct vhive_identity_value v[3] = {
                { 0, "dhcpv6.duid", "SYSTEM", "ControlSet002\\Services\\Tcpip6\\Parameters",
                  "Dhcpv6DUID", hive_t_REG_BINARY, duid, sizeof(duid) },
                { 0, "dhcpv6.duid", "SYSTEM", "ControlSet001\\Services\\Tcpip6\\Parameters",
                  "Dhcpv6DUID", hive_t_REG_BINARY, duid, sizeof(duid) },
        };
        struct vhive_identity_report rep;

        (void)state;
        unit_identity_group(v, 2, &rep);
        assert_int_equal(rep.n_groups, 0);
        assert_int_equal(rep.n_targets, 0);
        vhive_identity_report_free(&rep);

        v[2] = v[0];
        v[2].target = 7;
        unit_identity_group(v, 3, &rep);
        assert_int_equal(rep.n_groups, 1);
        assert_int_equal(rep.n_targets, 2);
        assert_int_equal(rep.groups[0].n_targets, 2);
        assert_int_equal(rep.groups[0].targets[0].target, 0);
        assert_string_equal(rep.groups[0].targets[0].key,
                            "ControlSet001\\Services\\Tcpip6\\Parameters");
        assert_int_equal(rep.groups[0].targets[1].target, 7);
        assert_string_equal(rep.groups[0].text, "00,01,00,01,2a,3b,4c,5d,00,15,5d,01");
        vhive_identity_report_free(&rep);
}

/* What scrub leaves (an empty string, a zero DWORD, no bytes) is shared by
 * every scrubbed clone and identifies none of them. */
static void blanks_ignored(void **state)
{
        static const uint8_t zero4[4], nul_then_x[] = { 0, 0, 'x', 0 };
        struct vhive_identity_value v[8];
        struct vhive_identity_report rep;

        (void)state;
        for (size_t t = 0; t < 2; t++) {
                v[4 * t] = sz(t, RULE_SUS, KEY_WSUS, "SusClientId", "");
                v[4 * t + 1] = raw(t, "sqm.machine-id", "MachineId", hive_t_REG_DWORD, zero4, 4);
                v[4 * t + 2] = raw(t, "dhcpv6.duid", "Dhcpv6DUID", hive_t_REG_BINARY, NULL, 0);
                /* Reads as "": a string that ends before its garbage. */
                v[4 * t + 3] = raw(t, RULE_GUID, "MachineGuid", hive_t_REG_SZ, nul_then_x,
                                   sizeof(nul_then_x));
        }
        unit_identity_group(v, 8, &rep);
        assert_int_equal(rep.n_groups, 0);
        assert_int_equal(rep.n_targets, 0);
        vhive_identity_report_free(&rep);
}

/* The same bytes as REG_SZ and REG_EXPAND_SZ are two values. */
static void type_differs(void **state)
{
        struct vhive_identity_value v[2];
        struct vhive_identity_report rep;

        (void)state;
        v[0] = sz(0, RULE_GUID, KEY_CRYPTO, "MachineGuid", "{dddd}");
        v[1] = sz(1, RULE_GUID, KEY_CRYPTO, "MachineGuid", "{dddd}");
        v[1].type = hive_t_REG_EXPAND_SZ;
        unit_identity_group(v, 2, &rep);
        assert_int_equal(rep.n_groups, 0);
        vhive_identity_report_free(&rep);

        /* Bytes after the text's NUL differ: not the same value either. */
        v[1].type = hive_t_REG_SZ;
        v[1].len += 2;
        unit_identity_group(v, 2, &rep);
        assert_int_equal(rep.n_groups, 0);
        vhive_identity_report_free(&rep);
}

/* By rule, then value text, then target; names as the registry compares
 * them. */
static void order(void **state)
{
        struct vhive_identity_value v[6];
        struct vhive_identity_report rep;

        (void)state;
        v[0] = sz(2, RULE_SUS, KEY_WSUS, "SusClientId", "{b}");
        v[1] = sz(1, RULE_SUS, KEY_WSUS, "SUSCLIENTID", "{b}");
        v[2] = sz(1, RULE_SUS, KEY_WSUS, "SusClientId", "{a}");
        v[3] = sz(0, RULE_SUS, KEY_WSUS, "SusClientId", "{a}");
        v[4] = sz(5, RULE_GUID, KEY_CRYPTO, "MachineGuid", "{z}");
        v[5] = sz(4, RULE_GUID, KEY_CRYPTO, "MachineGuid", "{z}");
        unit_identity_group(v, 6, &rep);
        assert_int_equal(rep.n_groups, 3);
        assert_int_equal(rep.n_targets, 5);
        assert_string_equal(rep.groups[0].value->rule, RULE_GUID);
        assert_int_equal(rep.groups[0].targets[0].target, 4);
        assert_string_equal(rep.groups[1].text, "{a}");
        assert_int_equal(rep.groups[1].targets[0].target, 0);
        assert_string_equal(rep.groups[2].text, "{b}");
        assert_int_equal(rep.groups[2].n_targets, 2);
        assert_int_equal(rep.groups[2].targets[0].target, 1);
        vhive_identity_report_free(&rep);
}

/* 5,000 targets with a SusClientId and a MachineGuid each: 10,000 values,
 * every SusClientId of ten masters, every MachineGuid its own. */
static void many_targets(void **state)
{
        enum { TARGETS = 5000 };
        struct vhive_identity_value *v = calloc(2 * TARGETS, sizeof(*v));
        uint8_t(*data)[64] = calloc(2 * TARGETS, sizeof(*data));
        struct vhive_identity_report rep;
        struct timespec t0, t1;
        double secs;

        (void)state;
        assert_non_null(v);
        assert_non_null(data);
        for (size_t t = 0; t < TARGETS; t++) {
                char text[40];

                snprintf(text, sizeof(text), "{master-%02zu}", t % 10);
                v[2 * t] = unit_identity_sz(t, RULE_SUS, KEY_WSUS, "SusClientId", text, data[2 * t],
                                            sizeof(data[0]));
                snprintf(text, sizeof(text), "{guid-%06zu}", t);
                v[2 * t + 1] = unit_identity_sz(t, RULE_GUID, KEY_CRYPTO, "MachineGuid", text,
                                                data[2 * t + 1], sizeof(data[0]));
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        unit_identity_group(v, 2 * TARGETS, &rep);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "10,000 values, 5,000 targets: %.3f s\n", secs);
        assert_true(secs < 1.0);
        assert_int_equal(rep.n_groups, 10);
        assert_int_equal(rep.n_targets, TARGETS);
        for (size_t g = 0; g < 10; g++) {
                assert_int_equal(rep.groups[g].n_targets, TARGETS / 10);
                assert_int_equal(rep.groups[g].targets[0].target, g);
        }
        vhive_identity_report_free(&rep);
        free(data);
        free(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(three_of_four),  cmocka_unit_test(twice_in_one_target),
                cmocka_unit_test(blanks_ignored), cmocka_unit_test(type_differs),
                cmocka_unit_test(order),          cmocka_unit_test(many_targets),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
