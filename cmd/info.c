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
        printf("%s: hive: %s (sequence %u/%u, checksum %s)\n", t, r->dirty ? "dirty" : "clean",
               r->header.seq_primary, r->header.seq_secondary,
               r->header.checksum_ok ? "valid" : "wrong");
        if (r->replay_failed)
                printf("%s: the logs cannot be replayed: %s\n", t, cmd_esc(r->replay_error));
        else if (r->dirty)
                printf("%s: replaying the logs applies %u entries, up to sequence %u\n", t,
                       r->replay.entries_applied, r->replay.final_seq);
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
                       l->damaged ? "damaged (not readable as a log)" : log_format(l->format));
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
        for (int i = 0; i < c->n_sets; i++)
                printf("%s: %s%s\n", t, cmd_esc(c->sets[i].name),
                       c->sets[i].current ? " (current)" : "");
        for (size_t i = 0; i < c->n_ifaces; i++) {
                const struct vhive_interface *f = &c->ifaces[i];

                printf("%s: interface %s: %s%s%s\n", t, cmd_esc(f->name), dhcp_text(f),
                       f->address && *f->address ? ", address " : "",
                       f->address && *f->address ? cmd_esc(f->address) : "");
        }
}

/* The DWORD, or -1 when absent or of another type (Windows ignores it). */
static int enable_dhcp_json(const struct vhive_interface *f)
{
        if (f->dhcp == VHIVE_DHCP_STATIC || f->dhcp == VHIVE_DHCP_ENABLED)
                return (int)f->enable_dhcp;
        return -1;
}

static json_t *info_json(const char *t, const struct vhive_info *c,
                         const struct vhive_job_result *r)
{
        json_t *o = vhive_json_job_result(t, r), *sets = json_array(), *ifs = json_array();

        if (r->status < 0)
                return o;
        json_object_set_new(o, "logs", vhive_json_replay(&c->logs));
        for (int i = 0; i < c->n_sets; i++)
                json_array_append_new(sets, json_pack("{s:s, s:i, s:b}", "name", c->sets[i].name,
                                                      "number", (int)c->sets[i].number, "current",
                                                      c->sets[i].current));
        for (size_t i = 0; i < c->n_ifaces; i++)
                json_array_append_new(ifs, json_pack("{s:s, s:i, s:s?}", "key", c->ifaces[i].name,
                                                     "enable_dhcp", enable_dhcp_json(&c->ifaces[i]),
                                                     "address", c->ifaces[i].address));
        json_object_set_new(o, "controlsets", sets);
        if (c->n_sets < 0)
                json_object_set_new(o, "controlsets_error", json_string(c->sets_error));
        json_object_set_new(o, "interfaces", ifs);
        return o;
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

static int report(char **targets, size_t n, struct vhive_info *ctx,
                  const struct vhive_job_result *res, const struct cmd_opts *o, int code)
{
        json_t *list = json_array();

        for (size_t i = 0; i < n; i++) {
                if (o->json)
                        json_array_append_new(list, info_json(targets[i], &ctx[i], &res[i]));
                else if (res[i].status == 0)
                        print_text(targets[i], &ctx[i], &res[i]);
        }
        if (o->json) {
                json_t *doc = json_pack("{s:s, s:o, s:i}", "command", "info", "targets", list,
                                        "exit_code", code);

                json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
                json_decref(doc);
        } else {
                json_decref(list);
        }
        return code;
}

int cmd_info(int argc, char **argv)
{
        struct cmd_opts o = { 0 };
        int code = cmd_parse_options(CMD_INFO, &text, argc, argv, &o);

        if (code >= 0)
                return code;
        if (optind >= argc)
                return cmd_usage_error("info", "no TARGET given");
        o.run.dry_run = true;

        size_t n = argc - optind;
        struct vhive_info *ctx = calloc(n, sizeof(*ctx));
        void **ctxs = calloc(n, sizeof(*ctxs));
        struct vhive_job_result *res = calloc(n, sizeof(*res));

        if (!ctx || !ctxs || !res)
                return VHIVE_EXIT_FAIL;
        for (size_t i = 0; i < n; i++)
                ctxs[i] = &ctx[i];
        code = cmd_run_job(&vhive_info_op, argv + optind, n, ctxs, &o, res);
        report(argv + optind, n, ctx, res, &o, code);
        for (size_t i = 0; i < n; i++)
                vhive_info_free(&ctx[i]);
        free(ctx);
        free(ctxs);
        free(res);
        return code;
}
