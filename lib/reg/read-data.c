/* Keys and values read into data structures (struct vhive_key), for the
 * JSON reports of ls, get and export: the same walks as the text output,
 * with the same bounds against damaged hives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "reg.h"

struct collect {
        hive_h *h;
        enum vhive_read_what what;
        const char *value; /* VHIVE_READ_VALUE: the name */
        struct vhive_node_seen seen;
        struct vhive_error *err;
};

static void value_free(struct vhive_value *v)
{
        free(v->name);
        free(v->data);
}

void vhive_key_free(struct vhive_key *k)
{
        for (size_t i = 0; i < k->n_values; i++)
                value_free(&k->values[i]);
        for (size_t i = 0; i < k->n_subkeys; i++)
                vhive_key_free(&k->subkeys[i]);
        free(k->values);
        free(k->subkeys);
        free(k->path);
        free(k->name);
        memset(k, 0, sizeof(*k));
}

void vhive_read_job_clear(struct vhive_read_job *c)
{
        for (size_t i = 0; i < c->n_keys; i++)
                vhive_key_free(&c->keys[i]);
        free(c->keys);
        free(c->out);
        c->keys = NULL;
        c->n_keys = 0;
        c->out = NULL;
        c->out_len = 0;
}

static int read_value(hive_h *h, hive_value_h vh, struct vhive_value *v, struct vhive_error *err)
{
        errno = 0;
        v->name = hivex_value_key(h, vh);
        v->data = v->name ? hivex_value_value(h, vh, &v->type, &v->len) : NULL;
        if (!v->data)
                return vhive_fail(err, errno ? errno : EIO, "reading a value: %s",
                                  strerror(errno ? errno : EIO));
        return 0;
}

static int read_values(struct collect *c, hive_node_h node, struct vhive_key *k)
{
        _cleanup_free_ hive_value_h *vs = NULL;
        size_t n = 0;

        errno = 0;
        vs = hivex_node_values(c->h, node);
        if (!vs)
                return vhive_fail(c->err, errno, "reading values: %s", strerror(errno));
        while (vs[n])
                n++;
        k->values = calloc(n ? n : 1, sizeof(*k->values));
        if (!k->values)
                return vhive_fail(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                int r = read_value(c->h, vs[i], &k->values[i], c->err);

                k->n_values++; /* even half read: vhive_key_free frees the name */
                if (r < 0)
                        return r;
        }
        return 0;
}

/* get: the one value, or none (k->n_values 0). */
static int read_named(struct collect *c, hive_node_h node, struct vhive_key *k)
{
        hive_value_h v;

        errno = 0;
        v = hivex_node_get_value(c->h, node, c->value);
        if (!v && errno)
                return vhive_fail(c->err, errno, "reading value %s: %s", c->value, strerror(errno));
        if (!v)
                return 0;
        k->values = calloc(1, sizeof(*k->values));
        if (!k->values)
                return vhive_fail(c->err, ENOMEM, "out of memory");
        k->n_values = 1; /* even half read: vhive_key_free frees the name */
        return read_value(c->h, v, k->values, c->err);
}

static int guard(struct collect *c, hive_node_h node, const char *path, unsigned depth)
{
        int r;

        if (depth > VHIVE_MAX_KEY_DEPTH)
                return vhive_fail(c->err, ELOOP,
                                  "the hive's key tree is damaged: deeper than "
                                  "%u levels at %.200s...",
                                  VHIVE_MAX_KEY_DEPTH, path);
        r = vhive_node_seen_add(&c->seen, node);
        if (r < 0)
                return vhive_fail(c->err, ENOMEM, "out of memory");
        if (r > 0)
                return vhive_fail(c->err, ELOOP,
                                  "the hive's key tree is damaged: key %.400s "
                                  "is reached twice (a cycle or a shared subkey list)",
                                  path);
        return 0;
}

static int read_key(struct collect *c, hive_node_h node, const char *path, const char *name,
                    unsigned depth, bool full, struct vhive_key *k);

static int read_subkeys(struct collect *c, hive_node_h node, struct vhive_key *k, unsigned depth)
{
        _cleanup_free_ hive_node_h *kids = NULL;
        bool tree = c->what == VHIVE_READ_TREE;
        size_t n = 0;
        int r = 0;

        errno = 0;
        kids = hivex_node_children(c->h, node);
        if (!kids)
                return vhive_fail(c->err, errno, "reading subkeys: %s", strerror(errno));
        while (kids[n])
                n++;
        k->subkeys = calloc(n ? n : 1, sizeof(*k->subkeys));
        if (!k->subkeys)
                return vhive_fail(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *name = hivex_node_name(c->h, kids[i]), *sub = NULL;

                if (!name || asprintf(&sub, "%s%s%s", k->path, *k->path ? "\\" : "", name) < 0)
                        return vhive_fail(c->err, ENOMEM, "out of memory");
                r = read_key(c, kids[i], sub, name, depth + 1, tree, &k->subkeys[i]);
                k->n_subkeys++;
        }
        return r;
}

/* full: values and subkeys (else the names only: ls's subkeys). */
static int read_key(struct collect *c, hive_node_h node, const char *path, const char *name,
                    unsigned depth, bool full, struct vhive_key *k)
{
        int r = 0;

        k->path = strdup(path);
        k->name = strdup(name);
        if (!k->path || !k->name)
                return vhive_fail(c->err, ENOMEM, "out of memory");
        if (!full)
                return 0;
        if (c->what == VHIVE_READ_TREE)
                r = guard(c, node, path, depth);
        if (r == 0 && c->what == VHIVE_READ_VALUE)
                return read_named(c, node, k);
        if (r == 0)
                r = read_values(c, node, k);
        if (r == 0)
                r = read_subkeys(c, node, k, depth);
        return r;
}

static int read_top(struct collect *c, hive_node_h node, struct vhive_key *k)
{
        _cleanup_free_ char *path = NULL;
        const char *name;

        errno = 0;
        path = vhive_node_path(c->h, node);
        if (!path && errno == ELOOP)
                return vhive_fail(c->err, ELOOP,
                                  "the hive's key tree is damaged: a key is "
                                  "more than %u levels deep",
                                  VHIVE_MAX_KEY_DEPTH);
        if (!path)
                return vhive_fail(c->err, errno ? errno : ENOMEM, "reading a key's path: %s",
                                  strerror(errno ? errno : ENOMEM));
        name = strrchr(path, '\\') ? strrchr(path, '\\') + 1 : path;
        return read_key(c, node, path, name, 0, true, k);
}

int vhive_read_keys(hive_h *h, const hive_node_h *nodes, size_t n, enum vhive_read_what what,
                    const char *value, struct vhive_key **keys, size_t *n_keys,
                    struct vhive_error *err)
{
        struct collect c = { .h = h, .what = what, .value = value, .err = err };
        int r = 0;

        *n_keys = 0;
        *keys = calloc(n ? n : 1, sizeof(**keys));
        if (!*keys)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n && r == 0; i++) {
                struct vhive_key *k = &(*keys)[*n_keys];

                r = read_top(&c, nodes[i], k);
                /* get: only the keys that have the value */
                if (r == 0 && what == VHIVE_READ_VALUE && k->n_values == 0)
                        vhive_key_free(k);
                else
                        (*n_keys)++;
                /* Each node is a subtree of its own; they may overlap. */
                vhive_node_seen_free(&c.seen);
        }
        return r;
}
