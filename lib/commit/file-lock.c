/* One writer per hive file: an advisory lock held for the whole
 * read-edit-commit, and a check, just before the rename, that the file is
 * still the one that was read.
 *
 * The commit renames a new file over the hive, so a lock on the old inode
 * does not exclude a writer that opened the new one: after locking, the
 * path must still name the inode locked, else the lock is dropped and
 * taken again on what the path names now. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "safe-file.h"

/* A file system without flock (some NFS setups refuse an exclusive lock
 * on a read-only descriptor): the change check alone guards the commit. */
static bool no_locks_here(int e)
{
        return e == ENOLCK || e == EOPNOTSUPP || e == EBADF || e == EINVAL;
}

/* Polls rather than blocks: a blocking flock is restarted after a signal
 * (SA_RESTART), and a waiting run must stop on Ctrl-C. */
static int wait_lock(int fd, int how, const struct vhive_lock_wait *w, struct vhive_error *err)
{
        struct timespec pause = { 0, 1000000 };
        bool said = false;

        for (;;) {
                if (flock(fd, how | LOCK_NB) == 0)
                        return 1;
                if (no_locks_here(errno))
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return vhive_fail(err, errno, "cannot lock the hive: %s", strerror(errno));
                if (!said && w && w->waiting)
                        w->waiting(w->opaque);
                said = true;
                int r = vhive_check_interrupt("locking the hive", err);

                if (r < 0)
                        return r;
                nanosleep(&pause, NULL);
                if (pause.tv_nsec < 50000000)
                        pause.tv_nsec *= 2;
        }
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int snapshot(struct vhive_file_lock *l, struct vhive_error *err)
{
        ssize_t n;

        if (fstat(l->fd, &l->st) < 0)
                return vhive_fail(err, errno, "cannot stat: %s", strerror(errno));
        if (!S_ISREG(l->st.st_mode))
                return 0; /* refused later, with the usual message */
        n = pread(l->fd, l->head, sizeof(l->head), 0);
        if (n < 0)
                return vhive_fail(err, errno, "cannot read: %s", strerror(errno));
        l->head_len = (size_t)n;
        return 0;
}

int vhive_file_lock(struct vhive_file_lock *l, const char *path, bool exclusive,
                    const struct vhive_lock_wait *w, struct vhive_error *err)
{
        struct stat now;
        int r;

        memset(l, 0, sizeof(*l));
        l->fd = -1;
        for (int tries = 0; tries < 1000; tries++) {
                l->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                if (l->fd < 0)
                        return vhive_fail(err, errno, "cannot open: %s", strerror(errno));
                r = wait_lock(l->fd, exclusive ? LOCK_EX : LOCK_SH, w, err);
                if (r < 0) {
                        vhive_file_unlock(l);
                        return r;
                }
                l->locked = r > 0;
                /* Renamed over while waiting: lock what the path names now. */
                if (lstat(path, &now) == 0 && fstat(l->fd, &l->st) == 0 &&
                    same_file(&now, &l->st)) {
                        r = snapshot(l, err);
                        if (r < 0)
                                vhive_file_unlock(l);
                        return r;
                }
                vhive_file_unlock(l);
        }
        return vhive_fail(err, EAGAIN, "the hive keeps being replaced: cannot lock it");
}

static bool unchanged(const struct stat *a, const struct stat *b)
{
        return same_file(a, b) && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Timestamps tick coarsely (a few ms): a rewrite in place within one tick
 * keeps them, but every hive writer changes the base block (sequence
 * numbers, time stamp), so that is compared too. */
int vhive_file_lock_check(const struct vhive_file_lock *l, const char *path,
                          struct vhive_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        uint8_t head[sizeof(l->head)];
        struct stat st;
        ssize_t n = -1;

        if (fd >= 0 && fstat(fd, &st) == 0 && unchanged(&st, &l->st))
                n = pread(fd, head, sizeof(head), 0);
        if (n >= 0 && (size_t)n == l->head_len && memcmp(head, l->head, l->head_len) == 0)
                return 0;
        return vhive_fail(err, ESTALE,
                          "the hive changed since vhive read it (another program wrote or "
                          "replaced it): nothing written; run the command again");
}

void vhive_file_unlock(struct vhive_file_lock *l)
{
        if (l->fd >= 0)
                close(l->fd); /* releases the lock */
        l->fd = -1;
        l->locked = false;
}
