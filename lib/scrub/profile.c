/* Which values each profile blanks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

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

static const char *const no_values[] = { NULL };

static const char *const profile_names[] = { "seed", "lease", "dhcpv6" };

const char *const *vhive_profile_values(unsigned p)
{
        if (p & VHIVE_PROFILE_LEASE)
                return lease_values;
        return p & VHIVE_PROFILE_SEED ? seed_values : no_values;
}

static int parse_one(const char *name, size_t len, unsigned *bits)
{
        for (size_t i = 0; i < ARRAY_SIZE(profile_names); i++)
                if (strlen(profile_names[i]) == len && strncmp(name, profile_names[i], len) == 0) {
                        *bits |= 1u << i;
                        return 0;
                }
        return -EINVAL;
}

int vhive_profile_parse(const char *list, unsigned *p)
{
        unsigned bits = 0;

        for (const char *s = list;; s++) {
                size_t len = strcspn(s, ",");

                if (parse_one(s, len, &bits) < 0)
                        return -EINVAL;
                s += len;
                if (*s == '\0')
                        break;
        }
        *p = bits;
        return 0;
}

const char *vhive_profile_format(unsigned p, char *buf, size_t size)
{
        size_t at = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(profile_names); i++)
                if (p & (1u << i) && at < size)
                        at += snprintf(buf + at, size - at, "%s%s", at ? "," : "",
                                       profile_names[i]);
        return buf;
}

const char *vhive_action_name(enum vhive_action a)
{
        static const char *const names[] = { "blanked", "already-blank", "absent", "kept",
                                             "deleted" };

        return (unsigned)a < ARRAY_SIZE(names) ? names[a] : "unknown";
}
