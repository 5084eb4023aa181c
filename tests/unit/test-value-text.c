/* Registry values as text: UTF-16LE <-> UTF-8 (surrogate pairs, lone
 * surrogates), REG_MULTI_SZ joined with ", ", numbers, hex for the rest. */
#include "unit.h"

/* UTF-16LE bytes of an ASCII string, NUL included; caller frees. */
static char *u16(const char *ascii, size_t *len)
{
        size_t n = strlen(ascii) + 1;
        char *out = calloc(n, 2);

        assert_non_null(out);
        for (size_t i = 0; i < n; i++)
                out[2 * i] = ascii[i];
        *len = 2 * n;
        return out;
}

static void expect_text(hive_type t, const void *data, size_t len, const char *want)
{
        char *s = vhive_value_to_text(t, data, len);

        assert_non_null(s);
        if (strcmp(s, want) != 0)
                fail_msg("%s: got \"%s\", want \"%s\"", vhive_type_name(t), s, want);
        free(s);
}

static void sz_ascii(void **state)
{
        size_t len;
        char *d = u16("10.20.0.57", &len);

        (void)state;
        expect_text(hive_t_REG_SZ, d, len, "10.20.0.57");
        expect_text(hive_t_REG_EXPAND_SZ, d, len, "10.20.0.57");
        /* Without the terminator, and stopping at the first NUL. */
        expect_text(hive_t_REG_SZ, d, len - 2, "10.20.0.57");
        d[4] = 0;
        d[5] = 0;
        expect_text(hive_t_REG_SZ, d, len, "10");
        /* An odd trailing byte is ignored. */
        expect_text(hive_t_REG_SZ, d, 3, "1");
        expect_text(hive_t_REG_SZ, d, 0, "");
        free(d);
}

static void sz_non_ascii(void **state)
{
        /* "bü€" U+0062 U+00FC U+20AC, then U+1F600 as a surrogate pair. */
        static const uint8_t d[] = { 0x62, 0, 0xfc, 0, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde, 0, 0 };

        (void)state;
        expect_text(hive_t_REG_SZ, d, sizeof(d), "b\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80");
}

static void sz_lone_surrogates(void **state)
{
        /* High surrogate followed by 'A'; lone low surrogate; high at the end. */
        static const uint8_t hi_then_a[] = { 0x3d, 0xd8, 0x41, 0, 0, 0 };
        static const uint8_t lone_lo[] = { 0x00, 0xde, 0x42, 0 };
        static const uint8_t hi_at_end[] = { 0x43, 0, 0x3d, 0xd8 };

        (void)state;
        expect_text(hive_t_REG_SZ, hi_then_a, sizeof(hi_then_a),
                    "\xef\xbf\xbd"
                    "A");
        expect_text(hive_t_REG_SZ, lone_lo, sizeof(lone_lo),
                    "\xef\xbf\xbd"
                    "B");
        expect_text(hive_t_REG_SZ, hi_at_end, sizeof(hi_at_end), "C\xef\xbf\xbd");
}

static void utf8_round_trip(void **state)
{
        static const char *const samples[] = {
                "",
                "a",
                "10.20.0.2 10.20.0.3",
                "b\xc3\xbcro.example.de",
                "\xe2\x82\xac",
                "x\xf0\x9f\x98\x80y",
                "\xf4\x8f\xbf\xbf",
        };

        (void)state;
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
                size_t len = 0;
                char *w = vhive_utf8_to_utf16le(samples[i], &len);
                char *back;

                assert_non_null(w);
                assert_true(len >= 2 && len % 2 == 0);
                assert_int_equal(w[len - 1], 0);
                assert_int_equal(w[len - 2], 0);
                back = vhive_utf16le_to_utf8(w, len);
                assert_non_null(back);
                assert_string_equal(back, samples[i]);
                free(back);
                free(w);
        }
}

static void utf8_surrogate_encoding(void **state)
{
        static const uint8_t want[] = { 0x78, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0 };
        size_t len = 0;
        char *w = vhive_utf8_to_utf16le("x\xf0\x9f\x98\x80", &len);

        (void)state;
        assert_non_null(w);
        assert_int_equal(len, sizeof(want));
        assert_memory_equal(w, want, sizeof(want));
        free(w);
}

static void utf8_invalid(void **state)
{
        static const char *const bad[] = { "\xff", "a\x80", "\xc3", "\xe2\x82", "\xc3(" };

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                size_t len = 0;

                errno = 0;
                assert_null(vhive_utf8_to_utf16le(bad[i], &len));
                assert_int_equal(errno, EILSEQ);
        }
}

static void multi_sz(void **state)
{
        static const char two[] = "1\0"
                                  "0\0"
                                  "\0\0"
                                  "2\0"
                                  "\0\0"
                                  "\0\0";
        static const uint8_t gw[] = {
                '1', 0, '0', 0, '.', 0, '1', 0, 0, 0, '1', 0, '0', 0, '.', 0, '2', 0, 0, 0, 0, 0,
        };
        static const char empty[4] = { 0 };
        static const uint8_t unterminated[] = { 'a', 0, 0, 0, 'b', 0 };
        static const uint8_t umlaut[] = { 0xfc, 0, 0, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0, 0, 0 };

        (void)state;
        expect_text(hive_t_REG_MULTI_SZ, two, 12, "10, 2");
        expect_text(hive_t_REG_MULTI_SZ, gw, sizeof(gw), "10.1, 10.2");
        expect_text(hive_t_REG_MULTI_SZ, empty, 4, "");
        expect_text(hive_t_REG_MULTI_SZ, empty, 2, "");
        expect_text(hive_t_REG_MULTI_SZ, empty, 0, "");
        expect_text(hive_t_REG_MULTI_SZ, unterminated, sizeof(unterminated), "a, b");
        expect_text(hive_t_REG_MULTI_SZ, umlaut, sizeof(umlaut), "\xc3\xbc, \xf0\x9f\x98\x80");
}

static void numbers(void **state)
{
        static const uint8_t dw[] = { 0x80, 0x51, 0x01, 0x00 };
        static const uint8_t big[] = { 0xff, 0xff, 0xff, 0xff };
        static const uint8_t qw[] = { 0x80, 0x51, 0x01, 0, 0, 0, 0, 0x01 };

        (void)state;
        expect_text(hive_t_REG_DWORD, dw, 4, "86400");
        expect_text(hive_t_REG_DWORD, big, 4, "4294967295");
        expect_text(hive_t_REG_DWORD_BIG_ENDIAN, dw, 4, "2152792320");
        expect_text(hive_t_REG_QWORD, qw, 8, "72057594038014336");
        /* Wrong sizes fall back to hex rather than reading past the data. */
        expect_text(hive_t_REG_DWORD, dw, 3, "80,51,01");
        expect_text(hive_t_REG_QWORD, qw, 4, "80,51,01,00");
}

static void binary_hex(void **state)
{
        static const uint8_t d[] = { 0x0a, 0x14, 0x00, 0xff };

        (void)state;
        expect_text(hive_t_REG_BINARY, d, sizeof(d), "0a,14,00,ff");
        expect_text(hive_t_REG_BINARY, d, 0, "");
        expect_text(hive_t_REG_NONE, d, 1, "0a");
        expect_text((hive_type)77, d, 2, "0a,14");
}

static void type_names(void **state)
{
        (void)state;
        assert_string_equal(vhive_type_name(hive_t_REG_NONE), "REG_NONE");
        assert_string_equal(vhive_type_name(hive_t_REG_SZ), "REG_SZ");
        assert_string_equal(vhive_type_name(hive_t_REG_EXPAND_SZ), "REG_EXPAND_SZ");
        assert_string_equal(vhive_type_name(hive_t_REG_BINARY), "REG_BINARY");
        assert_string_equal(vhive_type_name(hive_t_REG_DWORD), "REG_DWORD");
        assert_string_equal(vhive_type_name(hive_t_REG_MULTI_SZ), "REG_MULTI_SZ");
        assert_string_equal(vhive_type_name(hive_t_REG_QWORD), "REG_QWORD");
        assert_string_equal(vhive_type_name((hive_type)12), "REG_UNKNOWN");
        assert_string_equal(vhive_type_name((hive_type)-1), "REG_UNKNOWN");
}

static void check_escape(const char *in, const char *want)
{
        char *got = vhive_escape_text(in);

        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
}

/* Human output (issue 11): C0, DEL, C1 and bytes that are not UTF-8 are
 * escaped; printable text, UTF-8 and backslashes stay as they are. */
static void escape_text(void **state)
{
        (void)state;
        check_escape("", "");
        check_escape("Tcpip\\Parameters", "Tcpip\\Parameters");
        check_escape("\x1b]0;t\x07\x1b[2J", "\\x1b]0;t\\x07\\x1b[2J");
        check_escape("a\tb\nc\x7f", "a\\x09b\\x0ac\\x7f");
        check_escape("\xc2\x9b\xc2\x85", "\\u009b\\u0085"); /* C1 as UTF-8 */
        check_escape("\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                     "\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        check_escape("\x9b", "\\x9b");                            /* a lone C1 byte */
        check_escape("\xc0\xaf", "\\xc0\\xaf");                   /* overlong */
        check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* a surrogate */
        check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
        check_escape("\xe2\x82", "\\xe2\\x82");                   /* truncated */
        check_escape("\xff", "\\xff");
}

static void check_json_names(const char *in, bool valid, const char *lossy, const char *bytes)
{
        char *l = vhive_utf8_lossy(in), *b = vhive_percent_bytes(in);

        assert_int_equal(vhive_utf8_valid(in), valid);
        assert_non_null(l);
        assert_non_null(b);
        assert_string_equal(l, lossy);
        assert_string_equal(b, bytes);
        free(l);
        free(b);
}

/* JSON names (issue 18): U+FFFD for each byte that is not UTF-8, and a
 * lossless percent spelling (those bytes and every %). */
static void json_names(void **state)
{
        (void)state;
        check_json_names("", true, "", "");
        check_json_names("good.raw", true, "good.raw", "good.raw");
        check_json_names("50%\\x", true, "50%\\x", "50%25\\x");
        check_json_names("pvs-\xe9t\xe9.raw", false, "pvs-\xef\xbf\xbdt\xef\xbf\xbd.raw",
                         "pvs-%E9t%E9.raw");
        check_json_names("\xc3\xa9\xf0\x9f\x98\x80", true, "\xc3\xa9\xf0\x9f\x98\x80",
                         "\xc3\xa9\xf0\x9f\x98\x80");
        check_json_names("\xc0\xaf", false, "\xef\xbf\xbd\xef\xbf\xbd", "%C0%AF"); /* overlong */
        check_json_names("\xed\xa0\x80", false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                         "%ED%A0%80"); /* a surrogate */
        check_json_names("a\xe2\x82", false, "a\xef\xbf\xbd\xef\xbf\xbd", "a%E2%82");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sz_ascii),
                cmocka_unit_test(sz_non_ascii),
                cmocka_unit_test(sz_lone_surrogates),
                cmocka_unit_test(utf8_round_trip),
                cmocka_unit_test(utf8_surrogate_encoding),
                cmocka_unit_test(utf8_invalid),
                cmocka_unit_test(multi_sz),
                cmocka_unit_test(numbers),
                cmocka_unit_test(binary_hex),
                cmocka_unit_test(type_names),
                cmocka_unit_test(escape_text),
                cmocka_unit_test(json_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
