/* Target options and the job loop shared by every subcommand. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int cmd_common_option(int c, const char *arg, struct cmd_opts *o)
{
        switch (c) {
        case OPT_BACKUP:
                o->job.backup_dir = arg;
                return 1;
        case OPT_FORCE:
                o->job.force = true;
                return 1;
        case OPT_FORMAT:
                if (strcmp(arg, "vhd") == 0)
                        arg = "vpc"; /* what users call it; qemu's name */
                if (strcmp(arg, "vpc") && strcmp(arg, "vhdx") && strcmp(arg, "qcow2") &&
                    strcmp(arg, "raw")) {
                        fprintf(stderr, "vhive: unknown --format '%s' (vhdx, vhd, qcow2, raw)\n",
                                arg);
                        return -1;
                }
                o->job.format = arg;
                return 1;
        case OPT_ROOT:
                o->job.root_device = arg;
                return 1;
        case OPT_BACKEND:
                o->backend_name = arg;
                if (!vhive_backend_name_valid(arg)) {
                        fprintf(stderr, "vhive: unknown --backend '%s' (appliance, direct)\n", arg);
                        return -1;
                }
                return 1;
        case OPT_JSON:
                o->json = true;
                return 1;
        case 'v':
                o->job.verbose = true;
                return 1;
        case 'n':
                o->job.dry_run = true;
                return 1;
        case 'o':
                o->job.output = arg;
                return 1;
        default:
                return 0;
        }
}

int cmd_common_finish(struct cmd_opts *o)
{
        const char *env = getenv("VHIVE_BACKEND");

        if (!o->backend_name && env && *env && !vhive_backend_name_valid(env)) {
                fprintf(stderr, "vhive: VHIVE_BACKEND='%s' is not a backend (appliance, direct)\n",
                        env);
                return -1;
        }
        return 0;
}

int cmd_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, struct cmd_opts *o,
                      cmd_own_option_fn own, void *ctx, int (*help)(void))
{
        int c;

        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
                int r = own ? own(c, optarg, ctx) : 0;

                if (r == 0)
                        r = cmd_common_option(c, optarg, o);
                if (r < 0)
                        return cmd_usage_error(cmd, "bad option value");
                if (r > 0)
                        continue;
                if (c == 'h')
                        return help();
                return cmd_usage_error(cmd, "unknown option");
        }
        return cmd_common_finish(o) < 0 ? VHIVE_EXIT_FAIL : -1;
}

/* Every human printer passes hive text through here, in any output and not
 * only on a terminal: a log file or a CI page is read on one later, and the
 * exact bytes stay available (--raw, --json, export). */
const char *cmd_esc(const char *s)
{
        static char *ring[8];
        static unsigned next;
        char **slot = &ring[next++ % ARRAY_SIZE(ring)];

        free(*slot);
        *slot = s ? vhive_escape_text(s) : NULL;
        return *slot ? *slot : "?";
}

void cmd_error(const char *target, const struct vhive_error *err)
{
        /* Messages quote key and value names read from the hive. */
        fprintf(stderr, "vhive: %s: %s\n", target, cmd_esc(err->msg));
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "vhive %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'vhive %s --help' for more information.\n", cmd);
        return VHIVE_EXIT_FAIL;
}

static int run_images(const struct vhive_op *op, char *const *targets, const size_t *idx,
                      size_t n, void *const *ctxs, const struct cmd_opts *o,
                      struct vhive_job_result *results)
{
        struct vhive_job_opts job = o->job;
        struct vhive_error err;

        if (vhive_backend_load(o->backend_name, &job.backend, &err) < 0) {
                for (size_t i = 0; i < n; i++) {
                        results[idx[i]].status = -err.errnum;
                        results[idx[i]].err = err;
                }
                return 0;
        }
        const char **paths = calloc(n, sizeof(*paths));
        void **c = calloc(n, sizeof(*c));
        struct vhive_job_result *res = calloc(n, sizeof(*res));

        if (!paths || !c || !res) {
                free(paths);
                free(c);
                free(res);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                paths[i] = targets[idx[i]];
                c[i] = ctxs[idx[i]];
        }
        vhive_job_images(paths, n, op, c, &job, res);
        for (size_t i = 0; i < n; i++)
                results[idx[i]] = res[i];
        free(paths);
        free(c);
        free(res);
        return 0;
}

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

int cmd_run_job(const struct vhive_op *op, char *const *targets, size_t n,
                void *const *ctxs, const struct cmd_opts *o,
                struct vhive_job_result *results)
{
        _cleanup_free_ size_t *images = calloc(n ? n : 1, sizeof(*images));
        size_t n_images = 0;
        int worst = VHIVE_EXIT_OK;

        if (!images)
                return VHIVE_EXIT_FAIL;
        for (size_t i = 0; i < n; i++) {
                enum vhive_target_kind kind;

                memset(&results[i], 0, sizeof(results[i]));
                results[i].status = vhive_target_kind(targets[i], &kind, &results[i].err);
                if (results[i].status < 0)
                        continue;
                if (kind == VHIVE_KIND_IMAGE)
                        images[n_images++] = i;
                else
                        vhive_job_hive_file(targets[i], op, ctxs[i], &o->job, &results[i]);
        }
        if (n_images && o->job.output) {
                for (size_t i = 0; i < n_images; i++)
                        results[images[i]].status = vhive_fail(
                                &results[images[i]].err, EINVAL,
                                "--output works on hive files only, not on disk images");
        } else if (n_images &&
                   run_images(op, targets, images, n_images, ctxs, o, results) < 0) {
                return VHIVE_EXIT_FAIL;
        }
        print_notices(results, n);
        for (size_t i = 0; i < n; i++) {
                if (*results[i].note)
                        fprintf(stderr, "vhive: %s: %s\n", targets[i],
                                cmd_esc(results[i].note));
                /* A reader must never take the stale file for what Windows
                 * loads: one line, whatever the command and --json. */
                if (results[i].status == 0 && results[i].replay_failed)
                        fprintf(stderr, "vhive: %s: warning: the hive is dirty and its logs "
                                "cannot be replayed (%s): this is the file as it is; Windows "
                                "may load other values\n", targets[i],
                                cmd_esc(results[i].replay_error));
                if (results[i].status < 0) {
                        worst = VHIVE_EXIT_FAIL;
                        if (!o->json)
                                cmd_error(targets[i], &results[i].err);
                }
        }
        return worst;
}
