/* What every subcommand shares: target options and the job loop. */
#pragma once

#include <getopt.h>
#include <stdio.h>

#include "job.h"
#include "macro.h"
#include "vhive.h"

struct cmd_opts {
        struct vhive_job_opts job;
        const char *backend_name; /* --backend; loaded only when a target is an image */
        bool json;
};

/* Long options every target-taking subcommand accepts; their short forms
 * ("nvo:") are in COMMON_SHORT.  Values >= 0x100 are long-only. */
enum {
        OPT_BACKUP = 0x100, OPT_FORCE, OPT_FORMAT, OPT_ROOT, OPT_BACKEND, OPT_JSON,
        OPT_FIRST_PRIVATE = 0x200, /* subcommands number their own from here */
};
#define COMMON_SHORT "vh"
#define COMMON_LONG_OPTIONS                                                 \
        { "backup", required_argument, NULL, OPT_BACKUP },                  \
        { "force", no_argument, NULL, OPT_FORCE },                          \
        { "format", required_argument, NULL, OPT_FORMAT },                  \
        { "root", required_argument, NULL, OPT_ROOT },                      \
        { "backend", required_argument, NULL, OPT_BACKEND },                \
        { "json", no_argument, NULL, OPT_JSON },                            \
        { "verbose", no_argument, NULL, 'v' },                              \
        { "help", no_argument, NULL, 'h' }

/* Handles one option from COMMON_LONG_OPTIONS, and -n/-o for the commands
 * that list them: 1 handled, 0 not ours, -1 bad value (message printed). */
int cmd_common_option(int c, const char *arg, struct cmd_opts *o);

/* A subcommand's own option: 1 handled, 0 not its own, -1 bad value. */
typedef int (*cmd_own_option_fn)(int c, const char *arg, void *ctx);

/* The option loop of every subcommand: its own options (own may be NULL),
 * then the common ones, -h for help; then cmd_common_finish.  Returns -1
 * to go on with argv[optind...], else the exit code to return. */
int cmd_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, struct cmd_opts *o,
                      cmd_own_option_fn own, void *ctx, int (*help)(void));
/* Called after parsing: checks the backend name (--backend, VHIVE_BACKEND). */
int cmd_common_finish(struct cmd_opts *o);

/* Runs op over every target: hive files one by one, images together in
 * one backend launch.  results[i] belongs to targets[i].  Returns the
 * worst exit code (0 or 2) over the targets; errors are printed as
 * "vhive: TARGET: message" unless o->json. */
int cmd_run_job(const struct vhive_op *op, char *const *targets, size_t n,
                void *const *ctxs, const struct cmd_opts *o,
                struct vhive_job_result *results);

void cmd_error(const char *target, const struct vhive_error *err);
/* Text from a hive for human output, escaped (vhive_escape_text): the
 * result stays valid until eight more calls; never NULL. */
const char *cmd_esc(const char *s);
/* "Try 'vhive CMD --help'" on stderr, returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
