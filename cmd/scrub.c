/* vhive scrub: blank the cached TCP/IP and DHCP values of every interface. */
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"
#include "scrub-op.h"

static const struct option long_options[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "output", required_argument, NULL, 'o' },
        SCRUB_LONG_OPTIONS,
        COMMON_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
};

static int help(void)
{
        printf("Usage: vhive scrub [OPTIONS] TARGET...\n"
               "Blank the cached TCP/IP and DHCP values (NameServer, Domain, DhcpIPAddress,\n"
               "DhcpSubnetMask, DhcpServer, DhcpNameServer, DhcpDefaultGateway) of every\n"
               "interface in the current control set.  TARGET is a SYSTEM hive file or a\n"
               "disk image (VHD, VHDX, qcow2, raw).  Types are kept; absent values stay absent.\n\n"
               "Options:\n"
               "  -n, --dry-run          report what would change, write nothing\n"
               "  -o, --output FILE      write the result to FILE (one hive file only)\n"
               "      --profile P        seed (default) or lease (every cached lease value)\n"
               "      --keep-static      keep NameServer/Domain on interfaces with EnableDHCP=0\n"
               "      --all-controlsets  every ControlSetNNN, not only the current one\n"
               "      --backup DIR       copy the original hive and its logs into DIR first\n"
               "      --json             one JSON document on stdout\n"
               "      --format FMT       image format: vhdx, vhd, qcow2, raw (default: detect)\n"
               "      --root DEVICE      the Windows partition when an image has several\n"
               "      --force            write despite a .lok file or version siblings\n"
               "      --backend B        appliance (libguestfs, default) or direct\n"
               "  -v, --verbose          pass libguestfs' verbose output through\n"
               "  -h, --help             this help\n\n"
               "Exit status: 0 success, 2 failure.  See vhive(1).\n");
        return VHIVE_EXIT_OK;
}

int cmd_scrub(int argc, char **argv)
{
        struct vhive_scrub_opts opts = { .profile = VHIVE_PROFILE_SEED };
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options("scrub", argc, argv, "no:" COMMON_SHORT, long_options, &o,
                                   scrub_option, &opts, help);

        if (rc >= 0)
                return rc;
        if (optind >= argc)
                return cmd_usage_error("scrub", "no TARGET given");
        if (o.job.output && argc - optind != 1)
                return cmd_usage_error("scrub", "--output takes exactly one TARGET");
        return scrub_run_and_report("scrub", argv + optind, argc - optind, &opts, &o);
}
