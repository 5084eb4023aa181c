/* Helpers shared by the unit tests (cmocka). */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "safe-file.h"
#include "scrub.h"

#define UNIT_SKIP 77

/* The rules a --profile list selects, from $VHIVE_RULES_DIR (tests_env:
 * the tree's rules/); loaded once, freed at exit. */
static inline void unit_rules_slot(struct vhive_rules **all, size_t *n, bool take)
{
        static struct vhive_rules store[8];
        static size_t used;

        *all = store;
        *n = take ? used++ : used;
}

static inline void unit_rules_free(void)
{
        struct vhive_rules *all;
        size_t n;

        unit_rules_slot(&all, &n, false);
        for (size_t i = 0; i < 8; i++)
                vhive_rules_free(&all[i]);
}

static inline const struct vhive_rules *unit_rules(const char *profile)
{
        struct vhive_rules_spec spec = { .profile = profile };
        struct vhive_error err = { 0 };
        struct vhive_rules *all;
        size_t n;

        unit_rules_slot(&all, &n, false);
        for (size_t i = 0; i < n; i++)
                if (strcmp(all[i].profile, profile) == 0)
                        return &all[i];
        unit_rules_slot(&all, &n, true);
        if (n == 0)
                atexit(unit_rules_free);
        if (n >= 8 || vhive_rules_select(&all[n], &spec, &err) < 0) {
                fprintf(stderr, "unit_rules(%s): %s\n", profile, err.msg);
                abort();
        }
        return &all[n];
}

/* $FIXTURES/NAME.hive, or NULL (and a reason on stderr) when the fixtures
 * were not built (no hivexregedit). */
static inline char *unit_fixture(const char *name)
{
        const char *dir = getenv("FIXTURES");
        char *path;

        if (!dir || !*dir)
                return NULL;
        if (asprintf(&path, "%s/%s.hive", dir, name) < 0)
                return NULL;
        if (access(path, R_OK) < 0) {
                free(path);
                return NULL;
        }
        return path;
}

/* Exits 77 when the fixture hives are missing: every test here needs them. */
static inline void unit_require_fixtures(const char *const *names)
{
        for (size_t i = 0; names[i]; i++) {
                char *p = unit_fixture(names[i]);

                if (!p) {
                        fprintf(stderr,
                                "skip: fixture %s.hive not found (FIXTURES=%s); "
                                "the fixtures need hivexregedit (libhivex-bin)\n",
                                names[i], getenv("FIXTURES") ? getenv("FIXTURES") : "unset");
                        exit(UNIT_SKIP);
                }
                free(p);
        }
}

static inline hive_h *unit_open(const char *name, int flags)
{
        char *p = unit_fixture(name);
        hive_h *h;

        assert_non_null(p);
        h = hivex_open(p, flags);
        if (!h)
                fail_msg("hivex_open(%s): %s", p, strerror(errno));
        free(p);
        return h;
}

/* A scratch folder for hives the tests build; removed by unit_rmtree. */
static inline char *unit_tmpdir(void)
{
        const char *base = getenv("TMPDIR");
        char *t;

        if (asprintf(&t, "%s/vhive-unit-XXXXXX", base && *base ? base : "/tmp") < 0)
                return NULL;
        if (!mkdtemp(t)) {
                free(t);
                return NULL;
        }
        return t;
}

static inline void unit_rmtree(char *dir)
{
        char *cmd;

        if (!dir)
                return;
        if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
                if (system(cmd) != 0)
                        fprintf(stderr, "warning: could not remove %s\n", dir);
                free(cmd);
        }
        free(dir);
}

/* The fixture $src grown by `keys` keys at the root that the scrub never
 * visits, each with a 1 KiB REG_BINARY value, committed to path: pages no
 * edit writes, that only a walk of the whole hive reads. */
static inline void unit_grow(const char *src, const char *path, int keys)
{
        hive_h *h = hivex_open(src, HIVEX_OPEN_WRITE);
        char name[32], data[1024];

        assert_non_null(h);
        memset(data, 'x', sizeof(data));
        for (int i = 0; i < keys; i++) {
                hive_set_value v = { .key = (char *)"Filler",
                                     .t = hive_t_REG_BINARY,
                                     .len = sizeof(data),
                                     .value = data };
                hive_node_h n;

                snprintf(name, sizeof(name), "Filler%03d", i);
                n = hivex_node_add_child(h, hivex_root(h), name);
                assert_true(n != 0 && hivex_node_set_value(h, n, &v, 0) == 0);
        }
        assert_int_equal(hivex_commit(h, path, 0), 0);
        assert_int_equal(hivex_close(h), 0);
}

/* An identity value as REG_SZ in the SOFTWARE hive: ascii, with its NUL, as
 * UTF-16LE in buf (size bytes, zeroed first; asserted large enough). */
static inline struct vhive_identity_value unit_identity_sz(size_t target, const char *rule,
                                                           const char *key, const char *name,
                                                           const char *ascii, uint8_t *buf,
                                                           size_t size)
{
        size_t n = strlen(ascii) + 1;
        struct vhive_identity_value v = {
                .target = target,
                .rule = rule,
                .hive = "SOFTWARE",
                .key = key,
                .name = name,
                .type = hive_t_REG_SZ,
                .data = buf,
                .len = 2 * n,
        };

        assert_true(2 * n <= size);
        memset(buf, 0, size);
        for (size_t i = 0; i < n; i++)
                buf[2 * i] = (uint8_t)ascii[i];
        return v;
}

/* vhive_identity_group, failing the test on an error. */
static inline void unit_identity_group(const struct vhive_identity_value *vals, size_t n,
                                       struct vhive_identity_report *rep)
{
        struct vhive_error err = { 0 };

        if (vhive_identity_group(vals, n, rep, &err) < 0)
                fail_msg("vhive_identity_group: %s", err.msg);
}
