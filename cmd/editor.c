/* The editor commands' shared parts: key arguments, reports, jobs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "editor.h"

int ed_keypath(const char *cmd, const char *text, struct vhive_keypath *kp)
{
        struct vhive_error err = { 0 };

        if (vhive_keypath_parse(text, kp, &err) < 0) {
                fprintf(stderr, "vhive %s: %s\n", cmd, err.msg);
                return -1;
        }
        return 0;
}

static void print_data(FILE *f, hive_type t, const char *data, size_t len)
{
        char *text = vhive_value_to_text(t, data, len);

        fprintf(f, "%s \"%s\"", vhive_type_name(t), cmd_esc(text));
        free(text);
}

static void print_value_name(FILE *f, const char *name)
{
        fprintf(f, " %s%s%s", *name ? "\"" : "@", cmd_esc(name), *name ? "\"" : "");
}

static void print_change(FILE *f, const char *prefix, const struct vhive_change *c)
{
        static const char *const what[] = { "add key",   "delete key",   "add value",
                                            "set value", "delete value", "no match" };

        fprintf(f, "%-12s %s%s%s", what[c->kind], prefix, *c->key ? "\\" : "", cmd_esc(c->key));
        if (c->kind == VHIVE_CHANGE_ADD_VALUE || c->kind == VHIVE_CHANGE_SET_VALUE) {
                print_value_name(f, c->value);
                fprintf(f, " = ");
                print_data(f, c->type, c->data, c->len);
        }
        if (c->kind == VHIVE_CHANGE_DELETE_VALUE)
                print_value_name(f, c->value);
        if (c->kind == VHIVE_CHANGE_SET_VALUE || c->kind == VHIVE_CHANGE_DELETE_VALUE) {
                fprintf(f, " (was ");
                print_data(f, c->old_type, c->old_data, c->old_len);
                fprintf(f, ")");
        }
        fprintf(f, "\n");
}

static void report_merge(const char *target, const struct vhive_merge_job *j,
                         const struct vhive_job_result *res, const struct cmd_opts *o)
{
        const struct vhive_change *c;
        char prefix[64];
        size_t n;

        if (!j->plan)
                return;
        c = vhive_merge_changes(j->plan, &n);
        snprintf(prefix, sizeof(prefix), "HKEY_LOCAL_MACHINE\\%s",
                 j->opts.hive ? j->opts.hive
                 : j->hive    ? j->hive
                              : "SYSTEM");
        for (size_t i = 0; i < n; i++)
                if (c[i].kind == VHIVE_CHANGE_NO_MATCH)
                        fprintf(stderr, "vhive: %s:%u: [%s] matches no key\n", c[i].file, c[i].line,
                                cmd_esc(c[i].key));
        if (!o->run.dry_run && !o->run.verbose)
                return;
        for (size_t i = 0; i < n; i++)
                if (c[i].kind != VHIVE_CHANGE_NO_MATCH)
                        print_change(stdout, prefix, &c[i]);
        if (o->run.dry_run)
                printf("%s: %s\n", target,
                       res->changed ? "dry run, nothing written" : "nothing to change");
}

int ed_run_merge(const char *target, struct vhive_merge_job *j, const struct cmd_opts *o)
{
        struct vhive_job_result res;
        char *targets[1] = { (char *)target };
        void *ctxs[1] = { j };
        int rc = cmd_run_job(&vhive_merge_op, targets, 1, ctxs, o, &res);

        if (rc == VHIVE_EXIT_OK)
                report_merge(target, j, &res, o);
        vhive_merge_free(j->plan);
        j->plan = NULL;
        return rc;
}

int ed_run_read(const char *target, const struct vhive_op *op, struct vhive_read_job *c,
                const struct cmd_opts *o)
{
        struct vhive_job_result res;
        char *targets[1] = { (char *)target };
        void *ctxs[1] = { c };
        int rc = cmd_run_job(op, targets, 1, ctxs, o, &res);

        if (rc == VHIVE_EXIT_OK && c->out && fwrite(c->out, 1, c->out_len, stdout) != c->out_len)
                rc = VHIVE_EXIT_FAIL;
        if (fflush(stdout) != 0) {
                fprintf(stderr, "vhive: writing the output: %s\n", strerror(errno));
                rc = VHIVE_EXIT_FAIL;
        }
        free(c->out);
        vhive_keypath_free(&c->kp);
        return rc;
}
