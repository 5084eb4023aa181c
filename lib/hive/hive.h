/* The binary hive inside the library: the regf base block, transaction-log
 * replay, values as bytes, key lookup over hivex, control sets, and the
 * editing session on one hive file.  Not part of the public face (vhive.h).
 */
#pragma once

#include "vhive.h"

/* ---- the regf base block (lib/hive/regf-header.c) -------------------- */

#define VHIVE_REGF_BASE_BLOCK 4096u
#define VHIVE_REGF_FILE_PRIMARY 0u

/* Checksum of a base block as Windows computes it. */
uint32_t vhive_regf_checksum(const uint8_t *base_block);
/* -EINVAL when buf is shorter than a base block or lacks "regf". */
int vhive_regf_parse(const uint8_t *buf, size_t len, struct vhive_regf_header *hdr);
/* Stores the checksum of the first 508 bytes at offset 508. */
void vhive_regf_store_checksum(uint8_t *base_block);
/* Dirty: the checksum is wrong or the two sequence numbers differ. */
bool vhive_regf_is_dirty(const struct vhive_regf_header *hdr);

/* ---- transaction-log replay (lib/hive/log-replay.c, marvin32.c) ------ */

uint64_t vhive_marvin32(uint64_t seed, const uint8_t *data, size_t len);

/* 0 unless the primary is dirty (or unusable) and a log is present, not
 * empty, with a sound base block, but a body that cannot be read (an
 * old-format log without its dirty vector, or truncated): Windows would use
 * it and cannot, so what it would load is unknown.  -EUCLEAN naming the
 * log and why.  A log with an invalid base block (no regf, a bad checksum,
 * a file type that is not a log's, torn sequence numbers) passes: Windows
 * ignores it, the replay skips it and marks it ignored, with a warning. */
int vhive_logs_check_readable(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                              size_t log1_len, const uint8_t *log2, size_t log2_len,
                              struct vhive_error *err);

/* Describes the logs without replaying (for "info").  Of the primary only
 * its base block is read.  Either log may be NULL/0.  Never fails:
 * unusable logs are described as such. */
void vhive_logs_describe(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                         size_t log1_len, const uint8_t *log2, size_t log2_len,
                         struct vhive_replay_result *res);

/* Replays the logs over a copy of the primary.  The inputs are not
 * modified; *out is malloc'd and holds a clean hive (equal sequence
 * numbers, file type 0, valid checksum).  Fails with a message when the
 * hive is dirty and no log is eligible, when the logs are inconsistent,
 * when the logs claim more hive bins than the primary and the logs can
 * fill, or when the primary is unusable and no log can rebuild it.  Like
 * the kernel at boot, it skips a damaged log: vhive_logs_check_readable
 * is what a reader or writer calls first, to refuse a log Windows would use
 * and cannot. */
int vhive_replay(const uint8_t *primary, size_t primary_len, const uint8_t *log1, size_t log1_len,
                 const uint8_t *log2, size_t log2_len, uint8_t **out, size_t *out_len,
                 struct vhive_replay_result *res, struct vhive_error *err);

/* The same without a hive-sized allocation per call (issue 20: a logged
 * commit replays a 120 MB hive seven times, and each fresh buffer is
 * faulted in and zeroed by the kernel): the replay goes into *scratch,
 * grown when too small and reused by the next call (the caller frees
 * scratch->b).  A primary that needs no log (clean) is not copied: *out
 * is primary itself.  *out is valid until the next call with scratch. */
struct vhive_replay_buf {
        uint8_t *b;
        size_t cap;
};
int vhive_replay_view(const uint8_t *primary, size_t primary_len, const uint8_t *log1,
                      size_t log1_len, const uint8_t *log2, size_t log2_len,
                      struct vhive_replay_buf *scratch, const uint8_t **out, size_t *out_len,
                      struct vhive_replay_result *res, struct vhive_error *err);
/* The same over buf itself, len bytes holding the primary: on return 0
 * buf holds the replayed hive (*out_len bytes; as it was for a clean
 * hive).  Logs that would grow the hive past len fail (EFBIG).  On a
 * failure buf may hold part of the replay. */
int vhive_replay_in_place(uint8_t *buf, size_t len, const uint8_t *log1, size_t log1_len,
                          const uint8_t *log2, size_t log2_len, size_t *out_len,
                          struct vhive_replay_result *res, struct vhive_error *err);

/* ---- values as bytes (lib/hive/value-text.c) ------------------------- */

/* UTF-16LE <-> UTF-8 helpers; NULL with errno set on failure. */
char *vhive_utf16le_to_utf8(const char *data, size_t len);
/* Walks a REG_MULTI_SZ: each call gives the next string's UTF-16LE bytes
 * (*s, *n, without its NUL) and returns false at the empty string that
 * ends the list or at the end of the data.  *pos starts at 0. */
bool vhive_multi_sz_next(const char *data, size_t len, size_t *pos, const char **s, size_t *n);
char *vhive_utf8_to_utf16le(const char *s, size_t *out_len); /* includes NUL */

/* ---- blank encodings (lib/hive/blank.c) ------------------------------ */

/* The blank form of a value of type t: REG_SZ/EXPAND_SZ "" (2 NUL bytes),
 * REG_MULTI_SZ the empty list, REG_DWORD/QWORD 0, anything else zero
 * length.  *data is static; *len its size. */
void vhive_blank_for_type(hive_type t, const char **data, size_t *len);
/* True when the value already reads as blank for its type. */
bool vhive_value_is_blank(hive_type t, const char *data, size_t len);

/* ---- reading a hive: hivex or the lazy reader --------------------------- */

/* What the read-only walks (scrub's report, control sets) call, with
 * hivex's meanings: handles are file offsets of cells, 0 with errno 0 is
 * "absent", 0 (or NULL, -1) with errno set a failure. */
struct vhive_reader;
struct vhive_reader_ops {
        hive_node_h (*root)(const struct vhive_reader *rd);
        hive_node_h *(*children)(const struct vhive_reader *rd, hive_node_h node);
        hive_node_h (*get_child)(const struct vhive_reader *rd, hive_node_h node, const char *name);
        hive_node_h (*parent)(const struct vhive_reader *rd, hive_node_h node);
        char *(*name)(const struct vhive_reader *rd, hive_node_h node);
        hive_value_h (*get_value)(const struct vhive_reader *rd, hive_node_h node,
                                  const char *name);
        char *(*value_key)(const struct vhive_reader *rd, hive_value_h v);
        int (*value_type)(const struct vhive_reader *rd, hive_value_h v, hive_type *t, size_t *len);
        char *(*value_value)(const struct vhive_reader *rd, hive_value_h v, hive_type *t,
                             size_t *len);
};

struct vhive_lazy;
struct vhive_reader {
        const struct vhive_reader_ops *ops;
        hive_h *h;               /* hivex's handle; NULL for the lazy reader */
        struct vhive_lazy *lazy; /* the lazy reader's state; NULL for hivex */
};

/* The reader over a hivex handle (lib/hive/hive.c). */
struct vhive_reader vhive_reader_hivex(hive_h *h);

/* The lazy reader (lib/hive/lazy-reader.c): reads only the cells asked
 * for, through pread, with a small cache; never validates the bins it
 * does not read.  pread returns 0 or -errno with a message in err. */
typedef int vhive_pread_fn(void *opaque, void *buf, size_t len, uint64_t off,
                           struct vhive_error *err);
/* 0 and *out; 1 when it cannot read this hive (dirty, not version 1.x,
 * bins the file does not hold, no root key where the header says): read
 * it the full way, which says why; -errno when the root cannot be read. */
int vhive_lazy_open(const struct vhive_regf_header *hdr, uint64_t file_size, vhive_pread_fn *pread,
                    void *opaque, struct vhive_lazy **out, struct vhive_error *err);
struct vhive_reader vhive_reader_lazy(struct vhive_lazy *lz);
/* Some read was refused (a damaged or hostile structure) or failed: what
 * the caller got may differ from hivex's answer; read the full way. */
bool vhive_lazy_failed(const struct vhive_lazy *lz);
uint64_t vhive_lazy_bytes_read(const struct vhive_lazy *lz); /* from pread */
void vhive_lazy_close(struct vhive_lazy *lz);

/* ---- key lookup over a reader (lib/hive/hive.c) ------------------------- */

/* As vhive_child, vhive_lookup, vhive_check_parent and
 * vhive_interface_dhcp below, over either reader. */
int vhive_rd_child(const struct vhive_reader *rd, hive_node_h parent, const char *name,
                   hive_node_h *node, struct vhive_error *err);
int vhive_rd_lookup(const struct vhive_reader *rd, hive_node_h parent, const char *path,
                    hive_node_h *node, struct vhive_error *err);
int vhive_rd_check_parent(const struct vhive_reader *rd, hive_node_h parent, hive_node_h node,
                          const char *name, struct vhive_error *err);
enum vhive_dhcp vhive_rd_interface_dhcp(const struct vhive_reader *rd, hive_node_h iface,
                                        uint32_t *value);
/* A REG_DWORD's value as hivex_value_dword reads it (~0 when it fails). */
uint32_t vhive_rd_dword(const struct vhive_reader *rd, hive_value_h v);

/* ---- hive helpers over hivex (lib/hive/hive.c) ------------------------ */

/* Case-insensitive child lookup.  0 and *node = 0 when absent; -errno
 * when hivex fails. */
int vhive_child(hive_h *h, hive_node_h parent, const char *name, hive_node_h *node,
                struct vhive_error *err);
/* Walks a backslash-separated path from parent. */
int vhive_lookup(hive_h *h, hive_node_h parent, const char *path, hive_node_h *node,
                 struct vhive_error *err);
/* -EUCLEAN with a message unless node records parent as its parent. */
int vhive_check_parent(hive_h *h, hive_node_h parent, hive_node_h node, const char *name,
                       struct vhive_error *err);
/* 0 when hivex_node_set_values can safely replace node's values; -EUCLEAN
 * with a message when the key's value cells are damaged in a way that
 * makes hivex abort (assert) while freeing them. */
int vhive_values_rewritable(hive_h *h, hive_node_h node, struct vhive_error *err);

/* ---- cells hivex will free (lib/hive/cells.c) -------------------------- */

/* Maps the hive file that h was opened from (hivex keeps its own copy) so
 * that the calls below can check, the way hivex will use them, every cell
 * a write frees: a damaged cell makes hivex abort (an assertion in
 * mark_block_unused).  Sessions opened for writing attach; without it the
 * calls below check nothing more than the public API shows. */
int vhive_cells_attach(hive_h *h, const char *path, struct vhive_error *err);
/* The same over the bytes h was opened from, held by the caller: they must
 * stay as they are while h is written and until vhive_cells_detach. */
int vhive_cells_attach_buf(hive_h *h, const uint8_t *buf, size_t len, struct vhive_error *err);
/* The same before hivex opens buf, a shared mapping of the file it will
 * open: the reference counts are built now (or taken from ahead, when
 * they were built from the same bytes already), reading each page once, so
 * that the caller can drop its mapping's pages before hivex maps them too
 * (issue 20).  A failure of the counts is returned at their first use, as
 * when built there; hb->refs gets a copy of them when it has none, or the
 * counts themselves when in_place (hivex will not write: the cells would
 * build their own again if they were ever asked).
 * vhive_cells_bind gives the cells to h once hivex opened buf;
 * vhive_cells_detach(NULL) drops them if it did not. */
struct vhive_hive_buf;
struct vhive_refs_ahead;
int vhive_cells_attach_early(struct vhive_hive_buf *hb, bool in_place,
                             struct vhive_refs_ahead *ahead, struct vhive_error *err);
void vhive_cells_bind(hive_h *h);
void vhive_cells_detach(hive_h *h);
/* Before hivex_node_set_values (vhive_values_rewritable calls it),
 * hivex_node_delete_child and hivex_node_add_child on h: 0, or -EUCLEAN
 * with a message when a cell to be freed is not a used cell, belongs to
 * two structures, or was freed by an earlier call. */
int vhive_cells_before_set_values(hive_h *h, hive_node_h node, struct vhive_error *err);
int vhive_cells_before_delete(hive_h *h, hive_node_h node, struct vhive_error *err);
int vhive_cells_before_add_child(hive_h *h, hive_node_h parent, struct vhive_error *err);

/* ---- references to cells, big data (lib/hive/refs.c) ----------------- */

/* Hives 1.4 and later keep data longer than this in a big-data (db) cell:
 * a segment list and segments of at most this many bytes, all but the
 * last one full. */
#define VHIVE_BIG_DATA_SEGMENT 16344u

/* How many times the hive's keys refer to each cell (walking the tree
 * from the root: nk, subkey lists, value lists, vk, data, db, segment
 * lists, segments, class names, sk), one byte per 8 bytes of hive bins,
 * saturating at 255.  *refs malloc'd.  -EUCLEAN when a db cell's segment
 * count does not match its value's length. */
int vhive_refs_build(const uint8_t *b, size_t len, uint8_t **refs, struct vhive_error *err);
/* The count of the cell whose size field is at file offset at. */
unsigned vhive_refs_get(const uint8_t *refs, size_t at);
/* One reference less; true when none is left (the cell may be freed).
 * A saturated count stays, and never reads as free. */
bool vhive_refs_drop(uint8_t *refs, size_t at);

struct vhive_big_flat {
        size_t *vk; /* file offsets of vk cells whose big data is one cell */
        size_t n, cap;
        bool oom;
};
void vhive_big_flat_push(struct vhive_big_flat *f, size_t vk);
/* In a hive of minor version 4 or later (hivex's commit): every value
 * whose data is longer than VHIVE_BIG_DATA_SEGMENT and held in one flat
 * cell gets a db cell, a segment list and segments in a new hive bin at
 * the end, as Windows writes them; the flat cell is freed.  *b is
 * realloc'd, *len updated.  -EUCLEAN when such a cell is shared. */
int vhive_big_data_split(uint8_t **b, size_t *len, struct vhive_error *err);

/* ---- in-place value edits (lib/hive/inplace.c) ------------------------ */

/* The bytes of a hive (base block first) that a read-only hivex handle was
 * opened on: its node and value handles are offsets into them. */
#define VHIVE_TOUCHED_MAX 512

struct vhive_hive_buf {
        uint8_t *b;
        size_t len;
        /* The cells' reference counts (vhive_refs_build), built by the
         * first in-place edit and kept up to date by the next ones; freed
         * by vhive_hive_buf_drop_refs. */
        uint8_t *refs;
        /* Every cell an in-place edit may have written (file offsets of
         * their size fields, vhive_hive_buf_touch), for the verification
         * of the bins that hold them (vhive_inplace_check);
         * touched_lost when more than VHIVE_TOUCHED_MAX were. */
        uint32_t touched[VHIVE_TOUCHED_MAX];
        unsigned n_touched;
        bool touched_lost;
};

void vhive_hive_buf_drop_refs(struct vhive_hive_buf *hb);

/* From this size on, the file system's copy of a hive and the start of its
 * writeback run beside the main thread, which counts the cells' references
 * on the hive file meanwhile (work-file.c).  Measured on a 2-core VM,
 * medians of alternating runs: a scrub of a 30 MB hive 41.9 -> 40.3 ms,
 * 60 MB 70.8 -> 60.6 ms, 120 MB 0.71x; of the real 12.2 MB SYSTEM 25.9 ->
 * 27.5 ms (a second thread's price, TLB shootdowns at every unmap among
 * others, is more than that overlap).  Counting beside hivex's parse
 * instead, below it, gained 0.99-0.97x and doubled the peak RSS (29 against
 * 18 MiB): not kept. */
#define VHIVE_THREADS_FROM (16u * 1024 * 1024)

/* Reference counts built ahead of the session's bytes, from the same bytes
 * elsewhere (work-file.c: the hive file, while the file system copies it):
 * vhive_refs_build's result, its error when it failed. */
struct vhive_refs_ahead {
        bool built;
        int r;
        uint8_t *refs;
        struct vhive_error err;
};
/* Records that the cell at file offset at is about to be written: anything
 * that writes hb->b in place calls it first, or vhive_inplace_check can
 * vouch for nothing. */
void vhive_hive_buf_touch(struct vhive_hive_buf *hb, size_t at);
/* After in-place edits, what hivex_open would find wrong in the hive bins
 * that hold the touched cells: a bin header that does not name its own
 * offset or has a bad size, a cell size under 8 or not a multiple of 4,
 * a cell crossing its bin's end, a touched cell that is not where a cell
 * starts; and the root key that is not a used nk.  0 when sound; 1 when
 * it cannot vouch (no touched cell recorded, or more than it holds: parse
 * the whole hive instead); -EIO with a message when damaged.  A whole
 * parse would find the same in those bins; the others hold the bytes the
 * session's first parse (hivex_open) accepted, which no edit wrote. */
int vhive_inplace_check(const struct vhive_hive_buf *hb, struct vhive_error *err);

/* Blanks value (of key node) in place: a blank of 4 bytes or less goes
 * inline in the vk cell and the old data cell(s) are freed (a big-data db
 * cell with its segment list and segments) unless something else in the
 * hive still refers to them; a longer blank (QWORD 0) goes into the old
 * data cell.  Nothing is allocated, the hive does not grow.  -EUCLEAN
 * with a message, bytes untouched, when a cell is damaged, or when the
 * vk or the key's value list is shared (blanking it would change another
 * key), or a QWORD's data cell is; -ENOSPC when the blank does not fit. */
int vhive_inplace_blank(struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                        struct vhive_error *err);
/* Deletes value from key node in place: the value list is shortened in
 * its own cell (freed, with the offset set to -1, when it empties), the
 * key's value count updated, the vk and data cells freed (data cells
 * other values share are kept).  -EUCLEAN when the vk or the value list
 * is shared. */
int vhive_inplace_delete(struct vhive_hive_buf *hb, hive_node_h node, hive_value_h value,
                         struct vhive_error *err);

/* ---- control sets (lib/hive/controlset.c), interfaces (hive.c) ------- */

/* Resolves Select\Current. -ENOENT with a clear message when Select or
 * Current is missing or names a control set the hive does not have. */
int vhive_controlset_current(hive_h *h, struct vhive_controlset *cs, struct vhive_error *err);
/* The control sets the next boot may use: Select\Current and, when it
 * differs, Select\Default (the set the boot loader loads next), sorted by
 * number; returns 1 or 2.  -ENOENT when either names a set the hive does
 * not have.  LastKnownGood is left out: only a user's choice at boot loads
 * it (--all-controlsets covers it). */
int vhive_controlset_boot(hive_h *h, struct vhive_controlset sets[2], struct vhive_error *err);
/* What a CurrentControlSet in a key path means: the current set, when it is
 * also the one the next boot loads; -EINVAL (name ControlSetNNN) when
 * Select\Current and Select\Default differ, as an edit of one would miss
 * the other. */
int vhive_controlset_ccs(hive_h *h, struct vhive_controlset *cs, struct vhive_error *err);
/* Every ControlSetNNN key, sorted by number, roles marked (the boot sets
 * must resolve).  Returns the
 * count; *list is malloc'd. */
int vhive_controlset_list(hive_h *h, struct vhive_controlset **list, struct vhive_error *err);
/* The same two over either reader. */
int vhive_rd_controlset_boot(const struct vhive_reader *rd, struct vhive_controlset sets[2],
                             struct vhive_error *err);
int vhive_rd_controlset_list(const struct vhive_reader *rd, struct vhive_controlset **list,
                             struct vhive_error *err);

/* EnableDHCP of an interface key, the one definition of "static" that info
 * and scrub share: a REG_DWORD 0.  Windows' TCP/IP reads EnableDHCP as a
 * REG_DWORD only; a value of another type (a REG_SZ "0" left by a script)
 * is ignored by Windows and reads here as VHIVE_DHCP_NOT_DWORD, not
 * static.  *value gets the DWORD when there is one. */
enum vhive_dhcp vhive_interface_dhcp(hive_h *h, hive_node_h iface, uint32_t *value);

/* ---- an editing session on one hive file (lib/hive/session.c) -------- */

struct vhive_session {
        char *primary; /* the hive file as given */
        /* In an image, which hive of its config folder this is ("SYSTEM",
         * "SOFTWARE"); NULL for a hive file (the op tells by content). */
        const char *hive;
        char *logs[2]; /* SYSTEM.LOG1/.LOG2 beside it, NULL when absent */
        /* replayed: h holds the replayed state, not the file's.  Read-only
         * sessions on a dirty hive whose logs cannot be replayed fall back
         * to the file as it is (replay_failed, saying why). */
        struct vhive_hive_state state;
        hive_h *h;
        /* Set (h NULL) when a read-only op reads a clean hive lazily. */
        const struct vhive_reader *reader;
        bool writable;
        bool hivex_writes; /* h opened with HIVEX_OPEN_WRITE */
        int work_fd;       /* memfd holding a replayed copy, or -1 */
        /* Writable sessions: the bytes h was opened on (replayed when the
         * hive is dirty), for in-place edits.  An op that edits them sets
         * edited_in_place; otherwise the new hive is hivex's commit of h. */
        struct vhive_hive_buf bytes;
        bool bytes_mapped; /* bytes is a mapping of work_fd */
        bool edited_in_place;
        /* beside: a clean hive edited in place where it is (its lock held):
         * work_fd is then the temp file that will replace it (work_path,
         * removed at close unless a commit took it), bytes a private
         * mapping of it (work_private).  work_failed: that file could not
         * be made (work_err says why, for the commit); the memfd is used. */
        bool beside;
        char *work_path;
        bool work_private;
        bool work_failed;
        bool early_writeback;
        struct vhive_writeback *writeback; /* a thread to join (work-file.c) */
        struct vhive_error work_err;
        struct vhive_refs_ahead refs_ahead; /* built while the copy is made */
        /* The new hive (vhive_session_result) when hivex wrote it. */
        struct vhive_hive_buf result;
};

/* NAME.LOG1 and NAME.LOG2 beside primary, in any letter case; logs[i]
 * malloc'd or left NULL when absent. */
int vhive_find_logs(const char *primary, char *logs[2], struct vhive_error *err);

/* Checks the header, replays logs into a private copy when dirty, opens
 * with hivex (writable when hivex_writes; writable without hivex_writes:
 * s->bytes is editable in place, and for a clean hive it is the very
 * memory hivex reads).  A dirty hive that cannot be replayed
 * is refused for writing and opened as it is for reading (replay_failed).
 * Bad input: -EINVAL/-ENOENT etc. with a clear message; nothing is
 * written. */
int vhive_session_open(struct vhive_session *s, const char *primary, bool writable,
                       bool hivex_writes, struct vhive_error *err);
/* The same, writable for in-place edits of a hive file that will be
 * replaced where it is, under its lock: a clean hive's bytes are copied
 * into the temp file beside it (lib/hive/work-file.c), which the commit
 * takes with vhive_work_file_finish.  early_writeback: the caller knows
 * the op will change the hive; the temp file's writeback is started as
 * soon as it is filled, so that the disk writes it while the hive is
 * parsed and edited, and the commit's fsync waits for less (issue 20). */
int vhive_session_open_beside(struct vhive_session *s, const char *primary, bool early_writeback,
                              struct vhive_error *err);
/* The new hive after an op: the edited bytes, or hivex's commit of h
 * (through a memfd), with the header mended (sequence numbers one past the
 * hive's, time now, checksum under Windows' rule).  *out belongs to the
 * session (until vhive_session_close); *out_fd is a memfd (or the
 * session's temp file, its changed pages written back) holding exactly
 * those bytes (for a parse that copies nothing), or -1.  hivex's handle
 * is closed (its copy of the hive freed): s->h is NULL afterwards, unless
 * it reads the new bytes themselves (an in-place edit of a clean hive:
 * hivex maps the very memfd the edits wrote, shared): then it stays open,
 * for the verification, until vhive_session_close.  Its used-cell map is
 * the one hivex_open built before the edits. */
int vhive_session_result(struct vhive_session *s, uint8_t **out, size_t *out_len, int *out_fd,
                         struct vhive_error *err);
/* Writes data into a new temp file beside dest (mode copied from
 * mode_from, or dest when it exists), fsync'd.  data_fd, when >= 0, is a
 * memfd holding exactly data (vhive_session_result's): the bytes are
 * copied from it rather than read through data's mapping.  *tmp_path is
 * malloc'd; dest is not touched. */
int vhive_write_temp_beside(const uint8_t *data, size_t len, int data_fd, const char *dest,
                            const char *mode_from, char **tmp_path, struct vhive_error *err);
/* A new temp file beside dest (.NAME.vhive-XXXXXX), empty, with the mode
 * and owner of mode_from (or dest); *tmp_path malloc'd. */
int vhive_make_temp_beside(const char *dest, const char *mode_from, char **tmp_path,
                           struct vhive_error *err);
void vhive_session_close(struct vhive_session *s);

/* ---- the work copy in the temp file (lib/hive/work-file.c) ----------- */

/* Copies len bytes of from (the hive) into a new temp file beside
 * s->primary and maps it privately as s->bytes. */
int vhive_work_file_open(struct vhive_session *s, int from, size_t len, struct vhive_error *err);
/* Writes the pages the edits changed (the private ones) into the file,
 * then reads back the header and every cell the edits recorded: -EIO when
 * the file does not hold them as the session does. */
int vhive_work_file_write_back(struct vhive_session *s, struct vhive_error *err);
/* fsync and close of the temp file; *tmp_path is handed over (malloc'd). */
int vhive_work_file_finish(struct vhive_session *s, char **tmp_path, struct vhive_error *err);
/* Removes the temp file unless a commit took it. */
void vhive_work_file_drop(struct vhive_session *s);

/* Checks a committed file's header: clean, sequence numbers equal,
 * checksum valid under Windows' rule, hive bins within the file. */
int vhive_verify_header(const char *path, struct vhive_error *err);
/* Reads and checks the header of a hive file (regular file, "regf",
 * hive bins within the file).  dirty is not an error here. */
int vhive_probe_hive(const char *path, struct vhive_regf_header *hdr, struct vhive_error *err);
/* The same checks on its first n bytes (up to a base block) and its size. */
int vhive_probe_block(const uint8_t *block, size_t n, uint64_t file_size,
                      struct vhive_regf_header *hdr, struct vhive_error *err);
