/* Blank encodings: what "blank" is for each registry type, as Windows
 * writes it, and which existing data already reads as blank. */
#include "unit.h"

static void expect_blank(hive_type t, size_t want_len)
{
        const char *data = NULL;
        size_t len = 12345;

        vhive_blank_for_type(t, &data, &len);
        if (len != want_len)
                fail_msg("%s: blank is %zu bytes, want %zu", vhive_type_name(t), len, want_len);
        assert_non_null(data);
        for (size_t i = 0; i < len; i++)
                assert_int_equal(data[i], 0);
        /* The blank form must itself read as blank. */
        assert_true(vhive_value_is_blank(t, data, len));
}

static void blank_strings(void **state)
{
        (void)state;
        expect_blank(hive_t_REG_SZ, 2); /* one UTF-16 NUL */
        expect_blank(hive_t_REG_EXPAND_SZ, 2);
        expect_blank(hive_t_REG_MULTI_SZ, 4); /* "" then the list end */
}

static void blank_numbers(void **state)
{
        (void)state;
        expect_blank(hive_t_REG_DWORD, 4);
        expect_blank(hive_t_REG_DWORD_BIG_ENDIAN, 4);
        expect_blank(hive_t_REG_QWORD, 8);
}

static void blank_others_zero_length(void **state)
{
        (void)state;
        expect_blank(hive_t_REG_BINARY, 0);
        expect_blank(hive_t_REG_NONE, 0);
        expect_blank(hive_t_REG_LINK, 0);
        expect_blank(hive_t_REG_RESOURCE_LIST, 0);
        expect_blank(hive_t_REG_FULL_RESOURCE_DESCRIPTOR, 0);
        expect_blank(hive_t_REG_RESOURCE_REQUIREMENTS_LIST, 0);
        expect_blank((hive_type)42, 0);
}

static void is_blank_strings(void **state)
{
        static const char zero4[4], zero6[6];
        static const char a[] = { 'a', 0, 0, 0 };
        static const char multi_a[] = { 'a', 0, 0, 0, 0, 0 };
        static const char hi_byte[] = { 0, 1 }; /* U+0100, not a NUL */

        (void)state;
        assert_true(vhive_value_is_blank(hive_t_REG_SZ, zero4, 2));
        assert_true(vhive_value_is_blank(hive_t_REG_SZ, zero4, 4));
        assert_true(vhive_value_is_blank(hive_t_REG_SZ, zero4, 0)); /* no data at all */
        assert_false(vhive_value_is_blank(hive_t_REG_SZ, a, sizeof(a)));
        assert_false(vhive_value_is_blank(hive_t_REG_SZ, hi_byte, sizeof(hi_byte)));
        assert_false(vhive_value_is_blank(hive_t_REG_EXPAND_SZ, a, sizeof(a)));
        assert_true(vhive_value_is_blank(hive_t_REG_EXPAND_SZ, zero4, 2));
        /* MULTI_SZ: the 4-byte empty list and the 2-byte form both seen. */
        assert_true(vhive_value_is_blank(hive_t_REG_MULTI_SZ, zero4, 4));
        assert_true(vhive_value_is_blank(hive_t_REG_MULTI_SZ, zero4, 2));
        assert_true(vhive_value_is_blank(hive_t_REG_MULTI_SZ, zero6, 6));
        assert_false(vhive_value_is_blank(hive_t_REG_MULTI_SZ, multi_a, sizeof(multi_a)));
}

static void is_blank_numbers(void **state)
{
        uint8_t d[8] = { 0 };

        (void)state;
        assert_true(vhive_value_is_blank(hive_t_REG_DWORD, (char *)d, 4));
        assert_true(vhive_value_is_blank(hive_t_REG_QWORD, (char *)d, 8));
        for (int i = 0; i < 4; i++) {
                memset(d, 0, sizeof(d));
                d[i] = 0x80;
                assert_false(vhive_value_is_blank(hive_t_REG_DWORD, (char *)d, 4));
                assert_false(vhive_value_is_blank(hive_t_REG_DWORD_BIG_ENDIAN, (char *)d, 4));
        }
        memset(d, 0, sizeof(d));
        d[7] = 1; /* only the high half set */
        assert_false(vhive_value_is_blank(hive_t_REG_QWORD, (char *)d, 8));
}

static void is_blank_binary(void **state)
{
        static const char zero[4];
        static const char one[] = { 1 };

        (void)state;
        assert_true(vhive_value_is_blank(hive_t_REG_BINARY, NULL, 0));
        assert_true(vhive_value_is_blank(hive_t_REG_BINARY, zero, 0));
        /* Zero bytes are data: only zero length is a blank binary. */
        assert_false(vhive_value_is_blank(hive_t_REG_BINARY, zero, 4));
        assert_false(vhive_value_is_blank(hive_t_REG_BINARY, one, 1));
        assert_false(vhive_value_is_blank(hive_t_REG_NONE, zero, 1));
        assert_true(vhive_value_is_blank(hive_t_REG_NONE, zero, 0));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(blank_strings),
                cmocka_unit_test(blank_numbers),
                cmocka_unit_test(blank_others_zero_length),
                cmocka_unit_test(is_blank_strings),
                cmocka_unit_test(is_blank_numbers),
                cmocka_unit_test(is_blank_binary),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
