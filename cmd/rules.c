/* vhive rules: the rule packs, their rules, what each does and why. */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "common.h"

static const struct cmd_text text = {
        .name = "rules",
        .usage = "Usage: vhive rules [OPTIONS]\n"
                 "List the rule packs scrub and check use: each rule's hive, keys, values,\n"
                 "action and sources.  Without --profile, every pack of the rules folder.\n",
        .exit_status = "0 success, 2 a pack does not load or a name is unknown.",
        .no_targets = true,
};

static void print_list(const char *what, char *const *l, size_t n)
{
        if (!n)
                return;
        printf("  %-12s", what);
        for (size_t i = 0; i < n; i++)
                printf("%s%s", i ? ", " : "", cmd_esc(l[i]));
        putchar('\n');
}

static void print_rule(const struct vhive_rule *r)
{
        printf("%s: %s %s\n", cmd_esc(r->name), vhive_rule_action_name(r->action), r->hive);
        for (size_t i = 0; i < r->n_keys; i++)
                printf("  %-12s%s\n", "key", cmd_esc(r->keys[i]));
        print_list("values", r->values, r->n_values);
        print_list("keep-static", r->keep_static, r->n_keep_static);
        print_list("files", r->files, r->n_files);
        if (r->advice)
                printf("  %-12s%s\n", "advice", cmd_esc(r->advice));
        for (size_t i = 0; i < r->n_sources; i++)
                printf("  %-12s%s\n", "source", cmd_esc(r->sources[i]));
}

static bool selected(const struct vhive_rules *rs, const struct vhive_rule *r)
{
        for (size_t i = 0; i < rs->n_sel; i++)
                if (rs->sel[i] == r)
                        return true;
        return false;
}

static void print_text(const struct vhive_rules *rs)
{
        for (size_t p = 0; p < rs->n_packs; p++) {
                const struct vhive_pack *pk = rs->packs[p];

                printf("%s%s: %s (%s)\n", p ? "\n" : "", cmd_esc(pk->name),
                       cmd_esc(pk->description), cmd_esc(pk->path));
                for (size_t i = 0; i < pk->n_rules; i++)
                        if (selected(rs, &pk->rules[i]))
                                print_rule(&pk->rules[i]);
        }
}

/* Every pack, then PACK.RULE of each of its rules: what --profile and
 * --skip take, for the shell completion. */
static void print_names(const struct vhive_rules *rs)
{
        for (size_t p = 0; p < rs->n_packs; p++)
                printf("%s\n", cmd_esc(rs->packs[p]->name));
        for (size_t p = 0; p < rs->n_packs; p++)
                for (size_t i = 0; i < rs->packs[p]->n_rules; i++)
                        if (selected(rs, &rs->packs[p]->rules[i]))
                                printf("%s\n", cmd_esc(rs->packs[p]->rules[i].name));
}

int cmd_rules(int argc, char **argv)
{
        struct cmd_opts o = { 0 };
        struct vhive_rules_spec spec;
        struct vhive_error err = { 0 };
        int rc = cmd_parse_options(CMD_RULES, &text, argc, argv, &o);

        if (rc >= 0) {
                cmd_opts_free(&o);
                return rc;
        }
        spec = (struct vhive_rules_spec){ o.profile, o.rule_files, o.n_rule_files, o.skip,
                                          o.n_skip };
        if (o.profile)
                rc = vhive_rules_select(&o.rules, &spec, &err);
        else
                rc = vhive_rules_load_all(&o.rules, &spec, &err);
        if (rc < 0) {
                fprintf(stderr, "vhive: %s\n", cmd_esc(err.msg));
                rc = VHIVE_EXIT_FAIL;
        } else if (o.names) {
                print_names(&o.rules);
                rc = VHIVE_EXIT_OK;
        } else if (o.json) {
                rc = cmd_print_json(vhive_json_document("rules", vhive_json_rules(&o.rules),
                                                        json_array(), VHIVE_EXIT_OK),
                                    VHIVE_EXIT_OK);
        } else {
                print_text(&o.rules);
                rc = VHIVE_EXIT_OK;
        }
        cmd_opts_free(&o);
        return rc;
}
