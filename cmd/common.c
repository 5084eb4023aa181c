/* The job every subcommand runs: the library's driver, then the errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "progress.h"

/* A backend's notice concerns the whole run: said once, on stderr (JSON
 * carries it in each target's object too). */
static void print_notices(const struct vhive_job_result *results, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                bool seen = false;

                for (size_t k = 0; k < i && !seen; k++)
                        seen = strcmp(results[k].notice, results[i].notice) == 0;
                if (*results[i].notice && !seen)
                        fprintf(stderr, "vhive: note: %s\n", results[i].notice);
        }
}

/* What a reader must know about one hive's state, for each hive of the
 * target (named when there are several). */
static void print_state_warnings(const char *target, const char *hive,
                                 const struct vhive_hive_state *st, bool ok)
{
        for (int k = 0; k < 2 && st->replayed; k++)
                if (st->replay.log[k].ignored)
                        fprintf(stderr, "vhive: %s: %s%swarning: %s\n", target, hive,
                                *hive ? ": " : "", cmd_esc(st->replay.log[k].warning));
        /* A reader must never take the stale file for what Windows
         * loads: one line, whatever the command and --json. */
        if (ok && st->replay_failed)
                fprintf(stderr,
                        "vhive: %s: %s%swarning: the hive is dirty and its logs cannot be "
                        "replayed (%s): this is the file as it is; Windows may load "
                        "other values\n",
                        target, hive, *hive ? ": " : "", cmd_esc(st->replay_error));
}

static void print_warnings(const char *target, const struct vhive_job_result *r)
{
        if (r->n_hives <= 1) {
                print_state_warnings(target, "", &r->state, r->status == 0);
                return;
        }
        for (size_t k = 0; k < r->n_hives; k++)
                print_state_warnings(target, r->hives[k].name, &r->hives[k].state,
                                     r->hives[k].status == 0);
}

int cmd_run_job(const struct vhive_op *op, char *const *targets, size_t n, void *const *ctxs,
                const struct cmd_opts *o, struct vhive_job_result *results)
{
        struct cmd_opts run = *o;
        int worst;

        progress_begin(&run, targets, n);
        worst = vhive_run(op, (const char *const *)targets, n, ctxs, &run.run, results);
        progress_end(&run);
        print_notices(results, n);
        for (size_t i = 0; i < n; i++) {
                if (*results[i].note)
                        fprintf(stderr, "vhive: %s: %s\n", targets[i], cmd_esc(results[i].note));
                print_warnings(targets[i], &results[i]);
        }
        for (size_t i = 0; i < n && !o->json; i++)
                if (results[i].status < 0)
                        cmd_error(targets[i], &results[i].err);
        return worst;
}

int cmd_print_json(json_t *doc, int exit_code)
{
        int r = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;

        json_decref(doc);
        if (r == 0 && putchar('\n') != EOF && fflush(stdout) == 0)
                return exit_code;
        fprintf(stderr, "vhive: writing the JSON document: %s\n",
                doc ? strerror(errno) : "out of memory");
        return VHIVE_EXIT_FAIL;
}

void *cmd_calloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size);

        if (!p) {
                fprintf(stderr, "vhive: out of memory\n");
                exit(VHIVE_EXIT_FAIL);
        }
        return p;
}

int cmd_select_rules(struct cmd_opts *o)
{
        struct vhive_rules_spec spec = { o->profile, o->rule_files, o->n_rule_files, o->skip,
                                         o->n_skip };
        struct vhive_error err = { 0 };

        if (vhive_rules_select(&o->rules, &spec, &err) < 0) {
                fprintf(stderr, "vhive: %s\n", cmd_esc(err.msg));
                vhive_rules_free(&o->rules);
                return VHIVE_EXIT_FAIL;
        }
        o->scrub.rules = &o->rules;
        return -1;
}

void cmd_opts_free(struct cmd_opts *o)
{
        vhive_rules_free(&o->rules);
        free(o->rule_files);
        free(o->skip);
        o->rule_files = o->skip = NULL;
}
