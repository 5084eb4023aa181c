/* The scrub's report, shared by "scrub" and "check". */
#include <stdlib.h>
#include <string.h>

#include "identity-report.h"
#include "scrub-report.h"

static const char *delete_word(bool check, bool dry_run)
{
        return check ? "stale" : (dry_run ? "would delete" : "deleted");
}

/* "ControlSet001\\Services\\...\\NAME", or below the hive root. */
static const char *value_path(const struct vhive_cs_report *cr, const struct vhive_key_report *kr,
                              const char *name, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s%s%s%s", cr->cs.name, *cr->cs.name && *kr->path ? "\\" : "",
                 kr->path, name ? "\\" : "", name ? name : "");
        return buf;
}

static void print_value(const char *target, const struct vhive_cs_report *cr,
                        const struct vhive_key_report *kr, const struct vhive_value_report *vr,
                        bool check, bool dry_run)
{
        const char *type = vr->type >= 0 ? vhive_type_name(vr->type) : "";
        const char *word = NULL;
        char path[1024];

        value_path(cr, kr, vr->name, path, sizeof(path));
        if (vr->action == VHIVE_ACTION_BLANKED)
                word = check ? "stale" : "blank";
        else if (vr->action == VHIVE_ACTION_DELETED)
                word = delete_word(check, dry_run);
        else if (vr->action == VHIVE_ACTION_DETECTED && vr->name)
                word = "detected";
        if (word)
                printf("%s: %s %s = \"%s\" (%s)\n", target, word, cmd_esc(path),
                       cmd_esc(vr->old_text), type);
        else if (vr->action == VHIVE_ACTION_DETECTED)
                printf("%s: detected key %s\n", target, cmd_esc(path));
        else if (vr->action == VHIVE_ACTION_KEPT)
                printf("%s: kept %s = \"%s\" (static interface)\n", target, cmd_esc(path),
                       cmd_esc(vr->old_text));
}

static void print_values(const char *target, const struct vhive_cs_report *cr, bool check,
                         bool dry_run)
{
        for (size_t k = 0; k < cr->n_keys; k++)
                for (size_t v = 0; v < cr->keys[k].n_values; v++)
                        print_value(target, cr, &cr->keys[k], &cr->keys[k].values[v], check,
                                    dry_run);
}

/* Whether rule took a value that is there (or detected a key). */
static bool rule_matched(const struct vhive_cs_report *cr, const struct vhive_rule *rule)
{
        for (size_t k = 0; k < cr->n_keys; k++)
                for (size_t v = 0; v < cr->keys[k].n_values; v++) {
                        const struct vhive_value_report *vr = &cr->keys[k].values[v];

                        if (vr->rule == rule && (vr->action == VHIVE_ACTION_DETECTED ||
                                                 vr->action == VHIVE_ACTION_BLANKED ||
                                                 vr->action == VHIVE_ACTION_DELETED))
                                return true;
                }
        return false;
}

static bool report_matched(const struct vhive_scrub_report *rep, const struct vhive_rule *rule)
{
        for (size_t i = 0; i < rep->n_sets; i++)
                if (rule_matched(&rep->sets[i], rule))
                        return true;
        return rule_matched(&rep->root, rule);
}

/* Once per rule that matched: its advice, and the files vhive leaves. */
static void print_advice(const char *target, const struct vhive_scrub_report *rep,
                         const struct vhive_rules *rs)
{
        for (size_t i = 0; i < rs->n_sel; i++) {
                const struct vhive_rule *r = rs->sel[i];

                if ((!r->advice && !r->n_files) || !report_matched(rep, r))
                        continue;
                if (r->advice)
                        printf("%s: %s: %s\n", target, cmd_esc(r->name), cmd_esc(r->advice));
                for (size_t f = 0; f < r->n_files; f++)
                        printf("%s: %s: not handled: %s (a file: remove it on the master)\n",
                               target, cmd_esc(r->name), cmd_esc(r->files[f]));
        }
}

/* A dirty hive's state; "hive" names it when the target has several. */
static void print_dirty(const char *target, const char *hive, const struct vhive_hive_state *st)
{
        if (st->replay_failed)
                printf("%s: %s is dirty (sequence %u/%u) and cannot be replayed (%s): "
                       "reporting the file as it is; Windows may see other values\n",
                       target, hive, st->header.seq_primary, st->header.seq_secondary,
                       cmd_esc(st->replay_error));
        else if (st->dirty)
                printf("%s: %s is dirty (sequence %u/%u): reporting the state after "
                       "replaying %u log entries\n",
                       target, hive, st->header.seq_primary, st->header.seq_secondary,
                       st->replay.entries_applied);
}

/* Each hive's state, then for an image where Windows and the hives are. */
static void print_hive_state(const char *target, const struct vhive_job_result *r)
{
        if (r->n_hives <= 1)
                print_dirty(target, "hive", &r->state);
        for (size_t i = 0; r->n_hives > 1 && i < r->n_hives; i++)
                print_dirty(target, r->hives[i].name, &r->hives[i].state);
        if (!r->is_image)
                return;
        printf("%s: %s image, Windows on %s, %s %s", target, r->image.label, r->root.device,
               r->n_hives > 1 ? "hives" : "hive", r->hive_path);
        for (size_t i = 1; i < r->n_hives; i++)
                if (*r->hives[i].hive_path)
                        printf(", %s", r->hives[i].hive_path);
        putchar('\n');
}

static const char *outcome(const struct vhive_job_result *r, bool check, bool dry_run)
{
        if (r->state.replay_failed && !r->changed)
                return "unknown: the logs cannot be replayed";
        if (r->state.replay_failed && !check)
                return "dry run: scrub would refuse (the logs cannot be replayed)";
        if (check)
                return r->changed ? "stale values found" : "clean";
        if (r->written)
                return r->state.replayed ? "written; logs replayed" : "written";
        if (!r->changed)
                return "nothing to change";
        return dry_run ? "dry run: nothing written" : "not written";
}

static void print_counts(const char *target, const struct vhive_scrub_report *rep,
                         const struct vhive_rules *rs, bool check, bool dry_run)
{
        printf("%s: %u %s, %u already blank, %u absent, %u kept", target,
               rep->counts[VHIVE_ACTION_BLANKED],
               check ? "stale" : (dry_run ? "to blank" : "blanked"),
               rep->counts[VHIVE_ACTION_ALREADY_BLANK], rep->counts[VHIVE_ACTION_ABSENT],
               rep->counts[VHIVE_ACTION_KEPT]);
        /* Only packs that delete or detect say so: seed's output stays as it was. */
        if (vhive_rules_have_action(rs, VHIVE_RULE_DELETE))
                printf(", %u %s", rep->counts[VHIVE_ACTION_DELETED],
                       check || dry_run ? "to delete" : "deleted");
        if (vhive_rules_have_action(rs, VHIVE_RULE_DETECT))
                printf(", %u detected", rep->counts[VHIVE_ACTION_DETECTED]);
}

static void print_report(const char *target, const struct vhive_scrub_report *rep,
                         const struct vhive_rules *rs, bool check, bool dry_run)
{
        for (size_t i = 0; i < rep->n_sets; i++)
                print_values(target, &rep->sets[i], check, dry_run);
        print_values(target, &rep->root, check, dry_run);
        print_advice(target, rep, rs);
        for (size_t i = 0; i < rep->n_sets; i++) {
                const struct vhive_cs_report *cr = &rep->sets[i];
                size_t ifaces = 0;
                char roles[64];

                for (size_t k = 0; k < cr->n_keys; k++)
                        ifaces += cr->keys[k].is_interface && !cr->keys[k].is_tcpip6;
                vhive_controlset_roles(&cr->cs, true, roles, sizeof(roles));
                printf("%s: %s%s%s%s: %zu interfaces\n", target, cmd_esc(cr->cs.name),
                       *roles ? " (" : "", roles, *roles ? ")" : "", ifaces);
        }
}

static unsigned count_of(const struct vhive_scrub_job *c, enum vhive_action a)
{
        unsigned n = 0;

        for (size_t i = 0; i < c->n_reps; i++)
                n += c->reps[i].counts[a];
        return n;
}

static void print_text(const char *target, const struct vhive_scrub_job *c,
                       const struct vhive_job_result *r, bool check, bool dry_run)
{
        const char *end = outcome(r, check, dry_run);

        print_hive_state(target, r);
        for (size_t i = 0; i < c->n_reps; i++) {
                print_report(target, &c->reps[i], c->opts.rules, check, dry_run);
                print_counts(target, &c->reps[i], c->opts.rules, check, dry_run);
                if (c->n_reps > 1)
                        printf(" (%s)", c->reps[i].hive);
                if (check && !r->changed && count_of(c, VHIVE_ACTION_DETECTED))
                        end = "identity values detected";
                printf(": %s\n", end);
        }
}

static int print_json(const char *command, struct vhive_scrub_job *ctx,
                      const struct vhive_job_result *res, const struct cmd_opts *o,
                      const struct vhive_identity_report *ident, int exit_code)
{
        json_t *list = json_array();
        json_t *fields;

        for (size_t i = 0; i < o->n_targets; i++)
                json_array_append_new(list,
                                      vhive_json_scrub_target(o->targets[i], &res[i], &ctx[i]));
        fields = json_pack("{s:o, s:b}", "profile", vhive_json_text(o->rules.profile), "dry_run",
                           o->run.dry_run);
        if (ident)
                json_object_set_new(fields, "shared",
                                    vhive_json_identity_report(ident, o->targets));
        return cmd_print_json(vhive_json_document(command, fields, list, exit_code), exit_code);
}

/* Logs that cannot be replayed: what Windows loads is unknown.  check
 * says 1 only when the stale file itself has values to blank, never 0;
 * scrub -n fails as scrub would. */
static int unknown_state_exit(const struct vhive_job_result *res, size_t n, bool check,
                              int exit_code)
{
        for (size_t i = 0; i < n; i++)
                if (res[i].status == 0 && res[i].state.replay_failed && (!check || !res[i].changed))
                        exit_code = VHIVE_EXIT_FAIL;
        return exit_code;
}

int scrub_run_and_report(const char *command, const struct cmd_opts *o)
{
        bool check = strcmp(command, "check") == 0;
        size_t n = o->n_targets;
        struct vhive_scrub_job *ctx = cmd_calloc(n, sizeof(*ctx));
        void **ctxs = cmd_calloc(n, sizeof(*ctxs));
        struct vhive_job_result *res = cmd_calloc(n, sizeof(*res));
        struct identity id = { 0 };
        int exit_code;

        for (size_t i = 0; i < n; i++) {
                ctx[i].opts = o->scrub;
                ctxs[i] = &ctx[i];
        }
        exit_code = cmd_run_job(check ? &vhive_check_op : &vhive_scrub_op, o->targets, n, ctxs, o,
                                res);
        exit_code = unknown_state_exit(res, n, check, exit_code);
        for (size_t i = 0; i < n; i++) {
                /* A stale value, or an identity a detect rule found. */
                if (check && exit_code == VHIVE_EXIT_OK &&
                    (res[i].changed || count_of(&ctx[i], VHIVE_ACTION_DETECTED)))
                        exit_code = VHIVE_EXIT_STALE;
                if (!o->json && res[i].status == 0)
                        print_text(o->targets[i], &ctx[i], &res[i], check, o->run.dry_run);
        }
        /* The identity report: after every target of a check with several. */
        if (check && n > 1 && identity_wanted(&o->rules) && identity_build(&id, ctx, res, n) < 0)
                exit_code = VHIVE_EXIT_FAIL;
        if (id.done && !o->json)
                identity_report_print(stdout, &id.rep, o->targets);
        if (o->json)
                exit_code = print_json(command, ctx, res, o, id.done ? &id.rep : NULL, exit_code);
        identity_free(&id);
        for (size_t i = 0; i < n; i++)
                vhive_scrub_job_free(&ctx[i]);
        free(ctx);
        free(ctxs);
        free(res);
        return exit_code;
}
