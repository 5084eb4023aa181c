/* After a commit, the written hive read back: every blank reads blank in
 * its old type, every deleted value is gone.  And the report's upkeep. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scrub.h"

const char *vhive_action_name(enum vhive_action a)
{
        static const char *const names[] = { "blanked", "already-blank", "absent",
                                             "kept",    "deleted",       "detected" };

        return (unsigned)a < ARRAY_SIZE(names) ? names[a] : "unknown";
}

static int verify_blank(hive_h *h, hive_node_h node, const struct vhive_value_report *vr,
                        struct vhive_error *err)
{
        hive_value_h v = hivex_node_get_value(h, node, vr->name);
        _cleanup_free_ char *data = NULL;
        hive_type t;
        size_t len;

        if (v == 0)
                return vhive_fail(err, EIO, "verify: value %s vanished", vr->name);
        data = hivex_value_value(h, v, &t, &len);
        if (!data || (int)t != vr->type || !vhive_value_is_blank(t, data, len))
                return vhive_fail(err, EIO, "verify: value %s is not blank after the write",
                                  vr->name);
        return 0;
}

static bool must_be_absent(const struct vhive_value_report *vr)
{
        return vr->action == VHIVE_ACTION_DELETED ||
               (vr->action == VHIVE_ACTION_ABSENT && vr->rule &&
                vr->rule->action == VHIVE_RULE_DELETE);
}

static bool must_be_there(const struct vhive_value_report *vr)
{
        return vr->action == VHIVE_ACTION_BLANKED || vr->action == VHIVE_ACTION_ALREADY_BLANK ||
               vr->action == VHIVE_ACTION_DELETED;
}

static int verify_value(hive_h *h, hive_node_h node, const struct vhive_value_report *vr,
                        struct vhive_error *err)
{
        if (!vr->name)
                return 0; /* a detected key: nothing was written */
        if (vr->action == VHIVE_ACTION_BLANKED || vr->action == VHIVE_ACTION_ALREADY_BLANK)
                return verify_blank(h, node, vr, err);
        if (must_be_absent(vr) && hivex_node_get_value(h, node, vr->name) != 0)
                return vhive_fail(err, EIO, "verify: value %s is still there", vr->name);
        return 0;
}

static int verify_key(hive_h *h, hive_node_h from, const struct vhive_key_report *kr,
                      struct vhive_error *err)
{
        hive_node_h node = from;
        int r = *kr->path ? vhive_lookup(h, from, kr->path, &node, err) : 0;

        for (size_t i = 0; r == 0 && node == 0 && i < kr->n_values; i++)
                if (must_be_there(&kr->values[i]))
                        return vhive_fail(err, EIO, "verify: key %s vanished", kr->path);
        for (size_t i = 0; r == 0 && node && i < kr->n_values; i++)
                r = verify_value(h, node, &kr->values[i], err);
        return r;
}

static int verify_set(hive_h *h, hive_node_h from, const struct vhive_cs_report *cr,
                      struct vhive_error *err)
{
        for (size_t k = 0; k < cr->n_keys; k++) {
                int r = verify_key(h, from, &cr->keys[k], err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int vhive_scrub_verify(hive_h *h, const struct vhive_scrub_report *rep, struct vhive_error *err)
{
        for (size_t s = 0; s < rep->n_sets; s++) {
                const struct vhive_cs_report *cr = &rep->sets[s];
                hive_node_h cs;
                int r = vhive_child(h, hivex_root(h), cr->cs.name, &cs, err);

                if (r < 0)
                        return r;
                if (cs == 0)
                        return vhive_fail(err, EIO, "verify: %s vanished", cr->cs.name);
                r = verify_set(h, cs, cr, err);
                if (r < 0)
                        return r;
        }
        return verify_set(h, hivex_root(h), &rep->root, err);
}

static void free_set(struct vhive_cs_report *cr)
{
        for (size_t k = 0; k < cr->n_keys; k++) {
                struct vhive_key_report *kr = &cr->keys[k];

                for (size_t v = 0; v < kr->n_values; v++) {
                        free(kr->values[v].name);
                        free(kr->values[v].old_text);
                        free(kr->values[v].old_data);
                }
                free(kr->values);
                free(kr->name);
                free(kr->path);
        }
        free(cr->keys);
}

void vhive_scrub_report_free(struct vhive_scrub_report *rep)
{
        for (size_t s = 0; s < rep->n_sets; s++)
                free_set(&rep->sets[s]);
        free(rep->sets);
        free_set(&rep->root);
        memset(rep, 0, sizeof(*rep));
}

void vhive_scrub_job_free(struct vhive_scrub_job *c)
{
        for (size_t i = 0; i < c->n_reps; i++)
                vhive_scrub_report_free(&c->reps[i]);
        c->n_reps = 0;
}
