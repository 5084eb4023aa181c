/* vhive info: the hive's state, its logs, control sets and interfaces. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "common.h"
#include "report.h"

struct iface {
        char *name;
        int enable_dhcp; /* -1 when the value is absent */
        char *address;   /* DhcpIPAddress, or the first IPAddress of a static one */
};

struct info_ctx {
        char *log_names[2];
        struct vhive_replay_result logs;
        struct vhive_controlset *sets;
        int n_sets;
        char sets_error[1024];
        struct iface *ifaces;
        size_t n_ifaces;
};

static char *value_text(hive_h *h, hive_node_h node, const char *name)
{
        hive_value_h v = hivex_node_get_value(h, node, name);
        _cleanup_free_ char *data = NULL;
        hive_type t;
        size_t len;

        if (!v || !(data = hivex_value_value(h, v, &t, &len)))
                return NULL;
        return vhive_value_to_text(t, data, len);
}

static int read_iface(hive_h *h, hive_node_h node, struct iface *f)
{
        _cleanup_free_ char *dhcp = value_text(h, node, "EnableDHCP");

        f->name = hivex_node_name(h, node);
        f->enable_dhcp = dhcp ? atoi(dhcp) : -1;
        f->address = value_text(h, node, f->enable_dhcp == 0 ? "IPAddress" : "DhcpIPAddress");
        return f->name ? 0 : -ENOMEM;
}

static int read_interfaces(hive_h *h, struct info_ctx *c, struct vhive_error *err)
{
        struct vhive_controlset cs;
        _cleanup_free_ hive_node_h *kids = NULL;
        hive_node_h ifaces;
        size_t n = 0;
        int r = vhive_controlset_current(h, &cs, err);

        if (r == 0)
                r = vhive_lookup(h, cs.node, "Services\\Tcpip\\Parameters\\Interfaces",
                                 &ifaces, err);
        if (r < 0 || ifaces == 0)
                return r;
        kids = hivex_node_children(h, ifaces);
        if (!kids)
                return vhive_fail(err, errno, "listing Interfaces: %s", strerror(errno));
        while (kids[n])
                n++;
        c->ifaces = calloc(n ? n : 1, sizeof(*c->ifaces));
        if (!c->ifaces)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (; c->n_ifaces < n; c->n_ifaces++)
                if (read_iface(h, kids[c->n_ifaces], &c->ifaces[c->n_ifaces]) < 0)
                        return vhive_fail(err, ENOMEM, "out of memory");
        return 0;
}

/* A clean hive's logs are described without replaying anything; of the
 * primary only the base block counts. */
static void describe_logs(struct vhive_session *s, struct info_ctx *c)
{
        uint8_t base[VHIVE_REGF_BASE_BLOCK];
        uint8_t *logs[2] = { NULL, NULL };
        size_t len[2] = { 0, 0 };
        struct vhive_error ignored;
        ssize_t n = -1;
        int fd = open(s->primary, O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
                n = pread(fd, base, sizeof(base), 0);
                close(fd);
        }
        for (int i = 0; i < 2; i++)
                if (s->logs[i])
                        vhive_read_file_nofollow(s->logs[i], &logs[i], &len[i], &ignored);
        vhive_logs_describe(base, n > 0 ? (size_t)n : 0, logs[0], len[0], logs[1], len[1],
                            &c->logs);
        free(logs[0]);
        free(logs[1]);
}

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct info_ctx *c = ctx;
        struct vhive_error cs_err;

        (void)apply;
        *changed = false;
        for (int i = 0; i < 2; i++)
                if (s->logs[i])
                        c->log_names[i] = strdup(basename(s->logs[i]));
        if (s->replayed)
                c->logs = s->replay;
        else
                describe_logs(s, c);
        c->n_sets = vhive_controlset_list(s->h, &c->sets, &cs_err);
        if (c->n_sets < 0) {
                /* Not a SYSTEM hive, or Select is broken: say so, go on. */
                snprintf(c->sets_error, sizeof(c->sets_error), "%s", cs_err.msg);
                return 0;
        }
        return read_interfaces(s->h, c, err);
}

static const struct vhive_op info_op = { .writes = false, .run = run };

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

static void print_logs(const char *t, const struct info_ctx *c)
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

static void print_text(const char *t, const struct info_ctx *c, const struct vhive_job_result *r)
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
                const struct iface *f = &c->ifaces[i];

                printf("%s: interface %s: %s%s%s\n", t, cmd_esc(f->name),
                       f->enable_dhcp == 0  ? "static"
                       : f->enable_dhcp > 0 ? "DHCP"
                                            : "no EnableDHCP",
                       f->address && *f->address ? ", address " : "",
                       f->address && *f->address ? cmd_esc(f->address) : "");
        }
}

static json_t *info_json(const char *t, const struct info_ctx *c, const struct vhive_job_result *r)
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
                                                     "enable_dhcp", c->ifaces[i].enable_dhcp,
                                                     "address", c->ifaces[i].address));
        json_object_set_new(o, "controlsets", sets);
        if (c->n_sets < 0)
                json_object_set_new(o, "controlsets_error", json_string(c->sets_error));
        json_object_set_new(o, "interfaces", ifs);
        return o;
}

static void free_ctx(struct info_ctx *c)
{
        for (size_t i = 0; i < c->n_ifaces; i++) {
                free(c->ifaces[i].name);
                free(c->ifaces[i].address);
        }
        free(c->ifaces);
        free(c->sets);
        free(c->log_names[0]);
        free(c->log_names[1]);
}

static const struct option long_options[] = { COMMON_LONG_OPTIONS, { NULL, 0, NULL, 0 } };

static int help(void)
{
        printf("Usage: vhive info [OPTIONS] TARGET...\n"
               "Show a hive's state: clean or dirty, sequence numbers, transaction logs and\n"
               "which entries would apply, control sets, interfaces; for images also the\n"
               "format, partition and Windows root.  Writes nothing.\n\n"
               "Options: --json, --format FMT, --root DEVICE, --backend B, -v, -h\n");
        return VHIVE_EXIT_OK;
}

static int report(char **targets, size_t n, struct info_ctx *ctx,
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
        int code = cmd_parse_options("info", argc, argv, COMMON_SHORT, long_options, &o, NULL,
                                     NULL, help);

        if (code >= 0)
                return code;
        if (optind >= argc)
                return cmd_usage_error("info", "no TARGET given");
        o.job.dry_run = true;

        size_t n = argc - optind;
        struct info_ctx *ctx = calloc(n, sizeof(*ctx));
        void **ctxs = calloc(n, sizeof(*ctxs));
        struct vhive_job_result *res = calloc(n, sizeof(*res));

        if (!ctx || !ctxs || !res)
                return VHIVE_EXIT_FAIL;
        for (size_t i = 0; i < n; i++)
                ctxs[i] = &ctx[i];
        code = cmd_run_job(&info_op, argv + optind, n, ctxs, &o, res);
        report(argv + optind, n, ctx, res, &o, code);
        for (size_t i = 0; i < n; i++)
                free_ctx(&ctx[i]);
        free(ctx);
        free(ctxs);
        free(res);
        return code;
}
