/* vhive: offline registry hive editing for Windows vDisk images.
 *
 * The public face of the library.  Every function returns 0 (or a count)
 * on success and a negative errno on failure, with the reason in the
 * struct vhive_error the caller passes in.  Nothing here prints.
 */
#pragma once

#include <hivex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes shared by every command. */
enum {
        VHIVE_EXIT_OK = 0,
        VHIVE_EXIT_STALE = 1, /* check: a value of the profile is not blank */
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

/* ---- the regf base block (lib/regf-header.c) -------------------------- */

#define VHIVE_REGF_BASE_BLOCK 4096u
#define VHIVE_REGF_FILE_PRIMARY 0u

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

/* Checksum of a base block as Windows computes it. */
uint32_t vhive_regf_checksum(const uint8_t *base_block);
/* -EINVAL when buf is shorter than a base block or lacks "regf". */
int vhive_regf_parse(const uint8_t *buf, size_t len, struct vhive_regf_header *hdr);
/* Stores the checksum of the first 508 bytes at offset 508. */
void vhive_regf_store_checksum(uint8_t *base_block);
/* Dirty: the checksum is wrong or the two sequence numbers differ. */
bool vhive_regf_is_dirty(const struct vhive_regf_header *hdr);

/* ---- transaction-log replay (lib/log-replay.c) ------------------------ */

enum vhive_log_format {
        VHIVE_LOG_NONE = 0, /* missing or empty file */
        VHIVE_LOG_OLD = 1,  /* file type 1/2, DIRT bitmap (Vista - 8.0) */
        VHIVE_LOG_NEW = 6,  /* file type 6, HvLE entries (8.1 and later) */
        VHIVE_LOG_INVALID = -1,
};

struct vhive_log_info {
        enum vhive_log_format format;
        uint32_t seq_primary, seq_secondary; /* of the log's base block */
        bool eligible;         /* would be considered for replay */
        bool damaged;          /* present, not empty, but not readable as a log */
        unsigned entries;      /* valid entries (new format), or dirty pages (old) */
        uint32_t first_seq, last_seq; /* of the valid entries */
        unsigned applied;      /* entries (or pages) applied */
};

struct vhive_replay_result {
        struct vhive_log_info log[2]; /* LOG1, LOG2 */
        unsigned entries_applied;
        uint32_t final_seq;
        bool base_block_rebuilt; /* the primary's base block came from a log */
};

uint64_t vhive_marvin32(uint64_t seed, const uint8_t *data, size_t len);

/* 0 unless the primary is dirty (or unusable) and a log is present, not
 * empty, but cannot be read as a log (no regf base block, a bad checksum,
 * a file type that is not a log's, torn sequence numbers, an old-format
 * log without its dirty vector): it may hold the newest changes, so what
 * Windows would load is unknown.  -EUCLEAN naming the log and why. */
int vhive_logs_check_readable(const uint8_t *primary, size_t primary_len,
                              const uint8_t *log1, size_t log1_len,
                              const uint8_t *log2, size_t log2_len, struct vhive_error *err);

/* Describes the logs without replaying (for "info").  Of the primary only
 * its base block is read.  Either log may be NULL/0.  Never fails:
 * unusable logs are described as such. */
void vhive_logs_describe(const uint8_t *primary, size_t primary_len,
                         const uint8_t *log1, size_t log1_len,
                         const uint8_t *log2, size_t log2_len,
                         struct vhive_replay_result *res);

/* Replays the logs over a copy of the primary.  The inputs are not
 * modified; *out is malloc'd and holds a clean hive (equal sequence
 * numbers, file type 0, valid checksum).  Fails with a message when the
 * hive is dirty and no log is eligible, when the logs are inconsistent,
 * when the logs claim more hive bins than the primary and the logs can
 * fill, or when the primary is unusable and no log can rebuild it.  Like
 * the kernel at boot, it skips a damaged log: vhive_logs_check_readable
 * is what a reader or writer calls first. */
int vhive_replay(const uint8_t *primary, size_t primary_len,
                 const uint8_t *log1, size_t log1_len,
                 const uint8_t *log2, size_t log2_len,
                 uint8_t **out, size_t *out_len,
                 struct vhive_replay_result *res, struct vhive_error *err);

/* ---- registry values as text (lib/value-text.c) ----------------------- */

const char *vhive_type_name(hive_type t); /* "REG_SZ", ... */
/* malloc'd UTF-8 rendering of a value: strings as text, REG_MULTI_SZ
 * joined with ", " ... returns NULL only on ENOMEM. */
char *vhive_value_to_text(hive_type t, const char *data, size_t len);
/* A malloc'd copy of UTF-8 text for human output (lib/util/escape.c):
 * C0 controls, DEL and bytes that are not UTF-8 become \xHH, C1 controls
 * (U+0080-U+009F) \u00HH; everything else, backslashes included, is kept.
 * NULL only on ENOMEM.  JSON (jansson) and .reg export escape on their own. */
char *vhive_escape_text(const char *s);
/* UTF-16LE <-> UTF-8 helpers; NULL with errno set on failure. */
char *vhive_utf16le_to_utf8(const char *data, size_t len);
char *vhive_utf8_to_utf16le(const char *s, size_t *out_len); /* includes NUL */

/* ---- blank encodings (lib/blank.c) ----------------------------------- */

/* The blank form of a value of type t: REG_SZ/EXPAND_SZ "" (2 NUL bytes),
 * REG_MULTI_SZ the empty list, REG_DWORD/QWORD 0, anything else zero
 * length.  *data is static; *len its size. */
void vhive_blank_for_type(hive_type t, const char **data, size_t *len);
/* True when the value already reads as blank for its type. */
bool vhive_value_is_blank(hive_type t, const char *data, size_t len);

/* ---- hive helpers over hivex (lib/hive.c) ----------------------------- */

/* Case-insensitive child lookup.  0 and *node = 0 when absent; -errno
 * when hivex fails. */
int vhive_child(hive_h *h, hive_node_h parent, const char *name,
                hive_node_h *node, struct vhive_error *err);
/* Walks a backslash-separated path from parent. */
int vhive_lookup(hive_h *h, hive_node_h parent, const char *path,
                 hive_node_h *node, struct vhive_error *err);
/* -EUCLEAN with a message unless node records parent as its parent. */
int vhive_check_parent(hive_h *h, hive_node_h parent, hive_node_h node, const char *name,
                       struct vhive_error *err);
/* 0 when hivex_node_set_values can safely replace node's values; -EUCLEAN
 * with a message when the key's value cells are damaged in a way that
 * makes hivex abort (assert) while freeing them. */
int vhive_values_rewritable(hive_h *h, hive_node_h node, struct vhive_error *err);

/* ---- cells hivex will free (lib/hive/cells.c) ---------------------------- */

/* Maps the hive file that h was opened from (hivex keeps its own copy) so
 * that the calls below can check, the way hivex will use them, every cell
 * a write frees: a damaged cell makes hivex abort (an assertion in
 * mark_block_unused).  Sessions opened for writing attach; without it the
 * calls below check nothing more than the public API shows. */
int vhive_cells_attach(hive_h *h, const char *path, struct vhive_error *err);
/* The same over the bytes h was opened from, held by the caller: they must
 * stay as they are while h is written and until vhive_cells_detach. */
int vhive_cells_attach_buf(hive_h *h, const uint8_t *buf, size_t len, struct vhive_error *err);
void vhive_cells_detach(hive_h *h);
/* Before hivex_node_set_values (vhive_values_rewritable calls it),
 * hivex_node_delete_child and hivex_node_add_child on h: 0, or -EUCLEAN
 * with a message when a cell to be freed is not a used cell, belongs to
 * two structures, or was freed by an earlier call. */
int vhive_cells_before_set_values(hive_h *h, hive_node_h node, struct vhive_error *err);
int vhive_cells_before_delete(hive_h *h, hive_node_h node, struct vhive_error *err);
int vhive_cells_before_add_child(hive_h *h, hive_node_h parent, struct vhive_error *err);

/* ---- in-place value edits (lib/hive/inplace.c) ------------------------ */

/* The bytes of a hive (base block first) that a read-only hivex handle was
 * opened on: its node and value handles are offsets into them. */
struct vhive_hive_buf {
        uint8_t *b;
        size_t len;
};

/* Blanks value (of key node) in place: a blank of 4 bytes or less goes
 * inline in the vk cell and the old data cell(s) are freed (a big-data db
 * cell with its segment list and segments); a longer blank (QWORD 0) goes
 * into the old data cell.  Nothing is allocated, the hive does not grow.
 * -EUCLEAN with a message, bytes untouched, when a cell is damaged;
 * -ENOSPC when the blank does not fit. */
int vhive_inplace_blank(struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                        struct vhive_error *err);
/* Deletes value from key node in place: the value list is shortened in
 * its own cell (freed, with the offset set to -1, when it empties), the
 * key's value count updated, the vk and data cells freed. */
int vhive_inplace_delete(struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                         struct vhive_error *err);

/* ---- control sets (lib/controlset.c) ---------------------------------- */

struct vhive_controlset {
        unsigned number; /* NNN of ControlSetNNN */
        hive_node_h node;
        bool current;
        char name[32]; /* "ControlSet001" as spelt in the hive */
};

/* Resolves Select\Current. -ENOENT with a clear message when Select or
 * Current is missing or names a control set the hive does not have. */
int vhive_controlset_current(hive_h *h, struct vhive_controlset *cs,
                             struct vhive_error *err);
/* Every ControlSetNNN key, sorted by number, *current marked.  Returns the
 * count; *list is malloc'd. */
int vhive_controlset_list(hive_h *h, struct vhive_controlset **list,
                          struct vhive_error *err);

/* ---- the scrub (lib/scrub.c, lib/profile.c) --------------------------- */

enum vhive_profile { VHIVE_PROFILE_SEED, VHIVE_PROFILE_LEASE };

struct vhive_scrub_opts {
        enum vhive_profile profile;
        bool keep_static;     /* leave NameServer/Domain when EnableDHCP=0 */
        bool all_controlsets; /* every ControlSetNNN, not only the current */
};

enum vhive_action {
        VHIVE_ACTION_BLANKED,
        VHIVE_ACTION_ALREADY_BLANK,
        VHIVE_ACTION_ABSENT,
        VHIVE_ACTION_KEPT,
};
const char *vhive_action_name(enum vhive_action a); /* "blanked", ... */

struct vhive_value_report {
        char *name;     /* as spelt in the profile, or in the hive when present */
        int type;       /* hive_type, or -1 when absent */
        enum vhive_action action;
        char *old_text; /* NULL when absent */
};

struct vhive_key_report {
        char *name;   /* "Parameters" or the interface key name ({GUID}) */
        bool is_interface;
        bool is_static; /* EnableDHCP = 0 */
        struct vhive_value_report *values;
        size_t n_values;
};

struct vhive_cs_report {
        struct vhive_controlset cs;
        struct vhive_key_report *keys; /* Parameters first, then interfaces */
        size_t n_keys;
};

struct vhive_scrub_report {
        struct vhive_cs_report *sets;
        size_t n_sets;
        unsigned counts[4]; /* indexed by enum vhive_action */
};

/* The value names of a profile, NULL-terminated. */
const char *const *vhive_profile_values(enum vhive_profile p);
int vhive_profile_parse(const char *name, enum vhive_profile *p);

/* Walks the control set(s) and, when apply is true, blanks the values
 * with hivex's writer (one hivex_node_set_values per key, new cells
 * appended: the hive grows).  Fills rep either way. */
int vhive_scrub(hive_h *h, const struct vhive_scrub_opts *opts, bool apply,
                struct vhive_scrub_report *rep, struct vhive_error *err);
/* The same walk, blanking each value in place in buf (the bytes h was
 * opened on; see vhive_inplace_blank): the hive never grows.  h is not
 * changed and must not be used to read the result. */
int vhive_scrub_in_place(hive_h *h, struct vhive_hive_buf *buf,
                         const struct vhive_scrub_opts *opts, struct vhive_scrub_report *rep,
                         struct vhive_error *err);
/* After a commit: 0 when every value marked blanked/already-blank now
 * reads blank with its old type, -EIO with a message otherwise. */
int vhive_scrub_verify(hive_h *h, const struct vhive_scrub_report *rep,
                       struct vhive_error *err);
void vhive_scrub_report_free(struct vhive_scrub_report *rep);

/* ---- safe files (lib/safe-file.c) ------------------------------------- */

/* Copies the files (NULL entries skipped) into dir (created with its
 * parents), fsync'd.  Never overwrites: when dir already holds one of the
 * names, the set goes to dir/2, dir/3... */
int vhive_backup_files(const char *const *files, size_t n, const char *dir,
                       struct vhive_error *err);
/* write(2) until done: 0 or -errno (-EIO when nothing more is written). */
int vhive_write_all(int fd, const void *data, size_t len);
/* Reads a whole file; *data malloc'd. */
int vhive_read_file(const char *path, uint8_t **data, size_t *len,
                    struct vhive_error *err);
/* The same, refusing a symbolic link (O_NOFOLLOW): for a session's hive
 * (a job resolves a linked TARGET first) and its transaction logs, found
 * by name beside it, which must not lead elsewhere. */
int vhive_read_file_nofollow(const char *path, uint8_t **data, size_t *len,
                             struct vhive_error *err);
/* fsync of the folder holding path. */
int vhive_fsync_dir_of(const char *path, struct vhive_error *err);

/* ---- an editing session on one hive file (lib/session.c) -------------- */

struct vhive_session {
        char *primary;     /* the hive file as given */
        char *logs[2];     /* SYSTEM.LOG1/.LOG2 beside it, NULL when absent */
        struct vhive_regf_header header;
        bool dirty;
        bool replayed;     /* h holds the replayed state, not the file's */
        struct vhive_replay_result replay;
        /* Read-only sessions on a dirty hive whose logs cannot be replayed
         * fall back to the file as it is, saying why here. */
        bool replay_failed;
        char replay_error[1024];
        hive_h *h;
        bool writable;
        /* Commits are fsync'd; false for a host-side working copy whose
         * durable home is a disk image (the backend syncs that). */
        bool durable;
        int work_fd;       /* memfd holding a replayed copy, or -1 */
        /* Writable sessions: the bytes h was opened on (replayed when the
         * hive is dirty), for in-place edits.  An op that edits them sets
         * edited_in_place; otherwise the new hive is hivex's commit of h. */
        struct vhive_hive_buf bytes;
        bool edited_in_place;
};

/* NAME.LOG1 and NAME.LOG2 beside primary, in any letter case; logs[i]
 * malloc'd or left NULL when absent. */
int vhive_find_logs(const char *primary, char *logs[2], struct vhive_error *err);

/* Checks the header, replays logs into a private copy when dirty, opens
 * with hivex (writable when asked).  A dirty hive that cannot be replayed
 * is refused for writing and opened as it is for reading (replay_failed).
 * Bad input: -EINVAL/-ENOENT etc. with a clear message; nothing is
 * written. */
int vhive_session_open(struct vhive_session *s, const char *primary,
                       bool writable, struct vhive_error *err);
/* The new hive after an op: the edited bytes, or hivex's commit of h
 * (through a memfd), with the header mended (sequence numbers one past the
 * hive's, time now, checksum under Windows' rule).  *out malloc'd; the
 * edited bytes are handed over (s->bytes is empty afterwards). */
int vhive_session_result(struct vhive_session *s, uint8_t **out, size_t *out_len,
                         struct vhive_error *err);
/* Writes data into a new temp file beside dest (mode copied from
 * mode_from, or dest when it exists), fsync'd when s->durable.
 * *tmp_path is malloc'd; dest is not touched. */
int vhive_session_write_temp(struct vhive_session *s, const uint8_t *data, size_t len,
                             const char *dest, const char *mode_from, char **tmp_path,
                             struct vhive_error *err);
void vhive_session_close(struct vhive_session *s);

/* Checks a committed file's header: clean, sequence numbers equal,
 * checksum valid under Windows' rule, hive bins within the file. */
int vhive_verify_header(const char *path, struct vhive_error *err);
/* Reads and checks the header of a hive file (regular file, "regf",
 * hive bins within the file).  dirty is not an error here. */
int vhive_probe_hive(const char *path, struct vhive_regf_header *hdr,
                     struct vhive_error *err);
