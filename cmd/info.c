/* vhive info: the hive's state, its logs, control sets and interfaces. */
#include <stdlib.h>

#include "cmds.h"
#include "common.h"

static const char *log_format(enum vhive_log_format f)
{
        switch (f) {
        case VHIVE_LOG_NEW:
                return "new format (HvLE)";
        case VHIVE_LOG_OLD:
                return "old format (DIRT)";
        case VHIVE_LOG_NONE:
                return "empty";
        default:
                return "not a valid log";
        }
}

static void print_state(const char *t, const struct vhive_job_result *r)
{
        if (r->is_image)
                printf("%s: image: %s; Windows on %s (%s, %s); hive %s\n", t, r->image.label,
                       r->root.device, r->root.partition, r->root.fs_type, r->hive_path);
        printf("%s: hive: %s (sequence %u/%u, checksum %s)\n", t,
               r->state.dirty ? "dirty" : "clean", r->state.header.seq_primary,
               r->state.header.seq_secondary, r->state.header.checksum_ok ? "valid" : "wrong");
        if (r->state.replay_failed)
                printf("%s: the logs cannot be replayed: %s\n", t, cmd_esc(r->state.replay_error));
        else if (r->state.dirty)
                printf("%s: replaying the logs applies %u entries, up to sequence %u\n", t,
                       r->state.replay.entries_applied, r->state.replay.final_seq);
}

static void print_logs(const char *t, const struct vhive_info *c)
{
        for (int i = 0; i < 2; i++) {
                const struct vhive_log_info *l = &c->logs.log[i];

                if (!c->log_names[i]) {
                        printf("%s: LOG%d: absent\n", t, i + 1);
                        continue;
                }
                printf("%s: %s: %s", t, c->log_names[i],
                       l->ignored   ? "invalid base block (ignored, as Windows does)"
                       : l->damaged ? "damaged (not readable as a log)"
                                    : log_format(l->format));
                if (l->format == VHIVE_LOG_NEW || l->format == VHIVE_LOG_OLD)
                        printf(", %u entries (sequence %u-%u), %s, %u would apply", l->entries,
                               l->first_seq, l->last_seq, l->eligible ? "eligible" : "not eligible",
                               l->applied);
                putchar('\n');
        }
}

static const char *dhcp_text(const struct vhive_interface *f)
{
        switch (f->dhcp) {
        case VHIVE_DHCP_STATIC:
                return "static";
        case VHIVE_DHCP_ENABLED:
                return "DHCP";
        case VHIVE_DHCP_NOT_DWORD:
                return "EnableDHCP is not a REG_DWORD (Windows ignores it)";
        default:
                return "no EnableDHCP";
        }
}

static void print_text(const char *t, const struct vhive_info *c, const struct vhive_job_result *r)
{
        print_state(t, r);
        print_logs(t, c);
        if (c->n_sets < 0) {
                printf("%s: control sets: %s\n", t, cmd_esc(c->sets_error));
                return;
        }
        for (int i = 0; i < c->n_sets; i++) {
                char roles[64];

                vhive_controlset_roles(&c->sets[i], false, roles, sizeof(roles));
                printf("%s: %s%s%s%s\n", t, cmd_esc(c->sets[i].name), *roles ? " (" : "", roles,
                       *roles ? ")" : "");
        }
        for (size_t i = 0; i < c->n_ifaces; i++) {
                const struct vhive_interface *f = &c->ifaces[i];

                printf("%s: interface %s: %s%s%s\n", t, cmd_esc(f->name), dhcp_text(f),
                       f->address && *f->address ? ", address " : "",
                       f->address && *f->address ? cmd_esc(f->address) : "");
        }
}

static const struct cmd_text text = {
        .name = "info",
        .usage = "Usage: vhive info [OPTIONS] TARGET...\n"
                 "Show a hive's state: clean or dirty, sequence numbers, transaction logs and\n"
                 "which entries would apply, control sets, interfaces; for images also the\n"
                 "format, partition and Windows root.  Writes nothing.\n",
        .exit_status = "0 success, 2 failure.",
        .many_targets = true,
};

static int report(struct vhive_info *ctx, const struct vhive_job_result *res,
                  const struct cmd_opts *o, int code)
{
        json_t *list = json_array();

        for (size_t i = 0; i < o->n_targets; i++) {
                if (o->json)
                        json_array_append_new(
                                list, vhive_json_info_target(o->targets[i], &res[i], &ctx[i]));
                else if (res[i].status == 0)
                        print_text(o->targets[i], &ctx[i], &res[i]);
        }
        if (o->json)
                return cmd_print_json(vhive_json_document("info", NULL, list, code), code);
        json_decref(list);
        return code;
}

int cmd_info(int argc, char **argv)
{
        struct cmd_opts o = { 0 };
        int code = cmd_parse_options(CMD_INFO, &text, argc, argv, &o);
        struct vhive_info *ctx;
        struct vhive_job_result *res;
        void **ctxs;

        if (code >= 0)
                return code;
        o.run.dry_run = true;
        ctx = cmd_calloc(o.n_targets, sizeof(*ctx));
        ctxs = cmd_calloc(o.n_targets, sizeof(*ctxs));
        res = cmd_calloc(o.n_targets, sizeof(*res));
        for (size_t i = 0; i < o.n_targets; i++)
                ctxs[i] = &ctx[i];
        code = cmd_run_job(&vhive_info_op, o.targets, o.n_targets, ctxs, &o, res);
        code = report(ctx, res, &o, code);
        for (size_t i = 0; i < o.n_targets; i++)
                vhive_info_free(&ctx[i]);
        free(ctx);
        free(ctxs);
        free(res);
        return code;
}
