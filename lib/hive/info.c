/* What "info" shows of a hive: its logs, control sets and interfaces, as
 * an operation any job runs on a hive file or on the SYSTEM of an image. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "macro.h"
#include "safe-file.h"

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

static int read_iface(hive_h *h, hive_node_h node, struct vhive_interface *f)
{
        f->name = hivex_node_name(h, node);
        f->dhcp = vhive_interface_dhcp(h, node, &f->enable_dhcp);
        f->address = value_text(h, node,
                                f->dhcp == VHIVE_DHCP_STATIC ? "IPAddress" : "DhcpIPAddress");
        return f->name ? 0 : -ENOMEM;
}

static int read_interfaces(hive_h *h, struct vhive_info *c, struct vhive_error *err)
{
        struct vhive_controlset cs;
        _cleanup_free_ hive_node_h *kids = NULL;
        hive_node_h ifaces;
        size_t n = 0;
        int r = vhive_controlset_current(h, &cs, err);

        if (r == 0)
                r = vhive_lookup(h, cs.node, "Services\\Tcpip\\Parameters\\Interfaces", &ifaces,
                                 err);
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
static void describe_logs(struct vhive_session *s, struct vhive_info *c)
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
        struct vhive_info *c = ctx;
        struct vhive_error cs_err;

        (void)apply;
        *changed = false;
        for (int i = 0; i < 2; i++)
                if (s->logs[i])
                        c->log_names[i] = strdup(basename(s->logs[i]));
        if (s->state.replayed)
                c->logs = s->state.replay;
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

const struct vhive_op vhive_info_op = { .writes = false, .step = "reading", .run = run };

void vhive_info_free(struct vhive_info *c)
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
