/* fault-tool: helpers for the fault-injection tests.
 *
 *   fault-tool mklogged OLD NEW PRIMARY LOG1 LOG2
 *       A dirty hive whose newest state lives only in its logs, as Windows
 *       leaves one after a crash: PRIMARY is the clean hive OLD with the
 *       sequence numbers S+1/S; LOG1 holds entry S+1 and LOG2 entry S+2,
 *       which together carry every 4096-byte page of NEW that differs from
 *       OLD.  Replaying both gives NEW's hive bins.
 *   fault-tool same-new REF FILE
 *       Exit 0 when FILE is REF except for the header timestamp (offsets
 *       12..19) and checksum (508..511), and FILE's header is clean: "regf",
 *       equal sequence numbers, type 0, the checksum right under Windows'
 *       rule (computed here, not by libvhive).  Else says why, exit 1.
 *   fault-tool seqs FILE
 *       Prints the two sequence numbers of a hive's or a log's base block.
 */
#include <errno.h>
#include <inttypes.h>

#include "../replay/tlog.h"

static void die(const char *msg, const char *path)
{
        fprintf(stderr, "fault-tool: %s%s%s\n", path ? path : "", path ? ": " : "", msg);
        exit(2);
}

static struct tbuf load(const char *path)
{
        struct tbuf t = { NULL, 0 };
        FILE *f = fopen(path, "rb");
        long len;

        if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
                die(strerror(errno), path);
        tbuf_resize(&t, (size_t)len);
        if (len && fread(t.b, 1, t.len, f) != t.len)
                die("short read", path);
        fclose(f);
        return t;
}

static void save(const char *path, const struct tbuf *t)
{
        FILE *f = fopen(path, "wb");

        if (!f || (t->len && fwrite(t->b, 1, t->len, f) != t->len) || fclose(f) != 0)
                die("cannot write", path);
}

/* Windows' rule, independently of lib/regf-header.c. */
static uint32_t checksum(const uint8_t *b)
{
        uint32_t x = 0;

        for (int i = 0; i < 127; i++)
                x ^= vhive_le32(b + 4 * i);
        return x == 0 ? 1 : x == 0xffffffffu ? 0xfffffffeu : x;
}

/* Appends an entry carrying the pages of src at the given offsets. */
static void add_entry(struct tbuf *log, uint32_t seq, uint32_t hbins, uint32_t flags,
                      const uint8_t *bins, const uint32_t *offs, unsigned n)
{
        size_t at = log->len;
        size_t size = VHIVE_HVLE_HEADER + (size_t)n * 8 + (size_t)n * T_BIN;
        uint8_t *e;

        size = (size + VHIVE_LOG_SECTOR - 1) / VHIVE_LOG_SECTOR * VHIVE_LOG_SECTOR;
        tbuf_resize(log, at + size);
        e = log->b + at;
        memcpy(e, "HvLE", 4);
        vhive_put_le32(e + 4, (uint32_t)size);
        vhive_put_le32(e + 8, flags);
        vhive_put_le32(e + 12, seq);
        vhive_put_le32(e + 16, hbins);
        vhive_put_le32(e + 20, n);
        for (unsigned i = 0; i < n; i++) {
                vhive_put_le32(e + VHIVE_HVLE_HEADER + i * 8, offs[i]);
                vhive_put_le32(e + VHIVE_HVLE_HEADER + i * 8 + 4, T_BIN);
                memcpy(e + VHIVE_HVLE_HEADER + (size_t)n * 8 + (size_t)i * T_BIN, bins + offs[i],
                       T_BIN);
        }
        entry_rehash(e);
}

static int mklogged(char **argv)
{
        struct tbuf old = load(argv[0]), new = load(argv[1]), primary, log[2];
        uint32_t s, hb_old, hb_new, flags, *offs;
        unsigned n = 0, half;

        if (old.len < T_BASE || new.len < T_BASE || memcmp(old.b, "regf", 4) ||
            memcmp(new.b, "regf", 4))
                die("OLD and NEW must be hives", NULL);
        s = vhive_le32(old.b + 4);
        hb_old = vhive_le32(old.b + 40);
        hb_new = vhive_le32(new.b + 40);
        flags = vhive_le32(new.b + 144);
        if (new.len < T_BASE + (size_t)hb_new || hb_new % T_BIN)
                die("bad hive-bins size", argv[1]);
        offs = calloc(hb_new / T_BIN + 1, sizeof(*offs));
        if (!offs)
                abort();
        for (uint32_t off = 0; off < hb_new; off += T_BIN)
                if (off >= hb_old || memcmp(old.b + T_BASE + off, new.b + T_BASE + off, T_BIN))
                        offs[n++] = off;
        if (n == 0)
                die("OLD and NEW have the same hive bins", NULL);
        tbuf_copy(&primary, &old);
        set_seqs(primary.b, s + 1, s);
        /* Both logs must be needed: the first page(s) in LOG1, the rest
         * (or the last page again) in LOG2. */
        half = n > 1 ? n / 2 : 1;
        log_start(&log[0], old.b, s + 1, 6);
        add_entry(&log[0], s + 1, hb_new, flags, new.b + T_BASE, offs, half);
        log_start(&log[1], old.b, s + 2, 6);
        add_entry(&log[1], s + 2, hb_new, flags, new.b + T_BASE, n > 1 ? offs + half : offs,
                  n > 1 ? n - half : 1);
        save(argv[2], &primary);
        save(argv[3], &log[0]);
        save(argv[4], &log[1]);
        printf("%u pages in 2 entries (sequence %u, %u), hive bins %u -> %u\n", n, s + 1, s + 2,
               hb_old, hb_new);
        free(offs);
        free(old.b);
        free(new.b);
        free(primary.b);
        free(log[0].b);
        free(log[1].b);
        return 0;
}

static int same_new(char **argv)
{
        struct tbuf ref = load(argv[0]), f = load(argv[1]);
        const uint8_t *b = f.b;
        int r = 1;

        if (f.len != ref.len)
                fprintf(stderr, "%s: %zu bytes, the reference %zu\n", argv[1], f.len, ref.len);
        else if (f.len < T_BASE || memcmp(b, "regf", 4))
                fprintf(stderr, "%s: no regf header\n", argv[1]);
        else if (memcmp(b, ref.b, 12) || memcmp(b + 20, ref.b + 20, 508 - 20) ||
                 memcmp(b + 512, ref.b + 512, f.len - 512))
                fprintf(stderr, "%s: differs from the reference beyond timestamp/checksum\n",
                        argv[1]);
        else if (vhive_le32(b + 4) != vhive_le32(b + 8) || vhive_le32(b + 28) != 0)
                fprintf(stderr, "%s: not clean: sequence %u/%u, type %u\n", argv[1],
                        vhive_le32(b + 4), vhive_le32(b + 8), vhive_le32(b + 28));
        else if (checksum(b) != vhive_le32(b + 508))
                fprintf(stderr, "%s: header checksum %08x, expected %08x\n", argv[1],
                        vhive_le32(b + 508), checksum(b));
        else
                r = 0;
        free(ref.b);
        free(f.b);
        return r;
}

static int seqs(char **argv)
{
        struct tbuf t = load(argv[0]);

        if (t.len < 512 || memcmp(t.b, "regf", 4))
                die("no regf base block", argv[0]);
        printf("%u %u\n", vhive_le32(t.b + 4), vhive_le32(t.b + 8));
        free(t.b);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 7 && strcmp(argv[1], "mklogged") == 0)
                return mklogged(argv + 2);
        if (argc == 4 && strcmp(argv[1], "same-new") == 0)
                return same_new(argv + 2);
        if (argc == 3 && strcmp(argv[1], "seqs") == 0)
                return seqs(argv + 2);
        fprintf(stderr, "usage: fault-tool mklogged OLD NEW PRIMARY LOG1 LOG2\n"
                        "       fault-tool same-new REF FILE\n"
                        "       fault-tool seqs FILE\n");
        return 2;
}
