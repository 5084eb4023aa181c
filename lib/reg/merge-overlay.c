/* The overlay a merge plan builds over the hive: the keys and values the
 * earlier sections created, changed or deleted, loaded from the hive only
 * as far as a section reaches.  Nothing here writes to the hive.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "merge.h"

int merge_oom(struct vhive_error *err)
{
        return vhive_fail(err, ENOMEM, "out of memory");
}

/* "FILE:LINE: message" for a section of a file; "message" for the
 * sections the commands make up (line 0). */
int merge_plfail(struct planner *pl, int errnum, const char *fmt, ...)
{
        char what[900];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (!pl->key->line)
                return vhive_fail(pl->err, errnum, "%s", what);
        return vhive_fail(pl->err, errnum, "%s:%u: %s", pl->file->name, pl->key->line, what);
}

/* ---- the overlay ------------------------------------------------------ */

void merge_vals_free(struct oval *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].data);
        }
        free(v);
}

static void kids_free(struct onode *n)
{
        for (size_t i = 0; i < n->n_kids; i++) {
                merge_onode_clear(n->kids[i]);
                free(n->kids[i]);
        }
        free(n->kids);
        n->kids = NULL;
        n->n_kids = 0;
}

void merge_onode_clear(struct onode *n)
{
        kids_free(n);
        merge_vals_free(n->base, n->n_base);
        merge_vals_free(n->vals, n->n_vals);
        free(n->name);
}

bool merge_fresh(const struct onode *n)
{
        return !n->node || n->drop_old;
}

static struct onode *kid_add(struct onode *parent, const char *name, hive_node_h node)
{
        struct onode **kids = realloc(parent->kids, (parent->n_kids + 1) * sizeof(*kids));
        struct onode *k;

        if (!kids)
                return NULL;
        parent->kids = kids;
        k = calloc(1, sizeof(*k));
        if (!k)
                return NULL;
        k->name = strdup(name);
        if (!k->name) {
                free(k);
                return NULL;
        }
        k->node = node;
        k->exists = true;
        kids[parent->n_kids++] = k;
        return k;
}

/* The overlay child called name: *out NULL when it does not exist (it may
 * still be an overlay entry for a deleted key, returned in *gone). */
int merge_kid_find(struct planner *pl, struct onode *parent, const char *name, struct onode **out,
                   struct onode **gone)
{
        hive_node_h child = 0;
        _cleanup_free_ char *real = NULL;
        int r;

        *out = *gone = NULL;
        for (size_t i = 0; i < parent->n_kids; i++) {
                if (strcasecmp(parent->kids[i]->name, name) != 0)
                        continue;
                if (parent->kids[i]->exists)
                        *out = parent->kids[i];
                else
                        *gone = parent->kids[i];
                return 0;
        }
        if (merge_fresh(parent) || parent->listed)
                return 0;
        r = vhive_child(pl->h, parent->node, name, &child, pl->err);
        if (r < 0 || !child)
                return r;
        real = hivex_node_name(pl->h, child);
        if (!real)
                return vhive_fail(pl->err, errno, "reading a key name: %s", strerror(errno));
        *out = kid_add(parent, real, child);
        return *out ? 0 : merge_oom(pl->err);
}

/* Makes the overlay know every subkey of parent, for "*". */
int merge_kids_list(struct planner *pl, struct onode *parent)
{
        _cleanup_free_ hive_node_h *kids = NULL;

        if (merge_fresh(parent) || parent->listed)
                return 0;
        errno = 0;
        kids = hivex_node_children(pl->h, parent->node);
        if (!kids)
                return vhive_fail(pl->err, errno, "reading subkeys: %s", strerror(errno));
        for (size_t i = 0; kids[i]; i++) {
                _cleanup_free_ char *name = hivex_node_name(pl->h, kids[i]);
                bool known = false;

                if (!name)
                        return vhive_fail(pl->err, errno, "reading a key name: %s",
                                          strerror(errno));
                for (size_t j = 0; j < parent->n_kids; j++)
                        known = known || parent->kids[j]->node == kids[i];
                if (!known && !kid_add(parent, name, kids[i]))
                        return merge_oom(pl->err);
        }
        parent->listed = true;
        return 0;
}

void merge_key_delete(struct onode *n)
{
        n->exists = false;
        if (n->node)
                n->drop_old = true;
        kids_free(n);
        merge_vals_free(n->vals, n->n_vals);
        n->vals = NULL;
        n->n_vals = 0;
        n->vals_loaded = true;
}

/* A template's unfilled placeholder, such as Citrix's
 * "{GUID_OF_NETWORK_ADAPTOR}": braces around letters, digits and
 * underscores only.  Anything with a dash or other punctuation may be a
 * real key name ("{EMPTYIF0-0000-...}" exists) and must merge back from an
 * export; a hex GUID without dashes is a name too. */
static bool is_placeholder(const char *name)
{
        size_t len = strlen(name), hex = 0;
        bool letter = false;

        if (len < 3 || name[0] != '{' || name[len - 1] != '}')
                return false;
        for (size_t i = 1; i + 1 < len; i++) {
                unsigned char c = name[i];
                if (!isalnum(c) && c != '_')
                        return false;
                letter |= isalpha(c) != 0;
                hex += isxdigit(c) != 0;
        }
        return letter && !(len == 34 && hex == 32);
}

int merge_missing_key(struct planner *pl, size_t upto, const char *why)
{
        _cleanup_free_ char *text = vhive_keypath_text(&pl->key->path, upto);

        if (!text)
                return merge_oom(pl->err);
        return merge_plfail(pl, ENOENT, "key %s does not exist%s", text, why);
}

int merge_kid_create(struct planner *pl, struct onode *parent, struct onode *gone, const char *name,
                     size_t i, struct onode **out)
{
        if (pl->opts->placeholders_fail && is_placeholder(name))
                return merge_missing_key(pl, i + 1,
                                         " (a {NAME} of letters, digits and underscores "
                                         "is a template's placeholder: write the real key "
                                         "name, or * for every subkey)");
        if (gone) {
                char *spelt = strdup(name);

                if (!spelt)
                        return merge_oom(pl->err);
                free(gone->name);
                gone->name = spelt;
                gone->exists = true;
                *out = gone;
                return 0;
        }
        *out = kid_add(parent, name, 0);
        if (!*out)
                return merge_oom(pl->err);
        (*out)->vals_loaded = true;
        return 0;
}

/* ---- values ----------------------------------------------------------- */

static int val_copy(struct oval *dst, const char *name, hive_type t, const char *data, size_t len)
{
        dst->name = strdup(name);
        dst->data = malloc(len ? len : 1);
        if (!dst->name || !dst->data) {
                free(dst->name);
                free(dst->data);
                return -ENOMEM;
        }
        memcpy(dst->data, data, len);
        dst->type = t;
        dst->len = len;
        return 0;
}

int merge_read_values(hive_h *h, hive_node_h node, struct oval **out, size_t *n,
                      struct vhive_error *err)
{
        _cleanup_free_ hive_value_h *vs = NULL;
        struct oval *v;
        size_t count = 0;

        errno = 0;
        vs = hivex_node_values(h, node);
        if (!vs)
                return vhive_fail(err, errno, "reading values: %s", strerror(errno));
        while (vs[count])
                count++;
        v = *out = calloc(count + 1, sizeof(*v));
        if (!v)
                return merge_oom(err);
        for (*n = 0; *n < count; (*n)++) {
                _cleanup_free_ char *name = hivex_value_key(h, vs[*n]);
                _cleanup_free_ char *data = NULL;
                hive_type t;
                size_t len;

                data = name ? hivex_value_value(h, vs[*n], &t, &len) : NULL;
                if (!data)
                        return vhive_fail(err, errno, "reading a value: %s", strerror(errno));
                if (val_copy(&v[*n], name, t, data, len) < 0)
                        return merge_oom(err);
        }
        return 0;
}

int merge_vals_load(struct planner *pl, struct onode *n)
{
        int r;

        if (n->vals_loaded)
                return 0;
        r = merge_read_values(pl->h, n->node, &n->base, &n->n_base, pl->err);
        if (r < 0)
                return r;
        n->vals = calloc(n->n_base + 1, sizeof(*n->vals));
        if (!n->vals)
                return merge_oom(pl->err);
        for (n->n_vals = 0; n->n_vals < n->n_base; n->n_vals++) {
                struct oval *b = &n->base[n->n_vals];

                if (val_copy(&n->vals[n->n_vals], b->name, b->type, b->data, b->len) < 0)
                        return merge_oom(pl->err);
        }
        n->vals_loaded = true;
        return 0;
}

struct oval *merge_val_find(struct onode *n, const char *name)
{
        for (size_t i = 0; i < n->n_vals; i++)
                if (strcasecmp(n->vals[i].name, name) == 0)
                        return &n->vals[i];
        return NULL;
}

static int val_set(struct planner *pl, struct onode *n, const struct vhive_reg_value *rv)
{
        struct oval *v = merge_val_find(n, rv->name), tmp;

        if (val_copy(&tmp, v ? v->name : rv->name, rv->type, rv->data, rv->len) < 0)
                return merge_oom(pl->err);
        tmp.file = pl->file->name;
        tmp.line = rv->line;
        if (!v) {
                v = realloc(n->vals, (n->n_vals + 1) * sizeof(*v));
                if (!v) {
                        free(tmp.name);
                        free(tmp.data);
                        return merge_oom(pl->err);
                }
                n->vals = v;
                v = &n->vals[n->n_vals++];
        } else {
                free(v->name);
                free(v->data);
        }
        *v = tmp;
        return 0;
}

static int val_remove(struct planner *pl, struct onode *n, const struct vhive_reg_value *rv)
{
        struct oval *v = merge_val_find(n, rv->name);

        if (v) {
                free(v->name);
                free(v->data);
                memmove(v, v + 1, (size_t)(n->vals + n->n_vals - (v + 1)) * sizeof(*v));
                n->n_vals--;
                return 0;
        }
        if (!pl->opts->missing_delete_fails)
                return 0;
        return merge_plfail(pl, ENOENT, "value \"%s\" does not exist in %s", rv->name,
                            pl->key->text);
}

int merge_section_values(struct planner *pl, struct onode *n)
{
        int r = merge_vals_load(pl, n);

        for (size_t i = 0; r == 0 && i < pl->key->n_values; i++) {
                const struct vhive_reg_value *rv = &pl->key->values[i];

                r = rv->remove ? val_remove(pl, n, rv) : val_set(pl, n, rv);
        }
        return r;
}
