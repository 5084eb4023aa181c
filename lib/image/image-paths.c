/* The paths vhive reads and writes inside an image: the folders from the
 * volume's root to the config folder, the hive and its logs.  Each must be
 * a plain folder or file: a symbolic link, a junction or any other reparse
 * point could lead a read or a write to another file (another image's
 * SYSTEM, through the appliance), so it is refused, whatever it points to.
 * Both backends see the same kinds (lstat), so the refusals read alike.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image.h"

/* Messages name paths relative to the volume's root, as Windows shows them
 * under C:\. */
static const char *shown(const char *path)
{
        while (*path == '/')
                path++;
        return path;
}

static int refuse_kind(const char *path, enum vhive_node_kind kind, bool want_dir,
                       struct vhive_error *err)
{
        if (kind == VHIVE_NODE_LINK)
                return vhive_fail(err, ELOOP, VHIVE_LINK_REFUSED, shown(path));
        if (kind == VHIVE_NODE_DIR)
                return vhive_fail(err, EISDIR, "%s is a folder, not a file: refused", shown(path));
        if (kind == VHIVE_NODE_OTHER)
                return vhive_fail(err, EPERM,
                                  "%s is not a plain %s (a FIFO or device, as ntfs-3g shows "
                                  "Interix files): refused",
                                  shown(path), want_dir ? "folder" : "file");
        return vhive_fail(err, ENOTDIR, "%s is a file, not a folder: refused", shown(path));
}

static int check_node(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                      const char *path, enum vhive_node_kind want, struct vhive_node *node,
                      struct vhive_error *err)
{
        int r = ops->lstat(be, i, path, node, err);

        if (r < 0)
                return r;
        return node->kind == want ? 0 : refuse_kind(path, node->kind, want == VHIVE_NODE_DIR, err);
}

int vhive_image_check_dir(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                          const char *dir, struct vhive_error *err)
{
        char prefix[1024];
        struct vhive_node node;
        size_t len = strlen(dir);

        if (len >= sizeof(prefix))
                return vhive_fail(err, ENAMETOOLONG, "%s: path too long", shown(dir));
        for (size_t k = 1; k <= len; k++) {
                if (k < len && dir[k] != '/')
                        continue;
                if (dir[k - 1] == '/')
                        continue; /* "//" or a trailing '/' */
                memcpy(prefix, dir, k);
                prefix[k] = '\0';
                int r = check_node(be, ops, i, prefix, VHIVE_NODE_DIR, &node, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vhive_image_fetch_file(struct vhive_backend *be, const struct vhive_backend_ops *ops, size_t i,
                           const char *guest_path, const char *host_path, struct vhive_node *out,
                           struct vhive_error *err)
{
        struct vhive_node node;
        int r = check_node(be, ops, i, guest_path, VHIVE_NODE_FILE, &node, err);

        if (r < 0)
                return r;
        if (out)
                *out = node;
        /* Another name of a hive or log is another way to write it: a log
         * that is SOFTWARE's other name would overwrite SOFTWARE. */
        if (node.nlink > 1)
                return vhive_fail(err, EMLINK,
                                  "%s has %u names (hard links): a write to it would change "
                                  "another file: refused",
                                  shown(guest_path), (unsigned)node.nlink);
        if (node.size > VHIVE_IMAGE_HIVE_FILE_MAX)
                return vhive_fail(err, EFBIG,
                                  "%s is %llu bytes, more than a hive or its log can be (%llu): "
                                  "refused before copying it",
                                  shown(guest_path), (unsigned long long)node.size,
                                  (unsigned long long)VHIVE_IMAGE_HIVE_FILE_MAX);
        return host_path ? ops->download(be, i, guest_path, host_path, err) : 0;
}

int vhive_image_check_distinct(const char *const *paths, const struct vhive_node *nodes, size_t n,
                               struct vhive_error *err)
{
        for (size_t a = 0; a < n; a++)
                for (size_t b = a + 1; b < n && *paths[a]; b++)
                        if (*paths[b] && nodes[a].ino == nodes[b].ino)
                                return vhive_fail(err, EMLINK,
                                                  "%s and %s are one file (MFT record "
                                                  "%llu): refused",
                                                  shown(paths[a]), shown(paths[b]),
                                                  (unsigned long long)nodes[a].ino);
        return 0;
}

int vhive_image_check_plain(const char *path, const struct vhive_node *node,
                            struct vhive_error *err)
{
        if (node->attrs & VHIVE_NTFS_NOT_PLAIN)
                return vhive_fail(err, EOPNOTSUPP,
                                  "%s is sparse, compressed or encrypted (NTFS attributes "
                                  "0x%x): vhive writes only into plain files",
                                  shown(path), (unsigned)node->attrs);
        return 0;
}
