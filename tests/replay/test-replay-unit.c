/* Unit tests of Marvin32, the log-entry checks and the header rules of the
 * replay. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tlog.h"

/* ---- Marvin32 ------------------------------------------------------------
 * Vectors from the .NET runtime's tests of its Marvin implementation,
 * src/libraries/Common/tests/Tests/System/MarvinTests.cs (dotnet/runtime,
 * MIT), which list (seed, input bytes, 64-bit hash). */

struct marvin_vector {
        uint64_t seed;
        const char *hex;
        uint64_t hash;
};

#define SEED1 0x004FB61A001BDBCCull
#define SEED2 0x804FB61A001BDBCCull
#define SEED3 0x804FB61A801BDBCCull

static const struct marvin_vector vectors[] = {
        { SEED1, "", 0x30ED35C100CD3C7Dull },
        { SEED1, "af", 0x48E73FC77D75DDC1ull },
        { SEED1, "e70f", 0xB5F6E1FC485DBFF8ull },
        { SEED1, "37f495", 0xF0B07C789B8CF7E8ull },
        { SEED1, "8642dc59", 0x7008F2E87E9CF556ull },
        { SEED1, "153fb79826", 0xE6C08C6DA2AFA997ull },
        { SEED1, "0932e6246c47", 0x6F04BF1A5EA24060ull },
        { SEED1, "ab427ea8d10fc7", 0xE11847E4F0678C41ull },
        { SEED2, "", 0x10A9D5D3996FD65Dull },
        { SEED2, "af", 0x68201F91960EBF91ull },
        { SEED2, "e70f", 0x64B581631F6AB378ull },
        { SEED2, "37f495", 0xE1F2DFA6E5131408ull },
        { SEED2, "8642dc59", 0x36289D9654FB49F6ull },
        { SEED2, "153fb79826", 0x0A06114B13464DBDull },
        { SEED2, "0932e6246c47", 0xD6DD5E40AD1BC2EDull },
        { SEED2, "ab427ea8d10fc7", 0xE203987DBA252FB3ull },
        { SEED3, "00", 0xA37FB0DA2ECAE06Cull },
        { SEED3, "ff", 0xFECEF370701AE054ull },
        { SEED3, "00ff", 0xA638E75700048880ull },
        { SEED3, "ff00", 0xBDFB46D969730E2Aull },
        { SEED3, "ff00ff", 0x9D8577C0FE0D30BFull },
        { SEED3, "00ff00", 0x4F9FBDDE15099497ull },
        { SEED3, "00ff00ff", 0x24EAA279D9A529CAull },
        { SEED3, "ff00ff00", 0xD3BEC7726B057943ull },
        { SEED3, "ff00ff00ff", 0x920B62BBCA3E0B72ull },
        { SEED3, "00ff00ff00", 0x1D7DDF9DFDF3C1BFull },
        { SEED3, "00ff00ff00ff", 0xEC21276A17E821A5ull },
        { SEED3, "ff00ff00ff00", 0x6911A53CA8C12254ull },
        { SEED3, "ff00ff00ff00ff", 0xFDFD187B1D3CE784ull },
        { SEED3, "00ff00ff00ff00", 0x71876F2EFB1B0EE8ull },
};

static size_t unhex(const char *hex, uint8_t *out)
{
        size_t n = 0;

        for (; hex[0] && hex[1]; hex += 2) {
                unsigned v;

                assert_int_equal(sscanf(hex, "%2x", &v), 1);
                out[n++] = (uint8_t)v;
        }
        return n;
}

static void test_marvin32_vectors(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
                uint8_t buf[16];
                size_t n = unhex(vectors[i].hex, buf);

                assert_int_equal(vhive_marvin32(vectors[i].seed, buf, n), vectors[i].hash);
        }
        /* An empty input needs no buffer. */
        assert_int_equal(vhive_marvin32(SEED1, NULL, 0), 0x30ED35C100CD3C7Dull);
}

/* The registry's seed on the first 32 bytes of entry 2107 of the real
 * SYSTEM_B.LOG1 (regipy test data): its stored hash-2. */
static void test_marvin32_registry_seed(void **state)
{
        static const uint8_t head[32] = {
                'H',  'v',  'L',  'E',  0x00, 0x3e, 0x00, 0x00, 0x01, 0x00, 0x00,
                0x00, 0x3b, 0x08, 0x00, 0x00, 0x00, 0x30, 0xbd, 0x00, 0x03, 0x00,
                0x00, 0x00, 0xc4, 0x81, 0x2c, 0xbe, 0xa1, 0xb6, 0x70, 0x4b,
        };

        (void)state;
        assert_int_equal(vhive_marvin32(VHIVE_HVLE_SEED, head, 32), 0xdd88c5d7df48f30aull);
}

/* ---- one log entry ---------------------------------------------------- */

static void one_entry_log(struct tbuf *log, size_t *at)
{
        const struct tpage pages[] = { { 0, 4096 }, { 8192, 512 } };
        struct tbuf h;

        synth_hive(&h, 4, 50, 1);
        log_start(log, h.b, 51, 6);
        *at = log_add_entry(log, 51, 4 * 4096, 1, pages, 2, 7);
        free(h.b);
}

static void test_hvle_good(void **state)
{
        struct vhive_hvle e;
        struct tbuf log;
        size_t at;

        (void)state;
        one_entry_log(&log, &at);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), 0);
        assert_int_equal(e.seq, 51);
        assert_int_equal(e.count, 2);
        assert_int_equal(e.size, 512 + 4096 + 512);
        /* Truncated log, offset past the end. */
        assert_int_equal(vhive_hvle_check(log.b, log.len - 1, at, &e), -EINVAL);
        assert_int_equal(vhive_hvle_check(log.b, log.len, log.len + 512, &e), -EINVAL);
        assert_int_equal(vhive_hvle_check(log.b, log.len, log.len, &e), -EINVAL);
        free(log.b);
}

static void test_hvle_bad(void **state)
{
        struct vhive_hvle e;
        struct tbuf log;
        uint8_t *p;
        size_t at;

        (void)state;
        one_entry_log(&log, &at);
        p = log.b + at;

        p[600] ^= 1; /* page data: hash-1 */
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EBADMSG);
        p[600] ^= 1;
        p[13] ^= 1; /* sequence number: hash-2 */
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EBADMSG);
        p[13] ^= 1;

        /* Sound hashes but a page beyond the hive bins. */
        vhive_put_le32(p + 48, 4 * 4096 - 256);
        entry_rehash(p);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        vhive_put_le32(p + 48, 8192);

        /* Page count larger than the entry can hold. */
        vhive_put_le32(p + 20, 1000);
        entry_rehash(p);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        vhive_put_le32(p + 20, 2);

        /* A page longer than the data left in the entry. */
        vhive_put_le32(p + 52, 4096);
        entry_rehash(p);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        vhive_put_le32(p + 52, 512);

        /* Hive-bins size not a multiple of 4096, or 2 GiB. */
        vhive_put_le32(p + 16, 4 * 4096 + 512);
        entry_rehash(p);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        vhive_put_le32(p + 16, 0x80000000u);
        entry_rehash(p);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        vhive_put_le32(p + 16, 4 * 4096);

        /* Size not a multiple of 512. */
        vhive_put_le32(p + 4, 512 + 4096 + 500);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        vhive_put_le32(p + 4, 512 + 4096 + 512);

        memcpy(p, "HvLF", 4);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), -EINVAL);
        memcpy(p, "HvLE", 4);

        entry_rehash(p);
        assert_int_equal(vhive_hvle_check(log.b, log.len, at, &e), 0);
        free(log.b);
}

static void test_hbins_size(void **state)
{
        (void)state;
        assert_false(vhive_hbins_size_ok(0));
        assert_true(vhive_hbins_size_ok(4096));
        assert_false(vhive_hbins_size_ok(4097));
        assert_true(vhive_hbins_size_ok(0x7ffff000u));
        assert_false(vhive_hbins_size_ok(0x80000000u));
        assert_false(vhive_hbins_size_ok(0xfffff000u));
}

/* ---- header rules ---------------------------------------------------- */

static int replay(const struct tbuf *hive, const struct tbuf *l1, const struct tbuf *l2,
                  struct tbuf *out, struct vhive_replay_result *res, struct vhive_error *err)
{
        out->b = NULL;
        out->len = 0;
        return vhive_replay(hive->b, hive->len, l1 ? l1->b : NULL, l1 ? l1->len : 0,
                            l2 ? l2->b : NULL, l2 ? l2->len : 0, &out->b, &out->len, res, err);
}

static void test_clean_copy(void **state)
{
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct tbuf h, out;

        (void)state;
        synth_hive(&h, 2, 7, 1);
        assert_int_equal(replay(&h, NULL, NULL, &out, &res, &err), 0);
        assert_int_equal(out.len, h.len);
        assert_memory_equal(out.b, h.b, h.len);
        assert_int_equal(res.entries_applied, 0);
        assert_false(res.base_block_rebuilt);
        free(out.b);
        free(h.b);
}

static void test_dirty_refused(void **state)
{
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct tbuf h, out;

        (void)state;
        synth_hive(&h, 2, 1621, 1);
        set_seqs(h.b, 1622, 1621);
        assert_int_equal(replay(&h, NULL, NULL, &out, &res, &err), -EUCLEAN);
        assert_null(out.b);
        assert_int_equal(out.len, 0);
        assert_string_equal(err.msg, "hive is dirty (sequence 1622/1621) and no transaction "
                                     "log can be replayed: LOG1 is missing or empty; LOG2 "
                                     "is missing or empty");
        free(h.b);
}

static void test_unusable_primary(void **state)
{
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct tbuf h, out;

        (void)state;
        synth_hive(&h, 1, 5, 1);
        memcpy(h.b, "regx", 4);
        assert_true(replay(&h, NULL, NULL, &out, &res, &err) < 0);
        assert_non_null(strstr(err.msg, "base block is unusable (no regf base block)"));
        /* Shorter than a base block. */
        h.len = 100;
        assert_true(replay(&h, NULL, NULL, &out, &res, &err) < 0);
        assert_null(out.b);
        free(h.b);
        assert_int_equal(vhive_replay(NULL, 0, NULL, 0, NULL, 0, &out.b, &out.len, &res, &err),
                         -EUCLEAN);
        assert_int_equal(vhive_replay(NULL, 0, NULL, 0, NULL, 0, NULL, NULL, &res, &err), -EINVAL);
}

/* A primary whose type says "log" is not a hive to replay onto. */
static void test_primary_type(void **state)
{
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct tbuf h, out;

        (void)state;
        synth_hive(&h, 1, 5, 1);
        vhive_put_le32(h.b + 28, 6);
        vhive_regf_store_checksum(h.b);
        assert_true(replay(&h, NULL, NULL, &out, &res, &err) < 0);
        assert_non_null(strstr(err.msg, "file type 6 is not a primary hive"));
        free(h.b);
}

static void test_describe(void **state)
{
        const struct tpage pages[] = { { 0, 4096 } };
        struct vhive_replay_result res;
        struct tbuf h, l1, l2;

        (void)state;
        synth_hive(&h, 2, 100, 1);
        set_seqs(h.b, 101, 100);
        log_start(&l1, h.b, 101, 6);
        log_add_entry(&l1, 101, 8192, 1, pages, 1, 3);
        log_add_entry(&l1, 102, 8192, 1, pages, 1, 4);
        log_start(&l2, h.b, 90, 6); /* older than the hive */
        log_add_entry(&l2, 90, 8192, 1, pages, 1, 5);

        vhive_logs_describe(h.b, h.len, l1.b, l1.len, l2.b, l2.len, &res);
        assert_int_equal(res.log[0].format, VHIVE_LOG_NEW);
        assert_true(res.log[0].eligible);
        assert_int_equal(res.log[0].entries, 2);
        assert_int_equal(res.log[0].first_seq, 101);
        assert_int_equal(res.log[0].last_seq, 102);
        assert_int_equal(res.log[1].format, VHIVE_LOG_NEW);
        assert_false(res.log[1].eligible);
        assert_int_equal(res.log[1].seq_primary, 90);
        assert_int_equal(res.entries_applied, 0);

        /* Bad checksum, wrong type, sequence numbers apart, empty. */
        l2.b[300] ^= 1;
        vhive_logs_describe(h.b, h.len, l1.b, l1.len, l2.b, l2.len, &res);
        assert_int_equal(res.log[1].format, VHIVE_LOG_INVALID);
        l2.b[300] ^= 1;
        vhive_put_le32(l2.b + 28, 0);
        vhive_regf_store_checksum(l2.b);
        vhive_logs_describe(h.b, h.len, l1.b, l1.len, l2.b, l2.len, &res);
        assert_int_equal(res.log[1].format, VHIVE_LOG_INVALID);
        set_seqs(l1.b, 102, 101);
        vhive_logs_describe(h.b, h.len, l1.b, l1.len, NULL, 0, &res);
        assert_int_equal(res.log[0].format, VHIVE_LOG_NEW);
        assert_false(res.log[0].eligible);
        assert_int_equal(res.log[1].format, VHIVE_LOG_NONE);
        vhive_logs_describe(h.b, h.len, l1.b, 0, l2.b, 100, &res);
        assert_int_equal(res.log[0].format, VHIVE_LOG_NONE);
        assert_int_equal(res.log[1].format, VHIVE_LOG_INVALID);
        free(h.b);
        free(l1.b);
        free(l2.b);
}

/* Header flag bit 0, set on most healthy hives, is no reason to refuse,
 * and it follows the last entry applied. */
static void test_flag_bit0(void **state)
{
        const struct tpage pages[] = { { 4096, 4096 } };
        struct vhive_replay_result res;
        struct vhive_error err = { 0 };
        struct tbuf h, l1, out;

        (void)state;
        synth_hive(&h, 2, 100, 1);
        assert_int_equal(vhive_le32(h.b + 144) & 1, 1);
        set_seqs(h.b, 101, 100);
        log_start(&l1, h.b, 101, 6);
        log_add_entry(&l1, 101, 8192, 0, pages, 1, 3);
        assert_int_equal(replay(&h, &l1, NULL, &out, &res, &err), 0);
        assert_int_equal(vhive_le32(out.b + 144) & 1, 0);
        assert_int_equal(vhive_le32(out.b + 4), 101);
        assert_int_equal(vhive_le32(out.b + 8), 101);
        assert_int_equal(vhive_le32(out.b + 28), 0);
        assert_int_equal(vhive_le32(out.b + 508), vhive_regf_checksum(out.b));
        free(out.b);
        free(h.b);
        free(l1.b);
}

/* Random damage to a sound log: never a crash, never a read outside the
 * buffers (ASan), and a result, when there is one, that is a clean hive. */
static void test_mutations(void **state)
{
        const struct tpage pages[] = { { 0, 4096 }, { 4096, 1024 } };
        struct tbuf h, log, work, out;
        uint32_t rng = 12345;

        (void)state;
        synth_hive(&h, 2, 100, 1);
        set_seqs(h.b, 101, 100);
        log_start(&log, h.b, 101, 6);
        log_add_entry(&log, 101, 8192, 1, pages, 2, 3);
        log_add_entry(&log, 102, 12288, 1, pages, 1, 4);
        for (int round = 0; round < 3000; round++) {
                struct vhive_replay_result res;
                struct vhive_error err = { 0 };
                struct vhive_regf_header hdr;
                size_t at;

                tbuf_copy(&work, &log);
                for (int k = 0; k < 1 + round % 4; k++) {
                        rng = rng * 1103515245u + 12345u;
                        at = (rng >> 8) % work.len;
                        work.b[at] ^= (uint8_t)(1u << (rng % 8));
                }
                /* Half of the time, mend the hashes so the checks behind
                 * them are reached too. */
                if (round % 2 && work.len > 512 + 40 && !memcmp(work.b + 512, "HvLE", 4) &&
                    vhive_le32(work.b + 516) >= 40 && vhive_le32(work.b + 516) <= work.len - 512)
                        entry_rehash(work.b + 512);
                if (round % 3 == 0)
                        vhive_regf_store_checksum(work.b);
                if (replay(&h, &work, NULL, &out, &res, &err) == 0) {
                        assert_int_equal(vhive_regf_parse(out.b, out.len, &hdr), 0);
                        assert_false(vhive_regf_is_dirty(&hdr));
                        assert_true(out.len >= 4096 + (size_t)hdr.hbins_size);
                        free(out.b);
                } else {
                        assert_null(out.b);
                        assert_true(err.msg[0] != 0);
                }
                free(work.b);
        }
        free(h.b);
        free(log.b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_marvin32_vectors),
                cmocka_unit_test(test_marvin32_registry_seed),
                cmocka_unit_test(test_hvle_good),
                cmocka_unit_test(test_hvle_bad),
                cmocka_unit_test(test_hbins_size),
                cmocka_unit_test(test_clean_copy),
                cmocka_unit_test(test_dirty_refused),
                cmocka_unit_test(test_unusable_primary),
                cmocka_unit_test(test_primary_type),
                cmocka_unit_test(test_describe),
                cmocka_unit_test(test_flag_bit0),
                cmocka_unit_test(test_mutations),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
