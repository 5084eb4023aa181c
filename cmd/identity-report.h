/* The store-wide identity report of "check" (vhive_identity_group): which
 * targets share which identity value, as text and as JSON. */
#pragma once

#include <stdio.h>

#include "vhive.h"

/* One line per group, "shared: RULE NAME = "TEXT" (TYPE) in N targets: A,
 * B", then "identity: N values shared between M targets" (or "identity: no
 * value shared between targets").  targets[i] names target index i. */
void identity_report_print(FILE *out, const struct vhive_identity_report *rep,
                           char *const *targets);

/* The "shared" array of check's --json document: one object per group,
 * {"rule", "hive", "name", "type", "data", "targets": [{"target", "index",
 * "key"}]}.  NULL on ENOMEM. */
json_t *identity_report_json(const struct vhive_identity_report *rep, char *const *targets);
