/* Files on the host written so that no crash loses them: backups, whole
 * reads and writes, folder syncs.  Internal to the library.
 */
#pragma once

#include <stdint.h>

#include "vhive.h"

/* Copies the files (NULL entries skipped) into dir (created with its
 * parents), fsync'd.  Never overwrites: when dir already holds one of the
 * names, the set goes to dir/2, dir/3... */
int vhive_backup_files(const char *const *files, size_t n, const char *dir,
                       struct vhive_error *err);
/* write(2) until done: 0 or -errno (-EIO when nothing more is written). */
int vhive_write_all(int fd, const void *data, size_t len);
/* Reads a whole file; *data malloc'd. */
int vhive_read_file(const char *path, uint8_t **data, size_t *len, struct vhive_error *err);
/* The same, refusing a symbolic link (O_NOFOLLOW): for a session's hive
 * (a job resolves a linked TARGET first) and its transaction logs, found
 * by name beside it, which must not lead elsewhere. */
int vhive_read_file_nofollow(const char *path, uint8_t **data, size_t *len,
                             struct vhive_error *err);
/* fsync of the folder holding path. */
int vhive_fsync_dir_of(const char *path, struct vhive_error *err);
