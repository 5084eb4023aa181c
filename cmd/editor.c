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

static void report_plan(const char *target, const struct vhive_merge_job *j, size_t k,
                        const struct cmd_opts *o)
{
        size_t n = 0;
        const struct vhive_change *c = j->plans[k] ? vhive_merge_changes(j->plans[k], &n) : NULL;
        char prefix[64];

        snprintf(prefix, sizeof(prefix), "HKEY_LOCAL_MACHINE\\%s",
                 j->plan_hives[k] ? j->plan_hives[k]
                 : j->hive        ? j->hive
                                  : "SYSTEM");
        for (size_t i = 0; i < n; i++)
                if (c[i].kind == VHIVE_CHANGE_NO_MATCH)
                        fprintf(stderr, "vhive: %s: %s:%u: [%s] matches no key\n", target,
                                c[i].file, c[i].line, cmd_esc(c[i].key));
        if (!o->run.dry_run && !o->run.verbose)
                return;
        for (size_t i = 0; i < n; i++)
                if (c[i].kind != VHIVE_CHANGE_NO_MATCH)
                        print_change(stdout, prefix, &c[i]);
}

/* An image run on several hives: one line per hive. */
static void report_hives(const char *target, const struct vhive_job_result *res,
                         const struct cmd_opts *o)
{
        for (size_t k = 0; k < res->n_hives && res->n_hives > 1; k++) {
                const struct vhive_hive_result *h = &res->hives[k];
                const char *what = h->written       ? "written"
                                   : !h->changed    ? "nothing to change"
                                   : o->run.dry_run ? "dry run, nothing written"
                                                    : "not written";
                if (h->status < 0)
                        printf("%s: %s: failed%s: %s\n", target, h->name,
                               h->written ? " (written in part)" : "", cmd_esc(h->err.msg));
                else
                        printf("%s: %s: %s%s\n", target, h->name, what,
                               h->state.replayed ? " (the dirty hive was replayed)" : "");
        }
}

static void report_merge(const char *target, const struct vhive_merge_job *j,
                         const struct vhive_job_result *res, const struct cmd_opts *o)
{
        bool verbose = o->run.dry_run || o->run.verbose;

        if (j->n_plans == 0)
                return;
        if (o->n_targets > 1 && verbose)
                printf("==> %s <==\n", target);
        for (size_t k = 0; k < j->n_plans; k++)
                report_plan(target, j, k, o);
        report_hives(target, res, o);
        if (o->run.dry_run && res->n_hives <= 1 && res->status == 0)
                printf("%s: %s\n", target,
                       res->changed ? "dry run, nothing written" : "nothing to change");
}

static int merge_json(const char *cmd, const struct vhive_merge_job *jobs,
                      const struct vhive_job_result *res, const struct cmd_opts *o, int rc)
{
        json_t *list = json_array();

        for (size_t i = 0; i < o->n_targets; i++)
                json_array_append_new(list,
                                      vhive_json_merge_target(o->targets[i], &res[i], &jobs[i]));
        return cmd_print_json(
                vhive_json_document(cmd, json_pack("{s:b}", "dry_run", o->run.dry_run), list, rc),
                rc);
}

int ed_run_merge(const char *cmd, const struct vhive_merge_job *proto, const struct cmd_opts *o)
{
        size_t n = o->n_targets;
        struct vhive_merge_job *jobs = cmd_calloc(n, sizeof(*jobs));
        struct vhive_job_result *res = cmd_calloc(n, sizeof(*res));
        void **ctxs = cmd_calloc(n, sizeof(*ctxs));
        int rc;

        for (size_t i = 0; i < n; i++) {
                jobs[i] = *proto;
                ctxs[i] = &jobs[i];
        }
        rc = cmd_run_job(&vhive_merge_op, o->targets, n, ctxs, o, res);
        for (size_t i = 0; i < n && !o->json; i++)
                if (res[i].status == 0 || res[i].n_hives > 1)
                        report_merge(o->targets[i], &jobs[i], &res[i], o);
        if (o->json)
                rc = merge_json(cmd, jobs, res, o, rc);
        for (size_t i = 0; i < n; i++)
                vhive_merge_job_clear(&jobs[i]);
        free(jobs);
        free(res);
        free(ctxs);
        return rc;
}

static int print_read(const struct vhive_read_job *jobs, const struct vhive_job_result *res,
                      const struct cmd_opts *o, int rc)
{
        for (size_t i = 0; i < o->n_targets; i++) {
                if (res[i].status < 0 || !jobs[i].out)
                        continue;
                if (o->n_targets > 1)
                        printf("%s==> %s <==\n", i ? "\n" : "", o->targets[i]);
                if (fwrite(jobs[i].out, 1, jobs[i].out_len, stdout) != jobs[i].out_len)
                        break;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "vhive: writing the output: %s\n", strerror(errno));
                rc = VHIVE_EXIT_FAIL;
        }
        return rc;
}

int ed_run_read(const char *cmd, const struct vhive_op *op, const struct vhive_read_job *proto,
                const struct cmd_opts *o)
{
        size_t n = o->n_targets;
        struct vhive_read_job *jobs = cmd_calloc(n, sizeof(*jobs));
        struct vhive_job_result *res = cmd_calloc(n, sizeof(*res));
        void **ctxs = cmd_calloc(n, sizeof(*ctxs));
        json_t *list;
        int rc;

        for (size_t i = 0; i < n; i++) {
                jobs[i] = *proto; /* the key path is shared, never changed */
                jobs[i].data = o->json;
                ctxs[i] = &jobs[i];
        }
        rc = cmd_run_job(op, o->targets, n, ctxs, o, res);
        if (!o->json) {
                rc = print_read(jobs, res, o, rc);
        } else {
                list = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(
                                list, vhive_json_read_target(o->targets[i], &res[i], op, &jobs[i]));
                rc = cmd_print_json(vhive_json_document(cmd, NULL, list, rc), rc);
        }
        for (size_t i = 0; i < n; i++)
                vhive_read_job_clear(&jobs[i]);
        free(jobs);
        free(res);
        free(ctxs);
        return rc;
}
