/* The store-wide identity report of "check" (vhive_identity_group): which
 * targets share which identity value, as text. */
#pragma once

#include <stdio.h>

#include "vhive.h"

/* One line per group, "shared: RULE NAME = "TEXT" (TYPE) in N targets: A,
 * B", then "identity: N values shared between M targets" (or "identity: no
 * value shared between targets").  targets[i] names target index i. */
void identity_report_print(FILE *out, const struct vhive_identity_report *rep,
                           char *const *targets);

/* Whether the selected rules have any to compare (delete or detect): the
 * default seed has none, and then check prints no report. */
bool identity_wanted(const struct vhive_rules *rs);

/* The report of one check: the values collected and their groups. */
struct identity {
        struct vhive_identity_value *vals;
        char **keys; /* the key paths vals point to */
        size_t n, cap;
        struct vhive_identity_report rep;
        bool done; /* rep holds the groups */
};

/* After every target ran: collects each target's values of delete and
 * detect rules (nothing from a target that failed) and groups them.  -1
 * with the message printed. */
int identity_build(struct identity *id, const struct vhive_scrub_job *ctx,
                   const struct vhive_job_result *res, size_t n);
void identity_free(struct identity *id);
