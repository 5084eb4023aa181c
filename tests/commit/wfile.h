/* A struct vhive_file wrapper for the commit tests: records the calls
 * (kind, offset, length, first sector written), fails the n-th mutating
 * call, or flips a byte of the primary's reads.  Header-only; include
 * after cfiles.h. */
#pragma once

#include "../replay/tlog.h"
#include "cfiles.h"

enum wkind { W_WRITE, W_FLUSH, W_EXTEND };

struct wcall {
        int file;
        enum wkind kind;
        uint64_t off;
        size_t len;
        uint8_t head[512]; /* the first sector written */
};

struct wshared {
        struct wcall calls[64];
        unsigned n;
        unsigned fail_at;   /* 1-based mutating call that fails; 0: none */
        bool corrupt_reads; /* flip a byte of every primary read once set */
        unsigned corrupt_after;
};

struct wfile {
        struct vhive_file f;
        struct vhive_file *inner;
        int idx;
        struct wshared *sh;
};

static inline int wcount(struct wfile *x, enum wkind kind, uint64_t off, const void *buf,
                         size_t len)
{
        struct wshared *sh = x->sh;
        struct wcall *c = &sh->calls[sh->n < 64 ? sh->n : 63];

        *c = (struct wcall){ x->idx, kind, off, len, { 0 } };
        if (buf)
                memcpy(c->head, buf, len < 512 ? len : 512);
        sh->n++;
        return sh->fail_at && sh->n == sh->fail_at ? -EIO : 0;
}

static inline int wsize(struct vhive_file *f, uint64_t *size, struct vhive_error *err)
{
        struct wfile *x = f->priv;

        return x->inner->ops->size(x->inner, size, err);
}

static inline int wpread(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                         struct vhive_error *err)
{
        struct wfile *x = f->priv;
        int r = x->inner->ops->pread(x->inner, buf, len, off, err);

        if (r == 0 && x->idx == 0 && x->sh->corrupt_reads && x->sh->n >= x->sh->corrupt_after &&
            len > 5000)
                ((uint8_t *)buf)[5000] ^= 1;
        return r;
}

static inline int wpwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                          struct vhive_error *err)
{
        struct wfile *x = f->priv;

        if (wcount(x, W_WRITE, off, buf, len) < 0)
                return vhive_fail(err, EIO, "injected write failure");
        return x->inner->ops->pwrite(x->inner, buf, len, off, err);
}

static inline int wflush(struct vhive_file *f, struct vhive_error *err)
{
        struct wfile *x = f->priv;

        if (wcount(x, W_FLUSH, 0, NULL, 0) < 0)
                return vhive_fail(err, EIO, "injected flush failure");
        return x->inner->ops->flush(x->inner, err);
}

static inline int wextend(struct vhive_file *f, uint64_t size, struct vhive_error *err)
{
        struct wfile *x = f->priv;

        if (wcount(x, W_EXTEND, size, NULL, 0) < 0)
                return vhive_fail(err, EIO, "injected extend failure");
        return x->inner->ops->extend(x->inner, size, err);
}

static const struct vhive_file_ops w_ops = { wsize, wpread, wpwrite, wflush, wextend };

struct wset {
        struct cset s;
        struct wfile w[3];
        struct vhive_hive_files files;
        struct wshared sh;
};

static inline void wset_create(struct wset *ws, const struct tbuf *p, const struct tbuf *l1,
                               const struct tbuf *l2)
{
        struct cbuf cp = { p->b, p->len };
        struct cbuf c1 = l1 ? (struct cbuf){ l1->b, l1->len } : (struct cbuf){ 0 };
        struct cbuf c2 = l2 ? (struct cbuf){ l2->b, l2->len } : (struct cbuf){ 0 };

        memset(&ws->sh, 0, sizeof(ws->sh));
        cset_create(&ws->s, &cp, l1 ? &c1 : NULL, l2 ? &c2 : NULL);
        for (int i = 0; i < 3; i++)
                ws->w[i] = (struct wfile){ { &w_ops, ws->s.f[i] ? ws->s.f[i]->name : "?",
                                             &ws->w[i] },
                                           ws->s.f[i],
                                           i,
                                           &ws->sh };
        ws->files.primary = &ws->w[0].f;
        for (int i = 0; i < 2; i++)
                ws->files.log[i] = ws->s.f[i + 1] ? &ws->w[i + 1].f : NULL;
}

static inline int wset_commit(struct wset *ws, const struct tbuf *p, const struct tbuf *n,
                              enum vhive_log_format fmt, struct vhive_commit_stats *st,
                              struct vhive_error *e)
{
        return vhive_commit_logged(&ws->files, p->b, p->len, n->b, n->len, fmt, st, e);
}
