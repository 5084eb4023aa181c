/* CurrentControlSet is not in the file: Select\Current names it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive.h"
#include "macro.h"

static int read_select_current(hive_h *h, uint32_t *current, struct vhive_error *err)
{
        hive_node_h select;
        hive_value_h v;
        hive_type t;
        size_t len;
        int r = vhive_child(h, hivex_root(h), "Select", &select, err);

        if (r < 0)
                return r;
        if (select == 0)
                return vhive_fail(err, ENOENT, "no Select key: this is not a SYSTEM hive");
        errno = 0;
        v = hivex_node_get_value(h, select, "Current");
        if (v == 0)
                return vhive_fail(err, errno ? errno : ENOENT,
                                  "Select\\Current is missing: cannot tell the current "
                                  "control set");
        if (hivex_value_type(h, v, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
                return vhive_fail(err, EINVAL, "Select\\Current is not a REG_DWORD");
        *current = (uint32_t)hivex_value_dword(h, v);
        return 0;
}

int vhive_controlset_current(hive_h *h, struct vhive_controlset *cs, struct vhive_error *err)
{
        uint32_t current = 0;
        int r = read_select_current(h, &current, err);

        if (r < 0)
                return r;
        if (current == 0 || current > 999)
                return vhive_fail(err, ENOENT, "Select\\Current is %u: no such control set",
                                  current);
        snprintf(cs->name, sizeof(cs->name), "ControlSet%03u", current);
        r = vhive_child(h, hivex_root(h), cs->name, &cs->node, err);
        if (r < 0)
                return r;
        if (cs->node == 0)
                return vhive_fail(err, ENOENT,
                                  "Select\\Current names %s, which the hive does not have",
                                  cs->name);
        cs->number = current;
        cs->current = true;
        /* Keep the spelling the hive uses. */
        _cleanup_free_ char *real = hivex_node_name(h, cs->node);
        if (real)
                snprintf(cs->name, sizeof(cs->name), "%s", real);
        return 0;
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

int vhive_controlset_list(hive_h *h, struct vhive_controlset **list, struct vhive_error *err)
{
        struct vhive_controlset current;
        _cleanup_free_ hive_node_h *children = NULL;
        struct vhive_controlset *out;
        size_t n = 0, cap = 0;
        int r = vhive_controlset_current(h, &current, err);

        if (r < 0)
                return r;
        children = hivex_node_children(h, hivex_root(h));
        if (!children)
                return vhive_fail(err, errno, "listing the root key: %s", strerror(errno));
        while (children[cap])
                cap++;
        out = calloc(cap ? cap : 1, sizeof(*out));
        if (!out)
                return vhive_fail(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < cap; i++) {
                _cleanup_free_ char *name = hivex_node_name(h, children[i]);
                unsigned num = name ? controlset_number(name) : 0;

                if (num == 0)
                        continue;
                out[n].number = num;
                out[n].node = children[i];
                out[n].current = num == current.number;
                snprintf(out[n].name, sizeof(out[n].name), "%s", name);
                n++;
        }
        qsort(out, n, sizeof(*out), by_number);
        *list = out;
        return (int)n;
}
