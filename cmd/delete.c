/* vhive delete: delete a key (with its subkeys) or one value. */
#include <stdlib.h>
#include <string.h>

#include "editor.h"

static char default_value[] = ""; /* @ */

static const struct cmd_text text = {
        .name = "delete",
        .usage = "Usage: vhive delete [OPTIONS] TARGET KEY [NAME]\n"
                 "Delete KEY with everything below it, or only its value NAME (@ for the\n"
                 "default value).  A key or value that does not exist is an error.  KEY is\n"
                 "written as for vhive set; a * component means every existing subkey.\n",
        .exit_status = "0 success, 2 failure.",
};

static int build(char **args, int n, struct vhive_regfile *rf, struct vhive_reg_key *key,
                 struct vhive_reg_value *val)
{
        if (ed_keypath("delete", args[0], &key->path) < 0)
                return -1;
        key->text = args[0];
        if (n == 2) {
                val->name = strcmp(args[1], "@") == 0 ? default_value : args[1];
                val->remove = true;
                key->values = val;
                key->n_values = 1;
        } else if (key->path.n == 0) {
                fprintf(stderr, "vhive delete: cannot delete the root key of a hive\n");
                return -1;
        } else {
                key->remove = true;
        }
        rf->name = (char *)"delete";
        rf->keys = key;
        rf->n_keys = 1;
        return 0;
}

int cmd_delete(int argc, char **argv)
{
        struct vhive_regfile rf = { 0 };
        struct vhive_reg_key key = { 0 };
        struct vhive_reg_value val = { 0 };
        struct vhive_merge_job job = { 0 };
        struct cmd_opts o = { 0 };
        int rc;

        rc = cmd_parse_options(CMD_DELETE, &text, argc, argv, &o);
        if (rc >= 0)
                return rc;
        if (o.n_args != 1 && o.n_args != 2)
                return cmd_usage_error("delete", "expected %sKEY [NAME]", o.from ? "" : "TARGET ");
        if (build(o.args, (int)o.n_args, &rf, &key, &val) < 0) {
                vhive_keypath_free(&key.path);
                return VHIVE_EXIT_FAIL;
        }
        job = (struct vhive_merge_job){
                .files = &rf, .n_files = 1, .hive = key.path.hive, .opts.missing_delete_fails = true
        };
        rc = ed_run_merge("delete", &job, &o);
        vhive_keypath_free(&key.path);
        return rc;
}
