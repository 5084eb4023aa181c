/* Key lookup over hivex, telling "absent" from "failed"; the one
 * definition of a static interface. */
#include <errno.h>
#include <string.h>

#include "hive.h"
#include "macro.h"

int vhive_child(hive_h *h, hive_node_h parent, const char *name, hive_node_h *node,
                struct vhive_error *err)
{
        /* hivex returns 0 for both absent and error; only errno tells. */
        errno = 0;
        *node = hivex_node_get_child(h, parent, name);
        if (*node == 0 && errno != 0)
                return vhive_fail(err, errno, "reading key %s: %s", name, strerror(errno));
        if (*node)
                return vhive_check_parent(h, parent, *node, name, err);
        return 0;
}

int vhive_check_parent(hive_h *h, hive_node_h parent, hive_node_h node, const char *name,
                       struct vhive_error *err)
{
        /* Every key records its parent; a subkey list naming a key whose
         * parent is elsewhere is a cycle or a shared list (damage, or a
         * hive made to loop a walker). */
        errno = 0;
        if (hivex_node_parent(h, node) != parent)
                return vhive_fail(err, EUCLEAN,
                                  "the hive is damaged: key %s is listed under "
                                  "a key that is not its parent (a cycle or a shared subkey "
                                  "list)",
                                  name ? name : "?");
        return 0;
}

int vhive_lookup(hive_h *h, hive_node_h parent, const char *path, hive_node_h *node,
                 struct vhive_error *err)
{
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (!copy)
                return vhive_fail(err, ENOMEM, "out of memory");
        *node = parent;
        for (char *c = strtok_r(copy, "\\", &save); c; c = strtok_r(NULL, "\\", &save)) {
                int r = vhive_child(h, *node, c, node, err);

                if (r < 0 || *node == 0)
                        return r;
        }
        return 0;
}

static int cmp_offset(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;

        return (x > y) - (x < y);
}

/* hivex_node_set_values frees the key's old cells first: its value list,
 * every vk and every out-of-line data cell, asserting (abort) that each is
 * a used cell not freed already.  A damaged hive breaks that: a data
 * offset outside any cell, a vk listed twice, two values sharing a data
 * cell.  Check what the public API shows before letting hivex at it. */
int vhive_values_rewritable(hive_h *h, hive_node_h node, struct vhive_error *err)
{
        _cleanup_free_ hive_value_h *values = NULL;
        _cleanup_free_ size_t *cells = NULL;
        size_t n = 0, k = 0;

        errno = 0;
        values = hivex_node_values(h, node);
        if (!values)
                return vhive_fail(err, errno ? errno : EIO, "reading a key's values: %s",
                                  strerror(errno ? errno : EIO));
        while (values[n])
                n++;
        cells = malloc((2 * n + 1) * sizeof(*cells));
        if (!cells)
                return vhive_fail(err, ENOMEM, "out of memory");
        cells[k++] = node;
        for (size_t i = 0; i < n; i++) {
                size_t len;
                hive_value_h data;

                errno = 0;
                data = hivex_value_data_cell_offset(h, values[i], &len);
                if (data == 0 && errno != 0)
                        return vhive_fail(err, EUCLEAN,
                                          "the hive is damaged: a value's data "
                                          "lies outside any cell (%s); refusing to rewrite "
                                          "the key",
                                          strerror(errno));
                cells[k++] = values[i];
                if (data)
                        cells[k++] = data;
        }
        qsort(cells, k, sizeof(*cells), cmp_offset);
        for (size_t i = 1; i < k; i++)
                if (cells[i] == cells[i - 1])
                        return vhive_fail(err, EUCLEAN,
                                          "the hive is damaged: cell 0x%zx is "
                                          "used twice by a key's values; refusing to rewrite "
                                          "the key",
                                          cells[i]);
        /* The value list itself, and cells freed by earlier calls. */
        return vhive_cells_before_set_values(h, node, err);
}

enum vhive_dhcp vhive_interface_dhcp(hive_h *h, hive_node_h iface, uint32_t *value)
{
        hive_value_h v = hivex_node_get_value(h, iface, "EnableDHCP");
        hive_type t;
        size_t len;

        *value = 0;
        if (v == 0)
                return VHIVE_DHCP_ABSENT;
        /* Windows' TCP/IP reads EnableDHCP as a REG_DWORD; any other type
         * (a REG_SZ "0" written by a script) it ignores, and so do we. */
        if (hivex_value_type(h, v, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
                return VHIVE_DHCP_NOT_DWORD;
        *value = (uint32_t)hivex_value_dword(h, v);
        return *value == 0 ? VHIVE_DHCP_STATIC : VHIVE_DHCP_ENABLED;
}
