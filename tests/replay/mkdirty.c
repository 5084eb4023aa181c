/* mkdirty: writes dirty hives, their transaction logs and the expected
 * result of replaying them, for check-replay.
 *
 * Usage: mkdirty OUTDIR [CLEAN_HIVE]
 *
 * Starts from CLEAN_HIVE (a clean hive file, e.g. one made with
 * hivexregedit --merge) or from a synthetic 4-bin hive, and writes into
 * OUTDIR, for each case NAME listed in OUTDIR/cases:
 *   NAME.hive            the primary
 *   NAME.LOG1, NAME.LOG2 the logs (absent file = missing log)
 *   NAME.expected        the replayed hive, byte for byte, or
 *   NAME.refuse          text the refusal message must contain
 *   NAME.meta            "entries_applied final_seq rebuilt applied1 applied2"
 * Expected results are written from the same page patterns the logs carry,
 * not by replaying anything. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>

#include "tlog.h"

struct tcase {
        const char *name;
        struct tbuf hive;
        struct tbuf log[2];
        bool has_log[2];
        struct tbuf expected;
        char refuse[512];
        unsigned applied, final, rebuilt, applied1, applied2;
};

static struct tbuf h0; /* the clean hive */
static uint32_t S, B;  /* its sequence number and hive-bins size */
static const char *outdir;
static FILE *cases;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "mkdirty: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

/* The offset of the k-th bin of the clean hive, wrapping around. */
static uint32_t P(unsigned k)
{
        return k % (B / T_BIN) * T_BIN;
}

static void write_file(const char *name, const char *ext, const void *data, size_t len)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s.%s", outdir, name, ext);
        f = fopen(path, "wb");
        if (!f)
                die("%s: %s", path, strerror(errno));
        if ((len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
                die("%s: write failed", path);
}

static void tcase_free(struct tcase *c)
{
        free(c->hive.b);
        free(c->log[0].b);
        free(c->log[1].b);
        free(c->expected.b);
}

static void emit(struct tcase *c)
{
        char meta[128];

        write_file(c->name, "hive", c->hive.b, c->hive.len);
        for (int i = 0; i < 2; i++)
                if (c->has_log[i])
                        write_file(c->name, i ? "LOG2" : "LOG1", c->log[i].b, c->log[i].len);
        if (c->refuse[0])
                write_file(c->name, "refuse", c->refuse, strlen(c->refuse));
        else
                write_file(c->name, "expected", c->expected.b, c->expected.len);
        snprintf(meta, sizeof(meta), "%u %u %u %u %u\n", c->applied, c->final, c->rebuilt,
                 c->applied1, c->applied2);
        write_file(c->name, "meta", meta, strlen(meta));
        fprintf(cases, "%s\n", c->name);
        tcase_free(c);
}

/* The primary as a crash leaves it: sequence numbers S+1/S. */
static void dirty_primary(struct tcase *c)
{
        tbuf_copy(&c->hive, &h0);
        set_seqs(c->hive.b, S + 1, S);
}

static void empty_log(struct tcase *c, int i)
{
        c->has_log[i] = true;
        c->log[i].b = NULL;
        c->log[i].len = 0;
}

/* Logs are usually bigger than their entries: zeros up to 64 KiB. */
static void pad_log(struct tbuf *log)
{
        tbuf_resize(log, (log->len + 65535) / 65536 * 65536);
}

/* ---- cases that replay ------------------------------------------------ */

static void case_one_log(void)
{
        struct tcase c = { .name = "one-log" };
        const struct tpage e1[] = { { P(0), 4096 }, { P(1) + 512, 1024 } };
        const struct tpage e2[] = { { B, 4096 }, { P(0) + 1024, 512 } };
        const struct tpage e3[] = { { P(1), 4096 } };
        const struct tpage stale[] = { { P(0), 4096 } };

        dirty_primary(&c);
        c.has_log[0] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e1, 2, 1);
        log_add_entry(&c.log[0], S + 2, B + 4096, 1, e2, 2, 2); /* grows */
        log_add_entry(&c.log[0], S + 3, B + 4096, 0, e3, 1, 3); /* clears flag bit 0 */
        /* A remnant of an older round: valid, but it does not continue. */
        log_add_entry(&c.log[0], S - 5, B, 1, stale, 1, 9);
        pad_log(&c.log[0]);
        empty_log(&c, 1);

        tbuf_copy(&c.expected, &c.hive);
        expect_pages(&c.expected, B, e1, 2, 1);
        expect_pages(&c.expected, B + 4096, e2, 2, 2);
        expect_pages(&c.expected, B + 4096, e3, 1, 3);
        expect_header(&c.expected, S + 3, B + 4096, 0);
        c.applied = 3, c.final = S + 3, c.applied1 = 3;
        emit(&c);
}

/* LOG2 holds the earlier entries: the order comes from the sequence
 * numbers, not from the names.  The log with the later entries (late)
 * ends with them: a commit has no room there without growing a log the
 * hive needs ("two-logs-log2-full": LOG2 is that log). */
static void case_two_logs(const char *name, int late)
{
        struct tcase c = { .name = name };
        const struct tpage a1[] = { { P(0), 4096 } };
        const struct tpage a2[] = { { P(1) + 2048, 2048 } };
        const struct tpage b1[] = { { B, 4096 }, { B + 4096, 4096 } };
        const struct tpage b2[] = { { P(0), 512 } };

        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[!late], h0.b, S + 1, 6);
        log_add_entry(&c.log[!late], S + 1, B, 1, a1, 1, 11);
        log_add_entry(&c.log[!late], S + 2, B, 1, a2, 1, 12);
        pad_log(&c.log[!late]);
        log_start(&c.log[late], h0.b, S + 3, 6);
        log_add_entry(&c.log[late], S + 3, B + 8192, 1, b1, 2, 13);
        log_add_entry(&c.log[late], S + 4, B + 8192, 1, b2, 1, 14);

        tbuf_copy(&c.expected, &c.hive);
        expect_pages(&c.expected, B, a1, 1, 11);
        expect_pages(&c.expected, B, a2, 1, 12);
        expect_pages(&c.expected, B + 8192, b1, 2, 13);
        expect_pages(&c.expected, B + 8192, b2, 1, 14);
        expect_header(&c.expected, S + 4, B + 8192, 1);
        c.applied = 4, c.final = S + 4, c.applied1 = 2, c.applied2 = 2;
        emit(&c);
}

static void old_log(struct tbuf *log)
{
        const struct tpage e[] = { { P(0), 4096 } };
        const struct tpage f[] = { { P(1), 4096 } };

        log_start(log, h0.b, S - 10, 6);
        log_add_entry(log, S - 10, B, 1, e, 1, 21);
        log_add_entry(log, S - 9, B, 1, f, 1, 22);
}

/* LOG1 is older than the hive: applying it would undo newer data. */
static void case_not_eligible(void)
{
        struct tcase c = { .name = "not-eligible" };
        const struct tpage e[] = { { P(1) + 512, 512 } };

        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        old_log(&c.log[0]);
        log_start(&c.log[1], h0.b, S + 1, 6);
        log_add_entry(&c.log[1], S + 1, B, 1, e, 1, 23);

        tbuf_copy(&c.expected, &c.hive);
        expect_pages(&c.expected, B, e, 1, 23);
        expect_header(&c.expected, S + 1, B, 1);
        c.applied = 1, c.final = S + 1, c.applied2 = 1;
        emit(&c);
}

/* The second entry's page data is damaged: replay stops before it. */
static void case_bad_hash(void)
{
        struct tcase c = { .name = "bad-hash" };
        const struct tpage e1[] = { { P(0), 4096 } };
        const struct tpage e2[] = { { P(1), 4096 } };
        const struct tpage e3[] = { { P(0) + 512, 512 } };
        size_t at;

        dirty_primary(&c);
        c.has_log[0] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e1, 1, 31);
        at = log_add_entry(&c.log[0], S + 2, B, 1, e2, 1, 32);
        c.log[0].b[at + VHIVE_HVLE_HEADER + 8 + 100] ^= 0xff;
        log_add_entry(&c.log[0], S + 3, B, 1, e3, 1, 33);
        empty_log(&c, 1);

        tbuf_copy(&c.expected, &c.hive);
        expect_pages(&c.expected, B, e1, 1, 31);
        expect_header(&c.expected, S + 1, B, 1);
        c.applied = 1, c.final = S + 1, c.applied1 = 1;
        emit(&c);
}

static void scribble_base(struct tbuf *hive)
{
        /* The file name field: harmless to the layout, fatal to the
         * checksum (varied bytes: equal dwords could cancel out). */
        for (unsigned i = 0; i < 64; i++)
                hive->b[48 + i] ^= (uint8_t)(i + 1);
}

/* The primary's base block is damaged: it is rebuilt from the log with
 * the latest entries, and only that log is used. */
static void case_bad_base(void)
{
        struct tcase c = { .name = "bad-base" };
        const struct tpage a[] = { { P(0), 4096 } };
        const struct tpage b[] = { { B, 4096 }, { P(1), 1024 } };

        dirty_primary(&c);
        scribble_base(&c.hive);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, a, 1, 41);
        log_start(&c.log[1], h0.b, S + 3, 6);
        log_add_entry(&c.log[1], S + 3, B + 4096, 1, b, 2, 43);

        tbuf_copy(&c.expected, &c.hive);
        memset(c.expected.b, 0, T_BASE);
        memcpy(c.expected.b, c.log[1].b, VHIVE_LOG_SECTOR);
        expect_pages(&c.expected, B + 4096, b, 2, 43);
        expect_header(&c.expected, S + 3, B + 4096, 1);
        c.applied = 1, c.final = S + 3, c.rebuilt = 1, c.applied2 = 1;
        emit(&c);
}

/* What sits in LOG2 beside an old-format LOG1. */
enum log2_kind {
        LOG2_ABSENT,
        LOG2_ZEROED,  /* grown and zero-filled, stopped before its base block */
        LOG2_GARBAGE, /* a base block that is not regf */
        LOG1_EMPTY,   /* the log is LOG2; LOG1 is empty (a commit grows it) */
};

/* Vista - 8.0: a DIRT bitmap of 512-byte pages, the pages packed after it
 * in bit order.  With bad_base, the primary's base block is damaged and
 * rebuilt from the log's.  A LOG2 with an invalid base block is ignored,
 * as Windows ignores it: the result is LOG1's. */
static void case_old_format(const char *name, bool bad_base, enum log2_kind log2)
{
        struct tcase c = { .name = name };
        uint32_t hbins = B + 4096, bitmap_len = hbins / 512 / 8;
        size_t pages_off = (512 + 4 + bitmap_len + 511) / 512 * 512;
        struct tbuf *log = &c.log[0];
        bool *dirty = calloc(hbins / 512, sizeof(bool));
        unsigned n = 0;

        if (!dirty)
                abort();
        dirty[1] = true; /* one 512-byte page inside the first bin */
        for (unsigned i = 0; i < 8; i++) {
                dirty[P(1) / 512 + i] = true;
                dirty[B / 512 + i] = true; /* the bin the hive grew by */
        }
        dirty_primary(&c);
        c.has_log[0] = true;
        log_start(log, h0.b, S + 1, 1);
        put64(log->b + 12, vhive_le64(h0.b + 12) + 100); /* written after the hive */
        vhive_put_le32(log->b + 40, hbins);
        vhive_regf_store_checksum(log->b);
        tbuf_resize(log, pages_off + (size_t)hbins + 1024); /* room, and remnants */
        memcpy(log->b + 512, "DIRT", 4);
        tbuf_copy(&c.expected, &c.hive);
        if (bad_base) {
                scribble_base(&c.hive);
                memset(c.expected.b, 0, T_BASE);
                memcpy(c.expected.b, log->b, VHIVE_LOG_SECTOR);
                c.rebuilt = 1;
        }
        if (c.expected.len < T_BASE + (size_t)hbins)
                tbuf_resize(&c.expected, T_BASE + (size_t)hbins);
        for (uint32_t bit = 0; bit < hbins / 512; bit++) {
                if (!dirty[bit])
                        continue;
                log->b[516 + bit / 8] |= (uint8_t)(1u << (bit % 8));
                fill_page(log->b + pages_off + (size_t)n * 512, bit * 512, 512, 51);
                fill_page(c.expected.b + T_BASE + bit * 512, bit * 512, 512, 51);
                n++;
        }
        tbuf_resize(log, pages_off + (size_t)n * 512 + 1024);
        free(dirty);
        if (log2 != LOG2_ABSENT && log2 != LOG1_EMPTY) {
                c.has_log[1] = true;
                tbuf_resize(&c.log[1], 65536);
                for (size_t i = 0; log2 == LOG2_GARBAGE && i < 4096; i++)
                        c.log[1].b[i] = (uint8_t)(i * 7 + 3);
        }
        expect_header(&c.expected, S + 1, hbins, vhive_le32(h0.b + 144));
        c.applied = n, c.final = S + 1, c.applied1 = n;
        if (log2 == LOG1_EMPTY) {
                c.log[1] = c.log[0];
                c.has_log[1] = true;
                empty_log(&c, 0);
                c.applied1 = 0, c.applied2 = n;
        }
        emit(&c);
}

/* A log with an invalid base block is one Windows never reads: the other
 * one replays alone. */
static void case_ignored_logs(void)
{
        const struct tpage e[] = { { P(0), 4096 } };
        struct tcase c;

        c = (struct tcase){ .name = "ignored-bad-checksum-log" };
        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 93);
        c.log[0].b[100] ^= 1; /* base block checksum now wrong */
        log_start(&c.log[1], h0.b, S + 1, 6);
        log_add_entry(&c.log[1], S + 1, B, 1, e, 1, 94);
        tbuf_copy(&c.expected, &c.hive);
        expect_pages(&c.expected, B, e, 1, 94);
        expect_header(&c.expected, S + 1, B, 1);
        c.applied = 1, c.final = S + 1, c.applied2 = 1;
        emit(&c);

        c = (struct tcase){ .name = "ignored-not-regf-log" };
        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 95);
        log_start(&c.log[1], h0.b, S + 1, 6);
        memcpy(c.log[1].b, "junk", 4);
        tbuf_copy(&c.expected, &c.hive);
        expect_pages(&c.expected, B, e, 1, 95);
        expect_header(&c.expected, S + 1, B, 1);
        c.applied = 1, c.final = S + 1, c.applied1 = 1;
        emit(&c);
}

/* A clean hive is copied as it is, whatever the logs say. */
static void case_clean(void)
{
        struct tcase c = { .name = "clean" };
        const struct tpage e[] = { { P(0), 4096 } };

        tbuf_copy(&c.hive, &h0);
        c.has_log[0] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 61);
        tbuf_copy(&c.expected, &h0);
        c.final = S;
        emit(&c);
}

/* ---- cases that must be refused ---------------------------------------- */

static void refuse(struct tcase *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(struct tcase *c, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->refuse, sizeof(c->refuse), fmt, ap);
        va_end(ap);
        emit(c);
}

static void case_refusals(void)
{
        const struct tpage e[] = { { P(0), 4096 } };
        struct tcase c;
        size_t at;

        c = (struct tcase){ .name = "refuse-no-log" };
        dirty_primary(&c);
        refuse(&c,
               "hive is dirty (sequence %u/%u) and no transaction log can be replayed: "
               "LOG1 is missing or empty; LOG2 is missing or empty",
               S + 1, S);

        c = (struct tcase){ .name = "refuse-stale" };
        dirty_primary(&c);
        c.has_log[0] = true;
        old_log(&c.log[0]);
        empty_log(&c, 1);
        refuse(&c,
               "no transaction log can be replayed: LOG1 is older than the hive "
               "(sequence %u < %u); LOG2 is missing or empty",
               S - 10, S);

        c = (struct tcase){ .name = "refuse-gap" };
        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 71);
        log_add_entry(&c.log[0], S + 2, B, 1, e, 1, 72);
        log_start(&c.log[1], h0.b, S + 5, 6);
        log_add_entry(&c.log[1], S + 5, B, 1, e, 1, 75);
        refuse(&c,
               "transaction logs are inconsistent: LOG1 ends at entry %u but LOG2 "
               "starts at entry %u",
               S + 2, S + 5);

        c = (struct tcase){ .name = "refuse-missing" };
        dirty_primary(&c);
        c.has_log[1] = true;
        log_start(&c.log[1], h0.b, S + 7, 6);
        log_add_entry(&c.log[1], S + 7, B, 1, e, 1, 77);
        refuse(&c, "LOG1 is missing or empty and LOG2 starts at entry %u", S + 7);

        c = (struct tcase){ .name = "refuse-hole" };
        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        at = log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 81);
        c.log[0].b[at + 30] ^= 1; /* inside hash-1 */
        log_add_entry(&c.log[0], S + 2, B, 1, e, 1, 82);
        log_start(&c.log[1], h0.b, S + 3, 6);
        log_add_entry(&c.log[1], S + 3, B, 1, e, 1, 83);
        refuse(&c,
               "LOG1 should hold entries from %u but has none that can be read, and "
               "LOG2 starts at entry %u",
               S + 1, S + 3);

        c = (struct tcase){ .name = "refuse-unusable" };
        dirty_primary(&c);
        scribble_base(&c.hive);
        refuse(&c, "the hive's base block is unusable (bad base block checksum");

        c = (struct tcase){ .name = "refuse-mid-update" };
        dirty_primary(&c);
        c.has_log[0] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 91);
        set_seqs(c.log[0].b, S + 2, S + 1);
        empty_log(&c, 1);
        refuse(&c, "LOG1 has torn sequence numbers %u/%u", S + 2, S + 1);

        /* LOG2 alone would replay, but LOG1, which Windows ignores (a bad
         * base block checksum), may have held the entries before it. */
        c = (struct tcase){ .name = "refuse-ignored-gap" };
        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, B, 1, e, 1, 93);
        c.log[0].b[100] ^= 1;
        log_start(&c.log[1], h0.b, S + 3, 6);
        log_add_entry(&c.log[1], S + 3, B, 1, e, 1, 94);
        refuse(&c, "LOG1 has a bad base block checksum and LOG2 starts at entry %u", S + 3);

        /* LOG1 is ignored (zero-filled); LOG2's base block is sound, so
         * Windows would use it, and it cannot: no dirty vector. */
        c = (struct tcase){ .name = "refuse-old-no-dirt" };
        dirty_primary(&c);
        c.has_log[0] = c.has_log[1] = true;
        tbuf_resize(&c.log[0], 65536);
        log_start(&c.log[1], h0.b, S + 1, 1);
        tbuf_resize(&c.log[1], 65536);
        refuse(&c, "transaction log LOG2 has no dirty vector: vhive cannot know");

        /* One 4 KiB page claiming almost 2 GiB of hive bins. */
        c = (struct tcase){ .name = "refuse-oversized" };
        dirty_primary(&c);
        c.has_log[0] = true;
        log_start(&c.log[0], h0.b, S + 1, 6);
        log_add_entry(&c.log[0], S + 1, 0x7ffff000u, 1, e, 1, 96);
        empty_log(&c, 1);
        refuse(&c, "transaction log LOG1 claims 2147479552 bytes of hive bins");
}

/* ---- main ------------------------------------------------------------------ */

static void load_clean(const char *path)
{
        struct vhive_regf_header hdr;
        FILE *f = fopen(path, "rb");
        long len;

        if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
                die("%s: cannot read", path);
        h0.b = NULL;
        h0.len = 0;
        tbuf_resize(&h0, (size_t)len);
        if (fread(h0.b, 1, h0.len, f) != h0.len)
                die("%s: short read", path);
        fclose(f);
        if (vhive_regf_parse(h0.b, h0.len, &hdr) < 0 || vhive_regf_is_dirty(&hdr) ||
            !vhive_hbins_size_ok(hdr.hbins_size) || h0.len < T_BASE + (size_t)hdr.hbins_size)
                die("%s: not a clean hive", path);
}

int main(int argc, char **argv)
{
        char path[4096];

        if (argc < 2 || argc > 3)
                die("usage: mkdirty OUTDIR [CLEAN_HIVE]");
        outdir = argv[1];
        if (argc == 3)
                load_clean(argv[2]);
        else
                synth_hive(&h0, 4, 1000, 0x01d9f1d2a0000000ull);
        S = vhive_le32(h0.b + 4);
        B = vhive_le32(h0.b + 40);
        if (S < 20) {
                /* Room for the "older than the hive" cases below S. */
                S = 1000;
                set_seqs(h0.b, S, S);
        }
        snprintf(path, sizeof(path), "%s/cases", outdir);
        cases = fopen(path, "w");
        if (!cases)
                die("%s: %s", path, strerror(errno));
        case_one_log();
        case_two_logs("two-logs", 0);
        case_two_logs("two-logs-log2-full", 1);
        case_not_eligible();
        case_bad_hash();
        case_bad_base();
        case_old_format("old-format", false, LOG2_ABSENT);
        case_old_format("old-format-bad-base", true, LOG2_ABSENT);
        case_old_format("old-format-log2-zeroed", false, LOG2_ZEROED);
        case_old_format("old-format-log2-garbage", false, LOG2_GARBAGE);
        case_old_format("log2-needed-old-format", false, LOG1_EMPTY);
        case_ignored_logs();
        case_clean();
        case_refusals();
        if (fclose(cases) != 0)
                die("%s: write failed", path);
        free(h0.b);
        return 0;
}
