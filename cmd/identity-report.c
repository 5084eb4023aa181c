/* The store-wide identity report of "check" as text (its JSON is
 * vhive_json_identity_report).  Names, data and key paths come from the
 * hives (and target names from the user): escaped for a terminal. */
#include <stdlib.h>
#include <string.h>

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

bool identity_wanted(const struct vhive_rules *rs)
{
        return vhive_rules_have_action(rs, VHIVE_RULE_DELETE) ||
               vhive_rules_have_action(rs, VHIVE_RULE_DETECT);
}

/* A value of a delete or detect rule that the target holds. */
static bool is_identity_value(const struct vhive_value_report *vr)
{
        return vr->rule && vr->name && vr->old_data &&
               (vr->rule->action == VHIVE_RULE_DELETE || vr->rule->action == VHIVE_RULE_DETECT);
}

static int grow(struct identity *id)
{
        size_t cap = id->cap ? 2 * id->cap : 64;
        struct vhive_identity_value *vals = realloc(id->vals, cap * sizeof(*vals));
        char **keys;

        if (!vals)
                return -1;
        id->vals = vals;
        keys = realloc(id->keys, cap * sizeof(*keys));
        if (!keys)
                return -1;
        id->keys = keys;
        id->cap = cap;
        return 0;
}

/* The key as the report shows it: "ControlSet001\Services\Tcpip6\Parameters",
 * or its path below the hive root. */
static int add_value(struct identity *id, size_t target, const char *hive,
                     const struct vhive_cs_report *cr, const struct vhive_key_report *kr,
                     const struct vhive_value_report *vr)
{
        if (id->n == id->cap && grow(id) < 0)
                return -1;
        if (asprintf(&id->keys[id->n], "%s%s%s", cr->cs.name, *cr->cs.name && *kr->path ? "\\" : "",
                     kr->path) < 0)
                return -1;
        id->vals[id->n] = (struct vhive_identity_value){
                .target = target,
                .rule = vr->rule->name,
                .hive = hive,
                .key = id->keys[id->n],
                .name = vr->name,
                .type = vr->type,
                .data = vr->old_data,
                .len = vr->old_len,
        };
        id->n++;
        return 0;
}

static int collect_set(struct identity *id, size_t target, const char *hive,
                       const struct vhive_cs_report *cr)
{
        for (size_t k = 0; k < cr->n_keys; k++)
                for (size_t v = 0; v < cr->keys[k].n_values; v++)
                        if (is_identity_value(&cr->keys[k].values[v]) &&
                            add_value(id, target, hive, cr, &cr->keys[k], &cr->keys[k].values[v]) <
                                    0)
                                return -1;
        return 0;
}

/* A target that failed adds nothing: its values may be partial. */
static int collect(struct identity *id, size_t target, const struct vhive_job_result *r,
                   const struct vhive_scrub_job *c)
{
        if (r->status < 0)
                return 0;
        for (size_t h = 0; h < c->n_reps; h++) {
                const struct vhive_scrub_report *rep = &c->reps[h];

                for (size_t i = 0; i < rep->n_sets; i++)
                        if (collect_set(id, target, rep->hive, &rep->sets[i]) < 0)
                                return -1;
                if (collect_set(id, target, rep->hive, &rep->root) < 0)
                        return -1;
        }
        return 0;
}

int identity_build(struct identity *id, const struct vhive_scrub_job *ctx,
                   const struct vhive_job_result *res, size_t n)
{
        struct vhive_error err = { 0 };

        for (size_t i = 0; i < n; i++)
                if (collect(id, i, &res[i], &ctx[i]) < 0) {
                        fprintf(stderr, "vhive: identity report: out of memory\n");
                        return -1;
                }
        if (vhive_identity_group(id->vals, id->n, &id->rep, &err) < 0) {
                fprintf(stderr, "vhive: %s\n", err.msg);
                return -1;
        }
        id->done = true;
        return 0;
}

void identity_free(struct identity *id)
{
        vhive_identity_report_free(&id->rep);
        for (size_t i = 0; i < id->n; i++)
                free(id->keys[i]);
        free(id->keys);
        free(id->vals);
        memset(id, 0, sizeof(*id));
}
