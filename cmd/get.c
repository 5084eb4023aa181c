/* vhive get: print one value. */
#include <string.h>

#include "editor.h"

static const struct cmd_text text = {
        .name = "get",
        .usage = "Usage: vhive get [OPTIONS] TARGET KEY [NAME]\n"
                 "Print the value NAME of KEY (without NAME, or with @: the default value) as\n"
                 "text: strings as they are, REG_MULTI_SZ one string per line, numbers in\n"
                 "decimal, anything else as hex bytes.  With a * in KEY, one line per matching\n"
                 "key: KEY<TAB>TEXT.\n",
        .exit_status = "0 success, 2 failure.",
};

int cmd_get(int argc, char **argv)
{
        struct vhive_read_job c = { 0 };
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options(CMD_GET, &text, argc, argv, &o);

        if (rc >= 0)
                return rc;
        if (argc - optind != 2 && argc - optind != 3)
                return cmd_usage_error("get", "expected TARGET KEY [NAME]");
        c.raw = o.raw;
        c.name = argc - optind == 3 ? argv[optind + 2] : "";
        if (strcmp(c.name, "@") == 0)
                c.name = "";
        if (ed_keypath("get", argv[optind + 1], &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        return ed_run_read(argv[optind], &vhive_get_op, &c, &o);
}
