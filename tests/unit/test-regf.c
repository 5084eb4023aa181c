/* The regf base block: the checksum Windows computes (XOR of the first 127
 * dwords, with 0 -> 1 and 0xFFFFFFFF -> 0xFFFFFFFE), parsing and "dirty". */
#include "unit.h"

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = v;
        p[1] = v >> 8;
        p[2] = v >> 16;
        p[3] = v >> 24;
}

static uint32_t get32(const uint8_t *p)
{
        return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A plausible clean base block. */
static void make_block(uint8_t *b)
{
        memset(b, 0, VHIVE_REGF_BASE_BLOCK);
        memcpy(b, "regf", 4);
        put32(b + 4, 7);           /* sequence 1 */
        put32(b + 8, 7);           /* sequence 2 */
        put32(b + 12, 0x89abcdef); /* timestamp low */
        put32(b + 16, 0x01d9f00d); /* timestamp high */
        put32(b + 20, 1);
        put32(b + 24, 5);
        put32(b + 28, 0);
        put32(b + 32, 1);
        put32(b + 36, 0x20);
        put32(b + 40, 0x3000);
        put32(b + 44, 1);
        put32(b + 144, 0x1);
}

/* Plain XOR of dwords 0..126, as a reference for the test. */
static uint32_t xor127(const uint8_t *b)
{
        uint32_t x = 0;

        for (int i = 0; i < 127; i++)
                x ^= get32(b + 4 * i);
        return x;
}

static void checksum_is_xor(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];

        (void)state;
        make_block(b);
        uint32_t want = xor127(b);
        assert_true(want != 0 && want != 0xffffffffu);
        assert_int_equal(vhive_regf_checksum(b), want);
        /* Every dword before 508 counts... */
        for (int off = 0; off < 508; off += 4) {
                b[off + 1] ^= 0x40;
                assert_int_equal(vhive_regf_checksum(b), want ^ 0x4000u);
                b[off + 1] ^= 0x40;
        }
        /* ...the stored checksum and the rest of the block do not. */
        put32(b + 508, 0xdeadbeef);
        b[512] = 0x55;
        b[4095] = 0xaa;
        assert_int_equal(vhive_regf_checksum(b), want);
}

static void checksum_zero_becomes_one(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];

        (void)state;
        make_block(b);
        /* Cancel the XOR with one filler dword in the reserved area. */
        put32(b + 200, get32(b + 200) ^ xor127(b));
        assert_int_equal(xor127(b), 0);
        assert_int_equal(vhive_regf_checksum(b), 1);
        vhive_regf_store_checksum(b);
        assert_int_equal(get32(b + 508), 1);
}

static void checksum_ones_becomes_fffffffe(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];

        (void)state;
        make_block(b);
        put32(b + 200, get32(b + 200) ^ xor127(b) ^ 0xffffffffu);
        assert_int_equal(xor127(b), 0xffffffffu);
        assert_int_equal(vhive_regf_checksum(b), 0xfffffffeu);
        vhive_regf_store_checksum(b);
        assert_int_equal(get32(b + 508), 0xfffffffeu);
}

/* Neighbours of the special values are left alone. */
static void checksum_near_special(void **state)
{
        static const uint32_t plain[] = { 1, 2, 0xfffffffeu, 0x7fffffffu, 0x80000000u };
        uint8_t b[VHIVE_REGF_BASE_BLOCK];

        (void)state;
        for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
                make_block(b);
                put32(b + 200, get32(b + 200) ^ xor127(b) ^ plain[i]);
                assert_int_equal(xor127(b), plain[i]);
                assert_int_equal(vhive_regf_checksum(b), plain[i]);
        }
}

static void parse_fields(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];
        struct vhive_regf_header h;

        (void)state;
        make_block(b);
        vhive_regf_store_checksum(b);
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), 0);
        assert_int_equal(h.seq_primary, 7);
        assert_int_equal(h.seq_secondary, 7);
        assert_true(h.timestamp == 0x01d9f00d89abcdefull);
        assert_int_equal(h.major, 1);
        assert_int_equal(h.minor, 5);
        assert_int_equal(h.file_type, 0);
        assert_int_equal(h.root_offset, 0x20);
        assert_int_equal(h.hbins_size, 0x3000);
        assert_int_equal(h.flags, 1);
        assert_int_equal(h.checksum_stored, xor127(b));
        assert_int_equal(h.checksum_computed, xor127(b));
        assert_true(h.checksum_ok);
        assert_false(vhive_regf_is_dirty(&h));
}

/* A stored plain XOR of 0 is wrong under Windows' rule (hivex writes it). */
static void parse_rejects_raw_zero_checksum(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];
        struct vhive_regf_header h;

        (void)state;
        make_block(b);
        put32(b + 200, get32(b + 200) ^ xor127(b));
        put32(b + 508, 0);
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), 0);
        assert_int_equal(h.checksum_computed, 1);
        assert_false(h.checksum_ok);
        assert_true(vhive_regf_is_dirty(&h));
        vhive_regf_store_checksum(b);
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), 0);
        assert_true(h.checksum_ok);
        assert_false(vhive_regf_is_dirty(&h));
}

static void dirty_rules(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];
        struct vhive_regf_header h;

        (void)state;
        make_block(b);
        put32(b + 4, 8); /* primary ahead: a write was in progress */
        vhive_regf_store_checksum(b);
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), 0);
        assert_true(h.checksum_ok);
        assert_true(vhive_regf_is_dirty(&h));

        make_block(b);
        vhive_regf_store_checksum(b);
        b[100] ^= 1; /* a flipped header byte, checksum not updated */
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), 0);
        assert_false(h.checksum_ok);
        assert_true(vhive_regf_is_dirty(&h));
}

static void parse_rejects_bad_input(void **state)
{
        uint8_t b[VHIVE_REGF_BASE_BLOCK];
        struct vhive_regf_header h;

        (void)state;
        make_block(b);
        assert_int_equal(vhive_regf_parse(b, 511, &h), -EINVAL);
        assert_int_equal(vhive_regf_parse(b, 0, &h), -EINVAL);
        memcpy(b, "REGF", 4);
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), -EINVAL);
        memcpy(b, "hbin", 4);
        assert_int_equal(vhive_regf_parse(b, sizeof(b), &h), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(checksum_is_xor),
                cmocka_unit_test(checksum_zero_becomes_one),
                cmocka_unit_test(checksum_ones_becomes_fffffffe),
                cmocka_unit_test(checksum_near_special),
                cmocka_unit_test(parse_fields),
                cmocka_unit_test(parse_rejects_raw_zero_checksum),
                cmocka_unit_test(dirty_rules),
                cmocka_unit_test(parse_rejects_bad_input),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
