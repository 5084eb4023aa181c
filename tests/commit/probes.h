/* The layouts a review of the logged commit found unsafe (review findings
 * 1 and 2), shared by test-commit-log and crash-commit.  Header-only. */
#pragma once

#include "../replay/tlog.h"

#define PROBE_SEQ 100u
#define PROBE_BINS 6u

static inline void probe_put_time(uint8_t *base, uint64_t ts)
{
        put64(base + 12, ts);
        vhive_regf_store_checksum(base);
}

/* Clean primary at 100; LOG1 older; LOG2 a stale base 101 with an entry
 * 101 (as hivex leaves a dirty hive it marks clean).  A fresh record 101
 * in LOG1 would tie with it: the replay order would decide. */
static inline void probe_tie_new(struct tbuf *h, struct tbuf *l1, struct tbuf *l2)
{
        const struct tpage pg[] = { { 2 * T_BIN, T_BIN } };

        synth_hive(h, PROBE_BINS, PROBE_SEQ, 1000);
        log_start(l1, h->b, PROBE_SEQ - 5, 6);
        log_add_entry(l1, PROBE_SEQ - 5, PROBE_BINS * T_BIN, 1, pg, 1, 0);
        log_start(l2, h->b, PROBE_SEQ + 1, 6);
        log_add_entry(l2, PROBE_SEQ + 1, PROBE_BINS * T_BIN, 1, pg, 1, 99);
        tbuf_resize(l2, 65536);
}

/* Dirty, old format, both logs carrying the primary's time, each with
 * its own version of page 2 (the boot loader takes LOG1). */
static inline void probe_tie_old(struct tbuf *d, struct tbuf o[2])
{
        synth_hive(d, PROBE_BINS, PROBE_SEQ, 5000);
        set_seqs(d->b, PROBE_SEQ + 1, PROBE_SEQ);
        for (int k = 0; k < 2; k++) {
                size_t at;

                log_start(&o[k], d->b, k ? PROBE_SEQ + 1 : PROBE_SEQ, 1);
                probe_put_time(o[k].b, 5000);
                at = o[k].len;
                tbuf_resize(&o[k], at + 512 + 3 * T_BIN);
                memcpy(o[k].b + at, "DIRT", 4);
                o[k].b[at + 4 + 2] = 0xff; /* page 2 */
                fill_page(o[k].b + at + 512, 2 * T_BIN, T_BIN, k ? 22 : 11);
        }
}
