/* CurrentControlSet is not in the file: Select\Current names it, the set
 * the running system used.  Offline what matters is the next boot, which
 * loads Select\Default (KB102984; Windows 7 Resource Kit, "Control Sets":
 * the boot loader uses Default unless Last Known Good is chosen at boot). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive.h"
#include "macro.h"

/* The Select values that name control sets; 0 where the hive names none. */
struct select_values {
        uint32_t current, deflt, last_known_good, failed;
};

/* A REG_DWORD of Select into *out; 1 when present, 0 when absent. */
static int select_dword(const struct vhive_reader *rd, hive_node_h select, const char *name,
                        uint32_t *out, struct vhive_error *err)
{
        hive_value_h v;
        hive_type t;
        size_t len;

        errno = 0;
        v = rd->ops->get_value(rd, select, name);
        if (v == 0)
                return errno ? vhive_fail(err, errno, "reading Select\\%s: %s", name,
                                          strerror(errno))
                             : 0;
        if (rd->ops->value_type(rd, v, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
                return vhive_fail(err, EINVAL, "Select\\%s is not a REG_DWORD", name);
        *out = vhive_rd_dword(rd, v);
        return 1;
}

/* Current is required.  A hive without Default boots its Current (nothing
 * else could be meant); LastKnownGood and Failed only label sets, so a
 * broken one is ignored rather than failing a scrub. */
static int read_select(const struct vhive_reader *rd, struct select_values *sv,
                       struct vhive_error *err)
{
        struct vhive_error ignored;
        hive_node_h select;
        int r = vhive_rd_child(rd, rd->ops->root(rd), "Select", &select, err);

        memset(sv, 0, sizeof(*sv));
        if (r < 0)
                return r;
        if (select == 0)
                return vhive_fail(err, ENOENT, "no Select key: this is not a SYSTEM hive");
        r = select_dword(rd, select, "Current", &sv->current, err);
        if (r == 0)
                return vhive_fail(err, ENOENT,
                                  "Select\\Current is missing: cannot tell the current "
                                  "control set");
        if (r > 0)
                r = select_dword(rd, select, "Default", &sv->deflt, err);
        if (r == 0)
                sv->deflt = sv->current;
        if (r < 0)
                return r;
        if (select_dword(rd, select, "LastKnownGood", &sv->last_known_good, &ignored) < 0)
                sv->last_known_good = 0;
        if (select_dword(rd, select, "Failed", &sv->failed, &ignored) < 0)
                sv->failed = 0;
        return 0;
}

static void mark_roles(struct vhive_controlset *cs, const struct select_values *sv)
{
        cs->current = cs->number == sv->current;
        cs->next_boot = cs->number == sv->deflt;
        cs->last_known_good = cs->number == sv->last_known_good;
        cs->failed = cs->number == sv->failed;
}

/* Select\<which> = number -> that ControlSetNNN, spelt as in the hive. */
static int resolve(const struct vhive_reader *rd, const char *which, uint32_t number,
                   const struct select_values *sv, struct vhive_controlset *cs,
                   struct vhive_error *err)
{
        int r;

        memset(cs, 0, sizeof(*cs));
        if (number == 0 || number > 999)
                return vhive_fail(err, ENOENT, "Select\\%s is %u: no such control set", which,
                                  number);
        snprintf(cs->name, sizeof(cs->name), "ControlSet%03u", number);
        r = vhive_rd_child(rd, rd->ops->root(rd), cs->name, &cs->node, err);
        if (r < 0)
                return r;
        if (cs->node == 0)
                return vhive_fail(err, ENOENT, "Select\\%s names %s, which the hive does not have",
                                  which, cs->name);
        cs->number = number;
        mark_roles(cs, sv);
        /* Keep the spelling the hive uses. */
        _cleanup_free_ char *real = rd->ops->name(rd, cs->node);
        if (real)
                snprintf(cs->name, sizeof(cs->name), "%s", real);
        return 0;
}

int vhive_controlset_current(hive_h *h, struct vhive_controlset *cs, struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);
        struct select_values sv;
        int r = read_select(&rd, &sv, err);

        return r < 0 ? r : resolve(&rd, "Current", sv.current, &sv, cs, err);
}

int vhive_rd_controlset_boot(const struct vhive_reader *rd, struct vhive_controlset sets[2],
                             struct vhive_error *err)
{
        struct select_values sv;
        int r = read_select(rd, &sv, err);

        if (r == 0)
                r = resolve(rd, "Current", sv.current, &sv, &sets[0], err);
        if (r < 0)
                return r;
        if (sv.deflt == sv.current)
                return 1;
        r = resolve(rd, "Default", sv.deflt, &sv, &sets[1], err);
        if (r < 0)
                return r;
        if (sets[1].number < sets[0].number) {
                struct vhive_controlset tmp = sets[0];

                sets[0] = sets[1];
                sets[1] = tmp;
        }
        return 2;
}

int vhive_controlset_boot(hive_h *h, struct vhive_controlset sets[2], struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);

        return vhive_rd_controlset_boot(&rd, sets, err);
}

int vhive_controlset_ccs(hive_h *h, struct vhive_controlset *cs, struct vhive_error *err)
{
        struct vhive_controlset sets[2];
        int n = vhive_controlset_boot(h, sets, err);

        if (n < 0)
                return n;
        if (n == 2)
                return vhive_fail(err, EINVAL,
                                  "CurrentControlSet is ambiguous in this hive: Select\\Current "
                                  "is %u but Select\\Default, which the next boot loads, is %u; "
                                  "name %s or %s explicitly",
                                  sets[0].current ? sets[0].number : sets[1].number,
                                  sets[0].current ? sets[1].number : sets[0].number, sets[0].name,
                                  sets[1].name);
        *cs = sets[0];
        return 0;
}

const char *vhive_controlset_roles(const struct vhive_controlset *cs, bool boot_only, char *buf,
                                   size_t size)
{
        const char *roles[4];
        size_t n = 0, used = 0;

        if (cs->current)
                roles[n++] = "current";
        if (cs->next_boot && !cs->current)
                roles[n++] = "default";
        if (cs->last_known_good && !boot_only)
                roles[n++] = "last known good";
        if (cs->failed && !boot_only)
                roles[n++] = "failed";
        if (size)
                buf[0] = '\0';
        for (size_t i = 0; i < n && used < size; i++) {
                int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", roles[i]);

                used += w > 0 ? (size_t)w : 0;
        }
        return buf;
}

/* "ControlSetNNN" (any case, exactly three digits) -> NNN, else 0. */
static unsigned controlset_number(const char *name)
{
        if (strlen(name) != 13 || strncasecmp(name, "ControlSet", 10) != 0)
                return 0;
        for (int i = 10; i < 13; i++)
                if (name[i] < '0' || name[i] > '9')
                        return 0;
        return (unsigned)atoi(name + 10);
}

static int by_number(const void *a, const void *b)
{
        const struct vhive_controlset *x = a, *y = b;

        return (x->number > y->number) - (x->number < y->number);
}

int vhive_rd_controlset_list(const struct vhive_reader *rd, struct vhive_controlset **list,
                             struct vhive_error *err)
{
        struct vhive_controlset boot[2];
        struct select_values sv;
        _cleanup_free_ hive_node_h *children = NULL;
        struct vhive_controlset *out;
        size_t n = 0, cap = 0;
        /* The boot sets must resolve: a list that cannot say which is
         * current (or which boots next) would mislead. */
        int r = vhive_rd_controlset_boot(rd, boot, err);

        if (r < 0 || (r = read_select(rd, &sv, err)) < 0)
                return r;
        children = rd->ops->children(rd, rd->ops->root(rd));
        if (!children)
                return vhive_fail(err, errno, "listing the root key: %s", strerror(errno));
        while (children[cap])
                cap++;
        out = calloc(cap ? cap : 1, sizeof(*out));
        if (!out)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < cap; i++) {
                _cleanup_free_ char *name = rd->ops->name(rd, children[i]);
                unsigned num = name ? controlset_number(name) : 0;

                if (num == 0)
                        continue;
                out[n].number = num;
                out[n].node = children[i];
                mark_roles(&out[n], &sv);
                snprintf(out[n].name, sizeof(out[n].name), "%s", name);
                n++;
        }
        qsort(out, n, sizeof(*out), by_number);
        *list = out;
        return (int)n;
}

int vhive_controlset_list(hive_h *h, struct vhive_controlset **list, struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);

        return vhive_rd_controlset_list(&rd, list, err);
}
