/* The registry editor: key paths, regedit (.reg) files, merging them into
 * a hive and exporting a hive's keys as regedit does.
 *
 * Same contract as vhive.h: 0 (or a count) or a negative errno with the
 * reason in the struct vhive_error; nothing here prints.
 */
#pragma once

#include "hive.h"
#include "job.h"

/* ---- key paths (lib/reg/keypath.c) (the struct is in vhive.h) ---- */

/* True when component i is CurrentControlSet at the root of SYSTEM (or of
 * a relative path): it maps through Select\Current. */
bool vhive_keypath_is_ccs(const struct vhive_keypath *kp, size_t i);

/* "SYSTEM" for "system", "Software" ...; NULL when not a hive vhive knows. */
const char *vhive_hive_canonical(const char *name);
/* The hive a hive file holds, guessed from its name ("SYSTEM",
 * "system.hive", "SOFTWARE.sav"); NULL when the name says nothing. */
const char *vhive_hive_from_filename(const char *path);
/* -EINVAL when kp names a hive other than hive (NULL hive: anything goes). */
int vhive_keypath_check_hive(const struct vhive_keypath *kp, const char *hive,
                             struct vhive_error *err);

/* ---- limits against damaged or hostile hives (lib/keypath.c) --------- */

/* Windows allows 512 levels of keys; a deeper walk means a damaged hive. */
#define VHIVE_MAX_KEY_DEPTH 512u
/* The default bound on an export's text (struct vhive_export_opts). */
#define VHIVE_EXPORT_MAX_BYTES ((size_t)1 << 30)

/* The keys a walk has reached.  In a sound hive every key has one parent,
 * so a key reached twice means a cycle or a subkey list shared by two keys;
 * walks stop there instead of looping or multiplying. */
struct vhive_node_seen {
        hive_node_h *slots; /* open addressing; 0 is free (no key has handle 0) */
        size_t n, cap;
};
/* 1 when node was already there, 0 when added, -ENOMEM. */
int vhive_node_seen_add(struct vhive_node_seen *s, hive_node_h node);
void vhive_node_seen_free(struct vhive_node_seen *s);

/* Resolves kp to existing keys, expanding "*" and CurrentControlSet.
 * Returns the count (>= 1); *nodes is malloc'd.  -ENOENT naming the first
 * missing key, or saying that no key matches a wildcard path; -ELOOP when
 * a key is reached twice (a damaged hive). */
int vhive_keypath_resolve(hive_h *h, const struct vhive_keypath *kp, hive_node_h **nodes,
                          struct vhive_error *err);
/* The path of node below the hive root as spelt in the hive
 * ("ControlSet001\Services"); "" for the root.  NULL with errno set
 * (ELOOP when the parents go deeper than VHIVE_MAX_KEY_DEPTH). */
char *vhive_node_path(hive_h *h, hive_node_h node);

/* ---- keys as data (lib/reg/read-data.c) -------------------------------- */

enum vhive_read_what {
        VHIVE_READ_LIST,  /* ls: values and the subkeys' names */
        VHIVE_READ_VALUE, /* get: the one value; keys without it are left out */
        VHIVE_READ_TREE,  /* export: values and whole subtrees */
};

/* One struct vhive_key per node (fewer for VHIVE_READ_VALUE); *keys
 * malloc'd, freed with vhive_key_free each even on failure.  A damaged
 * tree is -ELOOP, as for vhive_export. */
int vhive_read_keys(hive_h *h, const hive_node_h *nodes, size_t n, enum vhive_read_what what,
                    const char *value, struct vhive_key **keys, size_t *n_keys,
                    struct vhive_error *err);

/* ---- regedit files (lib/reg/parse.c) ---------------------------------- */

/* Parses a whole .reg text: UTF-16LE with BOM, UTF-8 with or without BOM,
 * ASCII; "Windows Registry Editor Version 5.00" or "REGEDIT4".  Errors
 * read "NAME:LINE: what is wrong".  Touches no hive. */
int vhive_regfile_parse(struct vhive_regfile *rf, const char *name, const uint8_t *data, size_t len,
                        struct vhive_error *err);

/* ---- merging (lib/reg/apply.c) ---------------------------------------- */

/* Resolves and checks every key and value of files against h and works
 * out the net result, without writing.  The files must outlive the plan. */
int vhive_merge_plan(hive_h *h, const struct vhive_regfile *files, size_t n_files,
                     const struct vhive_merge_opts *opts, struct vhive_merge **plan,
                     struct vhive_error *err);
/* True when applying would modify the hive. */
bool vhive_merge_changes_hive(const struct vhive_merge *plan);
/* Writes the plan into h (one hivex_node_set_values per changed key). */
int vhive_merge_apply(hive_h *h, struct vhive_merge *plan, struct vhive_error *err);
/* Checks that h (e.g. the committed hive) holds the planned result. */
int vhive_merge_verify(hive_h *h, const struct vhive_merge *plan, struct vhive_error *err);

/* ---- export (lib/reg/export.c) ---------------------------------------- */

struct vhive_export_opts {
        const char *prefix; /* "HKEY_LOCAL_MACHINE\SYSTEM" */
        bool utf16;         /* UTF-16LE with BOM, as regedit writes; else UTF-8 */
        size_t max_bytes;   /* -EFBIG past this much text; 0: VHIVE_EXPORT_MAX_BYTES */
};

/* Exports every node (with its subtree) as one regedit file, CRLF line
 * ends, regedit's hex line wrapping.  *out malloc'd.  A damaged tree (a key
 * reached twice, deeper than VHIVE_MAX_KEY_DEPTH) is -ELOOP, text past
 * max_bytes -EFBIG, each with a message. */
int vhive_export(hive_h *h, const hive_node_h *nodes, size_t n, const struct vhive_export_opts *o,
                 char **out, size_t *out_len, struct vhive_error *err);
/* One value as regedit writes it ("\"NAME\"=dword:00000001", no line end,
 * continuation lines joined by "\\\r\n  ").  malloc'd, NULL on ENOMEM. */
char *vhive_export_value(const char *name, hive_type t, const char *data, size_t len);
