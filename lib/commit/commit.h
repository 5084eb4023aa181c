/* Committing a new hive over an old one inside a disk image, the way
 * Windows does: the changed pages go to the hive's transaction log first,
 * then the primary is updated in place between its two sequence numbers.
 * At every instant the files hold a state that Windows (and vhive's own
 * replay) recovers to the old or to the new hive.
 *
 * The protocol knows nothing of where the files live: each backend hands
 * it a struct vhive_file for SYSTEM and for each log (libguestfs pwrite on
 * the mounted file, libntfs-3g attribute writes, or a plain fd in tests).
 * Hive files on a Linux filesystem keep the temp-file + rename commit
 * (lib/commit/safe-file.c), which is atomic there.
 */
#pragma once

#include <stdint.h>

#include "vhive.h"

struct vhive_file;

/* Every call returns 0 or -errno with a message in err. */
struct vhive_file_ops {
        int (*size)(struct vhive_file *f, uint64_t *size, struct vhive_error *err);
        int (*pread)(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                     struct vhive_error *err);
        /* Writes inside the file's current size only: never allocates. */
        int (*pwrite)(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                      struct vhive_error *err);
        /* Durable: the data written so far reaches the disk image file. */
        int (*flush)(struct vhive_file *f, struct vhive_error *err);
        /* Grows the file to size, allocated (not sparse), zero-filled, and
         * flushed.  The one call that changes filesystem metadata: the
         * protocol makes it only before a commit starts. */
        int (*extend)(struct vhive_file *f, uint64_t size, struct vhive_error *err);
};

struct vhive_file {
        const struct vhive_file_ops *ops;
        const char *name; /* for messages: the path inside the image */
        void *priv;
};

/* SYSTEM and its logs as they are in the image.  A log is NULL when the
 * file does not exist. */
struct vhive_hive_files {
        struct vhive_file *primary;
        struct vhive_file *log[2]; /* NAME.LOG1, NAME.LOG2 */
};

/* What a logged commit did, for reports and benchmarks. */
struct vhive_commit_stats {
        unsigned pages;         /* 4 KiB hive pages that differed */
        uint64_t log_bytes;     /* written to the log */
        uint64_t primary_bytes; /* written to the primary, base block included */
        int log_index;          /* 0 = LOG1, 1 = LOG2 */
        enum vhive_log_format format;
        bool primary_extended; /* SYSTEM had to grow (editor writes only) */
        /* The base block the primary now holds: the commit sets both
         * sequence numbers (next after the log entries or the clean
         * primary) and the last written time. */
        uint32_t seq;
        uint64_t timestamp;
        /* What actually happened to the files, for reports: a write or an
         * extension was issued (the files may differ from before, even when
         * the call failed), and the "update in progress" base block reached
         * the disk (from then on the files recover to the new hive, so a
         * failure after it says so in its message). */
        bool files_touched;
        bool marked;
        /* A dirty hive was recovered in place (its replayed pages, then a
         * clean base block) before the commit, so that no log it needed
         * had to grow. */
        bool recovered_first;
};

/* Commits new_hive (a clean hive: equal sequence numbers, valid checksum)
 * over the primary, whose bytes as found on disk are old (all of the file;
 * for a dirty hive the unreplayed file, so replayed pages are written
 * too).  The logs are read through files->log[].  fmt is the log format
 * the image's Windows reads; VHIVE_LOG_NONE means "as the existing logs
 * say" and is refused (EINVAL, with a message) when no log tells.  On
 * return 0 the primary holds new_hive, clean, with the sequence numbers
 * and time given in stats; a primary longer than new_hive keeps its tail.
 * Nothing is truncated; a log too small, or a primary shorter than
 * new_hive, is extended first.  A log a dirty hive needs is never written
 * or extended: when no other log can take the record, the hive is first
 * recovered in place (stats->recovered_first).  Before writing, every state a stop can
 * leave is replayed in memory; a layout that would not replay to exactly
 * the old or the new hive, with the two logs replayed in either order
 * (Windows' order on a tie is not documented), is refused (EUCLEAN) with
 * nothing written.  Once written, the primary is read back and compared
 * with what it must hold (EIO when it differs). */
int vhive_commit_logged(const struct vhive_hive_files *files, const uint8_t *old, size_t old_len,
                        const uint8_t *new_hive, size_t new_len, enum vhive_log_format fmt,
                        struct vhive_commit_stats *stats, struct vhive_error *err);

/* The same, checking first that the files still hold what the edit was
 * made on: based_on (the hive as the caller read and replayed it before
 * editing) must equal the files' own replay, else ESTALE with nothing
 * written.  based_on NULL skips the check (vhive_commit_logged). */
int vhive_commit_logged_on(const struct vhive_hive_files *files, const uint8_t *old, size_t old_len,
                           const uint8_t *based_on, size_t based_len, const uint8_t *new_hive,
                           size_t new_len, enum vhive_log_format fmt,
                           struct vhive_commit_stats *stats, struct vhive_error *err);

/* vhive_commit_logged_on's inputs, for a caller that lends the commit
 * its buffers (issue 20: a 120 MB hive's commit then allocates no
 * hive-sized buffer of its own, each of which the kernel zeroes):
 * new_mut, when not NULL, is new_hive itself, writable: the primary's
 * new bytes are stamped in it when the file keeps no longer tail; old_fd,
 * when >= 0, is a file holding old (the held copy): the states a stop can
 * leave are built in a private mapping of it, which copies only the
 * pages they change. */
struct vhive_commit_in {
        const uint8_t *old;
        size_t old_len;
        int old_fd;
        const uint8_t *based_on;
        size_t based_len;
        const uint8_t *new_hive;
        uint8_t *new_mut;
        size_t new_len;
        /* old is a copy of the primary made while the files were held by
         * this process alone, and held since (an image under qemu's lock,
         * lib/image/image-job.c): the commit compares with the file, and
         * reads back, only the base block and the blocks it writes
         * (commit.c, check_found and read_back).  VHIVE_COMMIT_FULL_READ
         * (set, not "0") compares the whole file. */
        bool held;
};

int vhive_commit_logged_in(const struct vhive_hive_files *files, const struct vhive_commit_in *in,
                           enum vhive_log_format fmt, struct vhive_commit_stats *stats,
                           struct vhive_error *err);

/* A struct vhive_file over a file descriptor (hive files, tests, fault
 * injection): pread/pwrite, fdatasync, posix_fallocate + fsync.  The fd
 * stays the caller's; vhive_file_free frees only what vhive_file_from_fd
 * made. */
int vhive_file_from_fd(int fd, const char *name, struct vhive_file **f, struct vhive_error *err);
void vhive_file_free(struct vhive_file *f);
