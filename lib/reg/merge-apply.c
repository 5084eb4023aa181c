/* Writing a merge plan's net result into a hive, checking a committed
 * hive against it, and the merge as a job operation.
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

/* ---- applying --------------------------------------------------------- */

static int write_values(hive_h *h, hive_node_h node, const struct onode *n, struct vhive_error *err)
{
        _cleanup_free_ hive_set_value *sv = calloc(n->n_vals + 1, sizeof(*sv));

        if (!sv)
                return merge_oom(err);
        for (size_t i = 0; i < n->n_vals; i++)
                sv[i] = (hive_set_value){ .key = n->vals[i].name,
                                          .t = n->vals[i].type,
                                          .len = n->vals[i].len,
                                          .value = n->vals[i].data };
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

        /* hivex aborts on some damaged cells it frees (lib/hive/cells.c). */
        if (n->drop_old && vhive_cells_before_delete(h, n->node, err) < 0)
                return -EUCLEAN;
        if (n->drop_old && hivex_node_delete_child(h, n->node) < 0)
                return vhive_fail(err, errno, "deleting key %s: %s", n->name, strerror(errno));
        if (!n->exists)
                return 0;
        if (merge_fresh(n)) {
                if (vhive_cells_before_add_child(h, parent, err) < 0)
                        return -EUCLEAN;
                node = hivex_node_add_child(h, parent, n->name);
                if (!node)
                        return vhive_fail(err, errno, "adding key %s: %s", n->name,
                                          strerror(errno));
        }
        if (merge_values_differ(n))
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

static int verify_values(hive_h *h, hive_node_h node, const struct onode *n, const char *path,
                         struct vhive_error *err)
{
        struct oval *got = NULL;
        size_t n_got = 0;
        int r = merge_read_values(h, node, &got, &n_got, err);

        if (r == 0 && n_got != n->n_vals)
                r = vhive_fail(err, EIO, "%s: %zu values after the write, expected %zu", path,
                               n_got, n->n_vals);
        for (size_t i = 0; r == 0 && i < n->n_vals; i++)
                if (strcasecmp(got[i].name, n->vals[i].name) != 0 ||
                    !merge_val_same(&got[i], &n->vals[i]))
                        r = vhive_fail(err, EIO,
                                       "%s: value \"%s\" does not read back as "
                                       "written",
                                       path, n->vals[i].name);
        merge_vals_free(got, n_got);
        return r;
}

static int verify_node(hive_h *h, const struct onode *n, hive_node_h node, const char *path,
                       struct vhive_error *err)
{
        int r = 0;

        if (merge_values_differ(n))
                r = verify_values(h, node, n, path, err);
        for (size_t i = 0; r == 0 && i < n->n_kids; i++) {
                const struct onode *k = n->kids[i];
                _cleanup_free_ char *sub = NULL;
                hive_node_h child = 0;

                if (asprintf(&sub, "%s%s%s", path, *path ? "\\" : "", k->name) < 0)
                        return merge_oom(err);
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

size_t vhive_merge_job_hives(const struct vhive_merge_job *j, const char **names, size_t max)
{
        static const char *const order[] = { "SYSTEM", "SOFTWARE", "SAM", "SECURITY" };
        size_t n = 0;

        for (size_t o = 0; o < ARRAY_SIZE(order); o++) {
                bool named = false;
                for (size_t f = 0; f < j->n_files && !named; f++)
                        for (size_t k = 0; k < j->files[f].n_keys && !named; k++) {
                                const char *h = j->files[f].keys[k].path.hive;
                                named = h && strcmp(h, order[o]) == 0;
                        }
                if (named && n < max)
                        names[n] = order[o];
                n += named;
        }
        return n;
}

static size_t job_hive_names(void *ctx, const char *names[VHIVE_MAX_HIVES])
{
        const struct vhive_merge_job *j = ctx;
        size_t n = vhive_merge_job_hives(j, names, VHIVE_MAX_HIVES);

        if (n == 0)
                names[0] = j->hive ? j->hive : "SYSTEM";
        return n == 0 ? 1 : n < VHIVE_MAX_HIVES ? n : VHIVE_MAX_HIVES;
}

/* A hive file is one hive: a key of another hive than the first key's is
 * refused, before anything is planned (as before images took several). */
static int one_hive(const struct vhive_merge_job *j, struct vhive_error *err)
{
        const struct vhive_reg_key *first = NULL;

        for (size_t f = 0; f < j->n_files; f++)
                for (size_t k = 0; k < j->files[f].n_keys; k++) {
                        const struct vhive_reg_key *key = &j->files[f].keys[k];
                        if (!key->path.hive)
                                continue;
                        if (!first)
                                first = key;
                        else if (strcmp(first->path.hive, key->path.hive) != 0)
                                return vhive_fail(err, EINVAL,
                                                  "%s:%u: [%s] is in %s, but line %u is in %s: "
                                                  "a hive file is one hive (merge each hive's "
                                                  "keys into its own file)",
                                                  j->files[f].name, key->line, key->text,
                                                  key->path.hive, first->line, first->path.hive);
                }
        return 0;
}

void vhive_merge_job_clear(struct vhive_merge_job *j)
{
        for (size_t k = 0; k < j->n_plans; k++)
                vhive_merge_free(j->plans[k]);
        j->n_plans = 0;
        j->plan = NULL;
}

/* The slot of this hive's plan: a job runs once per hive of a target. */
static struct vhive_merge **plan_slot(struct vhive_merge_job *j, const char *hive)
{
        size_t k = 0;

        while (k < j->n_plans && !(hive && j->plan_hives[k] && !strcmp(j->plan_hives[k], hive)))
                k++;
        if (k == j->n_plans && k == VHIVE_MAX_HIVES)
                k = 0; /* cannot happen: one run per named hive */
        if (k == j->n_plans)
                j->n_plans++;
        vhive_merge_free(j->plans[k]);
        j->plans[k] = NULL;
        j->plan_hives[k] = hive;
        return &j->plans[k];
}

static int job_run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
                   struct vhive_error *err)
{
        struct vhive_merge_job *j = ctx;
        struct vhive_merge **plan;
        int r;

        if (!s->hive) {
                /* A hive file: each run is the target's only one. */
                vhive_merge_job_clear(j);
                r = one_hive(j, err);
                if (r < 0)
                        return r;
        }
        j->opts.hive = s->hive ? s->hive : vhive_hive_from_filename(s->primary);
        j->opts.other_hives_skipped = s->hive != NULL;
        plan = plan_slot(j, j->opts.hive);
        j->plan = NULL;
        r = vhive_merge_plan(s->h, j->files, j->n_files, &j->opts, plan, err);
        if (r < 0)
                return r;
        j->plan = *plan;
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
        .step = "editing",
        .hive_names = job_hive_names,
        .check_first = true, /* every file is checked before anything is written */
        .run = job_run,
        .verify = job_verify,
};
