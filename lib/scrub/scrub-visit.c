/* From the selected rules to the keys the walk visits: each key pattern
 * once, with every value any selected rule names there, in the order the
 * rules name them (so seed,lease visits Parameters with seed's values then
 * lease's others, as the fixed profiles did). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "scrub.h"

/* delete beats blank beats detect: the value goes either way. */
static int strength(enum vhive_rule_action a)
{
        return a == VHIVE_RULE_DELETE ? 2 : a == VHIVE_RULE_BLANK ? 1 : 0;
}

static const char *below_cs(const char *key)
{
        const char *s = strchr(key, '\\');

        return s ? s + 1 : "";
}

static int find_visit(struct vhive_visits *vs, const struct vhive_rule *r, const char *key,
                      struct vhive_visit **out, struct vhive_error *err)
{
        bool in_cs = vhive_rule_key_in_cs(r, key);
        const char *k = in_cs ? below_cs(key) : key;
        struct vhive_visit *v;

        for (size_t i = 0; i < vs->n; i++)
                if (vs->v[i].in_cs == in_cs && strcasecmp(vs->v[i].key, k) == 0) {
                        *out = &vs->v[i];
                        return 0;
                }
        v = realloc(vs->v, (vs->n + 1) * sizeof(*v));
        if (!v)
                return vhive_fail(err, ENOMEM, "out of memory");
        vs->v = v;
        v = memset(&v[vs->n++], 0, sizeof(*v));
        v->key = k;
        v->in_cs = in_cs;
        v->wildcard = strcmp(k, "*") == 0 || strncmp(k, "*\\", 2) == 0 || strstr(k, "\\*\\") ||
                      (strlen(k) >= 2 && strcmp(k + strlen(k) - 2, "\\*") == 0);
        vs->any_cs |= in_cs;
        *out = v;
        return 0;
}

static int add_value(struct vhive_visit *v, const char *name, const struct vhive_rule *r,
                     struct vhive_error *err)
{
        struct vhive_visit_value *vals;

        for (size_t i = 0; i < v->n_values; i++)
                if (strcasecmp(v->values[i].name, name) == 0) {
                        if (strength(r->action) > strength(v->values[i].rule->action))
                                v->values[i].rule = r;
                        return 0;
                }
        vals = realloc(v->values, (v->n_values + 1) * sizeof(*vals));
        if (!vals)
                return vhive_fail(err, ENOMEM, "out of memory");
        v->values = vals;
        vals[v->n_values++] = (struct vhive_visit_value){ name, r };
        return 0;
}

static int add_rule(struct vhive_visits *vs, const struct vhive_rule *r, struct vhive_error *err)
{
        for (size_t k = 0; k < r->n_keys; k++) {
                struct vhive_visit *v = NULL;
                int ret = find_visit(vs, r, r->keys[k], &v, err);

                if (ret < 0)
                        return ret;
                if (r->n_values == 0 && !v->key_rule)
                        v->key_rule = r;
                for (size_t i = 0; i < r->n_values; i++) {
                        ret = add_value(v, r->values[i], r, err);
                        if (ret < 0)
                                return ret;
                }
        }
        return 0;
}

int vhive_visits_build(const struct vhive_rules *rs, const char *hive, struct vhive_visits *out,
                       struct vhive_error *err)
{
        memset(out, 0, sizeof(*out));
        for (size_t i = 0; rs && i < rs->n_sel; i++) {
                int r;

                if (strcasecmp(rs->sel[i]->hive, hive) != 0)
                        continue;
                r = add_rule(out, rs->sel[i], err);
                if (r < 0) {
                        vhive_visits_free(out);
                        return r;
                }
        }
        return 0;
}

void vhive_visits_free(struct vhive_visits *vs)
{
        for (size_t i = 0; i < vs->n; i++)
                free(vs->v[i].values);
        free(vs->v);
        memset(vs, 0, sizeof(*vs));
}
