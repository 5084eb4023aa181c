/* Key lookup over hivex, telling "absent" from "failed". */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "vhive.h"

int vhive_child(hive_h *h, hive_node_h parent, const char *name,
                hive_node_h *node, struct vhive_error *err)
{
        /* hivex returns 0 for both absent and error; only errno tells. */
        errno = 0;
        *node = hivex_node_get_child(h, parent, name);
        if (*node == 0 && errno != 0)
                return vhive_fail(err, errno, "reading key %s: %s", name, strerror(errno));
        return 0;
}

int vhive_lookup(hive_h *h, hive_node_h parent, const char *path,
                 hive_node_h *node, struct vhive_error *err)
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
