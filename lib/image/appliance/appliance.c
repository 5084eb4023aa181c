/* The libguestfs backend: one handle, one drive per image, one launch.
 *
 * Guest paths handed to the per-image calls are relative to the Windows
 * volume ("/Windows/System32/config/SYSTEM"); each image's Windows volume
 * is mounted on its own mountpoint (/img0, /img1...) when the job comes
 * to it, and is out of reach once the job is done with it (release; close
 * unmounts them all in one round trip); every path is resolved and must
 * stay under that mountpoint (appliance-files.c), so images never see each
 * other's files.  Errors come from guestfs_last_error (no handler
 * prints anything).
 */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appliance-internal.h"
#include "macro.h"

extern char **environ;

#define UMOUNT "exec umount"

void ap_free_strings(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

/* "what: libguestfs' reason" with its errno (EIO when it gave none). */
int ap_gfail(struct vhive_backend *be, struct vhive_error *err, const char *fmt, ...)
{
        const char *why = guestfs_last_error(be->g);
        int e = guestfs_last_errno(be->g);
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return vhive_fail(err, e > 0 ? e : EIO, "%s: %s", what, why ? why : "unknown error");
}

unsigned ap_lstat_type(struct vhive_backend *be, const char *path, uint64_t *ino)
{
        struct guestfs_statns *st = guestfs_lstatns(be->g, path);
        unsigned type = st ? (unsigned)st->st_mode & S_IFMT : 0;

        if (st && ino)
                *ino = (uint64_t)st->st_ino;
        if (st)
                guestfs_free_statns(st);
        return type;
}

/* Appliance path of a volume-relative guest path. */
char *ap_guest(const struct image *img, const char *path)
{
        char *s;

        if (asprintf(&s, "%s%s%s", img->mnt, *path == '/' ? "" : "/", path) < 0)
                return NULL;
        return s;
}

/* ---- opening ----------------------------------------------------------- */

/* Runs a qemu tool on the image: 0 when it exits 0, else its first line of
 * stderr in msg and 1; -errno when it cannot run. */
static int run_qemu_tool(const char *const argv[], char *msg, size_t size, struct vhive_error *err)
{
        posix_spawn_file_actions_t fa;
        int pipefd[2], status, rc;
        ssize_t n;
        size_t got = 0;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return vhive_fail(err, errno, "cannot create a pipe: %m");
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
        rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char **)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (rc != 0) {
                close(pipefd[0]);
                return vhive_fail(err, rc, "cannot run %s: %s", argv[0], strerror(rc));
        }
        while ((n = read(pipefd[0], msg + got, size - 1 - got)) > 0)
                got += (size_t)n;
        close(pipefd[0]);
        msg[got] = '\0';
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* Runs "qemu-img info" on the image so that a damaged, foreign or locked
 * image is reported for itself instead of failing the launch of all.  An
 * image to write is also opened for writing (qemu-io), which is what the
 * launch does: another process that reads it (a VM with a read-only
 * drive, qemu-nbd -r) lets "info" pass and makes qemu refuse the launch. */
static int probe_image(const struct image *img, struct vhive_error *err)
{
        const char *info[] = { "qemu-img", "info", "-f", img->format, "--", img->path, NULL };
        const char *open_rw[] = {
                "qemu-io", "-f", img->format, "-c", "quit", "--", img->path, NULL
        };
        char msg[768] = "";
        int rc = run_qemu_tool(info, msg, sizeof(msg), err);

        if (rc == 0 && !img->readonly)
                rc = run_qemu_tool(open_rw, msg, sizeof(msg), err);
        if (rc <= 0)
                return rc;
        /* A read-write open replays a dirty VHDX log; only a read-only one fails. */
        if (!img->readonly && strstr(msg, "needs to be replayed"))
                return 0;
        msg[strcspn(msg, "\n")] = '\0';
        if (strstr(msg, "\" lock")) /* Failed to get "write" lock */
                return vhive_fail(err, EBUSY,
                                  "the image is in use (a running VM?): %s; "
                                  "shut it down first",
                                  msg);
        if (strstr(msg, "needs to be replayed"))
                return vhive_fail(err, EIO,
                                  "the VHDX log is dirty (the image was not "
                                  "closed cleanly) and a read-only open cannot replay it: "
                                  "run 'qemu-img check -r all' on it first");
        return vhive_fail(err, EINVAL,
                          "the image cannot be opened as %s (damaged, or not "
                          "that format?): %s",
                          img->format, msg);
}

static void add_drive(struct vhive_backend *be, struct image *img, int *drives)
{
        img->status = probe_image(img, &img->err);
        if (img->status < 0)
                return;
        if (guestfs_add_drive_opts(be->g, img->path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, img->format,
                                   GUESTFS_ADD_DRIVE_OPTS_READONLY, img->readonly, -1) < 0) {
                img->status = ap_gfail(be, &img->err, "cannot add the image to the appliance");
                return;
        }
        img->drive = (*drives)++;
}

static void appliance_free(struct vhive_backend *be)
{
        if (!be)
                return;
        if (be->g)
                guestfs_close(be->g);
        vhive_watchdog_stop(&be->watchdog); /* after qemu is gone: a kill until then stops it */
        for (size_t i = 0; i < be->n; i++) {
                free(be->imgs[i].path);
                free(be->imgs[i].format);
                free(be->imgs[i].ls_dir);
                ap_free_strings(be->imgs[i].ls_names);
                ap_forget(&be->imgs[i]);
        }
        free(be->imgs);
        ap_free_strings(be->devices);
        ap_free_strings(be->parts);
        free(be->probe);
        free(be);
}

static int init_images(struct vhive_backend *be, const struct vhive_image_spec *specs, size_t n,
                       struct vhive_error *err)
{
        be->imgs = calloc(n, sizeof(*be->imgs));
        if (!be->imgs)
                return vhive_fail(err, ENOMEM, "out of memory");
        be->n = n;
        for (size_t i = 0; i < n; i++) {
                struct image *img = &be->imgs[i];
                img->path = strdup(specs[i].path);
                img->format = strdup(specs[i].format ? specs[i].format : "raw");
                if (!img->path || !img->format)
                        return vhive_fail(err, ENOMEM, "out of memory");
                img->readonly = specs[i].readonly;
                img->drive = -1;
                snprintf(img->mnt, sizeof(img->mnt), "/img%zu", i);
        }
        return 0;
}

/* libguestfs reports a failed launch in several messages and ends with
 * boilerplate; keep the first lines, which say what failed. */
static void record_launch_error(guestfs_h *g, void *opaque, const char *msg)
{
        struct vhive_backend *be = opaque;
        size_t used = strlen(be->launch_errors);
        int len = (int)strcspn(msg, "\n");

        (void)g;
        while (len > 0 && msg[len - 1] == '.')
                len--; /* the pieces are joined with "; " */
        if (used == 0)
                snprintf(be->launch_errors, sizeof(be->launch_errors), "%.*s", len, msg);
        else if (!strstr(be->launch_errors, "; ") && !strstr(msg, "guestfs_launch failed"))
                snprintf(be->launch_errors + used, sizeof(be->launch_errors) - used, "; %.*s", len,
                         msg);
}

/* libguestfs' progress events: the launch's twelfths (after its first
 * seconds), and the position of long transfers such as a download. */
static void on_progress(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags,
                        const char *buf, size_t buf_len, const uint64_t *array, size_t n)
{
        struct vhive_backend *be = opaque;

        (void)g, (void)event, (void)handle, (void)flags, (void)buf, (void)buf_len;
        if (n >= 4 && array[3] > 0)
                be->launch->progress(be->launch->progress_opaque, VHIVE_PROGRESS_RUN, NULL,
                                     (double)array[2] / (double)array[3]);
}

static void launch_progress(struct vhive_backend *be)
{
        if (!be->launch || !be->launch->progress)
                return;
        guestfs_set_event_callback(be->g, on_progress, GUESTFS_EVENT_PROGRESS, 0, be);
        be->launch->progress(be->launch->progress_opaque, VHIVE_PROGRESS_RUN,
                             *be->notice ? "launching the appliance (software emulation)"
                                         : "launching the appliance",
                             -1);
}

static int launch_drives(struct vhive_backend *be, bool verbose, int *drives)
{
        *drives = 0;
        guestfs_set_error_handler(be->g, NULL, NULL);
        if (verbose) {
                guestfs_set_verbose(be->g, 1);
                guestfs_set_trace(be->g, 1);
        }
        for (size_t i = 0; i < be->n; i++)
                add_drive(be, &be->imgs[i], drives);
        if (*drives == 0)
                return 0; /* every image already has its error: no launch */
        be->launch_errors[0] = '\0';
        launch_progress(be);
        guestfs_set_error_handler(be->g, record_launch_error, be);
        int r = guestfs_launch(be->g);
        guestfs_set_error_handler(be->g, NULL, NULL);
        return r;
}

static int new_handle(struct vhive_backend *be, struct vhive_error *err)
{
        be->g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
        if (!be->g)
                return vhive_fail(err, errno ? errno : ENOMEM,
                                  "cannot create a libguestfs "
                                  "handle: %m");
        /* The handler goes first so that even a bad LIBGUESTFS_* variable
         * is reported through err, not printed. */
        guestfs_set_error_handler(be->g, NULL, NULL);
        if (guestfs_parse_environment(be->g) < 0)
                return ap_gfail(be, err, "bad libguestfs environment");
        /* qemu in a process group of its own: a terminal's ^C reaches vhive
         * alone, which finishes the step in progress and shuts qemu down,
         * instead of losing the appliance in the middle of a write. */
        if (guestfs_set_pgroup(be->g, 1) < 0)
                return ap_gfail(be, err, "cannot set the appliance's process group");
        /* No sync(2) of the whole appliance at the end (issue 17): every
         * step of a commit already ended with an fsync of its file, which
         * flushes that image alone, and a sync flushes every disk again
         * (4.8 s of 8 images' 48 s under TCG, 0.8 s of one).  What could
         * still be in the appliance's cache after the last barrier is
         * ntfs-3g's unmount (file times), which a power cut at that
         * instant loses too: the crash model's last state.  qemu flushes
         * its own metadata (qcow2 tables, VHDX headers) as it exits. */
        if (guestfs_set_autosync(be->g, 0) < 0)
                return ap_gfail(be, err, "cannot turn the appliance's autosync off");
        return 0;
}

/* KVM can exist and still make qemu abort (nested virtualisation on cloud
 * VMs: "failed to set MSR").  Software emulation is slower but works. */
static bool may_retry_with_tcg(struct vhive_backend *be)
{
        _cleanup_free_ char *tcg = NULL;

        if (access("/dev/kvm", R_OK | W_OK) < 0)
                return false; /* libguestfs used TCG already */
        tcg = guestfs_get_backend_setting(be->g, "force_tcg");
        return tcg == NULL; /* not already forced */
}

static int relaunch_with_tcg(struct vhive_backend *be, bool verbose, int *drives,
                             struct vhive_error *err)
{
        char first[sizeof(be->launch_errors)];

        memcpy(first, be->launch_errors, sizeof(first));
        guestfs_close(be->g);
        for (size_t i = 0; i < be->n; i++) {
                be->imgs[i].drive = -1;
                be->imgs[i].status = 0;
        }
        if (new_handle(be, err) < 0)
                return -1;
        if (guestfs_set_backend_setting(be->g, "force_tcg", "1") < 0)
                return ap_gfail(be, err, "cannot ask libguestfs for software emulation");
        snprintf(be->notice, sizeof(be->notice),
                 "the appliance failed to start with KVM (%.120s); using software "
                 "emulation (TCG), which is slower",
                 first);
        return launch_drives(be, verbose, drives);
}

static int launch(struct vhive_backend *be, bool verbose, struct vhive_error *err)
{
        int drives, r = launch_drives(be, verbose, &drives);

        if (r < 0 && may_retry_with_tcg(be))
                r = relaunch_with_tcg(be, verbose, &drives, err);
        if (drives == 0)
                return 0;
        if (r < 0)
                return vhive_fail(err, EIO,
                                  "cannot launch the libguestfs appliance: %s "
                                  "(run 'libguestfs-test-tool' to see why)",
                                  *be->launch_errors ? be->launch_errors : "unknown error");
        return ap_list_disks(be, (size_t)drives, err);
}

/* qemu keeps a writable qcow2's L2 tables and refcounts in memory: after a
 * write, the watchdog lets it exit in order (watchdog.c). */
static bool writable_qcow2(const struct vhive_backend *be)
{
        for (size_t i = 0; i < be->n; i++)
                if (be->imgs[i].status == 0 && !be->imgs[i].readonly && be->imgs[i].format &&
                    strcmp(be->imgs[i].format, "qcow2") == 0)
                        return true;
        return false;
}

static int appliance_open(struct vhive_backend **out, const struct vhive_image_spec *specs,
                          size_t n, const struct vhive_backend_launch *bl, struct vhive_error *err)
{
        struct vhive_backend *be = calloc(1, sizeof(*be));
        bool verbose = bl && bl->verbose;
        int r;

        if (!be)
                return vhive_fail(err, ENOMEM, "out of memory");
        be->launch = bl;
        r = new_handle(be, err);
        if (r == 0)
                r = init_images(be, specs, n, err);
        /* libguestfs' own recovery process kills qemu within ~2 s of a
         * vhive death (on by default: kept on); the watchdog does it at
         * once, from before the launch: a kill while the appliance boots
         * (20 s and more without KVM) is the likeliest. */
        if (r == 0 && guestfs_set_recovery_proc(be->g, 1) < 0)
                r = ap_gfail(be, err, "cannot enable libguestfs' recovery process");
        if (r == 0)
                vhive_watchdog_start(&be->watchdog, 0, writable_qcow2(be));
        if (r == 0)
                r = launch(be, verbose, err);
        if (r == 0 && be->devices)
                vhive_watchdog_set_helper(&be->watchdog, guestfs_get_pid(be->g));
        if (r < 0) {
                appliance_free(be);
                return r;
        }
        *out = be;
        return 0;
}

static const char *appliance_notice(struct vhive_backend *be)
{
        return *be->notice ? be->notice : NULL;
}

static int appliance_image_status(struct vhive_backend *be, size_t i, struct vhive_error *err)
{
        struct image *img = &be->imgs[i];

        if (img->status < 0 && err)
                *err = img->err;
        return img->status;
}

/* One umount of the mountpoints in cmd (after "exec umount"). */
static int run_umount(struct vhive_backend *be, char *cmd, size_t *len, struct vhive_error *err)
{
        char *args[2] = { cmd, NULL };
        char *out;

        if (*len == strlen(UMOUNT))
                return 0;
        out = guestfs_debug(be->g, "sh", args);
        *len = strlen(UMOUNT);
        cmd[*len] = '\0';
        if (!out)
                return ap_gfail(be, err, "cannot unmount the images");
        free(out);
        return 0;
}

/* Every image's Windows volume still mounted (appliance_release), in one
 * umount: one fork of the appliance's daemon instead of one per image.
 * umount returns once ntfs-3g has written the volume and exited; it fails
 * when any of them fails. */
static int unmount_all(struct vhive_backend *be, struct vhive_error *err)
{
        char cmd[1024] = UMOUNT;
        size_t len = strlen(cmd);

        for (size_t i = 0; i < be->n; i++) {
                struct image *img = &be->imgs[i];

                if (!img->found && !img->idle)
                        continue;
                img->found = img->idle = false;
                if (len + sizeof(img->mnt) + 16 > sizeof(cmd) && run_umount(be, cmd, &len, err) < 0)
                        return -err->errnum;
                /* mnt is "/imgN": nothing to quote */
                len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " \"$root\"%s", img->mnt);
        }
        return run_umount(be, cmd, &len, err);
}

static int appliance_close(struct vhive_backend *be, struct vhive_error *err)
{
        int r = 0;

        if (!be)
                return 0;
        if (be->devices) {
                r = unmount_all(be, err);
                if (guestfs_umount_all(be->g) < 0 && r == 0)
                        r = ap_gfail(be, err, "cannot unmount the images");
                /* The commit flushed the hive and its logs; what reaches the
                 * image files now is qemu's own metadata (qcow2 refcounts,
                 * VHDX headers), flushed as it exits (no autosync: see
                 * new_handle). */
                if (guestfs_shutdown(be->g) < 0 && r == 0)
                        r = ap_gfail(be, err,
                                     "the appliance did not shut down cleanly; "
                                     "changes may not have reached the images");
        }
        appliance_free(be);
        return r;
}

const struct vhive_backend_ops vhive_backend_appliance = {
        .name = "appliance",
        .split_batches = true,
        .open = appliance_open,
        .image_status = appliance_image_status,
        .find_root = appliance_find_root,
        .lookup = appliance_lookup,
        .lstat = appliance_lstat,
        .download = appliance_download,
        .open_file = appliance_open_file,
        .close_file = appliance_close_file,
        .release = appliance_release,
        .close = appliance_close,
        .notice = appliance_notice,
};
