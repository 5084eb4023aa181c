/* vhive check: the scrub's walk, read-only; a CI gate for image pipelines. */
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"
#include "scrub-op.h"

static const struct option long_options[] = {
        SCRUB_LONG_OPTIONS,
        COMMON_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
};

static int help(void)
{
        printf("Usage: vhive check [OPTIONS] TARGET...\n"
               "Report the cached TCP/IP and DHCP values that scrub would blank, writing\n"
               "nothing.  TARGET is a SYSTEM hive file or a disk image.\n\n"
               "Options:\n"
               "      --profile P        seed (default) or lease\n"
               "      --keep-static      do not count NameServer/Domain of static interfaces\n"
               "      --all-controlsets  every ControlSetNNN, not only the current one\n"
               "      --json             one JSON document on stdout\n"
               "      --format FMT       image format: vhdx, vhd, qcow2, raw (default: detect)\n"
               "      --root DEVICE      the Windows partition when an image has several\n"
               "      --backend B        appliance (libguestfs, default) or direct\n"
               "  -v, --verbose          pass libguestfs' verbose output through\n"
               "  -h, --help             this help\n\n"
               "Exit status: 0 every value blank or absent, 1 stale values found, 2 failure.\n");
        return VHIVE_EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
        struct vhive_scrub_opts opts = { .profile = VHIVE_PROFILE_SEED };
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options("check", argc, argv, COMMON_SHORT, long_options, &o,
                                   scrub_option, &opts, help);

        if (rc >= 0)
                return rc;
        if (optind >= argc)
                return cmd_usage_error("check", "no TARGET given");
        o.job.dry_run = true;
        return scrub_run_and_report("check", argv + optind, argc - optind, &opts, &o);
}
