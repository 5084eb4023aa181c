/* vhive merge: merge regedit .reg files into a hive. */
#include <stdlib.h>
#include <string.h>

#include "editor.h"

static const struct cmd_text text = {
        .name = "merge",
        .usage =
                "Usage: vhive merge [OPTIONS] TARGET FILE.reg...\n"
                "Merge regedit files (UTF-16LE with BOM, UTF-8 or ASCII; \"Windows Registry\n"
                "Editor Version 5.00\" or REGEDIT4) into TARGET, in order, with regedit's\n"
                "semantics: missing keys are created, [-KEY] and \"NAME\"=- delete, \"X\"=\"\"\n"
                "writes REG_SZ.  CurrentControlSet maps through Select\\Current; a * component\n"
                "means every existing subkey.  A missing key named {LIKE_THIS} (letters,\n"
                "digits, underscores) is an unfilled placeholder: the merge fails.  Every file is\n"
                "parsed and checked before anything is written.\n",
        .exit_status = "0 success, 2 failure.",
};

static void free_files(struct vhive_regfile *files, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vhive_regfile_free(&files[i]);
        free(files);
}

/* An image run works on up to VHIVE_MAX_HIVES hives (SYSTEM and
 * SOFTWARE, each on its own); a hive file takes one (the library says so
 * when the files name two).  *hive: the one hive, or NULL when several. */
static int count_hives(const struct vhive_regfile *files, size_t n, const char **hive)
{
        const struct vhive_merge_job j = { .files = files, .n_files = n };
        const char *names[4] = { NULL };
        size_t count = vhive_merge_job_hives(&j, names, 4);

        *hive = count == 1 ? names[0] : NULL;
        if (count <= VHIVE_MAX_HIVES)
                return 0;
        fprintf(stderr,
                "vhive merge: the files touch %zu hives (%s, %s, %s%s%s): one run writes at "
                "most %d; merge the others separately\n",
                count, names[0], names[1], names[2], count > 3 ? ", " : "",
                count > 3 ? names[3] : "", VHIVE_MAX_HIVES);
        return -1;
}

static int load(char **paths, size_t n, struct vhive_regfile **files)
{
        struct vhive_error err = { 0 };

        *files = calloc(n, sizeof(**files));
        if (!*files)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (vhive_regfile_load(&(*files)[i], paths[i], &err) < 0) {
                        fprintf(stderr, "vhive merge: %s\n", err.msg);
                        return -1;
                }
        }
        return 0;
}

int cmd_merge(int argc, char **argv)
{
        struct vhive_regfile *files = NULL;
        struct vhive_merge_job job = { 0 };
        struct cmd_opts o = { 0 };
        const char *hive = NULL;
        size_t n;
        int rc;

        rc = cmd_parse_options(CMD_MERGE, &text, argc, argv, &o);
        if (rc >= 0)
                return rc;
        if (o.n_args < 1)
                return cmd_usage_error("merge", "expected %sFILE.reg...", o.from ? "" : "TARGET ");
        n = o.n_args;
        if (load(o.args, n, &files) < 0 || count_hives(files, n, &hive) < 0) {
                free_files(files, n);
                return VHIVE_EXIT_FAIL;
        }
        job = (struct vhive_merge_job){
                .files = files, .n_files = n, .hive = hive, .opts.placeholders_fail = true
        };
        rc = ed_run_merge("merge", &job, &o);
        free_files(files, n);
        return rc;
}
