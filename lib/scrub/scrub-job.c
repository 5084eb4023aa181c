/* The scrub as a job operation: "scrub" writes, "check" only reports. */
#include "job.h"
#include "scrub.h"

static int run(struct vhive_session *s, void *ctx, bool apply, bool *changed,
               struct vhive_error *err)
{
        struct vhive_scrub_job *c = ctx;
        int r;

        /* In place: blanks fit in the values' own cells, the hive never grows. */
        if (apply && s->bytes.b) {
                r = vhive_scrub_in_place(s->h, &s->bytes, &c->opts, &c->rep, err);
                s->edited_in_place = true;
        } else {
                r = vhive_scrub(s->h, &c->opts, apply, &c->rep, err);
        }
        *changed = r == 0 && (c->rep.counts[VHIVE_ACTION_BLANKED] > 0 ||
                              c->rep.counts[VHIVE_ACTION_DELETED] > 0);
        return r;
}

static int verify(hive_h *h, void *ctx, struct vhive_error *err)
{
        struct vhive_scrub_job *c = ctx;

        return vhive_scrub_verify(h, &c->rep, err);
}

const struct vhive_op vhive_scrub_op = {
        .writes = true, .in_place = true, .step = "scrubbing", .run = run, .verify = verify
};
const struct vhive_op vhive_check_op = { .writes = false, .step = "checking", .run = run };
