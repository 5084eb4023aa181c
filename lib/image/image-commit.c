/* What a logged commit into an image needs (lib/commit/commit.h, run by
 * vhive_job_run): SYSTEM and its logs opened through the backend, and the
 * log format the image's Windows reads.  Every write then lands inside an
 * existing file; nothing in the config folder is created, renamed,
 * unlinked or truncated.
 *
 * The logs must be written in the format the image's Windows reads: the
 * existing logs say which (their base block's file type); logs Windows
 * left empty say nothing, and then SOFTWARE's CurrentBuild decides.  A
 * missing log is refused: creating a file is an unjournaled change of the
 * folder, the very thing the logged commit exists to avoid, and Windows
 * (Vista and later) always has both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hivex.h>

#include "hive.h"
#include "image-commit.h"
#include "macro.h"
#include "safe-file.h"

#define WIN81_BUILD 9600u

static enum vhive_log_format file_format(const char *path)
{
        _cleanup_free_ uint8_t *data = NULL;
        struct vhive_replay_result res;
        struct vhive_error e;
        size_t len = 0;

        if (!*path || vhive_read_file(path, &data, &len, &e) < 0 || len == 0)
                return VHIVE_LOG_NONE;
        /* Only the logs' base blocks matter here; the primary is not needed. */
        vhive_logs_describe(NULL, 0, data, len, NULL, 0, &res);
        return res.log[0].format == VHIVE_LOG_INVALID ? VHIVE_LOG_NONE : res.log[0].format;
}

int vhive_image_log_format_from_logs(const char *const logs[2], enum vhive_log_format *fmt,
                                     struct vhive_error *err)
{
        enum vhive_log_format a = file_format(logs[0]), b = file_format(logs[1]);

        if (a != VHIVE_LOG_NONE && b != VHIVE_LOG_NONE && a != b)
                return vhive_fail(err, EINVAL,
                                  "the hive's two logs are in different formats "
                                  "(file types %d and %d): refusing to guess which one "
                                  "Windows reads",
                                  a, b);
        *fmt = a != VHIVE_LOG_NONE ? a : b;
        return 0;
}

static int current_build(hive_h *h, unsigned *build, struct vhive_error *err)
{
        static const char *const path[] = { "Microsoft", "Windows NT", "CurrentVersion" };
        hive_node_h node = hivex_root(h);
        hive_value_h val;
        _cleanup_free_ char *s = NULL;
        char *end;

        for (size_t k = 0; node && k < ARRAY_SIZE(path); k++)
                node = hivex_node_get_child(h, node, path[k]);
        val = node ? hivex_node_get_value(h, node, "CurrentBuild") : 0;
        s = val ? hivex_value_string(h, val) : NULL;
        if (!s)
                return vhive_fail(err, ENOENT,
                                  "SOFTWARE has no readable Microsoft\\Windows "
                                  "NT\\CurrentVersion\\CurrentBuild");
        errno = 0;
        *build = (unsigned)strtoul(s, &end, 10);
        if (errno || end == s || *end)
                return vhive_fail(err, EINVAL,
                                  "SOFTWARE's CurrentBuild is \"%s\", not a "
                                  "number",
                                  s);
        return 0;
}

int vhive_image_log_format_from_software(const char *software, enum vhive_log_format *fmt,
                                         unsigned *build, struct vhive_error *err)
{
        hive_h *h = hivex_open(software, 0); /* read-only */
        int r;

        if (!h)
                return vhive_fail(err, errno ? errno : EIO,
                                  "SOFTWARE does not open as a "
                                  "hive: %s",
                                  strerror(errno ? errno : EIO));
        r = current_build(h, build, err);
        hivex_close(h);
        if (r == 0)
                *fmt = *build >= WIN81_BUILD ? VHIVE_LOG_NEW : VHIVE_LOG_OLD;
        return r;
}

#define NO_FORMAT                                                                                  \
        "the hive's logs are empty, so they do not say which log format this "                     \
        "Windows reads (new for 8.1 and later, old before), and "

/* Downloads SOFTWARE (read-only work on a private copy) for its build. */
static int format_from_image(struct vhive_backend *be, const struct vhive_backend_ops *ops,
                             size_t i, const struct vhive_image_hive *hv,
                             enum vhive_log_format *fmt, struct vhive_error *err)
{
        _cleanup_free_ char *real = NULL, *guest = NULL, *host = NULL;
        struct vhive_error e;
        unsigned build = 0;
        int r = ops->lookup(be, i, hv->config_dir, "SOFTWARE", &real, err);

        if (r < 0)
                return r;
        if (!real)
                return vhive_fail(err, ENOENT,
                                  NO_FORMAT "%s has no SOFTWARE hive to read "
                                            "CurrentBuild from: refusing to guess",
                                  hv->config_dir);
        if (asprintf(&guest, "%s/%s", hv->config_dir, real) < 0 ||
            asprintf(&host, "%s/SOFTWARE.build", hv->work_dir) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = vhive_image_fetch_file(be, ops, i, guest, host, err);
        if (r == 0 && vhive_image_log_format_from_software(host, fmt, &build, &e) < 0)
                r = vhive_fail(err, e.errnum, NO_FORMAT "%s: refusing to guess", e.msg);
        remove(host);
        return r;
}

static int pick_format(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                       const struct vhive_image_hive *hv, enum vhive_log_format *fmt,
                       struct vhive_error *err)
{
        int r = vhive_image_log_format_from_logs(hv->old_logs, fmt, err);

        if (r < 0 || *fmt != VHIVE_LOG_NONE)
                return r;
        return format_from_image(be, ops, i, hv, fmt, err);
}

static int check_logs(const struct vhive_image_hive *hv, struct vhive_error *err)
{
        for (int k = 0; k < 2; k++)
                if (!*hv->logs[k])
                        return vhive_fail(err, ENOENT,
                                          "%s.LOG%d is missing: vhive writes "
                                          "into an image only through the hive's own logs, "
                                          "and creates no file there (a new file is an "
                                          "unjournaled change of the folder). Boot Windows "
                                          "once, which recreates it, or restore it",
                                          hv->primary, k + 1);
        return 0;
}

void vhive_image_close_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops,
                            struct vhive_hive_files *hf)
{
        ops->close_file(be, hf->primary);
        ops->close_file(be, hf->log[0]);
        ops->close_file(be, hf->log[1]);
        *hf = (struct vhive_hive_files){ 0 };
}

int vhive_image_open_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                          const struct vhive_image_hive *hv, struct vhive_hive_files *hf,
                          enum vhive_log_format *fmt, struct vhive_error *err)
{
        int r = check_logs(hv, err);

        *hf = (struct vhive_hive_files){ 0 };
        if (r == 0)
                r = pick_format(be, ops, i, hv, fmt, err);
        if (r == 0)
                r = ops->open_file(be, i, hv->primary, true, &hf->primary, err);
        for (int k = 0; k < 2 && r == 0; k++)
                r = ops->open_file(be, i, hv->logs[k], true, &hf->log[k], err);
        if (r < 0)
                vhive_image_close_hive(be, ops, hf);
        return r;
}
