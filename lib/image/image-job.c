/* Running one operation on every disk image of an invocation: detect and
 * refuse without a backend, then one backend launch for all of them.
 * Per image: find Windows, download each hive the op names (SYSTEM,
 * SOFTWARE) and its logs into a private folder, checking them all before
 * anything is written; then, hive after hive, run the same hive code as
 * for hive files, and when the hive changed commit it into the image
 * through its own logs.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
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
/* The fewest images a batch is split over two launches for. */
#define SPLIT_FROM 4

/* The host-side copies of one hive of an image: DIR/NAME, DIR/NAME.LOGn,
 * and what the logged commit into the image needs. */
struct hive_work {
        const char *name; /* "SYSTEM", "SOFTWARE" */
        char primary[512];
        char hive_path[512];        /* in the image */
        char guest_logs[2][512];    /* "" when the image has none */
        char host_logs[2][600];     /* their downloaded copies, or "" */
        struct vhive_node nodes[3]; /* the hive's and its logs' (image-paths.c) */
        struct vhive_hive_files hf;
        struct vhive_commit_target t;
};

/* One image's hives, in the order the op names them, in one private
 * folder. */
struct work {
        char dir[256];
        size_t n;
        struct hive_work h[VHIVE_MAX_HIVES];
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

/* The hives the op works on, each once (a name given twice is one hive). */
static void hive_list(const struct vhive_op *op, void *ctx, struct work *w)
{
        const char *names[VHIVE_MAX_HIVES] = { "SYSTEM" };
        size_t n = op->hive_names ? op->hive_names(ctx, names) : 1;

        w->n = 0;
        for (size_t k = 0; k < n && k < VHIVE_MAX_HIVES; k++) {
                bool seen = !names[k];
                for (size_t j = 0; j < w->n && !seen; j++)
                        seen = strcmp(w->h[j].name, names[k]) == 0;
                if (!seen)
                        w->h[w->n++] = (struct hive_work){ .name = names[k],
                                                           .t.kind = VHIVE_COMMIT_LOGGED };
        }
        if (w->n == 0)
                w->h[w->n++] = (struct hive_work){ .name = "SYSTEM",
                                                   .t.kind = VHIVE_COMMIT_LOGGED };
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

static int make_work(struct work *w, struct vhive_error *err)
{
        const char *tmpdir = getenv("TMPDIR");

        snprintf(w->dir, sizeof(w->dir), "%s/vhive-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        if (!mkdtemp(w->dir)) { /* mode 0700 */
                int e = errno;
                *w->dir = '\0';
                return vhive_fail(err, e, "cannot create a private temp folder: %s", strerror(e));
        }
        for (size_t k = 0; k < w->n; k++)
                snprintf(w->h[k].primary, sizeof(w->h[k].primary), "%s/%s", w->dir, w->h[k].name);
        return 0;
}

/* Finds the hive and whichever logs exist, and checks each (a plain
 * file with one name, of a size a hive can have); with download, copies
 * them out, keeping the names the session looks for beside the primary.
 * A lazy read downloads nothing (download_hive when it must). */
static int fetch_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                      const char *dir, const char *device, bool download, struct hive_work *w,
                      struct vhive_error *err)
{
        static const char *const suffix[2] = { ".LOG1", ".LOG2" };
        _cleanup_free_ char *real = NULL;
        int ret = vhive_image_check_dir(be, ops, i, dir, err);

        if (ret == 0)
                ret = ops->lookup(be, i, dir, w->name, &real, err);
        if (ret < 0)
                return ret;
        if (!real)
                return vhive_fail(err, ENOENT, "no %s hive in %s on %s", w->name, dir, device);
        snprintf(w->hive_path, sizeof(w->hive_path), "%s/%s", dir, real);
        ret = vhive_image_fetch_file(be, ops, i, w->hive_path, download ? w->primary : NULL,
                                     &w->nodes[0], err);
        for (int k = 0; k < 2 && ret == 0; k++) {
                _cleanup_free_ char *want = NULL, *log = NULL;
                char *host = w->host_logs[k];
                if (asprintf(&want, "%s%s", real, suffix[k]) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
                ret = ops->lookup(be, i, dir, want, &log, err);
                if (ret < 0 || !log)
                        continue;
                snprintf(w->guest_logs[k], sizeof(w->guest_logs[k]), "%s/%s", dir, log);
                snprintf(host, sizeof(w->host_logs[k]), "%s%s", w->primary, suffix[k]);
                ret = vhive_image_fetch_file(be, ops, i, w->guest_logs[k], download ? host : NULL,
                                             &w->nodes[k + 1], err);
        }
        return ret;
}

/* A lazy read that must read the full way after all: the copies
 * fetch_hive did not make. */
static int download_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                         struct hive_work *w, struct vhive_error *err)
{
        int ret = ops->download(be, i, w->hive_path, w->primary, err);

        for (int k = 0; k < 2 && ret == 0; k++)
                if (*w->guest_logs[k])
                        ret = ops->download(be, i, w->guest_logs[k], w->host_logs[k], err);
        return ret;
}

/* A read-only op reads a clean hive in place, only the cells it needs
 * (lib/hive/lazy-reader.c), where the backend's reads are cheap (the
 * direct backend, through libntfs-3g).  Through the appliance each read
 * is a round trip: it downloads. */
static bool image_lazy(const struct vhive_backend_ops *ops, const struct vhive_op *op,
                       const struct vhive_job_opts *o)
{
        return ops->reads_in_place && ops->open_file && vhive_job_lazy(op, o);
}

/* The op on the hive read in place; when the hive must be read the full
 * way (dirty, or a read the lazy reader refused), downloaded after all. */
static int run_lazy(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                    struct hive_work *h, const struct vhive_op *op, void *ctx,
                    const struct vhive_job_opts *o, struct vhive_job_result *r)
{
        struct vhive_file *f = NULL;
        int ret = ops->open_file(be, i, h->hive_path, false, &f, &r->err);

        if (ret == 0)
                ret = vhive_job_run_lazy(f, op, ctx, o, r);
        if (f)
                ops->close_file(be, f);
        if (ret == 1) {
                vhive_job_progress(o, o->progress_target, "downloading the hive", -1);
                ret = download_hive(be, ops, i, h, &r->err);
                if (ret == 0)
                        ret = vhive_job_run(h->primary, &h->t, op, ctx, o, r);
        }
        return ret;
}

/* No two of the job's hives and logs are one file: a write through one
 * name would change the other (SOFTWARE a second name of SYSTEM). */
static int check_distinct(const struct work *w, struct vhive_error *err)
{
        const char *paths[3 * VHIVE_MAX_HIVES];
        struct vhive_node nodes[3 * VHIVE_MAX_HIVES];
        size_t n = 0;

        for (size_t k = 0; k < w->n; k++) {
                const struct hive_work *h = &w->h[k];
                const char *const mine[3] = { h->hive_path, h->guest_logs[0], h->guest_logs[1] };
                for (size_t f = 0; f < 3; f++) {
                        paths[n] = mine[f];
                        nodes[n++] = h->nodes[f];
                }
        }
        return vhive_image_check_distinct(paths, nodes, n, err);
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

/* SOFTWARE's host copy when it is one of the job's hives. */
static const char *software_of(const struct work *w)
{
        for (size_t k = 0; k < w->n; k++)
                if (strcmp(w->h[k].name, "SOFTWARE") == 0)
                        return w->h[k].primary;
        return NULL;
}

/* A write commits into the image through the hive's own logs
 * (image-commit.c): the files are opened and the log format is settled
 * before the session runs, so a refusal comes before anything is read or
 * written. */
static int prepare_commit(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                          const char *path, const struct vhive_job_opts *o, const struct work *w,
                          struct hive_work *h, struct vhive_job_result *r)
{
        const struct vhive_image_hive hv = {
                .config_dir = r->root.config_dir,
                .primary = h->hive_path,
                .logs = { h->guest_logs[0], h->guest_logs[1] },
                .old_logs = { h->host_logs[0], h->host_logs[1] },
                .work_dir = w->dir,
                .software = software_of(w),
                .asked = o->log_format,
                .nodes = h->nodes,
        };
        int ret = vhive_image_open_hive(be, ops, i, &hv, &h->hf, &h->t.format, &r->err);

        h->t.files = &h->hf;
        /* The direct backend's qemu-nbd holds the image under qemu's lock
         * from the launch to the end of the run, and vhive writes nothing
         * of this hive before its commit: the commit takes the download
         * as the bytes found, checking the file where it writes (issue
         * 20; lib/commit/commit.c, check_found).  The appliance reads the
         * primary again. */
        h->t.held = ret == 0 && ops->reads_in_place;
        h->t.copy = h->primary;
        if (ret == 0 && o->backup_dir && !(h->t.backup_dir = backup_dir_for(path, o->backup_dir)))
                ret = vhive_fail(&r->err, ENOMEM, "out of memory");
        return ret;
}

/* The job is done with the image: its failure to let go fails the image,
 * whose change may not have reached it.  (The appliance unmounts every
 * image at close; a failure there fails every written image.) */
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

/* Everything before the first write, for every hive: find, download and
 * check each, and open each for the commit, so that a refusal of any
 * leaves every hive unwritten.  *failed: the hive a failure belongs to. */
static int prepare_hives(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                         const char *path, const struct vhive_job_opts *o, bool writes, bool lazy,
                         struct work *w, size_t *failed, struct vhive_job_result *r)
{
        int ret = 0;

        vhive_job_progress(o, o->progress_target,
                           lazy ? "looking for the hives" : "downloading the hive", -1);
        for (size_t k = 0; k < w->n && ret == 0; k++) {
                *failed = k;
                ret = fetch_hive(be, ops, i, r->root.config_dir, r->root.device, !lazy, &w->h[k],
                                 &r->err);
        }
        if (ret < 0)
                return ret;
        *failed = w->n - 1; /* a second name: the later hive's */
        ret = check_distinct(w, &r->err);
        if (ret == 0) {
                *failed = w->n; /* the run's, not a hive's */
                ret = vhive_check_interrupt("editing the hive", &r->err);
        }
        for (size_t k = 0; k < w->n && ret == 0 && writes; k++) {
                *failed = k;
                ret = prepare_commit(be, ops, i, path, o, w, &w->h[k], r);
        }
        return ret;
}

/* Per hive from on: the failure of its own (failed; w->n: every hive's),
 * or why it was not worked on.  Returns the entry that says why: failed,
 * or the first. */
static size_t record_skipped(struct vhive_job_result *r, const struct work *w, size_t from,
                             size_t failed, int status)
{
        const struct vhive_error err = r->err;

        for (size_t k = from; k < w->n; k++) {
                r->status = status;
                r->err = err;
                r->written = r->changed = false;
                r->state = (struct vhive_hive_state){ 0 };
                snprintf(r->hive_path, sizeof(r->hive_path), "%s", w->h[k].hive_path);
                if (k != failed && failed < w->n)
                        vhive_fail(&r->err, ECANCELED, "not worked on: %s failed: nothing written",
                                   w->h[failed].name);
                vhive_job_record_hive(r, w->h[k].name);
        }
        r->err = err;
        return failed < w->n ? failed : SIZE_MAX;
}

/* The target's fields sum its hives up: status and err the failure of
 * hives[failed] (naming it, and the hives written before it, when there
 * are several; SIZE_MAX: the image's, as each hive says), written and
 * changed any hive's, state and hive_path the first hive's. */
static void summarise(struct vhive_job_result *r, size_t failed)
{
        bool image = failed == SIZE_MAX && r->n_hives > 0;
        const struct vhive_hive_result *bad = image                 ? &r->hives[0]
                                              : failed < r->n_hives ? &r->hives[failed]
                                                                    : NULL;
        char done[64] = "";

        r->written = r->changed = false;
        for (size_t k = 0; k < r->n_hives; k++) {
                const struct vhive_hive_result *h = &r->hives[k];
                size_t len = strlen(done);
                r->written |= h->written;
                r->changed |= h->changed;
                if (h->written && h != bad)
                        snprintf(done + len, sizeof(done) - len, "%s%s", len ? " and " : "",
                                 h->name);
        }
        r->status = bad ? bad->status : 0;
        if (bad && r->n_hives > 1 && !image)
                vhive_fail(&r->err, -bad->status, "%s: %.*s%s%s%s", bad->name,
                           (int)(sizeof(r->err.msg) - 100), bad->err.msg, *done ? " (" : "", done,
                           *done ? " was written)" : "");
        else if (bad)
                r->err = bad->err;
        if (r->n_hives > 0) {
                r->state = r->hives[0].state;
                snprintf(r->hive_path, sizeof(r->hive_path), "%s", r->hives[0].hive_path);
        }
}

/* op->check_first: every hive run without writing, a failure (or a dirty
 * hive whose logs cannot be replayed, which the write would refuse)
 * failing the job before the first write.  Returns the hive that failed,
 * its error in r, or w->n. */
static size_t check_hives(const struct vhive_op *op, void *ctx, const struct vhive_job_opts *o,
                          struct work *w, struct vhive_job_result *r)
{
        struct vhive_job_opts jo = *o;
        int ret = 0;

        jo.dry_run = true;
        for (size_t k = 0; k < w->n && ret == 0; k++) {
                jo.hive = w->h[k].name;
                r->changed = false;
                ret = vhive_job_run(w->h[k].primary, &w->h[k].t, op, ctx, &jo, r);
                if (ret == 0 && r->state.replay_failed)
                        ret = vhive_fail(&r->err, EUCLEAN,
                                         "the hive is dirty and its logs cannot be replayed "
                                         "(%s): refused",
                                         r->state.replay_error);
                if (ret < 0)
                        return k;
        }
        return w->n;
}

/* Each hive on its own, in order: run, commit through its own logs,
 * verify.  A stop between two leaves the first new and the second old;
 * after a failure the later hives are not worked on. */
static size_t run_hives(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                        bool lazy, const struct vhive_op *op, void *ctx,
                        const struct vhive_job_opts *o, struct work *w, struct vhive_job_result *r)
{
        struct vhive_job_opts jo = *o;
        char step[64];
        int ret = 0;

        for (size_t k = 0; k < w->n && ret == 0; k++) {
                struct hive_work *h = &w->h[k];
                r->status = 0;
                r->written = r->changed = false;
                r->state = (struct vhive_hive_state){ 0 };
                snprintf(r->hive_path, sizeof(r->hive_path), "%s", h->hive_path);
                snprintf(step, sizeof(step), "working on %s", h->name);
                ret = k ? vhive_check_interrupt(step, &r->err) : 0;
                jo.hive = h->name;
                if (ret == 0 && lazy)
                        ret = run_lazy(be, ops, i, h, op, ctx, &jo, r);
                else if (ret == 0)
                        ret = vhive_job_run(h->primary, &h->t, op, ctx, &jo, r);
                r->status = ret;
                vhive_job_record_hive(r, h->name);
                if (ret < 0) {
                        record_skipped(r, w, k + 1, k, ret);
                        return k;
                }
        }
        return w->n;
}

static int run_image(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                     const char *path, const struct vhive_op *op, void *ctx,
                     const struct vhive_job_opts *o, struct vhive_job_result *r)
{
        struct work w = { .dir = "" };
        bool writes = op->writes && !o->dry_run;
        bool lazy = image_lazy(ops, op, o);
        size_t failed = 0; /* the hive that failed; w.n: none */
        int ret = ops->image_status(be, i, &r->err);

        hive_list(op, ctx, &w);
        vhive_job_progress(o, o->progress_target, "looking for Windows", -1);
        if (ret == 0)
                ret = ops->find_root(be, i, o->root_device, &r->root, &r->err);
        if (ret == 0)
                ret = make_work(&w, &r->err);
        if (ret < 0) /* the image's failure, not a hive's: each says it */
                failed = record_skipped(r, &w, 0, w.n, ret);
        else if ((ret = prepare_hives(be, ops, i, path, o, writes, lazy, &w, &failed, r)) < 0)
                failed = record_skipped(r, &w, 0, failed, ret);
        else if (writes && op->check_first && w.n > 1 &&
                 (failed = check_hives(op, ctx, o, &w, r)) < w.n)
                failed = record_skipped(r, &w, 0, failed, r->status);
        else
                failed = run_hives(be, ops, i, lazy, op, ctx, o, &w, r);
        for (size_t k = 0; k < w.n; k++) {
                vhive_image_close_hive(be, ops, &w.h[k].hf);
                free((char *)w.h[k].t.backup_dir);
        }
        remove_work(&w);
        summarise(r, failed);
        ret = r->status;
        release(be, ops, i, &ret, r);
        r->status = ret;
        return ret;
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

/* The images of specs[from, to) in one backend launch, their targets in
 * target order: a second name of a file is worked on after the first, on
 * the same drive, as two runs one after the other would. */
struct group {
        const char *const *paths;
        size_t n;
        const struct vhive_op *op;
        void *const *ctxs;
        const struct vhive_job_opts *o;
        struct vhive_job_result *results;
        const struct vhive_image_spec *specs;
        const size_t *spec_of;
        size_t from, to;
        bool launch_failed;
};

static bool in_group(const struct group *g, size_t i)
{
        return g->spec_of[i] != NO_SPEC && g->spec_of[i] >= g->from && g->spec_of[i] < g->to;
}

static void fail_group(const struct group *g, int status, const struct vhive_error *err)
{
        for (size_t i = 0; i < g->n; i++) {
                if (!in_group(g, i))
                        continue;
                g->results[i].status = status;
                g->results[i].err = *err;
        }
}

static void run_group(struct group *g)
{
        const struct vhive_job_opts *o = g->o;
        const struct vhive_backend_ops *ops = o->backend;
        struct progress_map pm = { .o = o, .current = VHIVE_PROGRESS_RUN };
        const struct vhive_backend_launch launch = {
                .verbose = o->verbose,
                .progress = o->progress ? backend_progress : NULL,
                .progress_opaque = &pm,
        };
        struct vhive_backend *be = NULL;
        struct vhive_error err = { 0 };
        int ret;

        vhive_job_progress(o, VHIVE_PROGRESS_RUN, "opening the images", -1);
        ret = vhive_check_interrupt("opening the images", &err);
        if (ret == 0)
                ret = ops->open(&be, g->specs + g->from, g->to - g->from, &launch, &err);
        if (ret < 0) {
                fail_group(g, ret, &err);
                g->launch_failed = vhive_check_interrupt("opening the images", NULL) == 0;
                return;
        }
        const char *notice = ops->notice ? ops->notice(be) : NULL;
        for (size_t i = 0; i < g->n && notice; i++)
                if (in_group(g, i))
                        snprintf(g->results[i].notice, sizeof(g->results[i].notice), "%s", notice);
        for (size_t i = 0; i < g->n; i++) {
                struct vhive_job_opts jo = *o;
                struct vhive_job_result *r = &g->results[i];

                if (!in_group(g, i))
                        continue;
                jo.progress_target = pm.current = i;
                r->status = vhive_check_interrupt("starting", &r->err);
                if (r->status == 0)
                        run_image(be, ops, g->spec_of[i] - g->from, g->paths[i], g->op,
                                  g->ctxs ? g->ctxs[i] : NULL, &jo, r);
        }
        pm.current = VHIVE_PROGRESS_RUN;
        vhive_job_progress(o, VHIVE_PROGRESS_RUN, "closing the images", -1);
        ret = ops->close(be, &err);
        /* Without a clean shutdown a written image may not hold the change. */
        for (size_t i = 0; i < g->n && ret < 0; i++) {
                struct vhive_job_result *r = &g->results[i];
                if (in_group(g, i) && r->written && r->status == 0) {
                        r->status = ret;
                        r->err = err;
                }
        }
}

static void *group_thread(void *arg)
{
        run_group(arg);
        return NULL;
}

/* How many launches a batch of count images is split over: two where a
 * launch costs more than the images' own work (the appliance without
 * KVM: 13-20 s, against about 1.2 s an image) and two CPUs can run them
 * side by side; VHIVE_APPLIANCES=1 keeps one. */
static size_t launches_for(const struct vhive_backend_ops *ops, size_t count)
{
        const char *env = getenv("VHIVE_APPLIANCES");
        cpu_set_t cpus;

        if (!ops->split_batches || count < SPLIT_FROM ||
            sched_getaffinity(0, sizeof(cpus), &cpus) < 0 || CPU_COUNT(&cpus) < 2)
                return 1;
        return env && strcmp(env, "1") == 0 ? 1 : 2;
}

/* One launch of two failed and the other did not (two appliances need
 * twice the memory): its images are tried again, alone. */
static void retry_alone(struct group *g, size_t n)
{
        for (size_t k = 0; k < n; k++) {
                if (!g[k].launch_failed || g[1 - k].launch_failed)
                        continue;
                for (size_t i = 0; i < g[k].n; i++) {
                        if (!in_group(&g[k], i))
                                continue;
                        g[k].results[i].status = 0;
                        g[k].results[i].err = (struct vhive_error){ 0 };
                }
                g[k].launch_failed = false;
                run_group(&g[k]);
        }
}

int vhive_job_images(const char *const *paths, size_t n, const struct vhive_op *op,
                     void *const *ctxs, const struct vhive_job_opts *o,
                     struct vhive_job_result *results)
{
        const struct vhive_backend_ops *ops = o->backend;
        _cleanup_free_ struct vhive_image_spec *specs = calloc(n + 1, sizeof(*specs));
        _cleanup_free_ size_t *spec_of = calloc(n + 1, sizeof(*spec_of));
        _cleanup_free_ size_t *first = calloc(n + 1, sizeof(*first));
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
        struct group g[2];
        size_t launches = launches_for(ops, count);
        pthread_t other;

        for (size_t k = 0; k < 2; k++)
                g[k] = (struct group){ .paths = paths,
                                       .n = n,
                                       .op = op,
                                       .ctxs = ctxs,
                                       .o = o,
                                       .results = results,
                                       .specs = specs,
                                       .spec_of = spec_of,
                                       .from = k * count / launches,
                                       .to = (k + 1) * count / launches };
        if (launches == 1 || pthread_create(&other, NULL, group_thread, &g[1]) != 0) {
                g[0].to = count;
                run_group(&g[0]);
                return 0;
        }
        run_group(&g[0]);
        pthread_join(other, NULL);
        retry_alone(g, 2);
        return 0;
}
