/* The job every subcommand runs: the library's driver, then the errors. */
#include <string.h>

#include "common.h"

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

int cmd_run_job(const struct vhive_op *op, char *const *targets, size_t n, void *const *ctxs,
                const struct cmd_opts *o, struct vhive_job_result *results)
{
        int worst = vhive_run(op, (const char *const *)targets, n, ctxs, &o->run, results);

        print_notices(results, n);
        for (size_t i = 0; i < n; i++) {
                if (*results[i].note)
                        fprintf(stderr, "vhive: %s: %s\n", targets[i], cmd_esc(results[i].note));
                /* A reader must never take the stale file for what Windows
                 * loads: one line, whatever the command and --json. */
                if (results[i].status == 0 && results[i].replay_failed)
                        fprintf(stderr,
                                "vhive: %s: warning: the hive is dirty and its logs cannot be "
                                "replayed (%s): this is the file as it is; Windows may load "
                                "other values\n",
                                targets[i], cmd_esc(results[i].replay_error));
        }
        for (size_t i = 0; i < n && !o->json; i++)
                if (results[i].status < 0)
                        cmd_error(targets[i], &results[i].err);
        return worst;
}
