/* Today's profiles as packs (rules/seed, lease, dhcpv6): the value names
 * each one takes, selecting lists of them, action names. */
#include <strings.h>

#include "unit.h"

static const char *const seed[] = {
        "NameServer", "Domain",         "DhcpIPAddress",      "DhcpSubnetMask",
        "DhcpServer", "DhcpNameServer", "DhcpDefaultGateway", NULL,
};
static const char *const lease[] = {
        "NameServer",
        "Domain",
        "DhcpIPAddress",
        "DhcpSubnetMask",
        "DhcpServer",
        "DhcpNameServer",
        "DhcpDefaultGateway",
        "DhcpDomain",
        "DhcpSubnetMaskOpt",
        "Lease",
        "LeaseObtainedTime",
        "LeaseTerminatesTime",
        "T1",
        "T2",
        "DhcpInterfaceOptions",
        "DhcpGatewayHardware",
        "DhcpGatewayHardwareCount",
        NULL,
};

static const struct vhive_rule *rule(const struct vhive_rules *rs, const char *name)
{
        for (size_t i = 0; i < rs->n_sel; i++)
                if (strcmp(rs->sel[i]->name, name) == 0)
                        return rs->sel[i];
        fail_msg("rule %s not selected", name);
        return NULL;
}

static void same_names(char *const *got, size_t n, const char *const *want)
{
        size_t i = 0;

        for (; want[i]; i++) {
                assert_true(i < n);
                assert_string_equal(got[i], want[i]);
        }
        assert_int_equal(i, n);
}

static void seed_pack(void **state)
{
        const struct vhive_rules *rs = unit_rules("seed");
        const struct vhive_rule *r = rule(rs, "seed.interfaces");
        const char *const params[] = { "NameServer", NULL };

        (void)state;
        assert_int_equal(rs->n_sel, 2);
        same_names(r->values, r->n_values, seed);
        assert_int_equal(r->action, VHIVE_RULE_BLANK);
        assert_string_equal(r->keys[0],
                            "CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\*");
        assert_int_equal(r->n_keep_static, 2);
        r = rule(rs, "seed.parameters");
        same_names(r->values, r->n_values, params);
        assert_true(r->n_sources > 0);
}

static void lease_pack(void **state)
{
        const struct vhive_rules *rs = unit_rules("lease");
        const struct vhive_rule *r = rule(rs, "lease.interfaces");
        const char *const params[] = { "NameServer", "DhcpNameServer", "DhcpDomain", NULL };

        (void)state;
        same_names(r->values, r->n_values, lease);
        r = rule(rs, "lease.parameters");
        same_names(r->values, r->n_values, params);
}

static void dhcpv6_pack(void **state)
{
        const struct vhive_rules *rs = unit_rules("dhcpv6");
        const struct vhive_rule *r = rule(rs, "dhcpv6.duid");
        const char *const duid[] = { "Dhcpv6DUID", NULL };

        (void)state;
        assert_int_equal(rs->n_sel, 1);
        same_names(r->values, r->n_values, duid);
        assert_int_equal(r->action, VHIVE_RULE_DELETE);
        assert_string_equal(r->hive, "SYSTEM");
}

static int select_rc(const char *profile)
{
        struct vhive_rules_spec spec = { .profile = profile };
        struct vhive_rules rs;
        struct vhive_error err = { 0 };
        int r = vhive_rules_select(&rs, &spec, &err);

        if (r < 0)
                assert_true(strlen(err.msg) > 0);
        vhive_rules_free(&rs);
        return r;
}

static void parse_lists(void **state)
{
        (void)state;
        assert_int_equal(select_rc("seed"), 0);
        assert_int_equal(select_rc("seed,lease,dhcpv6"), 0);
        assert_int_equal(select_rc("dhcpv6,seed"), 0);
        assert_int_equal(select_rc("seed.interfaces"), 0);
        assert_int_equal(select_rc(""), -EINVAL);
        assert_int_equal(select_rc("all"), -EINVAL);
        assert_int_equal(select_rc("leases"), -EINVAL);
        assert_int_equal(select_rc("seed,"), -EINVAL);
        assert_int_equal(select_rc(",seed"), -EINVAL);
        assert_int_equal(select_rc("seed,,dhcpv6"), -EINVAL);
        assert_int_equal(select_rc("seed,dhcp"), -EINVAL);
        assert_int_equal(select_rc("seed dhcpv6"), -EINVAL);
        assert_int_equal(select_rc("seed.nothing"), -EINVAL);
        assert_int_equal(select_rc("../rules/seed"), -EINVAL);
        assert_int_equal(select_rc("Seed"), -EINVAL);
}

static void action_names(void **state)
{
        (void)state;
        assert_string_equal(vhive_action_name(VHIVE_ACTION_BLANKED), "blanked");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_ALREADY_BLANK), "already-blank");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_ABSENT), "absent");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_KEPT), "kept");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_DELETED), "deleted");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_DETECTED), "detected");
        assert_non_null(vhive_action_name((enum vhive_action)99));
        assert_string_equal(vhive_rule_action_name(VHIVE_RULE_DETECT), "detect");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(seed_pack),    cmocka_unit_test(lease_pack),
                cmocka_unit_test(dhcpv6_pack),  cmocka_unit_test(parse_lists),
                cmocka_unit_test(action_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
