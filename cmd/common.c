/* The job every subcommand runs: the library's driver, then the errors. */
#include "common.h"

int cmd_run_job(const struct vhive_op *op, char *const *targets, size_t n, void *const *ctxs,
                const struct cmd_opts *o, struct vhive_job_result *results)
{
        int worst = vhive_run(op, (const char *const *)targets, n, ctxs, &o->run, results);

        for (size_t i = 0; i < n && !o->json; i++)
                if (results[i].status < 0)
                        cmd_error(targets[i], &results[i].err);
        return worst;
}
