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
        if (o.n_args != 1 && o.n_args != 2)
                return cmd_usage_error("get", "expected %sKEY [NAME]", o.from ? "" : "TARGET ");
        if (o.raw && o.n_targets > 1)
                return cmd_usage_error("get", "--raw takes one TARGET");
        c.raw = o.raw;
        c.name = o.n_args == 2 ? o.args[1] : "";
        if (strcmp(c.name, "@") == 0)
                c.name = "";
        if (ed_keypath("get", o.args[0], &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        rc = ed_run_read("get", &vhive_get_op, &c, &o);
        vhive_keypath_free(&c.kp);
        return rc;
}
