/* Files on the host written so that no crash loses them: backups, whole
 * reads and writes, folder syncs.  Internal to the library.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

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

/* A hive file held for one run (file-lock.c): an advisory flock on the
 * inode the path names (shared to read, exclusive to edit in place), and
 * what the file was when locked, for the check before the rename. */
struct vhive_file_lock {
        int fd;
        bool locked; /* false: the file system has no flock */
        struct stat st;
        uint8_t head[4096]; /* the base block */
        size_t head_len;
};

/* Called once when the lock is held by someone else and the run waits. */
struct vhive_lock_wait {
        void (*waiting)(void *opaque);
        void *opaque;
};

/* Opens path (no symbolic link) and locks it, waiting for another holder
 * (a signal stops the wait: ECANCELED); retakes the lock when the path was
 * renamed over meanwhile. */
int vhive_file_lock(struct vhive_file_lock *l, const char *path, bool exclusive,
                    const struct vhive_lock_wait *w, struct vhive_error *err);
/* ESTALE unless path still names the file locked, with the same size,
 * times and base block. */
int vhive_file_lock_check(const struct vhive_file_lock *l, const char *path,
                          struct vhive_error *err);
void vhive_file_unlock(struct vhive_file_lock *l);
