/* Running one operation on every disk image of an invocation: detect and
 * refuse without a backend, then one backend launch for all of them.
 * Per image: find Windows, download the hive and its logs into a private
 * folder, run the same hive code as for hive files, and when the hive
 * changed commit it into the image through the hive's own logs.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-commit.h"
#include "job.h"
#include "macro.h"

/* An image that is not opened (refused before the launch). */
#define NO_SPEC ((size_t)-1)

/* The host-side copies of one image's hive: dir/NAME, dir/NAME.LOGn. */
struct work {
        char dir[256];
        char primary[512];
        char guest_logs[2][512];    /* "" when the image has none */
        char host_logs[2][600];     /* their downloaded copies, or "" */
        struct vhive_node nodes[3]; /* the hive's and its logs' (image-paths.c) */
};

static int detect(const char *path, const struct vhive_op *op, const struct vhive_job_opts *o,
                  struct vhive_job_result *r)
{
        bool for_write = op->writes && !o->dry_run;
        int ret = vhive_image_detect(path, &r->image, &r->err);

        if (ret < 0 && !o->format)
                return ret;
        if (o->format) {
                /* Already qemu's name (lib/job/driver.c). */
                snprintf(r->image.format, sizeof(r->image.format), "%s", o->format);
                snprintf(r->image.label, sizeof(r->image.label), "%s", o->format);
        }
        return vhive_image_refusals(path, &r->image, for_write, o->force, &r->err);
}

static const char *hive_name(const struct vhive_op *op, void *ctx)
{
        const char *names[VHIVE_MAX_HIVES] = { "SYSTEM" };

        /* One hive per image for now: the first the op names. */
        if (op->hive_names)
                op->hive_names(ctx, names);
        return names[0];
}

static void remove_work(struct work *w)
{
        DIR *d;
        struct dirent *de;

        if (!*w->dir)
                return;
        d = opendir(w->dir);
        if (d) {
                while ((de = readdir(d)))
                        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                                unlinkat(dirfd(d), de->d_name, 0);
                closedir(d);
        }
        rmdir(w->dir);
}

static int make_work(struct work *w, const char *name, struct vhive_error *err)
{
        const char *tmpdir = getenv("TMPDIR");

        snprintf(w->dir, sizeof(w->dir), "%s/vhive-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        if (!mkdtemp(w->dir)) { /* mode 0700 */
                int e = errno;
                *w->dir = '\0';
                return vhive_fail(err, e, "cannot create a private temp folder: %s", strerror(e));
        }
        snprintf(w->primary, sizeof(w->primary), "%s/%s", w->dir, name);
        return 0;
}

/* Downloads the hive and whichever logs exist, keeping the names the
 * session looks for beside the primary. */
static int fetch_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                      const char *name, struct work *w, struct vhive_job_result *r)
{
        static const char *const suffix[2] = { ".LOG1", ".LOG2" };
        const char *dir = r->root.config_dir;
        _cleanup_free_ char *real = NULL;
        int ret = vhive_image_check_dir(be, ops, i, dir, &r->err);

        if (ret == 0)
                ret = ops->lookup(be, i, dir, name, &real, &r->err);
        if (ret < 0)
                return ret;
        if (!real)
                return vhive_fail(&r->err, ENOENT, "no %s hive in %s on %s", name, dir,
                                  r->root.device);
        snprintf(r->hive_path, sizeof(r->hive_path), "%s/%s", dir, real);
        ret = vhive_image_fetch_file(be, ops, i, r->hive_path, w->primary, &w->nodes[0], &r->err);
        for (int k = 0; k < 2 && ret == 0; k++) {
                _cleanup_free_ char *want = NULL, *log = NULL;
                char *host = w->host_logs[k];
                if (asprintf(&want, "%s%s", real, suffix[k]) < 0)
                        return vhive_fail(&r->err, ENOMEM, "out of memory");
                ret = ops->lookup(be, i, dir, want, &log, &r->err);
                if (ret < 0 || !log)
                        continue;
                snprintf(w->guest_logs[k], sizeof(w->guest_logs[k]), "%s/%s", dir, log);
                snprintf(host, sizeof(w->host_logs[k]), "%s%s", w->primary, suffix[k]);
                ret = vhive_image_fetch_file(be, ops, i, w->guest_logs[k], host, &w->nodes[k + 1],
                                             &r->err);
        }
        const char *const paths[3] = { r->hive_path, w->guest_logs[0], w->guest_logs[1] };
        return ret < 0 ? ret : vhive_image_check_distinct(paths, w->nodes, 3, &r->err);
}

/* --backup DIR keeps each image's originals in DIR/IMAGE-FILE-NAME/. */
static char *backup_dir_for(const char *image, const char *backup_dir)
{
        _cleanup_free_ char *copy = strdup(image);
        char *dir = NULL;

        if (!copy || asprintf(&dir, "%s/%s", backup_dir, basename(copy)) < 0)
                return NULL;
        return dir;
}

/* A write commits into the image through the hive's own logs
 * (image-commit.c): the files are opened and the log format is settled
 * before the session runs, so a refusal comes before anything is read or
 * written. */
static int prepare_commit(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                          const char *path, const struct vhive_job_opts *o, const struct work *w,
                          struct vhive_commit_target *t, struct vhive_hive_files *hf,
                          struct vhive_job_result *r)
{
        const struct vhive_image_hive hv = {
                .config_dir = r->root.config_dir,
                .primary = r->hive_path,
                .logs = { w->guest_logs[0], w->guest_logs[1] },
                .old_logs = { w->host_logs[0], w->host_logs[1] },
                .work_dir = w->dir,
                .asked = o->log_format,
                .nodes = w->nodes,
        };
        int ret = vhive_image_open_hive(be, ops, i, &hv, hf, &t->format, &r->err);

        t->files = hf;
        if (ret == 0 && o->backup_dir && !(t->backup_dir = backup_dir_for(path, o->backup_dir)))
                ret = vhive_fail(&r->err, ENOMEM, "out of memory");
        return ret;
}

/* The job is done with the image: its failure to let go (the appliance's
 * unmount) fails the image, whose change may not have reached it. */
static void release(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                    int *ret, struct vhive_job_result *r)
{
        struct vhive_error e;
        int rr = ops->release ? ops->release(be, i, &e) : 0;

        if (rr < 0 && *ret == 0) {
                *ret = rr;
                r->err = e;
        }
}

static int run_image(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                     const char *path, const struct vhive_op *op, void *ctx,
                     const struct vhive_job_opts *o, struct vhive_job_result *r)
{
        struct work w = { .dir = "" };
        struct vhive_hive_files hf = { 0 };
        struct vhive_commit_target t = { .kind = VHIVE_COMMIT_LOGGED };
        int ret = ops->image_status(be, i, &r->err);

        vhive_job_progress(o, o->progress_target, "looking for Windows", -1);
        if (ret == 0)
                ret = ops->find_root(be, i, o->root_device, &r->root, &r->err);
        if (ret == 0)
                ret = make_work(&w, hive_name(op, ctx), &r->err);
        vhive_job_progress(o, o->progress_target, "downloading the hive", -1);
        if (ret == 0)
                ret = fetch_hive(be, ops, i, hive_name(op, ctx), &w, r);
        if (ret == 0)
                ret = vhive_check_interrupt("editing the hive", &r->err);
        if (ret == 0 && op->writes && !o->dry_run)
                ret = prepare_commit(be, ops, i, path, o, &w, &t, &hf, r);
        if (ret == 0)
                ret = vhive_job_run(w.primary, &t, op, ctx, o, r);
        vhive_image_close_hive(be, ops, &hf);
        free((char *)t.backup_dir);
        remove_work(&w);
        release(be, ops, i, &ret, r);
        r->status = ret;
        vhive_job_record_hive(r, hive_name(op, ctx));
        return ret;
}

static void fail_all(struct vhive_job_result *results, const size_t *spec_of, size_t n, int status,
                     const struct vhive_error *err)
{
        for (size_t i = 0; i < n; i++) {
                if (spec_of[i] == NO_SPEC)
                        continue;
                results[i].status = status;
                results[i].err = *err;
        }
}

/* Another name (a symbolic or hard link) of an image already in specs:
 * its index there (ids[k] is specs[k]'s), else NO_SPEC.  Two drives on one
 * file make qemu refuse the launch (its image lock), which failed every
 * image of the batch. */
static size_t same_file(const char *path, const struct stat *ids, size_t count)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return NO_SPEC; /* opening it will say why */
        for (size_t k = 0; k < count; k++)
                if (ids[k].st_dev == st.st_dev && ids[k].st_ino == st.st_ino)
                        return k;
        return NO_SPEC;
}

/* Detection and refusals for every image; the ones to open go to specs,
 * once per file: spec_of[i] is image i's index in specs (NO_SPEC when
 * refused), first[k] the first image that names specs[k]. */
static size_t prepare(const char *const *paths, size_t n, const struct vhive_op *op,
                      const struct vhive_job_opts *o, struct vhive_job_result *results,
                      struct vhive_image_spec *specs, size_t *spec_of, size_t *first)
{
        _cleanup_free_ struct stat *ids = calloc(n + 1, sizeof(*ids));
        size_t count = 0, k;

        for (size_t i = 0; i < n; i++) {
                struct vhive_job_result *r = &results[i];
                memset(r, 0, sizeof(*r));
                r->is_image = true;
                spec_of[i] = NO_SPEC;
                r->status = ids ? detect(paths[i], op, o, r)
                                : vhive_fail(&r->err, ENOMEM, "out of memory");
                if (r->status < 0)
                        continue;
                k = same_file(paths[i], ids, count);
                if (k != NO_SPEC) {
                        spec_of[i] = k;
                        snprintf(r->note, sizeof(r->note),
                                 "the same file as %s: opened once, worked on after it",
                                 paths[first[k]]);
                        continue;
                }
                if (stat(paths[i], &ids[count]) < 0)
                        ids[count] = (struct stat){ .st_ino = 0 };
                specs[count] = (struct vhive_image_spec){
                        .path = paths[i],
                        .format = r->image.format,
                        .readonly = !op->writes || o->dry_run,
                };
                first[count] = i;
                spec_of[i] = count++;
        }
        return count;
}

/* The backend reports the launch for the run; while an image is worked on,
 * what it reports (a download's fraction) is that image's. */
struct progress_map {
        const struct vhive_job_opts *o;
        size_t current;
};

static void backend_progress(void *opaque, size_t target, const char *step, double fraction)
{
        struct progress_map *m = opaque;

        (void)target;
        vhive_job_progress(m->o, m->current, step, fraction);
}

int vhive_job_images(const char *const *paths, size_t n, const struct vhive_op *op,
                     void *const *ctxs, const struct vhive_job_opts *o,
                     struct vhive_job_result *results)
{
        const struct vhive_backend_ops *ops = o->backend;
        _cleanup_free_ struct vhive_image_spec *specs = calloc(n + 1, sizeof(*specs));
        _cleanup_free_ size_t *spec_of = calloc(n + 1, sizeof(*spec_of));
        _cleanup_free_ size_t *first = calloc(n + 1, sizeof(*first));
        struct vhive_backend *be = NULL;
        struct vhive_error err = { 0 };
        size_t count = 0;
        int ret = 0;

        if (!specs || !spec_of || !first)
                ret = vhive_fail(&err, ENOMEM, "out of memory");
        else if (!ops)
                ret = vhive_fail(&err, EINVAL, "no backend given (lib/job/driver.c loads it)");
        for (size_t i = 0; i < n && ret < 0; i++)
                results[i] = (struct vhive_job_result){ .status = ret,
                                                        .err = err,
                                                        .is_image = true };
        if (ret < 0)
                return ret;
        count = prepare(paths, n, op, o, results, specs, spec_of, first);
        if (count == 0)
                return 0;
        struct progress_map pm = { .o = o, .current = VHIVE_PROGRESS_RUN };
        const struct vhive_backend_launch launch = {
                .verbose = o->verbose,
                .progress = o->progress ? backend_progress : NULL,
                .progress_opaque = &pm,
        };
        vhive_job_progress(o, VHIVE_PROGRESS_RUN, "opening the images", -1);
        ret = vhive_check_interrupt("opening the images", &err);
        if (ret == 0)
                ret = ops->open(&be, specs, count, &launch, &err);
        if (ret < 0) {
                fail_all(results, spec_of, n, ret, &err);
                return ret;
        }
        const char *notice = ops->notice ? ops->notice(be) : NULL;
        for (size_t i = 0; i < n && notice; i++)
                if (spec_of[i] != NO_SPEC)
                        snprintf(results[i].notice, sizeof(results[i].notice), "%s", notice);
        /* In target order: a second name of a file is worked on after the
         * first, on the same drive, as two runs one after the other would. */
        for (size_t i = 0; i < n; i++) {
                struct vhive_job_opts jo = *o;

                if (spec_of[i] == NO_SPEC)
                        continue;
                jo.progress_target = pm.current = i;
                results[i].status = vhive_check_interrupt("starting", &results[i].err);
                if (results[i].status == 0)
                        run_image(be, ops, spec_of[i], paths[i], op, ctxs ? ctxs[i] : NULL, &jo,
                                  &results[i]);
        }
        pm.current = VHIVE_PROGRESS_RUN;
        vhive_job_progress(o, VHIVE_PROGRESS_RUN, "closing the images", -1);
        ret = ops->close(be, &err);
        /* Without a clean shutdown a written image may not hold the change. */
        for (size_t i = 0; i < n && ret < 0; i++) {
                struct vhive_job_result *r = &results[i];
                if (spec_of[i] != NO_SPEC && r->written && r->status == 0) {
                        r->status = ret;
                        r->err = err;
                }
        }
        return 0;
}
