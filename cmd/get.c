/* vhive get: print one value. */
#include <getopt.h>
#include <stdio.h>

#include "editor.h"

enum { OPT_RAW = OPT_FIRST_PRIVATE };

static const struct option long_options[] = {
        { "raw", no_argument, NULL, OPT_RAW },
        COMMON_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
};

static int help(void)
{
        printf("Usage: vhive get [OPTIONS] TARGET KEY [NAME]\n"
               "Print the value NAME of KEY (without NAME, or with @: the default value) as\n"
               "text: strings as they are, REG_MULTI_SZ one string per line, numbers in\n"
               "decimal, anything else as hex bytes.  With a * in KEY, one line per matching\n"
               "key: KEY<TAB>TEXT.\n\n"
               "Options:\n"
               "      --raw              write the value's bytes exactly as stored\n" ED_COMMON_HELP
               "\nExit status: 0 success, 2 failure.  See vhive(1).\n");
        return VHIVE_EXIT_OK;
}

static int own_option(int c, const char *arg, void *ctx)
{
        (void)arg;
        if (c != OPT_RAW)
                return 0;
        ((struct ed_read *)ctx)->raw = true;
        return 1;
}

/* REG_MULTI_SZ: one string per line. */
static void print_multi(FILE *f, const char *data, size_t len)
{
        size_t i = 0;

        while (i + 1 < len && (data[i] || data[i + 1])) {
                size_t j = i;
                _cleanup_free_ char *s = NULL;

                while (j + 1 < len && (data[j] || data[j + 1]))
                        j += 2;
                s = vhive_utf16le_to_utf8(data + i, j - i);
                fprintf(f, "%s\n", s ? cmd_esc(s) : "");
                i = j + 2;
        }
}

static int print_value(FILE *f, const struct ed_read *c, hive_type t, const char *data,
                       size_t len)
{
        _cleanup_free_ char *text = NULL;

        if (c->raw) {
                fwrite(data, 1, len, f);
                return 0;
        }
        if (t == hive_t_REG_MULTI_SZ) {
                print_multi(f, data, len);
                return 0;
        }
        text = vhive_value_to_text(t, data, len);
        if (!text)
                return -ENOMEM;
        fprintf(f, "%s\n", cmd_esc(text));
        return 0;
}

/* 1 printed, 0 the key has no such value. */
static int get_one(hive_h *h, hive_node_h node, const struct ed_read *c, bool prefix_path,
                   struct vhive_error *err)
{
        _cleanup_free_ char *data = NULL;
        hive_value_h v;
        hive_type t;
        size_t len;

        errno = 0;
        v = hivex_node_get_value(h, node, c->name);
        if (!v && errno)
                return vhive_fail(err, errno, "reading value %s: %s", c->name, strerror(errno));
        if (!v)
                return 0;
        data = hivex_value_value(h, v, &t, &len);
        if (!data)
                return vhive_fail(err, errno, "reading value %s: %s", c->name, strerror(errno));
        if (prefix_path) {
                _cleanup_free_ char *path = vhive_node_path(h, node);

                fprintf(c->f, "%s\t", cmd_esc(path));
        }
        if (print_value(c->f, c, t, data, len) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        return 1;
}

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct ed_read *c = ctx;
        _cleanup_free_ hive_node_h *nodes = NULL;
        _cleanup_free_ char *where = NULL;
        int n = ed_read_begin(s, c, &nodes, err), found = 0, r = 0;

        (void)apply;
        *changed = false;
        if (n > 1 && c->raw)
                return vhive_fail(err, EINVAL, "--raw needs one key, but %d match", n);
        for (int i = 0; i < n && r >= 0; i++) {
                r = get_one(s->h, nodes[i], c, c->kp.wildcard, err);
                found += r > 0;
        }
        if (n < 0 || r < 0)
                return n < 0 ? n : r;
        if (found)
                return 0;
        where = vhive_keypath_text(&c->kp, c->kp.n);
        if (*c->name)
                return vhive_fail(err, ENOENT, "value \"%s\" does not exist in %s", c->name,
                                  where ? where : "the key");
        return vhive_fail(err, ENOENT, "%s has no default value", where ? where : "the key");
}

static const struct vhive_op get_op = {
        .writes = false,
        .hive_name = ed_read_hive_name,
        .run = run,
};

int cmd_get(int argc, char **argv)
{
        struct ed_read c = { 0 };
        struct cmd_opts o = { 0 };
        int rc = ed_parse_options("get", argc, argv, COMMON_SHORT, long_options, &o, own_option, &c,
                                  help);

        if (rc >= 0)
                return rc;
        if (argc - optind != 2 && argc - optind != 3)
                return cmd_usage_error("get", "expected TARGET KEY [NAME]");
        c.name = argc - optind == 3 ? argv[optind + 2] : "";
        if (strcmp(c.name, "@") == 0)
                c.name = "";
        if (ed_keypath("get", argv[optind + 1], &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        return ed_run_read(argv[optind], &get_op, &c, &o);
}
