/* crash-commit: the logged commit stopped at every point.
 *
 * Usage: crash-commit FORMAT PRIMARY LOG1|- LOG2|-
 *        crash-commit synthetic
 *
 * FORMAT is new, old or auto (from the logs).  For two new hives made from
 * the replayed old one (a few pages changed; the same plus one more hive
 * bin, so that the primary must grow), the commit runs over copies of the
 * files through a fault wrapper that stops after the k-th pwrite, flush or
 * extend (every later call fails, nothing more reaches the files), for
 * every k from 0 to the number of calls of a full run; and again with the
 * k-th call a torn pwrite (only its first half written).  After each stop
 * the files, replayed by vhive_replay, must give exactly the old hive or
 * exactly the new one, byte for byte (a grown file reads as zeros past the
 * old end).  Prints the number of crash points checked.
 *
 * A large hive (SYSTEM_B, 12 MiB) is checked from a trace instead, as the
 * commit takes a second under the sanitizers: one uninterrupted run
 * records every call, and the state after a stop at k is the original
 * files with the first k calls applied (the k-th torn: half of it), which
 * is what a stopped process leaves, since the calls are issued in order. */
#include <limits.h>

#include "../replay/tlog.h"
#include "cfiles.h"

enum mode { STOP, TORN };

struct fault {
        struct vhive_file f;
        struct vhive_file *inner;
        unsigned *calls, stop_at;
        enum mode mode;
};

static bool stopped(struct fault *x)
{
        return *x->calls >= x->stop_at;
}

static int fsize(struct vhive_file *f, uint64_t *size, struct vhive_error *err)
{
        struct fault *x = f->priv;

        return x->inner->ops->size(x->inner, size, err);
}

static int fpread(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                  struct vhive_error *err)
{
        struct fault *x = f->priv;

        return x->inner->ops->pread(x->inner, buf, len, off, err);
}

/* Counts a mutating call; 1 when it may run, 0 when the process "died"
 * before it, 2 when it is the torn one. */
static int count(struct fault *x)
{
        if (stopped(x))
                return 0;
        ++*x->calls;
        return x->mode == TORN && *x->calls == x->stop_at ? 2 : 1;
}

static int fpwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                   struct vhive_error *err)
{
        struct fault *x = f->priv;
        int c = count(x);

        if (c == 2)
                x->inner->ops->pwrite(x->inner, buf, len / 2, off, err);
        if (c != 1)
                return vhive_fail(err, EIO, "stopped");
        return x->inner->ops->pwrite(x->inner, buf, len, off, err);
}

static int fflush_(struct vhive_file *f, struct vhive_error *err)
{
        struct fault *x = f->priv;

        if (count(x) != 1)
                return vhive_fail(err, EIO, "stopped");
        return x->inner->ops->flush(x->inner, err);
}

static int fextend(struct vhive_file *f, uint64_t size, struct vhive_error *err)
{
        struct fault *x = f->priv;

        if (count(x) != 1)
                return vhive_fail(err, EIO, "stopped");
        return x->inner->ops->extend(x->inner, size, err);
}

static const struct vhive_file_ops fault_ops = { fsize, fpread, fpwrite, fflush_, fextend };

struct input {
        struct cbuf f[3];
        bool has[3];
        enum vhive_log_format fmt;
};

static unsigned points, stops_old, stops_new;
static bool refused;

/* One run stopped at stop_at (UINT_MAX: never); returns the calls made. */
static unsigned run(const struct input *in, const struct cbuf *old_state,
                    const struct cbuf *new_hive, unsigned stop_at, enum mode mode)
{
        struct fault fx[3];
        struct vhive_hive_files files = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf got, want;
        unsigned calls = 0;
        struct cset s;
        int r;

        cset_create(&s, &in->f[0], in->has[1] ? &in->f[1] : NULL, in->has[2] ? &in->f[2] : NULL);
        for (int i = 0; i < 3; i++) {
                const char *name = s.f[i] ? s.f[i]->name : "?";

                fx[i] = (struct fault){ .f = { &fault_ops, name, &fx[i] },
                                        .inner = s.f[i],
                                        .calls = &calls,
                                        .stop_at = stop_at,
                                        .mode = mode };
                if (i == 0)
                        files.primary = s.f[0] ? &fx[0].f : NULL;
                else
                        files.log[i - 1] = s.f[i] ? &fx[i].f : NULL;
        }
        r = vhive_commit_logged(&files, in->f[0].b, in->f[0].len, new_hive->b, new_hive->len,
                                in->fmt, &st, &e);
        if (r < 0 && stop_at == UINT_MAX && calls == 0 && getenv("CRASH_MAY_REFUSE")) {
                /* Refused before writing anything: the files must say so. */
                printf("refused: %s\n", e.msg);
                refused = true;
        } else if (r < 0 && stop_at == UINT_MAX) {
                fprintf(stderr, "FAIL: the uninterrupted commit failed: %s\n", e.msg);
                exit(1);
        }
        if (cset_replay(&s, &got, &e) < 0) {
                fprintf(stderr, "FAIL: stop after call %u (%s): replay fails: %s\n", stop_at,
                        mode == TORN ? "torn" : "stop", e.msg);
                exit(1);
        }
        cexpected(&in->f[0], new_hive, &st, &want);
        if (same_padded(got.b, got.len, want.b, want.len))
                stops_new++;
        else if (same_padded(got.b, got.len, old_state->b, old_state->len) &&
                 (stop_at != UINT_MAX || refused))
                stops_old++;
        else {
                fprintf(stderr,
                        "FAIL: stop after call %u (%s, %u calls made): the files replay "
                        "to neither the old nor the new hive\n",
                        stop_at, mode == TORN ? "torn" : "stop", calls);
                exit(1);
        }
        points++;
        free(got.b);
        free(want.b);
        cset_destroy(&s);
        return calls;
}

static void every_point(const struct input *in, const struct cbuf *old_state,
                        const struct cbuf *new_hive)
{
        unsigned total = run(in, old_state, new_hive, UINT_MAX, STOP);

        if (refused)
                return;

        for (unsigned k = 0; k <= total; k++)
                run(in, old_state, new_hive, k, STOP);
        for (unsigned k = 1; k <= total; k++)
                run(in, old_state, new_hive, k, TORN);
}

/* ---- trace mode ----------------------------------------------------------- */

enum op_kind { OP_WRITE, OP_FLUSH, OP_EXTEND };

struct op {
        int file;
        enum op_kind kind;
        uint64_t off; /* OP_EXTEND: the new size */
        uint8_t *data;
        size_t len;
};

struct trace {
        struct op *ops;
        size_t n;
};

struct recorder {
        struct vhive_file f;
        struct vhive_file *inner;
        int idx;
        struct trace *t;
};

static void record(struct recorder *x, enum op_kind kind, uint64_t off, const void *d, size_t len)
{
        struct trace *t = x->t;
        struct op *o = realloc(t->ops, (t->n + 1) * sizeof(*o));

        if (!o)
                cdie("realloc");
        t->ops = o;
        o = &t->ops[t->n++];
        *o = (struct op){ x->idx, kind, off, NULL, len };
        if (d && len && !(o->data = malloc(len)))
                cdie("malloc");
        if (d && len)
                memcpy(o->data, d, len);
}

static int rsize(struct vhive_file *f, uint64_t *size, struct vhive_error *err)
{
        struct recorder *x = f->priv;

        return x->inner->ops->size(x->inner, size, err);
}

static int rpread(struct vhive_file *f, void *buf, size_t len, uint64_t off,
                  struct vhive_error *err)
{
        struct recorder *x = f->priv;

        return x->inner->ops->pread(x->inner, buf, len, off, err);
}

static int rpwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                   struct vhive_error *err)
{
        struct recorder *x = f->priv;

        record(x, OP_WRITE, off, buf, len);
        return x->inner->ops->pwrite(x->inner, buf, len, off, err);
}

static int rflush(struct vhive_file *f, struct vhive_error *err)
{
        struct recorder *x = f->priv;

        record(x, OP_FLUSH, 0, NULL, 0);
        return x->inner->ops->flush(x->inner, err);
}

static int rextend(struct vhive_file *f, uint64_t size, struct vhive_error *err)
{
        struct recorder *x = f->priv;

        record(x, OP_EXTEND, size, NULL, 0);
        return x->inner->ops->extend(x->inner, size, err);
}

static const struct vhive_file_ops rec_ops = { rsize, rpread, rpwrite, rflush, rextend };

static void check_state(const struct cbuf st[3], const bool has[3], const struct cbuf *old,
                        const struct cbuf *want, size_t k, const char *how)
{
        struct vhive_error e;
        struct cbuf got;

        if (vhive_replay(st[0].b, st[0].len, has[1] ? st[1].b : NULL, st[1].len,
                         has[2] ? st[2].b : NULL, st[2].len, &got.b, &got.len, NULL, &e) < 0) {
                fprintf(stderr, "FAIL: %s after call %zu: replay fails: %s\n", how, k, e.msg);
                exit(1);
        }
        if (same_padded(got.b, got.len, want->b, want->len))
                stops_new++;
        else if (same_padded(got.b, got.len, old->b, old->len))
                stops_old++;
        else {
                fprintf(stderr, "FAIL: %s after call %zu: neither the old nor the new hive\n", how,
                        k);
                exit(1);
        }
        points++;
        free(got.b);
}

static void apply_op(struct cbuf *b, const struct op *o, size_t len)
{
        if (o->kind == OP_EXTEND && o->off > b->len) {
                uint8_t *p = realloc(b->b, o->off);

                if (!p)
                        cdie("realloc");
                memset(p + b->len, 0, o->off - b->len);
                b->b = p;
                b->len = o->off;
        }
        if (o->kind == OP_WRITE) {
                if (o->off + len > b->len)
                        cdie("a traced write past the end");
                memcpy(b->b + o->off, o->data, len);
        }
}

static void traced_run(const struct input *in, const struct cbuf *new_hive, struct trace *t,
                       struct vhive_commit_stats *st)
{
        struct recorder rx[3];
        struct vhive_hive_files files = { 0 };
        struct vhive_error e = { 0 };
        struct cset s;

        cset_create(&s, &in->f[0], in->has[1] ? &in->f[1] : NULL, in->has[2] ? &in->f[2] : NULL);
        for (int i = 0; i < 3; i++) {
                rx[i] = (struct recorder){ .f = { &rec_ops, s.f[i] ? s.f[i]->name : "?", &rx[i] },
                                           .inner = s.f[i],
                                           .idx = i,
                                           .t = t };
                if (i == 0)
                        files.primary = &rx[0].f;
                else
                        files.log[i - 1] = s.f[i] ? &rx[i].f : NULL;
        }
        if (vhive_commit_logged(&files, in->f[0].b, in->f[0].len, new_hive->b, new_hive->len,
                                in->fmt, st, &e) < 0) {
                fprintf(stderr, "FAIL: the uninterrupted commit failed: %s\n", e.msg);
                exit(1);
        }
        cset_destroy(&s);
}

static void every_point_traced(const struct input *in, const struct cbuf *old,
                               const struct cbuf *new_hive)
{
        struct vhive_commit_stats st;
        struct trace t = { 0 };
        struct cbuf state[3], want;

        traced_run(in, new_hive, &t, &st);
        cexpected(&in->f[0], new_hive, &st, &want);
        for (int i = 0; i < 3; i++) {
                state[i].len = in->f[i].len;
                state[i].b = malloc(state[i].len ? state[i].len : 1);
                if (!state[i].b)
                        cdie("malloc");
                if (state[i].len)
                        memcpy(state[i].b, in->f[i].b, state[i].len);
        }
        check_state(state, in->has, old, &want, 0, "stop");
        for (size_t k = 0; k < t.n; k++) {
                const struct op *o = &t.ops[k];

                if (o->kind == OP_WRITE) {
                        apply_op(&state[o->file], o, o->len / 2);
                        check_state(state, in->has, old, &want, k + 1, "torn");
                }
                apply_op(&state[o->file], o, o->len);
                check_state(state, in->has, old, &want, k + 1, "stop");
                free(o->data);
        }
        free(t.ops);
        free(want.b);
        for (int i = 0; i < 3; i++)
                free(state[i].b);
}

/* Changes a few pages (and maybe adds a bin) of the replayed hive. */
static void make_new(const struct cbuf *r, bool grow, struct cbuf *n)
{
        uint32_t hbins = vhive_le32(r->b + 40), pages = hbins / T_BIN;

        n->len = r->len + (grow ? T_BIN : 0);
        n->b = calloc(1, n->len);
        if (!n->b)
                cdie("calloc");
        memcpy(n->b, r->b, r->len);
        for (uint32_t k = 0; k < 3; k++) {
                uint32_t page = (k * 7 + 1) % pages;

                for (uint32_t i = 64; i < 96; i++)
                        n->b[T_BASE + (size_t)page * T_BIN + i] ^= (uint8_t)(0x5a + k);
        }
        if (grow) {
                fill_page(n->b + T_BASE + hbins, hbins, T_BIN, 77);
                vhive_put_le32(n->b + 40, hbins + T_BIN);
                n->len = T_BASE + (size_t)hbins + T_BIN;
        }
        vhive_regf_store_checksum(n->b);
}

static void check_input(const struct input *in)
{
        struct vhive_error e;
        struct cbuf r, n;

        if (vhive_replay(in->f[0].b, in->f[0].len, in->f[1].b, in->f[1].len, in->f[2].b,
                         in->f[2].len, &r.b, &r.len, NULL, &e) < 0) {
                fprintf(stderr, "FAIL: the input does not replay: %s\n", e.msg);
                exit(1);
        }
        for (int grow = 0; grow < 2; grow++) {
                make_new(&r, grow, &n);
                if (in->f[0].len > (1u << 20))
                        every_point_traced(in, &r, &n);
                else
                        every_point(in, &r, &n);
                free(n.b);
        }
        free(r.b);
}

static void synthetic(void)
{
        for (int fmt = 0; fmt < 2; fmt++) {
                struct input in = { .has = { true, true, true } };
                struct tbuf h;

                synth_hive(&h, 8, 40, 5000);
                in.f[0] = (struct cbuf){ h.b, h.len };
                in.fmt = fmt ? VHIVE_LOG_OLD : VHIVE_LOG_NEW;
                check_input(&in);
                free(h.b);
        }
}

int main(int argc, char **argv)
{
        struct input in = { 0 };

        if (argc == 2 && strcmp(argv[1], "synthetic") == 0) {
                synthetic();
        } else if (argc == 5) {
                in.fmt = strcmp(argv[1], "new") == 0   ? VHIVE_LOG_NEW
                         : strcmp(argv[1], "old") == 0 ? VHIVE_LOG_OLD
                                                       : VHIVE_LOG_NONE;
                for (int i = 0; i < 3; i++) {
                        in.has[i] = strcmp(argv[2 + i], "-") != 0;
                        if (in.has[i])
                                cset_read(argv[2 + i], &in.f[i]);
                }
                check_input(&in);
                for (int i = 0; i < 3; i++)
                        free(in.f[i].b);
        } else {
                fprintf(stderr, "usage: crash-commit FORMAT PRIMARY LOG1|- LOG2|-\n"
                                "       crash-commit synthetic\n");
                return 2;
        }
        printf("crash points: %u (%u old, %u new)\n", points, stops_old, stops_new);
        return 0;
}
