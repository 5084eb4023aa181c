/* The .reg parser, key paths, typed values and value export, without any
 * hive. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reg.h"

#define H5 "Windows Registry Editor Version 5.00\r\n\r\n"

static void parse_ok(struct vhive_regfile *rf, const char *text)
{
        struct vhive_error err = { 0 };

        if (vhive_regfile_parse(rf, "t.reg", (const uint8_t *)text, strlen(text), &err) < 0)
                fail_msg("parse failed: %s", err.msg);
}

/* Expects failure whose message starts "t.reg:LINE:" and contains word. */
static void parse_bad(const char *text, unsigned line, const char *word)
{
        struct vhive_regfile rf;
        struct vhive_error err = { 0 };
        char where[32];

        assert_int_equal(
                vhive_regfile_parse(&rf, "t.reg", (const uint8_t *)text, strlen(text), &err),
                -EINVAL);
        snprintf(where, sizeof(where), "t.reg:%u: ", line);
        if (strncmp(err.msg, where, strlen(where)) != 0)
                fail_msg("\"%s\" does not start with \"%s\"", err.msg, where);
        if (word && !strstr(err.msg, word))
                fail_msg("\"%s\" does not mention \"%s\"", err.msg, word);
        assert_null(rf.keys);
}

static void assert_bytes(const struct vhive_reg_value *v, hive_type t, const char *data, size_t len)
{
        assert_int_equal(v->type, t);
        assert_int_equal(v->len, len);
        assert_memory_equal(v->data, data, len);
}

static void every_value_type(void **state)
{
        struct vhive_regfile rf;
        const struct vhive_reg_value *v;

        (void)state;
        parse_ok(&rf, H5 "[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\r\n"
                         "\"s\"=\"a\\\\b\\\"c\"\r\n"
                         "@=\"def\"\r\n"
                         "\"d\"=dword:0000000A\r\n"
                         "\"b\"=hex:01,ff\r\n"
                         "\"x\"=hex(2):41,00,00,00\r\n"
                         "\"m\"=hex(7):41,00,00,00,00,00\r\n"
                         "\"q\"=hex(b):01,00,00,00,00,00,00,00\r\n"
                         "\"n\"=hex(0):\r\n"
                         "\"odd\"=hex(20001):ab\r\n"
                         "\"gone\"=-\r\n");
        assert_int_equal(rf.n_keys, 1);
        assert_false(rf.regedit4);
        assert_string_equal(rf.keys[0].path.hive, "SYSTEM");
        assert_int_equal(rf.keys[0].path.n, 1);
        assert_int_equal(rf.keys[0].n_values, 10);
        v = rf.keys[0].values;
        assert_string_equal(v[0].name, "s");
        assert_bytes(&v[0], hive_t_REG_SZ, "a\0\\\0b\0\"\0c\0\0", 12);
        assert_string_equal(v[1].name, "");
        assert_bytes(&v[1], hive_t_REG_SZ, "d\0e\0f\0\0", 8);
        assert_bytes(&v[2], hive_t_REG_DWORD, "\x0a\0\0\0", 4);
        assert_bytes(&v[3], hive_t_REG_BINARY, "\x01\xff", 2);
        assert_bytes(&v[4], hive_t_REG_EXPAND_SZ, "A\0\0", 4);
        assert_bytes(&v[5], hive_t_REG_MULTI_SZ, "A\0\0\0\0", 6);
        assert_bytes(&v[6], hive_t_REG_QWORD, "\x01\0\0\0\0\0\0", 8);
        assert_bytes(&v[7], hive_t_REG_NONE, "", 0);
        assert_bytes(&v[8], (hive_type)0x20001, "\xab", 1);
        assert_true(v[9].remove);
        assert_int_equal(v[9].line, 13);
        vhive_regfile_free(&rf);
}

static void keys_and_deletions(void **state)
{
        struct vhive_regfile rf;

        (void)state;
        parse_ok(&rf, H5 "; a comment\r\n"
                         "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\r\n"
                         "\r\n"
                         "  [HKLM\\SYSTEM\\CurrentControlSet\\Services\\*]   ; every service\r\n"
                         "\"x\"=\"\"\r\n");
        assert_int_equal(rf.n_keys, 2);
        assert_true(rf.keys[0].remove);
        assert_int_equal(rf.keys[0].line, 4);
        assert_string_equal(rf.keys[0].path.hive, "SOFTWARE");
        assert_false(rf.keys[1].remove);
        assert_true(rf.keys[1].path.wildcard);
        assert_int_equal(rf.keys[1].path.n, 3);
        assert_string_equal(rf.keys[1].path.comps[2], "*");
        assert_string_equal(rf.keys[1].text, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\*");
        assert_true(vhive_keypath_is_ccs(&rf.keys[1].path, 0));
        vhive_regfile_free(&rf);
}

static void continuation_lines(void **state)
{
        struct vhive_regfile rf;
        char want[40];

        (void)state;
        for (unsigned i = 0; i < sizeof(want); i++)
                want[i] = (char)i;
        parse_ok(&rf, "Windows Registry Editor Version 5.00\n\n[HKLM\\SYSTEM\\K]\n"
                      "\"b\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,\\\n"
                      "  14,15,16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,\\\n"
                      "\t23,24,25,26,27\n"
                      "\"after\"=dword:1\n");
        assert_int_equal(rf.keys[0].n_values, 2);
        assert_bytes(&rf.keys[0].values[0], hive_t_REG_BINARY, want, sizeof(want));
        assert_int_equal(rf.keys[0].values[0].line, 4);
        assert_int_equal(rf.keys[0].values[1].line, 7);
        vhive_regfile_free(&rf);
}

static void utf16_with_bom(void **state)
{
        const char *text = H5 "[HKEY_LOCAL_MACHINE\\SYSTEM\\\xc3\xa9t\xc3\xa9]\r\n"
                              "\"caf\xc3\xa9\"=\"\xe2\x82\xac\"\r\n";
        size_t len;
        char *w = vhive_utf8_to_utf16le(text, &len);
        uint8_t *buf = malloc(len + 2);
        struct vhive_regfile rf;
        struct vhive_error err = { 0 };

        (void)state;
        assert_non_null(w);
        assert_non_null(buf);
        buf[0] = 0xff;
        buf[1] = 0xfe;
        memcpy(buf + 2, w, len - 2);
        assert_int_equal(vhive_regfile_parse(&rf, "u.reg", buf, len, &err), 0);
        assert_string_equal(rf.keys[0].path.comps[0], "\xc3\xa9t\xc3\xa9");
        assert_string_equal(rf.keys[0].values[0].name, "caf\xc3\xa9");
        assert_bytes(&rf.keys[0].values[0], hive_t_REG_SZ, "\xac\x20\0", 4);
        vhive_regfile_free(&rf);
        free(buf);
        free(w);
}

static void utf8_bom_and_regedit4(void **state)
{
        struct vhive_regfile rf;

        (void)state;
        parse_ok(&rf, "\xef\xbb\xbfREGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\K]\n"
                      "\"x\"=hex(2):41,42,00\n\"m\"=hex(7):41,00,00\n\"b\"=hex:41\n");
        assert_true(rf.regedit4);
        /* REGEDIT4 hex(2)/hex(7) text is ANSI: widened to UTF-16LE */
        assert_bytes(&rf.keys[0].values[0], hive_t_REG_EXPAND_SZ, "A\0B\0\0", 6);
        assert_bytes(&rf.keys[0].values[1], hive_t_REG_MULTI_SZ, "A\0\0\0\0", 6);
        assert_bytes(&rf.keys[0].values[2], hive_t_REG_BINARY, "A", 1);
        vhive_regfile_free(&rf);
}

static void bad_input_names_file_and_line(void **state)
{
        (void)state;
        parse_bad("", 1, "empty file");
        parse_bad("REGEDIT5\r\n", 1, "first line");
        parse_bad(H5 "\"x\"=\"y\"\r\n", 3, "outside");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=\"y\r\n", 4, "closing quote");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=\"C:\\Windows\"\r\n", 4, "escape");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\r\n\"x\"=dword:123456789\r\n", 5, "dword");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=dword:\r\n", 4, "dword");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=hex:0g\r\n", 4, "hex");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=hex(zz):00\r\n", 4, "hex(");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=hex:01,\\\r\n  02 03\r\n", 4, "','");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=qword:1\r\n", 4, "unknown value data");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"\"y\"\r\n", 4, "'='");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\n\"x\"=\"y\" z\r\n", 4, "after the value");
        parse_bad(H5 "[HKLM\\SYSTEM\\K\r\n", 3, "']'");
        parse_bad(H5 "[HKEY_CURRENT_USER\\Software]\r\n", 3, "HKEY_LOCAL_MACHINE");
        parse_bad(H5 "[HKLM\\HARDWARE\\X]\r\n", 3, "HKLM\\SYSTEM");
        parse_bad(H5 "[ControlSet001\\X]\r\n", 3, "must start");
        parse_bad(H5 "[HKLM\\SYSTEM\\a\\\\b]\r\n", 3, "empty key name");
        parse_bad(H5 "[-HKLM\\SYSTEM]\r\n", 3, "root");
        parse_bad(H5 "[-HKLM\\SYSTEM\\K]\r\n\"x\"=\"\"\r\n", 4, "[-KEY]");
        parse_bad(H5 "[HKLM\\SYSTEM\\K]\r\nnonsense\r\n", 4, "unexpected");
}

static void bad_encodings(void **state)
{
        struct vhive_regfile rf;
        struct vhive_error err = { 0 };
        const uint8_t nobom[] = { 'W', 0, 'i', 0, 'n', 0 };
        const uint8_t odd[] = { 0xff, 0xfe, 'W' };

        (void)state;
        assert_int_equal(vhive_regfile_parse(&rf, "n.reg", nobom, sizeof(nobom), &err), -EINVAL);
        assert_non_null(strstr(err.msg, "n.reg"));
        assert_non_null(strstr(err.msg, "NUL"));
        assert_int_equal(vhive_regfile_parse(&rf, "o.reg", odd, sizeof(odd), &err), -EINVAL);
        assert_non_null(strstr(err.msg, "odd"));
}

static void key_paths(void **state)
{
        struct vhive_keypath kp;
        struct vhive_error err = { 0 };
        char *text;

        (void)state;
        assert_int_equal(
                vhive_keypath_parse("HKEY_LOCAL_MACHINE\\software\\Microsoft\\", &kp, &err), 0);
        assert_string_equal(kp.hive, "SOFTWARE");
        assert_int_equal(kp.n, 1);
        text = vhive_keypath_text(&kp, 1);
        assert_string_equal(text, "HKEY_LOCAL_MACHINE\\software\\Microsoft");
        free(text);
        vhive_keypath_free(&kp);
        assert_int_equal(vhive_keypath_parse("CurrentControlSet\\Services", &kp, &err), 0);
        assert_null(kp.hive);
        assert_true(vhive_keypath_is_ccs(&kp, 0));
        assert_int_equal(vhive_keypath_check_hive(&kp, "SOFTWARE", &err), 0);
        vhive_keypath_free(&kp);
        assert_int_equal(vhive_keypath_parse("HKLM\\SOFTWARE\\CurrentControlSet", &kp, &err), 0);
        assert_false(vhive_keypath_is_ccs(&kp, 0));
        assert_int_equal(vhive_keypath_check_hive(&kp, "SYSTEM", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "outside"));
        vhive_keypath_free(&kp);
        assert_int_equal(vhive_keypath_parse("", &kp, &err), 0);
        assert_int_equal(kp.n, 0);
        vhive_keypath_free(&kp);
        assert_int_equal(vhive_keypath_parse("HKU\\S-1-5", &kp, &err), -EINVAL);
        assert_string_equal(vhive_hive_from_filename("/a/b/system.hive"), "SYSTEM");
        assert_string_equal(vhive_hive_from_filename("SOFTWARE"), "SOFTWARE");
        assert_null(vhive_hive_from_filename("/x/one-iface.hive"));
}

static void typed(const char *text, hive_type t, const char *data, size_t len)
{
        struct vhive_error err = { 0 };
        hive_type got;
        char *d;
        size_t l;

        if (vhive_typed_value_parse(text, &got, &d, &l, &err) < 0)
                fail_msg("%s: %s", text, err.msg);
        assert_int_equal(got, t);
        assert_int_equal(l, len);
        assert_memory_equal(d, data, len);
        free(d);
}

static void typed_values(void **state)
{
        struct vhive_error err = { 0 };
        hive_type t;
        char *d;
        size_t l;

        (void)state;
        typed("string:ab", hive_t_REG_SZ, "a\0b\0\0", 6);
        typed("string:", hive_t_REG_SZ, "\0", 2);
        typed("expand:%x%", hive_t_REG_EXPAND_SZ, "%\0x\0%\0\0", 8);
        typed("multi:a,b\\,c", hive_t_REG_MULTI_SZ, "a\0\0\0b\0,\0c\0\0\0\0", 14);
        typed("multi:", hive_t_REG_MULTI_SZ, "\0\0\0", 4);
        typed("dword:0x10", hive_t_REG_DWORD, "\x10\0\0", 4);
        typed("dword:4294967295", hive_t_REG_DWORD, "\xff\xff\xff\xff", 4);
        typed("qword:1", hive_t_REG_QWORD, "\x01\0\0\0\0\0\0", 8);
        typed("hex:3:01,ff", hive_t_REG_BINARY, "\x01\xff", 2);
        typed("hex:0x20001:abcd", (hive_type)0x20001, "\xab\xcd", 2);
        typed("none", hive_t_REG_NONE, "", 0);
        assert_int_equal(vhive_typed_value_parse("dword:4294967296", &t, &d, &l, &err), -EINVAL);
        assert_int_equal(vhive_typed_value_parse("dword:-1", &t, &d, &l, &err), -EINVAL);
        assert_int_equal(vhive_typed_value_parse("hex:3:abc", &t, &d, &l, &err), -EINVAL);
        assert_int_equal(vhive_typed_value_parse("hex:3:zz", &t, &d, &l, &err), -EINVAL);
        assert_int_equal(vhive_typed_value_parse("text", &t, &d, &l, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "string:"));
}

static void export_values(void **state)
{
        char bytes[64], *s;

        (void)state;
        for (unsigned i = 0; i < sizeof(bytes); i++)
                bytes[i] = (char)i;
        s = vhive_export_value("a\"b\\", hive_t_REG_SZ, "x\0\"\0\\\0\0", 8);
        assert_string_equal(s, "\"a\\\"b\\\\\"=\"x\\\"\\\\\"");
        free(s);
        s = vhive_export_value("", hive_t_REG_DWORD, "\x0a\0\0\x80", 4);
        assert_string_equal(s, "@=dword:8000000a");
        free(s);
        /* not a clean string: hex(1) keeps every byte */
        s = vhive_export_value("s", hive_t_REG_SZ, "a\0\n\0\0", 6);
        assert_string_equal(s, "\"s\"=hex(1):61,00,0a,00,00,00");
        free(s);
        s = vhive_export_value("d", hive_t_REG_DWORD, "\1\0", 2);
        assert_string_equal(s, "\"d\"=hex(4):01,00");
        free(s);
        /* regedit's widths: the first line ends once it reaches 77
         * columns before the backslash, the others hold 25 bytes */
        s = vhive_export_value("DigitalProductId", hive_t_REG_BINARY, bytes, 44);
        assert_string_equal(s, "\"DigitalProductId\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,"
                               "0c,0d,0e,0f,10,11,\\\r\n"
                               "  12,13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,"
                               "26,27,28,29,2a,\\\r\n  2b");
        free(s);
        s = vhive_export_value("n", hive_t_REG_NONE, "", 0);
        assert_string_equal(s, "\"n\"=hex(0):");
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_value_type),
                cmocka_unit_test(keys_and_deletions),
                cmocka_unit_test(continuation_lines),
                cmocka_unit_test(utf16_with_bom),
                cmocka_unit_test(utf8_bom_and_regedit4),
                cmocka_unit_test(bad_input_names_file_and_line),
                cmocka_unit_test(bad_encodings),
                cmocka_unit_test(key_paths),
                cmocka_unit_test(typed_values),
                cmocka_unit_test(export_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
