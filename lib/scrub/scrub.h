/* The scrub walk over a hive (internal: commands run it as vhive_scrub_op). */
#pragma once

#include "hive.h"

/* The value names of a profile, NULL-terminated. */
const char *const *vhive_profile_values(unsigned p);

/* Walks the control set(s) and, when apply is true, blanks the values
 * with hivex's writer (one hivex_node_set_values per key, new cells
 * appended: the hive grows).  Fills rep either way. */
int vhive_scrub(hive_h *h, const struct vhive_scrub_opts *opts, bool apply,
                struct vhive_scrub_report *rep, struct vhive_error *err);
/* The same walk, blanking each value in place in buf (the bytes h was
 * opened on; see vhive_inplace_blank): the hive never grows.  h is not
 * changed and must not be used to read the result. */
int vhive_scrub_in_place(hive_h *h, struct vhive_hive_buf *buf, const struct vhive_scrub_opts *opts,
                         struct vhive_scrub_report *rep, struct vhive_error *err);
/* After a commit: 0 when every value marked blanked/already-blank now
 * reads blank with its old type, -EIO with a message otherwise. */
int vhive_scrub_verify(hive_h *h, const struct vhive_scrub_report *rep, struct vhive_error *err);
