/* imgcrash: the image-level crash model (issue 17).  From the log imgrec.so
 * wrote while vhive changed an image (a bare NTFS volume, raw), rebuilds
 * every state a power cut could leave the image file in, and reads each as
 * Windows would (imgcrash-read.c).
 *
 *   imgcrash [OPTIONS] LOG PRISTINE WORK
 *
 * PRISTINE is the image before the recorded runs (read only); WORK a
 * scratch copy.  The recorded changes are cut into intervals by the
 * flushes (a flush makes durable what completed before it started).  For
 * each interval, with everything before it on the disk:
 *   - every prefix of its changes;
 *   - any subset of them: all while there are at most -a of them
 *     (default 10), else each one alone, all but each one, and -s random
 *     subsets (default 200);
 *   - every sector subset of each write spanning more than one sector
 *     (-S bytes, default 512), with the interval's earlier changes landed,
 *     alone, and with all its other changes landed: all subsets up to -t
 *     sectors (default 10), else its sector prefixes and suffixes and -T
 *     random subsets (default 64).
 * A state is
 *   old/new/mid  the hive Windows loads is the one before / after the
 *                interval's run (mid: after an earlier run of the log), and
 *                vhive would read it too;
 *   unreadable   the volume does not mount, the config folder does not list
 *                the hive and both logs, one of them cannot be read, or a
 *                multi-sector record (FILE, INDX, RCRD, RSTR) a change
 *                touched is torn;
 *   other        anything else (named on stdout, with the state).
 * The references are read from the log itself: the pristine image, and
 * the image after each recorded run (a run: one qemu-nbd or qemu).
 * Options: -c FOLDER (/Windows/System32/config), -n HIVE (SYSTEM), -r SEED,
 * -D K: ignore the K-th flush (shows the model catches a missing barrier),
 * -l N: name at most N bad states (20), -k DIR: keep a copy of each named
 * (DIR/KIND-N.raw), -v: list the changes.  Exit 0 when every state is old,
 * new or mid; 1 otherwise; 2 on a usage error or an unusable log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgcrash.h"
#include "imgrec.h"

#define MAX_RUNS 64
#define FALLOC_KEEP_SIZE 0x01
#define FALLOC_PUNCH 0x02
#define FALLOC_ZERO 0x10

struct op {
        uint32_t type;
        uint64_t off, len, mode;
        const uint8_t *data;
        int run;
};

struct undo {
        uint64_t off;
        size_t len;
        uint8_t *old;
};

static struct op *ops;
static size_t nops, *cuts, ncuts;
static int nruns;
static unsigned opt_all = 10, opt_samples = 200, opt_tear_all = 10, opt_tear_samples = 64;
static unsigned opt_sector = 512, opt_drop, opt_limit = 20;
static bool opt_verbose;
static const char *opt_keep;
static uint64_t rng = 1;
static const char *work;
static int wfd = -1;
static uint64_t mft_off;
static struct state_read refs[MAX_RUNS + 1];
static struct undo *undos;
static size_t nundo, cap_undo;
static unsigned long n_states, n_old, n_new, n_mid, n_other, n_unreadable, n_torn, n_shown;

static void die(const char *what)
{
        fprintf(stderr, "imgcrash: %s: %s\n", what, strerror(errno));
        exit(2);
}

static uint64_t rnd(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

/* ---- the log ------------------------------------------------------------ */

static void add_cut(size_t at)
{
        if (at == 0 || (ncuts && cuts[ncuts - 1] >= at))
                return;
        cuts = realloc(cuts, (ncuts + 1) * sizeof(*cuts));
        cuts[ncuts++] = at;
}

struct run_stats {
        unsigned long writes, bytes, fdatasyncs, fsyncs, fallocs, truncs;
};

static void parse(const uint8_t *p, size_t len, struct run_stats *st)
{
        size_t at = 0, base = 0;
        unsigned flushes = 0;
        int opened = 0, last_open = -1, run;

        while (at + sizeof(struct imgrec_head) <= len) {
                struct imgrec_head h;

                memcpy(&h, p + at, sizeof(h));
                at += sizeof(h);
                if (h.magic != IMGREC_MAGIC || (h.type == IMGREC_WRITE && h.len > len - at)) {
                        fprintf(stderr, "imgcrash: a damaged log at byte %zu\n", at);
                        exit(2);
                }
                if (h.type == IMGREC_UNSUPPORTED) {
                        fprintf(stderr, "imgcrash: the log has io_submit calls: use aio=threads\n");
                        exit(2);
                }
                /* A process's flushes count for its run, once it writes. */
                run = opened == last_open ? nruns : nruns + 1;
                if (h.type == IMGREC_OPEN) {
                        opened++;
                        base = nops;
                        if (nruns < MAX_RUNS)
                                st[nruns + 1] = (struct run_stats){ 0 };
                        continue;
                }
                if (h.type == IMGREC_FDATASYNC || h.type == IMGREC_FSYNC) {
                        if (++flushes != opt_drop)
                                add_cut(base + h.arg);
                        st[run].fdatasyncs += h.type == IMGREC_FDATASYNC;
                        st[run].fsyncs += h.type == IMGREC_FSYNC;
                        continue;
                }
                if (opened != last_open) {
                        if (++nruns >= MAX_RUNS) {
                                fprintf(stderr, "imgcrash: more than %d runs\n", MAX_RUNS);
                                exit(2);
                        }
                        last_open = opened;
                }
                ops = realloc(ops, (nops + 1) * sizeof(*ops));
                ops[nops] = (struct op){ h.type, h.off, h.len, h.reserved, p + at, nruns };
                st[nruns].writes += h.type == IMGREC_WRITE;
                st[nruns].bytes += h.type == IMGREC_WRITE ? h.len : 0;
                st[nruns].fallocs += h.type == IMGREC_FALLOCATE;
                st[nruns].truncs += h.type == IMGREC_TRUNCATE;
                nops++;
                if (h.type == IMGREC_WRITE)
                        at += h.len;
        }
        add_cut(nops);
}

/* ---- changing the work image, with undo --------------------------------- */

static void put(const void *buf, size_t len, uint64_t off, bool undoable)
{
        if (undoable) {
                struct undo u = { off, len, malloc(len ? len : 1) };
                ssize_t n = pread(wfd, u.old, len, (off_t)off);

                u.len = n > 0 ? (size_t)n : 0;
                if (nundo == cap_undo)
                        undos = realloc(undos, (cap_undo = cap_undo * 2 + 16) * sizeof(*undos));
                undos[nundo++] = u;
        }
        if (pwrite(wfd, buf, len, (off_t)off) != (ssize_t)len)
                die(work);
}

static uint64_t size_now(void)
{
        struct stat st;

        if (fstat(wfd, &st) < 0)
                die(work);
        return (uint64_t)st.st_size;
}

/* Sector unit u of a write: [*from, *to) inside it. */
static size_t units(const struct op *o)
{
        uint64_t first = o->off / opt_sector, last = (o->off + o->len - 1) / opt_sector;

        return o->type == IMGREC_WRITE && o->len ? (size_t)(last - first + 1) : 1;
}

static void unit_range(const struct op *o, size_t u, uint64_t *from, uint64_t *to)
{
        uint64_t s = (o->off / opt_sector + u) * opt_sector;

        *from = s > o->off ? s : o->off;
        *to = s + opt_sector < o->off + o->len ? s + opt_sector : o->off + o->len;
}

static void apply(const struct op *o, const bool *mask, bool undoable)
{
        static uint8_t zeros[65536];
        uint64_t from, to, size;

        switch (o->type) {
        case IMGREC_WRITE:
                if (!mask) {
                        put(o->data, o->len, o->off, undoable);
                        return;
                }
                for (size_t u = 0; u < units(o); u++) {
                        if (!mask[u])
                                continue;
                        unit_range(o, u, &from, &to);
                        put(o->data + (from - o->off), to - from, from, undoable);
                }
                return;
        case IMGREC_FALLOCATE:
                if (o->mode & (FALLOC_PUNCH | FALLOC_ZERO)) {
                        for (from = o->off; from < o->off + o->len; from += sizeof(zeros)) {
                                to = o->off + o->len - from;
                                put(zeros, to < sizeof(zeros) ? to : sizeof(zeros), from, undoable);
                        }
                }
                size = size_now();
                if (!(o->mode & FALLOC_KEEP_SIZE) && o->off + o->len > size &&
                    ftruncate(wfd, (off_t)(o->off + o->len)) < 0)
                        die(work);
                return;
        case IMGREC_TRUNCATE:
                size = size_now();
                if (o->off < size && undoable) {
                        uint8_t *keep = malloc(size - o->off);
                        ssize_t n = pread(wfd, keep, size - o->off, (off_t)o->off);

                        if (n < 0)
                                die(work);
                        put(keep, (size_t)n, o->off, true); /* saved for the undo */
                        free(keep);
                }
                if (ftruncate(wfd, (off_t)o->off) < 0)
                        die(work);
                return;
        }
}

static void undo_all(uint64_t size)
{
        if (ftruncate(wfd, (off_t)(size > size_now() ? size : size_now())) < 0)
                die(work);
        while (nundo) {
                struct undo *u = &undos[--nundo];

                if (u->len && pwrite(wfd, u->old, u->len, (off_t)u->off) != (ssize_t)u->len)
                        die(work);
                free(u->old);
        }
        if (ftruncate(wfd, (off_t)size) < 0)
                die(work);
}

/* ---- one state ------------------------------------------------------------ */

/* A torn record among the bytes the state's changes touched: 0 or why. */
static const char *torn_record(size_t lo, size_t n, const bool *landed, long tear, char *why,
                               size_t len)
{
        uint8_t buf[4096];

        for (size_t i = 0; i < n; i++) {
                const struct op *o = &ops[lo + i];

                if ((!landed[i] && (long)i != tear) || o->type != IMGREC_WRITE)
                        continue;
                for (uint64_t p = o->off / 4096 * 4096; p < o->off + o->len; p += 1024) {
                        ssize_t got = pread(wfd, buf, sizeof(buf), (off_t)p);
                        const char *t = got >= 1024 ? mst_torn(buf, (size_t)got) : NULL;

                        if (!t)
                                continue;
                        if (p >= mft_off && memcmp(buf, "FILE", 4) == 0)
                                snprintf(why, len, "MFT record %llu (offset %llu): %s",
                                         (unsigned long long)((p - mft_off) / 1024),
                                         (unsigned long long)p, t);
                        else
                                snprintf(why, len, "%.4s record at offset %llu: %s", buf,
                                         (unsigned long long)p, t);
                        return why;
                }
        }
        return NULL;
}

static void describe(size_t lo, size_t n, const bool *landed, long tear, const bool *mask)
{
        size_t cut = 0;

        while (cut < ncuts && cuts[cut] <= lo)
                cut++;
        printf("  state: changes %zu..%zu (after flush %zu; run %d) landed:", lo + 1, lo + n, cut,
               ops[lo].run);
        for (size_t i = 0; i < n; i++)
                if (landed[i])
                        printf(" %zu", lo + i + 1);
        if (tear >= 0) {
                const struct op *o = &ops[lo + tear];

                printf("; change %zu torn (%llu bytes at %llu), sectors landed:", lo + tear + 1,
                       (unsigned long long)o->len, (unsigned long long)o->off);
                for (size_t u = 0; u < units(o); u++)
                        if (mask[u])
                                printf(" %zu", u);
        }
        printf("\n");
}

/* -k DIR: DIR/KIND-N.raw, a copy of the state, for ntfs-3g's own tools. */
static void keep(const char *kind)
{
        static uint8_t buf[1 << 16], zero[1 << 16];
        char path[4096];
        off_t at = 0;
        ssize_t n;
        int out;

        snprintf(path, sizeof(path), "%s/%s-%lu.raw", opt_keep, kind, n_shown);
        out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out < 0)
                die(path);
        while ((n = pread(wfd, buf, sizeof(buf), at)) > 0) {
                if (memcmp(buf, zero, (size_t)n) != 0 && pwrite(out, buf, (size_t)n, at) != n)
                        die(path);
                at += n;
        }
        if (n < 0 || ftruncate(out, at) < 0 || close(out) < 0)
                die(path);
        printf("  kept as %s\n", path);
}

static void bad(const char *kind, const char *why, size_t lo, size_t n, const bool *landed,
                long tear, const bool *mask)
{
        if (n_shown++ >= opt_limit)
                return;
        printf("%s: %s\n", kind, why);
        describe(lo, n, landed, tear, mask);
        if (opt_keep)
                keep(kind);
}

/* Classifies the state: LANDED[i] for the interval's change lo+i, the
 * change TEAR (-1: none) only in the sectors MASK says. */
static void check(size_t lo, size_t n, const bool *landed, long tear, const bool *mask)
{
        uint64_t size = size_now();
        int a = ops[lo].run, b = ops[lo + n - 1].run, match = -1;
        struct state_read s;
        char why[512];
        const char *torn;

        for (size_t i = 0; i < n; i++)
                if (landed[i] || (long)i == tear)
                        apply(&ops[lo + i], (long)i == tear ? mask : NULL, true);
        n_states++;
        torn = torn_record(lo, n, landed, tear, why, sizeof(why));
        if (!read_state(work, &s))
                exit(2);
        for (int r = b; r >= a - 1 && s.hive && match < 0; r--)
                if (same_hive(s.hive, s.hive_len, refs[r].hive, refs[r].hive_len))
                        match = r;
        if (torn || !s.readable) {
                n_unreadable++;
                n_torn += torn != NULL;
                bad("unreadable", torn ? torn : s.why, lo, n, landed, tear, mask);
        } else if (match < 0 || s.vhive_refuses) {
                n_other++;
                bad("other", s.hive && !s.vhive_refuses ? "the hive is neither old nor new" : s.why,
                    lo, n, landed, tear, mask);
        } else {
                n_old += match == a - 1;
                n_new += match == b && b != a - 1;
                n_mid += match != a - 1 && match != b;
        }
        state_read_free(&s);
        undo_all(size);
}

/* ---- the states of an interval -------------------------------------------- */

static void subsets(size_t lo, size_t n, bool *landed)
{
        if (n <= opt_all && n < 24) {
                for (uint64_t m = 1; m < (1ull << n); m++) {
                        if ((m & (m + 1)) == 0)
                                continue; /* a prefix */
                        for (size_t i = 0; i < n; i++)
                                landed[i] = m >> i & 1;
                        check(lo, n, landed, -1, NULL);
                }
                return;
        }
        for (size_t k = 0; k < 2 * n; k++) {
                for (size_t i = 0; i < n; i++)
                        landed[i] = (i == k % n) == (k < n);
                check(lo, n, landed, -1, NULL);
        }
        for (unsigned k = 0; k < opt_samples; k++) {
                for (size_t i = 0; i < n; i++)
                        landed[i] = rnd() & 1;
                check(lo, n, landed, -1, NULL);
        }
}

static void tear_masks(size_t lo, size_t n, bool *landed, size_t j)
{
        size_t u = units(&ops[lo + j]);
        bool *mask = calloc(u, 1);

        if (u <= opt_tear_all && u < 24) {
                for (uint64_t m = 1; m + 1 < (1ull << u); m++) {
                        for (size_t i = 0; i < u; i++)
                                mask[i] = m >> i & 1;
                        check(lo, n, landed, (long)j, mask);
                }
        } else {
                unsigned steps = opt_tear_samples < u - 1 ? opt_tear_samples : (unsigned)u - 1;

                for (unsigned k = 1; k <= steps; k++) {
                        size_t cut = k * (u - 1) / steps; /* sectors 0..cut-1, or the rest */

                        for (size_t i = 0; i < u; i++)
                                mask[i] = i < cut;
                        check(lo, n, landed, (long)j, mask);
                        for (size_t i = 0; i < u; i++)
                                mask[i] = i >= cut;
                        check(lo, n, landed, (long)j, mask);
                }
                for (unsigned k = 0; k < opt_tear_samples; k++) {
                        for (size_t i = 0; i < u; i++)
                                mask[i] = rnd() & 1;
                        check(lo, n, landed, (long)j, mask);
                }
        }
        free(mask);
}

static void tears(size_t lo, size_t n, bool *landed)
{
        for (size_t j = 0; j < n; j++) {
                if (units(&ops[lo + j]) < 2)
                        continue;
                for (size_t i = 0; i < n; i++)
                        landed[i] = i < j;
                tear_masks(lo, n, landed, j);
                if (j > 0) { /* alone */
                        memset(landed, 0, n);
                        tear_masks(lo, n, landed, j);
                }
                if (j + 1 == n)
                        continue; /* all the others landed: the same states */
                for (size_t i = 0; i < n; i++)
                        landed[i] = i != j;
                tear_masks(lo, n, landed, j);
        }
}

static void interval(size_t lo, size_t hi)
{
        size_t n = hi - lo;
        bool *landed = calloc(n, 1);

        for (size_t k = lo == 0 ? 0 : 1; k <= n; k++) {
                for (size_t i = 0; i < n; i++)
                        landed[i] = i < k;
                check(lo, n, landed, -1, NULL);
        }
        subsets(lo, n, landed);
        tears(lo, n, landed);
        free(landed);
        for (size_t i = lo; i < hi; i++)
                apply(&ops[i], NULL, false);
}

/* ---- main -------------------------------------------------------------- */

/* -v: the changes, the flushes between them, and the MFT records written. */
static void list_ops(void)
{
        static const char *const kinds[] = { "", "", "write", "", "", "fallocate", "truncate" };
        size_t k = 0;

        for (size_t i = 0; i < nops; i++) {
                const struct op *o = &ops[i];

                while (k < ncuts && cuts[k] == i)
                        printf("  -- flush %zu\n", ++k);
                printf("  %zu: run %d %s %llu bytes at %llu", i + 1, o->run, kinds[o->type],
                       (unsigned long long)o->len, (unsigned long long)o->off);
                if (o->type == IMGREC_WRITE && o->off >= mft_off && o->len >= 4 &&
                    memcmp(o->data, "FILE", 4) == 0)
                        printf(" (MFT record %llu)",
                               (unsigned long long)((o->off - mft_off) / 1024));
                else if (o->type == IMGREC_WRITE && o->len >= 4 && memcmp(o->data, "INDX", 4) == 0)
                        printf(" (index block)");
                else if (o->type == IMGREC_WRITE && o->len >= 4 && memcmp(o->data, "regf", 4) == 0)
                        printf(" (regf base block)");
                else if (o->type == IMGREC_WRITE && o->len >= 4 && memcmp(o->data, "HvLE", 4) == 0)
                        printf(" (HvLE log entry)");
                printf("\n");
        }
        printf("  -- end of the log\n");
}

static void copy(const char *from)
{
        static uint8_t buf[1 << 20], zero[1 << 20];
        int in = open(from, O_RDONLY | O_CLOEXEC);
        off_t at = 0;
        ssize_t n;

        if (in < 0 || ftruncate(wfd, 0) < 0)
                die(from);
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                if (memcmp(buf, zero, (size_t)n) != 0 && pwrite(wfd, buf, (size_t)n, at) != n)
                        die(work);
                at += n;
        }
        if (n < 0 || ftruncate(wfd, at) < 0)
                die(from);
        close(in);
}

/* refs[r]: the image after run r (0: pristine). */
static void references(void)
{
        size_t i = 0;

        for (int r = 0; r <= nruns; r++) {
                while (r > 0 && i < nops && ops[i].run <= r)
                        apply(&ops[i++], NULL, false);
                if (!read_state(work, &refs[r]))
                        exit(2);
                if (!refs[r].readable || !refs[r].hive) {
                        fprintf(stderr, "imgcrash: after run %d: %s\n", r, refs[r].why);
                        exit(2);
                }
                if (r > 0 && same_hive(refs[r - 1].hive, refs[r - 1].hive_len, refs[r].hive,
                                       refs[r].hive_len))
                        printf("note: run %d left the hive as it was\n", r);
        }
}

static void usage(void)
{
        fprintf(stderr, "usage: imgcrash [-a N] [-s N] [-t N] [-T N] [-S BYTES] [-r SEED] "
                        "[-D K] [-l N] [-k DIR] [-c FOLDER] [-n HIVE] [-v] LOG PRISTINE WORK\n");
        exit(2);
}

/* The options that take a count. */
static bool numeric(int c, const char *arg)
{
        static const struct {
                char c;
                unsigned *v;
        } opts[] = { { 'a', &opt_all },          { 's', &opt_samples }, { 't', &opt_tear_all },
                     { 'T', &opt_tear_samples }, { 'S', &opt_sector },  { 'D', &opt_drop },
                     { 'l', &opt_limit } };

        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
                if (opts[i].c == c) {
                        *opts[i].v = (unsigned)strtoul(arg, NULL, 10);
                        return true;
                }
        }
        return false;
}

int main(int argc, char **argv)
{
        const char *config = "/Windows/System32/config", *name = "SYSTEM";
        struct run_stats st[MAX_RUNS + 1] = { { 0 } };
        struct stat lst;
        const uint8_t *log;
        int c, lfd;

        while ((c = getopt(argc, argv, "a:s:t:T:S:r:D:l:c:n:vk:")) != -1) {
                if (!numeric(c, optarg))
                        switch (c) {
                        case 'r':
                                rng = strtoull(optarg, NULL, 10) ? strtoull(optarg, NULL, 10) : 1;
                                break;
                        case 'c':
                                config = optarg;
                                break;
                        case 'n':
                                name = optarg;
                                break;
                        case 'v':
                                opt_verbose = true;
                                break;
                        case 'k':
                                opt_keep = optarg;
                                break;
                        default:
                                usage();
                        }
        }
        if (argc - optind != 3 || opt_sector == 0)
                usage();
        work = argv[optind + 2];
        lfd = open(argv[optind], O_RDONLY | O_CLOEXEC);
        if (lfd < 0 || fstat(lfd, &lst) < 0)
                die(argv[optind]);
        log = lst.st_size ? mmap(NULL, (size_t)lst.st_size, PROT_READ, MAP_PRIVATE, lfd, 0) : NULL;
        if (log == MAP_FAILED)
                die(argv[optind]);
        parse(log, (size_t)lst.st_size, st);
        if (nops == 0) {
                fprintf(stderr, "imgcrash: no change recorded in %s\n", argv[optind]);
                return 2;
        }
        for (int r = 1; r <= nruns; r++)
                printf("run %d: %lu writes (%lu bytes), %lu fdatasync, %lu fsync, %lu fallocate, "
                       "%lu truncate\n",
                       r, st[r].writes, st[r].bytes, st[r].fdatasyncs, st[r].fsyncs, st[r].fallocs,
                       st[r].truncs);
        printf("intervals between flushes: %zu\n", ncuts);
        wfd = open(work, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (wfd < 0)
                die(work);
        read_setup(config, name);
        copy(argv[optind + 1]);
        mft_off = mft_offset(work);
        if (opt_verbose)
                list_ops();
        references();
        copy(argv[optind + 1]);
        for (size_t k = 0, lo = 0; k < ncuts; lo = cuts[k++])
                interval(lo, cuts[k]);
        printf("states: %lu old: %lu new: %lu mid: %lu other: %lu unreadable: %lu "
               "(torn records: %lu)\n",
               n_states, n_old, n_new, n_mid, n_other, n_unreadable, n_torn);
        return n_other || n_unreadable ? 1 : 0;
}
