/* Picks a backend by name: --backend, then VHIVE_BACKEND, then the appliance. */
#include <stdlib.h>
#include <string.h>

#include "image.h"

const struct vhive_backend_ops *vhive_backend_by_name(const char *name)
{
        static const struct vhive_backend_ops *const all[] = {
                &vhive_backend_appliance,
                &vhive_backend_direct,
        };

        if (!name || !*name)
                name = getenv("VHIVE_BACKEND");
        if (!name || !*name)
                name = "appliance";
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                if (strcmp(all[i]->name, name) == 0)
                        return all[i];
        return NULL;
}
