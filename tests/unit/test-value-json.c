/* Values in the JSON documents (vhive_json_value, vhive(1) JSON OUTPUT):
 * data follows the type, numbers of the wrong length are hex and marked
 * malformed, a REG_QWORD past int64 is a decimal string. */
#include "unit.h"

/* The value as compact JSON text, compared with want. */
static void expect_json(hive_type t, const void *data, size_t len, const char *want)
{
        json_t *v = vhive_json_value("V", t, data, len);
        char *s;

        assert_non_null(v);
        s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_non_null(s);
        if (strcmp(s, want) != 0)
                fail_msg("%s: got %s, want %s", vhive_type_name(t), s, want);
        free(s);
        json_decref(v);
}

static void strings(void **state)
{
        static const char sz[] = "a\0\xe9\0\0\0junk";
        static const char multi[] = "a\0\0\0b\0c\0\0\0\0\0";

        (void)state;
        expect_json(hive_t_REG_SZ, sz, sizeof(sz) - 1,
                    "{\"name\":\"V\",\"type\":\"REG_SZ\",\"data\":\"a\xc3\xa9\"}");
        expect_json(hive_t_REG_EXPAND_SZ, "", 0,
                    "{\"name\":\"V\",\"type\":\"REG_EXPAND_SZ\",\"data\":\"\"}");
        expect_json(hive_t_REG_MULTI_SZ, multi, sizeof(multi) - 1,
                    "{\"name\":\"V\",\"type\":\"REG_MULTI_SZ\",\"data\":[\"a\",\"bc\"]}");
        expect_json(hive_t_REG_MULTI_SZ, "\0\0\0\0", 4,
                    "{\"name\":\"V\",\"type\":\"REG_MULTI_SZ\",\"data\":[]}");
}

static void numbers(void **state)
{
        (void)state;
        expect_json(hive_t_REG_DWORD, "\x01\x02\x00\x00", 4,
                    "{\"name\":\"V\",\"type\":\"REG_DWORD\",\"data\":513}");
        expect_json(hive_t_REG_DWORD_BIG_ENDIAN, "\x00\x00\x02\x01", 4,
                    "{\"name\":\"V\",\"type\":\"REG_DWORD_BIG_ENDIAN\",\"data\":513}");
        expect_json(hive_t_REG_QWORD, "\xff\xff\xff\xff\xff\xff\xff\x7f", 8,
                    "{\"name\":\"V\",\"type\":\"REG_QWORD\",\"data\":9223372036854775807}");
        expect_json(hive_t_REG_QWORD, "\xff\xff\xff\xff\xff\xff\xff\xff", 8,
                    "{\"name\":\"V\",\"type\":\"REG_QWORD\",\"data\":\"18446744073709551615\"}");
        expect_json(
                hive_t_REG_DWORD, "\x01\x02\x03", 3,
                "{\"name\":\"V\",\"type\":\"REG_DWORD\",\"malformed\":true,\"data\":\"010203\"}");
}

static void bytes(void **state)
{
        (void)state;
        expect_json(hive_t_REG_BINARY, "\x0a\x00\xff", 3,
                    "{\"name\":\"V\",\"type\":\"REG_BINARY\",\"data\":\"0a00ff\"}");
        expect_json(hive_t_REG_NONE, "", 0, "{\"name\":\"V\",\"type\":\"REG_NONE\",\"data\":\"\"}");
        expect_json((hive_type)0x20000, "\x01", 1,
                    "{\"name\":\"V\",\"type\":\"REG_UNKNOWN\",\"type_code\":131072,"
                    "\"data\":\"01\"}");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(strings),
                cmocka_unit_test(numbers),
                cmocka_unit_test(bytes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
