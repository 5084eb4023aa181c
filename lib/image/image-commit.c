/* What a logged commit into an image needs (lib/commit/commit.h, run by
 * vhive_job_run): SYSTEM and its logs opened through the backend, and the
 * log format the image's Windows reads.  Every write then lands inside an
 * existing file; nothing in the config folder is created, renamed,
 * unlinked or truncated.
 *
 * The logs must be written in the format the image's Windows reads: the
 * existing logs say which (their base block's file type); logs Windows
 * left empty say nothing, and then SOFTWARE's CurrentVersion key decides
 * (from_current_version), else --log-format; the option never overrides
 * what the image says.  A
 * missing log is refused: creating a file is an unjournaled change of the
 * folder, the very thing the logged commit exists to avoid, and Windows
 * (Vista and later) always has both.
 */
#include <errno.h>
#include <stdbool.h>
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

/* A decimal number and nothing else (strtoul would take " +9600"). */
static bool parse_number(const char *s, unsigned *n)
{
        char *end;
        unsigned long v;

        if (!s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > 0xffffffffu)
                return false;
        *n = (unsigned)v;
        return true;
}

static enum vhive_log_format by_build(unsigned build)
{
        return build >= WIN81_BUILD ? VHIVE_LOG_NEW : VHIVE_LOG_OLD;
}

static enum vhive_log_format by_version(unsigned major, unsigned minor)
{
        return major > 6 || (major == 6 && minor >= 3) ? VHIVE_LOG_NEW : VHIVE_LOG_OLD;
}

static char *string_of(hive_h *h, hive_node_h node, const char *name)
{
        hive_value_h val = hivex_node_get_value(h, node, name);

        return val ? hivex_value_string(h, val) : NULL;
}

/* A REG_DWORD value; false when absent or of another type. */
static bool dword_of(hive_h *h, hive_node_h node, const char *name, unsigned *n)
{
        hive_value_h val = hivex_node_get_value(h, node, name);
        hive_type t;
        size_t len;

        if (!val || hivex_value_type(h, val, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
                return false;
        *n = (unsigned)hivex_value_dword(h, val);
        return true;
}

/* The first of CurrentBuild, CurrentBuildNumber (Windows builds: 9600 is
 * 8.1), CurrentMajorVersionNumber (only 10 and later have it) and
 * CurrentVersion ("6.3" is 8.1; 10 and later say "6.3" too) that is
 * present and readable decides.  A value that is not a number is passed
 * over: XP's CurrentBuild says "(Obsolete data - do not use)". */
static enum vhive_log_format from_current_version(hive_h *h, hive_node_h node, char *why,
                                                  size_t len)
{
        static const char *const builds[] = { "CurrentBuild", "CurrentBuildNumber" };
        unsigned n, major, minor = 0;

        for (size_t k = 0; k < ARRAY_SIZE(builds); k++) {
                _cleanup_free_ char *s = string_of(h, node, builds[k]);
                if (parse_number(s, &n)) {
                        snprintf(why, len, "SOFTWARE's %s is %u", builds[k], n);
                        return by_build(n);
                }
        }
        if (dword_of(h, node, "CurrentMajorVersionNumber", &major)) {
                dword_of(h, node, "CurrentMinorVersionNumber", &minor);
                snprintf(why, len, "SOFTWARE's CurrentMajorVersionNumber is %u", major);
                return by_version(major, minor);
        }
        _cleanup_free_ char *v = string_of(h, node, "CurrentVersion");
        char *dot = v ? strchr(v, '.') : NULL;
        if (dot)
                *dot = '\0';
        if (dot && parse_number(v, &major) && parse_number(dot + 1, &minor)) {
                snprintf(why, len, "SOFTWARE's CurrentVersion is %u.%u", major, minor);
                return by_version(major, minor);
        }
        snprintf(why, len,
                 "SOFTWARE has no readable CurrentBuild, CurrentBuildNumber, "
                 "CurrentMajorVersionNumber or CurrentVersion");
        return VHIVE_LOG_NONE;
}

int vhive_image_log_format_from_software(const char *software, enum vhive_log_format *fmt,
                                         char *why, size_t len, struct vhive_error *err)
{
        static const char *const path[] = { "Microsoft", "Windows NT", "CurrentVersion" };
        hive_h *h = hivex_open(software, 0); /* read-only */
        hive_node_h node;

        *fmt = VHIVE_LOG_NONE;
        if (!h)
                return vhive_fail(err, errno ? errno : EIO, "SOFTWARE does not open as a hive: %s",
                                  strerror(errno ? errno : EIO));
        node = hivex_root(h);
        for (size_t k = 0; node && k < ARRAY_SIZE(path); k++)
                node = hivex_node_get_child(h, node, path[k]);
        if (node)
                *fmt = from_current_version(h, node, why, len);
        else
                snprintf(why, len, "SOFTWARE has no Microsoft\\Windows NT\\CurrentVersion key");
        hivex_close(h);
        return 0;
}

static const char *format_name(enum vhive_log_format f)
{
        return f == VHIVE_LOG_NEW ? "new" : "old";
}

#define NO_FORMAT                                                                                  \
        "the hive's logs are empty, so they do not say which log format this "                     \
        "Windows reads (new for 8.1 and later, old before), and "

/* What the image told (told, and why) against --log-format (asked): the
 * image decides, the option only fills a silence, and a contradiction is
 * refused (one of the two is wrong about this Windows). */
static int settle(enum vhive_log_format told, const char *why, enum vhive_log_format asked,
                  enum vhive_log_format *fmt, struct vhive_error *err)
{
        if (told != VHIVE_LOG_NONE && asked != VHIVE_LOG_NONE && told != asked)
                return vhive_fail(err, EINVAL,
                                  "--log-format %s contradicts the image: %s (%s format): "
                                  "nothing was written",
                                  format_name(asked), why, format_name(told));
        if (told == VHIVE_LOG_NONE && asked == VHIVE_LOG_NONE)
                return vhive_fail(err, ENOENT,
                                  NO_FORMAT "%s: refusing to guess (give --log-format new or "
                                            "old if you know which Windows this is)",
                                  why);
        *fmt = told != VHIVE_LOG_NONE ? told : asked;
        return 0;
}

static int format_from_copy(const char *software, enum vhive_log_format asked,
                            enum vhive_log_format *fmt, struct vhive_error *err)
{
        enum vhive_log_format told = VHIVE_LOG_NONE;
        struct vhive_error e;
        char why[256];

        if (vhive_image_log_format_from_software(software, &told, why, sizeof(why), &e) < 0)
                snprintf(why, sizeof(why), "%.200s", e.msg);
        return settle(told, why, asked, fmt, err);
}

/* Downloads SOFTWARE (read-only work on a private copy) for its version. */
static int format_from_image(struct vhive_backend *be, const struct vhive_backend_ops *ops,
                             size_t i, const struct vhive_image_hive *hv,
                             enum vhive_log_format *fmt, struct vhive_error *err)
{
        _cleanup_free_ char *real = NULL, *guest = NULL, *host = NULL;
        enum vhive_log_format told = VHIVE_LOG_NONE;
        struct vhive_error e;
        char why[256];
        struct vhive_node nodes[4];
        const char *paths[4] = { hv->primary, hv->logs[0], hv->logs[1], NULL };
        int r;

        if (hv->software) /* one of the job's hives: already here */
                return format_from_copy(hv->software, hv->asked, fmt, err);
        r = ops->lookup(be, i, hv->config_dir, "SOFTWARE", &real, err);
        if (r < 0)
                return r;
        if (!real) {
                snprintf(why, sizeof(why), "%s has no SOFTWARE hive to tell", hv->config_dir);
                return settle(VHIVE_LOG_NONE, why, hv->asked, fmt, err);
        }
        if (asprintf(&guest, "%s/%s", hv->config_dir, real) < 0 ||
            asprintf(&host, "%s/SOFTWARE.build", hv->work_dir) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = vhive_image_fetch_file(be, ops, i, guest, host, &nodes[3], err);
        memcpy(nodes, hv->nodes, 3 * sizeof(*nodes));
        paths[3] = guest;
        if (r == 0) /* SOFTWARE one of the files written: refused */
                r = vhive_image_check_distinct(paths, nodes, 4, err);
        if (r == 0 && vhive_image_log_format_from_software(host, &told, why, sizeof(why), &e) < 0)
                snprintf(why, sizeof(why), "%.200s", e.msg);
        remove(host);
        return r < 0 ? r : settle(told, why, hv->asked, fmt, err);
}

static int pick_format(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                       const struct vhive_image_hive *hv, enum vhive_log_format *fmt,
                       struct vhive_error *err)
{
        char why[64];
        int r = vhive_image_log_format_from_logs(hv->old_logs, fmt, err);

        if (r < 0)
                return r;
        if (*fmt == VHIVE_LOG_NONE)
                return format_from_image(be, ops, i, hv, fmt, err);
        snprintf(why, sizeof(why), "the hive's logs are in the %s format", format_name(*fmt));
        return settle(*fmt, why, hv->asked, fmt, err);
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
                r = vhive_image_check_plain(hv->primary, &hv->nodes[0], err);
        for (int k = 0; k < 2 && r == 0; k++)
                r = vhive_image_check_plain(hv->logs[k], &hv->nodes[k + 1], err);
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
