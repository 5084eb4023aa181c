/* Fuzz target: the .reg parser (any encoding, both headers), the key path
 * text of every section, and the typed-value parser on the same bytes. */
#include <stdint.h>

#include "fuzz-common.h"
#include "reg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vhive_regfile rf = { 0 };
        struct vhive_error err;
        char *text, *vdata = NULL;
        hive_type t;
        size_t len;

        if (vhive_regfile_parse(&rf, "fuzz.reg", data, size, &err) == 0) {
                for (size_t i = 0; i < rf.n_keys; i++) {
                        char *kp = vhive_keypath_text(&rf.keys[i].path, rf.keys[i].path.n);

                        if (!kp)
                                abort();
                        free(kp);
                        for (size_t v = 0; v < rf.keys[i].n_values; v++) {
                                const struct vhive_reg_value *rv = &rf.keys[i].values[v];
                                char *line = rv->remove ? NULL
                                                        : vhive_export_value(rv->name, rv->type,
                                                                             rv->data, rv->len);
                                free(line);
                        }
                }
        }
        vhive_regfile_free(&rf);
        text = strndup((const char *)data, size);
        if (!text)
                abort();
        if (vhive_typed_value_parse(text, &t, &vdata, &len, &err) == 0)
                free(vdata);
        free(text);
        return 0;
}
