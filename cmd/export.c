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
        if (argc - optind != 1 && argc - optind != 2)
                return cmd_usage_error("export", "expected TARGET [KEY]");
        c.utf16 = o.utf16;
        if (ed_keypath("export", argc - optind == 2 ? argv[optind + 1] : "", &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        return ed_run_read(argv[optind], &vhive_export_op, &c, &o);
}
