/* Running one operation on a hive file: open (replaying a dirty hive),
 * run, and when something changed, write beside, verify, rename, and only
 * then truncate the logs. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "macro.h"

static int verify_temp(const char *tmp, const struct vhive_op *op, void *ctx,
                       struct vhive_error *err)
{
        hive_h *h;
        int r = vhive_verify_header(tmp, err);

        if (r < 0 || !op->verify)
                return r;
        /* HIVEX_OPEN_WRITE reads the file into (huge-page) memory: faulting in
         * thousands of mapped pages costs more here.  Nothing is written. */
        h = hivex_open(tmp, HIVEX_OPEN_WRITE);
        if (!h)
                return vhive_fail(err, errno ? errno : EIO,
                                  "verify: the written hive does not open: %s",
                                  strerror(errno ? errno : EIO));
        r = op->verify(h, ctx, err);
        hivex_close(h);
        return r;
}

/* Only when something will be written, and before the original changes. */
static int backup(const struct vhive_session *s, const char *dir, struct vhive_error *err)
{
        const char *files[3] = { s->primary, s->logs[0], s->logs[1] };

        return vhive_backup_files(files, 3, dir, err);
}

/* Rename into place, then the logs.  The logs belong to the old primary:
 * only once the new one is durably in place may they go, or a crash would
 * lose their changes.  A clean hive beside stale logs is consistent:
 * Windows replays nothing into a clean hive. */
static int install(struct vhive_session *s, const char *tmp, const char *primary,
                   const char *dest, struct vhive_job_result *r)
{
        char why[sizeof(r->err.msg)];
        int ret;

        if (rename(tmp, dest) < 0)
                return vhive_fail(&r->err, errno, "renaming %s over %s: %s", tmp, dest,
                                  strerror(errno));
        r->written = true;
        ret = s->durable ? vhive_fsync_dir_of(dest, &r->err) : 0;
        if (ret == 0 && s->replayed && strcmp(primary, dest) == 0)
                ret = vhive_session_truncate_logs(s, &r->err);
        if (ret < 0) {
                memcpy(why, r->err.msg, sizeof(why));
                vhive_fail(&r->err, r->err.errnum,
                           "the new hive is in place, but %s; the logs were left as they "
                           "were (consistent: the new hive is clean)", why);
        }
        return ret;
}

/* Everything after the edit: temp beside dest, verify, back up, install. */
static int commit(struct vhive_session *s, const char *primary, const char *dest,
                  const char *mode_from, const struct vhive_op *op, void *ctx,
                  const struct vhive_job_opts *o, struct vhive_job_result *r)
{
        _cleanup_free_ char *tmp = NULL;
        int ret = vhive_session_write_temp(s, dest, mode_from, &tmp, &r->err);

        if (ret < 0)
                return ret;
        ret = verify_temp(tmp, op, ctx, &r->err);
        /* An image's originals are kept by the image job, from the image. */
        if (ret == 0 && o->backup_dir && !o->scratch)
                ret = backup(s, o->backup_dir, &r->err);
        if (ret == 0)
                ret = install(s, tmp, primary, dest, r);
        if (!r->written)
                unlink(tmp);
        return ret;
}

static void record_session(const struct vhive_session *s, struct vhive_job_result *r)
{
        r->header = s->header;
        r->dirty = s->dirty;
        r->replayed = s->replayed;
        r->replay = s->replay;
        r->replay_failed = s->replay_failed;
        memcpy(r->replay_error, s->replay_error, sizeof(r->replay_error));
}

int vhive_job_run_on_file(const char *primary, const char *dest, const char *mode_from,
                          const struct vhive_op *op, void *ctx,
                          const struct vhive_job_opts *o, struct vhive_job_result *r)
{
        struct vhive_session s;
        bool apply = op->writes && !o->dry_run;
        int ret = vhive_session_open(&s, primary, apply, &r->err);

        record_session(&s, r);
        s.durable = !o->scratch;
        if (ret == 0)
                ret = op->run(&s, ctx, apply, &r->changed, &r->err);
        if (ret == 0 && apply && r->changed)
                ret = commit(&s, primary, dest, mode_from, op, ctx, o, r);
        vhive_session_close(&s);
        r->status = ret;
        return ret;
}

/* A symbolic link is followed once, here, and said: the hive is edited
 * at its real path, where its logs are, and the link stays a link.  A
 * second name (hard link) would keep the old content after the rename. */
static int resolve_target(const char *path, bool writes, const struct vhive_job_opts *o,
                          char **real, struct vhive_job_result *r)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return vhive_fail(&r->err, errno, "cannot open: %s", strerror(errno));
        if (!S_ISLNK(st.st_mode))
                return (*real = strdup(path)) ? 0 : vhive_fail(&r->err, ENOMEM, "out of memory");
        *real = realpath(path, NULL);
        if (!*real)
                return vhive_fail(&r->err, errno, "cannot resolve the symbolic link: %s",
                                  strerror(errno));
        if (writes && !o->output)
                snprintf(r->note, sizeof(r->note), "is a symbolic link: editing the hive at "
                         "its real path %s", *real);
        return 0;
}

static int refuse_hard_links(const char *path, const struct vhive_job_opts *o,
                             struct vhive_error *err)
{
        struct stat st;

        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink <= 1 || o->force)
                return 0;
        return vhive_fail(err, EMLINK, "the hive has %ju hard links: vhive puts a new file in "
                          "place, so the other names would keep the old hive; remove the "
                          "other links, or pass --force to write anyway",
                          (uintmax_t)st.st_nlink);
}

int vhive_job_hive_file(const char *path, const struct vhive_op *op, void *ctx,
                        const struct vhive_job_opts *o, struct vhive_job_result *r)
{
        _cleanup_free_ char *real = NULL;
        bool writes = op->writes && !o->dry_run;

        memset(r, 0, sizeof(*r));
        r->status = resolve_target(path, writes, o, &real, r);
        if (r->status == 0 && writes && !o->output && access(real, W_OK) < 0)
                r->status = vhive_fail(&r->err, errno, "cannot write the hive: %s",
                                       strerror(errno));
        if (r->status == 0 && writes && !o->output)
                r->status = refuse_hard_links(real, o, &r->err);
        if (r->status < 0)
                return r->status;
        return vhive_job_run_on_file(real, o->output ? o->output : real, real, op, ctx, o, r);
}
