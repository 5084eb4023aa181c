/* The scrub as a job operation, shared by "scrub" and "check". */
#pragma once

#include "common.h"

struct scrub_ctx {
        struct vhive_scrub_opts opts;
        struct vhive_scrub_report rep;
};

extern const struct vhive_op scrub_op;

enum {
        OPT_PROFILE = OPT_FIRST_PRIVATE, OPT_KEEP_STATIC, OPT_ALL_CONTROLSETS,
};
#define SCRUB_LONG_OPTIONS                                                          \
        { "profile", required_argument, NULL, OPT_PROFILE },                        \
        { "keep-static", no_argument, NULL, OPT_KEEP_STATIC },                      \
        { "all-controlsets", no_argument, NULL, OPT_ALL_CONTROLSETS }

/* 1 handled, 0 not a scrub option, -1 bad value (printed); ctx is a
 * struct vhive_scrub_opts. */
int scrub_option(int c, const char *arg, void *ctx);

/* Runs the scrub op over targets and prints the report (text or JSON).
 * Returns the exit code. */
int scrub_run_and_report(const char *command, char **targets, size_t n,
                         const struct vhive_scrub_opts *opts, const struct cmd_opts *o);
