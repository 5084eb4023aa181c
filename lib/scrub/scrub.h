/* The scrub walk over a hive (internal: commands run it as vhive_scrub_op). */
#pragma once

#include "hive.h"
#include "rules.h"

/* What the walk visits: each key pattern the selected rules of one hive
 * name, once, with the union of their values (scrub-visit.c).  A value
 * named by several rules takes the strongest action (delete, then blank,
 * then detect) and is reported under that rule. */
struct vhive_visit_value {
        const char *name;
        const struct vhive_rule *rule;
};

struct vhive_visit {
        const char *key; /* below the control set when in_cs, else the hive root */
        bool in_cs;      /* the rule's key starts with CurrentControlSet */
        bool wildcard;   /* some component is "*" */
        struct vhive_visit_value *values;
        size_t n_values;
        /* A detect rule without values: it matches when the key exists. */
        const struct vhive_rule *key_rule;
};

struct vhive_visits {
        struct vhive_visit *v;
        size_t n;
        bool any_cs; /* some visit goes through CurrentControlSet */
};

int vhive_visits_build(const struct vhive_rules *rs, const char *hive, struct vhive_visits *out,
                       struct vhive_error *err);
void vhive_visits_free(struct vhive_visits *vs);

/* Walks the selected rules' keys of opts->hive (SYSTEM when NULL) and,
 * when apply is true, blanks and deletes with hivex's writer (one
 * hivex_node_set_values per key, new cells appended: the hive grows).
 * Detect rules are reported, never written.  Fills rep either way. */
int vhive_scrub(hive_h *h, const struct vhive_scrub_opts *opts, bool apply,
                struct vhive_scrub_report *rep, struct vhive_error *err);
/* The walk that only reports (check), over either reader. */
int vhive_scrub_read(const struct vhive_reader *rd, const struct vhive_scrub_opts *opts,
                     struct vhive_scrub_report *rep, struct vhive_error *err);
/* The same walk, writing each value in place in buf (the bytes h was
 * opened on; see vhive_inplace_blank): the hive never grows.  h is not
 * changed and must not be used to read the result. */
int vhive_scrub_in_place(hive_h *h, struct vhive_hive_buf *buf, const struct vhive_scrub_opts *opts,
                         struct vhive_scrub_report *rep, struct vhive_error *err);
/* After a commit: 0 when every value marked blanked/already-blank now
 * reads blank with its old type and every deleted value is gone, -EIO
 * with a message otherwise. */
int vhive_scrub_verify(hive_h *h, const struct vhive_scrub_report *rep, struct vhive_error *err);

/* scrub-write.c: one key's blanks and deletes (kr's actions). */
int vhive_scrub_apply_key(hive_h *h, hive_node_h node, const struct vhive_key_report *kr,
                          struct vhive_error *err);
int vhive_scrub_apply_in_place(hive_h *h, struct vhive_hive_buf *buf, hive_node_h node,
                               const struct vhive_key_report *kr, struct vhive_error *err);

/* "SYSTEM" (a Select key at the root) or "SOFTWARE" (Microsoft\Windows
 * NT\CurrentVersion) by content; -EINVAL with a message when neither. */
int vhive_scrub_hive_kind(const struct vhive_reader *rd, const char **hive,
                          struct vhive_error *err);
