/* replay-real: the replay against real Windows hives from ../shared.
 *
 * SYSTEM_B is a dirty Windows 10 SYSTEM hive whose newest state lives in
 * SYSTEM_B.LOG1 (entries 2107-2110) and SYSTEM_B.LOG2 (2111-2130);
 * SYSTEM_B.replayed is the reference result.  SYSTEM_2 is dirty with no
 * logs and must be refused.  The files are xz-compressed and decompressed
 * in memory here.  Exits 77 when $SHARED_FIXTURES/real-hives is absent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "safe-file.h"
#include "scrub.h"

static const char *hives_dir;
static int failures;

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

struct blob {
        uint8_t *data;
        size_t len;
};

/* xz -dc of hives_dir/NAME.xz into memory. */
static int unxz(const char *name, struct blob *b)
{
        char cmd[4400], path[4096];
        size_t cap = 1 << 20;
        FILE *p;

        snprintf(path, sizeof(path), "%s/%s.xz", hives_dir, name);
        if (strchr(path, '\''))
                return -EINVAL;
        snprintf(cmd, sizeof(cmd), "xz -dc '%s'", path);
        b->len = 0;
        b->data = malloc(cap);
        p = popen(cmd, "r");
        if (!b->data || !p)
                return -errno;
        for (;;) {
                size_t n;

                if (b->len == cap) {
                        uint8_t *q = realloc(b->data, cap *= 2);

                        if (!q)
                                return -ENOMEM;
                        b->data = q;
                }
                n = fread(b->data + b->len, 1, cap - b->len, p);
                if (n == 0)
                        break;
                b->len += n;
        }
        return pclose(p) == 0 && b->len > 0 ? 0 : -EIO;
}

static void test_system_b(void)
{
        struct blob prim, l1, l2, ref;
        struct vhive_replay_result res;
        struct vhive_regf_header hdr;
        struct vhive_error err = { 0 };
        uint8_t *out = NULL;
        size_t out_len = 0;
        int r;

        if (unxz("SYSTEM_B", &prim) || unxz("SYSTEM_B.LOG1", &l1) || unxz("SYSTEM_B.LOG2", &l2) ||
            unxz("SYSTEM_B.replayed", &ref)) {
                CHECK(0, "cannot decompress the SYSTEM_B files (is xz installed?)");
                return;
        }

        vhive_logs_describe(prim.data, prim.len, l1.data, l1.len, l2.data, l2.len, &res);
        CHECK(res.log[0].format == VHIVE_LOG_NEW && res.log[0].eligible, "LOG1 described");
        CHECK(res.log[0].entries == 4 && res.log[0].first_seq == 2107 &&
                      res.log[0].last_seq == 2110,
              "LOG1 entries %u (%u-%u)", res.log[0].entries, res.log[0].first_seq,
              res.log[0].last_seq);
        CHECK(res.log[1].entries == 20 && res.log[1].first_seq == 2111 &&
                      res.log[1].last_seq == 2130,
              "LOG2 entries %u (%u-%u)", res.log[1].entries, res.log[1].first_seq,
              res.log[1].last_seq);

        r = vhive_replay(prim.data, prim.len, l1.data, l1.len, l2.data, l2.len, &out, &out_len,
                         &res, &err);
        CHECK(r == 0, "SYSTEM_B replay failed: %s", err.msg);
        if (r == 0) {
                CHECK(vhive_regf_parse(out, out_len, &hdr) == 0, "replayed header parses");
                CHECK(hdr.seq_primary == 2130 && hdr.seq_secondary == 2130,
                      "sequence %u/%u, expected 2130/2130", hdr.seq_primary, hdr.seq_secondary);
                CHECK(hdr.hbins_size == 12591104, "hive-bins size %u", hdr.hbins_size);
                CHECK(hdr.file_type == 0 && hdr.checksum_ok, "type %u, checksum %s", hdr.file_type,
                      hdr.checksum_ok ? "ok" : "bad");
                CHECK(res.entries_applied == 24 && res.final_seq == 2130 &&
                              res.log[0].applied == 4 && res.log[1].applied == 20,
                      "applied %u (%u + %u), final %u", res.entries_applied, res.log[0].applied,
                      res.log[1].applied, res.final_seq);
                CHECK(out_len == ref.len, "length %zu, reference %zu", out_len, ref.len);
                CHECK(out_len == ref.len &&
                              memcmp(out + VHIVE_REGF_BASE_BLOCK, ref.data + VHIVE_REGF_BASE_BLOCK,
                                     out_len - VHIVE_REGF_BASE_BLOCK) == 0,
                      "hive bins differ from SYSTEM_B.replayed");
                free(out);
                out = NULL;
        }

        /* LOG2 alone: the entries before 2111 may be lost, so refuse. */
        r = vhive_replay(prim.data, prim.len, NULL, 0, l2.data, l2.len, &out, &out_len, &res, &err);
        CHECK(r < 0 && out == NULL && strstr(err.msg, "LOG1 is missing or empty"),
              "SYSTEM_B with LOG2 only: %d %s", r, err.msg);
        free(prim.data);
        free(l1.data);
        free(l2.data);
        free(ref.data);
}

static void test_system_2(void)
{
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct blob prim;
        uint8_t *out = NULL;
        size_t out_len = 0;
        int r;

        if (unxz("SYSTEM_2", &prim)) {
                CHECK(0, "cannot decompress SYSTEM_2");
                return;
        }
        r = vhive_replay(prim.data, prim.len, NULL, 0, NULL, 0, &out, &out_len, &res, &err);
        CHECK(r < 0 && out == NULL, "SYSTEM_2 without logs was not refused");
        CHECK(strstr(err.msg, "hive is dirty (sequence 205/204) and no transaction log can "
                              "be replayed") != NULL,
              "SYSTEM_2 message: %s", err.msg);
        free(prim.data);
}

int main(void)
{
        const char *shared = getenv("SHARED_FIXTURES");
        static char dir[4096];
        struct stat st;

        if (!shared) {
                fprintf(stderr, "SHARED_FIXTURES is not set: skipped\n");
                return 77;
        }
        snprintf(dir, sizeof(dir), "%s/real-hives", shared);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "%s is absent: skipped\n", dir);
                return 77;
        }
        if (system("command -v xz >/dev/null 2>&1") != 0) {
                fprintf(stderr, "xz is not installed: skipped\n");
                return 77;
        }
        hives_dir = dir;
        test_system_b();
        test_system_2();
        if (failures)
                return 1;
        printf("SYSTEM_B replayed to 2130/2130, identical to the reference; SYSTEM_2 "
               "refused\n");
        return 0;
}
