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

static size_t job_hive_names(void *ctx, const char *names[VHIVE_MAX_HIVES])
{
        const char *hive = ((struct vhive_merge_job *)ctx)->hive;

        names[0] = hive ? hive : "SYSTEM";
        return 1;
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
        .step = "editing",
        .hive_names = job_hive_names,
        .run = job_run,
        .verify = job_verify,
};
