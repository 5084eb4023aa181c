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
#include "merge.h"

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
                r = vhive_controlset_ccs(pl->h, &cs, pl->err);
                if (r < 0)
                        return merge_plfail(pl, -r, "%s", pl->err->msg);
                snprintf(pl->m->cs_name, sizeof(pl->m->cs_name), "%s", cs.name);
        }
        *name = pl->m->cs_name;
        return 0;
}

static int step_wild(struct planner *pl, struct onode *n, struct oset *next)
{
        int r = merge_kids_list(pl, n);

        for (size_t i = 0; r == 0 && i < n->n_kids; i++)
                if (n->kids[i]->exists && oset_add(next, n->kids[i]) < 0)
                        r = merge_oom(pl->err);
        return r;
}

/* One component of the section's path from n; creates it when asked. */
static int step(struct planner *pl, size_t i, struct onode *n, bool create, struct oset *next)
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
        r = merge_kid_find(pl, n, name, &kid, &gone);
        if (r == 0 && !kid && create)
                r = merge_kid_create(pl, n, gone, name, i, &kid);
        if (r == 0 && !kid && !create && pl->opts->missing_delete_fails)
                r = merge_missing_key(pl, i + 1, "");
        if (r == 0 && kid && oset_add(next, kid) < 0)
                r = merge_oom(pl->err);
        return r;
}

static int resolve(struct planner *pl, bool create, struct oset *out)
{
        struct oset cur = { 0 }, next = { 0 };
        int r = 0;

        if (oset_add(&cur, &pl->m->root) < 0)
                return merge_oom(pl->err);
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
                return merge_oom(pl->err);
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
                return merge_plfail(pl, -r, "%s", pl->err->msg);
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
                        merge_key_delete(set.v[i]);
                else
                        r = merge_section_values(pl, set.v[i]);
        }
        free(set.v);
        return r;
}

/* ---- the net result --------------------------------------------------- */

bool merge_val_same(const struct oval *a, const struct oval *b)
{
        return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static int change_key(struct vhive_merge *m, enum vhive_change_kind kind, const char *path,
                      const struct onode *n)
{
        struct vhive_change c = {
                .kind = kind, .key = strdup(path), .file = n->file, .line = n->line
        };

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
        struct vhive_change c = { .kind = kind,
                                  .key = strdup(path),
                                  .value = strdup(any->name),
                                  .file = any->file,
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

        if (merge_fresh(n)) {
                for (size_t i = 0; r == 0 && i < n->n_vals; i++)
                        r = change_val(m, VHIVE_CHANGE_ADD_VALUE, path, NULL, &n->vals[i]);
                return r;
        }
        for (size_t i = 0; r == 0 && i < n->n_base; i++)
                if (!merge_val_find((struct onode *)n, n->base[i].name))
                        r = change_val(m, VHIVE_CHANGE_DELETE_VALUE, path, &n->base[i], NULL);
        for (size_t i = 0; r == 0 && i < n->n_vals; i++) {
                const struct oval *old = base_find(n, n->vals[i].name);

                if (!old)
                        r = change_val(m, VHIVE_CHANGE_ADD_VALUE, path, NULL, &n->vals[i]);
                else if (!merge_val_same(old, &n->vals[i]))
                        r = change_val(m, VHIVE_CHANGE_SET_VALUE, path, old, &n->vals[i]);
        }
        return r;
}

/* Do the values of n differ from what the hive holds? */
bool merge_values_differ(const struct onode *n)
{
        if (!n->vals_loaded)
                return false;
        if (merge_fresh(n))
                return n->n_vals > 0;
        if (n->n_vals != n->n_base)
                return true;
        for (size_t i = 0; i < n->n_vals; i++)
                if (strcmp(n->vals[i].name, n->base[i].name) != 0 ||
                    !merge_val_same(&n->vals[i], &n->base[i]))
                        return true;
        return false;
}

static int collect(struct vhive_merge *m, const struct onode *n, const char *path)
{
        int r = 0;

        if (n->drop_old)
                r = change_key(m, VHIVE_CHANGE_DELETE_KEY, path, n);
        if (r == 0 && n->exists && merge_fresh(n))
                r = change_key(m, VHIVE_CHANGE_ADD_KEY, path, n);
        if (r == 0 && n->exists && merge_values_differ(n))
                r = diff_values(m, path, n);
        for (size_t i = 0; r == 0 && n->exists && i < n->n_kids; i++) {
                _cleanup_free_ char *sub = NULL;

                if (asprintf(&sub, "%s%s%s", path, *path ? "\\" : "", n->kids[i]->name) < 0)
                        return -ENOMEM;
                r = collect(m, n->kids[i], sub);
        }
        return r;
}

/* A key of another hive, planned in that hive's own run. */
static bool other_hive(const struct vhive_merge_opts *opts, const struct vhive_reg_key *key)
{
        return opts->other_hives_skipped && opts->hive && key->path.hive &&
               strcmp(key->path.hive, opts->hive) != 0;
}

int vhive_merge_plan(hive_h *h, const struct vhive_regfile *files, size_t n_files,
                     const struct vhive_merge_opts *opts, struct vhive_merge **plan,
                     struct vhive_error *err)
{
        struct vhive_merge *m = calloc(1, sizeof(*m));
        struct planner pl = { .h = h, .m = m, .opts = opts, .err = err };
        int r = 0;

        if (!m)
                return merge_oom(err);
        m->hive = opts->hive;
        m->root.node = hivex_root(h);
        m->root.exists = true;
        m->root.name = strdup("");
        if (!m->root.name)
                r = merge_oom(err);
        for (size_t f = 0; r == 0 && f < n_files; f++) {
                pl.file = &files[f];
                for (size_t k = 0; r == 0 && k < files[f].n_keys; k++) {
                        pl.key = &files[f].keys[k];
                        if (!other_hive(opts, pl.key))
                                r = plan_section(&pl);
                }
        }
        if (r == 0 && collect(m, &m->root, "") < 0)
                r = merge_oom(err);
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
        merge_onode_clear(&m->root);
        for (size_t i = 0; i < m->n_changes; i++) {
                free(m->changes[i].key);
                free(m->changes[i].value);
                free(m->changes[i].old_data);
                free(m->changes[i].data);
        }
        free(m->changes);
        free(m);
}
