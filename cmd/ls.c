/* vhive ls: list the subkeys and values of a key. */
#include "editor.h"

static const struct cmd_text text = {
        .name = "ls",
        .usage = "Usage: vhive ls [OPTIONS] TARGET [KEY]\n"
                 "List the subkeys of KEY (default: the hive root), one per line ending in \\,\n"
                 "then its values as NAME<TAB>TYPE<TAB>TEXT (@ is the default value).  KEY is\n"
                 "HKLM\\SYSTEM\\..., HKEY_LOCAL_MACHINE\\..., or a path below the hive root;\n"
                 "CurrentControlSet maps through Select\\Current; a * component lists every\n"
                 "matching key under a [KEY] heading.\n",
        .exit_status = "0 success, 2 failure.",
};

int cmd_ls(int argc, char **argv)
{
        struct vhive_read_job c = { 0 };
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options(CMD_LS, &text, argc, argv, &o);

        if (rc >= 0)
                return rc;
        if (o.n_args > 1)
                return cmd_usage_error("ls", "expected %s[KEY]", o.from ? "" : "TARGET ");
        if (ed_keypath("ls", o.n_args ? o.args[0] : "", &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        rc = ed_run_read("ls", &vhive_ls_op, &c, &o);
        vhive_keypath_free(&c.kp);
        return rc;
}
