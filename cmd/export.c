/* vhive export: a key and everything below it as regedit .reg text. */
#include <getopt.h>
#include <stdio.h>

#include "editor.h"

enum { OPT_UTF16 = OPT_FIRST_PRIVATE };

static const struct option long_options[] = {
        { "utf16", no_argument, NULL, OPT_UTF16 },
        COMMON_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
};

static int help(void)
{
        printf("Usage: vhive export [OPTIONS] TARGET [KEY]\n"
               "Write KEY (default: the hive root) and everything below it to stdout as\n"
               "regedit writes it: \"Windows Registry Editor Version 5.00\", CRLF line ends,\n"
               "hex(N): lines wrapped at 80 columns.  UTF-8 unless --utf16.  Merging the\n"
               "output back gives the same values.\n\n"
               "Options:\n"
               "      --utf16            UTF-16LE with a byte order mark, as regedit writes\n"
               ED_COMMON_HELP
               "\nExit status: 0 success, 2 failure.  See vhive(1).\n");
        return VHIVE_EXIT_OK;
}

static int own_option(int c, const char *arg, void *ctx)
{
        (void)arg;
        if (c != OPT_UTF16)
                return 0;
        ((struct ed_read *)ctx)->utf16 = true;
        return 1;
}

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct ed_read *c = ctx;
        _cleanup_free_ hive_node_h *nodes = NULL;
        _cleanup_free_ char *text = NULL;
        char prefix[64];
        struct vhive_export_opts eo = { .prefix = prefix, .utf16 = c->utf16 };
        size_t len;
        int n = ed_read_begin(s, c, &nodes, err), r;

        (void)apply;
        *changed = false;
        if (n < 0)
                return n;
        ed_prefix(prefix, sizeof(prefix), ed_hive(&c->kp, s->primary));
        r = vhive_export(s->h, nodes, (size_t)n, &eo, &text, &len, err);
        if (r == 0 && fwrite(text, 1, len, c->f) != len)
                r = vhive_fail(err, ENOMEM, "out of memory");
        return r;
}

static const struct vhive_op export_op = {
        .writes = false,
        .hive_name = ed_read_hive_name,
        .run = run,
};

int cmd_export(int argc, char **argv)
{
        struct ed_read c = { 0 };
        struct cmd_opts o = { 0 };
        int rc = ed_parse_options("export", argc, argv, COMMON_SHORT, long_options, &o,
                                  own_option, &c, help);

        if (rc >= 0)
                return rc;
        if (argc - optind != 1 && argc - optind != 2)
                return cmd_usage_error("export", "expected TARGET [KEY]");
        if (ed_keypath("export", argc - optind == 2 ? argv[optind + 1] : "", &c.kp) < 0)
                return VHIVE_EXIT_FAIL;
        return ed_run_read(argv[optind], &export_op, &c, &o);
}
