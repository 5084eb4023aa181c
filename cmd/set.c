/* vhive set: set one value, creating missing keys. */
#include <stdlib.h>
#include <string.h>

#include "editor.h"

static char default_value[] = ""; /* @ */

static const struct cmd_text text = {
        .name = "set",
        .usage = "Usage: vhive set [OPTIONS] TARGET KEY NAME VALUE\n"
                 "Set the value NAME (@ for the default value) of KEY, creating KEY and its\n"
                 "missing parents.  KEY is HKLM\\SYSTEM\\..., HKEY_LOCAL_MACHINE\\..., or a path\n"
                 "below the hive root; CurrentControlSet maps through Select\\Current and a\n"
                 "* component means every existing subkey.  VALUE is typed:\n"
                 "  string:TEXT  expand:TEXT  multi:A,B (\\, for a comma)  dword:N  qword:N\n"
                 "  hex:TYPE:BYTES (e.g. hex:3:01,02)  none\n",
        .exit_status = "0 success, 2 failure.",
};

static int build(const char *cmd, char **args, struct vhive_regfile *rf, struct vhive_reg_key *key,
                 struct vhive_reg_value *val)
{
        struct vhive_error err = { 0 };

        if (ed_keypath(cmd, args[0], &key->path) < 0)
                return -1;
        val->name = strcmp(args[1], "@") == 0 ? default_value : args[1];
        if (vhive_typed_value_parse(args[2], &val->type, &val->data, &val->len, &err) < 0) {
                fprintf(stderr, "vhive %s: %s\n", cmd, err.msg);
                return -1;
        }
        key->text = args[0];
        key->values = val;
        key->n_values = 1;
        rf->name = (char *)cmd;
        rf->keys = key;
        rf->n_keys = 1;
        return 0;
}

int cmd_set(int argc, char **argv)
{
        struct vhive_regfile rf = { 0 };
        struct vhive_reg_key key = { 0 };
        struct vhive_reg_value val = { 0 };
        struct vhive_merge_job job = { 0 };
        struct cmd_opts o = { 0 };
        int rc;

        rc = cmd_parse_options(CMD_SET, &text, argc, argv, &o);
        if (rc >= 0)
                return rc;
        if (o.n_args != 3)
                return cmd_usage_error("set", "expected %sKEY NAME VALUE", o.from ? "" : "TARGET ");
        if (build("set", o.args, &rf, &key, &val) < 0) {
                vhive_keypath_free(&key.path);
                return VHIVE_EXIT_FAIL;
        }
        job = (struct vhive_merge_job){ .files = &rf, .n_files = 1, .hive = key.path.hive };
        rc = ed_run_merge("set", &job, &o);
        free(val.data);
        vhive_keypath_free(&key.path);
        return rc;
}
