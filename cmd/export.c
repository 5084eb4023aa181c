/* vhive export: a key and everything below it as regedit .reg text. */
#include "editor.h"

static const struct cmd_text text = {
        .name = "export",
        .usage = "Usage: vhive export [OPTIONS] TARGET [KEY]\n"
                 "Write KEY (default: the hive root) and everything below it to stdout as\n"
                 "regedit writes it: \"Windows Registry Editor Version 5.00\", CRLF line ends,\n"
                 "hex(N): lines wrapped at 80 columns.  UTF-8 unless --utf16.  Merging the\n"
                 "output back gives the same values.\n",
        .exit_status = "0 success, 2 failure.",
};

int cmd_export(int argc, char **argv)
{
        struct vhive_read_job c = { 0 };
        struct cmd_opts o = { 0 };
        int rc = cmd_parse_options(CMD_EXPORT, &text, argc, argv, &o);

        if (rc >= 0)
                return rc;
        if (o.n_args > 1)
                return cmd_usage_error("export", "expected %s[KEY]", o.from ? "" : "TARGET ");
        if (o.n_targets > 1 && !o.json)
                return cmd_usage_error("export", "several TARGETs make one .reg text only "
                                                 "with --json");
        c.utf16 = o.utf16;
        if (ed_keypath("export", o.n_args ? o.args[0] : "", &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        rc = ed_run_read("export", &vhive_export_op, &c, &o);
        vhive_keypath_free(&c.kp);
        return rc;
}
