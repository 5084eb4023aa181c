/* The selected rules as JSON ("vhive rules --json"). */
#include "rules.h"

static json_t *list_json(char *const *l, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, vhive_json_text(l[i]));
        return a;
}

static json_t *rule_json(const struct vhive_rule *r)
{
        json_t *o = json_pack(
                "{s:o, s:o, s:s, s:o, s:o, s:s, s:o}", "name", vhive_json_text(r->name), "id",
                vhive_json_text(r->id), "hive", r->hive, "keys", list_json(r->keys, r->n_keys),
                "values", list_json(r->values, r->n_values), "action",
                vhive_rule_action_name(r->action), "sources", list_json(r->sources, r->n_sources));

        if (!o)
                return NULL;
        json_object_set_new(o, "advice", vhive_json_text(r->advice));
        json_object_set_new(o, "keep_static", list_json(r->keep_static, r->n_keep_static));
        json_object_set_new(o, "files", list_json(r->files, r->n_files));
        return o;
}

static json_t *pack_json(const struct vhive_rules *rs, const struct vhive_pack *p)
{
        json_t *rules = json_array();

        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t k = 0; k < rs->n_sel; k++)
                        if (rs->sel[k] == &p->rules[i])
                                json_array_append_new(rules, rule_json(&p->rules[i]));
        return json_pack("{s:o, s:o, s:o, s:o}", "name", vhive_json_text(p->name), "description",
                         vhive_json_text(p->description), "path", vhive_json_text(p->path), "rules",
                         rules);
}

json_t *vhive_json_rules(const struct vhive_rules *rs)
{
        json_t *packs = json_array();

        for (size_t i = 0; i < rs->n_packs; i++)
                json_array_append_new(packs, pack_json(rs, rs->packs[i]));
        return json_pack("{s:o, s:o}", "rules_dir", vhive_json_text(vhive_rules_dir()), "packs",
                         packs);
}
