/* The rule for the logs a dirty hive needs (crash-commit's traced runs):
 * such a log is neither written nor grown until the primary's base block
 * is clean on disk (flushed), since growing it rewrites its filesystem
 * record, which a power cut can tear.  Header-only. */
#pragma once

#include "cfiles.h"

/* needed[1], needed[2]: the primary f[0] is dirty and its replay applies
 * entries of LOG1, LOG2. */
static inline void needed_logs(const struct cbuf f[3], const bool has[3], bool needed[3])
{
        struct vhive_replay_result res;
        struct vhive_error e;
        struct cbuf out = { 0 };

        memset(needed, 0, 3 * sizeof(*needed));
        if (vhive_replay(f[0].b, f[0].len, has[1] ? f[1].b : NULL, f[1].len, has[2] ? f[2].b : NULL,
                         f[2].len, &out.b, &out.len, &res, &e) < 0)
                return;
        free(out.b);
        for (int i = 0; i < 2; i++)
                needed[1 + i] = res.entries_applied && res.log[i].applied;
}

static inline bool clean_on_disk(const struct cbuf *primary)
{
        struct vhive_regf_header h;

        return vhive_regf_parse(primary->b, primary->len, &h) == 0 && h.checksum_ok &&
               !vhive_regf_is_dirty(&h);
}

/* Call k of the trace changes file (a write or an extension) while the
 * settled primary is as given. */
static inline void needed_check(const bool needed[3], int file, const struct cbuf *primary,
                                size_t k)
{
        static const char *const names[3] = { "SYSTEM", "LOG1", "LOG2" };

        if (file > 0 && needed[file] && !clean_on_disk(primary)) {
                fprintf(stderr,
                        "FAIL: call %zu changes %s, which the dirty hive needs, before "
                        "the hive is clean on disk\n",
                        k + 1, names[file]);
                exit(1);
        }
}
