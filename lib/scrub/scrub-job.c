/* The scrub as a job operation: "scrub" writes, "check" only reports.
 * Each run() works on one hive: the image's (s->hive) or, for a hive
 * file, the one its content says; its report is kept beside the others. */
#include <errno.h>
#include <string.h>

#include "job.h"
#include "scrub.h"

static size_t hive_names(void *ctx, const char *names[VHIVE_MAX_HIVES])
{
        const struct vhive_scrub_job *c = ctx;
        size_t n = 0;

        if (!c->opts.rules || vhive_rules_touch(c->opts.rules, "SYSTEM"))
                names[n++] = "SYSTEM";
        if (c->opts.rules && vhive_rules_touch(c->opts.rules, "SOFTWARE"))
                names[n++] = "SOFTWARE";
        return n;
}

static int which_hive(struct vhive_session *s, const struct vhive_reader *rd,
                      const struct vhive_scrub_job *c, const char **hive, struct vhive_error *err)
{
        int r = 0;

        *hive = s->hive;
        if (!*hive)
                r = vhive_scrub_hive_kind(rd, hive, err);
        if (r == 0 && c->opts.rules && !vhive_rules_touch(c->opts.rules, *hive))
                r = vhive_fail(err, EINVAL, "%s, and no selected rule works on %s (--profile %s)",
                               strcmp(*hive, "SYSTEM") == 0
                                       ? "a SYSTEM hive"
                                       : "not a SYSTEM hive (no Select key at the root) but a "
                                         "SOFTWARE hive",
                               *hive, c->opts.rules->profile);
        return r;
}

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct vhive_scrub_job *c = ctx;
        struct vhive_scrub_opts o = c->opts;
        struct vhive_scrub_report *rep;
        struct vhive_reader hx = vhive_reader_hivex(s->h);
        const struct vhive_reader *rd = s->reader ? s->reader : &hx;
        int r;

        if (c->n_reps >= VHIVE_MAX_HIVES)
                return vhive_fail(err, EINVAL, "more hives than one job reports");
        r = which_hive(s, rd, c, &o.hive, err);
        if (r < 0)
                return r;
        rep = &c->reps[c->n_reps++];
        /* In place: blanks fit in the values' own cells, the hive never grows. */
        if (apply && s->bytes.b) {
                r = vhive_scrub_in_place(s->h, &s->bytes, &o, rep, err);
                s->edited_in_place = true;
        } else if (apply) {
                r = vhive_scrub(s->h, &o, apply, rep, err);
        } else {
                r = vhive_scrub_read(rd, &o, rep, err);
        }
        *changed = r == 0 &&
                   (rep->counts[VHIVE_ACTION_BLANKED] > 0 || rep->counts[VHIVE_ACTION_DELETED] > 0);
        return r;
}

/* The last run read lazily, and is run again the full way.  A run adds
 * its report once it knows the hive: before that, only a hive file's run
 * reads (its kind, by content), and a hive file's job has no other
 * report to lose. */
static void forget_last(void *ctx)
{
        struct vhive_scrub_job *c = ctx;

        if (c->n_reps > 0)
                vhive_scrub_report_free(&c->reps[--c->n_reps]);
}

/* The hive just committed is the last one run. */
static int verify(hive_h *h, void *ctx, struct vhive_error *err)
{
        struct vhive_scrub_job *c = ctx;

        if (c->n_reps == 0)
                return vhive_fail(err, EIO, "verify: no report to check against");
        return vhive_scrub_verify(h, &c->reps[c->n_reps - 1], err);
}

const struct vhive_op vhive_scrub_op = { .writes = true,
                                         .in_place = true,
                                         .step = "scrubbing",
                                         .hive_names = hive_names,
                                         .run = run,
                                         .forget_last = forget_last, /* the writeback hint */
                                         .verify = verify };
const struct vhive_op vhive_check_op = { .writes = false,
                                         .lazy_read = true,
                                         .step = "checking",
                                         .hive_names = hive_names,
                                         .run = run,
                                         .forget_last = forget_last };
