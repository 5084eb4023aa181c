/* CRC-32C as VHDX checksums its region tables: the standard check value,
 * and the table-driven code against the bitwise definition. */
#include "image.h"
#include "unit.h"

static uint32_t bitwise(const uint8_t *p, size_t len)
{
        uint32_t crc = ~0u;

        while (len--) {
                crc ^= *p++;
                for (int k = 0; k < 8; k++)
                        crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
        }
        return ~crc;
}

static void check_value(void **state)
{
        (void)state;
        /* The check value of CRC-32C (RFC 3720, appendix B.4). */
        assert_int_equal(vhive_crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
        assert_int_equal(vhive_crc32c(NULL, 0), 0);
}

static void matches_bitwise(void **state)
{
        uint8_t buf[4096];
        uint32_t x = 12345;

        (void)state;
        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t)(x >> 16);
        }
        for (size_t len = 0; len <= sizeof(buf); len += 97)
                assert_int_equal(vhive_crc32c(buf, len), bitwise(buf, len));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(check_value),
                cmocka_unit_test(matches_bitwise),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
