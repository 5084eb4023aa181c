/* Which values each profile blanks. */
#include <errno.h>
#include <string.h>

#include "scrub.h"

/* The values of the PVS fix: what makes a clone fall back to the lease. */
static const char *const seed_values[] = {
        "NameServer", "Domain",         "DhcpIPAddress",      "DhcpSubnetMask",
        "DhcpServer", "DhcpNameServer", "DhcpDefaultGateway", NULL,
};

/* Everything else the DHCP client cached about the lease. */
static const char *const lease_values[] = {
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

const char *const *vhive_profile_values(enum vhive_profile p)
{
        return p == VHIVE_PROFILE_LEASE ? lease_values : seed_values;
}

int vhive_profile_parse(const char *name, enum vhive_profile *p)
{
        if (strcmp(name, "seed") == 0)
                *p = VHIVE_PROFILE_SEED;
        else if (strcmp(name, "lease") == 0)
                *p = VHIVE_PROFILE_LEASE;
        else
                return -EINVAL;
        return 0;
}

const char *vhive_action_name(enum vhive_action a)
{
        static const char *const names[] = { "blanked", "already-blank", "absent", "kept" };

        return (unsigned)a < 4 ? names[a] : "unknown";
}
