/* vhive: offline registry hive editing for Windows vDisk images.
 *
 * The public face of the library, and the only library header the command
 * (cmd/) sees: what a front end needs to run a job over targets and to
 * report on it.  Every function returns 0 (or a count) on success and a
 * negative errno on failure, with the reason in the struct vhive_error the
 * caller passes in.  Nothing here prints.  The internals live in each
 * folder's own header (lib/hive/hive.h, lib/job/job.h, lib/reg/reg.h ...).
 */
#pragma once

#include <hivex.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes shared by every command. */
enum {
        VHIVE_EXIT_OK = 0,
        VHIVE_EXIT_STALE = 1, /* check: a value is not blank/absent, or a detect rule matched */
        VHIVE_EXIT_FAIL = 2,  /* usage error or any failure */
};

/* ---- errors ---------------------------------------------------------- */

struct vhive_error {
        int errnum;     /* positive errno */
        char msg[1024]; /* "what failed: why", no target prefix */
};

/* Records a message and returns -errnum (-EINVAL when errnum is 0). */
int vhive_fail(struct vhive_error *err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* ---- interruption (lib/util/interrupt.c) ----------------------------- */

/* Records a signal; async-signal-safe, for the command's handler.  The
 * jobs stop at their next step boundary: what has not started is skipped
 * (its result fails with ECANCELED), a commit in progress is finished. */
void vhive_interrupt(int sig);

/* The signal recorded, or 0. */
int vhive_interrupted(void);

/* -ECANCELED with "interrupted by SIGTERM before <before>" once a signal
 * was recorded, else 0. */
int vhive_check_interrupt(const char *before, struct vhive_error *err);

/* ---- the regf base block (lib/hive/regf-header.c) --------------------- */

struct vhive_regf_header {
        uint32_t seq_primary;   /* offset 4 */
        uint32_t seq_secondary; /* offset 8 */
        uint64_t timestamp;     /* offset 12, FILETIME */
        uint32_t major, minor;  /* offsets 20, 24 */
        uint32_t file_type;     /* offset 28 */
        uint32_t root_offset;   /* offset 36 */
        uint32_t hbins_size;    /* offset 40 */
        uint32_t flags;         /* offset 144 */
        uint32_t checksum_stored;
        uint32_t checksum_computed; /* with the 0 -> 1, ~0 -> ~1 rule */
        bool checksum_ok;
};

/* ---- transaction-log replay (lib/hive/log-replay.c) ------------------- */

enum vhive_log_format {
        VHIVE_LOG_NONE = 0, /* missing or empty file */
        VHIVE_LOG_OLD = 1,  /* file type 1/2, DIRT bitmap (Vista - 8.0) */
        VHIVE_LOG_NEW = 6,  /* file type 6, HvLE entries (8.1 and later) */
        VHIVE_LOG_INVALID = -1,
};

struct vhive_log_info {
        enum vhive_log_format format;
        uint32_t seq_primary, seq_secondary; /* of the log's base block */
        bool eligible;                       /* would be considered for replay */
        bool damaged;                        /* present, not empty, not readable as a log */
        /* Damaged in its base block (no regf, bad checksum, not a log's
         * type, torn sequence numbers): Windows ignores such a log, and so
         * does vhive, saying so in warning. */
        bool ignored;
        char warning[256];
        unsigned entries;             /* valid entries (new format), or dirty pages (old) */
        uint32_t first_seq, last_seq; /* of the valid entries */
        unsigned applied;             /* entries (or pages) applied */
};

struct vhive_replay_result {
        struct vhive_log_info log[2]; /* LOG1, LOG2 */
        unsigned entries_applied;
        uint32_t final_seq;
        bool base_block_rebuilt; /* the primary's base block came from a log */
};

/* ---- registry values as text (lib/hive/value-text.c) ------------------ */

const char *vhive_type_name(hive_type t); /* "REG_SZ", ... */
/* malloc'd UTF-8 rendering of a value: strings as text, REG_MULTI_SZ
 * joined with ", " ... returns NULL only on ENOMEM. */
char *vhive_value_to_text(hive_type t, const char *data, size_t len);
/* A malloc'd copy of UTF-8 text for human output (lib/util/escape.c):
 * C0 controls, DEL and bytes that are not UTF-8 become \xHH, C1 controls
 * (U+0080-U+009F) \u00HH; everything else, backslashes included, is kept.
 * NULL only on ENOMEM.  JSON (jansson) and .reg export escape on their own. */
char *vhive_escape_text(const char *s);
/* Whether s is valid UTF-8 (what JSON needs: no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
bool vhive_utf8_valid(const char *s);
/* A malloc'd copy with every byte that is not UTF-8 replaced by U+FFFD
 * (for a JSON string); NULL only on ENOMEM. */
char *vhive_utf8_lossy(const char *s);
/* A malloc'd lossless UTF-8 spelling of any bytes: every byte that is not
 * part of valid UTF-8, and every '%', as %HH (upper-case hex); the rest as
 * is.  Python's urllib.parse.unquote_to_bytes gives the bytes back.  NULL
 * only on ENOMEM. */
char *vhive_percent_bytes(const char *s);
/* ---- control sets (lib/hive/controlset.c) ----------------------------- */

/* The roles come from the Select key.  Offline, "current" (Select\Current)
 * is the set the last boot used; the boot loader loads Select\Default next
 * (next_boot).  Both are boot control sets: scrub and check treat them as
 * current.  LastKnownGood is loaded only when someone picks it at boot. */
struct vhive_controlset {
        unsigned number; /* NNN of ControlSetNNN */
        hive_node_h node;
        bool current;         /* Select\Current */
        bool next_boot;       /* Select\Default: what the next boot loads */
        bool last_known_good; /* Select\LastKnownGood */
        bool failed;          /* Select\Failed */
        char name[32];        /* "ControlSet001" as spelt in the hive */
};
/* The roles as text for a report: "current", "default" (only when it is
 * not also the current set: the usual case says "current" alone), then,
 * unless boot_only, "last known good" and "failed"; comma-separated, ""
 * when none.  Returns buf. */
const char *vhive_controlset_roles(const struct vhive_controlset *cs, bool boot_only, char *buf,
                                   size_t size);

/* ---- rule packs (lib/rules/) ------------------------------------------ */

/* A rule pack is a text file rules/NAME.rules (vhive(1), RULE PACKS): one
 * rule per [ID] section, each naming a hive, its keys, the values, what to
 * do with them and where the fact comes from. */
enum vhive_rule_action {
        VHIVE_RULE_BLANK,  /* set to the empty value of its own type */
        VHIVE_RULE_DELETE, /* the value goes */
        VHIVE_RULE_DETECT, /* report only, never written */
};
const char *vhive_rule_action_name(enum vhive_rule_action a); /* "blank", ... */

struct vhive_rule {
        char *name;                                               /* "pack.id" */
        char *id;                                                 /* "id" */
        char *pack;                                               /* "pack" */
        char *hive;                                               /* "SYSTEM" or "SOFTWARE" */
        char **keys, **values, **sources, **keep_static, **files; /* NULL-terminated */
        size_t n_keys, n_values, n_sources, n_keep_static, n_files;
        enum vhive_rule_action action;
        char *advice; /* NULL when none */
        unsigned line;
};

struct vhive_pack {
        char *name;
        char *description; /* "" when none */
        char *path;        /* the file it was read from */
        struct vhive_rule *rules;
        size_t n_rules;
};

/* Parses a pack's text; errors read "FILE:LINE: what is wrong" and the
 * pack does not load.  name is the pack's name ([a-z0-9-]+). */
int vhive_pack_parse(const char *text, size_t len, const char *file, const char *name,
                     struct vhive_pack *p, struct vhive_error *err);
/* Reads path; the pack's name is the file name without ".rules". */
int vhive_pack_load(const char *path, struct vhive_pack *p, struct vhive_error *err);
void vhive_pack_free(struct vhive_pack *p);

/* Where the packs are: $VHIVE_RULES_DIR when set, else the installed
 * $datadir/vhive/rules, else (an uninstalled build) the rules/ folder of
 * the source tree it was built from. */
const char *vhive_rules_dir(void);

/* Packs loaded and the rules selected from them. */
struct vhive_rules {
        struct vhive_pack **packs;
        size_t n_packs;
        const struct vhive_rule **sel; /* in the order selected */
        size_t n_sel;
        char *profile; /* the --profile list as given ("seed" by default) */
};

/* What the user selects: profile "pack,pack.rule,..." (NULL: "seed"),
 * rule files (every rule of each selected), and rules to skip
 * ("pack.rule").  An unknown pack, rule or skip, a bad file: -EINVAL with
 * a message. */
struct vhive_rules_spec {
        const char *profile;
        const char *const *files;
        size_t n_files;
        const char *const *skip;
        size_t n_skip;
};
int vhive_rules_select(struct vhive_rules *rs, const struct vhive_rules_spec *spec,
                       struct vhive_error *err);
/* Every pack of vhive_rules_dir() (sorted by name), every rule selected;
 * then the spec's files.  For "vhive rules" without --profile. */
int vhive_rules_load_all(struct vhive_rules *rs, const struct vhive_rules_spec *spec,
                         struct vhive_error *err);
void vhive_rules_free(struct vhive_rules *rs);
/* Whether a selected rule works on hive ("SYSTEM"...), and whether one
 * has the action. */
bool vhive_rules_touch(const struct vhive_rules *rs, const char *hive);
bool vhive_rules_have_action(const struct vhive_rules *rs, enum vhive_rule_action a);
/* {"rules_dir", "packs": [{"name", "description", "path", "rules": [...]}]},
 * the selected rules only. */
json_t *vhive_json_rules(const struct vhive_rules *rs);

/* ---- the scrub (lib/scrub/) ------------------------------------------- */

struct vhive_scrub_opts {
        const struct vhive_rules *rules; /* the selected rules */
        /* The hive worked on: "SYSTEM", "SOFTWARE"; NULL: SYSTEM (the
         * scrub op sets it from the session or the hive's content). */
        const char *hive;
        bool keep_static;     /* keep a rule's keep-static values when EnableDHCP=0 */
        bool all_controlsets; /* every ControlSetNNN, not only the boot ones */
};

enum vhive_action {
        VHIVE_ACTION_BLANKED,
        VHIVE_ACTION_ALREADY_BLANK,
        VHIVE_ACTION_ABSENT,
        VHIVE_ACTION_KEPT,
        VHIVE_ACTION_DELETED,  /* present, and deleted (or to be) */
        VHIVE_ACTION_DETECTED, /* a detect rule matched: reported, never written */
        VHIVE_ACTION_COUNT,
};
const char *vhive_action_name(enum vhive_action a); /* "blanked", ... */

struct vhive_value_report {
        char *name; /* as spelt in the rule, or in the hive when present;
                     * NULL: a detect rule without values matched the key */
        int type;   /* hive_type, or -1 when absent */
        enum vhive_action action;
        char *old_text;    /* NULL when absent */
        uint8_t *old_data; /* the bytes, NULL when absent (the identity report) */
        size_t old_len;
        const struct vhive_rule *rule; /* the rule that took the value */
};

struct vhive_key_report {
        char *name; /* the last component, as spelt in the hive */
        /* Below the control set (rules on CurrentControlSet) or the hive
         * root, as spelt in the hive: "Services\Tcpip\Parameters". */
        char *path;
        bool is_interface; /* Services\Tcpip\Parameters\Interfaces\* */
        bool is_static;    /* EnableDHCP = 0 (enum vhive_dhcp) */
        bool is_tcpip6;    /* Services\Tcpip6\Parameters (the dhcpv6 pack) */
        struct vhive_value_report *values;
        size_t n_values;
};

struct vhive_cs_report {
        struct vhive_controlset cs;    /* name "" for keys below the hive root */
        struct vhive_key_report *keys; /* in the order the rules name them */
        size_t n_keys;
};

struct vhive_scrub_report {
        char hive[16]; /* "SYSTEM", "SOFTWARE" */
        struct vhive_cs_report *sets;
        size_t n_sets;
        struct vhive_cs_report root;         /* keys below the hive root (SOFTWARE) */
        unsigned counts[VHIVE_ACTION_COUNT]; /* indexed by enum vhive_action */
};

void vhive_scrub_report_free(struct vhive_scrub_report *rep);

/* ---- jobs: one operation over every target (lib/job/) ----------------- */

/* The hives one job may work on in an image (SYSTEM and SOFTWARE). */
#define VHIVE_MAX_HIVES 2

/* An operation a job runs on each target's hive; the library defines them
 * all (below), the command picks one and passes each target its context. */
struct vhive_op;

/* The scrub (writes) and the check (the same walk, read-only).  Context:
 * struct vhive_scrub_job, opts filled in (rules selected). */
struct vhive_scrub_job {
        struct vhive_scrub_opts opts;
        /* One per hive worked on, in order (a hive file: one). */
        struct vhive_scrub_report reps[VHIVE_MAX_HIVES];
        size_t n_reps;
};
void vhive_scrub_job_free(struct vhive_scrub_job *c); /* the reports */
extern const struct vhive_op vhive_scrub_op;
extern const struct vhive_op vhive_check_op;

/* EnableDHCP of an interface (lib/hive/interfaces.c): static means a
 * REG_DWORD 0, for info and scrub alike.  Windows reads the value as a
 * REG_DWORD only, so another type (a REG_SZ "0") counts as absent. */
enum vhive_dhcp {
        VHIVE_DHCP_ABSENT = -1,
        VHIVE_DHCP_STATIC = 0,    /* REG_DWORD 0 */
        VHIVE_DHCP_ENABLED = 1,   /* a REG_DWORD other than 0 */
        VHIVE_DHCP_NOT_DWORD = 2, /* present with another type: ignored */
};

struct vhive_interface {
        char *name; /* the key name ({GUID}) */
        enum vhive_dhcp dhcp;
        uint32_t enable_dhcp; /* the DWORD when there is one */
        char *address;        /* DhcpIPAddress, or the first IPAddress when static */
};

/* What "info" shows of a hive: its logs, control sets, interfaces.
 * Context of vhive_info_op, zeroed; free with vhive_info_free. */
struct vhive_info {
        char *log_names[2]; /* as found beside the hive, NULL when absent */
        struct vhive_replay_result logs;
        struct vhive_controlset *sets;
        int n_sets; /* < 0: sets_error says why (not a SYSTEM hive...) */
        char sets_error[1024];
        struct vhive_interface *ifaces; /* of the current control set */
        size_t n_ifaces;
};
extern const struct vhive_op vhive_info_op;
void vhive_info_free(struct vhive_info *info);

/* ---- image facts in a job's result (lib/image/) ------------------------ */

struct vhive_image_info {
        char format[16];             /* "vhdx", "vpc", "qcow2", "raw" */
        char label[24];              /* "VHDX", "VHD dynamic", "VHD fixed", "qcow2", "raw" */
        bool vhd_differencing;       /* VHD footer disk type 4 */
        bool vhdx_has_parent;        /* VHDX metadata holds a parent locator */
        bool qcow2_has_backing;      /* qcow2 header names a backing file */
        bool qcow2_data_file;        /* qcow2 guest data in an external data file */
        uint64_t qcow2_incompatible; /* qcow2 v3 incompatible feature bits */
        uint32_t vhd_disk_type;
};

/* Where Windows lives on one image. */
struct vhive_root {
        char device[64];      /* "/dev/sda2" (appliance) or "partition 2" (direct) */
        char fs_type[16];     /* "ntfs" */
        char config_dir[256]; /* real spelling, e.g. "/Windows/System32/config" */
        char partition[64];   /* human description: "MBR partition 2", "GPT partition 3" */
};

/* ---- the job driver (lib/job/driver.c) -------------------------------- */

/* Progress of a run, for a front end to show (the library never prints).
 * target is the index in vhive_run's list, or VHIVE_PROGRESS_RUN for the
 * whole run (the appliance launch, its shutdown); step says what is being
 * done ("downloading the hive"), NULL meaning the same step as the last
 * call (a new fraction); fraction is 0..1, or -1 when unknown.  Called in
 * the thread that called vhive_run. */
#define VHIVE_PROGRESS_RUN ((size_t)-1)
typedef void vhive_progress_fn(void *opaque, size_t target, const char *step, double fraction);

/* What the user asked for, as given on the command line. */
struct vhive_run_opts {
        bool dry_run;
        const char *output;      /* -o FILE: one target, a hive file */
        const char *backup_dir;  /* --backup DIR */
        bool force;              /* override .lok and version refusals */
        const char *format;      /* --format as given ("vhd" too); NULL: detect */
        const char *root_device; /* --root */
        const char *backend;     /* --backend; NULL: $VHIVE_BACKEND, else appliance */
        const char *log_format;  /* --log-format new|old: when an image does not tell */
        bool verbose;
        vhive_progress_fn *progress; /* NULL: none */
        void *progress_opaque;
};

/* What vhive found a hive to be when it opened it, before any edit: held
 * by the session that opened it and handed on whole to the job result. */
struct vhive_hive_state {
        struct vhive_regf_header header; /* of the primary as found */
        bool dirty;
        bool replayed; /* the logs were replayed into a private copy */
        struct vhive_replay_result replay;
        bool replay_failed; /* read-only: dirty, logs unusable, file as it is */
        char replay_error[1024];
};

/* One hive of a target, as the job left it. */
struct vhive_hive_result {
        char name[16]; /* "SYSTEM", "SOFTWARE"; "" for a hive file */
        int status;    /* 0 or -errno; err holds the message */
        struct vhive_error err;
        bool written;
        bool changed;
        struct vhive_hive_state state;
        char hive_path[512]; /* inside the image */
};

struct vhive_job_result {
        int status; /* 0 or -errno; err holds the message */
        struct vhive_error err;
        bool written;
        bool changed;                  /* the op changed (or would change) the hive */
        struct vhive_hive_state state; /* the hive as found, from its session */
        char note[1200];               /* said on stderr even on success: a followed link */
        bool is_image;
        struct vhive_image_info image;
        struct vhive_root root;
        char hive_path[512]; /* inside the image */
        char notice[256];    /* from the backend, about the whole run; "" when none */
        /* Per hive, in the order worked on (one for a hive file).  The
         * fields above sum them up: status and err the first failure,
         * written and changed any hive's, state and hive_path the first
         * hive's. */
        struct vhive_hive_result hives[VHIVE_MAX_HIVES];
        size_t n_hives;
};

/* Checks the options before any target is touched: the format (with its
 * aliases), backend and log format names, VHIVE_BACKEND, --output with one target.
 * -EINVAL with a message: a usage error. */
int vhive_run_check(const struct vhive_run_opts *o, size_t n_targets, struct vhive_error *err);

/* Runs op over every target: each is classified by its content (hive file
 * or disk image); hive files run one by one, images together in one
 * backend launch, the backend module loaded only when a target is an
 * image.  ctxs[i] and results[i] belong to targets[i]; a failure on one
 * target does not stop the others.  Returns the worst exit code
 * (VHIVE_EXIT_OK or VHIVE_EXIT_FAIL); a usage error (vhive_run_check)
 * fails every result with its message. */
int vhive_run(const struct vhive_op *op, const char *const *targets, size_t n, void *const *ctxs,
              const struct vhive_run_opts *o, struct vhive_job_result *results);

/* ---- identity report: values shared between targets (lib/scrub/identity.c) */

/* A value a delete or detect rule matched in one target (MachineGuid,
 * SusClientId, Dhcpv6DUID...): the input of the store-wide report.  The
 * strings and data are the caller's and must outlive the report. */
struct vhive_identity_value {
        size_t target;    /* index in the run's target list */
        const char *rule; /* "wsus.sus-client-id" */
        const char *hive; /* "SYSTEM", "SOFTWARE" */
        const char *key;  /* as shown: "ControlSet001\Services\Tcpip6\Parameters" */
        const char *name; /* the value's name ("" = default) */
        int type;         /* hive_type */
        const uint8_t *data;
        size_t len;
};

/* One target of a group, and the key it has the value in (the first in
 * byte order when it has it in several, as in two control sets). */
struct vhive_identity_where {
        size_t target;
        const char *key;
};

/* One identity (rule, hive, value name, type, bytes) held by two or more
 * targets. */
struct vhive_identity_group {
        const struct vhive_identity_value *value; /* the first one: rule, name... */
        char *text;                               /* vhive_value_to_text of it */
        struct vhive_identity_where *targets;     /* by target index, each once */
        size_t n_targets;
};

struct vhive_identity_report {
        struct vhive_identity_group *groups; /* by rule, hive, name, text */
        size_t n_groups;
        size_t n_targets; /* distinct targets in some group */
};

/* Groups vals[0..n) by identity: a group for each (rule, hive, name, type,
 * bytes) found in two or more distinct targets.  Names compare as the
 * registry does (ASCII case-insensitive), data by exact bytes and type; the
 * key path is not part of the identity (a target counts once however many
 * keys hold the value).  Blank values (the empty value of their type, as
 * scrub leaves them) and values that read as empty text are never an
 * identity.  O(n log n).  -ENOMEM with a message. */
int vhive_identity_group(const struct vhive_identity_value *vals, size_t n,
                         struct vhive_identity_report *rep, struct vhive_error *err);
void vhive_identity_report_free(struct vhive_identity_report *rep);
/* The "shared" array of check's --json document: one object per group,
 * {"rule", "hive", "name", "type", "data", "targets": [{"target", "index",
 * "key"}]}; targets[i] names target index i.  NULL on ENOMEM. */
json_t *vhive_json_identity_report(const struct vhive_identity_report *rep, char *const *targets);

/* ---- key paths and .reg files (lib/reg/) ------------------------------ */

/* "HKLM\SYSTEM\CurrentControlSet\Services", "HKEY_LOCAL_MACHINE\SOFTWARE",
 * or a path relative to the hive root ("ControlSet001\Services").  A
 * component "*" stands for every existing subkey at that level. */
struct vhive_keypath {
        const char *hive; /* "SYSTEM", "SOFTWARE", "SAM", "SECURITY"; NULL = relative */
        char *root;       /* the hive prefix as written ("HKLM\SYSTEM"), NULL when relative */
        char **comps;     /* the components below the hive root */
        size_t n;
        bool wildcard; /* some component is "*" */
};

/* Splits text.  Empty text (or "\") is the hive root.  -EINVAL for a root
 * other than HKLM/HKEY_LOCAL_MACHINE, a hive vhive does not know, or an
 * empty component. */
int vhive_keypath_parse(const char *text, struct vhive_keypath *kp, struct vhive_error *err);
void vhive_keypath_free(struct vhive_keypath *kp);
/* The first upto components with the prefix as written, for messages
 * ("HKLM\SYSTEM\CurrentControlSet\Foo"); malloc'd, NULL on ENOMEM. */
char *vhive_keypath_text(const struct vhive_keypath *kp, size_t upto);

struct vhive_reg_value {
        char *name;  /* UTF-8; "" is the default value (@) */
        bool remove; /* "NAME"=- */
        hive_type type;
        char *data; /* as it will be stored (REG_SZ: UTF-16LE with its NUL) */
        size_t len;
        unsigned line;
};

struct vhive_reg_key {
        struct vhive_keypath path;
        char *text;  /* between the brackets, as written */
        bool remove; /* [-KEY] */
        unsigned line;
        struct vhive_reg_value *values;
        size_t n_values;
};

struct vhive_regfile {
        char *name; /* for messages */
        bool regedit4;
        struct vhive_reg_key *keys;
        size_t n_keys;
};

/* Reads and parses a .reg file: UTF-16LE with BOM, UTF-8, ASCII; "Windows
 * Registry Editor Version 5.00" or "REGEDIT4".  Errors read "NAME:LINE:
 * what is wrong".  Touches no hive. */
int vhive_regfile_load(struct vhive_regfile *rf, const char *path, struct vhive_error *err);
void vhive_regfile_free(struct vhive_regfile *rf);

/* "string:TEXT", "expand:TEXT", "multi:a,b" ("\," is a comma), "dword:N",
 * "qword:N" (decimal or 0x hex), "hex:TYPE:bytes" ("01,02" or "0102"),
 * "none".  *data malloc'd. */
int vhive_typed_value_parse(const char *text, hive_type *type, char **data, size_t *len,
                            struct vhive_error *err);

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
        /* Keys of another hive than hive are passed over, not refused:
         * one hive of an image, whose other hives get their own run. */
        bool other_hives_skipped;
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
        char *key;   /* below the hive root, as spelt in the hive */
        char *value; /* value changes: the name ("" = default) */
        hive_type old_type, type;
        char *old_data, *data;
        size_t old_len, len;
        const char *file; /* the .reg line that asked for it */
        unsigned line;
};

struct vhive_merge;

/* The net changes of a plan; *n may be 0 (nothing to do). */
const struct vhive_change *vhive_merge_changes(const struct vhive_merge *plan, size_t *n);
void vhive_merge_free(struct vhive_merge *plan);

/* The merge as a job (set, delete and merge run it): each target gets its
 * own struct, with files and opts filled in; run() sets opts.hive (the
 * image's hive, or the hive file's name) and leaves the plan for
 * reporting.  In an image, the files' keys may name several hives (SYSTEM
 * and SOFTWARE): each is planned, written and reported on its own.  A
 * hive file is one hive: keys of two hives are refused. */
struct vhive_merge_job {
        const struct vhive_regfile *files;
        size_t n_files;
        struct vhive_merge_opts opts;
        const char *hive;         /* which hive of an image; NULL = SYSTEM */
        struct vhive_merge *plan; /* the last run's: plans[n_plans - 1] */
        /* after run(), one per hive run, in order; free with
         * vhive_merge_job_clear */
        struct vhive_merge *plans[VHIVE_MAX_HIVES];
        const char *plan_hives[VHIVE_MAX_HIVES]; /* each plan's hive; NULL: unknown */
        size_t n_plans;
};
void vhive_merge_job_clear(struct vhive_merge_job *j);
/* The hives the files' keys name (SYSTEM, SOFTWARE, SAM, SECURITY order),
 * into names (up to max); returns how many there are in all. */
size_t vhive_merge_job_hives(const struct vhive_merge_job *j, const char **names, size_t max);
extern const struct vhive_op vhive_merge_op;

/* Keys and values as data (lib/reg/read-data.c), for the JSON reports. */
struct vhive_value {
        char *name; /* UTF-8; "" is the default value */
        hive_type type;
        char *data; /* the bytes as stored */
        size_t len;
};

struct vhive_key {
        char *path; /* below the hive root, as spelt in the hive; "" = the root */
        char *name; /* its last component */
        struct vhive_value *values;
        size_t n_values;
        struct vhive_key *subkeys; /* ls: names only; export: whole subtrees */
        size_t n_subkeys;
};

void vhive_key_free(struct vhive_key *k); /* its contents */

/* The read-only editor commands (lib/reg/read.c): ls lists a key's
 * subkeys ("NAME\") then its values ("NAME<TAB>TYPE<TAB>TEXT"); get prints
 * one value (REG_MULTI_SZ one string per line; with a wildcard, "KEY<TAB>"
 * first); export writes regedit text.  What they produce goes to out. */
struct vhive_read_job {
        struct vhive_keypath kp;
        const char *name; /* get: the value ("" = default) */
        bool raw;         /* get: the bytes as stored */
        bool utf16;       /* export: UTF-16LE with a BOM */
        bool data;        /* fill keys, not out (for JSON) */
        char root[64];    /* after a run: "HKEY_LOCAL_MACHINE\\SYSTEM", the paths' hive */
        char *out;        /* the output, malloc'd */
        size_t out_len;
        /* With data: ls: each key, its values and its subkeys' names; get:
         * each key that has the value, with that value only; export: each
         * key with its whole subtree. */
        struct vhive_key *keys;
        size_t n_keys;
};
/* Frees what a run left in c (out, keys); c can run again. */
void vhive_read_job_clear(struct vhive_read_job *c);
extern const struct vhive_op vhive_ls_op;
extern const struct vhive_op vhive_get_op;
extern const struct vhive_op vhive_export_op;

/* ---- reports as JSON documents (lib/scrub/report-json.c) -------------- */

/* Every --json output is one document (vhive(1), JSON OUTPUT):
 * {"command", "schema": VHIVE_JSON_SCHEMA, "version", fields..., "targets":
 * [one object per target], "exit_code"}.  Bump the schema when a field
 * changes meaning or goes away; adding fields keeps it. */
#define VHIVE_JSON_SCHEMA 1
/* fields (may be NULL) go between "version" and "targets"; the document
 * takes the references to fields and targets. */
json_t *vhive_json_document(const char *command, json_t *fields, json_t *targets, int exit_code);

/* A JSON string of any text: s itself when it is UTF-8, else a copy with
 * U+FFFD for the bytes that are not (jansson refuses them, and a NULL
 * would silently drop the field or the whole object); null for NULL. */
json_t *vhive_json_text(const char *s);
/* {"path", "path_bytes" (only when the target is not UTF-8), "kind", "ok",
 * "written", "changed", "error", "hive_state", "replay", "notice",
 * image...}: what every target object starts with. */
json_t *vhive_json_job_result(const char *target, const struct vhive_job_result *r);
/* One hive of a result: {name, ok, written, changed, dirty, replayed,
 * hive_path, error}. */
json_t *vhive_json_hive_result(const struct vhive_hive_result *h);
/* {"controlsets": [...], "totals": {...}} merged into obj. */
int vhive_json_add_scrub(json_t *obj, const struct vhive_scrub_report *rep);
json_t *vhive_json_replay(const struct vhive_replay_result *res);
/* One target object of each command (the report only when r succeeded). */
json_t *vhive_json_scrub_target(const char *target, const struct vhive_job_result *r,
                                const struct vhive_scrub_job *c);
json_t *vhive_json_info_target(const char *target, const struct vhive_job_result *r,
                               const struct vhive_info *c);

/* ---- the editor's JSON (lib/reg/reg-json.c) ---------------------------- */

/* {"name", "type", "data"}: data typed by the type (vhive(1)). */
json_t *vhive_json_value(const char *name, hive_type t, const char *data, size_t len);
/* ls, get or export (op says which), after a run with c->data set. */
json_t *vhive_json_read_target(const char *target, const struct vhive_job_result *r,
                               const struct vhive_op *op, const struct vhive_read_job *c);
/* set, delete, merge: {"changes": [...], "unmatched": [...]} and the rest. */
json_t *vhive_json_merge_target(const char *target, const struct vhive_job_result *r,
                                const struct vhive_merge_job *j);
