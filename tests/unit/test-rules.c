/* The rule-pack format: a good pack, and each kind of error as
 * "FILE:LINE: message" with the pack not loaded; selection. */
#include <strings.h>

#include "unit.h"

#define GOOD                                                                                       \
        "# a comment\n"                                                                            \
        "description = a test pack\n"                                                              \
        "\n"                                                                                       \
        "[wu]\n"                                                                                   \
        "  hive = SOFTWARE\n"                                                                      \
        "key = Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\n"                                \
        "key = Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\n"                   \
        "values = SusClientId, SusClientIdValidation\n"                                            \
        "action = delete\n"                                                                        \
        "source = https://example.org/a\n"                                                         \
        "source = a document\n"                                                                    \
        "[sms]\n"                                                                                  \
        "hive = SOFTWARE\n"                                                                        \
        "key = Microsoft\\SystemCertificates\\SMS\\Certificates\\*\n"                              \
        "action = detect\n"                                                                        \
        "advice = remove the SCCM client identity\n"                                               \
        "source = BIS-F\n"                                                                         \
        "files = C:\\Windows\\SMSCFG.INI\n"

static int parse(const char *text, struct vhive_pack *p, struct vhive_error *err)
{
        memset(err, 0, sizeof(*err));
        return vhive_pack_parse(text, strlen(text), "t.rules", "t", p, err);
}

static void good_pack(void **state)
{
        struct vhive_pack p;
        struct vhive_error err;

        (void)state;
        assert_int_equal(parse(GOOD, &p, &err), 0);
        assert_string_equal(p.description, "a test pack");
        assert_int_equal(p.n_rules, 2);
        assert_string_equal(p.rules[0].name, "t.wu");
        assert_string_equal(p.rules[0].hive, "SOFTWARE");
        assert_int_equal(p.rules[0].n_keys, 2);
        assert_int_equal(p.rules[0].n_values, 2);
        assert_string_equal(p.rules[0].values[1], "SusClientIdValidation");
        assert_int_equal(p.rules[0].action, VHIVE_RULE_DELETE);
        assert_int_equal(p.rules[0].n_sources, 2);
        assert_null(p.rules[0].advice);
        assert_int_equal(p.rules[1].action, VHIVE_RULE_DETECT);
        assert_int_equal(p.rules[1].n_values, 0);
        assert_int_equal(p.rules[1].n_files, 1);
        assert_int_equal(p.rules[1].line, 12);
        vhive_pack_free(&p);
}

/* text fails with "t.rules:LINE: ..." holding want. */
static void bad(const char *text, unsigned line, const char *want)
{
        struct vhive_pack p;
        struct vhive_error err;
        char prefix[32];

        assert_int_equal(parse(text, &p, &err), -EINVAL);
        snprintf(prefix, sizeof(prefix), "t.rules:%u: ", line);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || !strstr(err.msg, want))
                fail_msg("want '%s...%s', got '%s'", prefix, want, err.msg);
        assert_null(p.rules);
        assert_int_equal(p.n_rules, 0);
}

#define RULE_HEAD "[r]\nhive = SYSTEM\nkey = Select\n"

static void errors(void **state)
{
        (void)state;
        bad(RULE_HEAD "values = A\naction = blank\n", 1, "no source");
        bad(RULE_HEAD "values = A\naction = blank\nsource = s\nbogus = 1\n", 7,
            "unknown field 'bogus'");
        bad("[r]\nkey = Select\nvalues = A\naction = blank\nsource = s\n", 1, "no hive");
        bad("[r]\nhive = SYSTEM\nvalues = A\naction = blank\nsource = s\n", 1, "no key");
        bad(RULE_HEAD "values = A\nsource = s\n", 1, "no action");
        bad(RULE_HEAD "action = blank\nsource = s\n", 1, "no values");
        bad(RULE_HEAD "action = delete\nsource = s\n", 1, "no values");
        bad(RULE_HEAD "values = A\naction = detect\nsource = s\n", 1, "no advice");
        bad(RULE_HEAD "values = A\naction = wipe\nsource = s\n", 5, "action 'wipe'");
        bad("[r]\nhive = SAM\n", 2, "hive 'SAM'");
        bad("[r]\nhive = system\n", 2, "hive 'system'");
        bad(RULE_HEAD "values = A\naction = blank\nsource = s\n[r]\n", 7, "defined twice");
        bad("values = A\n[r]\n", 1, "'values' before the first [rule]");
        bad("\n\nkey = Select\n", 3, "before the first [rule]");
        bad("[Bad]\n", 1, "bad rule header");
        bad("[r\n", 1, "bad rule header");
        bad("[r]\njust words\n", 2, "expected 'field = value'");
        bad("[r]\nhive =\n", 2, "has no value");
        bad(RULE_HEAD "key = \\Foo\n", 4, "empty component");
        bad(RULE_HEAD "key = HKLM\\SYSTEM\\Select\n", 4, "relative to the hive root");
        bad(RULE_HEAD "values = A,,B\n", 4, "empty name");
        bad(RULE_HEAD "hive = SYSTEM\n", 4, "given twice");
        bad(RULE_HEAD "values = A\naction = blank\naction = delete\n", 6, "given twice");
        bad(RULE_HEAD "values = A\nkeep-static = B\naction = blank\nsource = s\n", 1,
            "keep-static 'B'");
        bad("# nothing\n", 1, "no rule");
        bad("description = a\ndescription = b\n[r]\n", 2, "given twice");
        bad(RULE_HEAD "values = A\xff\n", 4, "not UTF-8");
}

static void bad_names(void **state)
{
        struct vhive_pack p;
        struct vhive_error err = { 0 };

        (void)state;
        assert_int_equal(vhive_pack_parse(GOOD, strlen(GOOD), "X.rules", "X", &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "bad pack name"));
        assert_int_equal(vhive_pack_parse("[r]\0", 4, "t.rules", "t", &p, &err), -EINVAL);
}

static char *write_pack(const char *dir, const char *name, const char *text)
{
        char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        return path;
}

static int select_in(const char *profile, const char *file, const char *skip,
                     struct vhive_rules *rs, struct vhive_error *err)
{
        const char *files[1] = { file }, *skips[1] = { skip };
        struct vhive_rules_spec spec = { profile, files, file ? 1 : 0, skips, skip ? 1 : 0 };

        memset(err, 0, sizeof(*err));
        return vhive_rules_select(rs, &spec, err);
}

static void selection(void **state)
{
        char *dir = unit_tmpdir(), *own;
        struct vhive_rules rs;
        struct vhive_error err;

        (void)state;
        free(write_pack(dir, "t.rules", GOOD));
        own = write_pack(dir, "mine.rules",
                         "[x]\nhive = SYSTEM\nkey = Select\nvalues = A\n"
                         "action = blank\nsource = me\n");
        setenv("VHIVE_RULES_DIR", dir, 1);
        assert_int_equal(select_in("t", NULL, NULL, &rs, &err), 0);
        assert_int_equal(rs.n_sel, 2);
        assert_true(vhive_rules_touch(&rs, "SOFTWARE") && !vhive_rules_touch(&rs, "SYSTEM"));
        assert_true(vhive_rules_have_action(&rs, VHIVE_RULE_DETECT));
        vhive_rules_free(&rs);
        /* One rule; --skip; --rules FILE; duplicates selected once. */
        assert_int_equal(select_in("t.sms,t.sms", NULL, NULL, &rs, &err), 0);
        assert_int_equal(rs.n_sel, 1);
        assert_string_equal(rs.sel[0]->name, "t.sms");
        vhive_rules_free(&rs);
        assert_int_equal(select_in("t", own, "t.wu", &rs, &err), 0);
        assert_int_equal(rs.n_sel, 2);
        assert_string_equal(rs.sel[0]->name, "t.sms");
        assert_string_equal(rs.sel[1]->name, "mine.x");
        assert_true(vhive_rules_touch(&rs, "SYSTEM"));
        vhive_rules_free(&rs);
        /* Errors: an unknown skip, nothing left, a pack that does not load. */
        assert_int_equal(select_in("t", NULL, "t.nope", &rs, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "--skip 't.nope'"));
        vhive_rules_free(&rs);
        assert_int_equal(select_in("t.wu", NULL, "t.wu", &rs, &err), -EINVAL);
        vhive_rules_free(&rs);
        free(write_pack(dir, "broken.rules", "[x]\nhive = SYSTEM\n"));
        assert_int_equal(select_in("broken", NULL, NULL, &rs, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "broken.rules:1: rule 'x' has no key"));
        vhive_rules_free(&rs);
        /* Every pack of the folder: broken.rules stops it. */
        assert_int_equal(vhive_rules_load_all(&rs, &(struct vhive_rules_spec){ 0 }, &err), -EINVAL);
        vhive_rules_free(&rs);
        free(own);
        unit_rmtree(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(good_pack),
                cmocka_unit_test(errors),
                cmocka_unit_test(bad_names),
                cmocka_unit_test(selection),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
