/* What every subcommand shares: the options (options.h) and the job. */
#pragma once

#include <stdio.h>

#include "options.h"
#include "vhive.h"

/* Runs op over every target through the library's job driver, with
 * progress on stderr when wanted (progress.h).  results[i] belongs to
 * targets[i].  Returns the worst exit code (0 or 2) over the targets;
 * errors are printed as "vhive: TARGET: message" unless o->json. */
int cmd_run_job(const struct vhive_op *op, char *const *targets, size_t n, void *const *ctxs,
                const struct cmd_opts *o, struct vhive_job_result *results);

/* Prints a document built by the library (vhive_json_document) on stdout
 * and frees it.  Returns exit_code, or 2 when stdout cannot be written. */
int cmd_print_json(json_t *doc, int exit_code);

/* calloc that exits with a message when memory is out. */
void *cmd_calloc(size_t n, size_t size);
