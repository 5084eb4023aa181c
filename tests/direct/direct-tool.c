/* direct-tool: drives the direct backend (and, to build test volumes, the
 * NTFS layer beneath it) from the shell.
 *
 *   direct-tool [--ro] [--root DEV] IMAGE FORMAT CMD...
 *       root                      print device, config dir, partition
 *       lookup DIR NAME           print the real spelling, or "-" when absent
 *       get GUEST HOST            download
 *       put GUEST HOST            write HOST's bytes in place at offset 0
 *                                 through the backend's struct vhive_file
 *                                 (extend first when HOST is longer)
 *       size GUEST
 *   direct-tool --volume N IMAGE FORMAT CMD...
 *       mounts partition N (0: whole disk) read-write without looking for
 *       Windows; CMD: mkdir GUEST, create GUEST HOST (a new file),
 *       put GUEST HOST, get GUEST HOST, size GUEST, symlink GUEST TARGET
 *       (an Interix link, as ntfs-3g makes), reparse GUEST HEXTAG TARGET
 *       (a reparse point on an existing file or folder), sparse GUEST
 *       BYTES (a new file, all hole), link GUEST NEWGUEST (a hard link),
 *       dosname GUEST NAME (an 8.3 name), attrib GUEST HEX (NTFS attributes),
 *       linkcount GUEST N (the MFT record's link count, names unchanged)
 * Commands run in order in one session; the first failure prints
 * "direct-tool: message" and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "image.h"
#include "nbd-disk.h"
#include "ntfs-device.h"
#include "partition.h"

static int die(const struct vhive_error *e)
{
        fprintf(stderr, "direct-tool: %s\n", e->msg);
        return 1;
}

static int usage(void)
{
        fprintf(stderr, "usage: direct-tool [--ro] [--root DEV] [--volume N] IMAGE FORMAT "
                        "CMD...\n");
        return 2;
}

/* HOST's bytes in place at offset 0 of an open file, growing it first. */
static int put_file(struct vhive_file *f, const char *host, struct vhive_error *e)
{
        uint8_t *data = NULL;
        size_t len = 0;
        uint64_t size = 0;
        int r = vhive_read_file(host, &data, &len, e);

        if (r == 0)
                r = f->ops->size(f, &size, e);
        if (r == 0 && len > size)
                r = f->ops->extend(f, len, e);
        if (r == 0 && len)
                r = f->ops->pwrite(f, data, len, 0, e);
        if (r == 0)
                r = f->ops->flush(f, e);
        free(data);
        return r;
}

static int print_size(struct vhive_file *f, struct vhive_error *e)
{
        uint64_t size;
        int r = f->ops->size(f, &size, e);

        if (r == 0)
                printf("%llu\n", (unsigned long long)size);
        return r;
}

static int run_backend(const char *path, const char *format, bool ro, const char *root_dev,
                       char **cmd, int ncmd)
{
        const struct vhive_backend_ops *ops = &vhive_backend_direct;
        struct vhive_image_spec spec = { path, format, ro };
        struct vhive_backend *be;
        struct vhive_root root;
        struct vhive_error e = { 0 };
        int r = ops->open(&be, &spec, 1, NULL, &e);

        if (r == 0)
                r = ops->image_status(be, 0, &e);
        if (r == 0)
                r = ops->find_root(be, 0, root_dev, &root, &e);
        for (int i = 0; r == 0 && i < ncmd; i++) {
                char *real;

                if (strcmp(cmd[i], "root") == 0) {
                        printf("%s\t%s\t%s\t%s\n", root.device, root.fs_type, root.config_dir,
                               root.partition);
                } else if (strcmp(cmd[i], "lookup") == 0 && i + 2 < ncmd) {
                        r = ops->lookup(be, 0, cmd[i + 1], cmd[i + 2], &real, &e);
                        if (r == 0)
                                printf("%s\n", real ? real : "-");
                        free(real);
                        i += 2;
                } else if (strcmp(cmd[i], "get") == 0 && i + 2 < ncmd) {
                        r = ops->download(be, 0, cmd[i + 1], cmd[i + 2], &e);
                        i += 2;
                } else if (strcmp(cmd[i], "put") == 0 && i + 2 < ncmd) {
                        struct vhive_file *f = NULL;

                        r = ops->open_file(be, 0, cmd[i + 1], true, &f, &e);
                        if (r == 0)
                                r = put_file(f, cmd[i + 2], &e);
                        ops->close_file(be, f);
                        i += 2;
                } else if (strcmp(cmd[i], "size") == 0 && i + 1 < ncmd) {
                        struct vhive_file *f = NULL;

                        r = ops->open_file(be, 0, cmd[++i], false, &f, &e);
                        if (r == 0)
                                r = print_size(f, &e);
                        ops->close_file(be, f);
                } else {
                        fprintf(stderr, "direct-tool: bad command %s\n", cmd[i]);
                        r = -EINVAL;
                        e.msg[0] = '\0';
                }
        }
        if (be) {
                struct vhive_error e2;
                int r2 = ops->close(be, &e2);

                if (r2 < 0 && r == 0) {
                        r = r2;
                        e = e2;
                }
        }
        return r < 0 ? (e.msg[0] ? die(&e) : 1) : 0;
}

static int nbd_read(void *ctx, void *buf, size_t count, uint64_t offset, struct vhive_error *err)
{
        return vhive_nbd_pread(ctx, buf, count, offset, err);
}

static int volume_cmds(struct vhive_ntfs *v, char **cmd, int ncmd, struct vhive_error *e)
{
        int r = 0;

        for (int i = 0; r == 0 && i < ncmd; i++) {
                if (strcmp(cmd[i], "mkdir") == 0 && i + 1 < ncmd) {
                        r = vhive_ntfs_mkdir(v, cmd[++i], e);
                } else if (strcmp(cmd[i], "create") == 0 && i + 2 < ncmd) {
                        r = vhive_ntfs_create(v, cmd[i + 1], cmd[i + 2], e);
                        i += 2;
                } else if (strcmp(cmd[i], "put") == 0 && i + 2 < ncmd) {
                        struct vhive_file *f = NULL;

                        r = vhive_ntfs_open_file(v, cmd[i + 1], true, &f, e);
                        if (r == 0)
                                r = put_file(f, cmd[i + 2], e);
                        vhive_ntfs_close_file(f);
                        i += 2;
                } else if (strcmp(cmd[i], "get") == 0 && i + 2 < ncmd) {
                        r = vhive_ntfs_download(v, cmd[i + 1], cmd[i + 2], e);
                        i += 2;
                } else if (strcmp(cmd[i], "symlink") == 0 && i + 2 < ncmd) {
                        r = vhive_ntfs_symlink(v, cmd[i + 1], cmd[i + 2], e);
                        i += 2;
                } else if (strcmp(cmd[i], "reparse") == 0 && i + 3 < ncmd) {
                        uint32_t tag = (uint32_t)strtoul(cmd[i + 2], NULL, 16);

                        r = vhive_ntfs_set_reparse(v, cmd[i + 1], tag, cmd[i + 3], e);
                        i += 3;
                } else if (strcmp(cmd[i], "sparse") == 0 && i + 2 < ncmd) {
                        uint64_t size = strtoull(cmd[i + 2], NULL, 10);

                        r = vhive_ntfs_create_sparse(v, cmd[i + 1], size, e);
                        i += 2;
                } else if (strcmp(cmd[i], "link") == 0 && i + 2 < ncmd) {
                        r = vhive_ntfs_link(v, cmd[i + 1], cmd[i + 2], e);
                        i += 2;
                } else if (strcmp(cmd[i], "dosname") == 0 && i + 2 < ncmd) {
                        r = vhive_ntfs_set_dos_name(v, cmd[i + 1], cmd[i + 2], e);
                        i += 2;
                } else if (strcmp(cmd[i], "attrib") == 0 && i + 2 < ncmd) {
                        uint32_t a = (uint32_t)strtoul(cmd[i + 2], NULL, 16);

                        r = vhive_ntfs_set_attrib(v, cmd[i + 1], a, e);
                        i += 2;
                } else if (strcmp(cmd[i], "linkcount") == 0 && i + 2 < ncmd) {
                        unsigned n = (unsigned)strtoul(cmd[i + 2], NULL, 10);

                        r = vhive_ntfs_set_link_count(v, cmd[i + 1], n, e);
                        i += 2;
                } else if (strcmp(cmd[i], "size") == 0 && i + 1 < ncmd) {
                        uint64_t size;

                        r = vhive_ntfs_file_size(v, cmd[++i], &size, e);
                        if (r == 0)
                                printf("%llu\n", (unsigned long long)size);
                } else {
                        return vhive_fail(e, EINVAL, "bad command %s", cmd[i]);
                }
        }
        return r;
}

static int run_volume(const char *path, const char *format, unsigned number, bool ro, char **cmd,
                      int ncmd)
{
        struct vhive_nbd_disk *d;
        struct vhive_ntfs *v = NULL;
        static struct vhive_ptable pt;
        struct vhive_error e = { 0 }, e2;
        const struct vhive_partition *p = NULL;
        int r = vhive_nbd_open(&d, path, format, ro, &e);

        if (r < 0)
                return die(&e);
        r = vhive_ptable_read(nbd_read, d, vhive_nbd_size(d), &pt, &e);
        for (size_t i = 0; r == 0 && i < pt.n; i++)
                if (pt.parts[i].number == number)
                        p = &pt.parts[i];
        if (r == 0 && !p)
                r = vhive_fail(&e, ENOENT, "no partition %u", number);
        if (r == 0) {
                struct vhive_blockio io = vhive_nbd_blockio(d);

                r = vhive_ntfs_mount(&v, &io, p->offset, p->size, ro, p->desc, &e);
        }
        if (r == 0)
                r = volume_cmds(v, cmd, ncmd, &e);
        if (vhive_ntfs_umount(v, &e2) < 0 && r == 0) {
                r = -1;
                e = e2;
        }
        if (vhive_nbd_close(d, &e2) < 0 && r == 0) {
                r = -1;
                e = e2;
        }
        return r < 0 ? die(&e) : 0;
}

int main(int argc, char **argv)
{
        const char *root_dev = NULL;
        long volume = -1;
        bool ro = false;
        int i = 1;

        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--ro") == 0)
                        ro = true;
                else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
                        root_dev = argv[++i];
                else if (strcmp(argv[i], "--volume") == 0 && i + 1 < argc)
                        volume = strtol(argv[++i], NULL, 10);
                else
                        return usage();
        }
        if (argc - i < 2)
                return usage();
        if (volume >= 0)
                return run_volume(argv[i], argv[i + 1], volume, ro, argv + i + 2, argc - i - 2);
        return run_backend(argv[i], argv[i + 1], ro, root_dev, argv + i + 2, argc - i - 2);
}
