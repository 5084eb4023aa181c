/* vhive ls: list the subkeys and values of a key. */
#include <getopt.h>
#include <stdio.h>

#include "editor.h"

static const struct option long_options[] = {
        COMMON_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
};

static int help(void)
{
        printf("Usage: vhive ls [OPTIONS] TARGET [KEY]\n"
               "List the subkeys of KEY (default: the hive root), one per line ending in \\,\n"
               "then its values as NAME<TAB>TYPE<TAB>TEXT (@ is the default value).  KEY is\n"
               "HKLM\\SYSTEM\\..., HKEY_LOCAL_MACHINE\\..., or a path below the hive root;\n"
               "CurrentControlSet maps through Select\\Current; a * component lists every\n"
               "matching key under a [KEY] heading.\n\n"
               "Options:\n" ED_COMMON_HELP
               "\nExit status: 0 success, 2 failure.  See vhive(1).\n");
        return VHIVE_EXIT_OK;
}

static int list_subkeys(hive_h *h, hive_node_h node, FILE *f, struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *kids = NULL;

        errno = 0;
        kids = hivex_node_children(h, node);
        if (!kids)
                return vhive_fail(err, errno, "reading subkeys: %s", strerror(errno));
        for (size_t i = 0; kids[i]; i++) {
                _cleanup_free_ char *name = hivex_node_name(h, kids[i]);

                if (!name)
                        return vhive_fail(err, errno, "reading a key name: %s", strerror(errno));
                fprintf(f, "%s\\\n", cmd_esc(name));
        }
        return 0;
}

static int list_values(hive_h *h, hive_node_h node, FILE *f, struct vhive_error *err)
{
        _cleanup_free_ hive_value_h *vs = NULL;

        errno = 0;
        vs = hivex_node_values(h, node);
        if (!vs)
                return vhive_fail(err, errno, "reading values: %s", strerror(errno));
        for (size_t i = 0; vs[i]; i++) {
                _cleanup_free_ char *name = hivex_value_key(h, vs[i]);
                _cleanup_free_ char *data = NULL, *text = NULL;
                hive_type t;
                size_t len;

                data = name ? hivex_value_value(h, vs[i], &t, &len) : NULL;
                text = data ? vhive_value_to_text(t, data, len) : NULL;
                if (!text)
                        return vhive_fail(err, errno, "reading a value: %s", strerror(errno));
                fprintf(f, "%s\t%s\t%s\n", *name ? cmd_esc(name) : "@", vhive_type_name(t),
                        cmd_esc(text));
        }
        return 0;
}

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct ed_read *c = ctx;
        _cleanup_free_ hive_node_h *nodes = NULL;
        char prefix[64];
        int n = ed_read_begin(s, c, &nodes, err), r = 0;

        (void)apply;
        *changed = false;
        ed_prefix(prefix, sizeof(prefix), ed_hive(&c->kp, s->primary));
        for (int i = 0; i < n && r == 0; i++) {
                if (c->kp.wildcard) {
                        _cleanup_free_ char *path = vhive_node_path(s->h, nodes[i]);

                        fprintf(c->f, "%s[%s%s%s]\n", i ? "\n" : "", prefix,
                                path && *path ? "\\" : "", cmd_esc(path));
                }
                r = list_subkeys(s->h, nodes[i], c->f, err);
                if (r == 0)
                        r = list_values(s->h, nodes[i], c->f, err);
        }
        return n < 0 ? n : r;
}

static const struct vhive_op ls_op = {
        .writes = false,
        .hive_name = ed_read_hive_name,
        .run = run,
};

int cmd_ls(int argc, char **argv)
{
        struct ed_read c = { 0 };
        struct cmd_opts o = { 0 };
        int rc = ed_parse_options("ls", argc, argv, COMMON_SHORT, long_options, &o, NULL, NULL,
                                  help);

        if (rc >= 0)
                return rc;
        if (argc - optind != 1 && argc - optind != 2)
                return cmd_usage_error("ls", "expected TARGET [KEY]");
        if (ed_keypath("ls", argc - optind == 2 ? argv[optind + 1] : "", &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        return ed_run_read(argv[optind], &ls_op, &c, &o);
}
