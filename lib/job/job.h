/* A job: one operation (scrub, check, set, merge...) run on every target
 * of an invocation, the same way on hive files and on disk images.
 */
#pragma once

#include "image.h"
#include "vhive.h"

struct vhive_op {
        bool writes; /* may change the hive */
        /* Which hive of an image's System32\config the op works on
         * ("SYSTEM", "SOFTWARE"...).  NULL means SYSTEM. */
        const char *(*hive_name)(void *ctx);
        /* Reads or edits s->h.  apply=false: report what would change but
         * touch nothing.  Sets *changed when the hive was modified. */
        int (*run)(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                   struct vhive_error *err);
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
        bool verbose;
        /* dest is a host-side working copy of a hive inside an image: the
         * image is the durable copy, so the host copy is not fsync'd. */
        bool scratch;
};

struct vhive_job_result {
        int status; /* 0 or -errno; err holds the message */
        struct vhive_error err;
        bool written;
        bool changed;           /* the op changed (or would change) the hive */
        struct vhive_regf_header header; /* of the primary as found */
        bool dirty;
        bool replayed;
        struct vhive_replay_result replay;
        bool replay_failed;     /* read-only: dirty, logs unusable, file as it is */
        char replay_error[1024];
        char note[1200];        /* said on stderr even on success: a followed link */
        bool is_image;
        struct vhive_image_info image;
        struct vhive_root root;
        char hive_path[512];    /* inside the image */
        char notice[256];       /* from the backend, about the whole run; "" when none */
};

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

/* The hive-file half of a job, shared by both paths: open a session on
 * primary, run, commit to dest (when changed and not dry-run), verify. */
int vhive_job_run_on_file(const char *primary, const char *dest, const char *mode_from,
                          const struct vhive_op *op, void *ctx,
                          const struct vhive_job_opts *o, struct vhive_job_result *r);
