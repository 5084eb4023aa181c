/* The job driver: every policy of an invocation that is not about one
 * target.  It sorts the targets into hive files and disk images, names the
 * image format qemu gets, chooses and loads the backend (once, and only
 * when a target is an image), applies the --output rules, and hands each
 * target to its job (job.c for hive files, image-job.c for images).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "macro.h"

/* The image formats users may name, and what qemu calls them. */
static const struct {
        const char *name, *qemu;
} formats[] = {
        { "vhdx", "vhdx" },   { "vhd", "vpc" }, { "vpc", "vpc" },
        { "qcow2", "qcow2" }, { "raw", "raw" },
};

static const char *format_for_qemu(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
                if (strcmp(name, formats[i].name) == 0)
                        return formats[i].qemu;
        return NULL;
}

/* --log-format: the transaction-log format an image's Windows reads. */
static enum vhive_log_format log_format_named(const char *name)
{
        if (!name)
                return VHIVE_LOG_NONE;
        if (strcmp(name, "new") == 0)
                return VHIVE_LOG_NEW;
        if (strcmp(name, "old") == 0)
                return VHIVE_LOG_OLD;
        return VHIVE_LOG_INVALID;
}

/* --backend, else VHIVE_BACKEND (here and nowhere else), else the appliance. */
static const char *backend_name(const struct vhive_run_opts *o, const char **source)
{
        const char *env = getenv("VHIVE_BACKEND");

        *source = "--backend";
        if (o->backend)
                return o->backend;
        *source = "VHIVE_BACKEND";
        return env && *env ? env : "appliance";
}

int vhive_run_check(const struct vhive_run_opts *o, size_t n_targets, struct vhive_error *err)
{
        const char *source, *backend = backend_name(o, &source);

        if (o->format && !format_for_qemu(o->format))
                return vhive_fail(err, EINVAL, "unknown --format '%s' (vhdx, vhd, qcow2, raw)",
                                  o->format);
        if (log_format_named(o->log_format) == VHIVE_LOG_INVALID)
                return vhive_fail(err, EINVAL, "unknown --log-format '%s' (new, old)",
                                  o->log_format);
        if (!vhive_backend_name_valid(backend))
                return vhive_fail(err, EINVAL, "%s '%s' is not a backend (appliance, direct)",
                                  source, backend);
        if (o->output && n_targets != 1)
                return vhive_fail(err, EINVAL, "--output takes exactly one TARGET");
        return 0;
}

static struct vhive_job_opts job_opts(const struct vhive_run_opts *o)
{
        return (struct vhive_job_opts){
                .dry_run = o->dry_run,
                .output = o->output,
                .backup_dir = o->backup_dir,
                .force = o->force,
                .format = o->format ? format_for_qemu(o->format) : NULL,
                .root_device = o->root_device,
                .log_format = log_format_named(o->log_format),
                .verbose = o->verbose,
                .progress = o->progress,
                .progress_opaque = o->progress_opaque,
        };
}

static void fail_images(struct vhive_job_result *results, const size_t *idx, size_t n,
                        const struct vhive_error *err)
{
        for (size_t i = 0; i < n; i++) {
                results[idx[i]].status = -err->errnum;
                results[idx[i]].err = *err;
        }
}

/* Every image in one backend launch; results come back in target order. */
static int run_images(const struct vhive_op *op, const char *const *targets, const size_t *idx,
                      size_t n, void *const *ctxs, const struct vhive_run_opts *o,
                      struct vhive_job_result *results)
{
        const char *source;
        struct vhive_job_opts job = job_opts(o);
        _cleanup_free_ const char **paths = calloc(n, sizeof(*paths));
        _cleanup_free_ void **c = calloc(n, sizeof(*c));
        _cleanup_free_ struct vhive_job_result *res = calloc(n, sizeof(*res));
        struct vhive_error err = { 0 };

        if (!paths || !c || !res)
                return -ENOMEM;
        if (o->output) {
                vhive_fail(&err, EINVAL, "--output works on hive files only, not on disk images");
                fail_images(results, idx, n, &err);
                return 0;
        }
        if (vhive_backend_load(backend_name(o, &source), &job.backend, &err) < 0) {
                fail_images(results, idx, n, &err);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                paths[i] = targets[idx[i]];
                c[i] = ctxs[idx[i]];
        }
        job.index_map = idx;
        vhive_job_images(paths, n, op, c, &job, res);
        for (size_t i = 0; i < n; i++)
                results[idx[i]] = res[i];
        return 0;
}

static int usage_error(struct vhive_job_result *results, size_t n, const struct vhive_error *err)
{
        for (size_t i = 0; i < n; i++) {
                memset(&results[i], 0, sizeof(results[i]));
                results[i].status = -EINVAL;
                results[i].err = *err;
        }
        return VHIVE_EXIT_FAIL;
}

int vhive_run(const struct vhive_op *op, const char *const *targets, size_t n, void *const *ctxs,
              const struct vhive_run_opts *o, struct vhive_job_result *results)
{
        _cleanup_free_ size_t *images = calloc(n ? n : 1, sizeof(*images));
        struct vhive_job_opts job = job_opts(o);
        struct vhive_error err = { 0 };
        size_t n_images = 0;

        if (vhive_run_check(o, n, &err) < 0)
                return usage_error(results, n, &err);
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
                job.progress_target = i;
                if (kind == VHIVE_KIND_IMAGE)
                        continue;
                results[i].status = vhive_check_interrupt("starting", &results[i].err);
                if (results[i].status == 0)
                        vhive_job_hive_file(targets[i], op, ctxs[i], &job, &results[i]);
        }
        if (n_images && run_images(op, targets, images, n_images, ctxs, o, results) < 0)
                return VHIVE_EXIT_FAIL;
        for (size_t i = 0; i < n; i++)
                if (results[i].status < 0)
                        return VHIVE_EXIT_FAIL;
        return VHIVE_EXIT_OK;
}
