/* The scrub walk over a hive (internal: commands run it as vhive_scrub_op). */
#pragma once

#include "hive.h"

/* The value names of a profile, NULL-terminated. */
const char *const *vhive_profile_values(enum vhive_profile p);

/* Walks the control set(s) and, when apply is true, blanks the values
 * (one hivex_node_set_values per key).  Fills rep either way. */
int vhive_scrub(hive_h *h, const struct vhive_scrub_opts *opts, bool apply,
                struct vhive_scrub_report *rep, struct vhive_error *err);
/* After a commit: 0 when every value marked blanked/already-blank now
 * reads blank with its old type, -EIO with a message otherwise. */
int vhive_scrub_verify(hive_h *h, const struct vhive_scrub_report *rep, struct vhive_error *err);
