/* Network interfaces: the one definition of a static interface. */
#include "hive.h"

enum vhive_dhcp vhive_interface_dhcp(hive_h *h, hive_node_h iface, uint32_t *value)
{
        hive_value_h v = hivex_node_get_value(h, iface, "EnableDHCP");
        hive_type t;
        size_t len;

        *value = 0;
        if (v == 0)
                return VHIVE_DHCP_ABSENT;
        /* Windows' TCP/IP reads EnableDHCP as a REG_DWORD; any other type
         * (a REG_SZ "0" written by a script) it ignores, and so do we. */
        if (hivex_value_type(h, v, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
                return VHIVE_DHCP_NOT_DWORD;
        *value = (uint32_t)hivex_value_dword(h, v);
        return *value == 0 ? VHIVE_DHCP_STATIC : VHIVE_DHCP_ENABLED;
}
