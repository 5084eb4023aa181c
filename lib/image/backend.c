/* Loads a backend by name (the job driver chooses the name).
 *
 * Backends are loadable modules: libguestfs alone pulls in some sixty
 * libraries whose loading and constructors cost about 100 ms, several times
 * the whole job on a hive file, which must not pay for it. */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

static const char *const backend_names[] = { "appliance", "direct" };

bool vhive_backend_name_valid(const char *name)
{
        for (size_t i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]); i++)
                if (strcmp(name, backend_names[i]) == 0)
                        return true;
        return false;
}

/* Beside the running binary first (the build tree: build/cmd/../lib), then
 * VHIVE_MODULE_DIR, then where "meson install" puts them. */
static void *open_module(const char *name, struct vhive_error *err)
{
        char exe[PATH_MAX], path[PATH_MAX + 64];
        const char *dirs[3] = { NULL, getenv("VHIVE_MODULE_DIR"), VHIVE_MODULE_DIR };
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char build_dir[PATH_MAX + 8];

        if (n > 0) {
                exe[n] = '\0';
                snprintf(build_dir, sizeof(build_dir), "%s/../lib", dirname(exe));
                dirs[0] = build_dir;
        }
        for (int i = 0; i < 3; i++) {
                void *h;

                if (!dirs[i])
                        continue;
                snprintf(path, sizeof(path), "%s/vhive-backend-%s.so", dirs[i], name);
                if (access(path, R_OK) != 0)
                        continue;
                h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
                if (!h) {
                        vhive_fail(err, ENOEXEC, "cannot load the %s backend: %s", name, dlerror());
                        return NULL;
                }
                return h;
        }
        vhive_fail(err, ENOENT, "the %s backend module (vhive-backend-%s.so) is not installed",
                   name, name);
        return NULL;
}

int vhive_backend_load(const char *name, const struct vhive_backend_ops **ops,
                       struct vhive_error *err)
{
        char symbol[64];
        void *h;

        if (!vhive_backend_name_valid(name))
                return vhive_fail(err, EINVAL, "unknown backend '%s' (appliance, direct)", name);
        h = open_module(name, err);
        if (!h)
                return -err->errnum;
        snprintf(symbol, sizeof(symbol), "vhive_backend_%s", name);
        *ops = dlsym(h, symbol);
        if (!*ops)
                return vhive_fail(err, ENOEXEC, "the %s backend module lacks %s", name, symbol);
        return 0;
}
