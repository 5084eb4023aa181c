/* Putting a new hive into a disk image: the backend's files and the log
 * format for the logged commit (lib/commit/commit.h), image-commit.c.
 */
#pragma once

#include "commit.h"
#include "image.h"

struct vhive_image_hive {
        const char *config_dir;  /* in the image: "/Windows/System32/config" */
        const char *primary;     /* in the image: CONFIG/SYSTEM */
        const char *logs[2];     /* in the image: CONFIG/SYSTEM.LOG1/2; "" when absent */
        const char *old_logs[2]; /* host: the logs as downloaded; "" when absent */
        const char *work_dir;    /* host: a private folder for SOFTWARE */
        /* host: SOFTWARE as the job downloaded it (one of its hives, its
         * files checked distinct from every other); NULL: downloaded here
         * when the logs do not tell the format. */
        const char *software;
        enum vhive_log_format asked;    /* --log-format; VHIVE_LOG_NONE when not given */
        const struct vhive_node *nodes; /* primary, logs[0], logs[1] as fetched */
};

/* Refuses, touching nothing, when a log file is missing, when the hive or
 * a log is not a plain file (sparse, compressed, encrypted), when SOFTWARE
 * is one of them or when nothing tells which log format the image's
 * Windows reads; otherwise opens SYSTEM and its logs for writing and says
 * the format. */
int vhive_image_open_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                          const struct vhive_image_hive *hv, struct vhive_hive_files *hf,
                          enum vhive_log_format *fmt, struct vhive_error *err);
void vhive_image_close_hive(struct vhive_backend *be, const struct vhive_backend_ops *ops,
                            struct vhive_hive_files *hf);

/* The log format from the logs' base blocks: VHIVE_LOG_NONE when both are
 * empty, absent or unusable; -EINVAL when they disagree. */
int vhive_image_log_format_from_logs(const char *const logs[2], enum vhive_log_format *fmt,
                                     struct vhive_error *err);
/* From SOFTWARE\Microsoft\Windows NT\CurrentVersion of a SOFTWARE hive
 * file: CurrentBuild, else CurrentBuildNumber (9600, Windows 8.1, or more:
 * new), else CurrentMajorVersionNumber, else CurrentVersion (6.3 or more:
 * new).  VHIVE_LOG_NONE when none tells; why says which value decided, or
 * why none did.  -errno when the file does not open as a hive. */
int vhive_image_log_format_from_software(const char *software, enum vhive_log_format *fmt,
                                         char *why, size_t len, struct vhive_error *err);
