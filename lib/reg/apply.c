/* Merging parsed regedit files into a hive.
 *
 * Planning walks every section of every file against an overlay of the
 * hive (the keys and values the earlier sections created, changed or
 * deleted) without writing, so an error anywhere leaves the hive as it
 * was.  Applying then writes the net result: deleted keys go, new keys are
 * added, and each changed key gets its whole value list in one
 * hivex_node_set_values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "reg.h"

struct oval {
        char *name;
        hive_type type;
        char *data;
        size_t len;
        const char *file;
        unsigned line;
};

struct onode {
        char *name;           /* as spelt in the hive, or as written when new */
        hive_node_h node;     /* the key in the hive; 0 when the plan creates it */
        bool exists;          /* in the result */
        bool drop_old;        /* node is deleted (and maybe created afresh) */
        bool listed;          /* kids holds every subkey of node */
        bool vals_loaded;     /* vals holds the result's value list */
        struct onode **kids;
        size_t n_kids;
        struct oval *base;    /* node's values before the merge */
        size_t n_base;
        struct oval *vals;
        size_t n_vals;
        const char *file;     /* the last line that touched this key */
        unsigned line;
};

struct vhive_merge {
        struct onode root;
        struct vhive_change *changes;
        size_t n_changes;
        size_t n_no_match;
        const char *hive;
        char cs_name[32]; /* CurrentControlSet, once resolved */
};

struct planner {
        hive_h *h;
        struct vhive_merge *m;
        const struct vhive_merge_opts *opts;
        const struct vhive_regfile *file;
        const struct vhive_reg_key *key;
        struct vhive_error *err;
};

static int oom(struct vhive_error *err)
{
        return vhive_fail(err, ENOMEM, "out of memory");
}

/* "FILE:LINE: message" for a section of a file; "message" for the
 * sections the commands make up (line 0). */
static int plfail(struct planner *pl, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int plfail(struct planner *pl, int errnum, const char *fmt, ...)
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

static void vals_free(struct oval *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].data);
        }
        free(v);
}

static void onode_clear(struct onode *n);

static void kids_free(struct onode *n)
{
        for (size_t i = 0; i < n->n_kids; i++) {
                onode_clear(n->kids[i]);
                free(n->kids[i]);
        }
        free(n->kids);
        n->kids = NULL;
        n->n_kids = 0;
}

static void onode_clear(struct onode *n)
{
        kids_free(n);
        vals_free(n->base, n->n_base);
        vals_free(n->vals, n->n_vals);
        free(n->name);
}

static bool fresh(const struct onode *n)
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
static int kid_find(struct planner *pl, struct onode *parent, const char *name,
                    struct onode **out, struct onode **gone)
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
        if (fresh(parent) || parent->listed)
                return 0;
        r = vhive_child(pl->h, parent->node, name, &child, pl->err);
        if (r < 0 || !child)
                return r;
        real = hivex_node_name(pl->h, child);
        if (!real)
                return vhive_fail(pl->err, errno, "reading a key name: %s", strerror(errno));
        *out = kid_add(parent, real, child);
        return *out ? 0 : oom(pl->err);
}

/* Makes the overlay know every subkey of parent, for "*". */
static int kids_list(struct planner *pl, struct onode *parent)
{
        _cleanup_free_ hive_node_h *kids = NULL;

        if (fresh(parent) || parent->listed)
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
                        return oom(pl->err);
        }
        parent->listed = true;
        return 0;
}

static int vals_load(struct planner *pl, struct onode *n);

static void key_delete(struct onode *n)
{
        n->exists = false;
        if (n->node)
                n->drop_old = true;
        kids_free(n);
        vals_free(n->vals, n->n_vals);
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

static int missing_key(struct planner *pl, size_t upto, const char *why)
{
        _cleanup_free_ char *text = vhive_keypath_text(&pl->key->path, upto);

        if (!text)
                return oom(pl->err);
        return plfail(pl, ENOENT, "key %s does not exist%s", text, why);
}

static int kid_create(struct planner *pl, struct onode *parent, struct onode *gone,
                      const char *name, size_t i, struct onode **out)
{
        if (pl->opts->placeholders_fail && is_placeholder(name))
                return missing_key(pl, i + 1, " (a {NAME} of letters, digits and underscores "
                                   "is a template's placeholder: write the real key "
                                   "name, or * for every subkey)");
        if (gone) {
                char *spelt = strdup(name);

                if (!spelt)
                        return oom(pl->err);
                free(gone->name);
                gone->name = spelt;
                gone->exists = true;
                *out = gone;
                return 0;
        }
        *out = kid_add(parent, name, 0);
        if (!*out)
                return oom(pl->err);
        (*out)->vals_loaded = true;
        return 0;
}

/* ---- resolving a section ---------------------------------------------- */

struct oset {
        struct onode **v;
        size_t n;
};

static int oset_add(struct oset *s, struct onode *n)
{
        struct onode **v = realloc(s->v, (s->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        v[s->n++] = n;
        s->v = v;
        return 0;
}

static int ccs_name(struct planner *pl, const char **name)
{
        struct vhive_controlset cs;
        int r;

        if (!pl->m->cs_name[0]) {
                r = vhive_controlset_current(pl->h, &cs, pl->err);
                if (r < 0)
                        return plfail(pl, -r, "%s", pl->err->msg);
                snprintf(pl->m->cs_name, sizeof(pl->m->cs_name), "%s", cs.name);
        }
        *name = pl->m->cs_name;
        return 0;
}

static int step_wild(struct planner *pl, struct onode *n, struct oset *next)
{
        int r = kids_list(pl, n);

        for (size_t i = 0; r == 0 && i < n->n_kids; i++)
                if (n->kids[i]->exists && oset_add(next, n->kids[i]) < 0)
                        r = oom(pl->err);
        return r;
}

/* One component of the section's path from n; creates it when asked. */
static int step(struct planner *pl, size_t i, struct onode *n, bool create,
                struct oset *next)
{
        const char *name = pl->key->path.comps[i];
        struct onode *kid, *gone;
        int r;

        if (strcmp(name, "*") == 0)
                return step_wild(pl, n, next);
        if (vhive_keypath_is_ccs(&pl->key->path, i)) {
                r = ccs_name(pl, &name);
                if (r < 0)
                        return r;
        }
        r = kid_find(pl, n, name, &kid, &gone);
        if (r == 0 && !kid && create)
                r = kid_create(pl, n, gone, name, i, &kid);
        if (r == 0 && !kid && !create && pl->opts->missing_delete_fails)
                r = missing_key(pl, i + 1, "");
        if (r == 0 && kid && oset_add(next, kid) < 0)
                r = oom(pl->err);
        return r;
}

static int resolve(struct planner *pl, bool create, struct oset *out)
{
        struct oset cur = { 0 }, next = { 0 };
        int r = 0;

        if (oset_add(&cur, &pl->m->root) < 0)
                return oom(pl->err);
        for (size_t i = 0; i < pl->key->path.n && r == 0; i++) {
                for (size_t j = 0; j < cur.n && r == 0; j++)
                        r = step(pl, i, cur.v[j], create, &next);
                free(cur.v);
                cur = next;
                next = (struct oset){ 0 };
        }
        if (r < 0)
                free(cur.v);
        else
                *out = cur;
        return r;
}

/* ---- values ----------------------------------------------------------- */

static int val_copy(struct oval *dst, const char *name, hive_type t, const char *data,
                    size_t len)
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

static int read_values(hive_h *h, hive_node_h node, struct oval **out, size_t *n,
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
                return oom(err);
        for (*n = 0; *n < count; (*n)++) {
                _cleanup_free_ char *name = hivex_value_key(h, vs[*n]);
                _cleanup_free_ char *data = NULL;
                hive_type t;
                size_t len;

                data = name ? hivex_value_value(h, vs[*n], &t, &len) : NULL;
                if (!data)
                        return vhive_fail(err, errno, "reading a value: %s", strerror(errno));
                if (val_copy(&v[*n], name, t, data, len) < 0)
                        return oom(err);
        }
        return 0;
}

static int vals_load(struct planner *pl, struct onode *n)
{
        int r;

        if (n->vals_loaded)
                return 0;
        r = read_values(pl->h, n->node, &n->base, &n->n_base, pl->err);
        if (r < 0)
                return r;
        n->vals = calloc(n->n_base + 1, sizeof(*n->vals));
        if (!n->vals)
                return oom(pl->err);
        for (n->n_vals = 0; n->n_vals < n->n_base; n->n_vals++) {
                struct oval *b = &n->base[n->n_vals];

                if (val_copy(&n->vals[n->n_vals], b->name, b->type, b->data, b->len) < 0)
                        return oom(pl->err);
        }
        n->vals_loaded = true;
        return 0;
}

static struct oval *val_find(struct onode *n, const char *name)
{
        for (size_t i = 0; i < n->n_vals; i++)
                if (strcasecmp(n->vals[i].name, name) == 0)
                        return &n->vals[i];
        return NULL;
}

static int val_set(struct planner *pl, struct onode *n, const struct vhive_reg_value *rv)
{
        struct oval *v = val_find(n, rv->name), tmp;

        if (val_copy(&tmp, v ? v->name : rv->name, rv->type, rv->data, rv->len) < 0)
                return oom(pl->err);
        tmp.file = pl->file->name;
        tmp.line = rv->line;
        if (!v) {
                v = realloc(n->vals, (n->n_vals + 1) * sizeof(*v));
                if (!v) {
                        free(tmp.name);
                        free(tmp.data);
                        return oom(pl->err);
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
        struct oval *v = val_find(n, rv->name);

        if (v) {
                free(v->name);
                free(v->data);
                memmove(v, v + 1, (size_t)(n->vals + n->n_vals - (v + 1)) * sizeof(*v));
                n->n_vals--;
                return 0;
        }
        if (!pl->opts->missing_delete_fails)
                return 0;
        return plfail(pl, ENOENT, "value \"%s\" does not exist in %s", rv->name,
                      pl->key->text);
}

static int section_values(struct planner *pl, struct onode *n)
{
        int r = vals_load(pl, n);

        for (size_t i = 0; r == 0 && i < pl->key->n_values; i++) {
                const struct vhive_reg_value *rv = &pl->key->values[i];

                r = rv->remove ? val_remove(pl, n, rv) : val_set(pl, n, rv);
        }
        return r;
}

/* ---- sections --------------------------------------------------------- */

static int add_change(struct vhive_merge *m, struct vhive_change *c)
{
        struct vhive_change *v = realloc(m->changes, (m->n_changes + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        m->changes = v;
        v[m->n_changes++] = *c;
        return 0;
}

static int no_match(struct planner *pl)
{
        struct vhive_change c = {
                .kind = VHIVE_CHANGE_NO_MATCH,
                .key = strdup(pl->key->text),
                .file = pl->file->name,
                .line = pl->key->line,
        };

        if (!c.key || add_change(pl->m, &c) < 0) {
                free(c.key);
                return oom(pl->err);
        }
        pl->m->n_no_match++;
        return 0;
}

static int check_hive(struct planner *pl)
{
        const struct vhive_keypath *kp = &pl->key->path;
        int r;

        if (!pl->m->hive)
                pl->m->hive = kp->hive;
        r = vhive_keypath_check_hive(kp, pl->m->hive, pl->err);
        if (r < 0)
                return plfail(pl, -r, "%s", pl->err->msg);
        return 0;
}

static int plan_section(struct planner *pl)
{
        struct oset set = { 0 };
        int r = check_hive(pl);

        if (r == 0)
                r = resolve(pl, !pl->key->remove, &set);
        if (r == 0 && set.n == 0 && pl->key->path.wildcard)
                r = no_match(pl);
        for (size_t i = 0; r == 0 && i < set.n; i++) {
                set.v[i]->file = pl->file->name;
                set.v[i]->line = pl->key->line;
                if (pl->key->remove)
                        key_delete(set.v[i]);
                else
                        r = section_values(pl, set.v[i]);
        }
        free(set.v);
        return r;
}

/* ---- the net result --------------------------------------------------- */

static bool val_same(const struct oval *a, const struct oval *b)
{
        return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static int change_key(struct vhive_merge *m, enum vhive_change_kind kind, const char *path,
                      const struct onode *n)
{
        struct vhive_change c = { .kind = kind, .key = strdup(path), .file = n->file,
                                  .line = n->line };

        if (!c.key || add_change(m, &c) < 0) {
                free(c.key);
                return -ENOMEM;
        }
        return 0;
}

static int change_val(struct vhive_merge *m, enum vhive_change_kind kind, const char *path,
                      const struct oval *old, const struct oval *new)
{
        const struct oval *any = new ? new : old;
        struct vhive_change c = { .kind = kind, .key = strdup(path),
                                  .value = strdup(any->name), .file = any->file,
                                  .line = any->line };

        if (old) {
                c.old_type = old->type;
                c.old_len = old->len;
                c.old_data = malloc(old->len + 1);
                if (c.old_data)
                        memcpy(c.old_data, old->data, old->len);
        }
        if (new) {
                c.type = new->type;
                c.len = new->len;
                c.data = malloc(new->len + 1);
                if (c.data)
                        memcpy(c.data, new->data, new->len);
        }
        if (!c.key || !c.value || (old && !c.old_data) || (new && !c.data) ||
            add_change(m, &c) < 0) {
                free(c.key);
                free(c.value);
                free(c.old_data);
                free(c.data);
                return -ENOMEM;
        }
        return 0;
}

static const struct oval *base_find(const struct onode *n, const char *name)
{
        for (size_t i = 0; i < n->n_base; i++)
                if (strcasecmp(n->base[i].name, name) == 0)
                        return &n->base[i];
        return NULL;
}

static int diff_values(struct vhive_merge *m, const char *path, const struct onode *n)
{
        int r = 0;

        if (fresh(n)) {
                for (size_t i = 0; r == 0 && i < n->n_vals; i++)
                        r = change_val(m, VHIVE_CHANGE_ADD_VALUE, path, NULL, &n->vals[i]);
                return r;
        }
        for (size_t i = 0; r == 0 && i < n->n_base; i++)
                if (!val_find((struct onode *)n, n->base[i].name))
                        r = change_val(m, VHIVE_CHANGE_DELETE_VALUE, path, &n->base[i], NULL);
        for (size_t i = 0; r == 0 && i < n->n_vals; i++) {
                const struct oval *old = base_find(n, n->vals[i].name);

                if (!old)
                        r = change_val(m, VHIVE_CHANGE_ADD_VALUE, path, NULL, &n->vals[i]);
                else if (!val_same(old, &n->vals[i]))
                        r = change_val(m, VHIVE_CHANGE_SET_VALUE, path, old, &n->vals[i]);
        }
        return r;
}

/* Do the values of n differ from what the hive holds? */
static bool values_differ(const struct onode *n)
{
        if (!n->vals_loaded)
                return false;
        if (fresh(n))
                return n->n_vals > 0;
        if (n->n_vals != n->n_base)
                return true;
        for (size_t i = 0; i < n->n_vals; i++)
                if (strcmp(n->vals[i].name, n->base[i].name) != 0 ||
                    !val_same(&n->vals[i], &n->base[i]))
                        return true;
        return false;
}

static int collect(struct vhive_merge *m, const struct onode *n, const char *path)
{
        int r = 0;

        if (n->drop_old)
                r = change_key(m, VHIVE_CHANGE_DELETE_KEY, path, n);
        if (r == 0 && n->exists && fresh(n))
                r = change_key(m, VHIVE_CHANGE_ADD_KEY, path, n);
        if (r == 0 && n->exists && values_differ(n))
                r = diff_values(m, path, n);
        for (size_t i = 0; r == 0 && n->exists && i < n->n_kids; i++) {
                _cleanup_free_ char *sub = NULL;

                if (asprintf(&sub, "%s%s%s", path, *path ? "\\" : "", n->kids[i]->name) < 0)
                        return -ENOMEM;
                r = collect(m, n->kids[i], sub);
        }
        return r;
}

int vhive_merge_plan(hive_h *h, const struct vhive_regfile *files, size_t n_files,
                     const struct vhive_merge_opts *opts, struct vhive_merge **plan,
                     struct vhive_error *err)
{
        struct vhive_merge *m = calloc(1, sizeof(*m));
        struct planner pl = { .h = h, .m = m, .opts = opts, .err = err };
        int r = 0;

        if (!m)
                return oom(err);
        m->hive = opts->hive;
        m->root.node = hivex_root(h);
        m->root.exists = true;
        m->root.name = strdup("");
        if (!m->root.name)
                r = oom(err);
        for (size_t f = 0; r == 0 && f < n_files; f++) {
                pl.file = &files[f];
                for (size_t k = 0; r == 0 && k < files[f].n_keys; k++) {
                        pl.key = &files[f].keys[k];
                        r = plan_section(&pl);
                }
        }
        if (r == 0 && collect(m, &m->root, "") < 0)
                r = oom(err);
        if (r < 0) {
                vhive_merge_free(m);
                return r;
        }
        *plan = m;
        return 0;
}

const struct vhive_change *vhive_merge_changes(const struct vhive_merge *plan, size_t *n)
{
        *n = plan->n_changes;
        return plan->changes;
}

bool vhive_merge_changes_hive(const struct vhive_merge *plan)
{
        return plan->n_changes > plan->n_no_match;
}

void vhive_merge_free(struct vhive_merge *m)
{
        if (!m)
                return;
        onode_clear(&m->root);
        for (size_t i = 0; i < m->n_changes; i++) {
                free(m->changes[i].key);
                free(m->changes[i].value);
                free(m->changes[i].old_data);
                free(m->changes[i].data);
        }
        free(m->changes);
        free(m);
}

/* ---- applying --------------------------------------------------------- */

static int write_values(hive_h *h, hive_node_h node, const struct onode *n,
                        struct vhive_error *err)
{
        _cleanup_free_ hive_set_value *sv = calloc(n->n_vals + 1, sizeof(*sv));

        if (!sv)
                return oom(err);
        for (size_t i = 0; i < n->n_vals; i++)
                sv[i] = (hive_set_value){ .key = n->vals[i].name, .t = n->vals[i].type,
                                          .len = n->vals[i].len, .value = n->vals[i].data };
        if (vhive_values_rewritable(h, node, err) < 0)
                return -EUCLEAN;
        if (hivex_node_set_values(h, node, n->n_vals, sv, 0) < 0)
                return vhive_fail(err, errno, "writing the values of %s: %s",
                                  *n->name ? n->name : "the root key", strerror(errno));
        return 0;
}

static int apply_node(hive_h *h, struct onode *n, hive_node_h parent, struct vhive_error *err)
{
        hive_node_h node = n->node;
        int r = 0;

        if (n->drop_old && vhive_cells_before_delete(h, n->node, err) < 0)
                return -EUCLEAN;
        if (n->drop_old && hivex_node_delete_child(h, n->node) < 0)
                return vhive_fail(err, errno, "deleting key %s: %s", n->name, strerror(errno));
        if (!n->exists)
                return 0;
        if (fresh(n)) {
                if (vhive_cells_before_add_child(h, parent, err) < 0)
                        return -EUCLEAN;
                node = hivex_node_add_child(h, parent, n->name);
                if (!node)
                        return vhive_fail(err, errno, "adding key %s: %s", n->name,
                                          strerror(errno));
        }
        if (values_differ(n))
                r = write_values(h, node, n, err);
        for (size_t i = 0; r == 0 && i < n->n_kids; i++)
                r = apply_node(h, n->kids[i], node, err);
        return r;
}

int vhive_merge_apply(hive_h *h, struct vhive_merge *plan, struct vhive_error *err)
{
        return apply_node(h, &plan->root, 0, err);
}

/* ---- verifying -------------------------------------------------------- */

static int verify_values(hive_h *h, hive_node_h node, const struct onode *n,
                         const char *path, struct vhive_error *err)
{
        struct oval *got = NULL;
        size_t n_got = 0;
        int r = read_values(h, node, &got, &n_got, err);

        if (r == 0 && n_got != n->n_vals)
                r = vhive_fail(err, EIO, "%s: %zu values after the write, expected %zu",
                               path, n_got, n->n_vals);
        for (size_t i = 0; r == 0 && i < n->n_vals; i++)
                if (strcasecmp(got[i].name, n->vals[i].name) != 0 ||
                    !val_same(&got[i], &n->vals[i]))
                        r = vhive_fail(err, EIO, "%s: value \"%s\" does not read back as "
                                       "written", path, n->vals[i].name);
        vals_free(got, n_got);
        return r;
}

static int verify_node(hive_h *h, const struct onode *n, hive_node_h node, const char *path,
                       struct vhive_error *err)
{
        int r = 0;

        if (values_differ(n))
                r = verify_values(h, node, n, path, err);
        for (size_t i = 0; r == 0 && i < n->n_kids; i++) {
                const struct onode *k = n->kids[i];
                _cleanup_free_ char *sub = NULL;
                hive_node_h child = 0;

                if (asprintf(&sub, "%s%s%s", path, *path ? "\\" : "", k->name) < 0)
                        return oom(err);
                r = vhive_child(h, node, k->name, &child, err);
                if (r == 0 && k->exists && !child)
                        r = vhive_fail(err, EIO, "key %s is missing after the write", sub);
                else if (r == 0 && !k->exists && child)
                        r = vhive_fail(err, EIO, "key %s is still there after the write", sub);
                else if (r == 0 && child)
                        r = verify_node(h, k, child, sub, err);
        }
        return r;
}

int vhive_merge_verify(hive_h *h, const struct vhive_merge *plan, struct vhive_error *err)
{
        return verify_node(h, &plan->root, hivex_root(h), "", err);
}

/* ---- the merge as a job ----------------------------------------------- */

static const char *job_hive_name(void *ctx)
{
        return ((struct vhive_merge_job *)ctx)->hive;
}

static int job_run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                   struct vhive_error *err)
{
        struct vhive_merge_job *j = ctx;
        int r;

        vhive_merge_free(j->plan);
        j->plan = NULL;
        j->opts.hive = vhive_hive_from_filename(s->primary);
        r = vhive_merge_plan(s->h, j->files, j->n_files, &j->opts, &j->plan, err);
        if (r < 0)
                return r;
        *changed = vhive_merge_changes_hive(j->plan);
        if (apply && *changed)
                r = vhive_merge_apply(s->h, j->plan, err);
        return r;
}

static int job_verify(hive_h *h, void *ctx, struct vhive_error *err)
{
        return vhive_merge_verify(h, ((struct vhive_merge_job *)ctx)->plan, err);
}

const struct vhive_op vhive_merge_op = {
        .writes = true,
        .hive_name = job_hive_name,
        .run = job_run,
        .verify = job_verify,
};
