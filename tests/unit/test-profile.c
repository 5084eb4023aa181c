/* Profiles: the value names each one blanks, parsing, action names. */
#include <strings.h>

#include "unit.h"

static const char *const seed[] = {
        "NameServer", "Domain",         "DhcpIPAddress",      "DhcpSubnetMask",
        "DhcpServer", "DhcpNameServer", "DhcpDefaultGateway",
};
static const char *const lease_extra[] = {
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
};

static size_t count(const char *const *names)
{
        size_t n = 0;

        while (names[n])
                n++;
        return n;
}

static bool has(const char *const *names, const char *name)
{
        for (size_t i = 0; names[i]; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

static void no_duplicates(const char *const *names)
{
        for (size_t i = 0; names[i]; i++)
                for (size_t j = i + 1; names[j]; j++)
                        if (strcasecmp(names[i], names[j]) == 0)
                                fail_msg("%s listed twice", names[i]);
}

static void seed_profile(void **state)
{
        const char *const *v = vhive_profile_values(VHIVE_PROFILE_SEED);

        (void)state;
        assert_non_null(v);
        assert_int_equal(count(v), sizeof(seed) / sizeof(seed[0]));
        for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++)
                if (!has(v, seed[i]))
                        fail_msg("seed lacks %s", seed[i]);
        no_duplicates(v);
}

static void lease_profile(void **state)
{
        const char *const *v = vhive_profile_values(VHIVE_PROFILE_LEASE);

        (void)state;
        assert_non_null(v);
        assert_int_equal(count(v), sizeof(seed) / sizeof(seed[0]) +
                                           sizeof(lease_extra) / sizeof(lease_extra[0]));
        for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++)
                if (!has(v, seed[i]))
                        fail_msg("lease lacks the seed value %s", seed[i]);
        for (size_t i = 0; i < sizeof(lease_extra) / sizeof(lease_extra[0]); i++)
                if (!has(v, lease_extra[i]))
                        fail_msg("lease lacks %s", lease_extra[i]);
        no_duplicates(v);
        /* Never the interface's own configuration. */
        assert_false(has(v, "EnableDHCP"));
        assert_false(has(v, "IPAddress"));
        assert_false(has(v, "Hostname"));
}

static void parse(void **state)
{
        unsigned p = VHIVE_PROFILE_LEASE;

        (void)state;
        assert_int_equal(vhive_profile_parse("seed", &p), 0);
        assert_int_equal(p, VHIVE_PROFILE_SEED);
        assert_int_equal(vhive_profile_parse("lease", &p), 0);
        assert_int_equal(p, VHIVE_PROFILE_LEASE);
        p = VHIVE_PROFILE_SEED;
        assert_int_equal(vhive_profile_parse("", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse("all", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse("leases", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse("see", &p), -EINVAL);
        assert_int_equal(p, VHIVE_PROFILE_SEED); /* untouched on failure */
}

static void parse_lists(void **state)
{
        unsigned p = 0;
        char buf[64];

        (void)state;
        assert_int_equal(vhive_profile_parse("dhcpv6", &p), 0);
        assert_int_equal(p, VHIVE_PROFILE_DHCPV6);
        assert_int_equal(vhive_profile_parse("seed,lease,dhcpv6", &p), 0);
        assert_int_equal(p, VHIVE_PROFILE_SEED | VHIVE_PROFILE_LEASE | VHIVE_PROFILE_DHCPV6);
        assert_string_equal(vhive_profile_format(p, buf, sizeof(buf)), "seed,lease,dhcpv6");
        assert_int_equal(vhive_profile_parse("dhcpv6,seed", &p), 0);
        assert_string_equal(vhive_profile_format(p, buf, sizeof(buf)), "seed,dhcpv6");
        p = VHIVE_PROFILE_SEED;
        assert_int_equal(vhive_profile_parse("seed,", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse(",seed", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse("seed,,dhcpv6", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse("seed,dhcp", &p), -EINVAL);
        assert_int_equal(vhive_profile_parse("seed dhcpv6", &p), -EINVAL);
        assert_int_equal(p, VHIVE_PROFILE_SEED);
        /* lease blanks seed's values; dhcpv6 alone blanks none. */
        assert_ptr_equal(vhive_profile_values(VHIVE_PROFILE_SEED | VHIVE_PROFILE_LEASE),
                         vhive_profile_values(VHIVE_PROFILE_LEASE));
        assert_null(vhive_profile_values(VHIVE_PROFILE_DHCPV6)[0]);
}

static void action_names(void **state)
{
        (void)state;
        assert_string_equal(vhive_action_name(VHIVE_ACTION_BLANKED), "blanked");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_ALREADY_BLANK), "already-blank");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_ABSENT), "absent");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_KEPT), "kept");
        assert_string_equal(vhive_action_name(VHIVE_ACTION_DELETED), "deleted");
        assert_non_null(vhive_action_name((enum vhive_action)99));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(seed_profile), cmocka_unit_test(lease_profile),
                cmocka_unit_test(parse),        cmocka_unit_test(parse_lists),
                cmocka_unit_test(action_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
