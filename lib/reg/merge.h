/* Merging parsed regedit files into a hive, inside lib/reg: the overlay
 * of the hive a plan builds (merge-overlay.c), planning against it
 * (merge-plan.c), then writing and verifying the net result
 * (merge-apply.c).
 */
#pragma once

#include "reg.h"

struct oval {
        char *name;
        hive_type type;
        char *data;
        size_t len;
        const char *file;
        unsigned line;
};

struct onode {
        char *name;       /* as spelt in the hive, or as written when new */
        hive_node_h node; /* the key in the hive; 0 when the plan creates it */
        bool exists;      /* in the result */
        bool drop_old;    /* node is deleted (and maybe created afresh) */
        bool listed;      /* kids holds every subkey of node */
        bool vals_loaded; /* vals holds the result's value list */
        struct onode **kids;
        size_t n_kids;
        struct oval *base; /* node's values before the merge */
        size_t n_base;
        struct oval *vals;
        size_t n_vals;
        const char *file; /* the last line that touched this key */
        unsigned line;
};

struct vhive_merge {
        struct onode root;
        struct vhive_change *changes;
        size_t n_changes;
        size_t n_no_match;
        const char *hive;
        char cs_name[32]; /* CurrentControlSet, once resolved */
};

struct planner {
        hive_h *h;
        struct vhive_merge *m;
        const struct vhive_merge_opts *opts;
        const struct vhive_regfile *file;
        const struct vhive_reg_key *key;
        struct vhive_error *err;
};

/* Shared by the merge files (merge-*.c). */
int merge_oom(struct vhive_error *err);
int merge_plfail(struct planner *pl, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
bool merge_fresh(const struct onode *n);
bool merge_values_differ(const struct onode *n);
int merge_read_values(hive_h *h, hive_node_h node, struct oval **out, size_t *n,
                      struct vhive_error *err);
bool merge_val_same(const struct oval *a, const struct oval *b);
void merge_vals_free(struct oval *v, size_t n);
int merge_kid_find(struct planner *pl, struct onode *parent, const char *name, struct onode **out,
                   struct onode **gone);
int merge_kids_list(struct planner *pl, struct onode *parent);
void merge_key_delete(struct onode *n);
int merge_kid_create(struct planner *pl, struct onode *parent, struct onode *gone, const char *name,
                     size_t i, struct onode **out);
int merge_section_values(struct planner *pl, struct onode *n);
struct oval *merge_val_find(struct onode *n, const char *name);
void merge_onode_clear(struct onode *n);
int merge_missing_key(struct planner *pl, size_t upto, const char *why);
int merge_vals_load(struct planner *pl, struct onode *n);
