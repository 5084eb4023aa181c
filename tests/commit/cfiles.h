/* Hive file sets on disk for the commit tests: a primary and its two
 * logs in a temp folder, opened as struct vhive_file, and the check that
 * replaying them gives an expected hive.  Header-only. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "macro.h"
#include "safe-file.h"
#include "scrub.h"

struct cbuf {
        uint8_t *b;
        size_t len;
};

struct cset {
        char dir[256];
        int fd[3]; /* primary, LOG1, LOG2; -1 when absent */
        struct vhive_file *f[3];
        struct vhive_hive_files files;
};

static inline void cdie(const char *what)
{
        fprintf(stderr, "FAIL: %s (%s)\n", what, strerror(errno));
        exit(1);
}

static inline void cset_write(const char *path, const struct cbuf *b)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || vhive_write_all(fd, b->b, b->len) < 0 || close(fd) < 0)
                cdie(path);
}

static inline void cset_read(const char *path, struct cbuf *b)
{
        struct vhive_error e;

        b->b = NULL;
        b->len = 0;
        if (access(path, F_OK) == 0 && vhive_read_file(path, &b->b, &b->len, &e) < 0)
                cdie(e.msg);
}

static inline void cset_path(const struct cset *s, int i, char *out, size_t n)
{
        static const char *const names[3] = { "SYSTEM", "SYSTEM.LOG1", "SYSTEM.LOG2" };

        snprintf(out, n, "%s/%s", s->dir, names[i]);
}

/* Writes the files (a NULL log buffer: no such file) and opens them. */
static inline void cset_create(struct cset *s, const struct cbuf *primary, const struct cbuf *log1,
                               const struct cbuf *log2)
{
        const struct cbuf *b[3] = { primary, log1, log2 };
        const char *tmp = getenv("TMPDIR");
        struct vhive_error e;

        snprintf(s->dir, sizeof(s->dir), "%s/vhive-commit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(s->dir))
                cdie("mkdtemp");
        for (int i = 0; i < 3; i++) {
                char path[300];

                s->fd[i] = -1;
                s->f[i] = NULL;
                if (!b[i])
                        continue;
                cset_path(s, i, path, sizeof(path));
                cset_write(path, b[i]);
                s->fd[i] = open(path, O_RDWR | O_CLOEXEC);
                if (s->fd[i] < 0 ||
                    vhive_file_from_fd(s->fd[i], path + strlen(s->dir) + 1, &s->f[i], &e) < 0)
                        cdie(path);
        }
        s->files.primary = s->f[0];
        s->files.log[0] = s->f[1];
        s->files.log[1] = s->f[2];
}

static inline void cset_load(const struct cset *s, struct cbuf out[3])
{
        for (int i = 0; i < 3; i++) {
                char path[300];

                cset_path(s, i, path, sizeof(path));
                cset_read(path, &out[i]);
        }
}

static inline void cset_destroy(struct cset *s)
{
        for (int i = 0; i < 3; i++) {
                char path[300];

                vhive_file_free(s->f[i]);
                if (s->fd[i] >= 0)
                        close(s->fd[i]);
                cset_path(s, i, path, sizeof(path));
                unlink(path);
        }
        rmdir(s->dir);
}

/* a equals b, where the longer may go on with zeros (a grown file). */
static inline bool same_padded(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
        size_t n = a_len < b_len ? a_len : b_len;
        const uint8_t *rest = a_len > b_len ? a : b;

        if (memcmp(a, b, n) != 0)
                return false;
        for (size_t i = n; i < (a_len > b_len ? a_len : b_len); i++)
                if (rest[i])
                        return false;
        return true;
}

/* Replays the files as they are; *out malloc'd.  0 or -errno. */
static inline int cset_replay(const struct cset *s, struct cbuf *out, struct vhive_error *e)
{
        struct cbuf f[3];
        int r;

        cset_load(s, f);
        r = vhive_replay(f[0].b, f[0].len, f[1].b, f[1].len, f[2].b, f[2].len, &out->b, &out->len,
                         NULL, e);
        for (int i = 0; i < 3; i++)
                free(f[i].b);
        return r;
}

/* The hive a commit of new_hive leaves: its base block as the commit
 * stamps it (stats), over the old file's length; in the old format the
 * first bin's time as well. */
static inline void cexpected(const struct cbuf *old, const struct cbuf *new_hive,
                             const struct vhive_commit_stats *st, struct cbuf *out)
{
        out->len = old->len > new_hive->len ? old->len : new_hive->len;
        out->b = calloc(1, out->len);
        if (!out->b)
                cdie("calloc");
        memcpy(out->b, old->b, old->len);
        memcpy(out->b, new_hive->b, new_hive->len);
        vhive_put_le32(out->b + 4, st->seq);
        vhive_put_le32(out->b + 8, st->seq);
        vhive_put_le32(out->b + 12, (uint32_t)st->timestamp);
        vhive_put_le32(out->b + 16, (uint32_t)(st->timestamp >> 32));
        vhive_regf_store_checksum(out->b);
        /* Old format: the first bin carries the hive's time too. */
        if (st->format == VHIVE_LOG_OLD && out->len >= 4096 + 32 &&
            memcmp(out->b + 4096, "hbin", 4) == 0) {
                vhive_put_le32(out->b + 4096 + 20, (uint32_t)st->timestamp);
                vhive_put_le32(out->b + 4096 + 24, (uint32_t)(st->timestamp >> 32));
        }
}
