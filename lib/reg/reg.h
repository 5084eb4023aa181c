/* The registry editor: key paths, regedit (.reg) files, merging them into
 * a hive and exporting a hive's keys as regedit does.
 *
 * Same contract as vhive.h: 0 (or a count) or a negative errno with the
 * reason in the struct vhive_error; nothing here prints.
 */
#pragma once

#include "job.h"
#include "vhive.h"

/* ---- key paths (lib/keypath.c) ---------------------------------------- */

/* "HKLM\SYSTEM\CurrentControlSet\Services", "HKEY_LOCAL_MACHINE\SOFTWARE",
 * or a path relative to the hive root ("ControlSet001\Services").  A
 * component "*" stands for every existing subkey at that level. */
struct vhive_keypath {
        const char *hive; /* "SYSTEM", "SOFTWARE", "SAM", "SECURITY"; NULL = relative */
        char *root;       /* the hive prefix as written ("HKLM\SYSTEM"), NULL when relative */
        char **comps;     /* the components below the hive root */
        size_t n;
        bool wildcard;    /* some component is "*" */
};

/* Splits text.  Empty text (or "\") is the hive root.  -EINVAL for a root
 * other than HKLM/HKEY_LOCAL_MACHINE, a hive vhive does not know, or an
 * empty component. */
int vhive_keypath_parse(const char *text, struct vhive_keypath *kp, struct vhive_error *err);
void vhive_keypath_free(struct vhive_keypath *kp);
/* The first upto components with the prefix as written, for messages
 * ("HKLM\SYSTEM\CurrentControlSet\Foo"); malloc'd, NULL on ENOMEM. */
char *vhive_keypath_text(const struct vhive_keypath *kp, size_t upto);
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

/* ---- regedit files (lib/regfile-parse.c) ------------------------------ */

struct vhive_reg_value {
        char *name;     /* UTF-8; "" is the default value (@) */
        bool remove;    /* "NAME"=- */
        hive_type type;
        char *data;     /* as it will be stored (REG_SZ: UTF-16LE with its NUL) */
        size_t len;
        unsigned line;
};

struct vhive_reg_key {
        struct vhive_keypath path;
        char *text;     /* between the brackets, as written */
        bool remove;    /* [-KEY] */
        unsigned line;
        struct vhive_reg_value *values;
        size_t n_values;
};

struct vhive_regfile {
        char *name;     /* for messages */
        bool regedit4;
        struct vhive_reg_key *keys;
        size_t n_keys;
};

/* Parses a whole .reg text: UTF-16LE with BOM, UTF-8 with or without BOM,
 * ASCII; "Windows Registry Editor Version 5.00" or "REGEDIT4".  Errors
 * read "NAME:LINE: what is wrong".  Touches no hive. */
int vhive_regfile_parse(struct vhive_regfile *rf, const char *name, const uint8_t *data,
                        size_t len, struct vhive_error *err);
int vhive_regfile_load(struct vhive_regfile *rf, const char *path, struct vhive_error *err);
void vhive_regfile_free(struct vhive_regfile *rf);

/* ---- typed values on the command line (lib/regfile-parse.c) ----------- */

/* "string:TEXT", "expand:TEXT", "multi:a,b" ("\," is a comma), "dword:N",
 * "qword:N" (decimal or 0x hex), "hex:TYPE:bytes" ("01,02" or "0102"),
 * "none".  *data malloc'd. */
int vhive_typed_value_parse(const char *text, hive_type *type, char **data, size_t *len,
                            struct vhive_error *err);

/* ---- merging (lib/regfile-apply.c) ------------------------------------ */

struct vhive_merge_opts {
        /* The hive the target holds ("SYSTEM"...), NULL when unknown: paths
         * naming another hive are refused. */
        const char *hive;
        /* A missing key named "{...}" that is not a {GUID} is an unfilled
         * placeholder: fail instead of creating it (merge does; set does
         * not). */
        bool placeholders_fail;
        /* Deleting a key or value that does not exist is an error (the
         * delete command) rather than nothing to do (regedit). */
        bool missing_delete_fails;
};

enum vhive_change_kind {
        VHIVE_CHANGE_ADD_KEY,
        VHIVE_CHANGE_DELETE_KEY,
        VHIVE_CHANGE_ADD_VALUE,
        VHIVE_CHANGE_SET_VALUE,
        VHIVE_CHANGE_DELETE_VALUE,
        VHIVE_CHANGE_NO_MATCH, /* a wildcard section matched no key */
};

/* The net effect of a merge, one entry per key or value. */
struct vhive_change {
        enum vhive_change_kind kind;
        char *key;        /* below the hive root, as spelt in the hive */
        char *value;      /* value changes: the name ("" = default) */
        hive_type old_type, type;
        char *old_data, *data;
        size_t old_len, len;
        const char *file; /* the .reg line that asked for it */
        unsigned line;
};

struct vhive_merge;

/* Resolves and checks every key and value of files against h and works
 * out the net result, without writing.  The files must outlive the plan. */
int vhive_merge_plan(hive_h *h, const struct vhive_regfile *files, size_t n_files,
                     const struct vhive_merge_opts *opts, struct vhive_merge **plan,
                     struct vhive_error *err);
/* The net changes; *n may be 0 (nothing to do). */
const struct vhive_change *vhive_merge_changes(const struct vhive_merge *plan, size_t *n);
/* True when applying would modify the hive. */
bool vhive_merge_changes_hive(const struct vhive_merge *plan);
/* Writes the plan into h (one hivex_node_set_values per changed key). */
int vhive_merge_apply(hive_h *h, struct vhive_merge *plan, struct vhive_error *err);
/* Checks that h (e.g. the committed hive) holds the planned result. */
int vhive_merge_verify(hive_h *h, const struct vhive_merge *plan, struct vhive_error *err);
void vhive_merge_free(struct vhive_merge *plan);

/* The merge as a job (set, delete and merge run it): each target gets its
 * own struct, with files and opts filled in; run() sets opts.hive from the
 * hive file's name and leaves the plan for reporting. */
struct vhive_merge_job {
        const struct vhive_regfile *files;
        size_t n_files;
        struct vhive_merge_opts opts;
        const char *hive;          /* which hive of an image; NULL = SYSTEM */
        struct vhive_merge *plan;  /* after run(); free with vhive_merge_free */
};
extern const struct vhive_op vhive_merge_op;

/* ---- export (lib/regfile-export.c) ------------------------------------ */

struct vhive_export_opts {
        const char *prefix; /* "HKEY_LOCAL_MACHINE\SYSTEM" */
        bool utf16;         /* UTF-16LE with BOM, as regedit writes; else UTF-8 */
        size_t max_bytes;   /* -EFBIG past this much text; 0: VHIVE_EXPORT_MAX_BYTES */
};

/* Exports every node (with its subtree) as one regedit file, CRLF line
 * ends, regedit's hex line wrapping.  *out malloc'd.  A damaged tree (a key
 * reached twice, deeper than VHIVE_MAX_KEY_DEPTH) is -ELOOP, text past
 * max_bytes -EFBIG, each with a message. */
int vhive_export(hive_h *h, const hive_node_h *nodes, size_t n,
                 const struct vhive_export_opts *o, char **out, size_t *out_len,
                 struct vhive_error *err);
/* One value as regedit writes it ("\"NAME\"=dword:00000001", no line end,
 * continuation lines joined by "\\\r\n  ").  malloc'd, NULL on ENOMEM. */
char *vhive_export_value(const char *name, hive_type t, const char *data, size_t len);
