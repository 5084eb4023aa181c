/* crash-commit: the logged commit stopped at every point.
 *
 * Usage: crash-commit FORMAT PRIMARY LOG1|- LOG2|-
 *        crash-commit synthetic
 *
 *        crash-commit probes
 *
 * FORMAT is new, old or auto (from the logs).  For two new hives made from
 * the replayed old one (a few pages changed; the same plus one more hive
 * bin, so that the primary must grow), the commit runs over copies of the
 * files through a fault wrapper that stops after the k-th pwrite, flush or
 * extend (every later call fails, nothing more reaches the files), for
 * every k from 0 to the number of calls of a full run; and again with the
 * k-th call a torn pwrite (only its first half written, or only its
 * second).  After each stop the files, replayed by vhive_replay with the
 * logs in both orders (Windows' order on a tie is not documented), must
 * give exactly the old hive or exactly the new one, byte for byte (a grown
 * file reads as zeros past the old end).
 *
 * Then what a disk may do between flushes, from a trace of one
 * uninterrupted run: at every flush, every subset of the writes issued
 * since the file's last flush may have landed (a later one before an
 * earlier one), and each of them may be torn (its first or its second
 * half alone) with the others of the interval landed or not.  The state
 * after a stop is the original files with the settled writes applied.  A
 * large hive (SYSTEM_B, 12 MiB) is checked from the trace only, as the
 * commit takes a second under the sanitizers.
 *
 * In the traced runs, a log the dirty hive needs is neither written nor
 * grown before the primary is clean on disk (needed.h).
 *
 * "probes" runs the layouts a review found (two new-format logs with the
 * same base number; two old-format logs with the primary's time, dirty).
 * Prints the number of crash points checked. */
#include <limits.h>

#include "../replay/tlog.h"
#include "cfiles.h"
#include "needed.h"
#include "probes.h"

enum mode { STOP, TORN, TORN2 };

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
        return x->mode != STOP && *x->calls == x->stop_at ? 2 : 1;
}

static int fpwrite(struct vhive_file *f, const void *buf, size_t len, uint64_t off,
                   struct vhive_error *err)
{
        struct fault *x = f->priv;
        int c = count(x);

        if (c == 2 && x->mode == TORN)
                x->inner->ops->pwrite(x->inner, buf, len / 2, off, err);
        if (c == 2 && x->mode == TORN2)
                x->inner->ops->pwrite(x->inner, (const uint8_t *)buf + len / 2, len - len / 2,
                                      off + len / 2, err);
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
static bool refused, needed[3]; /* needed.h */
/* The hive as found, replayed with the logs swapped: where the found
 * state is itself ambiguous, that order's "old" too (a commit must not
 * make it worse, and cannot make it better before its first write). */
static struct cbuf old_swapped;

static const char *const mode_names[] = { "stop", "torn", "torn, 2nd half" };

/* 1 when the files replay, in both log orders, to the old or the new hive
 * (2 when to the new one in vhive's order); 0 and a message when not. */
static int judge(const struct cbuf f[3], const bool has[3], const struct cbuf *old,
                 const struct cbuf *want, char *why, size_t n)
{
        int verdict = 0, orders = 2;

        /* Logs whose sequence numbers differ (and, unless both are of the
         * new format, times too) are taken in the same order whichever
         * comes first: one replay is enough. */
        if (has[1] && has[2] && f[1].len >= 32 && f[2].len >= 32 &&
            vhive_le32(f[1].b + 4) != vhive_le32(f[2].b + 4) &&
            ((vhive_le32(f[1].b + 28) == 6 && vhive_le32(f[2].b + 28) == 6) ||
             vhive_le64(f[1].b + 12) != vhive_le64(f[2].b + 12)))
                orders = 1;
        for (int order = 0; order < orders; order++) {
                const struct cbuf *a = &f[1 + order], *b = &f[2 - order];
                bool ha = has[1 + order], hb = has[2 - order];
                const struct cbuf *o = order && old_swapped.b ? &old_swapped : old;
                struct vhive_error e;
                struct cbuf got;

                if (vhive_replay(f[0].b, f[0].len, ha ? a->b : NULL, a->len, hb ? b->b : NULL,
                                 b->len, &got.b, &got.len, NULL, &e) < 0) {
                        snprintf(why, n, "replay (%s first) fails: %s", order ? "LOG2" : "LOG1",
                                 e.msg);
                        return 0;
                }
                if (same_padded(got.b, got.len, want->b, want->len)) {
                        verdict = order ? verdict : 2;
                } else if (same_padded(got.b, got.len, old->b, old->len) ||
                           same_padded(got.b, got.len, o->b, o->len)) {
                        verdict = order ? verdict : 1;
                } else {
                        snprintf(why, n,
                                 "the files replay (%s first) to neither the old nor "
                                 "the new hive",
                                 order ? "LOG2" : "LOG1");
                        free(got.b);
                        return 0;
                }
                free(got.b);
        }
        return verdict;
}

/* One run stopped at stop_at (UINT_MAX: never); returns the calls made. */
static unsigned run(const struct input *in, const struct cbuf *old_state,
                    const struct cbuf *new_hive, unsigned stop_at, enum mode mode)
{
        struct fault fx[3];
        struct vhive_hive_files files = { 0 };
        struct vhive_commit_stats st;
        struct vhive_error e = { 0 };
        struct cbuf got3[3], want;
        unsigned calls = 0;
        struct cset s;
        char why[1200];
        int r, v;

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
        if (r < 0 && stop_at == UINT_MAX && calls == 0 && getenv("CRASH_MAY_REFUSE") &&
            *getenv("CRASH_MAY_REFUSE")) { /* set, empty, for the cases that must commit */
                /* Refused before writing anything: the files must say so. */
                printf("refused: %s\n", e.msg);
                refused = true;
        } else if (r < 0 && stop_at == UINT_MAX) {
                fprintf(stderr, "FAIL: the uninterrupted commit failed: %s\n", e.msg);
                exit(1);
        }
        cexpected(&in->f[0], new_hive, &st, &want);
        cset_load(&s, got3);
        v = judge(got3, in->has, old_state, &want, why, sizeof(why));
        if (v == 1 && stop_at == UINT_MAX && !refused)
                v = 0, snprintf(why, sizeof(why), "the finished commit left the old hive");
        if (v == 0) {
                fprintf(stderr, "FAIL: stop after call %u (%s, %u calls made): %s\n", stop_at,
                        mode_names[mode], calls, why);
                exit(1);
        }
        v == 2 ? stops_new++ : stops_old++;
        points++;
        for (int i = 0; i < 3; i++)
                free(got3[i].b);
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
        for (unsigned k = 1; k <= total; k++)
                run(in, old_state, new_hive, k, TORN2);
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
        char why[1200];
        int v = judge(st, has, old, want, why, sizeof(why));

        if (v == 0) {
                fprintf(stderr, "FAIL: %s at call %zu: %s\n", how, k, why);
                exit(1);
        }
        v == 2 ? stops_new++ : stops_old++;
        points++;
}

/* Applies op o to b; a write only in part: from..to of its bytes. */
static void apply_part(struct cbuf *b, const struct op *o, size_t from, size_t to)
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
                if (o->off + o->len > b->len)
                        cdie("a traced write past the end");
                memcpy(b->b + o->off + from, o->data + from, to - from);
        }
}

static void apply_op(struct cbuf *b, const struct op *o)
{
        apply_part(b, o, 0, o->len);
}

static void copy_state(struct cbuf dst[3], const struct cbuf src[3])
{
        for (int i = 0; i < 3; i++) {
                dst[i].len = src[i].len;
                dst[i].b = malloc(src[i].len ? src[i].len : 1);
                if (!dst[i].b)
                        cdie("malloc");
                if (src[i].len)
                        memcpy(dst[i].b, src[i].b, src[i].len);
        }
}

static void free_state(struct cbuf st[3])
{
        for (int i = 0; i < 3; i++)
                free(st[i].b);
}

/* Writes issued since their file's last flush: any of them may or may
 * not have landed, in any order, and one may land in part. */
struct pending {
        const struct op *w[256];
        unsigned n;
};

struct tcheck {
        const struct input *in;
        const struct cbuf *old, *want;
};

/* The settled state with the writes of mask landed, and write torn (its
 * first half when half is 1, its second when 2; -1: none torn). */
static void check_mask(const struct tcheck *t, const struct cbuf settled[3],
                       const struct pending *p, uint64_t mask, int torn, int half, size_t k)
{
        struct cbuf st[3];

        copy_state(st, settled);
        for (unsigned i = 0; i < p->n; i++) {
                const struct op *o = p->w[i];

                if (mask >> (i < 64 ? i : 63) & 1)
                        apply_op(&st[o->file], o);
                else if ((int)i == torn)
                        apply_part(&st[o->file], o, half == 1 ? 0 : o->len / 2,
                                   half == 1 ? o->len / 2 : o->len);
        }
        check_state(st, t->in->has, t->old, t->want, k,
                    torn < 0 ? "unflushed writes landed in any order" : "a torn write");
        free_state(st);
}

#define ALL_SUBSETS 6 /* up to this many pending writes: every subset */

/* CRASH_FULL=1 (bench/crash-commit-full.sh): every model on every
 * interval.  Else, on an interval of more writes than ALL_SUBSETS (a
 * dirty real hive's replayed pages), prefixes and suffixes only, and each
 * write torn after the earlier ones: the suite stays within minutes. */
static bool full_model;

/* Which of the pending writes landed: every subset of a few; of more,
 * every prefix (in order), suffix (the later ones first), all but one,
 * and one alone.  A 64-bit mask: writes past 64 always land with the
 * last one of the first 64 (GAP_PAGES merges pages into few writes). */
static uint64_t nth_mask(unsigned n, unsigned k, bool *more)
{
        uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
        unsigned m = n > 64 ? 64 : n;

        *more = true;
        if (n <= ALL_SUBSETS) {
                *more = k < (1u << n) - 1;
                return k;
        }
        if (k <= m)
                return k == m ? all : (1ull << k) - 1; /* prefixes */
        k -= m + 1;
        if (k < m) {
                *more = full_model || k + 1 < m;
                return all & ~((2ull << k) - 1); /* suffixes */
        }
        k -= m;
        if (k < m)
                return all & ~(1ull << k); /* all but one */
        k -= m;
        *more = k + 1 < m;
        return 1ull << k; /* one alone */
}

/* The subsets above; each write torn (both halves) with the others all
 * landed or none. */
static void check_pending(const struct tcheck *t, const struct cbuf settled[3],
                          const struct pending *p, size_t k)
{
        uint64_t all = p->n >= 64 ? ~0ull : (1ull << p->n) - 1;
        bool more = true;

        for (unsigned j = 0; more; j++)
                check_mask(t, settled, p, nth_mask(p->n, j, &more), -1, 0, k);
        for (unsigned i = 0; i < p->n && i < 64; i++) {
                for (int half = 1; half <= 2; half++) {
                        if (!full_model && p->n > ALL_SUBSETS) {
                                check_mask(t, settled, p, (1ull << i) - 1, (int)i, half, k);
                                continue;
                        }
                        check_mask(t, settled, p, 0, (int)i, half, k);
                        check_mask(t, settled, p, all & ~(1ull << i), (int)i, half, k);
                }
        }
}

/* A flush of file f settles f's pending writes (checked first). */
static void settle(const struct tcheck *t, struct cbuf settled[3], struct pending *p, int f,
                   size_t k)
{
        unsigned keep = 0;

        check_pending(t, settled, p, k);
        for (unsigned i = 0; i < p->n; i++) {
                if (p->w[i]->file == f)
                        apply_op(&settled[f], p->w[i]);
                else
                        p->w[keep++] = p->w[i];
        }
        p->n = keep;
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
        struct cbuf settled[3], want;
        struct pending p = { .n = 0 };
        struct tcheck tc = { in, old, &want };
        char why[1200];

        traced_run(in, new_hive, &t, &st);
        cexpected(&in->f[0], new_hive, &st, &want);
        copy_state(settled, in->f);
        for (size_t k = 0; k < t.n; k++) {
                const struct op *o = &t.ops[k];

                if (o->kind != OP_FLUSH)
                        needed_check(needed, o->file, &settled[0], k);
                if (o->kind == OP_WRITE && p.n < ARRAY_SIZE(p.w)) {
                        p.w[p.n++] = o;
                } else if (o->kind == OP_WRITE) {
                        cdie("more than 256 writes between two flushes");
                } else {
                        settle(&tc, settled, &p, o->file, k + 1);
                        apply_op(&settled[o->file], o);
                }
        }
        settle(&tc, settled, &p, -1, t.n);
        if (judge(settled, in->has, old, &want, why, sizeof(why)) != 2) {
                fprintf(stderr, "FAIL: the finished commit does not give the new hive\n");
                exit(1);
        }
        for (size_t k = 0; k < t.n; k++)
                free(t.ops[k].data);
        free(t.ops);
        free(want.b);
        free_state(settled);
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
        if (vhive_replay(in->f[0].b, in->f[0].len, in->f[2].b, in->f[2].len, in->f[1].b,
                         in->f[1].len, &old_swapped.b, &old_swapped.len, NULL, &e) < 0)
                old_swapped = (struct cbuf){ NULL, 0 };
        needed_logs(in->f, in->has, needed);
        for (int grow = 0; grow < 2; grow++) {
                /* A large hive: the growing commit under CRASH_FULL only. */
                if (grow && in->f[0].len > (1u << 20) && !full_model)
                        break;
                make_new(&r, grow, &n);
                if (in->f[0].len <= (1u << 20))
                        every_point(in, &r, &n);
                if (!refused)
                        every_point_traced(in, &r, &n);
                free(n.b);
        }
        free(r.b);
        free(old_swapped.b);
        old_swapped = (struct cbuf){ NULL, 0 };
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

static struct cbuf as_cbuf(struct tbuf t)
{
        return (struct cbuf){ t.b, t.len };
}

/* The review's layouts: the new record must not tie with a stale log,
 * nor go under a stale base block. */
static void probe_tie_new_input(void)
{
        struct input in = { .has = { true, true, true }, .fmt = VHIVE_LOG_NEW };
        struct tbuf h, l1, l2;

        probe_tie_new(&h, &l1, &l2);
        in.f[0] = as_cbuf(h);
        in.f[1] = as_cbuf(l1);
        in.f[2] = as_cbuf(l2);
        check_input(&in);
        for (int i = 0; i < 3; i++)
                free(in.f[i].b);
}

static void probe_tie_old_input(void)
{
        struct input in = { .has = { true, true, true }, .fmt = VHIVE_LOG_OLD };
        struct tbuf d, o[2];

        probe_tie_old(&d, o);
        in.f[0] = as_cbuf(d);
        in.f[1] = as_cbuf(o[0]);
        in.f[2] = as_cbuf(o[1]);
        check_input(&in);
        for (int i = 0; i < 3; i++)
                free(in.f[i].b);
}

int main(int argc, char **argv)
{
        struct input in = { 0 };

        full_model = getenv("CRASH_FULL") && *getenv("CRASH_FULL") == '1';

        if (argc == 2 && strcmp(argv[1], "synthetic") == 0) {
                synthetic();
        } else if (argc == 2 && strcmp(argv[1], "probes") == 0) {
                probe_tie_new_input();
                probe_tie_old_input();
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
                                "       crash-commit synthetic|probes\n");
                return 2;
        }
        printf("crash points: %u (%u old, %u new)\n", points, stops_old, stops_new);
        return 0;
}
