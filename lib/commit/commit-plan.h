/* The state of one logged commit, shared by its planning
 * (commit-plan.c) and its execution (commit.c). */
#pragma once

#include "commit-internal.h"
#include "commit.h"

/* Where the log record goes and what it is. */
struct log_write {
        int li;        /* 0 = LOG1, 1 = LOG2 */
        uint64_t off;  /* of body */
        uint8_t *body; /* entry (+ a zero sector), or DIRT vector + pages */
        size_t body_len;
        bool with_base; /* a new base block goes to offset 0 */
        /* Dirty hive, fresh record: sector 0 is first overwritten with an
         * invalid base block (flushed), then the body (flushed), then the
         * real base block, so that no state pairs a valid base block with
         * a body it does not describe. */
        bool base_last;
        uint8_t base[512];
        uint64_t new_size; /* the log is extended to this first (0: large enough) */
};

struct commit {
        const struct vhive_hive_files *files;
        enum vhive_log_format fmt;
        const uint8_t *old;
        size_t old_len;
        const uint8_t *new_hive;
        uint8_t *new_mut; /* new_hive, the commit's to stamp, or NULL */
        size_t new_len;
        int old_fd;              /* a file holding old, or -1 */
        bool held;               /* old is a copy of files held since (vhive_commit_in) */
        const uint8_t *based_on; /* the hive the edit was made on, or NULL */
        size_t based_len;
        /* old with zeros up to final_len: the file once grown (old itself
         * when it does not grow, else oldpad_own) */
        const uint8_t *oldpad;
        uint8_t *oldpad_own;
        uint64_t primary_size; /* of the file, may exceed old_len */
        struct vhive_regf_header ohdr;
        bool old_ok, dirty;
        uint8_t *log[2];
        size_t log_len[2];
        /* the hive as found, replayed: what "old" means after a crash;
         * old itself when clean (no copy), else in found_buf or, padded,
         * replayed_own */
        const uint8_t *replayed;
        size_t replayed_len;
        struct vhive_replay_buf found_buf;
        uint8_t *replayed_own;
        /* Reused by every crash-state check (issue 20: not one fresh
         * hive-sized buffer per replay): the replays' output and the
         * primary part-way through the update. */
        struct vhive_replay_buf scratch;
        uint8_t *mixed;
        bool mixed_mapped; /* a private mapping of old_fd, else malloc'd */
        bool mixed_filled; /* holds some state (not malloc's garbage) */
        struct vhive_replay_result res;
        /* the primary as it will be, and its base block while updating */
        uint8_t *final; /* new_mut itself when final_lent */
        size_t final_len;
        bool final_lent;
        uint8_t mid[VHIVE_REGF_BASE_BLOCK];
        uint32_t seq, seq2_mid, hbins;
        uint64_t ts;
        struct vhive_pages pages;  /* differ from the file: written in place */
        struct vhive_pages logged; /* pages plus those the replay changed */
        struct log_write w;
        /* No record fits without growing a log the dirty hive needs: the
         * replayed hive is first written in place (recover_pages, then its
         * base block, clean), guarded by the logs as they are, and the
         * commit starts again on the clean hive. */
        bool recover_first;
        size_t found_len; /* replayed_len before any padding */
        struct vhive_pages recover_pages;
};

int vhive_commit_prepare(struct commit *c, const uint8_t *new_hive, size_t new_len,
                         struct vhive_error *err);
/* The record in c->w, or c->recover_first set (and checked). */
int vhive_commit_choose_log(struct commit *c, struct vhive_error *err);
void vhive_commit_free(struct commit *c);

/* commit-states.c: 1 when every state a stop can leave with record w
 * replays to the old or the new hive as it must, 0 when not, -ENOMEM. */
int vhive_commit_layout_ok(struct commit *c, const struct log_write *w);
/* The same for a two-step record before its base block is written. */
int vhive_commit_two_step_ok(struct commit *c, const struct log_write *w);
/* Replays primary with the logs in both orders: 1 when each gives want
 * (or want2), 0 when not, -ENOMEM. */
int vhive_commit_replays_to(struct commit *c, const uint8_t *logs[2], const size_t lens[2],
                            const uint8_t *primary, size_t len, const uint8_t *want,
                            size_t want_len, const uint8_t *want2, size_t want2_len);
