/* vhive scrub: blank the cached TCP/IP and DHCP values of every interface. */
#include "cmds.h"
#include "scrub-report.h"

static const struct cmd_text text = {
        .name = "scrub",
        .usage = "Usage: vhive scrub [OPTIONS] TARGET...\n"
                 "Blank the cached TCP/IP and DHCP values (NameServer, Domain, DhcpIPAddress,\n"
                 "DhcpSubnetMask, DhcpServer, DhcpNameServer, DhcpDefaultGateway) of every\n"
                 "interface in the control sets the next boot may use (Select\\Current and\n"
                 "Select\\Default).  TARGET is a SYSTEM or SOFTWARE hive file or a disk image "
                 "(VHD, VHDX,\n"
                 "qcow2, raw).  Types are kept; absent values stay absent.\n",
        .exit_status = "0 success, 2 failure.",
        .many_targets = true,
};

int cmd_scrub(int argc, char **argv)
{
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options(CMD_SCRUB, &text, argc, argv, &o);

        if (rc < 0)
                rc = cmd_select_rules(&o);
        if (rc < 0) {
                rc = scrub_run_and_report("scrub", &o);
        }
        cmd_opts_free(&o);
        return rc;
}
