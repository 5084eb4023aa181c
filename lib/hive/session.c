/* An editing session on one hive file: check the header, replay the logs
 * of a dirty hive into a private copy, open it with hivex, and commit
 * through a temp file beside the destination. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hive.h"
#include "macro.h"
#include "safe-file.h"

#define FILETIME_UNIX_EPOCH 116444736000000000ull
#define COPY_CHUNK (128u * 1024) /* as cp */

int vhive_probe_hive(const char *path, struct vhive_regf_header *hdr, struct vhive_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        uint8_t block[VHIVE_REGF_BASE_BLOCK];
        struct stat st;
        ssize_t n;

        if (fd < 0)
                return vhive_fail(err, errno, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st) < 0)
                return vhive_fail(err, errno, "cannot stat: %s", strerror(errno));
        if (S_ISDIR(st.st_mode))
                return vhive_fail(err, EISDIR, "is a directory, not a hive or disk image");
        if (!S_ISREG(st.st_mode))
                return vhive_fail(err, EINVAL, "is not a regular file");
        n = pread(fd, block, sizeof(block), 0);
        if (n < 0)
                return vhive_fail(err, errno, "cannot read: %s", strerror(errno));
        return vhive_probe_block(block, (size_t)n, (uint64_t)st.st_size, hdr, err);
}

int vhive_probe_block(const uint8_t *block, size_t n, uint64_t file_size,
                      struct vhive_regf_header *hdr, struct vhive_error *err)
{
        if (n < 4 || vhive_regf_parse(block, n, hdr) < 0)
                return vhive_fail(err, EINVAL, "not a registry hive (no regf signature)");
        if (n < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "truncated hive: %zu bytes, shorter than its header",
                                  n);
        if (hdr->hbins_size == 0 || hdr->hbins_size % 4096 != 0)
                return vhive_fail(err, EINVAL,
                                  "damaged hive: hive-bins size %u is not a multiple of 4096",
                                  hdr->hbins_size);
        if ((uint64_t)VHIVE_REGF_BASE_BLOCK + hdr->hbins_size > file_size &&
            !vhive_regf_is_dirty(hdr))
                return vhive_fail(err, EINVAL,
                                  "truncated hive: the header says %u bytes of hive bins, "
                                  "the file holds %lld",
                                  hdr->hbins_size, (long long)file_size - VHIVE_REGF_BASE_BLOCK);
        return 0;
}

int vhive_find_logs(const char *primary, char *logs[2], struct vhive_error *err)
{
        _cleanup_free_ char *d = strdup(primary), *b = strdup(primary);
        DIR *dir;
        struct dirent *de;

        if (!d || !b)
                return vhive_fail(err, ENOMEM, "out of memory");
        const char *dname = dirname(d), *bname = basename(b);
        size_t blen = strlen(bname);

        dir = opendir(dname);
        if (!dir)
                return vhive_fail(err, errno, "cannot list %s: %s", dname, strerror(errno));
        while ((de = readdir(dir))) {
                int i;

                if (strlen(de->d_name) != blen + 5 || strncasecmp(de->d_name, bname, blen) != 0)
                        continue;
                if (strcasecmp(de->d_name + blen, ".LOG1") == 0)
                        i = 0;
                else if (strcasecmp(de->d_name + blen, ".LOG2") == 0)
                        i = 1;
                else
                        continue;
                free(logs[i]);
                if (asprintf(&logs[i], "%s/%s", dname, de->d_name) < 0)
                        logs[i] = NULL;
        }
        closedir(dir);
        return 0;
}

static int open_hivex(struct vhive_session *s, const char *path, struct vhive_error *err)
{
        s->h = hivex_open(path, s->hivex_writes ? HIVEX_OPEN_WRITE : 0);
        if (!s->h)
                return vhive_fail(err, errno ? errno : EINVAL, "hivex cannot open the hive: %s",
                                  strerror(errno ? errno : EINVAL));
        return 0;
}

/* hivex aborts on some damaged cells it frees (lib/hive/cells.c): the
 * checks read the bytes the session holds, which hivex writes never
 * change (a scrub in place changes them, and then hivex writes nothing). */
static int attach_cells(struct vhive_session *s, struct vhive_error *err)
{
        if (!s->writable || !s->h)
                return 0;
        char fdpath[64];

        if (s->bytes.b)
                return vhive_cells_attach_buf(s->h, s->bytes.b, s->bytes.len, err);
        /* A replayed copy lives in the memfd, not in the file. */
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", s->work_fd);
        return vhive_cells_attach(s->h, s->work_fd >= 0 ? fdpath : s->primary, err);
}

static int read_log(const char *path, uint8_t **data, size_t *len, struct vhive_error *err)
{
        *data = NULL;
        *len = 0;
        return path ? vhive_read_file_nofollow(path, data, len, err) : 0;
}

/* hivex opens paths only: a memfd keeps a private copy off the disk. */
static int open_from_memory(struct vhive_session *s, const uint8_t *data, size_t len,
                            struct vhive_error *err)
{
        char fdpath[64];

        s->work_fd = memfd_create("vhive-hive", MFD_CLOEXEC);
        if (s->work_fd < 0)
                return vhive_fail(err, errno, "memfd_create: %s", strerror(errno));
        int r = vhive_write_all(s->work_fd, data, len);

        if (r < 0)
                return vhive_fail(err, -r, "writing a private copy: %s", strerror(-r));
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", s->work_fd);
        return open_hivex(s, fdpath, err);
}

/* Replays into memory so that the file on disk stays as it is. */
static int open_replayed(struct vhive_session *s, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *primary = NULL, *log1 = NULL, *log2 = NULL, *out = NULL;
        size_t plen, l1, l2, olen;
        int r;

        r = vhive_read_file_nofollow(s->primary, &primary, &plen, err);
        if (r == 0)
                r = read_log(s->logs[0], &log1, &l1, err);
        if (r == 0)
                r = read_log(s->logs[1], &log2, &l2, err);
        if (r == 0)
                r = vhive_logs_check_readable(primary, plen, log1, l1, log2, l2, err);
        if (r == 0)
                r = vhive_replay(primary, plen, log1, l1, log2, l2, &out, &olen, &s->state.replay,
                                 err);
        if (r < 0)
                return r;
        s->state.replayed = true;
        r = open_from_memory(s, out, olen, err);
        if (r == 0 && s->writable) {
                s->bytes = (struct vhive_hive_buf){ .b = out, .len = olen };
                out = NULL;
        }
        return r;
}

/* Reading a dirty hive whose logs cannot be replayed: the file as it is,
 * with its checksum mended in a private copy, since hivex refuses a bad
 * one. */
static int open_stale(struct vhive_session *s, struct vhive_error *err)
{
        _cleanup_free_ uint8_t *data = NULL;
        size_t len;
        int r = vhive_read_file_nofollow(s->primary, &data, &len, err);

        if (r < 0)
                return r;
        s->state.replay_failed = true;
        vhive_regf_store_checksum(data);
        return open_from_memory(s, data, len, err);
}

/* The file's bytes into the memfd, inside the kernel: no page of the
 * session's mapping is touched here, so a page counts once in the
 * process's RSS when hivex maps the memfd for its parse. */
static int fill(int to, int from, size_t len, const char *path, struct vhive_error *err)
{
        off_t off = 0;

        while ((size_t)off < len) {
                ssize_t n = sendfile(to, from, &off, len - (size_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return vhive_fail(err, n < 0 ? errno : EIO, "reading %s: %s", path,
                                          n < 0 ? strerror(errno) : "file shrank");
        }
        return 0;
}

/* A memfd of len bytes, mapped shared and writable; its pages are faulted
 * in as they are used (the edits, the write of the new hive). */
static int map_memfd(int fd, size_t len, uint8_t **map, struct vhive_error *err)
{
        *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (*map == MAP_FAILED) {
                *map = NULL;
                return vhive_fail(err, errno, "mapping a private copy: %s", strerror(errno));
        }
        return 0;
}

/* The hive file, opened for the one read (not following a link). */
static int open_primary(struct vhive_session *s, int *fd, struct stat *st, struct vhive_error *err)
{
        *fd = open(s->primary, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (*fd < 0 && errno == ELOOP)
                return vhive_fail(err, ELOOP,
                                  "%s is a symbolic link, which vhive does not follow for a hive",
                                  s->primary);
        if (*fd < 0 || fstat(*fd, st) < 0)
                return vhive_fail(err, errno, "cannot open %s: %s", s->primary, strerror(errno));
        if (!S_ISREG(st->st_mode) || st->st_size < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "%s is not a regular hive file", s->primary);
        return 0;
}

/* Into a memfd that hivex opens (from memory, not the disk again) and
 * that the session maps for the in-place edits, the cell checks and the
 * verification's parse. */
static int read_into_memfd(struct vhive_session *s, int fd, size_t len, struct vhive_error *err)
{
        uint8_t *map = NULL;
        int r;

        s->work_fd = memfd_create("vhive-hive", MFD_CLOEXEC);
        if (s->work_fd < 0)
                return vhive_fail(err, errno, "memfd_create: %s", strerror(errno));
        r = fill(s->work_fd, fd, len, s->primary, err);
        if (r == 0)
                r = map_memfd(s->work_fd, len, &map, err);
        if (r == 0) {
                s->bytes = (struct vhive_hive_buf){ .b = map, .len = len };
                s->bytes_mapped = true;
        }
        return r;
}

/* The one read of a clean hive (issue 20).  Edited in place where it is
 * (s->beside): into the temp file that will replace it (work-file.c).
 * When that file cannot be made, the memfd, and the reason is kept for
 * the commit: a scrub that changes nothing still succeeds, as before. */
static int read_once(struct vhive_session *s, struct vhive_error *err)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r = open_primary(s, &fd, &st, err);

        if (r < 0)
                return r;
        if (s->beside) {
                if (vhive_work_file_open(s, fd, (size_t)st.st_size, &s->work_err) == 0)
                        return 0;
                s->work_failed = true;
        }
        return read_into_memfd(s, fd, (size_t)st.st_size, err);
}

static int open_work_fd(struct vhive_session *s, struct vhive_error *err)
{
        char fdpath[64];

        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", s->work_fd);
        return open_hivex(s, fdpath, err);
}

/* Peak RSS counts a page once per mapping that touched it: the cell checks
 * read every page before hivex maps the memfd, then the session's mapping
 * lets go of them (MADV_DONTNEED on a shared memfd mapping keeps the bytes
 * and drops only this mapping's page table entries), and the in-place
 * edits fault in only the pages they change (issue 20). */
static int open_once(struct vhive_session *s, struct vhive_error *err)
{
        int r = read_once(s, err);

        if (r == 0)
                r = vhive_cells_attach_early(&s->bytes, !s->hivex_writes, &s->refs_ahead, err);
        if (r < 0)
                return r;
        (void)madvise(s->bytes.b, s->bytes.len, MADV_DONTNEED); /* fails: only more RSS */
        r = open_work_fd(s, err);
        if (r < 0) {
                vhive_cells_detach(NULL);
                return r;
        }
        vhive_cells_bind(s->h);
        return 0;
}

static int session_open(struct vhive_session *s, const char *primary, bool writable,
                        bool hivex_writes, bool beside, bool early_writeback,
                        struct vhive_error *err)
{
        int r;

        memset(s, 0, sizeof(*s));
        s->work_fd = -1;
        s->writable = writable;
        s->beside = beside && writable && !hivex_writes;
        s->early_writeback = s->beside && early_writeback;
        s->hivex_writes = writable && hivex_writes;
        s->primary = strdup(primary);
        if (!s->primary)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = vhive_probe_hive(primary, &s->state.header, err);
        if (r < 0)
                return r;
        r = vhive_find_logs(primary, s->logs, err);
        if (r < 0)
                return r;
        s->state.dirty = vhive_regf_is_dirty(&s->state.header);
        if (!s->state.dirty && writable)
                return open_once(s, err);
        if (!s->state.dirty) {
                r = open_hivex(s, primary, err);
                return r < 0 ? r : attach_cells(s, err);
        }
        r = open_replayed(s, err);
        if (r < 0 && !writable && !s->state.replayed) {
                /* Reading: report what the file holds, and say it is stale. */
                snprintf(s->state.replay_error, sizeof(s->state.replay_error), "%s", err->msg);
                return open_stale(s, err);
        }
        return r < 0 ? r : attach_cells(s, err);
}

int vhive_session_open(struct vhive_session *s, const char *primary, bool writable,
                       bool hivex_writes, struct vhive_error *err)
{
        return session_open(s, primary, writable, hivex_writes, false, false, err);
}

int vhive_session_open_beside(struct vhive_session *s, const char *primary, bool early_writeback,
                              struct vhive_error *err)
{
        return session_open(s, primary, true, false, true, early_writeback, err);
}

/* hivex neither stamps the time nor applies Windows' checksum rule. */
static void mend_header(uint8_t *base, uint32_t seq)
{
        struct timespec now;
        uint64_t ft;

        clock_gettime(CLOCK_REALTIME, &now);
        ft = FILETIME_UNIX_EPOCH + (uint64_t)now.tv_sec * 10000000u + now.tv_nsec / 100;
        vhive_put_le32(base + 4, seq);
        vhive_put_le32(base + 8, seq);
        vhive_put_le32(base + 12, (uint32_t)ft);
        vhive_put_le32(base + 16, (uint32_t)(ft >> 32));
        vhive_put_le32(base + 28, VHIVE_REGF_FILE_PRIMARY);
        vhive_regf_store_checksum(base);
}

/* hivex writes to paths only: a memfd keeps the result off the disk.
 * Read back into malloc'd memory: the big-data split reallocates it. */
static int commit_hivex(struct vhive_session *s, struct vhive_error *err)
{
        _cleanup_close_ int fd = memfd_create("vhive-new", MFD_CLOEXEC);
        char path[64];

        if (fd < 0)
                return vhive_fail(err, errno, "memfd_create: %s", strerror(errno));
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (hivex_commit(s->h, path, 0) < 0)
                return vhive_fail(err, errno, "hivex cannot write the new hive: %s",
                                  strerror(errno));
        return vhive_read_file(path, &s->result.b, &s->result.len, err);
}

static void close_hivex(struct vhive_session *s)
{
        if (!s->h)
                return;
        vhive_cells_detach(s->h);
        hivex_close(s->h);
        s->h = NULL;
}

/* An in-place edit of the memfd hivex maps read-only and shared: its
 * handle reads the new bytes as they are (not a replayed copy's, whose
 * edits go to malloc'd bytes, nor hivex's own copy for its writes). */
static bool handle_sees_result(const struct vhive_session *s)
{
        return s->h && s->edited_in_place && s->bytes_mapped && !s->hivex_writes;
}

int vhive_session_result(struct vhive_session *s, uint8_t **out, size_t *out_len, int *out_fd,
                         struct vhive_error *err)
{
        uint32_t seq;
        int r = 0;

        *out = NULL;
        *out_fd = -1;
        if (!s->bytes.b || s->bytes.len < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EINVAL, "the session holds no hive to commit");
        seq = vhive_le32(s->bytes.b + 4) + 1;
        if (s->edited_in_place) {
                /* Not copied: a 100 MB hive is not held twice. */
                *out = s->bytes.b;
                *out_len = s->bytes.len;
                *out_fd = s->bytes_mapped ? s->work_fd : -1;
        } else {
                r = commit_hivex(s, err);
                /* hivex writes big data as one cell; 1.4+ wants a db cell. */
                if (r == 0)
                        r = vhive_big_data_split(&s->result.b, &s->result.len, err);
                *out = s->result.b;
                *out_len = s->result.len;
                *out_fd = -1; /* the split may have changed the bytes */
        }
        if (!handle_sees_result(s))
                close_hivex(s);
        if (r == 0 && *out_len < VHIVE_REGF_BASE_BLOCK)
                return vhive_fail(err, EIO, "the new hive is shorter than its base block");
        if (r == 0)
                mend_header(*out, seq);
        /* The edits are in private pages of the temp file's mapping. */
        if (r == 0 && s->edited_in_place && s->work_private)
                r = vhive_work_file_write_back(s, err);
        return r;
}

/* Mode, owner and group of the file being replaced (or of mode_from). */
static struct stat owner_of(const char *mode_from, const char *dest)
{
        struct stat st;

        if ((mode_from && stat(mode_from, &st) == 0) || stat(dest, &st) == 0)
                return st;
        memset(&st, 0, sizeof(st));
        st.st_mode = 0644;
        st.st_uid = geteuid();
        st.st_gid = getegid();
        return st;
}

/* fchown first: it may clear set-id bits that fchmod then restores.  A
 * change of owner that is not allowed (not root) is an error: the hive
 * must not quietly change hands. */
static int keep_owner(int fd, const struct stat *st)
{
        struct stat now;

        if (fstat(fd, &now) < 0)
                return errno;
        if ((now.st_uid != st->st_uid || now.st_gid != st->st_gid) &&
            fchown(fd, st->st_uid, st->st_gid) < 0)
                return errno;
        return fchmod(fd, st->st_mode & 07777) < 0 ? errno : 0;
}

static int make_temp(const char *dest, const struct stat *owner, char **tmp_path,
                     struct vhive_error *err)
{
        _cleanup_free_ char *d = strdup(dest), *b = strdup(dest);
        int fd;

        if (!d || !b || asprintf(tmp_path, "%s/.%s.vhive-XXXXXX", dirname(d), basename(b)) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        fd = mkostemp(*tmp_path, O_CLOEXEC);
        if (fd < 0) {
                int e = errno;

                free(*tmp_path);
                *tmp_path = NULL;
                return vhive_fail(err, e, "cannot create a temp file beside %s: %s", dest,
                                  strerror(e));
        }
        int e = keep_owner(fd, owner);

        if (close(fd) < 0 && e == 0)
                e = errno;
        if (e) {
                unlink(*tmp_path);
                return vhive_fail(err, e, "preparing %s (owner %u:%u, mode %04o): %s", *tmp_path,
                                  (unsigned)owner->st_uid, (unsigned)owner->st_gid,
                                  (unsigned)(owner->st_mode & 07777), strerror(e));
        }
        return 0;
}

int vhive_make_temp_beside(const char *dest, const char *mode_from, char **tmp_path,
                           struct vhive_error *err)
{
        struct stat owner = owner_of(mode_from, dest);

        return make_temp(dest, &owner, tmp_path, err);
}

/* The new bytes from the memfd that holds them, through a small buffer as
 * cp does: a write() straight from the session's mapping faults in every
 * page the cell checks let go of (issue 20), and the file system's write
 * path then zeroes and retries each page: twice the time of this copy. */
static int copy_from_fd(int fd, int from, size_t len)
{
        _cleanup_free_ uint8_t *buf = malloc(COPY_CHUNK);
        size_t off = 0;

        if (!buf)
                return -ENOMEM;
        while (off < len) {
                size_t want = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
                ssize_t n = pread(from, buf, want, (off_t)off);
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                r = vhive_write_all(fd, buf, (size_t)n);
                if (r < 0)
                        return r;
                off += (size_t)n;
        }
        return 0;
}

static int write_data(const char *path, const uint8_t *data, size_t len, int data_fd,
                      struct vhive_error *err)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        int r = fd < 0         ? -errno
                : data_fd >= 0 ? copy_from_fd(fd, data_fd, len)
                               : vhive_write_all(fd, data, len);

        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        /* NFS and friends report write errors at close. */
        if (fd >= 0 && close(fd) < 0 && r == 0)
                r = -errno;
        return r < 0 ? vhive_fail(err, -r, "writing %s: %s", path, strerror(-r)) : 0;
}

int vhive_write_temp_beside(const uint8_t *data, size_t len, int data_fd, const char *dest,
                            const char *mode_from, char **tmp_path, struct vhive_error *err)
{
        struct stat owner = owner_of(mode_from, dest);
        int r = make_temp(dest, &owner, tmp_path, err);

        if (r == 0)
                r = write_data(*tmp_path, data, len, data_fd, err);
        if (r < 0 && *tmp_path) {
                unlink(*tmp_path);
                free(*tmp_path);
                *tmp_path = NULL;
        }
        return r;
}

int vhive_verify_header(const char *path, struct vhive_error *err)
{
        struct vhive_regf_header hdr;
        int r = vhive_probe_hive(path, &hdr, err);

        if (r < 0)
                return r;
        if (!hdr.checksum_ok || hdr.seq_primary != hdr.seq_secondary ||
            hdr.file_type != VHIVE_REGF_FILE_PRIMARY)
                return vhive_fail(err, EIO,
                                  "the written hive has a bad header "
                                  "(sequence %u/%u, checksum %08x, expected %08x)",
                                  hdr.seq_primary, hdr.seq_secondary, hdr.checksum_stored,
                                  hdr.checksum_computed);
        return 0;
}

static void free_buf(struct vhive_hive_buf *b, bool mapped)
{
        if (mapped && b->b)
                munmap(b->b, b->len);
        else
                free(b->b);
        *b = (struct vhive_hive_buf){ .b = NULL };
}

void vhive_session_close(struct vhive_session *s)
{
        close_hivex(s);
        vhive_work_file_drop(s); /* not handed to a commit: nothing changed, or a failure */
        if (s->work_fd >= 0)
                close(s->work_fd);
        free(s->primary);
        free(s->logs[0]);
        free(s->logs[1]);
        vhive_hive_buf_drop_refs(&s->bytes); /* when no in-place edit dropped them */
        free(s->refs_ahead.refs);            /* when the cells did not take them */
        free_buf(&s->bytes, s->bytes_mapped);
        free_buf(&s->result, false);
        memset(s, 0, sizeof(*s));
        s->work_fd = -1;
}
