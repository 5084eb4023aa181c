/* Key lookup over a reader (hivex's, or the lazy one), telling "absent"
 * from "failed"; the reader over hivex; the one definition of a static
 * interface. */
#include <errno.h>
#include <string.h>

#include "hive.h"
#include "macro.h"

/* ---- the reader over hivex ---------------------------------------------- */

static hive_node_h hx_root(const struct vhive_reader *rd)
{
        return hivex_root(rd->h);
}

static hive_node_h *hx_children(const struct vhive_reader *rd, hive_node_h node)
{
        return hivex_node_children(rd->h, node);
}

static hive_node_h hx_get_child(const struct vhive_reader *rd, hive_node_h node, const char *name)
{
        return hivex_node_get_child(rd->h, node, name);
}

static hive_node_h hx_parent(const struct vhive_reader *rd, hive_node_h node)
{
        return hivex_node_parent(rd->h, node);
}

static char *hx_name(const struct vhive_reader *rd, hive_node_h node)
{
        return hivex_node_name(rd->h, node);
}

static hive_value_h hx_get_value(const struct vhive_reader *rd, hive_node_h node, const char *name)
{
        return hivex_node_get_value(rd->h, node, name);
}

static char *hx_value_key(const struct vhive_reader *rd, hive_value_h v)
{
        return hivex_value_key(rd->h, v);
}

static int hx_value_type(const struct vhive_reader *rd, hive_value_h v, hive_type *t, size_t *len)
{
        return hivex_value_type(rd->h, v, t, len);
}

static char *hx_value_value(const struct vhive_reader *rd, hive_value_h v, hive_type *t,
                            size_t *len)
{
        return hivex_value_value(rd->h, v, t, len);
}

static const struct vhive_reader_ops hivex_ops = {
        .root = hx_root,
        .children = hx_children,
        .get_child = hx_get_child,
        .parent = hx_parent,
        .name = hx_name,
        .get_value = hx_get_value,
        .value_key = hx_value_key,
        .value_type = hx_value_type,
        .value_value = hx_value_value,
};

struct vhive_reader vhive_reader_hivex(hive_h *h)
{
        return (struct vhive_reader){ .ops = &hivex_ops, .h = h };
}

/* ---- lookups ------------------------------------------------------------ */

int vhive_rd_child(const struct vhive_reader *rd, hive_node_h parent, const char *name,
                   hive_node_h *node, struct vhive_error *err)
{
        /* hivex returns 0 for both absent and error; only errno tells. */
        errno = 0;
        *node = rd->ops->get_child(rd, parent, name);
        if (*node == 0 && errno != 0)
                return vhive_fail(err, errno, "reading key %s: %s", name, strerror(errno));
        if (*node)
                return vhive_rd_check_parent(rd, parent, *node, name, err);
        return 0;
}

int vhive_child(hive_h *h, hive_node_h parent, const char *name, hive_node_h *node,
                struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);

        return vhive_rd_child(&rd, parent, name, node, err);
}

int vhive_rd_check_parent(const struct vhive_reader *rd, hive_node_h parent, hive_node_h node,
                          const char *name, struct vhive_error *err)
{
        /* Every key records its parent; a subkey list naming a key whose
         * parent is elsewhere is a cycle or a shared list (damage, or a
         * hive made to loop a walker). */
        errno = 0;
        if (rd->ops->parent(rd, node) != parent)
                return vhive_fail(err, EUCLEAN,
                                  "the hive is damaged: key %s is listed under "
                                  "a key that is not its parent (a cycle or a shared subkey "
                                  "list)",
                                  name ? name : "?");
        return 0;
}

int vhive_check_parent(hive_h *h, hive_node_h parent, hive_node_h node, const char *name,
                       struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);

        return vhive_rd_check_parent(&rd, parent, node, name, err);
}

int vhive_rd_lookup(const struct vhive_reader *rd, hive_node_h parent, const char *path,
                    hive_node_h *node, struct vhive_error *err)
{
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (!copy)
                return vhive_fail(err, ENOMEM, "out of memory");
        *node = parent;
        for (char *c = strtok_r(copy, "\\", &save); c; c = strtok_r(NULL, "\\", &save)) {
                int r = vhive_rd_child(rd, *node, c, node, err);

                if (r < 0 || *node == 0)
                        return r;
        }
        return 0;
}

int vhive_lookup(hive_h *h, hive_node_h parent, const char *path, hive_node_h *node,
                 struct vhive_error *err)
{
        struct vhive_reader rd = vhive_reader_hivex(h);

        return vhive_rd_lookup(&rd, parent, path, node, err);
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

uint32_t vhive_rd_dword(const struct vhive_reader *rd, hive_value_h v)
{
        _cleanup_free_ char *data = NULL;
        hive_type t;
        size_t len;

        data = rd->ops->value_value(rd, v, &t, &len);
        if (!data || (t != hive_t_REG_DWORD && t != hive_t_REG_DWORD_BIG_ENDIAN) || len < 4)
                return UINT32_MAX;
        return t == hive_t_REG_DWORD ? vhive_le32((const uint8_t *)data)
                                     : vhive_be32((const uint8_t *)data);
}

enum vhive_dhcp vhive_rd_interface_dhcp(const struct vhive_reader *rd, hive_node_h iface,
                                        uint32_t *value)
{
        hive_value_h v = rd->ops->get_value(rd, iface, "EnableDHCP");
        hive_type t;
        size_t len;

        *value = 0;
        if (v == 0)
                return VHIVE_DHCP_ABSENT;
        /* Windows' TCP/IP reads EnableDHCP as a REG_DWORD; any other type
         * (a REG_SZ "0" written by a script) it ignores, and so do we. */
        if (rd->ops->value_type(rd, v, &t, &len) < 0 || t != hive_t_REG_DWORD || len != 4)
                return VHIVE_DHCP_NOT_DWORD;
        *value = vhive_rd_dword(rd, v);
        return *value == 0 ? VHIVE_DHCP_STATIC : VHIVE_DHCP_ENABLED;
}

enum vhive_dhcp vhive_interface_dhcp(hive_h *h, hive_node_h iface, uint32_t *value)
{
        struct vhive_reader rd = vhive_reader_hivex(h);

        return vhive_rd_interface_dhcp(&rd, iface, value);
}
