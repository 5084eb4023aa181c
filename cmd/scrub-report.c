/* The scrub's report, shared by "scrub" and "check". */
#include <stdlib.h>
#include <string.h>

#include "scrub-report.h"

static const char *key_path(const struct vhive_key_report *k, char *buf, size_t size)
{
        if (k->is_tcpip6)
                snprintf(buf, size, "Services\\Tcpip6\\Parameters");
        else if (k->is_interface)
                snprintf(buf, size, "Services\\Tcpip\\Parameters\\Interfaces\\%s", k->name);
        else
                snprintf(buf, size, "Services\\Tcpip\\Parameters");
        return buf;
}

static const char *delete_word(bool check, bool dry_run)
{
        return check ? "stale" : (dry_run ? "would delete" : "deleted");
}

static void print_values(const char *target, const struct vhive_cs_report *cr, bool check,
                         bool dry_run)
{
        char path[512];

        for (size_t k = 0; k < cr->n_keys; k++) {
                const struct vhive_key_report *kr = &cr->keys[k];

                for (size_t v = 0; v < kr->n_values; v++) {
                        const struct vhive_value_report *vr = &kr->values[v];
                        const char *type = vr->type >= 0 ? vhive_type_name(vr->type) : "";

                        key_path(kr, path, sizeof(path));
                        if (vr->action == VHIVE_ACTION_BLANKED)
                                printf("%s: %s %s\\%s\\%s = \"%s\" (%s)\n", target,
                                       check ? "stale" : "blank", cmd_esc(cr->cs.name),
                                       cmd_esc(path), cmd_esc(vr->name), cmd_esc(vr->old_text),
                                       type);
                        else if (vr->action == VHIVE_ACTION_DELETED)
                                printf("%s: %s %s\\%s\\%s = \"%s\" (%s)\n", target,
                                       delete_word(check, dry_run), cmd_esc(cr->cs.name),
                                       cmd_esc(path), cmd_esc(vr->name), cmd_esc(vr->old_text),
                                       type);
                        else if (vr->action == VHIVE_ACTION_KEPT)
                                printf("%s: kept %s\\%s\\%s = \"%s\" (static interface)\n", target,
                                       cmd_esc(cr->cs.name), cmd_esc(path), cmd_esc(vr->name),
                                       cmd_esc(vr->old_text));
                }
        }
}

static void print_hive_state(const char *target, const struct vhive_job_result *r)
{
        if (r->state.replay_failed)
                printf("%s: hive is dirty (sequence %u/%u) and cannot be replayed (%s): "
                       "reporting the file as it is; Windows may see other values\n",
                       target, r->state.header.seq_primary, r->state.header.seq_secondary,
                       cmd_esc(r->state.replay_error));
        else if (r->state.dirty)
                printf("%s: hive is dirty (sequence %u/%u): reporting the state after "
                       "replaying %u log entries\n",
                       target, r->state.header.seq_primary, r->state.header.seq_secondary,
                       r->state.replay.entries_applied);
        if (r->is_image)
                printf("%s: %s image, Windows on %s, hive %s\n", target, r->image.label,
                       r->root.device, r->hive_path);
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

static void print_text(const char *target, const struct vhive_scrub_job *c,
                       const struct vhive_job_result *r, bool check, bool dry_run)
{
        print_hive_state(target, r);
        for (size_t i = 0; i < c->rep.n_sets; i++)
                print_values(target, &c->rep.sets[i], check, dry_run);
        for (size_t i = 0; i < c->rep.n_sets; i++) {
                const struct vhive_cs_report *cr = &c->rep.sets[i];
                size_t ifaces = 0;
                char roles[64];

                for (size_t k = 0; k < cr->n_keys; k++)
                        ifaces += cr->keys[k].is_interface && !cr->keys[k].is_tcpip6;
                vhive_controlset_roles(&cr->cs, true, roles, sizeof(roles));
                printf("%s: %s%s%s%s: %zu interfaces\n", target, cmd_esc(cr->cs.name),
                       *roles ? " (" : "", roles, *roles ? ")" : "", ifaces);
        }
        printf("%s: %u %s, %u already blank, %u absent, %u kept", target,
               c->rep.counts[VHIVE_ACTION_BLANKED],
               check ? "stale" : (dry_run ? "to blank" : "blanked"),
               c->rep.counts[VHIVE_ACTION_ALREADY_BLANK], c->rep.counts[VHIVE_ACTION_ABSENT],
               c->rep.counts[VHIVE_ACTION_KEPT]);
        /* Only the dhcpv6 profile deletes: other output stays as it was. */
        if (c->opts.profile & VHIVE_PROFILE_DHCPV6)
                printf(", %u %s", c->rep.counts[VHIVE_ACTION_DELETED],
                       check || dry_run ? "to delete" : "deleted");
        printf(": %s\n", outcome(r, check, dry_run));
}

static int print_json(const char *command, struct vhive_scrub_job *ctx,
                      const struct vhive_job_result *res, const struct cmd_opts *o, int exit_code)
{
        json_t *list = json_array();
        char profile[64];

        for (size_t i = 0; i < o->n_targets; i++)
                json_array_append_new(list,
                                      vhive_json_scrub_target(o->targets[i], &res[i], &ctx[i]));
        return cmd_print_json(
                vhive_json_document(
                        command,
                        json_pack("{s:s, s:b}", "profile",
                                  vhive_profile_format(o->scrub.profile, profile, sizeof(profile)),
                                  "dry_run", o->run.dry_run),
                        list, exit_code),
                exit_code);
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
        int exit_code;

        for (size_t i = 0; i < n; i++) {
                ctx[i].opts = o->scrub;
                ctxs[i] = &ctx[i];
        }
        exit_code = cmd_run_job(check ? &vhive_check_op : &vhive_scrub_op, o->targets, n, ctxs, o,
                                res);
        exit_code = unknown_state_exit(res, n, check, exit_code);
        for (size_t i = 0; i < n; i++) {
                if (check && exit_code == VHIVE_EXIT_OK && res[i].changed)
                        exit_code = VHIVE_EXIT_STALE;
                if (!o->json && res[i].status == 0)
                        print_text(o->targets[i], &ctx[i], &res[i], check, o->run.dry_run);
        }
        if (o->json)
                exit_code = print_json(command, ctx, res, o, exit_code);
        for (size_t i = 0; i < n; i++)
                vhive_scrub_report_free(&ctx[i].rep);
        free(ctx);
        free(ctxs);
        free(res);
        return exit_code;
}
