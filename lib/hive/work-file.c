/* The work copy of a clean hive edited in place under vhive's lock, kept
 * in the temp file that will replace it (issue 20): the file system copies
 * the hive into the temp file itself (copy_file_range, as cp does; for a
 * large hive in a thread, while the cells' references are counted on the
 * hive file, and its writeback is started by another: copy_counting), the
 * session maps that file privately (the edits land in private pages, so a
 * full disk is an error from pwrite, never a SIGBUS from a page the edits
 * dirty), and the commit writes back only the pages the edits changed.
 *
 * hivex maps the temp file shared, so once the pages are written back its
 * handle and the verification read the very bytes the fsync makes durable:
 * no copy of the hive lies between the checked bytes and the written ones.
 * A program that ignores the lock and writes the hive is caught, as
 * before, by the check just before the rename (vhive_file_lock_check); one
 * that finds and writes the temp file is not, as before. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "hive.h"
#include "macro.h"
#include "safe-file.h"

#define PAGE 4096u
#define PAGEMAP_CHUNK 4096u /* entries read at a time (32 KiB) */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61) /* a page of the file, not a private copy */

/* copy_file_range first (in the kernel, a reflink where the file system
 * shares blocks), sendfile where it is not offered for these files. */
static int copy_range(int to, int from, size_t len)
{
        off_t in = 0, out = 0;
        bool use_sendfile = false;

        while ((size_t)out < len) {
                size_t want = len - (size_t)out;
                ssize_t n = use_sendfile ? sendfile(to, from, &in, want)
                                         : copy_file_range(from, &in, to, &out, want, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && !use_sendfile && out == 0 &&
                    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                        use_sendfile = true;
                        continue;
                }
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                if (use_sendfile)
                        out = in;
        }
        return 0;
}

struct vhive_writeback {
        pthread_t thread;
        int fd;
        size_t len;
};

static void *writeback_main(void *arg)
{
        struct vhive_writeback *w = arg;

        (void)sync_file_range(w->fd, 0, (off_t)w->len, SYNC_FILE_RANGE_WRITE);
        return NULL;
}

/* "Start writing" is not asynchronous for a large file: the call queues
 * the pages and blocks whenever the device's queue is full (33-36 ms of a
 * 120 MB hive's scrub here, the parse waiting).  A thread of its own
 * queues them while the hive is parsed; joined before the fsync and
 * before the file is closed or removed (join_writeback). */
static void start_writeback(struct vhive_session *s, int fd, size_t len)
{
        struct vhive_writeback *w = len >= VHIVE_THREADS_FROM ? malloc(sizeof(*w)) : NULL;

        if (w) {
                *w = (struct vhive_writeback){ .fd = fd, .len = len };
                if (pthread_create(&w->thread, NULL, writeback_main, w) == 0) {
                        s->writeback = w;
                        return;
                }
                free(w);
        }
        (void)sync_file_range(fd, 0, (off_t)len, SYNC_FILE_RANGE_WRITE);
}

static void join_writeback(struct vhive_session *s)
{
        if (!s->writeback)
                return;
        pthread_join(s->writeback->thread, NULL);
        free(s->writeback);
        s->writeback = NULL;
}

struct copy_job {
        pthread_t thread;
        int to, from;
        size_t len;
        int r;
};

static void *copy_main(void *arg)
{
        struct copy_job *c = arg;

        c->r = copy_range(c->to, c->from, c->len);
        return NULL;
}

/* The cells' reference counts from the hive file itself (read-only, its
 * lock held), into s->refs_ahead; nothing when it cannot be mapped and
 * read: the session then counts them on its copy, as before.  The pages
 * are read in first (MADV_POPULATE_READ), so that a read error or a file
 * shorter than its size said is an error here, not a SIGBUS in the walk;
 * without that call (Linux before 5.14) nothing is counted ahead. */
static void count_refs_ahead(struct vhive_session *s, int from, size_t len)
{
#ifdef MADV_POPULATE_READ
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, from, 0);

        if (m == MAP_FAILED)
                return;
        if (madvise(m, len, MADV_POPULATE_READ) == 0) {
                s->refs_ahead.r = vhive_refs_build(m, len, &s->refs_ahead.refs, &s->refs_ahead.err);
                s->refs_ahead.built = true;
        }
        munmap(m, len);
#else
        (void)s;
        (void)from;
        (void)len;
#endif
}

/* The file system copies the hive while this thread counts the cells'
 * references on the hive file (issue 20: the walk of a 120 MB SOFTWARE,
 * 24 ms, within the copy's 35-45 ms, on a second core).  The bytes are
 * the same: the lock is held, and the check before the rename refuses a
 * hive that another program changed meanwhile.  A program that truncates
 * the hive during the walk itself (after its pages were read in) still
 * ends vhive with SIGBUS: its temp file stays, nothing is written. */
static int copy_counting(struct vhive_session *s, int to, int from, size_t len)
{
        struct copy_job c = { .to = to, .from = from, .len = len };

        if (len < VHIVE_THREADS_FROM || pthread_create(&c.thread, NULL, copy_main, &c) != 0)
                return copy_range(to, from, len);
        count_refs_ahead(s, from, len);
        pthread_join(c.thread, NULL);
        return c.r;
}

int vhive_work_file_open(struct vhive_session *s, int from, size_t len, struct vhive_error *err)
{
        _cleanup_free_ char *tmp = NULL;
        int fd = -1, r;
        void *map;

        r = vhive_make_temp_beside(s->primary, s->primary, &tmp, err);
        if (r < 0)
                return r;
        fd = open(tmp, O_RDWR | O_CLOEXEC);
        r = fd < 0 ? -errno : copy_counting(s, fd, from, len);
        /* The disk writes the copy while the hive is parsed and edited:
         * the commit's fsync then waits only for the rest (issue 20: an
         * 11.7 MB scrub from 1.25x to 1.07-1.11x of cp + cp + sync).  Not
         * for a run that changes nothing: its temp file is removed, and
         * that would wait for the writes to end. */
        if (r == 0 && s->early_writeback)
                start_writeback(s, fd, len);
        if (r < 0) {
                vhive_fail(err, -r, "writing %s: %s", tmp, strerror(-r));
                goto fail;
        }
        map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
                r = vhive_fail(err, errno, "mapping %s: %s", tmp, strerror(errno));
                goto fail;
        }
        s->work_fd = fd;
        s->work_path = tmp;
        tmp = NULL;
        s->work_private = true;
        s->bytes = (struct vhive_hive_buf){ .b = map, .len = len };
        s->bytes_mapped = true;
        return 0;
fail:
        join_writeback(s);
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        return r;
}

static int write_pages(int fd, const uint8_t *b, size_t len, size_t first, size_t n)
{
        size_t off = first * PAGE, end = (first + n) * PAGE;

        if (end > len)
                end = len;
        while (off < end) {
                ssize_t w = pwrite(fd, b + off, end - off, (off_t)off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return w < 0 ? -errno : -EIO;
                off += (size_t)w;
        }
        return 0;
}

/* Whether the page at entry e of /proc/self/pagemap is a private copy (an
 * edit wrote it), present or swapped out; a page never touched, or only
 * read, is still the file's. */
static bool private_page(uint64_t e)
{
        return (e & PM_SWAPPED) || ((e & PM_PRESENT) && !(e & PM_FILE));
}

/* The pages of the private mapping that differ from the file: runs of
 * private pages, found in the process's page map. */
static int write_back_private(int pm, const struct vhive_session *s)
{
        _cleanup_free_ uint64_t *e = malloc(PAGEMAP_CHUNK * sizeof(*e));
        size_t pages = (s->bytes.len + PAGE - 1) / PAGE, first = (uintptr_t)s->bytes.b / PAGE;

        if (!e)
                return -ENOMEM;
        for (size_t at = 0; at < pages;) {
                size_t n = pages - at < PAGEMAP_CHUNK ? pages - at : PAGEMAP_CHUNK;
                ssize_t got = pread(pm, e, n * sizeof(*e), (off_t)((first + at) * sizeof(*e)));

                if (got != (ssize_t)(n * sizeof(*e)))
                        return 1; /* cannot tell: write everything */
                for (size_t i = 0; i < n;) {
                        size_t run = 0;

                        while (i + run < n && private_page(e[i + run]))
                                run++;
                        if (run) {
                                int r = write_pages(s->work_fd, s->bytes.b, s->bytes.len, at + i,
                                                    run);

                                if (r < 0)
                                        return r;
                        }
                        i += run ? run : 1;
                }
                at += n;
        }
        return 0;
}

/* 1 when the file holds n bytes at `at` as the session does, 0 when not,
 * -errno when they cannot be read. */
static int same_in_file(const struct vhive_session *s, size_t at, size_t n)
{
        uint8_t buf[PAGE];

        if (at >= s->bytes.len)
                return 1;
        if (n > s->bytes.len - at)
                n = s->bytes.len - at;
        while (n > 0) {
                size_t k = n < sizeof(buf) ? n : sizeof(buf);
                ssize_t got = pread(s->work_fd, buf, k, (off_t)at);

                if (got < 0 && errno == EINTR)
                        continue;
                if (got != (ssize_t)k)
                        return got < 0 ? -errno : -EIO;
                if (memcmp(buf, s->bytes.b + at, k) != 0)
                        return 0;
                at += k;
                n -= k;
        }
        return 1;
}

/* A check that does not trust the page map: the header and every cell the
 * edits recorded (vhive_hive_buf_touch) read back from the file as the
 * session holds them.  The rest is the file system's copy of the hive. */
static int check_written(const struct vhive_session *s, struct vhive_error *err)
{
        size_t at = 0, n = VHIVE_REGF_BASE_BLOCK;
        int r = same_in_file(s, at, n);

        for (unsigned i = 0; r == 1 && i < s->bytes.n_touched; i++) {
                int32_t raw;

                at = s->bytes.touched[i];
                if (at + 4 > s->bytes.len)
                        continue;
                raw = (int32_t)vhive_le32(s->bytes.b + at);
                n = raw < 0 ? (size_t) - (int64_t)raw : (size_t)raw;
                r = same_in_file(s, at, n < 4 ? 4 : n);
        }
        if (r < 0)
                return vhive_fail(err, -r, "verify: reading %s: %s", s->work_path, strerror(-r));
        if (r == 0)
                return vhive_fail(err, EIO, "verify: %s does not hold the edited bytes at 0x%zx",
                                  s->work_path, at);
        return 0;
}

int vhive_work_file_write_back(struct vhive_session *s, struct vhive_error *err)
{
        int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        int r = pm < 0 ? 1 : write_back_private(pm, s);

        if (pm >= 0)
                close(pm);
        if (r == 1) /* no page map: every page */
                r = write_pages(s->work_fd, s->bytes.b, s->bytes.len, 0,
                                (s->bytes.len + PAGE - 1) / PAGE);
        if (r < 0)
                return vhive_fail(err, -r, "writing %s: %s", s->work_path, strerror(-r));
        return check_written(s, err);
}

void vhive_work_file_drop(struct vhive_session *s)
{
        join_writeback(s);
        if (!s->work_path)
                return;
        unlink(s->work_path);
        free(s->work_path);
        s->work_path = NULL;
}

int vhive_work_file_finish(struct vhive_session *s, char **tmp_path, struct vhive_error *err)
{
        int r;

        join_writeback(s);
        r = fsync(s->work_fd) < 0 ? -errno : 0;

        /* NFS and friends report write errors at close. */
        if (close(s->work_fd) < 0 && r == 0)
                r = -errno;
        s->work_fd = -1;
        if (r < 0) {
                vhive_fail(err, -r, "writing %s: %s", s->work_path, strerror(-r));
                vhive_work_file_drop(s);
                return r;
        }
        *tmp_path = s->work_path; /* the commit's now: it renames or removes it */
        s->work_path = NULL;
        return 0;
}
