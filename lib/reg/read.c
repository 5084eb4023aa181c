/* The read-only editor operations: ls, get and export.  Each writes what
 * it produces into the job's buffer; the command prints it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "reg.h"

/* The hive a path addresses: its own prefix, else the one the hive file's
 * name says, else SYSTEM. */
static const char *path_hive(const struct vhive_keypath *kp, const char *primary)
{
        const char *h = kp->hive ? kp->hive : vhive_hive_from_filename(primary);

        return h ? h : "SYSTEM";
}

static size_t read_hive_names(void *ctx, const char *names[VHIVE_MAX_HIVES])
{
        const char *hive = ((struct vhive_read_job *)ctx)->kp.hive;

        names[0] = hive ? hive : "SYSTEM";
        return 1;
}

/* Names and values for people: escaped (issue 11), since a value may hold
 * an escape sequence for the terminal.  get --raw and export stay exact. */
static void put_esc(FILE *f, const char *s)
{
        _cleanup_free_ char *e = s ? vhive_escape_text(s) : NULL;

        fputs(e ? e : "?", f);
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
                put_esc(f, name);
                fputs("\\\n", f);
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
                put_esc(f, *name ? name : "@");
                fprintf(f, "\t%s\t", vhive_type_name(t));
                put_esc(f, text);
                fputc('\n', f);
        }
        return 0;
}

static int ls_nodes(hive_h *h, const hive_node_h *nodes, int n, const char *prefix, bool heads,
                    FILE *f, struct vhive_error *err)
{
        int r = 0;

        for (int i = 0; i < n && r == 0; i++) {
                if (heads) {
                        _cleanup_free_ char *path = vhive_node_path(h, nodes[i]);

                        fprintf(f, "%s[%s%s", i ? "\n" : "", prefix, path && *path ? "\\" : "");
                        put_esc(f, path);
                        fputs("]\n", f);
                }
                r = list_subkeys(h, nodes[i], f, err);
                if (r == 0)
                        r = list_values(h, nodes[i], f, err);
        }
        return r;
}

/* REG_MULTI_SZ: one string per line. */
static void print_multi(FILE *f, const char *data, size_t len)
{
        size_t pos = 0, n;
        const char *p;

        while (vhive_multi_sz_next(data, len, &pos, &p, &n)) {
                _cleanup_free_ char *s = vhive_utf16le_to_utf8(p, n);

                put_esc(f, s ? s : "");
                fputc('\n', f);
        }
}

static int print_value(FILE *f, const struct vhive_read_job *c, hive_type t, const char *data,
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
        put_esc(f, text);
        fputc('\n', f);
        return 0;
}

/* 1 printed, 0 the key has no such value. */
static int get_one(hive_h *h, hive_node_h node, const struct vhive_read_job *c, FILE *f,
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
        if (c->kp.wildcard) {
                _cleanup_free_ char *path = vhive_node_path(h, node);

                put_esc(f, path);
                fputc('\t', f);
        }
        if (print_value(f, c, t, data, len) < 0)
                return vhive_fail(err, ENOMEM, "out of memory");
        return 1;
}

static int no_value(const struct vhive_read_job *c, struct vhive_error *err)
{
        _cleanup_free_ char *where = vhive_keypath_text(&c->kp, c->kp.n);

        if (*c->name)
                return vhive_fail(err, ENOENT, "value \"%s\" does not exist in %s", c->name,
                                  where ? where : "the key");
        return vhive_fail(err, ENOENT, "%s has no default value", where ? where : "the key");
}

static int get_nodes(hive_h *h, const hive_node_h *nodes, int n, const struct vhive_read_job *c,
                     FILE *f, struct vhive_error *err)
{
        int found = 0, r = 0;

        if (n > 1 && c->raw)
                return vhive_fail(err, EINVAL, "--raw needs one key, but %d match", n);
        for (int i = 0; i < n && r >= 0; i++) {
                r = get_one(h, nodes[i], c, f, err);
                found += r > 0;
        }
        if (r < 0 || found)
                return r < 0 ? r : 0;
        return no_value(c, err);
}

static int export_nodes(hive_h *h, const hive_node_h *nodes, int n, const char *prefix,
                        const struct vhive_read_job *c, FILE *f, struct vhive_error *err)
{
        struct vhive_export_opts eo = { .prefix = prefix, .utf16 = c->utf16 };
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = vhive_export(h, nodes, (size_t)n, &eo, &text, &len, err);

        if (r == 0 && fwrite(text, 1, len, f) != len)
                r = vhive_fail(err, ENOMEM, "out of memory");
        return r;
}

enum read_kind { READ_LS, READ_GET, READ_EXPORT };

/* --json: the keys as data, the same ones the text would show. */
static int read_data(enum read_kind kind, hive_h *h, const hive_node_h *nodes, int n,
                     struct vhive_read_job *c, struct vhive_error *err)
{
        static const enum vhive_read_what what[] = { VHIVE_READ_LIST, VHIVE_READ_VALUE,
                                                     VHIVE_READ_TREE };
        int r = vhive_read_keys(h, nodes, (size_t)n, what[kind], c->name, &c->keys, &c->n_keys,
                                err);

        if (r == 0 && kind == READ_GET && c->n_keys == 0)
                r = no_value(c, err);
        return r;
}

static int read_nodes(enum read_kind kind, struct vhive_session *s, struct vhive_read_job *c,
                      FILE *f, struct vhive_error *err)
{
        _cleanup_free_ hive_node_h *nodes = NULL;
        char prefix[64];
        int n = vhive_keypath_check_hive(&c->kp, vhive_hive_from_filename(s->primary), err);

        if (n == 0)
                n = vhive_keypath_resolve(s->h, &c->kp, &nodes, err);
        if (n < 0)
                return n;
        snprintf(prefix, sizeof(prefix), "HKEY_LOCAL_MACHINE\\%s", path_hive(&c->kp, s->primary));
        memcpy(c->root, prefix, sizeof(c->root));
        if (c->data)
                return read_data(kind, s->h, nodes, n, c, err);
        switch (kind) {
        case READ_LS:
                return ls_nodes(s->h, nodes, n, prefix, c->kp.wildcard, f, err);
        case READ_GET:
                return get_nodes(s->h, nodes, n, c, f, err);
        default:
                return export_nodes(s->h, nodes, n, prefix, c, f, err);
        }
}

/* The output of the last run only: a job runs an op once per target. */
static int run_read(enum read_kind kind, struct vhive_session *s, void *ctx, bool *changed,
                    struct vhive_error *err)
{
        struct vhive_read_job *c = ctx;
        FILE *f;
        int r;

        *changed = false;
        vhive_read_job_clear(c);
        f = open_memstream(&c->out, &c->out_len);
        if (!f)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = read_nodes(kind, s, c, f, err);
        if (fclose(f) != 0 && r == 0)
                r = vhive_fail(err, ENOMEM, "out of memory");
        return r;
}

static int run_ls(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                  struct vhive_error *err)
{
        (void)apply;
        return run_read(READ_LS, s, ctx, changed, err);
}

static int run_get(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                   struct vhive_error *err)
{
        (void)apply;
        return run_read(READ_GET, s, ctx, changed, err);
}

static int run_export(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                      struct vhive_error *err)
{
        (void)apply;
        return run_read(READ_EXPORT, s, ctx, changed, err);
}

const struct vhive_op vhive_ls_op = { .step = "listing",
                                      .hive_names = read_hive_names,
                                      .run = run_ls };
const struct vhive_op vhive_get_op = { .step = "reading",
                                       .hive_names = read_hive_names,
                                       .run = run_get };
const struct vhive_op vhive_export_op = { .step = "exporting",
                                          .hive_names = read_hive_names,
                                          .run = run_export };
