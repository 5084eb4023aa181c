/* attrshim.so: an LD_PRELOAD library that makes the appliance answer what
 * ntfs-3g never answers, to reach the appliance backend's last lines of
 * defence (lib/image/appliance/appliance-files.c):
 *
 *   VHIVE_SHIM_REPARSE=PATH  guestfs_lgetxattr(PATH, "system.ntfs_attrib_be")
 *                            says 0x400 (a reparse point): ntfs-3g shows any
 *                            file with 0x400 as a symbolic link unless a
 *                            reparse plugin presents it, and the appliance
 *                            has no plugin
 *   VHIVE_SHIM_ESCAPE=PATH   guestfs_realpath(PATH) is a path in another
 *                            image's volume: the kernel's realpath follows
 *                            only what lstat shows as a link, which the
 *                            path checks refused first
 *
 * PATH is the appliance's path (/img0/Windows/System32/config/SYSTEM.LOG1).
 * libguestfs is loaded with the backend module (dlopen, RTLD_LOCAL), so the
 * real calls are looked up in it by name.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct guestfs_h guestfs_h;

static void *real(const char *name)
{
        void *h = dlopen("libguestfs.so.0", RTLD_NOW | RTLD_NOLOAD);
        void *f = h ? dlsym(h, name) : NULL;

        if (!f) {
                fprintf(stderr, "attrshim: no %s in libguestfs\n", name);
                abort();
        }
        return f;
}

static int is(const char *var, const char *path)
{
        const char *want = getenv(var);

        return want && path && strcmp(want, path) == 0;
}

char *guestfs_lgetxattr(guestfs_h *g, const char *path, const char *name, size_t *size_r);
char *guestfs_lgetxattr(guestfs_h *g, const char *path, const char *name, size_t *size_r)
{
        char *(*fn)(guestfs_h *, const char *, const char *, size_t *) = real("guestfs_lgetxattr");
        char *v = fn(g, path, name, size_r);

        if (!is("VHIVE_SHIM_REPARSE", path) || strcmp(name, "system.ntfs_attrib_be") != 0)
                return v;
        free(v);
        v = calloc(1, 4);
        if (v) {
                v[2] = 0x04; /* big-endian 0x00000420: reparse point, archive */
                v[3] = 0x20;
                *size_r = 4;
        }
        return v;
}

char *guestfs_realpath(guestfs_h *g, const char *path);
char *guestfs_realpath(guestfs_h *g, const char *path)
{
        char *(*fn)(guestfs_h *, const char *) = real("guestfs_realpath");

        if (is("VHIVE_SHIM_ESCAPE", path))
                return strdup("/img0/Windows/System32/config/SYSTEM");
        return fn(g, path);
}
