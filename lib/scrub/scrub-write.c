/* Writing a key's blanks and deletes: through hivex (the key's value list
 * rewritten, new cells appended) or in place in the hive's bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "scrub.h"

static const struct vhive_value_report *find_action(const struct vhive_key_report *kr,
                                                    const char *name, enum vhive_action a)
{
        for (size_t i = 0; i < kr->n_values; i++)
                if (kr->values[i].action == a && kr->values[i].name &&
                    strcasecmp(kr->values[i].name, name) == 0)
                        return &kr->values[i];
        return NULL;
}

static void free_set_values(hive_set_value *vals, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(vals[i].key);
                free(vals[i].value);
        }
        free(vals);
}

static int replace_with_blank(hive_set_value *sv, struct vhive_error *err)
{
        const char *blank;
        size_t len;
        char *copy;

        vhive_blank_for_type(sv->t, &blank, &len);
        copy = malloc(len ? len : 1);
        if (!copy)
                return vhive_fail(err, ENOMEM, "out of memory");
        memcpy(copy, blank, len);
        free(sv->value);
        sv->value = copy;
        sv->len = len;
        return 0;
}

/* hivex rewrites a key's whole value list per call: one call per key. */
int vhive_scrub_apply_key(hive_h *h, hive_node_h node, const struct vhive_key_report *kr,
                          struct vhive_error *err)
{
        _cleanup_free_ hive_value_h *values = hivex_node_values(h, node);
        hive_set_value *set;
        size_t n = 0, kept = 0;
        int r = 0;

        if (!values)
                return vhive_fail(err, errno, "listing values of %s: %s", kr->name,
                                  strerror(errno));
        while (values[n])
                n++;
        set = calloc(n ? n : 1, sizeof(*set));
        if (!set)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n && r == 0; i++) {
                hive_set_value *sv = &set[kept++];

                sv->key = hivex_value_key(h, values[i]);
                sv->value = hivex_value_value(h, values[i], &sv->t, &sv->len);
                if (!sv->key || !sv->value) {
                        r = vhive_fail(err, errno ? errno : EIO, "reading values of %s", kr->name);
                        break;
                }
                if (find_action(kr, sv->key, VHIVE_ACTION_DELETED)) {
                        free(sv->key);
                        free(sv->value);
                        memset(sv, 0, sizeof(*sv));
                        kept--; /* left out of the new list: deleted */
                } else if (find_action(kr, sv->key, VHIVE_ACTION_BLANKED)) {
                        r = replace_with_blank(sv, err);
                }
        }
        if (r == 0)
                r = vhive_values_rewritable(h, node, err);
        if (r == 0 && hivex_node_set_values(h, node, kept, set, 0) < 0)
                r = vhive_fail(err, errno, "writing values of %s: %s", kr->name, strerror(errno));
        free_set_values(set, n);
        return r;
}

/* In place: each blanked value rewritten in its own vk cell, each deleted
 * one taken out of the key's value list. */
int vhive_scrub_apply_in_place(hive_h *h, struct vhive_hive_buf *buf, hive_node_h node,
                               const struct vhive_key_report *kr, struct vhive_error *err)
{
        for (size_t i = 0; i < kr->n_values; i++) {
                const struct vhive_value_report *vr = &kr->values[i];
                hive_value_h v;
                int r;

                if (vr->action != VHIVE_ACTION_BLANKED && vr->action != VHIVE_ACTION_DELETED)
                        continue;
                errno = 0;
                v = hivex_node_get_value(h, node, vr->name);
                if (v == 0)
                        return vhive_fail(err, errno ? errno : EIO, "finding value %s again",
                                          vr->name);
                if (vr->action == VHIVE_ACTION_DELETED)
                        r = vhive_inplace_delete(buf, node, v, err);
                else
                        r = vhive_inplace_blank(buf, node, v, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
