/* The store-wide identity report of "check", as text and as JSON.  Names,
 * data and key paths come from the hives (and target names from the user):
 * escaped for a terminal, made UTF-8 for JSON. */
#include "identity-report.h"
#include "options.h"

static void print_group(FILE *out, const struct vhive_identity_group *g, char *const *targets)
{
        fprintf(out, "shared: %s %s = \"%s\" (%s) in %zu targets: ", cmd_esc(g->value->rule),
                cmd_esc(g->value->name), cmd_esc(g->text), vhive_type_name(g->value->type),
                g->n_targets);
        for (size_t t = 0; t < g->n_targets; t++)
                fprintf(out, "%s%s", t ? ", " : "", cmd_esc(targets[g->targets[t].target]));
        fputc('\n', out);
}

void identity_report_print(FILE *out, const struct vhive_identity_report *rep, char *const *targets)
{
        for (size_t i = 0; i < rep->n_groups; i++)
                print_group(out, &rep->groups[i], targets);
        if (rep->n_groups)
                fprintf(out, "identity: %zu %s shared between %zu targets\n", rep->n_groups,
                        rep->n_groups == 1 ? "value" : "values", rep->n_targets);
        else
                fprintf(out, "identity: no value shared between targets\n");
}

static json_t *group_json(const struct vhive_identity_group *g, char *const *targets)
{
        json_t *where = json_array();

        for (size_t t = 0; t < g->n_targets; t++) {
                const struct vhive_identity_where *w = &g->targets[t];

                json_array_append_new(where, json_pack("{s:o, s:I, s:o}", "target",
                                                       vhive_json_text(targets[w->target]), "index",
                                                       (json_int_t)w->target, "key",
                                                       vhive_json_text(w->key)));
        }
        return json_pack("{s:o, s:o, s:o, s:s, s:o, s:o}", "rule", vhive_json_text(g->value->rule),
                         "hive", vhive_json_text(g->value->hive), "name",
                         vhive_json_text(g->value->name), "type", vhive_type_name(g->value->type),
                         "data", vhive_json_text(g->text), "targets", where);
}

json_t *identity_report_json(const struct vhive_identity_report *rep, char *const *targets)
{
        json_t *shared = json_array();

        for (size_t i = 0; shared && i < rep->n_groups; i++)
                if (json_array_append_new(shared, group_json(&rep->groups[i], targets)) < 0) {
                        json_decref(shared);
                        return NULL;
                }
        return shared;
}
