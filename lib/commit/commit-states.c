/* Checking a log record's layout by replaying, in memory, every state a
 * stop can leave (commit-plan.c chooses the record; commit-plan.h).  The
 * states are built in one buffer, c->mixed, and replayed in place there
 * or, for a primary that needs no log, not copied at all (issue 20: a
 * 120 MB hive's seven replays each allocated, and the kernel zeroed, a
 * fresh hive-sized buffer). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "commit-plan.h"
#include "log-replay-internal.h"
#include "macro.h"

static bool same(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
        return a_len == b_len && (a == b || memcmp(a, b, a_len) == 0);
}

/* The log as the record leaves it (base_too false: a two-step record
 * before its base block is written, sector 0 invalidated). */
static int log_after(const struct commit *c, const struct log_write *w, bool base_too,
                     uint8_t **out, size_t *len)
{
        size_t cur = c->log_len[w->li];
        size_t n = w->new_size > cur ? w->new_size : cur;

        *out = calloc(1, n ? n : 1);
        if (!*out)
                return -ENOMEM;
        vhive_huge_hint(*out, n);
        *len = n;
        memcpy(*out, c->log[w->li], cur);
        memcpy(*out + w->off, w->body, w->body_len);
        if (w->with_base && base_too)
                memcpy(*out, w->base, VHIVE_LOG_SECTOR);
        else if (w->base_last && n >= VHIVE_LOG_SECTOR)
                memset(*out, 0, VHIVE_LOG_SECTOR);
        return 0;
}

/* Replays primary with the logs in the order a and b, into c's scratch
 * buffer; 1 when the result is want (or want2), 0 when not, -errno on
 * failure. */
static int replays_one(struct commit *c, const uint8_t *a, size_t a_len, const uint8_t *b,
                       size_t b_len, const uint8_t *primary, size_t len, const uint8_t *want,
                       size_t want_len, const uint8_t *want2, size_t want2_len)
{
        const uint8_t *out = NULL;
        size_t out_len = 0;
        struct vhive_error e;
        int r = vhive_replay_view(primary, len, a, a_len, b, b_len, &c->scratch, &out, &out_len,
                                  NULL, &e);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        return same(out, out_len, want, want_len) ||
               (want2 && same(out, out_len, want2, want2_len));
}

/* The same with the logs as the record leaves them, in both orders: on
 * equal sequence numbers (or times) vhive's replay takes LOG1 first, and
 * Windows' order on a tie is not documented, so either must give want. */
int vhive_commit_replays_to(struct commit *c, const uint8_t *logs[2], const size_t lens[2],
                            const uint8_t *primary, size_t len, const uint8_t *want,
                            size_t want_len, const uint8_t *want2, size_t want2_len)
{
        int r = replays_one(c, logs[0], lens[0], logs[1], lens[1], primary, len, want, want_len,
                            want2, want2_len);

        if (r > 0)
                r = replays_one(c, logs[1], lens[1], logs[0], lens[0], primary, len, want, want_len,
                                want2, want2_len);
        return r;
}

/* c->mixed, holding a state a stop can leave, replayed in place with the
 * logs in the order a, b: 1 when that gives the final hive, 0 when not,
 * -ENOMEM.  On 1, c->mixed holds the final hive. */
static int in_place_gives_final(struct commit *c, const uint8_t *a, size_t a_len, const uint8_t *b,
                                size_t b_len)
{
        struct vhive_error e;
        size_t len = 0;
        int r = vhive_replay_in_place(c->mixed, c->final_len, a, a_len, b, b_len, &len, NULL, &e);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        return same(c->mixed, len, c->final, c->final_len);
}

/* c->mixed made to hold src (final_len bytes) again.  Once it holds a
 * state, only the pages that differ are written: a private mapping of
 * the copy keeps the others the page cache's. */
static void restore(struct commit *c, const uint8_t *src)
{
        if (!c->mixed_filled) {
                memcpy(c->mixed, src, c->final_len);
                c->mixed_filled = true;
                return;
        }
        for (size_t at = 0; at < c->final_len; at += VHIVE_PAGE) {
                size_t n = c->final_len - at < VHIVE_PAGE ? c->final_len - at : VHIVE_PAGE;

                if (memcmp(c->mixed + at, src + at, n) != 0)
                        memcpy(c->mixed + at, src + at, n);
        }
}

/* The primary marked as being updated (the old one with the middle base
 * block), then marked with every page written (the final one with it),
 * each replayed with the logs in both orders.  Replayed in place in one
 * buffer, not copied into a new one per replay (issue 20): the first
 * state is restored before each of its replays; a replay that gave the
 * final hive leaves the second state but for its base block. */
static int marked_states_ok(struct commit *c, const uint8_t *logs[2], const size_t lens[2])
{
        int r = 1;

        for (int k = 0; k < 2 && r > 0; k++) {
                restore(c, c->oldpad);
                memcpy(c->mixed, c->mid, sizeof(c->mid));
                r = in_place_gives_final(c, logs[k], lens[k], logs[!k], lens[!k]);
        }
        for (int k = 0; k < 2 && r > 0; k++) {
                memcpy(c->mixed, c->mid, sizeof(c->mid)); /* the rest is final's */
                r = in_place_gives_final(c, logs[k], lens[k], logs[!k], lens[!k]);
        }
        return r;
}

/* One buffer for the states, the length of the final primary: a private
 * mapping of the copy of old when they are as long, else malloc'd. */
static int get_mixed(struct commit *c)
{
        struct stat st;
        void *m;

        if (c->mixed)
                return 0;
        /* A mapping past the file's end would fault (SIGBUS): as long. */
        if (c->old_fd >= 0 && c->old_len == c->final_len && fstat(c->old_fd, &st) == 0 &&
            (uint64_t)st.st_size == c->final_len) {
                m = mmap(NULL, c->final_len, PROT_READ | PROT_WRITE, MAP_PRIVATE, c->old_fd, 0);
                if (m != MAP_FAILED) {
                        c->mixed = m;
                        c->mixed_mapped = c->mixed_filled = true;
                        return 0;
                }
        }
        c->mixed = malloc(c->final_len);
        if (!c->mixed)
                return -ENOMEM;
        vhive_huge_hint(c->mixed, c->final_len);
        return 0;
}

/* Every state a stop can leave: the old primary with the record (and,
 * for a two-step record, without its base block), the primary marked as
 * being updated, and marked with every page written. */
int vhive_commit_layout_ok(struct commit *c, const struct log_write *w)
{
        const uint8_t *logs[2] = { c->log[0], c->log[1] };
        size_t lens[2] = { c->log_len[0], c->log_len[1] };
        uint8_t *mine = NULL;
        size_t mine_len = 0;
        int r = log_after(c, w, true, &mine, &mine_len);

        logs[w->li] = mine;
        lens[w->li] = mine_len;
        if (r < 0 || get_mixed(c) < 0) {
                free(mine);
                return -ENOMEM;
        }
        r = vhive_commit_replays_to(c, logs, lens, c->oldpad, c->final_len, c->replayed,
                                    c->replayed_len, c->final, c->final_len);
        if (r > 0)
                r = marked_states_ok(c, logs, lens);
        free(mine);
        return r;
}

int vhive_commit_two_step_ok(struct commit *c, const struct log_write *w)
{
        const uint8_t *logs[2] = { c->log[0], c->log[1] };
        size_t lens[2] = { c->log_len[0], c->log_len[1] };
        uint8_t *mine = NULL;
        size_t len = 0;
        int r;

        if (!w->base_last)
                return 1;
        r = log_after(c, w, false, &mine, &len);
        if (r < 0)
                return r;
        logs[w->li] = mine;
        lens[w->li] = len;
        r = vhive_commit_replays_to(c, logs, lens, c->oldpad, c->final_len, c->replayed,
                                    c->replayed_len, c->final, c->final_len);
        free(mine);
        return r;
}
