/* vhive check: the scrub's walk, read-only; a CI gate for image pipelines. */
#include "cmds.h"
#include "scrub-report.h"

static const struct cmd_text text = {
        .name = "check",
        .usage = "Usage: vhive check [OPTIONS] TARGET...\n"
                 "Report the cached TCP/IP and DHCP values that scrub would blank, writing\n"
                 "nothing.  TARGET is a SYSTEM or SOFTWARE hive file or a disk image.\n",
        .exit_status = "0 all blank or absent, 1 stale values or a detect match, 2 failure.",
        .many_targets = true,
};

int cmd_check(int argc, char **argv)
{
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options(CMD_CHECK, &text, argc, argv, &o);

        if (rc < 0)
                rc = cmd_select_rules(&o);
        if (rc < 0) {
                o.run.dry_run = true;
                rc = scrub_run_and_report("check", &o);
        }
        cmd_opts_free(&o);
        return rc;
}
