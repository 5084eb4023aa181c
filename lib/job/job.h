/* A job: one operation (scrub, check, set, merge...) run on every target
 * of an invocation, the same way on hive files and on disk images.
 */
#pragma once

#include "commit.h"
#include "hive.h"
#include "image.h"
#include "safe-file.h"

struct vhive_op {
        bool writes; /* may change the hive */
        /* run() edits only s->bytes (in place), never through hivex: hivex
         * opens the session's memfd read-only and maps it, keeping no copy
         * of its own. */
        bool in_place;
        const char *step; /* what run() does, for progress: "scrubbing" */
        /* The hives of an image's System32\config the op works on, in
         * order ("SYSTEM", "SOFTWARE"), into names; returns how many
         * (1..VHIVE_MAX_HIVES).  NULL: SYSTEM alone.  Each hive is opened,
         * run, committed and verified on its own, with s->hive naming it,
         * so a stop between two leaves the first new and the second old.
         * A hive file is one hive: s->hive is NULL, the op tells by
         * content. */
        size_t (*hive_names)(void *ctx, const char *names[VHIVE_MAX_HIVES]);
        /* With several hives, each is first run with apply=false, so that
         * an error in any (a merge's plan) stops the job before the first
         * write.  Costs one more session per hive; an op whose ctx sums
         * up every run must not set it. */
        bool check_first;
        /* Reads or edits s->h.  apply=false: report what would change but
         * touch nothing.  Sets *changed when the hive was modified. */
        int (*run)(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                   struct vhive_error *err);
        /* run() reads only through s->reader when it is set (s->h is then
         * NULL): a read-only run on a clean hive gets the lazy reader,
         * which reads only the cells asked for (lib/hive/lazy-reader.c).
         * When that reader refused something, the job runs it again the
         * full way (hivex) after forget_last, which drops what that run
         * added to ctx. */
        bool lazy_read;
        void (*forget_last)(void *ctx);
        /* After a commit: checks the committed hive (opened read-only). */
        int (*verify)(hive_h *h, void *ctx, struct vhive_error *err);
};

struct vhive_job_opts {
        bool dry_run;
        const char *output;      /* -o FILE: hive files only, one target */
        const char *backup_dir;  /* --backup DIR */
        bool force;              /* override .lok and version refusals */
        const char *format;      /* --format, NULL = detect */
        const char *root_device; /* --root */
        const struct vhive_backend_ops *backend;
        /* --log-format: used when nothing in an image tells which format
         * its Windows reads; VHIVE_LOG_NONE when not given. */
        enum vhive_log_format log_format;
        bool verbose;
        /* Progress (vhive.h): the callback sees run indexes; this job's
         * index i is index_map[i] (NULL: i itself). */
        vhive_progress_fn *progress;
        void *progress_opaque;
        const size_t *index_map;
        size_t progress_target; /* the target vhive_job_run works on */
        /* The hive of an image vhive_job_run works on ("SYSTEM",
         * "SOFTWARE"): the session's hive; NULL for a hive file. */
        const char *hive;
};

/* Where a job's new hive goes. */
enum vhive_commit_kind {
        /* A hive file on a Linux filesystem: a temp file beside dest (mode
         * from mode_from, else dest), fsync'd, verified, renamed over dest,
         * the folder fsync'd.  Atomic there. */
        VHIVE_COMMIT_RENAME,
        /* SYSTEM inside an image: in place through files, guarded by the
         * hive's own transaction log (vhive_commit_logged), then read back
         * through files->primary and verified. */
        VHIVE_COMMIT_LOGGED,
};

struct vhive_commit_target {
        enum vhive_commit_kind kind;
        /* RENAME */
        const char *dest;
        const char *mode_from; /* NULL: dest's own mode */
        /* Held on dest when it is edited in place: dest must still be the
         * file locked and read, checked right before the rename (ESTALE). */
        const struct vhive_file_lock *lock;
        /* Edited in place where it is, and a lazy read found edits to
         * make: the temp file's writeback starts as soon as it is filled. */
        bool early_writeback;
        /* LOGGED */
        const struct vhive_hive_files *files;
        enum vhive_log_format format; /* VHIVE_LOG_NONE: as the existing logs say */
        /* files held by this run alone since copy was made from the
         * primary (struct vhive_commit_in) */
        bool held;
        /* When held: the primary as downloaded, the file the job
         * runs on.  The commit maps it as the bytes found (and, for a
         * clean hive, as the bytes the edit was made on) instead of
         * reading the primary again and copying the session's bytes. */
        const char *copy;
        /* The originals are copied here before the first write (NULL: no
         * backup).  RENAME uses the job's --backup DIR. */
        const char *backup_dir;
        struct vhive_commit_stats stats; /* LOGGED: filled by the commit */
};

/* Copies the result's hive fields (status, written, state...) into its
 * next hives[] entry, named name (NULL: a hive file). */
void vhive_job_record_hive(struct vhive_job_result *r, const char *name);

/* Reports a step (or, with step NULL, a fraction) of target i, or of
 * VHIVE_PROGRESS_RUN, when o has a progress callback. */
void vhive_job_progress(const struct vhive_job_opts *o, size_t i, const char *step,
                        double fraction);

/* One hive file on the host. */
int vhive_job_hive_file(const char *path, const struct vhive_op *op, void *ctx,
                        const struct vhive_job_opts *o, struct vhive_job_result *r);

/* Every image of the invocation in one backend launch.  ctxs[i] and
 * results[i] belong to paths[i].  A failure on one image does not stop the
 * others.  Returns -errno only when the backend cannot start at all (then
 * every result carries that error too). */
int vhive_job_images(const char *const *paths, size_t n, const struct vhive_op *op,
                     void *const *ctxs, const struct vhive_job_opts *o,
                     struct vhive_job_result *results);

/* The hive half of a job, shared by both paths: open a session on primary
 * (a hive file, its NAME.LOG1/LOG2 beside it, replayed into memory when
 * dirty; for an image, host-side copies of the image's files), run the op,
 * and when it changed the hive (and not dry-run) commit the new bytes to
 * t and verify them.  The logs are never truncated: once the primary is
 * clean, Windows ignores logs older than it, and that is how it leaves
 * them itself.
 *
 * For an image: download SYSTEM and its logs into a private folder, call
 * this with primary = that copy and t = { .kind = VHIVE_COMMIT_LOGGED,
 * .files = the image's files, .format = the format the image's Windows
 * reads (or VHIVE_LOG_NONE to take it from the logs) }.  The copies are
 * only read; r->written says whether the image was changed. */
int vhive_job_run(const char *primary, struct vhive_commit_target *t, const struct vhive_op *op,
                  void *ctx, const struct vhive_job_opts *o, struct vhive_job_result *r);
/* An op with lazy_read, not writing: whether it may read f's hive lazily
 * (VHIVE_CHECK_FULL_READ, set and not "0", says no). */
bool vhive_job_lazy(const struct vhive_op *op, const struct vhive_job_opts *o);
/* The op run on the hive in f through the lazy reader: 0 or -errno as
 * vhive_job_run; 1, with r and ctx as before, when the hive must be read
 * the full way (dirty, or a structure the lazy reader refused). */
int vhive_job_run_lazy(struct vhive_file *f, const struct vhive_op *op, void *ctx,
                       const struct vhive_job_opts *o, struct vhive_job_result *r);
